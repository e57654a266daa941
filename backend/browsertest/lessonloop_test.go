package browsertest

import (
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
	p.waitJS("lesson 9's run", `document.documentElement.dataset.runEnded !== undefined`, 10*time.Second)
	if got := evalJS[string](p, `document.getElementById("server-runtime").dataset.runtime`); got != "go" {
		t.Errorf("Run ran %s, not lesson 9's Go server", got)
	}
	p.screenshot("lesson-9-after-next")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// TestNoCreditFromAnotherLesson: lesson 2's solution run passes its
// tasks; Next to lesson 3 shows none passing and saves none, and a task
// done before says so in words, not with a green tick over red checks.
func TestNoCreditFromAnotherLesson(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.do(chromedp.Navigate(p.url + "#lesson=close-on-node20"))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("lesson 2", `document.getElementById("lesson-solution") !== null && document.getElementById("server-runtime").dataset.runtime !== undefined`, stepTimeout)
	p.click("#lesson-solution")
	p.click("#run")
	p.waitJS("lesson 2's tasks", `document.querySelectorAll('[data-task]').length > 0 && document.querySelectorAll('[data-task][data-pass="false"]').length === 0`, 12*time.Second)
	p.click("#lesson-next")
	p.waitJS("lesson 3", `location.hash === "#lesson=destroy"`, stepTimeout)
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
