package browsertest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// poolAnswers are the composer's lines for the pooled client's requests,
// oldest first.
const poolAnswers = `[...document.querySelectorAll(".composer-out li")].map(li => li.textContent).reverse()`

// TestPooledClientSaysWhatItDid: once Go's net/http client has loaded, the
// "Loading…" line is gone, and its connections have cards in the
// Connections panel (state and bytes, no controls: the Transport owns
// them) that are not offered as the person's own to send on.
func TestPooledClientSaysWhatItDid(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(mustDecode(t, `{"v":1,"title":"pool","server":{"runtime":"go"}}`))
	p.do(chromedp.SetValue(chromedp.CSS("#req-target"), "+pool"))
	p.click(`#composer button[type="submit"]`)
	p.waitJS("the first answer", `[...document.querySelectorAll(".composer-out li")].some(li => li.textContent.includes("pool1 (new) → 200"))`, readyTimeout)
	p.click(`#composer button[type="submit"]`)
	p.waitJS("the second answer", `document.querySelectorAll(".composer-out li").length >= 2`, stepTimeout)
	if lines := evalJS[[]string](p, poolAnswers); len(lines) != 2 || strings.Contains(strings.Join(lines, "\n"), "Loading") {
		t.Errorf("composer lines %q, want the two answers and no Loading line", lines)
	}
	p.waitJS("pool1's card", `document.querySelector('#conn-pool1[data-pooled="true"][data-state="open"]') !== null`, stepTimeout)
	card := evalJS[string](p, `document.getElementById("conn-pool1").textContent`)
	if !strings.Contains(card, "Connection pool1") || !strings.Contains(card, "Go's net/http Transport") || !strings.Contains(card, "HTTP/1.1 200 OK") {
		t.Errorf("pool1's card says %q", card)
	}
	if n := evalJS[int](p, `document.querySelectorAll("#conn-pool1 button:not(.conn-transcript button), #conn-pool1 textarea").length`); n != 0 {
		t.Errorf("pool1's card has %d controls; the Transport owns the connection", n)
	}
	if empty := evalJS[bool](p, `document.getElementById("connections").matches(":empty")`); empty {
		t.Error(`the Connections panel says "No connections yet" beside pool1's lane`)
	}
	if opts := evalJS[string](p, `[...document.getElementById("req-target").options].map(o => o.value).join(" ")`); strings.Contains(opts, "pool1") {
		t.Errorf("Send on offers %q; pool1 is the pooled client's", opts)
	}
	p.screenshot("pooled-client-cards")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// The composer's race tests delay what the pooled client hears from the
// backend by poolLatency, as a distant backend's WebSocket would: the
// page draws each event as it comes, the client learns of it this late
// (wasm/pool's TestKeepAliveRace does the same with its bridge). For
// that long after the server's idle timer closed a connection the client
// still holds it as free, so a request sent raceMargin into that window
// meets the close even if the page's timers run up to
// poolLatency-raceMargin late, as they do on a loaded 2-core machine.
const (
	poolLatency = 300 * time.Millisecond
	raceMargin  = 20 * time.Millisecond
	// raceServerIdle is the Go server's IdleTimeout in these tests.
	raceServerIdle = 500 * time.Millisecond
	// raceReuseAfter is how long after the client saw the first answer
	// it sends the second: the server closed raceServerIdle after the
	// answer left, the client saw the answer poolLatency after that.
	raceReuseAfter = raceServerIdle - poolLatency + raceMargin
)

// delayPoolDeliveries makes the page's pooled client hear the backend
// poolLatency late, from the page's first script on.
func delayPoolDeliveries(t *testing.T, p *page) {
	t.Helper()
	delay := fmt.Sprintf(`Object.defineProperty(globalThis, "kapPool", {configurable: true,
		get() { return this.__kapPool },
		set(api) { const deliver = api.deliver; api.deliver = m => setTimeout(() => deliver(m), %d); this.__kapPool = api }})`, poolLatency.Milliseconds())
	p.onEveryDocument(delay)
}

// TestPooledClientRetryIsNotAnError reuses the pooled client's idle
// connection just after the Go server's IdleTimeout closed it, before the
// client can know: net/http's Transport retries the GET on a new
// connection, and the page says so plainly on the request's line, with
// no red banner about the dead connection (the Transport, not the person,
// dealt with it).
func TestPooledClientRetryIsNotAnError(t *testing.T) {
	const runs = 3
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	delayPoolDeliveries(t, p)
	p.open(mustDecode(t, fmt.Sprintf(`{"v":1,"title":"pool race","server":{"runtime":"go","idleTimeoutMs":%d},"durationMs":60000}`, raceServerIdle.Milliseconds())))
	p.do(chromedp.SetValue(chromedp.CSS("#req-target"), "+pool"))
	raced := 0
	for run := range runs {
		// In the page, so the second request leaves raceReuseAfter after
		// the first answer is shown, without a round trip to the test.
		n := sendTwice(p, raceReuseAfter)
		p.waitJS("both answers", fmt.Sprintf(`document.querySelectorAll(".composer-out li:not([data-loading])").length >= %d`, n+2), readyTimeout)
		lines := evalJS[[]string](p, poolAnswers)
		second := lines[len(lines)-1]
		t.Logf("run %d: %s", run, second)
		if strings.Contains(second, "Retried:") {
			raced++
			if !strings.Contains(second, "→ 200") || !strings.Contains(second, "Go's Transport sent the request again") {
				t.Errorf("run %d: the retry's line %q", run, second)
			}
		} else if strings.Contains(second, "error") {
			t.Errorf("run %d: a GET on a reused connection failed instead of being retried: %q", run, second)
		}
		// The dead connection's own messages (its reset, the backend's
		// note on the Transport's close) come within a few frames.
		time.Sleep(300 * time.Millisecond)
		p.nextFrame()
		if shown := evalJS[bool](p, `!document.getElementById("error").hidden`); shown {
			t.Errorf("run %d: a banner: %q", run, evalJS[string](p, `document.getElementById("error-text").textContent`))
		}
		if you := evalJS[string](p, `[...document.querySelectorAll('.conn-card[data-pooled] .conn-state')].map(e => e.textContent).filter(t => /\byou(r)?\b/.test(t)).join(" | ")`); you != "" {
			t.Errorf("run %d: a pooled connection's card speaks of the person: %q", run, you)
		}
		if raced > 0 {
			// The pool panel: the request took a new socket after the
			// reused one broke, by the Transport's own retry.
			p.waitJS("the panel's retried request", `[...document.querySelectorAll('#pool-state article[data-pool="pool"] .pool-reqs li')].some(li => /, new, retried · 200$/.test(li.textContent))`, stepTimeout)
			break
		}
		// Next run from a fresh server: the pool lets go of its connections.
		p.click("#restart")
		p.waitJS("the restart", `document.querySelectorAll(".composer-out li").length === 0`, stepTimeout)
	}
	p.screenshot("pooled-client-retried")
	if raced == 0 {
		t.Errorf("no run of %d landed in the race window", runs)
	}
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// sendTwice sends the composer's request, and again reuseAfter after its
// answer is shown: timed in the page, without a round trip to the test.
// It returns how many answers were listed before.
func sendTwice(p *page, reuseAfter time.Duration) int {
	n := evalJS[int](p, `document.querySelectorAll(".composer-out li:not([data-loading])").length`)
	evalJS[bool](p, fmt.Sprintf(`(() => {
		const send = () => document.querySelector('#composer button[type="submit"]').click();
		const answers = () => document.querySelectorAll(".composer-out li:not([data-loading])").length;
		send();
		const wait = setInterval(() => { if (answers() > %d) { clearInterval(wait); setTimeout(send, %d) } }, 2);
		return true })()`, n, reuseAfter.Milliseconds()))
	return n
}
