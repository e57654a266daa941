package server

import (
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// isEvent matches an event of kind on conn.
func isEvent(conn, kind string) func(wire.Msg) bool {
	return func(m wire.Msg) bool { return m.Type == wire.Ev && m.Event.Conn == conn && m.Event.Kind == kind }
}

// TestClosedListenerIsNeverDialed is the stale-port attack of issue 11:
// a session whose demo server closed its listener opens a connection
// again, after its old port has gone to someone else (another session's
// demo server once the ports have gone round, or any program on the
// machine; here a listener of the test's own). The open is refused and
// nothing reaches whoever holds the port now.
func TestClosedListenerIsNeverDialed(t *testing.T) {
	var rec demoRecorder
	_, ts := newTestServer(t, Options{Runtimes: rec.runtimes()})
	a := openSession(t, ts.URL)
	rec.mu.Lock()
	old := rec.addrs[0]
	rec.mu.Unlock()
	send(t, a, wire.Msg{Type: wire.Control, Action: "close"})
	recvUntil(t, a, "listener-closed", func(m wire.Msg) bool { return m.Type == wire.Ev && m.Event.Kind == timeline.ListenerClosed })

	squatter, err := net.Listen("tcp", old)
	if err != nil {
		t.Skipf("the old port %s went elsewhere before the test could take it: %v", old, err)
	}
	var mu sync.Mutex
	var reached []string
	go func() {
		for {
			c, err := squatter.Accept()
			if err != nil {
				return
			}
			b, _ := io.ReadAll(io.LimitReader(c, 100))
			mu.Lock()
			reached = append(reached, string(b))
			mu.Unlock()
			c.Close()
		}
	}()
	defer squatter.Close()

	send(t, a, wire.Msg{Type: wire.Open, Conn: "B"})
	if ev := recvUntil(t, a, "B refused", isEvent("B", timeline.Refused)); ev.Event.Error != "connect: connection refused" {
		t.Errorf("refused with %q", ev.Event.Error)
	}
	send(t, a, wire.Msg{Type: wire.Write, Conn: "C", Data: []byte("GET /secret HTTP/1.1\r\nHost: demo\r\n\r\n")})
	recvUntil(t, a, "C refused", isEvent("C", timeline.Refused))
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(reached) > 0 {
		t.Errorf("the session reached the program that took its old port %s: %q", old, reached)
	}
}

// gatedRuntimes are the real runtimes, recording each demo server's
// listener address.
type gatedRuntimes struct {
	mu    sync.Mutex
	addrs []string
}

func (g *gatedRuntimes) runtimes() map[string]sandbox.Factory {
	out := map[string]sandbox.Factory{}
	for name, f := range all.Runtimes() {
		out[name] = func(cfg sandbox.Config) (sandbox.Server, error) {
			g.mu.Lock()
			g.addrs = append(g.addrs, cfg.Listener.Addr().String())
			g.mu.Unlock()
			return f(cfg)
		}
	}
	return out
}

func (g *gatedRuntimes) last() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.addrs[len(g.addrs)-1]
}

// TestDemoServersServeOnlyTheirOwnSession: anyone on the machine can
// connect to a demo server's predictable loopback port, but every real
// runtime resets such a connection before reading a byte: it neither
// answers nor runs a route (here /end, which would close the server), and
// the session's timeline does not show it. The session's own connections
// go on working.
func TestDemoServersServeOnlyTheirOwnSession(t *testing.T) {
	var g gatedRuntimes
	_, ts := newTestServer(t, Options{Runtimes: g.runtimes()})
	scenarios := map[string]string{
		"node20": `{"v":1,"server":{"runtime":"node20","routes":[{"path":"/end","body":"bye","then":"close"},{"path":"*","body":"mine"}]}}`,
		"node18": `{"v":1,"server":{"runtime":"node18","routes":[{"path":"/end","body":"bye","then":"exit"},{"path":"*","body":"mine"}]}}`,
		"go":     `{"v":1,"server":{"runtime":"go","routes":[{"path":"/end","body":"bye","then":"shutdown"},{"path":"*","body":"mine"}]}}`,
	}
	for name, sc := range scenarios {
		t.Run(name, func(t *testing.T) {
			c := openSession(t, ts.URL)
			send(t, c, wire.Msg{Type: wire.Load, Scenario: json.RawMessage(sc)})
			recvUntil(t, c, "loaded", isType(wire.Loaded))
			addr := g.last()
			for i := range 5 {
				stranger, err := net.Dial("tcp", addr)
				if err != nil {
					continue // reset before the connect returned
				}
				stranger.Write([]byte("GET /end HTTP/1.1\r\nHost: demo\r\n\r\n"))
				stranger.SetReadDeadline(time.Now().Add(2 * time.Second))
				got, _ := io.ReadAll(stranger)
				stranger.Close()
				if len(got) > 0 {
					t.Errorf("stranger %d was answered: %q", i, got)
				}
			}
			send(t, c, wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("GET / HTTP/1.1\r\nHost: demo\r\n\r\n")})
			var seen []string
			recvUntil(t, c, "the session's own answer", func(m wire.Msg) bool {
				if m.Type == wire.Ev {
					seen = append(seen, m.Event.Conn+":"+m.Event.Kind)
					if m.Event.Kind == timeline.Accept && m.Event.Conn != "A" {
						t.Errorf("the timeline shows a connection it did not open: %+v", *m.Event)
					}
					if m.Event.Kind == timeline.CloseCalled || m.Event.Kind == timeline.ShutdownCalled || m.Event.Kind == timeline.Exit {
						t.Errorf("a stranger ran the /end route: %+v", *m.Event)
					}
				}
				return m.Type == wire.Ev && m.Event.Conn == "A" && m.Event.Kind == timeline.Recv && strings.Contains(m.Event.Data, "mine")
			})
			t.Logf("the session saw %v", seen)
		})
	}
}
