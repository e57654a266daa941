package browsertest

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCompleteLessonOne does lesson 1 as a person would: run the lesson's
// scenario, reuse connection A by hand after close(), open a new
// connection B, and wait for Node 18's keepAliveTimeout to let the
// process exit. Every task turns green and the lesson is marked done.
func TestCompleteLessonOne(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.do(chromedp.Navigate(p.url + "#lesson=close-in-handler"))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("lesson 1", `document.getElementById("lesson-run") !== null`, stepTimeout)
	if n := evalJS[int](p, `document.querySelectorAll('[data-task][data-pass="true"]').length`); n != 0 {
		t.Fatalf("%d tasks pass before anything ran", n)
	}
	p.click("#lesson-run")
	p.waitJS("the scenario on node18", `document.getElementById("server-runtime").dataset.runtime === "node18"`, stepTimeout)
	// The start's run (2.5 s) ends before Node 18's 5 s keepAliveTimeout:
	// task 3 cannot pass on it.
	p.waitJS("the start's run ends", `document.documentElement.dataset.runEnded === "duration"`, 8*time.Second)
	if evalJS[bool](p, `document.querySelector('[data-task="3"][data-pass="true"]') !== null`) {
		t.Errorf("task 3 passed on the unchanged start")
	}
	// Task 3's hint: make the run last 6.5 s.
	p.click("#tab-editor")
	p.setField("ed-durationMs", "6500")
	p.click("#run")
	p.waitJS("a new run", `document.documentElement.dataset.runEnded === undefined`, stepTimeout)
	p.click("#tab-lesson")
	p.waitJS("the first answer on A", `(document.querySelector('#conn-A .conn-recv')||{textContent:""}).textContent.includes("200 OK")`, stepTimeout)
	p.waitJS("close() called", `document.querySelector('#timeline [data-server-event="close-called"]') !== null`, stepTimeout)

	// Task 1: reuse A by hand.
	p.click(`#conn-A .conn-btns button:first-child`)
	p.click(`#conn-A .conn-send button`)
	p.waitJS("task 1", `document.querySelector('[data-task="1"][data-pass="true"]') !== null`, stepTimeout)
	// Task 2: a new connection is refused.
	p.click("#new-conn")
	p.waitJS("task 2", `document.querySelector('[data-task="2"][data-pass="true"]') !== null`, stepTimeout)
	// Task 3: Node 18's keepAliveTimeout (5 s) closes A, then the process exits.
	p.waitJS("task 3", `document.querySelector('[data-task="3"][data-pass="true"]') !== null`, runTimeout)
	p.waitJS("lesson done", `document.querySelector('[data-lesson="close-in-handler"][data-done="true"]') !== null`, stepTimeout)
	if got := evalJS[string](p, `localStorage.getItem("kap.progress") || ""`); !strings.Contains(got, "close-in-handler") {
		t.Errorf("progress not kept in the browser: %q", got)
	}
	p.screenshot("lesson-1-done")
	// The README's picture: the top of the page, lesson and timeline.
	p.do(chromedp.EmulateViewport(1280, 860), chromedp.Focus(chromedp.CSS("#timeline")), chromedp.KeyEvent("0"))
	evalJS[bool](p, `document.activeElement.blur(); window.scrollTo(0, 0); true`)
	time.Sleep(100 * time.Millisecond)
	p.viewShot("lesson-1-view")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
