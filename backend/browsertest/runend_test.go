package browsertest

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRunHasAnEnd: a run lasts its durationMs in the page. Lesson 6's
// start says "no exit within this 3 s run": the page shows the end at
// 3 s, in words and on the timeline, no event after it (the process would
// exit at 6.9 s), the view fitted to the whole run, and a connection
// opened after the end is refused with a sentence, not a silent nothing.
func TestRunHasAnEnd(t *testing.T) {
	data, err := os.ReadFile("../../lessons/06-graceful-unref.start.json")
	if err != nil {
		t.Fatal(err)
	}
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(mustDecode(t, string(data)))
	p.click("#run")
	p.waitJS("the end of the run", `!document.getElementById("run-end").hidden`, 8*time.Second)
	text := evalJS[string](p, `document.getElementById("run-end").textContent`)
	if !strings.Contains(text, "The run ended at 3.00 s") || !strings.Contains(text, "durationMs") {
		t.Errorf("the end says %q", text)
	}
	if got := evalJS[string](p, `document.getElementById("timeline").dataset.ended || ""`); got != "3000" {
		t.Errorf("timeline data-ended = %q, want 3000", got)
	}
	if n := evalJS[int](p, `document.querySelectorAll('#timeline [data-server-event="exit"]').length`); n != 0 {
		t.Errorf("an exit is on the timeline after the 3 s run ended")
	}
	// Late events would arrive within the next moments; none may.
	count := evalJS[string](p, `document.getElementById("event-count").textContent`)
	time.Sleep(300 * time.Millisecond)
	if again := evalJS[string](p, `document.getElementById("event-count").textContent`); again != count {
		t.Errorf("events after the end: %s, then %s", count, again)
	}
	p.screenshot("run-ended")
	p.click("#new-conn")
	p.waitJS("the notice", `!document.getElementById("notice").hidden && document.getElementById("notice").textContent.includes("The run has ended")`, stepTimeout)
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// TestSlowLinkKeepsStepTimes: on a slow link (every message from the page
// reaches the backend 400 ms late) a run's steps still run at their times
// on the session clock: lesson 8's solution asks /slow on B at 100 ms and
// its task wants the answer at about 900 ms. Before the session played
// the steps itself, the page sent them after `loaded` and every step ran
// one latency late, failing the task on any distant learner's link.
func TestSlowLinkKeepsStepTimes(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	const slowUplink = `(() => { const send = WebSocket.prototype.send;
		WebSocket.prototype.send = function (data) { setTimeout(() => send.call(this, data), 400) } })()`
	p.onEveryDocument(slowUplink)
	// A new document, so that the script above runs in it.
	p.do(chromedp.Navigate("about:blank"))
	p.do(chromedp.Navigate(p.url + "#lesson=close-idle-vs-all"))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("the lesson", `document.getElementById("lesson-solution") !== null`, stepTimeout)
	p.click("#lesson-solution")
	p.click("#run")
	p.waitJS("the run's end", `document.documentElement.dataset.runEnded !== undefined`, runTimeout)
	p.nextFrame()
	t.Logf("link: %s", evalJS[string](p, `document.getElementById("conn-status").textContent`))
	if pass := evalJS[bool](p, `document.querySelector('[data-task="1"]').dataset.pass === "true"`); !pass {
		detail := evalJS[string](p, `document.querySelector('[data-task="1"]').textContent`)
		p.screenshot("slow-link-failed")
		t.Errorf("on a slow link the solution's task fails:\n%s", detail)
	}
}
