package browsertest

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPhoneRunShowsTheTimeline: on a 390×844 phone the timeline is far
// below the lesson's Run it; pressing it brings the timeline into view.
func TestPhoneRunShowsTheTimeline(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.do(chromedp.EmulateViewport(390, 844))
	p.do(chromedp.Navigate(pg.URL() + "#lesson=close-in-handler"))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("the lesson", `document.getElementById("lesson-run") !== null`, stepTimeout)
	if top := evalJS[float64](p, `document.getElementById("timeline").getBoundingClientRect().top`); top < 844 {
		t.Fatalf("the timeline is at %v px before Run: this test needs it out of view", top)
	}
	p.click("#lesson-run")
	p.waitJS("the timeline in view", `(() => { const r = document.getElementById("timeline").getBoundingClientRect(); return r.top >= -1 && r.top < innerHeight / 2 })()`, stepTimeout)
	p.viewShot("phone-run-timeline")
}

// TestLegendOnceSeen: the legend is open on a person's first visit and
// closed on the next, unless they opened it again.
func TestLegendOnceSeen(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(nil)
	evalJS[bool](p, `localStorage.removeItem("kap.legend"), true`)
	open := func() bool { return evalJS[bool](p, `document.querySelector(".tl-legend-box").open`) }
	reload := func() {
		p.do(chromedp.Reload())
		p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	}
	reload()
	if !open() {
		t.Error("first visit: the legend is closed")
	}
	reload()
	if open() {
		t.Error("second visit: the legend is still open")
	}
	p.click(".tl-legend-box summary")
	time.Sleep(50 * time.Millisecond) // the toggle event is async
	reload()
	if !open() {
		t.Error("opened by the person: the legend closed again on reload")
	}
}

// TestFinishedCourse: with every lesson done, the course says so.
func TestFinishedCourse(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(nil)
	p.waitJS("the course", `document.querySelectorAll("#panel-lesson li a[href^='#lesson=']").length > 0`, stepTimeout)
	// Every task of every lesson done, as the page stores it.
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`(async () => {
		const c = await (await fetch("/lessons.json")).json();
		const done = {};
		for (const l of c.lessons) done[l.id] = l.tasks.map((_, i) => i + 1);
		localStorage.setItem("kap.progress", JSON.stringify({v: 1, done}));
		return true
	})()`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.Reload())
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("the finished course", `[...document.querySelectorAll("[data-finished]")].some(e => e.textContent.includes("finished the course"))`, stepTimeout)
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
