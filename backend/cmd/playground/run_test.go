package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/export"
	"github.com/keepalive-playground/playground/scenario"
)

// question is the story's question, shortened: close() in the handler,
// then A idle. Node 18's close() leaves A open; Node 20's closes it after
// the keep-alive timeout; Go's Shutdown (close's counterpart) at once.
const question = `{"v":1,"title":"close() in the handler","server":{"runtime":"node20","keepAliveTimeoutMs":200,
 "routes":[{"path":"*","body":"hi","then":"close"}]},
 "client":{"steps":[{"at":0,"conn":"A","send":"GET / HTTP/1.1\r\nHost: demo\r\n\r\n"}]},"durationMs":2000}`

func TestRunCompare(t *testing.T) {
	tests := []struct {
		name       string
		stdin      string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr string
	}{
		{"node18 and node20 part", question, []string{"run", "--runtime", "node18,node20", "-"}, 1,
			[]string{"── node18 ──", "── node20 ──", "Where node18, node20 part:", "conn A at ", "node18: the keep-alive timeout closed A at ", "node20: the same at "}, ""},
		{"Node and Go, with the counterpart noted", question, []string{"run", "--runtime", "node20,go", "-"}, 1,
			[]string{"go: Shutdown closed idle A at "}, "go: route *: then close becomes shutdown"},
		{"the same runtime twice is refused", question, []string{"run", "--runtime", "node20,node20", "-"}, 2, nil, "named twice"},
		{"an unknown runtime", question, []string{"run", "--runtime", "node20,node99", "-"}, 2, nil, `"node99" is not a runtime`},
		{"too many", question, []string{"run", "--runtime", "node18,node20,go,node18x,go2", "-"}, 2, nil, "a comparison runs 2 to 4"},
		{"agreeing runs", passing, []string{"run", "--runtime", "node18,node20", "-"}, 0,
			[]string{"node18, node20 agree: the same events on the server and every connection"}, ""},
		{"one runtime instead of the scenario's", question, []string{"run", "--runtime", "node18", "-"}, 0, []string{"close-called"}, ""},
		{"a comparison as JSON", passing, []string{"run", "--runtime", "node18,node20", "--format", "json", "-"}, 0, []string{`"agree":true`, `"name":"node18"`}, ""},
		{"a comparison the scenario asks for", strings.Replace(question, `"durationMs":2000`, `"durationMs":2000,"compare":{"knob":"keepAliveTimeoutMs","values":[200,600]}`, 1),
			[]string{"run", "-"}, 1, []string{"── keepAliveTimeoutMs=200 ──", "keepAliveTimeoutMs=200: the keep-alive timeout closed A at ", "keepAliveTimeoutMs=600: the same at "}, ""},
		{"a comparison in a one-run format", passing, []string{"run", "--runtime", "node18,node20", "--format", "curl", "-"}, 2, nil, "shows one run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := playground(t, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, stdout, stderr)
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr)
			}
		})
	}
}

func TestRunFormats(t *testing.T) {
	for _, f := range export.Formats {
		t.Run(f, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := playground(t, passing, "run", "--format", f, "-")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			want := map[string]string{"table": "PASS  A destroyed", "json": `"kind":"close"`,
				"curl": "* Connected to demo (127.0.0.1) port 80 (#0)", "mermaid": "```mermaid\nsequenceDiagram", "har": `"version": "1.2"`}[f]
			if !strings.Contains(stdout, want) {
				t.Errorf("no %q in:\n%s", want, stdout)
			}
			if f == "har" && !json.Valid([]byte(stdout)) {
				t.Error("the HAR is not JSON")
			}
		})
	}
	if _, stderr, code := playground(t, passing, "run", "--format", "xml", "-"); code != 2 || !strings.Contains(stderr, "is not one of table, json") {
		t.Errorf("--format xml: exit %d, %s", code, stderr)
	}
}

// TestRunImage: an exported SVG or PNG reopens its scenario.
func TestRunImage(t *testing.T) {
	sc, err := scenario.Decode([]byte(passing))
	if err != nil {
		t.Fatal(err)
	}
	link, err := scenario.EncodeLink(sc)
	if err != nil {
		t.Fatal(err)
	}
	link = "http://localhost:8080/" + link
	svg, err := export.SVGWithLink([]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"><rect width="1" height="1"/></svg>`), link)
	if err != nil {
		t.Fatal(err)
	}
	var pb bytes.Buffer
	png.Encode(&pb, image.NewGray(image.Rect(0, 0, 2, 2)))
	pngData, err := export.PNGWithLink(pb.Bytes(), link)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// An exported timeline can be larger than any scenario.
	big := bytes.Replace(svg, []byte("<rect"), append(append([]byte("<!--"), bytes.Repeat([]byte("x"), 100<<10)...), "--><rect"...), 1)
	files := map[string][]byte{"timeline.svg": svg, "timeline.png": pngData, "plain.png": pb.Bytes(), "big.svg": big}
	for name, data := range files {
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	for _, name := range []string{"timeline.svg", "timeline.png", "big.svg"} {
		stdout, stderr, code := playground(t, "", "run", filepath.Join(dir, name))
		if code != 0 || !strings.Contains(stdout, "destroy\n") || !strings.Contains(stdout, "PASS  A destroyed") {
			t.Errorf("%s: exit %d\n%s\n%s", name, code, stdout, stderr)
		}
	}
	if _, stderr, code := playground(t, string(svg), "run", "-"); code != 0 {
		t.Errorf("an SVG on standard input: exit %d: %s", code, stderr)
	}
	if _, stderr, code := playground(t, "", "run", filepath.Join(dir, "plain.png")); code != 2 || !strings.Contains(stderr, "carries no scenario link") {
		t.Errorf("a PNG without a link: exit %d: %s", code, stderr)
	}
}
