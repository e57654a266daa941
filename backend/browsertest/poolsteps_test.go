package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepalive-playground/playground/timeline"
)

// exportJSONL downloads the run on screen as JSON lines and parses it.
func (p *page) exportJSONL(dir string) []timeline.Event {
	p.t.Helper()
	file := filepath.Join(dir, "keepalive-run.jsonl")
	os.Remove(file)
	p.waitJS("pick json", `(() => { const s = document.getElementById("export-format"); s.value = "json"; s.dispatchEvent(new Event("change")); return true })()`, stepTimeout)
	var data []byte
	for i := 0; i < 100 && len(data) == 0; i++ {
		time.Sleep(50 * time.Millisecond)
		data, _ = os.ReadFile(file)
	}
	evs, err := timeline.ParseJSONL(strings.NewReader(string(data)))
	if err != nil {
		p.t.Fatalf("the JSON export: %v\n%.600s", err, data)
	}
	return evs
}

// pageSlackMs is how late the page may send a pool step on a loaded
// machine (two cores shared by a whole team).
const pageSlackMs = 400

func outcomeLines(evs []timeline.Event) []string {
	var out []string
	for _, e := range evs {
		if e.Kind == timeline.Outcome {
			out = append(out, fmt.Sprintf("%s %s %s %d reused=%v", e.Pool, e.Conn, e.Path, e.Status, e.Reused))
		}
	}
	return out
}

// TestScenarioPoolSteps: a scenario's pool steps run in the page too:
// Go's Transport (pool.wasm) sends each at its time on the session
// clock, the second reuses app1, and each outcome is on the run's
// timeline, as `playground run` has it.
func TestScenarioPoolSteps(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	dir := p.downloads()
	p.open(mustDecode(t, `{"v":1,"title":"Go's pool from the script","server":{"runtime":"go"},
	 "client":{"pools":[{"name":"app","kind":"go"}],
	  "steps":[{"at":0,"pool":"app","request":{"path":"/a"}},{"at":1500,"pool":"app","request":{"path":"/b"}}]},
	 "durationMs":2500}`))
	// The page loads the client as soon as a scenario with pool steps is
	// on screen, so that Run starts them on time.
	p.waitJS("the pooled client", `document.documentElement.dataset.poolReady === "true"`, readyTimeout+10*time.Second)
	p.click("#run")
	p.waitJS("the run's end", `document.documentElement.dataset.runEnded !== undefined`, readyTimeout+10*time.Second)
	evs := p.exportJSONL(dir)
	got := strings.Join(outcomeLines(evs), "\n")
	want := "app app1 /a 200 reused=false\napp app1 /b 200 reused=true"
	if got != want {
		t.Errorf("outcomes:\n%s\nwant\n%s", got, want)
	}
	for _, e := range evs {
		// The page's own event loop schedules the step: on a loaded
		// machine it may be late by a frame or a garbage collection, never
		// early.
		if e.Kind == timeline.Request && e.Path == "/b" && (e.T < 1500 || e.T > 1500+pageSlackMs) {
			t.Errorf("the second step's request at %.1f ms; its step is at 1500 ms", e.T)
			for _, e := range evs {
				t.Logf("%8.1f %-5s %-8s %s %s %d", e.T, e.Conn, e.Kind, e.Method, e.Path, e.Status)
			}
		}
	}
	lines := evalJS[[]string](p, poolAnswers)
	if len(lines) < 2 || !strings.Contains(strings.Join(lines, "\n"), "pool app: GET /b: app1 (reused") {
		t.Errorf("composer lines %q", lines)
	}
	// The pool's connections are the pool's, not the person's: their
	// cards have no controls of a person's connection.
	if !evalJS[bool](p, `document.querySelector('#conn-app1[data-pooled="true"]') !== null`) {
		t.Errorf("app1's card is not a pooled client's card")
	}
	p.screenshot("scenario-pool-steps")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// TestComposerPooledSendReportsItsOutcome: a request the person sends
// through Go's net/http client from the composer is on the timeline as
// an outcome event of the composer's pool.
func TestComposerPooledSendReportsItsOutcome(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	dir := p.downloads()
	p.open(mustDecode(t, `{"v":1,"title":"pool","server":{"runtime":"go"}}`))
	p.do(chromedp.SetValue(chromedp.CSS("#req-target"), "+pool"))
	p.click(`#composer button[type="submit"]`)
	p.waitJS("the answer", `[...document.querySelectorAll(".composer-out li")].some(li => li.textContent.includes("pool1 (new) → 200"))`, readyTimeout)
	var got []string
	for i := 0; i < 20 && len(got) == 0; i++ {
		got = outcomeLines(p.exportJSONL(dir))
	}
	if strings.Join(got, "\n") != "pool pool1 / 200 reused=false" {
		t.Errorf("outcomes %q, want the composer's request", got)
	}
}

// TestScenarioNodeAgentPoolSteps: a node-agent pool's steps run in the
// page through Node's http.Agent of the line (nodeagent in pool.wasm):
// the second reuses web1, and the third takes web2, because the free
// socket ended 3 s after its answer (the server's Keep-Alive: timeout=4
// less the agent's 1 s buffer on node26). The steps are a second or more
// from each timer, so a page whose timers run late on a loaded machine
// sees the same.
func TestScenarioNodeAgentPoolSteps(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	dir := p.downloads()
	p.open(mustDecode(t, `{"v":1,"title":"Node's http.Agent from the script","server":{"runtime":"node26","keepAliveTimeoutMs":4000},
	 "client":{"pools":[{"name":"web","kind":"node-agent","keepAlive":true,"timeoutMs":5000}],
	  "steps":[{"at":0,"pool":"web","request":{"path":"/a"}},{"at":1000,"pool":"web","request":{"path":"/b"}},{"at":5000,"pool":"web","request":{"path":"/c"}}]},
	 "durationMs":6000}`))
	p.waitJS("the pooled client", `document.documentElement.dataset.poolReady === "true"`, readyTimeout+10*time.Second)
	p.click("#run")
	p.waitJS("the run's end", `document.documentElement.dataset.runEnded !== undefined`, readyTimeout+10*time.Second)
	evs := p.exportJSONL(dir)
	got := strings.Join(outcomeLines(evs), "\n")
	want := "web web1 /a 200 reused=false\nweb web1 /b 200 reused=true\nweb web2 /c 200 reused=false"
	if got != want {
		t.Errorf("outcomes:\n%s\nwant\n%s", got, want)
		for _, e := range evs {
			t.Logf("%8.1f %-5s %-8s %s %s %d %s %s", e.T, e.Conn, e.Kind, e.Method, e.Path, e.Status, e.By, e.Reason)
		}
	}
	// The agent, not the server, ended web1: its free-socket timer.
	for _, e := range evs {
		if e.Conn == "web1" && e.Kind == timeline.Close && e.By != timeline.ByClient {
			t.Errorf("web1 was first closed by %s; the agent's timer should end it", e.By)
		}
		if e.Conn == "web1" && e.Kind == timeline.Close {
			break
		}
	}
	p.screenshot("scenario-node-agent-pool-steps")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
