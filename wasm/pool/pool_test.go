package pool

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ms(n int) *int { return &n }

// demo builds a scenario for runtime; idleMs is the server's keep-alive
// (Node) or idle (Go) timeout.
func demo(runtime string, idleMs int, routes ...scenario.Route) scenario.Scenario {
	sv := scenario.Server{Runtime: runtime, Routes: append(routes, scenario.Route{Path: "*", Body: "Hello World!"})}
	if runtime == "go" {
		sv.IdleTimeoutMs = ms(idleMs)
	} else {
		sv.KeepAliveTimeoutMs = ms(idleMs)
	}
	return scenario.Scenario{V: scenario.Version, Server: sv, DurationMs: 10000}
}

var runtimes = []string{"node20", "node18", "go"}

func TestReuse(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			b := startBridge(t, demo(rt, 5000), Options{IdleConnTimeout: DefaultIdleConnTimeout}, 0)
			first := b.get("/a")
			second := b.get("/b")
			if first.Err != "" || second.Err != "" {
				t.Fatalf("errors: %q, %q\n%s", first.Err, second.Err, b.timeline())
			}
			for _, r := range []Result{first, second} {
				if r.Status != 200 || r.Body != "Hello World!" || r.Proto != "HTTP/1.1" {
					t.Errorf("got %d %s %q, want 200 HTTP/1.1 %q", r.Status, r.Proto, r.Body, "Hello World!")
				}
			}
			if first.Conn != "P1" || first.Reused {
				t.Errorf("first request: conn %s reused %v, want a fresh P1", first.Conn, first.Reused)
			}
			if second.Conn != "P1" || !second.Reused || !second.WasIdle || second.IdleTime <= 0 || second.Retried {
				t.Errorf("second request: %+v, want P1 reused after some idle time", second)
			}
			if n := len(b.events("P2")); n != 0 {
				t.Errorf("a second connection was opened: %d events on P2", n)
			}
			if ci := b.info("P1"); ci.State != Idle || ci.Requests != 2 {
				t.Errorf("P1 info %+v, want idle after 2 requests", ci)
			}
		})
	}
}

// TestIdleTimeouts: whichever idle timeout is shorter, client's or
// server's, closes the connection, and the next request dials anew.
func TestIdleTimeouts(t *testing.T) {
	tests := []struct {
		name      string
		runtime   string
		serverMs  int
		client    time.Duration
		by        string
		reason    string
		note      string
		closeFrom time.Duration // after the response arrived
	}{
		{"client IdleConnTimeout first node", "node20", 5000, 60 * time.Millisecond, timeline.ByClient, timeline.ReasonClient, "IdleConnTimeout", 60 * time.Millisecond},
		{"client IdleConnTimeout first go", "go", 5000, 60 * time.Millisecond, timeline.ByClient, timeline.ReasonClient, "IdleConnTimeout", 60 * time.Millisecond},
		// Node 18: Node 20 adds a 1 s buffer to keepAliveTimeout.
		{"server keep-alive timeout first", "node18", 80, 5 * time.Second, timeline.ByServer, timeline.ReasonKeepAliveTimeout, "closed by the server", 80 * time.Millisecond},
		{"server idle timeout first", "go", 80, 5 * time.Second, timeline.ByServer, timeline.ReasonIdleTimeout, "closed by the server", 80 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startBridge(t, demo(tt.runtime, tt.serverMs), Options{IdleConnTimeout: tt.client}, 0)
			if r := b.get("/"); r.Err != "" || r.Conn != "P1" {
				t.Fatalf("first request: %+v", r)
			}
			recv := b.waitEvent("P1", timeline.Recv)
			closed := b.waitEvent("P1", timeline.Close)
			if closed.By != tt.by || closed.Reason != tt.reason {
				t.Errorf("close by %s (%s), want by %s (%s)\n%s", closed.By, closed.Reason, tt.by, tt.reason, b.timeline())
			}
			// The timeout runs from the response; the clock is the
			// session's, so only the lower bound is tight.
			if gap := time.Duration((closed.T - recv.T) * float64(time.Millisecond)); gap < tt.closeFrom-10*time.Millisecond || gap > tt.closeFrom+time.Second {
				t.Errorf("closed %v after the response, want about %v", gap, tt.closeFrom)
			}
			// The client learns of it once the message arrives.
			deadline := time.Now().Add(waitFor)
			for b.info("P1").State != Closed && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if ci := b.info("P1"); ci.State != Closed || ci.ClosedBy != tt.by || ci.Note != tt.note {
				t.Errorf("P1 info %+v, want closed by %s (%s)", ci, tt.by, tt.note)
			}
			r := b.get("/")
			if r.Err != "" || r.Conn != "P2" || r.Reused || r.Retried {
				t.Errorf("next request: %+v, want a fresh P2", r)
			}
		})
	}
}

// TestKeepAliveRace reuses a connection at the moment the server's idle
// timeout closes it. The backend's messages reach the client latency
// late, as over a real WebSocket, so the request is written into a
// connection the server has already closed while the client still holds
// it idle. What happens next is net/http's own: an idempotent request on a
// reused connection is retried on a new one; a POST is not, and the
// Transport's error is what the person sees. Timing decides which side
// of the race each run lands on; every run must end in one of the
// outcomes real net/http produces, and the window is wide enough that the
// race shows in at least one of the runs.
func TestKeepAliveRace(t *testing.T) {
	const (
		serverIdle = 100 * time.Millisecond
		latency    = 60 * time.Millisecond
		// reuseAfter lands the request after the server's close (the
		// response arrived latency late) and well before the client can
		// know of it.
		reuseAfter = serverIdle - latency + 10*time.Millisecond
		runs       = 3
	)
	tests := []struct {
		name    string
		runtime string
		method  string
		body    string
	}{
		// Node 18: Node 20 closes keepAliveTimeout + 1 s after. The POST
		// has no body: on Node 18 a body the handler never reads cancels
		// the keep-alive timeout, and the connection would never close.
		{"node GET is retried", "node18", "GET", ""},
		{"node POST fails", "node18", "POST", ""},
		{"go GET is retried", "go", "GET", ""},
		{"go POST fails", "go", "POST", "x=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raced := 0
			for run := range runs {
				b := startBridge(t, demo(tt.runtime, int(serverIdle/time.Millisecond)), Options{IdleConnTimeout: 10 * time.Second}, latency)
				ctx, cancel := context.WithTimeout(context.Background(), waitFor)
				first := b.p.Do(ctx, tt.method, "/", nil, tt.body)
				if first.Err != "" {
					cancel()
					t.Fatalf("run %d: first request: %s", run, first.Err)
				}
				time.Sleep(reuseAfter)
				r := b.p.Do(ctx, tt.method, "/", nil, tt.body)
				cancel()
				t.Logf("run %d: %+v", run, r)
				switch {
				case r.Err == "" && !r.Retried:
					// Either side of the window: reused before the close, or
					// the client already knew and dialled P2.
					if r.Status != 200 || r.Reused != (r.Conn == "P1") {
						t.Errorf("run %d: %+v", run, r)
					}
				case r.Err == "" && r.Retried:
					raced++
					if tt.method != "GET" || r.Status != 200 || len(r.Attempts) != 2 ||
						r.Attempts[0].Conn != "P1" || !r.Attempts[0].Reused || r.Conn != "P2" || r.Reused {
						t.Errorf("run %d: retried, but %+v", run, r)
					}
				default:
					raced++
					if tt.method == "GET" {
						t.Errorf("run %d: an idempotent request on a reused connection failed instead of being retried: %s\n%s", run, r.Err, b.timeline())
					}
					if !realRaceError(tt.method, r.Err) || r.Retried || r.Conn != "P1" || !r.Reused {
						t.Errorf("run %d: %+v, want net/http's own error on reused P1\n%s", run, r, b.timeline())
					}
				}
				b.stop()
			}
			if raced == 0 {
				t.Errorf("no run of %d landed in the race window", runs)
			}
		})
	}
}

// realRaceError reports whether msg is an error net/http's Transport
// reports for a non-idempotent request on a connection the server closed.
func realRaceError(method, msg string) bool {
	prefix := method[:1] + strings.ToLower(method[1:]) + ` "http://demo/": `
	switch strings.TrimPrefix(msg, prefix) {
	case "EOF", "http: server closed idle connection", "read tcp P1->demo:80: read: connection reset by peer":
		return strings.HasPrefix(msg, prefix)
	}
	return false
}

func TestRefusedAfterClose(t *testing.T) {
	for _, rt := range []string{"node20", "node18"} {
		t.Run(rt, func(t *testing.T) {
			b := startBridge(t, demo(rt, 5000, scenario.Route{Path: "/end", Body: "Closedown", Then: scenario.Then{scenario.ThenClose}}), Options{}, 0)
			if r := b.get("/end"); r.Err != "" || r.Body != "Closedown" {
				t.Fatalf("/end: %+v", r)
			}
			b.waitEvent("", timeline.ListenerClosed)
			// close() ran while P1 carried the request, so P1 was not idle
			// then and survives it (on Node 20 too): the next request
			// reuses it. Only a new connection finds the listener closed.
			r := b.get("/")
			if r.Err != "" || r.Conn != "P1" || !r.Reused {
				t.Fatalf("after close(): %+v, want P1 reused\n%s", r, b.timeline())
			}
			b.p.CloseIdle()
			if ci := b.info("P1"); ci.State != Closed || ci.Note != "CloseIdleConnections" {
				t.Errorf("P1 info %+v, want closed by CloseIdleConnections", ci)
			}
			r = b.get("/")
			const want = `Get "http://demo/": dial tcp demo:80: connect: connection refused`
			if r.Err != want || r.Conn != "" {
				t.Errorf("got %+v, want %q\n%s", r, want, b.timeline())
			}
			if ci := b.info("P2"); ci.State != Failed || ci.Note != "dial tcp demo:80: connect: connection refused" {
				t.Errorf("P2 info %+v, want a failed dial", ci)
			}
			if ev := b.waitEvent("P2", timeline.Refused); ev.Error != "connect: connection refused" {
				t.Errorf("refused event %+v", ev)
			}
		})
	}
}

func TestServerClosesAfterResponse(t *testing.T) {
	no := false
	tests := []struct {
		name string
		sc   scenario.Scenario
	}{
		{"node keepAlive off", func() scenario.Scenario {
			sc := demo("node20", 5000)
			sc.Server.KeepAlive = &no
			return sc
		}()},
		{"go keepAlive off", func() scenario.Scenario {
			sc := demo("go", 5000)
			sc.Server.KeepAlive = &no
			return sc
		}()},
		{"node destroy", demo("node20", 5000, scenario.Route{Path: "/", Body: "bye", Then: scenario.Then{scenario.ThenDestroy}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startBridge(t, tt.sc, Options{}, 0)
			for i, want := range []string{"P1", "P2"} {
				r := b.get("/")
				if r.Err != "" || r.Status != 200 || r.Conn != want || r.Reused {
					t.Errorf("request %d: %+v, want 200 on a fresh %s\n%s", i, r, want, b.timeline())
				}
			}
		})
	}
}

func TestDisableKeepAlives(t *testing.T) {
	b := startBridge(t, demo("node20", 5000), Options{DisableKeepAlives: true}, 0)
	for i, want := range []string{"P1", "P2"} {
		r := b.get("/")
		if r.Err != "" || r.Conn != want || r.Reused {
			t.Errorf("request %d: %+v, want a fresh %s", i, r, want)
		}
	}
	if ev := b.waitEvent("P1", timeline.Send); !strings.Contains(ev.Data, "Connection: close") {
		t.Errorf("P1's request does not say Connection: close: %q", ev.Data)
	}
}
