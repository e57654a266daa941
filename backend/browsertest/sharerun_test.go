package browsertest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestShareRunReplays: Share run's link, opened in a new browser (and
// embedded), replays the run: the same events, not the default live
// scenario with its one listen.
func TestShareRunReplays(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.do(chromedp.Navigate(p.url + "#lesson=destroy"))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	p.waitJS("lesson 3", `document.getElementById("lesson-run") !== null`, stepTimeout)
	p.click("#lesson-run")
	p.waitJS("the run's end", `document.documentElement.dataset.runEnded !== undefined`, runTimeout)
	want := evalJS[string](p, `document.getElementById("event-count").textContent`)
	if n, _ := strconv.Atoi(want); n < 5 {
		t.Fatalf("only %s events in lesson 3's run", want)
	}
	p.click("#trace-share")
	p.waitJS("the link", `(document.getElementById("share").dataset.link || "").includes("#t=")`, stepTimeout)
	link := evalJS[string](p, `document.getElementById("share").dataset.link`)
	_, frag, _ := strings.Cut(link, "#")

	for _, tt := range []struct{ name, url string }{
		{"page", pg.URL() + "#" + frag},
		{"embedded", pg.URL() + "?embed=1#" + frag},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := newPage(t, pg.URL()) // a new browser: nothing shared but the link
			q.do(chromedp.Navigate(tt.url))
			q.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
			q.waitJS("the replay", `document.getElementById("notice").textContent.includes("Replaying a recorded trace")`, stepTimeout)
			// The live session's start arrives after the replay; it must not
			// replace it.
			time.Sleep(500 * time.Millisecond)
			if got := evalJS[string](q, `document.getElementById("event-count").textContent`); got != want {
				t.Errorf("the replay shows %s events, the run had %s", got, want)
			}
			if n := evalJS[int](q, `document.querySelectorAll('#timeline [data-conn="A"]').length`); n == 0 {
				t.Errorf("no connection A in the replay")
			}
			// A recording is a finished run: its clock rests at its last
			// event, the view fits it, and it does not follow a live edge.
			if !evalJS[bool](q, `document.getElementById("timeline").dataset.ended !== undefined`) {
				t.Errorf("the replay's timeline runs on as if live")
			}
			q.screenshot("share-run-replay-" + tt.name)
		})
	}
}
