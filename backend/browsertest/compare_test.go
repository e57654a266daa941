package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// idleAtClose calls close() while A is idle: Node 18 leaves A open, Node
// 19 and later close it at once.
const idleAtClose = `{"v":1,"title":"close() with A idle","server":{"runtime":"node18","routes":[{"path":"/close","body":"bye","then":"close"},{"path":"*","body":"hi"}]},
 "client":{"steps":[{"at":0,"conn":"A","send":"GET / HTTP/1.1\r\nHost: demo\r\n\r\n"},{"at":300,"conn":"B","send":"GET /close HTTP/1.1\r\nHost: demo\r\n\r\n"}]},"durationMs":1500%s}`

// waitCompared waits for the compare view to finish and returns the
// partings' sentences.
func waitCompared(p *page) []string {
	p.t.Helper()
	p.waitJS("the comparison to end", `document.getElementById("compare").dataset.state === "done"`, stepTimeout*2)
	p.nextFrame()
	return evalJS[[]string](p, `[...document.querySelectorAll("#compare-partings li")].map(li => li.textContent)`)
}

// TestCompareLinkRunsTheComparison: a shared link whose scenario carries a
// comparison opens the compare view and runs it: both runs drawn one above
// the other, where they part numbered and said in a sentence naming both.
func TestCompareLinkRunsTheComparison(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(mustDecode(t, strings.Replace(idleAtClose, "%s", `,"compare":{"runtimes":["node18","node26"]}`, 1)))
	parts := waitCompared(p)
	onA := false
	for _, s := range parts {
		if strings.Contains(s, "node18") && strings.Contains(s, "node26") && strings.Contains(s, "A") {
			onA = true
		}
	}
	if !onA {
		t.Errorf("want a parting on A naming node18 and node26, got %q", parts)
	}
	heads := evalJS[[]string](p, `[...document.querySelectorAll("#compare-view svg text[font-weight]")].map(t => t.textContent).filter(t => t.includes(" · "))`)
	if len(heads) < 2 || !strings.HasPrefix(heads[0], "node18 · ended at") || !strings.HasPrefix(heads[1], "node26 · ended at") {
		t.Errorf("run headings %q, want node18 then node26, each with its end", heads)
	}
	status := evalJS[string](p, `document.getElementById("compare-status").textContent`)
	if !strings.Contains(status, "part at") {
		t.Errorf("status %q", status)
	}
	// The comparison's link is the scenario's: Share carries it.
	p.click("#share")
	p.waitJS("the share link", `(document.getElementById("share").dataset.link || "").includes("#s=")`, stepTimeout)
	p.screenshot("compare-link-node18-node26")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// TestComparePickedByHand: Compare… opens the picker on the scenario's
// runtime and a contrasting one; a knob's values compare too, and a
// picker that asks for too little says so without a round trip.
func TestComparePickedByHand(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(mustDecode(t, `{"v":1,"title":"one idle connection","server":{"runtime":"node26"},
	 "client":{"steps":[{"at":0,"conn":"A","send":"GET / HTTP/1.1\r\nHost: demo\r\n\r\n"}]},"durationMs":2500}`))
	p.click("#compare-open")
	checked := evalJS[[]string](p, `[...document.querySelectorAll("#compare-runtimes input:checked")].map(i => i.value)`)
	if len(checked) != 2 || !strings.Contains(strings.Join(checked, ","), "node26") {
		t.Fatalf("picked %q, want node26 and one more", checked)
	}
	// One runtime only: refused in words.
	p.waitJS("untick one", `(() => { document.querySelector("#compare-runtimes input:checked").click(); return true })()`, stepTimeout)
	p.click("#compare-run")
	p.waitJS("the refusal", `document.getElementById("compare-status").textContent.includes("pick 2 to 4 runtimes")`, stepTimeout)
	// A knob's values: keepAliveTimeoutMs 200 closes idle A within the run, 5000 does not.
	p.waitJS("pick a knob", `(() => { const m = document.getElementById("compare-mode"); m.value = "knob"; m.dispatchEvent(new Event("change")); const k = document.getElementById("compare-knob"); k.value = "keepAliveTimeoutMs"; document.getElementById("compare-values").value = "200, 5000"; return true })()`, stepTimeout)
	p.click("#compare-run")
	parts := waitCompared(p)
	if len(parts) == 0 || !strings.Contains(strings.Join(parts, "\n"), "keepAliveTimeoutMs=200") {
		t.Errorf("partings %q, want one naming keepAliveTimeoutMs=200", parts)
	}
	p.screenshot("compare-knob-keepalive")
	// Close: the scenario no longer carries the comparison.
	p.click("#compare-close")
	p.click("#share")
	p.waitJS("the share link", `(document.getElementById("share").dataset.link || "").includes("#s=")`, stepTimeout)
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// TestLessonCompareLink: a lesson's "compare side by side" link compares
// the lesson's scenario on screen, and the address goes back to the lesson.
func TestLessonCompareLink(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL()+"#lesson=release-lines")
	p.do(chromedp.Navigate(pg.URL() + "#lesson=release-lines"))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("the lesson's start", `document.getElementById("server-runtime").dataset.runtime === "node20"`, stepTimeout)
	p.click(`#panel-lesson a[href="#compare=node20,node24,node26"]`)
	parts := waitCompared(p)
	onB := false
	for _, s := range parts {
		onB = onB || strings.Contains(s, "node26: close() also closed idle B")
	}
	if !onB {
		t.Errorf("partings %q, want node26 closing idle B", parts)
	}
	if h := evalJS[string](p, `location.hash`); h != "#lesson=release-lines" {
		t.Errorf("address %q, want the lesson's", h)
	}
	p.screenshot("compare-lesson-release-lines")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
