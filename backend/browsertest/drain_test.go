package browsertest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestLessonGracefulDrain does the lesson on graceful shutdown behind a
// proxy as a learner would: run it and see nginx's 502s, then make
// /deploy drain first in the editor (its readiness route is already
// there), run again, and see the readiness check's 503, the request
// served while draining, no 502, both tasks pass, and the drain in the
// Code tab.
func TestLessonGracefulDrain(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.do(chromedp.Navigate(p.url + "#lesson=graceful-behind-proxy"))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("the lesson", `document.getElementById("lesson-run") !== null`, stepTimeout)
	p.click("#lesson-run")
	recv := func(conn string) string {
		return fmt.Sprintf(`(document.querySelector('#conn-%s .conn-recv')||{textContent:""}).textContent`, conn)
	}
	p.waitJS("nginx's 502 on C", recv("C")+`.includes("502 Bad Gateway")`, runTimeout)

	p.click("#tab-editor")
	// The routes' selects by position: /ready, /slow, /deploy, *.
	sel := func(i int, name string) string {
		return fmt.Sprintf(`document.querySelectorAll('#panel-editor [id^="ed-r"][id$="-%s"]')[%d]`, name, i)
	}
	p.waitJS("the routes", sel(2, "then")+` !== undefined`, stepTimeout)
	if got := evalJS[string](p, sel(0, "readiness")+`.value`); got != "true" {
		t.Errorf("/ready's readiness select is %q, want true", got)
	}
	if !evalJS[bool](p, `Array.from(`+sel(2, "then")+`.options).some(o => o.value === "drain, shutdown")`) {
		t.Fatal(`the then select does not offer "drain, shutdown"`)
	}
	evalJS[bool](p, `(() => { const e = `+sel(2, "then")+`; e.value = "drain, shutdown";
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return true })()`)
	p.screenshot("lesson-drain-editor")
	p.click("#run")
	p.waitJS("task 2", `document.querySelector('[data-task="2"][data-pass="true"]') !== null`, runTimeout)
	p.waitJS("task 1", `document.querySelector('[data-task="1"][data-pass="true"]') !== null`, 5*time.Second)
	if got := evalJS[string](p, recv("H")); !strings.Contains(got, "503 Service Unavailable") || !strings.Contains(got, "draining") {
		t.Errorf("H, the readiness check, received no 503 draining:\n%s", got)
	}
	for _, c := range []string{"A", "B", "C", "H"} {
		if got := evalJS[string](p, recv(c)); strings.Contains(got, "502") {
			t.Errorf("a 502 on %s after draining:\n%s", c, got)
		}
	}
	p.screenshot("lesson-drain-done")
	p.click("#tab-code")
	code := evalJS[string](p, `document.getElementById("code-view").textContent`)
	for _, want := range []string{"var ready atomic.Bool", "if !ready.Load() {", "ready.Store(false)", "time.AfterFunc(drainPeriod, func() {", "drainPeriod = 1 * time.Second"} {
		if !strings.Contains(code, want) {
			t.Errorf("the Code tab's program lacks %q:\n%s", want, code)
		}
	}
	p.screenshot("lesson-drain-code")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
