package browsertest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// scrubText is the scrubber's line ("event 7 of 31 · 1,204.3 ms · …").
func scrubText(p *page) string {
	return evalJS[string](p, `document.getElementById("scrub-text").textContent`)
}

// scrubTo presses key on the focused scrubber until its line contains
// want, at most limit times.
func scrubTo(p *page, key, want string, limit int) {
	p.t.Helper()
	for range limit {
		if strings.Contains(scrubText(p), want) {
			return
		}
		p.do(chromedp.KeyEvent(key))
		p.nextFrame()
	}
	if !strings.Contains(scrubText(p), want) {
		p.t.Fatalf("pressed %q %d times and the scrubber says %q, not %q", key, limit, scrubText(p), want)
	}
}

// TestScrubberStepsThroughTheRun runs lesson 5's solution (B asks for
// /end at 1 s, close() closes idle A, B's 400 ms idle timeout ends it,
// the process exits), then steps back with the scrubber to the instant
// B's request reached the handler: the timeline's cursor is drawn there,
// A's card is half-closed by its own timeout and B's open with nothing
// received yet, and the tasks say
// what that instant decides — the request is there, close() not yet, so
// no task is done yet (not a pass before its events). A step on to
// close() decides task 1. End restores the whole run.
func TestScrubberStepsThroughTheRun(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.do(chromedp.Navigate(p.url + "#lesson=end-route"))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("lesson 5", `document.getElementById("lesson-solution") !== null && document.querySelector('[data-task="2"]') !== null`, stepTimeout)
	p.click("#lesson-solution")
	p.waitJS("the solution on the server", `document.getElementById("lesson-undo") !== null`, stepTimeout)
	p.click("#run")
	p.waitJS("the run's end", `document.documentElement.dataset.runEnded !== undefined`, runTimeout)
	p.waitJS("the scrubber", `!document.getElementById("scrub").hidden`, stepTimeout)
	p.waitJS("every task passes", `document.querySelectorAll('[data-task][data-pass="true"]').length === 2`, stepTimeout)

	n := evalJS[int](p, `+document.getElementById("scrub-range").max`)
	if n < 10 {
		t.Fatalf("the scrubber offers %d events", n)
	}
	if got, want := scrubText(p), fmt.Sprintf("event %d of %d · ", n, n); !strings.HasPrefix(got, want) {
		t.Errorf("at the end the scrubber says %q, want it to start %q", got, want)
	}
	if evalJS[bool](p, `document.getElementById("timeline").dataset.cursorT !== undefined`) {
		t.Errorf("a cursor on the live view")
	}
	liveB := evalJS[string](p, `document.querySelector("#conn-B .conn-state").textContent`)

	// Back to the instant B's /end reached the handler.
	p.do(chromedp.Focus(chromedp.CSS("#scrub-range")))
	scrubTo(p, kb.ArrowLeft, "B: request GET /end", n)
	line := scrubText(p)
	k, err := strconv.Atoi(evalJS[string](p, `document.getElementById("scrub").dataset.k`))
	if err != nil || k >= n || !strings.HasPrefix(line, fmt.Sprintf("event %d of %d · ", k, n)) {
		t.Fatalf("the scrubber says %q at k=%d (%v)", line, k, err)
	}
	p.nextFrame()

	// The cursor: at the event's time, drawn in the focus colour.
	cursorT := evalJS[string](p, `document.getElementById("timeline").dataset.cursorT || ""`)
	ms, _ := strconv.ParseFloat(cursorT, 64)
	if ms < 900 || ms > 1300 || !strings.Contains(strings.ReplaceAll(line, ",", ""), fmt.Sprintf(" %.1f ms", ms)) {
		t.Errorf("cursor at %q ms, the line says %q", cursorT, line)
	}
	rgb := evalJS[[]int](p, `(() => {
		const tl = document.getElementById("timeline"), c = tl.querySelector("canvas");
		const x = +tl.dataset.cursorX, dpr = c.width / c.clientWidth;
		const d = c.getContext("2d").getImageData(Math.round(x * dpr), Math.round(c.height * 0.6), 1, 1).data;
		return [d[0], d[1], d[2]];
	})()`)
	if len(rgb) != 3 || rgb[0] < 200 || rgb[1] < 130 || rgb[1] > 210 || rgb[2] > 90 {
		t.Errorf("the canvas at the cursor is rgb%v, not the focus colour", rgb)
	}

	// The cards then: A half-closed by its 400 ms socket timeout, B open.
	for conn, want := range map[string]string{
		"A": "half-closed | half-closed — the server sent FIN (socket-timeout): its end is closed, your end is still open",
		"B": "open | open",
	} {
		st := evalJS[string](p, fmt.Sprintf(`document.getElementById("conn-%s").dataset.state + " | " + document.querySelector("#conn-%s .conn-state").textContent`, conn, conn))
		if st != want {
			t.Errorf("card %s at B's request: %q\nwant %q", conn, st, want)
		}
	}
	if got := evalJS[string](p, `(document.querySelector("#conn-B .conn-recv-at")||{textContent:"missing"}).textContent`); got != "" {
		t.Errorf("B's card at its request shows received bytes %q", got)
	}
	if got := evalJS[string](p, `(document.querySelector("#conn-A .conn-recv-at")||{textContent:""}).textContent`); !strings.Contains(got, "Hello World!") {
		t.Errorf("A's card at B's request does not show A's answer: %q", got)
	}

	// The server then: still listening (close() is called in B's handler).
	if got := evalJS[string](p, `document.getElementById("server-state").dataset.state`); got != "" {
		t.Errorf("the server bar at B's request says %q, want listening", got)
	}

	// The tasks then: the request is there, close() is not yet, so no
	// task is done, and none has failed.
	tasks := func() string {
		return evalJS[string](p, `[...document.querySelectorAll("[data-task]")].map(li =>
			li.dataset.task + ":" + li.dataset.at + ":" + li.dataset.pass + "[" +
			[...li.querySelectorAll(".task-checks li")].map(c => c.dataset.at).join(",") + "]").join(" ")`)
	}
	if got, want := tasks(), "1:not-yet:false[pass,not-yet] 2:not-yet:false[not-yet,not-yet,not-yet]"; got != want {
		t.Errorf("tasks at B's request: %s\nwant %s", got, want)
	}
	p.screenshot("scrub-at-request")

	// On to close(): task 1 is decided.
	scrubTo(p, kb.ArrowRight, "close() called", n)
	if got := tasks(); !strings.HasPrefix(got, "1:pass:true[pass,pass]") {
		t.Errorf("tasks at close(): %s", got)
	}
	// Home is the first event.
	p.do(chromedp.KeyEvent(kb.Home))
	p.nextFrame()
	if got := scrubText(p); !strings.HasPrefix(got, fmt.Sprintf("event 1 of %d · ", n)) {
		t.Errorf("after Home the scrubber says %q", got)
	}

	// End: the live view again.
	p.do(chromedp.KeyEvent(kb.End))
	p.nextFrame()
	if got := evalJS[string](p, `document.getElementById("scrub").dataset.scrubbing`); got != "false" {
		t.Errorf("after End data-scrubbing = %q", got)
	}
	if evalJS[bool](p, `document.getElementById("timeline").dataset.cursorT !== undefined || document.documentElement.dataset.scrubbing !== undefined`) {
		t.Errorf("the cursor stays after End")
	}
	if got := evalJS[string](p, `document.querySelector("#conn-B .conn-state").textContent`); got != liveB {
		t.Errorf("B's card after End says %q, live it said %q", got, liveB)
	}
	if evalJS[bool](p, `document.querySelector(".conn-recv-at, .conn-card[data-at], [data-task][data-at]") !== null`) {
		t.Errorf("an instant's view is left on a card or a task after End")
	}
	if !evalJS[bool](p, `!document.querySelector("#conn-B .conn-recv").hidden && document.querySelector("#conn-B .conn-recv").textContent.includes("Closedown")`) {
		t.Errorf("B's received bytes are not back after End")
	}
	if n := evalJS[int](p, `document.querySelectorAll('[data-task][data-pass="true"]').length`); n != 2 {
		t.Errorf("%d tasks pass after End, want 2", n)
	}
	if got := evalJS[string](p, `document.getElementById("server-state").dataset.state`); got != "exited" {
		t.Errorf("the server bar after End says %q, want exited", got)
	}
	p.screenshot("scrub-end")

	// A new run takes the scrubber away until it ends.
	p.do(chromedp.KeyEvent(kb.ArrowLeft))
	p.click("#run")
	p.waitJS("the new run", `document.documentElement.dataset.runEnded === undefined`, stepTimeout)
	if !evalJS[bool](p, `document.getElementById("scrub").hidden && document.getElementById("timeline").dataset.cursorT === undefined`) {
		t.Errorf("the scrubber stays over a new run")
	}
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// TestScrubberOnAReplayedRun: a run link replays a finished run, and the
// scrubber steps through it too, events recorded out of time order
// included: at A's first event its card is open, between the server's
// FIN and the client's it is half-closed, and End shows it closed.
func TestScrubberOnAReplayedRun(t *testing.T) {
	sc := scenario.Default()
	raw, err := scenario.Marshal(&sc)
	if err != nil {
		t.Fatal(err)
	}
	tr := timeline.Trace{Scenario: raw, Events: []timeline.Event{
		{T: 0, Kind: "listen"},
		{T: 1.1, Conn: "A", Kind: "connect"},
		{T: 1, Conn: "A", Kind: "accept"}, // recorded late: the scrubber goes by time
		{T: 2, Conn: "A", Kind: "send", Data: "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"},
		{T: 2.5, Conn: "A", Kind: "request", Method: "GET", Path: "/"},
		{T: 3, Conn: "A", Kind: "response", Status: 200},
		{T: 3.2, Conn: "A", Kind: "recv", Data: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"},
		{T: 5003, Conn: "A", Kind: "close", By: "server", Reason: "keepalive-timeout", Open: "client"},
		{T: 5004.5, Conn: "A", Kind: "close", By: "client", Reason: "client"},
	}}
	link, err := tr.EncodeLink()
	if err != nil {
		t.Fatal(err)
	}
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.do(chromedp.Navigate(p.url + link))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("the scrubber over the replay", `!document.getElementById("scrub").hidden`, stepTimeout)
	if got := scrubText(p); got != "event 9 of 9 · 5,004.5 ms · A: closed by the client" {
		t.Errorf("the replay's scrubber says %q", got)
	}
	card := func() string {
		return evalJS[string](p, `document.getElementById("conn-A").dataset.state + " | " + (document.querySelector("#conn-A .conn-recv-at")||{textContent:"live"}).textContent`)
	}
	live := card()
	p.click("#scrub-prev")
	p.nextFrame()
	if got := scrubText(p); !strings.HasPrefix(got, "event 8 of 9 · 5,003.0 ms · A: closed by the server: keepalive-timeout") {
		t.Errorf("one step back the scrubber says %q", got)
	}
	// The bytes show their CR LF as escapes (\r\n) and break the line.
	if got := card(); !strings.HasPrefix(got, "half-closed | HTTP/1.1 200 OK") || !strings.HasSuffix(got, "\nhi") {
		t.Errorf("A's card between the FINs: %q", got)
	}
	p.do(chromedp.Focus(chromedp.CSS("#scrub-next")), chromedp.KeyEvent(kb.Home))
	p.nextFrame()
	if got := scrubText(p); got != "event 1 of 9 · 0.0 ms · server: listening" {
		t.Errorf("Home: the scrubber says %q", got)
	}
	if got := evalJS[string](p, `document.getElementById("conn-A").dataset.state + " | " + document.querySelector("#conn-A .conn-state").textContent`); got != " | not connected — not yet at this instant" {
		t.Errorf("A's card before its connect: %q", got)
	}
	p.do(chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
	p.nextFrame()
	if got := scrubText(p); !strings.Contains(got, "event 3 of 9 · 1.1 ms · A: connect") {
		t.Errorf("two steps on the scrubber says %q (the accept at 1 ms comes before the connect at 1.1 ms)", got)
	}
	if got := card(); got != "open | " {
		t.Errorf("A's card at its connect: %q", got)
	}
	p.screenshot("scrub-replay")
	p.click("#scrub-end")
	p.nextFrame()
	if got := card(); got != live || !strings.HasPrefix(got, "closed") {
		t.Errorf("after End A's card is %q, live it was %q", got, live)
	}
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
