package browsertest

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/export"
	"github.com/keepalive-playground/playground/scenario"
)

// TestExportedImagesReopenTheScenario: the timeline's SVG and PNG carry
// the scenario's link; dropping either on a fresh page reopens it.
func TestExportedImagesReopenTheScenario(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	dir := p.downloads()
	const title = "an image that remembers"
	p.open(mustDecode(t, `{"v":1,"title":"`+title+`","server":{"runtime":"go","idleTimeoutMs":300},
	 "client":{"steps":[{"at":0,"conn":"A","send":"GET / HTTP/1.1\r\nHost: demo\r\n\r\n"}]},"durationMs":800}`))
	p.click("#run")
	p.waitJS("the run's end", `document.documentElement.dataset.runEnded !== undefined`, stepTimeout)
	for _, kind := range []string{"SVG", "PNG"} {
		t.Run(kind, func(t *testing.T) {
			p.waitJS("click "+kind, fmt.Sprintf(`(() => { const b = [...document.querySelectorAll("#timeline-tools button")].find(b => b.textContent === %q); b.click(); return true })()`, kind), stepTimeout)
			file := filepath.Join(dir, "timeline."+strings.ToLower(kind))
			var data []byte
			for i := 0; i < 100 && len(data) == 0; i++ {
				data, _ = os.ReadFile(file)
				time.Sleep(50 * time.Millisecond)
			}
			if len(data) == 0 {
				t.Fatalf("no %s was downloaded", kind)
			}
			link, err := export.LinkFromImage(data)
			if err != nil {
				t.Fatalf("the exported %s: %v", kind, err)
			}
			sc, err := scenario.DecodeLink(link)
			if err != nil || sc.Title != title {
				t.Fatalf("the %s's link: %v, %+v", kind, err, sc)
			}
			q := newPage(t, pg.URL())
			q.open(nil)
			q.waitJS("drop the image", fmt.Sprintf(`(() => {
				const bytes = Uint8Array.from(atob(%q), c => c.charCodeAt(0));
				const dt = new DataTransfer();
				dt.items.add(new File([bytes], "timeline.%s", {type: %q}));
				document.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
				return true })()`, base64.StdEncoding.EncodeToString(data), strings.ToLower(kind), map[string]string{"SVG": "image/svg+xml", "PNG": "image/png"}[kind]), stepTimeout)
			q.waitJS("the scenario reopened", fmt.Sprintf(`document.getElementById("notice").textContent.includes(%q) && document.getElementById("server-runtime").dataset.runtime === "go"`, "Opened "+title), stepTimeout)
			if probs := q.problemsExcept(); len(probs) > 0 {
				t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
			}
		})
	}
}

// TestExportMenu: the page's "Export as…" downloads the run on screen in
// each of `playground run --format`'s formats, rendered by the same code.
func TestExportMenu(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	dir := p.downloads()
	p.open(mustDecode(t, `{"v":1,"title":"two requests, one connection","server":{"runtime":"node26"},
	 "client":{"steps":[{"at":0,"conn":"A","send":"GET /a HTTP/1.1\r\nHost: demo\r\n\r\n"},{"at":200,"conn":"A","send":"GET /b HTTP/1.1\r\nHost: demo\r\n\r\n"}]},"durationMs":600}`))
	p.click("#run")
	p.waitJS("the run's end", `document.documentElement.dataset.runEnded !== undefined`, stepTimeout)
	tests := []struct {
		format, file string
		want         []string
	}{
		{"curl", "keepalive-run.txt", []string{"GET /a HTTP/1.1", "GET /b HTTP/1.1", "Re-using existing connection"}},
		{"transcript", "keepalive-run-transcript.txt", []string{"== connection A (client → server) ==", `→  GET /b HTTP/1.1\r\n`, `←  HTTP/1.1 200 OK\r\n`}},
		{"table", "keepalive-run-table.txt", []string{"t (ms)", "GET /b"}},
		{"mermaid", "keepalive-run.mmd", []string{"sequenceDiagram", "GET /a", "GET /b"}},
		{"har", "keepalive-run.har", []string{`"version": "1.2"`, `"url": "http://demo/a"`, `"connection"`}},
		{"json", "keepalive-run.jsonl", []string{`"kind":"request"`, `"path":"/b"`}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			os.Remove(filepath.Join(dir, tt.file))
			p.waitJS("pick "+tt.format, fmt.Sprintf(`(() => { const s = document.getElementById("export-format"); s.value = %q; s.dispatchEvent(new Event("change")); return true })()`, tt.format), stepTimeout)
			var data []byte
			for i := 0; i < 100 && len(data) == 0; i++ {
				time.Sleep(50 * time.Millisecond)
				data, _ = os.ReadFile(filepath.Join(dir, tt.file))
			}
			for _, w := range tt.want {
				if !strings.Contains(string(data), w) {
					t.Errorf("the %s export lacks %q:\n%.600s", tt.format, w, data)
				}
			}
		})
	}
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
