package run

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/backend/sandbox/realnode"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// maxAnswerFinMs bounds how long a server takes to send its FIN after
// reading the client's: real Node (allowHalfOpen false) ends its side
// about 2 ms after, Go's server as soon as its read sees the EOF; the
// bound leaves room for a loaded machine.
const maxAnswerFinMs = 150

// endsScenario: one request on A, then a client step at 1000 ms: close
// (FIN) or reset. connClose asks the server to close after its response.
// The client's step comes 1 s in: a real Node release can take over half
// a second to start listening on a loaded CI machine, and a step due
// before then runs at the connect, ahead of the server's answer.
func endsScenario(rt string, step string, connClose bool) *scenario.Scenario {
	req := `{"path": "/"}`
	if connClose {
		req = `{"path": "/", "headers": {"Connection": "close"}}`
	}
	src := fmt.Sprintf(`{"v": 1, "server": {"runtime": %q, "routes": [{"path": "*", "body": "hi"}]},
"client": {"steps": [{"at": 0, "conn": "A", "request": %s}, {"at": 1000, "conn": "A", %q: true}]},
"durationMs": 1900}`, rt, req, step)
	sc, err := scenario.Decode([]byte(src))
	if err != nil {
		panic(err)
	}
	return sc
}

type closes struct{ client, server *timeline.Event }

func endsOf(evs []timeline.Event, conn string) (c closes, resets []timeline.Event) {
	for i := range evs {
		e := &evs[i]
		if e.Conn != conn {
			continue
		}
		switch e.Kind {
		case timeline.Close:
			if e.By == timeline.ByClient {
				c.client = e
			} else {
				c.server = e
			}
		case timeline.Reset:
			resets = append(resets, *e)
		}
	}
	return c, resets
}

// emulationAndReal are the demo servers a differential test runs rt on:
// the playground's own (the emulation, or Go's net/http) and, for a Node
// runtime, the real release it is pinned to.
func emulationAndReal(t *testing.T, rt scenario.Runtime) map[string]sandbox.Factory {
	t.Helper()
	kinds := map[string]sandbox.Factory{"emulation": all.Runtimes()[rt.Name]}
	if rt.IsNode() {
		realnode.Require(t, rt.Name)
		kinds["real"] = realnode.New
	}
	return kinds
}

func runEnds(t *testing.T, sc *scenario.Scenario, f sandbox.Factory) []timeline.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := Run(ctx, sc, map[string]sandbox.Factory{sc.Server.Runtime: f})
	if err != nil {
		t.Fatal(err)
	}
	return res.Events
}

// TestBothEndsOfEveryClose runs each close path on every runtime, on the
// real binary (real Node releases; Go's own net/http) and on the
// emulation: each FIN is its own close event with who sent it, the first
// names the end still open, the half-closed state lasts as long as on
// the real sockets, and a reset is neither folded into a close nor
// followed by a half-close.
func TestBothEndsOfEveryClose(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real binaries")
	}
	for _, rt := range scenario.Runtimes() {
		t.Run(rt.Name, func(t *testing.T) {
			t.Parallel()
			kinds := emulationAndReal(t, rt)
			half := map[string]float64{}
			for kind, f := range kinds {
				// The client's FIN first: the server answers with its own.
				evs := runEnds(t, endsScenario(rt.Name, "close", false), f)
				c, resets := endsOf(evs, "A")
				if c.client == nil || c.server == nil || len(resets) > 0 {
					t.Fatalf("%s: client close %v, server close %v, resets %v: want both ends' closes\n%v", kind, c.client, c.server, resets, evs)
				}
				if c.client.Open != timeline.ByServer || c.server.Open != "" {
					t.Errorf("%s: open ends %q then %q, want server then none", kind, c.client.Open, c.server.Open)
				}
				d := c.server.T - c.client.T
				if d < 0 || d > maxAnswerFinMs {
					t.Errorf("%s: server's FIN %.1f ms after the client's, want 0–%d", kind, d, maxAnswerFinMs)
				}
				half[kind] = d
				t.Logf("%s %s: half-closed (client's FIN → server's FIN) %.2f ms, server's reason %q", rt.Name, kind, d, c.server.Reason)

				// The server's FIN first (Connection: close), the client's
				// at its step: half-closed with the client's end open
				// until then.
				evs = runEnds(t, endsScenario(rt.Name, "close", true), f)
				c, _ = endsOf(evs, "A")
				if c.client == nil || c.server == nil || c.server.T > c.client.T {
					t.Fatalf("%s: server close %v then client close %v: want both, server first\n%v", kind, c.server, c.client, evs)
				}
				if c.server.Open != timeline.ByClient || c.client.Open != "" {
					t.Errorf("%s: open ends %q then %q, want client then none", kind, c.server.Open, c.client.Open)
				}

				// A reset by the client: one reset, no close after it.
				evs = runEnds(t, endsScenario(rt.Name, "reset", false), f)
				c, resets = endsOf(evs, "A")
				if len(resets) != 1 || resets[0].By != timeline.ByClient {
					t.Errorf("%s: resets %v, want one by the client", kind, resets)
				}
				for _, e := range []*timeline.Event{c.client, c.server} {
					if e != nil && e.Open != "" {
						t.Errorf("%s: a close after a reset says an end is open: %+v", kind, *e)
					}
				}
			}
			if r, ok := half["real"]; ok && !timeline.SameTiming(half["emulation"], r) {
				t.Errorf("half-close lasts %.1f ms on the emulation, %.1f ms on real %s", half["emulation"], r, rt.Name)
			}
		})
	}
}
