package browsertest

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// diffText is what a person reads in the open comparison: its summary,
// each change on a line of its own.
const diffText = `(() => { const v = document.getElementById("lesson-diff-view");
	if (!v || v.hidden || v.getBoundingClientRect().height === 0) return "<hidden>";
	return [...v.querySelectorAll(".diff-summary, .diff-changes li")].map(e => e.innerText).join("\n") })()`

// TestCompareWithTheSolution: in lesson 4 the comparison says in words
// what the solution changes; after an edit it follows the edit (the
// fixed knob gone, the new mistake listed), the JSON view shows the
// changed line, and after Show solution it compares the attempt the
// solution replaced.
func TestCompareWithTheSolution(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.do(chromedp.Navigate(p.url + "#lesson=netcat-timeout"))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("lesson 4", `document.getElementById("lesson-diff") !== null && document.getElementById("lesson-title").textContent !== ""`, stepTimeout)

	p.click("#lesson-diff")
	p.waitJS("the comparison", diffText+` !== "<hidden>"`, stepTimeout)
	got := evalJS[string](p, diffText)
	for _, want := range []string{
		"differs from the solution in 2 places",
		"Keep-alive timeout server.keepAliveTimeoutMs 5000 ms (the default) → 0 ms (off)",
		`A step of connection A client.steps[1] only in the solution: at 2000 ms, A sends "GET /test HTTP/1.1" …`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the comparison does not say %q; it says:\n%s", want, got)
		}
	}
	if e := evalJS[string](p, `document.getElementById("lesson-diff").getAttribute("aria-expanded")`); e != "true" {
		t.Errorf("aria-expanded = %q", e)
	}

	// Fix the knob, break the run's length: the open comparison follows.
	p.click("#tab-editor")
	p.setField("ed-server-keepAliveTimeoutMs", "0")
	p.setField("ed-durationMs", "4321")
	time.Sleep(400 * time.Millisecond) // the editor's debounce
	p.click("#tab-lesson")
	p.waitJS("the comparison after the edit", diffText+`.includes("4321")`, stepTimeout)
	got = evalJS[string](p, diffText)
	if strings.Contains(got, "keepAliveTimeoutMs") {
		t.Errorf("the fixed knob is still listed:\n%s", got)
	}
	if want := "Run length durationMs 4321 ms → 7000 ms"; !strings.Contains(got, want) {
		t.Errorf("the comparison does not say %q; it says:\n%s", want, got)
	}

	// The JSON, line by line.
	p.click("#lesson-diff-view .diff-json > summary")
	p.nextFrame()
	lines := strings.Split(evalJS[string](p, `document.querySelector("#lesson-diff-view .diff-lines").innerText`), "\n")
	has := func(mark, text string) bool {
		for _, l := range lines {
			if strings.HasPrefix(l, mark) && strings.Contains(l, text) {
				return true
			}
		}
		return false
	}
	for _, want := range [][2]string{{"- ", `"durationMs": 4321`}, {"+ ", `"durationMs": 7000`}, {"  ⋯ ", "unchanged lines"}} {
		if !has(want[0], want[1]) {
			t.Errorf("the JSON view lacks %q on a %q line:\n%s", want[1], want[0], strings.Join(lines, "\n"))
		}
	}
	if has("- ", `"title"`) || has("+ ", `"title"`) {
		t.Errorf("the JSON view lists the title as a difference:\n%s", strings.Join(lines, "\n"))
	}
	p.screenshot("lesson-diff-edited")

	// Show solution: the comparison is of the attempt it replaced.
	p.click("#lesson-solution")
	p.waitJS("the comparison after Show solution", diffText+`.includes("before Show solution")`, stepTimeout)
	if got := evalJS[string](p, diffText); !strings.Contains(got, "4321 ms → 7000 ms") {
		t.Errorf("after Show solution the comparison lost the attempt:\n%s", got)
	}
	p.click("#lesson-undo")
	p.waitJS("the comparison after Undo", diffText+`.includes("differs from the solution in 2 places")`, stepTimeout)

	// Hide it; another lesson opens with it closed.
	p.click("#lesson-diff")
	if got := evalJS[string](p, diffText); got != "<hidden>" {
		t.Errorf("the comparison stays after Hide:\n%s", got)
	}
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
