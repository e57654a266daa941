package browsertest

import (
	"fmt"

	"github.com/chromedp/chromedp"
	"strings"
	"testing"
	"time"
)

// setField types a value into an editor control as a person would: the
// value changes and the control fires input and change.
func (p *page) setField(id, value string) {
	p.t.Helper()
	p.waitJS(id, fmt.Sprintf(`%s !== null`, fieldJS(id)), stepTimeout)
	evalJS[bool](p, fmt.Sprintf(`(() => { const e = %s; e.focus(); e.value = %q;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true}));
		e.blur(); return true })()`, fieldJS(id), value))
}

func (p *page) field(id string) string {
	return evalJS[string](p, fmt.Sprintf(`(%s||{}).value ?? "<missing>"`, fieldJS(id)))
}

// fieldJS finds an editor control: "ed-title" by id, "step1.conn" as the
// conn control of the second client step (step rows keep their own ids
// while they are reordered, so they are found by position).
func fieldJS(id string) string {
	var n int
	var name string
	if _, err := fmt.Sscanf(id, "step%d.%s", &n, &name); err == nil {
		return fmt.Sprintf(`(document.querySelectorAll('#panel-editor [id^="ed-s"][id$="-%s"]')[%d] || null)`, name, n)
	}
	return fmt.Sprintf(`document.getElementById(%q)`, id)
}

// TestShareLinkRestoresEverything builds a scenario in the editor,
// shares it, opens the link in a fresh browser, and finds every field
// restored and the same timeline when both run.
func TestShareLinkRestoresEverything(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(nil)
	p.click("#tab-editor")
	fields := []struct{ id, value string }{
		{"ed-title", "Shared from the editor"},
		{"ed-server-runtime", "node18"},
		{"ed-server-keepAliveTimeoutMs", "300"},
		{"ed-durationMs", "2000"},
	}
	for _, f := range fields {
		p.setField(f.id, f.value)
	}
	p.click(`[data-act="add-step"]`)
	p.setField("step0.conn", "A")
	p.setField("step0.at", "0")
	p.click(`[data-act="add-step"]`)
	p.setField("step1.conn", "B")
	p.setField("step1.at", "500")
	// Let the editor's debounce hand the scenario to the page.
	time.Sleep(400 * time.Millisecond)
	ids := []string{"ed-title", "ed-server-runtime", "ed-server-keepAliveTimeoutMs", "ed-durationMs",
		"step0.conn", "step0.at", "step0.action", "step0.request-path",
		"step1.conn", "step1.at", "step1.action", "step1.request-path"}
	want := map[string]string{}
	for _, id := range ids {
		want[id] = p.field(id)
	}
	if want["ed-server-runtime"] != "node18" || want["ed-title"] != "Shared from the editor" {
		t.Fatalf("the editor did not take the values: %v", want)
	}

	p.click("#share")
	p.waitJS("the link", `document.getElementById("share").dataset.link !== undefined`, stepTimeout)
	link := evalJS[string](p, `document.getElementById("share").dataset.link`)
	if !strings.Contains(link, "#s=") {
		t.Fatalf("link = %q", link)
	}
	t.Logf("link: %d characters", len(link))
	p.click("#run")
	p.waitJS("the run", `document.querySelector('#timeline [data-conn="B"]') !== null`, stepTimeout)

	q := newPage(t, link)
	q.do(chromedp.Navigate(link))
	q.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	q.waitJS("the scenario", `document.getElementById("server-runtime").dataset.runtime === "node18"`, stepTimeout)
	for _, id := range ids {
		if got := q.field(id); got != want[id] {
			t.Errorf("%s = %q after opening the link, want %q", id, got, want[id])
		}
	}
	q.waitJS("the offer to run it", `!document.getElementById("notice").hidden && document.getElementById("notice").textContent.includes("Run it")`, stepTimeout)
	q.click("#notice button")
	q.waitJS("the run", `document.querySelector('#timeline [data-conn="B"]') !== null`, stepTimeout)
	// Both runs last the scenario's 2 s; compare once both are over.
	time.Sleep(2500 * time.Millisecond)
	if a, b := timelineShape(p), timelineShape(q); a != b {
		t.Errorf("timelines differ:\nshared page:\n%s\nopened link:\n%s", a, b)
	}
	q.screenshot("share-opened")
}
