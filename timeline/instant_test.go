package timeline

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestTimeOrder(t *testing.T) {
	evs := []Event{{T: 5, Kind: "a"}, {T: 1, Kind: "b"}, {T: 5, Kind: "c"}, {T: 0, Kind: "d"}, {T: 1, Kind: "e"}}
	got := TimeOrder(evs)
	want := []int{3, 1, 4, 0, 2}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("TimeOrder = %v, want %v (stable by T)", got, want)
		}
	}
}

// TestEvalAt holds the verdicts at an instant of the story's run (A idles
// into its socket timeout at 4003.2 ms, B asks for /end at 1001 ms, the
// process exits at 4004 ms): a check a prefix cannot decide says "not
// yet", never an early pass.
func TestEvalAt(t *testing.T) {
	// k for the instants used below: story's events are in time order.
	const (
		atB       = 9  // B's request at 1001.0
		atBClose  = 13 // B closed at 1002.4
		atRefused = 14 // C refused at 1500
		atAClose  = 15 // A closed by the server at 4003.2
		atEnd     = 17 // the exit: the whole run
	)
	tests := []struct {
		name   string
		check  string
		k      int
		want   Verdict
		detail string
	}{
		{"no exit is not a pass before the end", `{"kind":"exit", "count":0}`, atAClose, NotYet,
			`not yet: 0 "exit" events so far, at 4003.2 ms`},
		{"no exit fails once it happened", `{"kind":"exit", "count":0}`, atEnd, Failed, `found 1`},
		{"no exit by 1000 ms is decided after 1000 ms", `{"kind":"exit", "count":0, "maxMs":1000}`, atB, Passed, `as expected`},
		{"no exit by 1001 ms is not decided at 1001 ms (an exit at 1001 may follow)", `{"kind":"exit", "count":0, "maxMs":1001}`, atB, NotYet, `so far`},
		{"count exceeded fails at once", `{"kind":"connect", "count":1}`, atB, Failed, `expected exactly 1 "connect" event, found 2`},
		{"count met so far is not yet", `{"kind":"connect", "count":2}`, atB, NotYet, `2 "connect" events so far`},
		{"count met at the end passes", `{"kind":"connect", "count":2}`, atEnd, Passed, `exactly 2`},
		{"an event not yet seen", `{"kind":"exit"}`, atAClose, NotYet, `not yet: so far (at 4003.2 ms), no "exit" event`},
		{"an event seen passes for good", `{"conn":"B", "kind":"close", "by":"server"}`, atBClose, Passed, `conn B close by server (server-close) at 1002.4 ms`},
		{"an event that can no longer come in its window", `{"kind":"exit", "maxMs":1000}`, atRefused, Failed, `no "exit" event`},
		{"since window: not before the close", `{"conn":"A", "kind":"close", "by":"server", "since":{"kind":"response"}, "minMs":4000, "maxMs":4200}`, atRefused, NotYet, `not yet`},
		{"since window: passes at the close", `{"conn":"A", "kind":"close", "by":"server", "since":{"kind":"response"}, "minMs":4000, "maxMs":4200}`, atAClose, Passed, `4001.0 ms after conn A response`},
		{"since window: a miss is not a fail while another may come", `{"conn":"A", "kind":"close", "since":{"kind":"response"}, "maxMs":100}`, atAClose, NotYet, `outside`},
		{"since window: a miss fails at the end", `{"conn":"A", "kind":"close", "since":{"kind":"response"}, "maxMs":100}`, atEnd, Failed, `outside`},
		{"nth decided once it exists", `{"kind":"close", "nth":1, "minMs":2000}`, atBClose, Failed, `outside at least 2000.0 ms`},
		{"nth not there yet", `{"kind":"close", "nth":2}`, atBClose, NotYet, `but there is only 1`},
		{"nth that can no longer fall in its window", `{"kind":"close", "nth":2, "maxMs":1200}`, atRefused, Failed, `only 1`},
		{"the last so far may not be the last", `{"kind":"close", "nth":-1, "maxMs":1100}`, atRefused, NotYet, `not yet`},
		{"the last misses a closed window", `{"kind":"close", "nth":-1, "maxMs":900}`, atRefused, Failed, `outside`},
		{"the last, at the end", `{"kind":"close", "nth":-1, "maxMs":1100}`, atEnd, Failed, `outside`},
		{"no events yet", `{"kind":"listen"}`, 0, NotYet, `not yet`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parse(t, tt.check)
			r, v := c.EvalAt(story, tt.k)
			if v != tt.want {
				t.Errorf("verdict = %v, want %v (%s)", v, tt.want, r.Detail)
			}
			if r.Pass != (v == Passed) {
				t.Errorf("Pass = %v with verdict %v", r.Pass, v)
			}
			if !strings.Contains(r.Detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", r.Detail, tt.detail)
			}
		})
	}
}

// TestEvalAtNeverDecidesWrong: over generated runs, a verdict given at an
// instant is the run's final one (a pass never turns out a fail, nor the
// other way), and at the last event it is Eval's.
func TestEvalAtNeverDecidesWrong(t *testing.T) {
	checks := []string{
		`{"kind":"close", "count":0}`,
		`{"kind":"close", "count":1}`,
		`{"kind":"close", "count":2, "maxMs":300}`,
		`{"kind":"close", "count":0, "minMs":200, "maxMs":400}`,
		`{"kind":"response"}`,
		`{"kind":"response", "maxMs":250}`,
		`{"kind":"response", "minMs":250}`,
		`{"kind":"response", "nth":2}`,
		`{"kind":"response", "nth":2, "maxMs":300}`,
		`{"kind":"response", "nth":-1}`,
		`{"kind":"response", "nth":-1, "maxMs":300}`,
		`{"kind":"response", "nth":-1, "minMs":100, "maxMs":300}`,
		`{"conn":"A", "kind":"close", "since":{"kind":"response"}, "minMs":50, "maxMs":150}`,
		`{"conn":"A", "kind":"close", "since":{"kind":"response"}, "count":1, "maxMs":150}`,
		`{"kind":"close", "since":{"conn":"*", "kind":"request"}, "nth":1, "maxMs":100}`,
		`{"kind":"exit", "since":{"kind":"close-called"}, "maxMs":200}`,
	}
	kinds := []string{Request, Response, Close, CloseCalled, Exit}
	conns := []string{"A", "B", ""}
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 300 {
		var evs []Event
		for range rng.IntN(12) {
			e := Event{T: float64(rng.IntN(50) * 10), Kind: kinds[rng.IntN(len(kinds))], Conn: conns[rng.IntN(len(conns))]}
			if e.Kind == CloseCalled || e.Kind == Exit {
				e.Conn = ""
			}
			evs = append(evs, e)
		}
		for _, js := range checks {
			c := parse(t, js)
			final := c.Eval(evs)
			for k := 0; k <= len(evs); k++ {
				r, v := c.EvalAt(evs, k)
				switch {
				case v == Passed && !final.Pass, v == Failed && final.Pass:
					t.Fatalf("run %d, %s: at k=%d of %d the verdict is %v, but the run ends with pass=%v (%s)\nevents: %+v", run, js, k, len(evs), v, final.Pass, final.Detail, evs)
				case k == len(evs) && (v == NotYet || r.Detail != final.Detail):
					t.Fatalf("run %d, %s: at the end %v %q, Eval says %v %q", run, js, v, r.Detail, final.Pass, final.Detail)
				}
			}
		}
	}
}

func TestEvalAllAt(t *testing.T) {
	checks := []Check{parse(t, `{"kind":"exit"}`), parse(t, `{"kind":"listen", "count":0}`)}
	res, vs := EvalAllAt(checks, story, len(story))
	if len(res) != 2 || vs[0] != Passed || vs[1] != Passed {
		t.Errorf("EvalAllAt = %v %v", res, vs)
	}
}
