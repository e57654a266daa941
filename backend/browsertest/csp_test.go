package browsertest

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCSPBlocksInlineScript injects inline script the ways an attacker
// would (a script element, an event handler attribute) and finds that the
// page's Content-Security-Policy runs neither.
func TestCSPBlocksInlineScript(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(nil)
	evalJS[bool](p, `(() => {
		const s = document.createElement("script");
		s.textContent = "window.__inline = 1";
		document.body.appendChild(s);
		document.body.insertAdjacentHTML("beforeend", '<img src="data:," onerror="window.__handler = 1" onload="window.__handler = 1">');
		return true })()`)
	time.Sleep(300 * time.Millisecond)
	if ran := evalJS[bool](p, `window.__inline === 1 || window.__handler === 1`); ran {
		t.Error("inline script ran despite the CSP")
	}
	if len(p.problemsExcept("Content Security Policy", "Content-Security-Policy")) > 0 {
		t.Errorf("unexpected problems: %v", p.problemsExcept("Content Security Policy", "Content-Security-Policy"))
	}
}

// TestEmbedShowsJustTheTimeline opens the embed form for slides and blog
// posts: the timeline and the Run button, nothing else.
func TestEmbedShowsJustTheTimeline(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL()+"?embed=1")
	p.do(chromedp.Navigate(p.url))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	visible := func(sel string) bool {
		return evalJS[bool](p, `(() => { const e = document.querySelector("`+sel+`"); return !!e && getComputedStyle(e).display !== "none" && e.getClientRects().length > 0 })()`)
	}
	for _, sel := range []string{"#timeline", "#run"} {
		if !visible(sel) {
			t.Errorf("%s is hidden in the embed", sel)
		}
	}
	for _, sel := range []string{".side", "#connections", "#composer", "#share", "#server-actions"} {
		if visible(sel) {
			t.Errorf("%s shows in the embed", sel)
		}
	}
	p.click("#run")
	p.waitJS("the run on the timeline", `document.querySelector('#timeline [data-server-event="listen"]') !== null`, stepTimeout)
	p.viewShot("embed")
}
