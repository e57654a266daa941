package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/keepalive-playground/playground/backend/tcpstate"

	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// leakSessions is how many sessions TestNoLeakAfterManySessions runs;
// `make test` runs the default, `make load` a class of 1,000.
var leakSessions = flag.Int("leak-sessions", 200, "sessions TestNoLeakAfterManySessions opens, runs and closes")

// leakBatch is how many of those sessions are in flight at once.
const leakBatch = 50

// shortScenario is one request on a Node 20 demo server that closes the
// connection after answering: every part of a session works for it, and
// it is over in milliseconds.
const shortScenario = `{"v":1,"server":{"runtime":"node20","routes":[{"path":"*","body":"ok"}]},
 "client":{"steps":[{"at":0,"conn":"A","send":"GET / HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n"}]},
 "durationMs":500}`

// baseline is what the process holds before a test starts its server.
type baseline struct {
	opt goleak.Option
	fds int
}

func takeBaseline(t *testing.T) baseline {
	t.Helper()
	// The network poller opens its own descriptors on first use.
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
	}
	http.DefaultClient.CloseIdleConnections()
	// So does the reader of the kernel's TCP states (one netlink socket).
	tcpstate.Shared()
	return baseline{opt: goleak.IgnoreCurrent(), fds: countFDs(t)}
}

// verify checks that goroutines and open files are back to the baseline.
func (b baseline) verify(t *testing.T) {
	t.Helper()
	goleak.VerifyNone(t, b.opt)
	n := countFDs(t)
	for i := 0; n > b.fds && i < 100; i++ {
		time.Sleep(20 * time.Millisecond)
		n = countFDs(t)
	}
	if n > b.fds {
		t.Errorf("%d open files, %d before the test", n, b.fds)
	}
}

func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files: %v", err)
	}
	return len(ents)
}

// playSession is one page: hello, load the short scenario, its step, the
// server's close of A, and a clean close of the WebSocket.
func playSession(url string) error {
	c, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {strings.Replace(strings.TrimSuffix(url, "/ws"), "ws", "http", 1)}})
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	write := func(m wire.Msg) error { return c.WriteJSON(m) }
	until := func(what string, ok func(wire.Msg) bool) error {
		for {
			var m wire.Msg
			if err := c.ReadJSON(&m); err != nil {
				return fmt.Errorf("waiting for %s: %w", what, err)
			}
			if m.Type == wire.Error {
				return fmt.Errorf("error while waiting for %s: %s", what, m.Message)
			}
			if ok(m) {
				return nil
			}
		}
	}
	if err := write(wire.Msg{Type: wire.Hello, V: wire.Version}); err != nil {
		return err
	}
	if err := until("ready", isType(wire.Ready)); err != nil {
		return err
	}
	if err := until("the default scenario", isType(wire.Loaded)); err != nil {
		return err
	}
	if err := write(wire.Msg{Type: wire.Load, Scenario: []byte(shortScenario)}); err != nil {
		return err
	}
	if err := until("the short scenario", isType(wire.Loaded)); err != nil {
		return err
	}
	at := 0.0
	if err := write(wire.Msg{Type: wire.Write, Conn: "A", At: &at, Data: []byte("GET / HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n")}); err != nil {
		return err
	}
	if err := until("the server's close of A", func(m wire.Msg) bool {
		return m.Type == wire.Ev && m.Event.Conn == "A" && m.Event.Kind == timeline.Close && m.Event.By == timeline.ByServer
	}); err != nil {
		return err
	}
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return nil
			}
			return fmt.Errorf("closing: %w", err)
		}
	}
}

// TestNoLeakAfterManySessions opens, runs and closes -leak-sessions
// sessions on real demo servers, leakBatch at a time, and checks that the
// process is back where it started: no goroutine and no open file left.
func TestNoLeakAfterManySessions(t *testing.T) {
	n := *leakSessions
	if testing.Short() {
		n = min(n, leakBatch)
	}
	base := takeBaseline(t)
	s := New(Options{Assets: testAssets, Runtimes: all.Runtimes(), MaxSessionsPerIP: leakBatch})
	ts := httptest.NewServer(s)
	url := wsURL(ts)
	start := time.Now()
	var failed sync.Map
	for done := 0; done < n; done += leakBatch {
		var wg sync.WaitGroup
		for i := done; i < min(done+leakBatch, n); i++ {
			wg.Go(func() {
				if err := playSession(url); err != nil {
					failed.Store(i, err)
				}
			})
		}
		wg.Wait()
		// A closed session frees its slot when its handler returns, a
		// moment after the client saw the close: let the batch drain so
		// the next one fits under the per-address limit.
		waitSessions(t, s, 0)
	}
	elapsed := time.Since(start)
	failures := 0
	failed.Range(func(k, v any) bool {
		if failures++; failures <= 5 {
			t.Errorf("session %v: %v", k, v)
		}
		return true
	})
	if failures > 0 {
		t.Errorf("%d of %d sessions failed", failures, n)
	}
	waitSessions(t, s, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	ts.Close()
	base.verify(t)
	t.Logf("%d sessions in %v (%.1f ms each, %d at a time)", n, elapsed.Round(time.Millisecond),
		float64(elapsed.Milliseconds())/float64(n)*leakBatch, leakBatch)
}

// TestShutdownWithSessionsInFlight shuts the server down while 100
// sessions are in the middle of a story scenario: every page is told, every
// session and demo server ends within the shutdown budget, and nothing is
// left behind.
func TestShutdownWithSessionsInFlight(t *testing.T) {
	const sessions = 100
	raw, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "answer2-timeout-node20.json"))
	if err != nil {
		t.Fatal(err)
	}
	base := takeBaseline(t)
	s := New(Options{Assets: testAssets, Runtimes: all.Runtimes(), MaxSessionsPerIP: sessions})
	ts := httptest.NewServer(s)
	defer ts.Close()

	conns := make([]*websocket.Conn, sessions)
	var wg sync.WaitGroup
	errs := make([]error, sessions)
	for i := range conns {
		wg.Go(func() {
			c, _, err := websocket.DefaultDialer.Dial(wsURL(ts), nil)
			if err != nil {
				errs[i] = err
				return
			}
			conns[i] = c
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			c.WriteJSON(wire.Msg{Type: wire.Hello, V: wire.Version})
			c.WriteJSON(wire.Msg{Type: wire.Load, Scenario: raw})
			c.WriteJSON(wire.Msg{Type: wire.Write, Conn: "A", At: new(0.0), Data: []byte("GET /test HTTP/1.1\r\nHost: demo\r\n\r\n")})
			c.WriteJSON(wire.Msg{Type: wire.Write, Conn: "B", At: new(1000.0), Data: []byte("GET /end HTTP/1.1\r\nHost: demo\r\n\r\n")})
			var seen []string
			for {
				var m wire.Msg
				if err := c.ReadJSON(&m); err != nil {
					errs[i] = fmt.Errorf("%w after %v", err, seen)
					return
				}
				if m.Type == wire.Ev {
					seen = append(seen, fmt.Sprintf("%s:%s@%.1f", m.Event.Conn, m.Event.Kind, m.Event.T))
				} else {
					seen = append(seen, m.Type)
				}
				if m.Type == wire.Error {
					errs[i] = fmt.Errorf("error: %s", m.Message)
					return
				}
				// In flight: the run has reached A's step. (How A fares on
				// a machine this busy is not what this test is about: CI's
				// played it 2 s late, after B's /end had closed the
				// server, and A was refused.)
				if m.Type == wire.Ev && m.Event.Conn == "A" {
					return
				}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("session %d did not get going: %v", i, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if n := s.Sessions(); n != sessions {
		t.Fatalf("%d sessions live, want %d", n, sessions)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t0 := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	took := time.Since(t0)
	for i, c := range conns {
		wg.Go(func() {
			defer c.Close()
			gotBye := false
			for {
				var m wire.Msg
				err := c.ReadJSON(&m)
				if err != nil {
					var ce *websocket.CloseError
					if !errors.As(err, &ce) || ce.Code != websocket.CloseServiceRestart {
						errs[i] = fmt.Errorf("ended with %v, want close %d", err, websocket.CloseServiceRestart)
					} else if !gotBye {
						errs[i] = errors.New("no bye before the close")
					}
					return
				}
				gotBye = gotBye || m.Type == wire.Bye && m.Message != ""
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("session %d: %v", i, err)
		}
	}
	if took > 5*time.Second {
		t.Errorf("shutdown took %v, want under 5 s", took)
	}
	if n := s.Sessions(); n != 0 {
		t.Errorf("%d sessions after shutdown", n)
	}
	ts.Close()
	base.verify(t)
	t.Logf("shutdown of %d sessions in flight took %v", sessions, took.Round(time.Millisecond))
}
