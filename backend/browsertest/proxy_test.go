package browsertest

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestProxyRaceInThePage runs the nginx lesson's solution in the page:
// the client's cards, the upstream lanes and the forward paths, nginx's
// own 502 with its log line, the hops' idle timeouts in the server strip
// and the nginx configuration in the Code tab.
func TestProxyRaceInThePage(t *testing.T) {
	data, err := os.ReadFile("../../lessons/21-nginx-post-502.solution.json")
	if err != nil {
		t.Fatal(err)
	}
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(mustDecode(t, string(data)))
	p.waitJS("the hops in the server strip", `!document.getElementById("server-hops").hidden && document.getElementById("server-hops").textContent.includes("nginx → app: 60 s")`, stepTimeout)
	p.waitJS("the warning about the app's idle timeout", `document.querySelector("#server-hops .hop-warn") !== null`, stepTimeout)
	p.click("#run")
	p.waitJS("the retried GET on u2", `document.querySelector('#timeline [data-conn="u2"]') !== null`, 8*time.Second)
	p.waitJS("nginx's 502 on A", `document.querySelector('#conn-A .conn-recv').textContent.includes("502 Bad Gateway")`, 8*time.Second)
	if n := evalJS[int](p, `document.querySelectorAll('#connections [data-label^="u"]').length`); n != 0 {
		t.Errorf("%d cards for the proxy's upstream connections; cards are the client's", n)
	}
	p.screenshot("proxy-nginx-race")
	p.do(chromedp.EmulateViewport(1280, 900), chromedp.Focus(chromedp.CSS("#timeline")), chromedp.KeyEvent("0"))
	evalJS[bool](p, `document.activeElement.blur(); document.getElementById("timeline").scrollIntoView(); true`)
	time.Sleep(150 * time.Millisecond)
	p.viewShot("proxy-nginx-race-view")

	p.click("#tab-code")
	code := evalJS[string](p, `document.getElementById("code-proxy").textContent`)
	for _, want := range []string{"upstream app {", "keepalive 4;", "proxy_http_version 1.1;", `proxy_set_header Connection "";`, "proxy_next_upstream error timeout;"} {
		if !strings.Contains(code, want) {
			t.Errorf("the Code tab's nginx configuration lacks %q:\n%s", want, code)
		}
	}
	p.screenshot("proxy-nginx-code")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// TestProxyInTheEditor: the editor keeps the proxy, shows its kind's
// knobs, and warns when the app's idle timeout is not longer than the
// balancer's; fixing the knob clears the warning.
func TestProxyInTheEditor(t *testing.T) {
	data, err := os.ReadFile("../../lessons/20-alb-502.start.json")
	if err != nil {
		t.Fatal(err)
	}
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(mustDecode(t, string(data)))
	p.click("#tab-editor")
	p.waitJS("the proxy section", `document.getElementById("ed-proxy-kind") !== null && document.getElementById("ed-proxy-kind").value === "alb"`, stepTimeout)
	if hidden := evalJS[bool](p, `document.querySelector('[data-proxy-knob="keepalive"]').hidden`); !hidden {
		t.Errorf("nginx's keepalive knob is shown for an ALB")
	}
	p.waitJS("the warning", `!document.getElementById("ed-warnings").hidden && document.getElementById("ed-warnings").textContent.includes("server.keepAliveTimeoutMs")`, stepTimeout)
	p.screenshot("proxy-editor-warning")
	p.setField("ed-server-keepAliveTimeoutMs", "65000")
	p.waitJS("the warning gone", `document.getElementById("ed-warnings").hidden`, stepTimeout)
	// The strip shows what runs: the fix, once it is run.
	p.click("#run")
	p.waitJS("the fix in the strip", `document.getElementById("server-hops").textContent.includes("app (node26): 66 s") && !document.querySelector("#server-hops .hop-warn")`, stepTimeout)
	p.waitJS("the request at 6 s answered", `document.querySelector('#timeline [data-conn="A"]') !== null`, stepTimeout)
	p.screenshot("proxy-editor-fixed")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// TestLessonIntermittent502 does the load-balancer lesson as a learner
// would: run it and watch the balancer's own 502 arrive on A, then raise
// keepAliveTimeout above the balancer's idle timeout in the editor, run
// again, and see both tasks pass.
func TestLessonIntermittent502(t *testing.T) {
	// Its two runs wait out the balancer's 20 s: beside the other tests.
	t.Parallel()
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.do(chromedp.Navigate(p.url + "#lesson=alb-502"))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("the lesson", `document.getElementById("lesson-run") !== null`, stepTimeout)
	p.click("#lesson-run")
	p.waitJS("the ALB in the strip", `document.getElementById("server-hops").textContent.includes("ALB → app: 60 s")`, stepTimeout)
	p.waitJS("the balancer's 502 on A", `(document.querySelector('#conn-A .conn-recv')||{textContent:""}).textContent.includes("502 Bad Gateway")`, runTimeout)
	if n := evalJS[int](p, `document.querySelectorAll('[data-task][data-pass="true"]').length`); n != 0 {
		t.Errorf("%d tasks pass before the fix", n)
	}
	p.screenshot("lesson-alb-502-before")
	p.click("#tab-editor")
	p.setField("ed-server-keepAliveTimeoutMs", "65000")
	p.setField("ed-server-headersTimeoutMs", "66000")
	p.waitJS("no warning left", `document.getElementById("ed-warnings").hidden`, stepTimeout)
	p.click("#run")
	p.waitJS("task 1", `document.querySelector('[data-task="1"][data-pass="true"]') !== null`, runTimeout)
	p.waitJS("task 2", `document.querySelector('[data-task="2"][data-pass="true"]') !== null`, 25*time.Second)
	if got := evalJS[string](p, `document.querySelector('#conn-A .conn-recv').textContent`); strings.Contains(got, "502") {
		t.Errorf("a 502 after the fix:\n%s", got)
	}
	p.screenshot("lesson-alb-502-fixed")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
