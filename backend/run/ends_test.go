package run

import (
	"context"
	"fmt"
	"slices"
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

// TestBothEndsOfUpstreamCloses: behind a proxy, an upstream connection's
// two FINs are two close events in the order they crossed the wire, on
// the emulation and on the real release: Go's Transport lets an idle
// connection go and the server answers its FIN (the server's answer was
// missing: the demo server reports one close per socket); nginx's
// default upstream is HTTP/1.0, so the server closes first and nginx
// answers (a real release reports its close through a pipe, after its
// socket's close event, which put it after nginx's answer).
func TestBothEndsOfUpstreamCloses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real binaries")
	}
	for _, tc := range []struct {
		proxy string
		first string // the end whose FIN comes first
		// answers are the reasons the second FIN may have: nginx closes
		// an HTTP/1.0 upstream connection once it has read the whole
		// answer, whether or not the server's FIN came with it.
		answers []string
	}{
		{`{"kind": "go", "upstreamIdleTimeoutMs": 300}`, timeline.ByProxy, []string{timeline.ReasonPeerFin}},
		{`{"kind": "nginx"}`, timeline.ByServer, []string{timeline.ReasonPeerFin, timeline.ReasonConnectionClose}},
	} {
		for _, name := range []string{scenario.DefaultRuntime(), "go"} {
			rt, _ := scenario.Lookup(name)
			t.Run(rt.Name, func(t *testing.T) {
				t.Parallel()
				for kind, f := range emulationAndReal(t, rt) {
					sc, err := scenario.Decode([]byte(fmt.Sprintf(`{"v": 1, "server": {"runtime": %q}, "proxy": %s,
"client": {"steps": [{"at": 0, "conn": "A", "request": {"path": "/"}}]}, "durationMs": 900}`, rt.Name, tc.proxy)))
					if err != nil {
						t.Fatal(err)
					}
					evs := runEnds(t, sc, f)
					var cs []timeline.Event
					for _, e := range evs {
						if e.Conn == "u1" && (e.Kind == timeline.Close || e.Kind == timeline.Reset) {
							cs = append(cs, e)
						}
					}
					if len(cs) != 2 || cs[0].Kind != timeline.Close || cs[1].Kind != timeline.Close {
						t.Fatalf("%s %s: u1's ends %+v, want two closes", tc.proxy, kind, cs)
					}
					second := timeline.OtherEnd(tc.first, timeline.HopUpstream, true)
					if cs[0].By != tc.first || cs[0].Open != second || cs[1].By != second || cs[1].Open != "" {
						t.Errorf("%s %s: u1 closed by %s (open %q) then %s (open %q), want %s then %s",
							tc.proxy, kind, cs[0].By, cs[0].Open, cs[1].By, cs[1].Open, tc.first, second)
					}
					if !slices.Contains(tc.answers, cs[1].Reason) {
						t.Errorf("%s %s: the answering FIN's reason %q, want one of %q", tc.proxy, kind, cs[1].Reason, tc.answers)
					}
					if d := cs[1].T - cs[0].T; d > maxAnswerFinMs {
						t.Errorf("%s %s: the answer came %.1f ms after the first FIN", tc.proxy, kind, d)
					}
				}
			})
		}
	}
}
