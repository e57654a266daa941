package browsertest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestNextLoadsTheLesson: Next from lesson 8 (Node) to lesson 9 (Go)
// puts lesson 9's scenario on the playground, so the big Run runs it.
func TestNextLoadsTheLesson(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.do(chromedp.Navigate(p.url + "#lesson=close-idle-vs-all"))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("lesson 8's scenario", `document.getElementById("server-runtime").dataset.runtime === "node26"`, stepTimeout)
	p.click("#lesson-next")
	p.waitJS("lesson 9's Go server", `document.getElementById("server-runtime").dataset.runtime === "go"`, stepTimeout)
	if h := evalJS[string](p, `location.hash`); h != "#lesson=go-shutdown" {
		t.Errorf("address = %q", h)
	}
	p.click("#run")
	p.waitJS("lesson 9's run", `document.documentElement.dataset.runEnded !== undefined`, runTimeout)
	if got := evalJS[string](p, `document.getElementById("server-runtime").dataset.runtime`); got != "go" {
		t.Errorf("Run ran %s, not lesson 9's Go server", got)
	}
	p.screenshot("lesson-9-after-next")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// spaceInbound makes the messages the page's WebSocket receives arrive
// at least gap apart (in order), as a slow link drips them: what the
// backend sent in the same instant reaches the page over several frames.
func spaceInbound(t *testing.T, p *page, gap time.Duration) {
	t.Helper()
	src := fmt.Sprintf(`(() => {
		const add = WebSocket.prototype.addEventListener;
		let last = 0;
		WebSocket.prototype.addEventListener = function (type, fn, ...rest) {
			if (type !== "message") return add.call(this, type, fn, ...rest);
			return add.call(this, type, ev => {
				const at = Math.max(performance.now(), last + %d);
				last = at;
				setTimeout(() => fn(ev), at - performance.now());
			}, ...rest);
		};
	})()`, gap.Milliseconds())
	p.onEveryDocument(src)
}

// TestNoCreditFromAnotherLesson: lesson 2's solution run passes its
// tasks; Next to lesson 3 shows none passing and saves none, and a task
// done before says so in words, not with a green tick over red checks.
// Next is pressed the moment lesson 2's tasks pass, and the backend's
// messages come 100 ms apart, so the end of lesson 2's run (its last TCP
// states) reaches the page after lesson 3 is open: a page that checked
// lesson 3 against it credited lesson 3's task 2 (B answered).
func TestNoCreditFromAnotherLesson(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	spaceInbound(t, p, 100*time.Millisecond)
	p.do(chromedp.Navigate(p.url + "#lesson=close-on-node20"))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("lesson 2", `document.getElementById("lesson-solution") !== null && document.getElementById("server-runtime").dataset.runtime !== undefined`, stepTimeout)
	p.click("#lesson-solution")
	evalJS[bool](p, `(() => {
		const all = () => document.querySelectorAll('[data-task]').length > 0 && document.querySelectorAll('[data-task][data-pass="false"]').length === 0;
		const o = new MutationObserver(() => { if (all()) { o.disconnect(); document.getElementById("lesson-next").click() } });
		o.observe(document.getElementById("panel-lesson"), {subtree: true, attributes: true, attributeFilter: ["data-pass"]});
		return true })()`)
	p.click("#run")
	p.waitJS("lesson 3", `location.hash === "#lesson=destroy"`, 20*time.Second)
	// Past the rest of lesson 2's run and the answer to lesson 3's load.
	p.waitJS("lesson 3's run", `document.querySelector('[data-task] .task-checks li') !== null`, stepTimeout)
	time.Sleep(300 * time.Millisecond)
	p.nextFrame()
	if n := evalJS[int](p, `document.querySelectorAll('[data-task][data-pass="true"]').length`); n != 0 {
		t.Errorf("%d of lesson 3's tasks pass on lesson 2's run", n)
	}
	if got := evalJS[string](p, `localStorage.getItem("kap.progress") || ""`); strings.Contains(got, "destroy") {
		t.Errorf("lesson 3 credited from lesson 2's run: %s", got)
	}
	// Done before: back to lesson 2, whose scenario is loaded afresh (no run).
	p.click("#lesson-prev")
	p.waitJS("lesson 2 again", `location.hash === "#lesson=close-on-node20"`, stepTimeout)
	p.nextFrame()
	if n := evalJS[int](p, `[...document.querySelectorAll('[data-task]')].filter(li => li.querySelector(".task-before") && !li.querySelector(".task-before").hidden).length`); n == 0 {
		t.Errorf("no task says it was done before")
	}
	if n := evalJS[int](p, `[...document.querySelectorAll('[data-task] .task-mark')].filter(m => m.textContent === "✓").length`); n != 0 {
		t.Errorf("%d green ticks without a passing run", n)
	}
	p.screenshot("lesson-2-done-before")
}

// TestLessonWorkIsKept: an edit of a lesson's scenario survives Next and
// Previous and a reload; Show solution can be undone; Reset to the
// lesson's start forgets the edit.
func TestLessonWorkIsKept(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.do(chromedp.Navigate(p.url + "#lesson=destroy"))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("lesson 3", `document.getElementById("lesson-load") !== null`, stepTimeout)
	p.click("#tab-editor")
	p.waitJS("the start in the editor", `document.getElementById("ed-durationMs").value === "2000"`, stepTimeout)
	p.setField("ed-durationMs", "4321")
	time.Sleep(400 * time.Millisecond) // the editor's debounce
	p.click("#tab-lesson")
	p.click("#lesson-next")
	p.waitJS("lesson 4", `location.hash === "#lesson=netcat-timeout"`, stepTimeout)
	p.click("#lesson-prev")
	p.click("#tab-editor")
	p.waitJS("the edit back", `document.getElementById("ed-durationMs").value === "4321"`, stepTimeout)

	p.do(chromedp.Navigate(p.url + "#lesson=destroy"))
	p.do(chromedp.Reload())
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.click("#tab-editor")
	p.waitJS("the edit after a reload", `document.getElementById("ed-durationMs").value === "4321"`, stepTimeout)

	p.click("#tab-lesson")
	p.click("#lesson-solution")
	p.click("#lesson-undo")
	p.click("#tab-editor")
	p.waitJS("the attempt after Undo", `document.getElementById("ed-durationMs").value === "4321"`, stepTimeout)

	p.click("#tab-lesson")
	p.click("#lesson-load")
	p.click("#tab-editor")
	p.waitJS("the start after Reset", `document.getElementById("ed-durationMs").value === "2000"`, stepTimeout)
	p.screenshot("lesson-work-reset")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// TestEmbeddedLessonRunsTheLesson: `?embed=1#lesson=…` runs that lesson's
// scenario, not the default one (which has no steps).
func TestEmbeddedLessonRunsTheLesson(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.do(chromedp.Navigate(p.url + "?embed=1#lesson=destroy"))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("the lesson's title on the server", `document.getElementById("server-runtime").dataset.runtime === "node26"`, stepTimeout)
	p.click("#run")
	p.waitJS("the lesson's connection A", `document.querySelector('#timeline [data-conn="A"]') !== null`, 8*time.Second)
	p.waitJS("the run's end", `document.documentElement.dataset.runEnded !== undefined`, 8*time.Second)
	p.screenshot("embed-lesson-run")
}
