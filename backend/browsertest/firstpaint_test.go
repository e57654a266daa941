package browsertest

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/keepalive-playground/playground/lessons"
)

// blockWasm keeps the page's programs from downloading: only the HTML
// and main.js run, as on a slow first visit before the program arrives.
func blockWasm(t *testing.T, p *page) {
	t.Helper()
	if _, err := chromedp.Call(p.ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(p.ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{
		URLPatterns: []*network.BlockPattern{{URLPattern: "*://*:*/*.wasm", Block: true}}}); err != nil {
		t.Fatal(err)
	}
}

// TestLessonTextBeforeTheProgram: a lesson link is readable before the
// page's program has started — here it never does, its download is
// blocked — because the page is served with the course in it; and once
// the program runs, the lessons panel takes the text's place without
// moving it (no layout shift inside the panel).
func TestLessonTextBeforeTheProgram(t *testing.T) {
	ls, err := lessons.Load(os.DirFS("../../lessons"), ".")
	if err != nil {
		t.Fatal(err)
	}
	l := ls[2]
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())

	blockWasm(t, p)
	p.do(chromedp.Navigate(pg.URL() + "#lesson=" + l.ID))
	p.waitJS("the lesson's text without the program", `(() => {
		const a = document.querySelector("#panel-lesson article.lesson");
		return a && !a.hidden && a.querySelector("h2") && a.querySelector(".lesson-body").textContent.length > 100;
	})()`, stepTimeout)
	if got := evalJS[string](p, `document.querySelector("#panel-lesson article.lesson h2").textContent`); got != l.Title {
		t.Errorf("the article's title is %q, want %q", got, l.Title)
	}
	if n := evalJS[int](p, `document.querySelectorAll("#panel-lesson article.lesson .lesson-tasks > li").length`); n != len(l.Tasks) {
		t.Errorf("%d tasks shown, want %d", n, len(l.Tasks))
	}
	if n := evalJS[int](p, `document.querySelectorAll("#panel-lesson .lesson-list > li").length`); n != len(ls) {
		t.Errorf("the list shows %d lessons, want %d", n, len(ls))
	}
	if evalJS[bool](p, `document.getElementById("lesson-title") !== null`) {
		t.Error("the program's panel is on the page although the program never ran")
	}
	p.viewShot("firstpaint-no-program")

	// The program allowed: the panel replaces the copy without moving it.
	if _, err := chromedp.Call(p.ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{}); err != nil {
		t.Fatal(err)
	}
	p.onEveryDocument(`
		window.kapShifts = [];
		new PerformanceObserver(list => {
			for (const e of list.getEntries()) {
				if (e.hadRecentInput) continue;
				const inPanel = (e.sources || []).some(s => s.node && s.node.closest && s.node.closest("#panel-lesson"));
				if (inPanel) window.kapShifts.push(e.value);
			}
		}).observe({type: "layout-shift", buffered: true});`)
	p.do(chromedp.Navigate("about:blank"))
	p.do(chromedp.Navigate(pg.URL() + "#lesson=" + l.ID))
	p.waitJS("the lessons panel", `document.getElementById("lesson-title") !== null && document.getElementById("lesson-title").textContent.length > 0`, readyTimeout)
	p.nextFrame()
	time.Sleep(200 * time.Millisecond) // layout-shift entries are reported after the frame
	shift := evalJS[float64](p, `window.kapShifts.reduce((a, b) => a + b, 0)`)
	if shift > 0.01 {
		t.Errorf("the lessons panel moved the lesson's text when it took over: layout shift %.3f, want ≤ 0.01", shift)
	}
	if n := evalJS[int](p, `document.querySelectorAll("#panel-lesson article.lesson").length`); n != 1 {
		t.Errorf("%d lesson articles on the page, want 1", n)
	}
	if got := evalJS[string](p, `document.getElementById("lesson-title").textContent`); got != l.Title {
		t.Errorf("the panel's title is %q, want %q", got, l.Title)
	}
	p.viewShot("firstpaint-program")
}

// TestLessonTextAsItIsParsed: preview.js opens a linked lesson while the
// page is parsed, as soon as that lesson's template is closed; each
// lesson of the course, the first and the last too, opens whole (its
// title, every task, its documentation) with the program blocked, and a
// lesson picked from the list then opens as well.
func TestLessonTextAsItIsParsed(t *testing.T) {
	ls, err := lessons.Load(os.DirFS("../../lessons"), ".")
	if err != nil {
		t.Fatal(err)
	}
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	blockWasm(t, p)
	whole := func(i int) {
		t.Helper()
		l := ls[i]
		p.waitJS("lesson "+l.ID+" open", fmt.Sprintf(`(() => {
			const h = document.querySelector("#panel-lesson article.lesson:not([hidden]) h2");
			return h !== null && h.textContent === %q;
		})()`, l.Title), stepTimeout)
		if n := evalJS[int](p, `document.querySelectorAll("#panel-lesson article.lesson .lesson-tasks > li").length`); n != len(l.Tasks) {
			t.Errorf("lesson %s: %d tasks shown, want %d", l.ID, n, len(l.Tasks))
		}
		if n := evalJS[int](p, `document.querySelectorAll("#panel-lesson article.lesson .lesson-docs > li").length`); n != len(l.Docs) {
			t.Errorf("lesson %s: %d documentation links shown, want %d", l.ID, n, len(l.Docs))
		}
		if evalJS[bool](p, `document.querySelector("#panel-lesson details.lesson-index").open`) {
			t.Errorf("lesson %s: the list is still open over it", l.ID)
		}
	}
	for _, i := range []int{0, len(ls) - 1} {
		p.do(chromedp.Navigate("about:blank"))
		p.do(chromedp.Navigate(pg.URL() + "#lesson=" + ls[i].ID))
		whole(i)
	}
	// Another lesson's link followed, the page parsed and still no
	// program: the hash changes (as a click on the list does).
	evalJS[bool](p, fmt.Sprintf(`(location.hash = "#lesson=" + %q, true)`, ls[1].ID))
	whole(1)
}

// TestLessonTextWhenTheParserPausesInThePanel: a lesson link opens its
// lesson without the program although the document arrives in two parts,
// the first ending just inside the lessons panel, as a parser that yields
// there sees it. The preview looked for the panel's article once, when it
// first found the panel, and then showed only the list (seen now and then
// with the program blocked, once in CI).
func TestLessonTextWhenTheParserPausesInThePanel(t *testing.T) {
	ls, err := lessons.Load(os.DirFS("../../lessons"), ".")
	if err != nil {
		t.Fatal(err)
	}
	l := ls[3]
	pg := startPlayground(t, "127.0.0.1:0")
	html, err := fs.ReadFile(dist(t), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(html, []byte(`id="panel-lesson"`))
	if start < 0 {
		t.Fatal("no lessons panel in index.html")
	}
	cut := start + bytes.IndexByte(html[start:], '>') + 1
	target, _ := url.Parse(pg.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			proxy.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(html[:cut])
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond) // the parser has what it has
		w.Write(html[cut:])
	}))
	t.Cleanup(front.Close)
	p := newPage(t, front.URL+"/")
	blockWasm(t, p)
	p.do(chromedp.Navigate(front.URL + "/#lesson=" + l.ID))
	p.waitJS("the lesson's text without the program", fmt.Sprintf(`(() => {
		const h = document.querySelector("#panel-lesson article.lesson:not([hidden]) h2");
		return h !== null && h.textContent === %q;
	})()`, l.Title), stepTimeout)
}
