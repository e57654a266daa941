package run

import (
	"context"
	"fmt"
	"strings"
	"testing"

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
