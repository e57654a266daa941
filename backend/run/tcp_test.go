package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/backend/tcpstate"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// TestKernelStates runs the closes a lesson shows and holds each end's
// TCP states, as the kernel reported them, to what TCP says must happen:
// the side that closes first passes FIN_WAIT2 and ends in TIME_WAIT, the
// other waits in CLOSE_WAIT until it closes too; a half-close leaves the
// client in FIN_WAIT2; a reset takes both ends away at once. States that
// only wait for an ACK (FIN_WAIT1, LAST_ACK) may or may not be seen, so
// they are left out of the comparison.
func TestKernelStates(t *testing.T) {
	if _, err := tcpstate.Shared(); err != nil {
		t.Skipf("the kernel's socket table cannot be read here: %v", err)
	}
	get := "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"
	tests := []struct {
		name   string
		server string // the server object's JSON
		steps  string
		client string // the client end's stable states in order; "X?" may be missing
		srv    string
	}{
		{
			name:   "the server closes an idle connection: it waits in FIN_WAIT2, the client in CLOSE_WAIT",
			server: `{"runtime":"node20","keepAliveTimeoutMs":300}`,
			steps:  fmt.Sprintf(`[{"at":0,"conn":"A","send":%q}]`, get),
			client: "ESTABLISHED CLOSE_WAIT",
			srv:    "ESTABLISHED FIN_WAIT2",
		},
		{
			name:   "then the client closes too: the server, which closed first, sits in TIME_WAIT",
			server: `{"runtime":"node20","keepAliveTimeoutMs":100}`,
			steps:  fmt.Sprintf(`[{"at":0,"conn":"A","send":%q},{"at":1300,"conn":"A","close":true}]`, get),
			client: "ESTABLISHED CLOSE_WAIT CLOSED",
			srv:    "ESTABLISHED FIN_WAIT2 TIME_WAIT",
		},
		{
			// Node's server ends its side when the client's FIN arrives
			// (socketOnEnd), Go's handler returns when its request's
			// context ends: either way the client's FIN_WAIT2 lasts
			// microseconds, if it is seen at all.
			name:   "the client half-closes first on Node: the client, which closed first, sits in TIME_WAIT",
			server: `{"runtime":"node20","routes":[{"path":"*","body":"late","delayMs":400}]}`,
			steps:  fmt.Sprintf(`[{"at":0,"conn":"A","send":%q},{"at":100,"conn":"A","close":true}]`, get),
			client: "ESTABLISHED FIN_WAIT2? TIME_WAIT",
			srv:    "ESTABLISHED CLOSE_WAIT? CLOSED",
		},
		{
			name:   "the client half-closes first on Go: the same",
			server: `{"runtime":"go","routes":[{"path":"*","body":"late","delayMs":400}]}`,
			steps:  fmt.Sprintf(`[{"at":0,"conn":"A","send":%q},{"at":100,"conn":"A","close":true}]`, get),
			client: "ESTABLISHED FIN_WAIT2? TIME_WAIT",
			srv:    "ESTABLISHED CLOSE_WAIT? CLOSED",
		},
		{
			name:   "the client resets: both ends are gone",
			server: `{"runtime":"go"}`,
			steps:  fmt.Sprintf(`[{"at":0,"conn":"A","send":%q},{"at":300,"conn":"A","reset":true}]`, get),
			client: "ESTABLISHED CLOSED",
			srv:    "ESTABLISHED CLOSED",
		},
		{
			name:   "Go closes an idle connection after IdleTimeout",
			server: `{"runtime":"go","idleTimeoutMs":300}`,
			steps:  fmt.Sprintf(`[{"at":0,"conn":"A","send":%q}]`, get),
			client: "ESTABLISHED CLOSE_WAIT",
			srv:    "ESTABLISHED FIN_WAIT2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc, err := scenario.Decode([]byte(fmt.Sprintf(`{"v":1,"server":%s,"client":{"steps":%s},"durationMs":1500}`, tt.server, tt.steps)))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), sc, all.Runtimes())
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for _, e := range res.Events {
				if e.Kind == timeline.TCP {
					if e.Conn != "A" {
						t.Errorf("a tcp event on %q", e.Conn)
					}
					if !timeline.Transient(e.State) {
						got[e.Side] = append(got[e.Side], e.State)
					}
				}
			}
			if c := got[timeline.SideClient]; !statesMatch(c, tt.client) {
				t.Errorf("client end: %s; want %s", strings.Join(c, " "), tt.client)
			}
			if s := got[timeline.SideServer]; !statesMatch(s, tt.srv) {
				t.Errorf("server end: %s; want %s", strings.Join(s, " "), tt.srv)
			}
			if t.Failed() {
				for _, e := range res.Events {
					t.Logf("%8.1f %s %-8s %s %s %s %s", e.T, e.Conn, e.Kind, e.Side, e.State, e.By, e.Reason)
				}
			}
		})
	}
}

// statesMatch matches states against a pattern of names, where a name
// ending in "?" may be missing.
func statesMatch(states []string, pattern string) bool {
	want := strings.Fields(pattern)
	var match func(s, w []string) bool
	match = func(s, w []string) bool {
		if len(w) == 0 {
			return len(s) == 0
		}
		name, optional := strings.CutSuffix(w[0], "?")
		if optional && match(s, w[1:]) {
			return true
		}
		return len(s) > 0 && s[0] == name && match(s[1:], w[1:])
	}
	return match(states, want)
}

// BenchmarkTCPStates weighs the kernel's TCP states: the CPU a run of the
// load test's scenario (answer 2: two connections, each closed by the
// server) takes with and without them, over 100 runs at once as a class
// makes them. Reported per run and per connection, with the events each
// run has.
func BenchmarkTCPStates(b *testing.B) {
	if _, err := tcpstate.Shared(); err != nil {
		b.Skip(err)
	}
	data, err := os.ReadFile(filepath.Join("..", "load", "default-scenario.json"))
	if err != nil {
		b.Fatal(err)
	}
	sc, err := scenario.Decode(data)
	if err != nil {
		b.Fatal(err)
	}
	const parallel = 100
	for _, noTCP := range []bool{true, false} {
		name := "on"
		if noTCP {
			name = "off"
		}
		b.Run(name, func(b *testing.B) {
			var events, conns int
			before := cpuTime()
			for b.Loop() {
				var wg sync.WaitGroup
				var mu sync.Mutex
				for range parallel {
					wg.Go(func() {
						res, err := run(context.Background(), sc, all.Runtimes(), Options{}, noTCP)
						if err != nil {
							b.Error(err)
							return
						}
						seen := map[string]bool{}
						for _, e := range res.Events {
							if e.Conn != "" {
								seen[e.Conn] = true
							}
						}
						mu.Lock()
						events += len(res.Events)
						conns += len(seen)
						mu.Unlock()
					})
				}
				wg.Wait()
			}
			runs := float64(b.N * parallel)
			cpu := float64(cpuTime()-before) / float64(time.Microsecond)
			b.ReportMetric(cpu/runs, "cpu-µs/run")
			b.ReportMetric(cpu/float64(conns), "cpu-µs/conn")
			b.ReportMetric(float64(events)/runs, "events/run")
		})
	}
}

// cpuTime is the process's user and system CPU so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
