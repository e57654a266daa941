package run

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// poolRun decodes and runs a scenario with pool steps.
func poolRun(t *testing.T, js string) *Result {
	t.Helper()
	sc, err := scenario.Decode([]byte(js))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	res, err := Run(context.Background(), sc, all.Runtimes())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, e := range res.Errors {
		t.Errorf("the run reported: %s", e)
	}
	return res
}

func outcomes(res *Result) []timeline.Event {
	var out []timeline.Event
	for _, e := range res.Events {
		if e.Kind == timeline.Outcome {
			out = append(out, e)
		}
	}
	return out
}

func eventLog(res *Result) string {
	var b strings.Builder
	for _, e := range res.Events {
		fmt.Fprintf(&b, "%8.1f %-5s %-10s %s %s %s %s %d %s reused=%v retried=%v\n", e.T, e.Conn, e.Kind, e.By, e.Reason, e.Method, e.Path, e.Status, e.Error, e.Reused, e.Retried)
	}
	return b.String()
}

// outcomeText is an outcome as the tests compare it.
func outcomeText(e timeline.Event) string {
	s := fmt.Sprintf("%s %s %s %s", e.Pool, e.Conn, e.Method, e.Path)
	if e.Error != "" {
		s += " error"
	} else {
		s += fmt.Sprintf(" %d", e.Status)
	}
	if e.Reused {
		s += " reused"
	}
	if e.Retried {
		s += " retried"
	}
	return s
}

// TestGoPoolSteps runs Go's Transport from a scenario against the Node
// emulation and Go's server: it reuses an idle connection, its own
// IdleConnTimeout closes one, and each request's outcome is on the
// timeline where the scenario's checks find it.
func TestGoPoolSteps(t *testing.T) {
	tests := []struct {
		name    string
		runtime string
		pool    string // the pool's knobs
		want    []string
		closeBy string // who closed app1 first
	}{
		{"node reuse", "node26", `"idleConnTimeoutMs": 5000`, []string{"app app1 GET /a 200", "app app1 GET /b 200 reused"}, ""},
		{"go reuse", "go", `"idleConnTimeoutMs": 5000`, []string{"app app1 GET /a 200", "app app1 GET /b 200 reused"}, ""},
		{"node idle close", "node26", `"idleConnTimeoutMs": 100`, []string{"app app1 GET /a 200", "app app2 GET /b 200"}, timeline.ByClient},
		{"go idle close", "go", `"idleConnTimeoutMs": 100`, []string{"app app1 GET /a 200", "app app2 GET /b 200"}, timeline.ByClient},
		{"no keep-alives", "go", `"disableKeepAlives": true`, []string{"app app1 GET /a 200", "app app2 GET /b 200"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := poolRun(t, `{"v":1,"server":{"runtime":"`+tt.runtime+`"},
				"client":{"pools":[{"name":"app","kind":"go",`+tt.pool+`}],
				"steps":[{"at":0,"pool":"app","request":{"path":"/a"}},{"at":400,"pool":"app","request":{"path":"/b"}}]},
				"durationMs":800,
				"checks":[{"name":"the second request was answered","kind":"outcome","pool":"app","path":"/b","status":200}]}`)
			var got []string
			for _, e := range outcomes(res) {
				got = append(got, outcomeText(e))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("outcomes:\n got %q\nwant %q\n%s", got, tt.want, eventLog(res))
			}
			if !res.Passed() {
				t.Errorf("checks: %+v", res.Checks)
			}
			if tt.closeBy != "" {
				for _, e := range res.Events {
					if e.Conn == "app1" && e.Kind == timeline.Close {
						if e.By != tt.closeBy || e.T < 100 || e.T > 400 {
							t.Errorf("app1's first close %+v, want by the %s from its IdleConnTimeout", e, tt.closeBy)
						}
						break
					}
				}
			}
			// Each outcome comes after what it reports.
			for _, o := range outcomes(res) {
				for _, e := range res.Events {
					if e.Conn == o.Conn && e.Kind == timeline.Response && e.Path == o.Path && e.T > o.T {
						t.Errorf("outcome at %.1f before its response at %.1f", o.T, e.T)
					}
				}
			}
		})
	}
}

// TestGoPoolRace: the second request reuses the idle connection just as
// the server's idle timeout closes it. Go's Transport retries an
// idempotent GET on a new connection by itself (the outcome is retried,
// on app2, answered); a DELETE it does not retry, and the app's own
// retryReused does (a failed outcome on reused app1, then the retry's).
// Timing decides which side of the race a run lands on: each run must end
// in an outcome real net/http produces, and one of the runs aimed inside
// the window a 100 ms link opens (200 ms wide, so a loaded machine's late
// timers land in it too) must meet the race.
func TestGoPoolRace(t *testing.T) {
	const serverIdle, linkDelay = 300, 100
	tests := []struct {
		name, method string
		// raced tells a run that met the close from its outcomes and
		// checks it.
		raced func(t *testing.T, os []timeline.Event) bool
	}{
		{"the Transport retries a GET", "GET", func(t *testing.T, os []timeline.Event) bool {
			if len(os) != 2 {
				t.Errorf("want 2 outcomes, got %d", len(os))
				return false
			}
			o := os[1]
			if o.Error != "" {
				t.Errorf("a GET failed instead of being retried: %s", o.Error)
			}
			if !o.Retried {
				return false
			}
			if o.Conn != "app2" || o.Status != 200 || o.Reused {
				t.Errorf("retried, but %s", outcomeText(o))
			}
			return true
		}},
		{"the app retries a DELETE on a reused connection", "DELETE", func(t *testing.T, os []timeline.Event) bool {
			switch len(os) {
			case 2:
				if os[1].Error != "" || os[1].Retried {
					t.Errorf("second outcome %s", outcomeText(os[1]))
				}
				return false
			case 3:
				f, r := os[1], os[2]
				if f.Error == "" || !f.Reused || f.Conn != "app1" || f.Retried ||
					!strings.HasPrefix(f.Error, `Delete "http://demo/": `) {
					t.Errorf("the failure: %s (%s)", outcomeText(f), f.Error)
				}
				if r.Status != 200 || !r.Retried || r.Conn != "app2" {
					t.Errorf("the app's retry: %s", outcomeText(r))
				}
				return true
			}
			t.Errorf("want 2 or 3 outcomes, got %d", len(os))
			return false
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raced := 0
			// The pool is linkDelay from the server's host: the first
			// request reaches the server after three trips (the SYN, the
			// handshake's answer, the request), the server closes
			// serverIdle after answering it and its FIN reaches the pool
			// linkDelay after that. A request sent in the 2 × linkDelay
			// before then reaches a closed connection; the runs start at
			// that window's centre.
			centre := serverIdle + 3*linkDelay
			for _, at := range []int{centre, centre - linkDelay/2, centre + linkDelay/2} {
				if raced > 0 {
					break
				}
				res := poolRun(t, fmt.Sprintf(`{"v":1,"server":{"runtime":"go","idleTimeoutMs":%d},
					"client":{"pools":[{"name":"app","kind":"go","retryReused":true,"linkDelayMs":%d}],
					"steps":[{"at":0,"pool":"app","request":{"method":%q}},{"at":%d,"pool":"app","request":{"method":%q}}]},
					"durationMs":%d}`, serverIdle, linkDelay, tt.method, at, tt.method, at+1000))
				os := outcomes(res)
				if len(os) == 0 || os[0].Status != 200 || os[0].Conn != "app1" {
					t.Fatalf("first request: %v\n%s", os, eventLog(res))
				}
				if tt.raced(t, os) {
					raced++
					t.Logf("at %d ms, the race:\n%s", at, eventLog(res))
					// The events show the retry: a second connection and
					// the request on it.
					var sawConnect, sawRequest bool
					for _, e := range res.Events {
						sawConnect = sawConnect || e.Conn == "app2" && e.Kind == timeline.Connect
						sawRequest = sawRequest || e.Conn == "app2" && e.Kind == timeline.Request && e.Method == tt.method
					}
					if !sawConnect || !sawRequest {
						t.Errorf("the retry is not on the timeline:\n%s", eventLog(res))
					}
				}
				if t.Failed() {
					t.Fatalf("at %d ms:\n%s", at, eventLog(res))
				}
			}
			if raced == 0 {
				t.Errorf("no run of the sweep landed in the race window")
			}
		})
	}
}
