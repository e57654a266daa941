package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/sandbox/sandboxtest"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// harness runs a session against the echo demo server and records what
// the browser would receive.
type harness struct {
	t      *testing.T
	s      *Session
	ctx    context.Context
	cancel context.CancelFunc
	done   chan error

	mu   sync.Mutex
	msgs []wire.Msg
	wake chan struct{}
}

func start(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, done: make(chan error, 1), wake: make(chan struct{}, 1)}
	h.s = New(Config{ID: "test", Runtimes: sandboxtest.Runtimes(), Out: h.out})
	h.ctx, h.cancel = context.WithCancel(context.Background())
	go func() { h.done <- h.s.Run(h.ctx) }()
	t.Cleanup(h.stop)
	h.wait("loaded", func(m wire.Msg) bool { return m.Type == wire.Loaded })
	return h
}

func (h *harness) stop() {
	h.cancel()
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		h.t.Error("session did not end within 5 s of its context")
	}
}

func (h *harness) out(m wire.Msg) bool {
	h.mu.Lock()
	h.msgs = append(h.msgs, m)
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
	return true
}

func (h *harness) send(m wire.Msg) {
	h.t.Helper()
	if !h.s.Deliver(h.ctx, m) {
		h.t.Fatal("session refused a message")
	}
}

// wait returns the first message (from the start) that satisfies ok.
func (h *harness) wait(what string, ok func(wire.Msg) bool) wire.Msg {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		h.mu.Lock()
		for _, m := range h.msgs {
			if ok(m) {
				h.mu.Unlock()
				return m
			}
		}
		h.mu.Unlock()
		select {
		case <-h.wake:
		case <-deadline:
			h.t.Fatalf("no %s; got %v", what, h.events())
		}
	}
}

func (h *harness) waitEvent(conn, kind string) timeline.Event {
	h.t.Helper()
	return *h.wait(conn+" "+kind, func(m wire.Msg) bool {
		return m.Type == wire.Ev && m.Event.Conn == conn && m.Event.Kind == kind
	}).Event
}

func (h *harness) events() []timeline.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var evs []timeline.Event
	for _, m := range h.msgs {
		if m.Type == wire.Ev {
			evs = append(evs, *m.Event)
		}
	}
	return evs
}

// all is every message the browser has received so far.
func (h *harness) all() []wire.Msg {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.msgs)
}

func at(ms float64) *float64 { return &ms }

func TestEchoRoundTrip(t *testing.T) {
	h := start(t)
	h.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("hello\r\n")})
	recv := h.waitEvent("A", timeline.Recv)
	if recv.Data != "hello\r\n" {
		t.Errorf("recv = %q", recv.Data)
	}
	var kinds []string
	for _, e := range h.events() {
		if e.Conn == "A" && e.Kind != timeline.TCP {
			kinds = append(kinds, e.Kind)
		}
	}
	// The kernel completes the handshake before the server's accept()
	// returns, so accept may land anywhere before recv; the client's own
	// events keep their order.
	var client []string
	for _, k := range kinds {
		if k != timeline.Accept {
			client = append(client, k)
		}
	}
	if got := strings.Join(client, ","); got != "connect,send,recv" || !slices.Contains(kinds, timeline.Accept) {
		t.Errorf("events on A = %v", kinds)
	}
	if slices.Index(kinds, timeline.Accept) > slices.Index(kinds, timeline.Recv) {
		t.Errorf("accept after recv: %v", kinds)
	}
}

func TestEventsAreOrderedAndNumbered(t *testing.T) {
	h := start(t)
	for _, c := range []string{"A", "B", "C"} {
		h.send(wire.Msg{Type: wire.Write, Conn: c, Data: []byte("x")})
	}
	for _, c := range []string{"A", "B", "C"} {
		h.waitEvent(c, timeline.Recv)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var lastSeq uint64
	lastT := -1.0
	for _, m := range h.msgs {
		if m.Type != wire.Ev {
			continue
		}
		if m.Seq != lastSeq+1 {
			t.Errorf("seq %d after %d", m.Seq, lastSeq)
		}
		if m.Event.T < lastT {
			t.Errorf("t %.1f after %.1f", m.Event.T, lastT)
		}
		lastSeq, lastT = m.Seq, m.Event.T
	}
}

func TestScheduledWriteRunsAtItsTime(t *testing.T) {
	h := start(t)
	h.send(wire.Msg{Type: wire.Open, Conn: "A"})
	h.waitEvent("A", timeline.Connect)
	const want = 150.0
	h.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("x"), At: at(want)})
	sent := h.waitEvent("A", timeline.Send)
	// Late by scheduling noise on a loaded machine, never early.
	if sent.T < want || sent.T > want+80 {
		t.Errorf("send at %.1f ms, want %.0f ms (+80 ms at most)", sent.T, want)
	}
}

func TestConnectAfterListenerClosedIsRefused(t *testing.T) {
	h := start(t)
	h.send(wire.Msg{Type: wire.Control, Action: scenario.ThenClose})
	h.wait("listener-closed", func(m wire.Msg) bool { return m.Type == wire.Ev && m.Event.Kind == timeline.ListenerClosed })
	h.send(wire.Msg{Type: wire.Open, Conn: "B"})
	ev := h.waitEvent("B", timeline.Refused)
	if !strings.Contains(ev.Error, "connection refused") {
		t.Errorf("refused error = %q", ev.Error)
	}
	// B is gone; a new open of B dials again.
	h.send(wire.Msg{Type: wire.Write, Conn: "B", Data: []byte("x")})
	h.wait("second refusal", func(m wire.Msg) bool {
		return m.Type == wire.Ev && m.Seq > 0 && m.Event.Conn == "B" && m.Event.Kind == timeline.Refused && m.Event.T > ev.T
	})
}

// TestHalfCloseShowsBothEnds: a client's FIN and the server's FIN in
// answer are two close events, each end once, the first saying which end
// is still open; the session folds neither into the other.
func TestHalfCloseShowsBothEnds(t *testing.T) {
	h := start(t)
	h.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("x")})
	h.waitEvent("A", timeline.Recv)
	h.send(wire.Msg{Type: wire.Shut, Conn: "A"})
	cl := h.waitEvent("A", timeline.Close)
	if cl.By != timeline.ByClient || cl.Open != timeline.ByServer {
		t.Errorf("first close by %q open %q, want by client, server's end open", cl.By, cl.Open)
	}
	// The echo server closes its end when it reads the FIN, and reports
	// that close too, as the client's socket sees it (EOF): one event.
	srv := h.wait("server's close", func(m wire.Msg) bool {
		return m.Type == wire.Ev && m.Event.Conn == "A" && m.Event.Kind == timeline.Close && m.Event.By == timeline.ByServer
	}).Event
	if srv.Open != "" || srv.T < cl.T {
		t.Errorf("server's close %+v after client's at %v: want no open end, not earlier", srv, cl.T)
	}
	h.send(wire.Msg{Type: wire.Ping, Seq: 1})
	h.wait("pong", func(m wire.Msg) bool { return m.Type == wire.Pong })
	time.Sleep(30 * time.Millisecond)
	by := map[string]int{}
	for _, e := range h.events() {
		if e.Conn == "A" && e.Kind == timeline.Close {
			by[e.By]++
		}
	}
	if by[timeline.ByClient] != 1 || by[timeline.ByServer] != 1 || len(by) != 2 {
		t.Errorf("close events on A by end: %v, want one each by client and server", by)
	}
}

func TestResetByClient(t *testing.T) {
	h := start(t)
	h.send(wire.Msg{Type: wire.Open, Conn: "A"})
	h.waitEvent("A", timeline.Connect)
	h.send(wire.Msg{Type: wire.Reset, Conn: "A"})
	ev := h.waitEvent("A", timeline.Reset)
	if ev.By != timeline.ByClient {
		t.Errorf("reset by %q", ev.By)
	}
	h.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("x")})
	e := h.wait("error", func(m wire.Msg) bool { return m.Type == wire.Error && m.Conn == "A" })
	if !strings.Contains(e.Message, "reset") {
		t.Errorf("write after reset: %q", e.Message)
	}
}

func TestLimitsKeepTheSessionAlive(t *testing.T) {
	h := start(t)
	for i := range MaxConns + 1 {
		label := string(rune('A'+i%26)) + string(rune('a'+i/26))
		h.send(wire.Msg{Type: wire.Open, Conn: label})
	}
	e := h.wait("limit error", func(m wire.Msg) bool { return m.Type == wire.Error && m.Code == wire.CodeLimit })
	if !strings.Contains(e.Message, "at most") {
		t.Errorf("limit message = %q", e.Message)
	}
	big := make([]byte, MaxBytesPerConn+1)
	h.send(wire.Msg{Type: wire.Write, Conn: "Aa", Data: big})
	h.wait("byte limit", func(m wire.Msg) bool {
		return m.Type == wire.Error && m.Conn == "Aa" && strings.Contains(m.Message, "bytes")
	})
	h.send(wire.Msg{Type: wire.Ping, Seq: 9})
	h.wait("pong after limits", func(m wire.Msg) bool { return m.Type == wire.Pong && m.Seq == 9 })
}

// Finished connections make room for new ones: a person using the pooled
// client opens far more than MaxConns over a session, one at a time.
func TestFinishedConnectionsDoNotCountTowardMaxConns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		finish func(h *harness, label string)
	}{
		{"reset by the client", func(h *harness, label string) {
			h.send(wire.Msg{Type: wire.Reset, Conn: label})
			h.waitEvent(label, timeline.Reset)
		}},
		{"closed at both ends", func(h *harness, label string) {
			h.send(wire.Msg{Type: wire.Shut, Conn: label})
			// The echo server closes its end when the client's FIN
			// arrives; the client's reader sees that FIN.
			h.wait("the server's FIN on "+label, func(m wire.Msg) bool { return m.Type == wire.EOF && m.Conn == label })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t)
			for i := range MaxConns + 8 {
				label := fmt.Sprintf("c%d", i)
				h.send(wire.Msg{Type: wire.Open, Conn: label})
				h.waitEvent(label, timeline.Connect)
				tc.finish(h, label)
			}
			h.send(wire.Msg{Type: wire.Ping, Seq: 7})
			h.wait("pong", func(m wire.Msg) bool { return m.Type == wire.Pong && m.Seq == 7 })
			for _, m := range h.all() {
				if m.Type == wire.Error {
					t.Errorf("error after %d finished connections: %s", MaxConns+8, m.Message)
				}
			}
		})
	}
}

func TestBadScenarioIsExplained(t *testing.T) {
	h := start(t)
	h.send(wire.Msg{Type: wire.Load, Scenario: []byte(`{"v":1,"server":{"runtime":"node20","routes":[{"path":"*","then":"closeIdel"}]}}`)})
	e := h.wait("scenario error", func(m wire.Msg) bool { return m.Type == wire.Error && m.Code == wire.CodeScenario })
	if !strings.Contains(e.Message, `server.routes[0].then`) {
		t.Errorf("message does not name the field: %q", e.Message)
	}
}

func TestLoadRestartsTheClock(t *testing.T) {
	h := start(t)
	time.Sleep(50 * time.Millisecond)
	raw, _ := scenario.Marshal(new(scenario.Default()))
	h.send(wire.Msg{Type: wire.Load, Scenario: raw})
	n := 0
	m := h.wait("second loaded", func(m wire.Msg) bool {
		if m.Type == wire.Loaded {
			n++
		}
		return m.Type == wire.Loaded && n == 2
	})
	if m.Now > 20 {
		t.Errorf("clock after load = %.1f ms, want about 0", m.Now)
	}
}

func TestSlowBrowserEndsTheSession(t *testing.T) {
	n := 0
	s := New(Config{ID: "slow", Runtimes: sandboxtest.Runtimes(), Out: func(wire.Msg) bool {
		n++
		return n < 3 // ready and loaded fit, then the queue is "full"
	}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	s.Deliver(ctx, wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("x")})
	select {
	case err := <-done:
		if !errors.Is(err, ErrSlowClient) {
			t.Errorf("Run = %v, want ErrSlowClient", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a session whose browser does not read was kept")
	}
}

// TestWriteAfterServerFINShowsTheReset is the keep-alive race as the
// kernel plays it: the server closed, the client writes anyway, the
// server's kernel answers RST, and the client sees ECONNRESET.
func TestWriteAfterServerFINShowsTheReset(t *testing.T) {
	h := start(t)
	h.send(wire.Msg{Type: wire.Open, Conn: "A"})
	h.waitEvent("A", timeline.Accept)
	h.send(wire.Msg{Type: wire.Control, Action: scenario.ThenExit}) // the echo server closes every socket
	h.wait("eof", func(m wire.Msg) bool { return m.Type == wire.EOF && m.Conn == "A" })
	h.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("GET / HTTP/1.1\r\n\r\n")})
	ev := h.waitEvent("A", timeline.Reset)
	if ev.By != timeline.ByServer || !strings.Contains(ev.Error, "broken pipe") {
		t.Errorf("reset = %+v, want by server with the EPIPE the next write gets", ev)
	}
}

// TestControlTheRuntimeLacks: a control the scenario's runtime does not
// have is refused in the runtime's own words, before the demo server sees
// it; the session lives on.
func TestControlTheRuntimeLacks(t *testing.T) {
	h := start(t)
	h.send(wire.Msg{Type: wire.Load, Scenario: []byte(`{"v":1,"server":{"runtime":"go"}}`)})
	n := 0
	h.wait("loaded go", func(m wire.Msg) bool {
		if m.Type == wire.Loaded {
			n++
		}
		return m.Type == wire.Loaded && n == 2
	})
	h.send(wire.Msg{Type: wire.Control, Action: scenario.ThenCloseIdle})
	e := h.wait("error", func(m wire.Msg) bool { return m.Type == wire.Error && m.Code == wire.CodeConn })
	if want := `Go net/http has no "closeIdle" control; it has srv.Shutdown(ctx), srv.Close(), os.Exit(0)`; e.Message != want {
		t.Errorf("error %q, want %q", e.Message, want)
	}
	h.sync(7) // the session lives on
}

// TestClockStartsWhenTheServerListens: a demo server that takes a while
// to start (a real Node release on a loaded machine took 995 ms) must not
// squeeze the scenario's first steps together; the clock reads 0 until
// it listens.
func TestClockStartsWhenTheServerListens(t *testing.T) {
	const startMs = 300
	slow := func(cfg sandbox.Config) (sandbox.Server, error) {
		time.Sleep(startMs * time.Millisecond)
		return sandboxtest.NewEcho(cfg)
	}
	var rec recorder
	h := startWith(t, &rec, slow)
	loaded := h.wait("loaded", func(m wire.Msg) bool { return m.Type == wire.Loaded })
	if loaded.Now > 20 {
		t.Errorf("loaded at %.1f ms after a %d ms start, want about 0", loaded.Now, startMs)
	}
	for _, e := range h.events() {
		if e.T > 20 {
			t.Errorf("startup event %+v stamped %.1f ms, want about 0", e, e.T)
		}
	}
	h.send(wire.Msg{Type: wire.Open, Conn: "A", At: at(0)})
	h.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("x"), At: at(200)})
	c := h.waitEvent("A", timeline.Connect)
	s := h.waitEvent("A", timeline.Send)
	if d := s.T - c.T; d < 150 {
		t.Errorf("steps at 0 and 200 ms ran %.1f ms apart", d)
	}
}

// TestLoadPlaysItsSteps: a load with Play runs the scenario's own steps on
// the session clock, so that a page on a slow link (which would send them
// one latency after `loaded`) still sees steps at 0 and 200 ms run 200 ms
// apart from the start. Without Play the session waits for the client's
// own steps, as a client that sends them expects.
func TestLoadPlaysItsSteps(t *testing.T) {
	const sc = `{"v":1,"server":{"runtime":"node26"},"client":{"steps":[
		{"at":0,"conn":"A","send":"one"},{"at":200,"conn":"B","send":"two"}]},"durationMs":1000}`
	for _, tc := range []struct {
		name string
		play bool
	}{
		{"play", true},
		{"the client's own steps", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t)
			h.send(wire.Msg{Type: wire.Load, Scenario: []byte(sc), Run: true, Play: tc.play})
			loaded := h.wait("loaded", func(m wire.Msg) bool { return m.Type == wire.Loaded })
			if !tc.play {
				time.Sleep(300 * time.Millisecond)
				for _, e := range h.events() {
					if e.Conn != "" {
						t.Fatalf("without Play the session ran a step itself: %+v", e)
					}
				}
				return
			}
			a := h.waitEvent("A", timeline.Send)
			b := h.waitEvent("B", timeline.Send)
			if a.T-loaded.Now > 30 {
				t.Errorf("the step at 0 ms ran at %.1f ms, %.1f ms after the load", a.T, a.T-loaded.Now)
			}
			if d := b.T - a.T; d < 180 || d > 260 {
				t.Errorf("steps at 0 and 200 ms ran %.1f ms apart", d)
			}
			if a.Data != "one" || b.Data != "two" {
				t.Errorf("sent %q on A and %q on B, want the steps' bytes", a.Data, b.Data)
			}
		})
	}
}
