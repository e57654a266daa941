package browsertest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// sendOn picks a "Send on" choice and sends the composer's request,
// then waits for its line (the n+1th answer) and returns it.
func (p *page) sendOn(value string) string {
	p.t.Helper()
	n := evalJS[int](p, `document.querySelectorAll(".composer-out li:not([data-loading])").length`)
	p.do(chromedp.SetValue(chromedp.CSS("#req-target"), value))
	p.click(`#composer button[type="submit"]`)
	p.waitJS("the answer through "+value, fmt.Sprintf(`document.querySelectorAll(".composer-out li:not([data-loading])").length > %d`, n), readyTimeout+10*time.Second)
	return evalJS[string](p, `document.querySelector(".composer-out li").textContent`)
}

// sockLine is the pool panel's line of one socket.
func (p *page) sockLine(pool, label string) string {
	return evalJS[string](p, fmt.Sprintf(`(document.querySelector('#pool-state article[data-pool=%q] li[data-label=%q]') || {textContent: ""}).textContent`, pool, label))
}

// release is the exact release of a Node line, from the runtime table.
func release(t *testing.T, name string) string {
	rt, ok := scenario.Lookup(name)
	if !ok {
		t.Fatalf("no runtime %s", name)
	}
	return rt.Release
}

// TestComposerNodeAgents sends through Node 26's http.Agent and Node 18's
// http.globalAgent from the composer: each answers in its own words
// (req.reusedSocket), is a pool of its own (n26-1, g18-1), has
// cards in the Connections panel and outcomes on the timeline, and the
// pool panel shows its sockets: a kept socket free with no timer (no
// timeout option), Node 18's global agent closing each socket (keepAlive
// off), Node 26's global agent's free socket counting down from the
// server's Keep-Alive hint less the buffer, and Go's from IdleConnTimeout.
func TestComposerNodeAgents(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	dir := p.downloads()
	p.open(mustDecode(t, `{"v":1,"title":"Node's agents","server":{"runtime":"node26"},"durationMs":120000}`))
	n26, n18 := release(t, "node26"), release(t, "node18")
	agent26, glob18, glob26 := scenario.ComposerAgentPrefix("node26", false), scenario.ComposerAgentPrefix("node18", true), scenario.ComposerAgentPrefix("node26", true)

	labels := evalJS[string](p, `[...document.getElementById("req-target").options].map(o => o.textContent).join("\n")`)
	for _, want := range []string{"a new connection", "Go net/http Transport", "Node " + n26 + " http.Agent (keepAlive: true)",
		"Node " + n18 + " http.globalAgent (keepAlive off)", "Node " + n26 + " http.globalAgent (keepAlive, timeout 5000 ms)"} {
		if !strings.Contains(labels, want) {
			t.Errorf("Send on offers\n%s\nwithout %q", labels, want)
		}
	}

	first := p.sendOn("+" + agent26)
	second := p.sendOn("+" + agent26)
	t.Logf("%s\n%s", first, second)
	if !strings.HasPrefix(first, "Node "+n26+" http.Agent (keepAlive: true): GET / → 200") || !strings.Contains(first, agent26+"1, req.reusedSocket false") {
		t.Errorf("the first answer: %q", first)
	}
	if !strings.Contains(second, agent26+"1, req.reusedSocket true") {
		t.Errorf("the second answer did not reuse %s1: %q", agent26, second)
	}
	// The panel draws on the next frame, after pool.wasm's report.
	p.waitJS("n26-1 free after two requests in the panel", fmt.Sprintf(`(li => li !== null && li.textContent.includes("(2 requests)"))(document.querySelector('#pool-state article[data-pool=%q] li[data-label="%s1"][data-state="free"]'))`, agent26, agent26), stepTimeout)
	p.waitJS("both requests in the panel", fmt.Sprintf(`document.querySelectorAll('#pool-state article[data-pool=%q] .pool-reqs li[data-done="true"]').length === 2`, agent26), stepTimeout)
	if l := p.sockLine(agent26, agent26+"1"); !strings.Contains(l, "(2 requests)") || !strings.Contains(l, "no timer") {
		t.Errorf("%s1 in the panel: %q", agent26, l)
	}
	reqs := evalJS[string](p, fmt.Sprintf(`document.querySelector('#pool-state article[data-pool=%q] .pool-reqs').textContent`, agent26))
	if !strings.Contains(reqs, agent26+"1, new · 200") || !strings.Contains(reqs, agent26+"1, reused · 200") {
		t.Errorf("the panel's requests: %q", reqs)
	}
	card := evalJS[string](p, fmt.Sprintf(`(document.querySelector('#conn-%s1[data-pooled="true"]') || {textContent: ""}).textContent`, agent26))
	if !strings.Contains(card, "Node "+n26+" http.Agent") || !strings.Contains(card, "HTTP/1.1 200 OK") {
		t.Errorf("%s1's card: %q", agent26, card)
	}

	// Node 18's global agent does not keep sockets: a new one each time.
	g1 := p.sendOn("+" + glob18)
	g2 := p.sendOn("+" + glob18)
	t.Logf("%s\n%s", g1, g2)
	if !strings.HasPrefix(g1, "Node "+n18+" http.globalAgent (keepAlive off): GET / → 200") || !strings.Contains(g2, glob18+"2, req.reusedSocket false") {
		t.Errorf("Node 18's global agent answered %q then %q", g1, g2)
	}
	p.waitJS("g18-1 closed", fmt.Sprintf(`document.querySelector('#pool-state li[data-label="%s1"][data-state="closed"]') !== null`, glob18), stepTimeout)
	if l := p.sockLine(glob18, glob18+"1"); !strings.Contains(l, "closed by the agent") {
		t.Errorf("%s1 in the panel: %q", glob18, l)
	}

	// Node 26's global agent: timeout 5000, lowered to the server's
	// Keep-Alive: timeout=5 less 1000 ms: the free socket's 4 s count down.
	p.sendOn("+" + glob26)
	p.waitJS("g26-1 counting down", fmt.Sprintf(`document.querySelector('#pool-state li[data-label="%s1"] .sock-left') !== null`, glob26), stepTimeout)
	left := func() float64 {
		p.nextFrame()
		s := evalJS[string](p, fmt.Sprintf(`document.querySelector('#pool-state li[data-label="%s1"] .sock-left').textContent`, glob26))
		v, err := strconv.ParseFloat(strings.TrimSuffix(s, " s left"), 64)
		if err != nil {
			t.Fatalf("the countdown says %q", s)
		}
		return v
	}
	l1 := left()
	time.Sleep(400 * time.Millisecond)
	l2 := left()
	t.Logf("countdown %.1f s, then %.1f s", l1, l2)
	if l1 > 4.0 || l2 >= l1 || l1-l2 < 0.2 {
		t.Errorf("the free socket's countdown went %.1f s → %.1f s in 400 ms; want it below 4 s and falling", l1, l2)
	}
	if l := p.sockLine(glob26, glob26+"1"); !strings.Contains(l, "the server's Keep-Alive: timeout=5 less the agent's 1000 ms buffer") {
		t.Errorf("%s1's timer is not named: %q", glob26, l)
	}

	// Go's Transport: its IdleConnTimeout (90 s).
	p.sendOn("+pool")
	p.waitJS("Go's socket counting down", `document.querySelector('#pool-state article[data-pool="pool"] li[data-state="free"] .sock-left') !== null`, stepTimeout)
	if l := evalJS[string](p, `document.querySelector('#pool-state article[data-pool="pool"] li[data-state="free"]').textContent`); !strings.Contains(l, "IdleConnTimeout (1m30s)") {
		t.Errorf("Go's free socket: %q", l)
	}
	p.screenshot("pool-panel")

	// The outcomes are on the timeline, by pool.
	evs := p.exportJSONL(dir)
	got := strings.Join(outcomeLines(evs), "\n")
	for _, want := range []string{agent26 + " " + agent26 + "1 / 200 reused=false", agent26 + " " + agent26 + "1 / 200 reused=true",
		glob18 + " " + glob18 + "2 / 200 reused=false", "pool pool1 / 200 reused=false"} {
		if !strings.Contains(got, want) {
			t.Errorf("outcomes:\n%s\nwithout %q", got, want)
		}
	}

	// The global agent's timer fires: the agent, not the server, closes
	// the free socket (the hint less the buffer is below the server's 5 s).
	p.waitJS("g26-1 timed out", fmt.Sprintf(`document.querySelector('#pool-state li[data-label="%s1"][data-state="closed"]') !== null`, glob26), runTimeout)
	if l := p.sockLine(glob26, glob26+"1"); !strings.Contains(l, "closed by the agent: free socket timeout") {
		t.Errorf("%s1 after its timer: %q", glob26, l)
	}

	// A phone's width, light and dark: the panel fits.
	p.do(chromedp.EmulateViewport(390, 844))
	evalJS[bool](p, `(document.getElementById("pool-state").scrollIntoView({block: "start"}), true)`)
	p.viewShot("pool-panel-phone")
	if _, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	p.viewShot("pool-panel-phone-dark")
	if w := evalJS[int](p, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the page is %d px wide on a 390 px screen", w)
	}
	if w := evalJS[int](p, `(e => e.scrollWidth - e.clientWidth)(document.getElementById("pool-state"))`); w > 0 {
		t.Errorf("the pool panel scrolls sideways by %d px on a phone", w)
	}
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// TestComposerNodeAgentHangUp is the keep-alive race from Node's client:
// Node 26's http.Agent reuses its free socket just after the Go server's
// IdleTimeout closed it, before the agent can know. Node does not retry:
// the composer says "Error: socket hang up, code ECONNRESET" with
// req.reusedSocket true, the outcome is on the timeline, and the pool
// panel shows the socket closed by the server.
func TestComposerNodeAgentHangUp(t *testing.T) {
	const runs = 3
	agent26 := scenario.ComposerAgentPrefix("node26", false)
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	dir := p.downloads()
	delayPoolDeliveries(t, p)
	p.open(mustDecode(t, fmt.Sprintf(`{"v":1,"title":"Node's hang up","server":{"runtime":"go","idleTimeoutMs":%d},"durationMs":60000}`, raceServerIdle.Milliseconds())))
	p.do(chromedp.SetValue(chromedp.CSS("#req-target"), "+"+agent26))
	var hung string
	for run := range runs {
		n := sendTwice(p, raceReuseAfter)
		p.waitJS("both answers", fmt.Sprintf(`document.querySelectorAll(".composer-out li:not([data-loading])").length >= %d`, n+2), readyTimeout+10*time.Second)
		second := evalJS[string](p, `document.querySelector(".composer-out li").textContent`)
		t.Logf("run %d: %s", run, second)
		if strings.Contains(second, "req.reusedSocket true") && strings.Contains(second, "Error:") {
			hung = second
			break
		}
		p.click("#restart")
		p.waitJS("the restart", `document.querySelectorAll(".composer-out li").length === 0`, stepTimeout)
	}
	if hung == "" {
		t.Fatalf("no run of %d landed in the race window", runs)
	}
	if !strings.Contains(hung, "Error: socket hang up, code ECONNRESET") {
		t.Errorf("the raced request's line %q, want Node's socket hang up", hung)
	}
	m := regexp.MustCompile(`\((\S+), req\.reusedSocket true\)`).FindStringSubmatch(hung)
	if m == nil {
		t.Fatalf("no socket in %q", hung)
	}
	sock := m[1]
	p.waitJS("the socket closed in the panel", fmt.Sprintf(`document.querySelector('#pool-state li[data-label=%q][data-state="closed"]') !== null`, sock), stepTimeout)
	if l := p.sockLine(agent26, sock); !strings.Contains(l, "closed by the server") {
		t.Errorf("%s in the panel: %q", sock, l)
	}
	p.waitJS("the failed request in the panel", fmt.Sprintf(`document.querySelector('#pool-state article[data-pool=%q] .pool-reqs li[data-ok="false"]') !== null`, agent26), stepTimeout)
	if r := evalJS[string](p, fmt.Sprintf(`[...document.querySelectorAll('#pool-state article[data-pool=%q] .pool-reqs li[data-ok="false"]')].map(li => li.textContent).join("|")`, agent26)); !strings.Contains(r, sock+", reused · Error: socket hang up (ECONNRESET)") {
		t.Errorf("the panel's failed requests: %q", r)
	}
	p.screenshot("pool-panel-hang-up")
	found := false
	for _, e := range p.exportJSONL(dir) {
		if e.Kind == timeline.Outcome && e.Pool == agent26 && e.Reused && e.Error == "Error: socket hang up (ECONNRESET)" {
			found = true
		}
	}
	if !found {
		t.Error("the hang-up is not an outcome on the timeline")
	}
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// TestPoolTimerAfterTheRunIsQuiet: a pooled client's own timer that
// fires after the run has ended (Node 26's global agent, 4 s) closes its
// socket in the panel without telling the person the run has ended or
// that the page is not connected: nobody asked to send anything.
func TestPoolTimerAfterTheRunIsQuiet(t *testing.T) {
	glob26 := scenario.ComposerAgentPrefix("node26", true)
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(mustDecode(t, `{"v":1,"title":"after the run","server":{"runtime":"node26"},"durationMs":2000}`))
	p.sendOn("+pool") // pool.wasm is loaded before the run starts
	p.click("#run")
	p.waitJS("the run", `document.querySelectorAll(".composer-out li").length === 0`, stepTimeout)
	p.sendOn("+" + glob26)
	p.waitJS("the run's end", `document.documentElement.dataset.runEnded !== undefined`, 15*time.Second)
	p.waitJS("the timer's close", fmt.Sprintf(`document.querySelector('#pool-state li[data-label="%s1"][data-state="closed"]') !== null`, glob26), runTimeout)
	time.Sleep(200 * time.Millisecond)
	p.nextFrame()
	if n := evalJS[string](p, `(n => n.hidden ? "" : n.textContent)(document.getElementById("notice"))`); strings.Contains(n, "The run has ended") {
		t.Errorf("a notice after the agent's own timer: %q", n)
	}
	if e := evalJS[string](p, `(e => e.hidden ? "" : e.textContent)(document.querySelector("#composer .conn-error"))`); e != "" {
		t.Errorf("the composer says %q after the agent's own timer", e)
	}
	// A request the person sends now is refused at once, not left to
	// the client's own 30 s timeout.
	p.do(chromedp.SetValue(chromedp.CSS("#req-target"), "+"+glob26))
	p.click(`#composer button[type="submit"]`)
	p.waitJS("the composer's refusal", `(e => !e.hidden && e.textContent.includes("The run has ended"))(document.querySelector("#composer .conn-error"))`, stepTimeout)
}

// TestPoolPanelFollowsTheScrubber: stepping back through a finished run
// with node-agent pool steps, the pool panel shows the pool as the run's
// events left it at each instant: web1 connecting, carrying /a, free
// after its answer, carrying /b (its outcome is the run's last event, the
// live view); End brings the live panel back.
func TestPoolPanelFollowsTheScrubber(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(mustDecode(t, `{"v":1,"title":"scrubbing a pool","server":{"runtime":"node26","keepAliveTimeoutMs":2000},
	 "client":{"pools":[{"name":"web","kind":"node-agent","keepAlive":true,"timeoutMs":5000}],
	  "steps":[{"at":0,"pool":"web","request":{"path":"/a"}},{"at":500,"pool":"web","request":{"path":"/b"}}]},
	 "durationMs":1500}`))
	p.waitJS("the pooled client", `document.documentElement.dataset.poolReady === "true"`, readyTimeout+10*time.Second)
	p.click("#run")
	p.waitJS("the run's end", `document.documentElement.dataset.runEnded !== undefined`, readyTimeout+10*time.Second)
	p.waitJS("the live panel", `document.querySelectorAll('#pool-state article[data-pool="web"] .pool-reqs li[data-done="true"]').length === 2`, stepTimeout)
	n := evalJS[int](p, `+document.getElementById("scrub-range").max`)
	var seen []string
	for k := 1; k < n; k++ {
		evalJS[bool](p, fmt.Sprintf(`(r => (r.value = %d, r.dispatchEvent(new Event("input")), true))(document.getElementById("scrub-range"))`, k))
		p.waitJS("the scrubber's step", fmt.Sprintf(`document.getElementById("scrub").dataset.k === "%d"`, k), stepTimeout)
		p.nextFrame()
		at := evalJS[string](p, `(a => a ? [a.dataset.at, a.querySelector(".pool-socks").textContent, a.querySelectorAll(".pool-reqs li").length].join(" | ") : "")(document.querySelector('#pool-state article[data-pool="web"]'))`)
		if len(seen) == 0 || seen[len(seen)-1] != at {
			seen = append(seen, at)
		}
	}
	t.Logf("the panel through the run:\n%s", strings.Join(seen, "\n"))
	all := strings.Join(seen, "\n")
	for _, want := range []string{"true | web1 active (0 requests) | 0", "true | web1 free (1 request) | 1", "true | web1 active (1 request) | 1", "true | web1 active (2 requests) | 1"} {
		if !strings.Contains(all, want) {
			t.Errorf("the panel never showed %q at an instant", want)
		}
	}
	p.do(chromedp.Focus(chromedp.CSS("#scrub-range")), chromedp.KeyEvent(kb.End))
	p.nextFrame()
	if at := evalJS[bool](p, `document.querySelector('#pool-state article[data-at]') !== null`); at {
		t.Error("End left the panel at an instant")
	}
	if n := evalJS[int](p, `document.querySelectorAll('#pool-state article[data-pool="web"] .pool-reqs li[data-done="true"]').length`); n != 2 {
		t.Errorf("the live panel after End lists %d answered requests, want 2", n)
	}
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
