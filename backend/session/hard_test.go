package session

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/sandbox/sandboxtest"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// recorder sees every demo server a session starts and every address
// the session dials.
type recorder struct {
	mu     sync.Mutex
	addrs  []string // the session's demo servers, in start order
	dialed []string
}

func (r *recorder) factory(inner sandbox.Factory) sandbox.Factory {
	return func(cfg sandbox.Config) (sandbox.Server, error) {
		srv, err := inner(cfg)
		if err == nil {
			r.mu.Lock()
			r.addrs = append(r.addrs, srv.Addr())
			r.mu.Unlock()
		}
		return srv, err
	}
}

func (r *recorder) runtimes(inner sandbox.Factory) map[string]sandbox.Factory {
	f := r.factory(inner)
	m := map[string]sandbox.Factory{}
	for _, name := range scenario.RuntimeNames() {
		m[name] = f
	}
	return m
}

// startWith is start with the session's runtimes and dialer instrumented.
func startWith(t *testing.T, rec *recorder, inner sandbox.Factory) *harness {
	t.Helper()
	h := &harness{t: t, done: make(chan error, 1), wake: make(chan struct{}, 1)}
	h.s = New(Config{ID: t.Name(), Runtimes: rec.runtimes(inner), Out: h.out})
	real := h.s.dial
	h.s.dial = func(ctx context.Context, d *net.Dialer, addr string) (net.Conn, error) {
		rec.mu.Lock()
		rec.dialed = append(rec.dialed, "tcp "+addr)
		rec.mu.Unlock()
		return real(ctx, d, addr)
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	go func() { h.done <- h.s.Run(h.ctx) }()
	t.Cleanup(h.stop)
	h.wait("loaded", func(m wire.Msg) bool { return m.Type == wire.Loaded })
	return h
}

// sync makes sure every message before it has been handled.
func (h *harness) sync(seq uint64) {
	h.t.Helper()
	h.send(wire.Msg{Type: wire.Ping, Seq: seq})
	h.wait(fmt.Sprintf("pong %d", seq), func(m wire.Msg) bool { return m.Type == wire.Pong && m.Seq == seq })
}

// TestSessionDialsOnlyItsOwnDemoServer sends every message type with
// fields crafted to look like somewhere else (labels that are addresses,
// bytes that name hosts, the other session's labels, odd times, scenarios
// with address-like fields), to two sessions side by side. Whatever
// arrives, a session dials only the demo server it started itself.
func TestSessionDialsOnlyItsOwnDemoServer(t *testing.T) {
	var recA, recB recorder
	a := startWith(t, &recA, sandboxtest.NewEcho)
	b := startWith(t, &recB, sandboxtest.NewEcho)

	// B opens its own connection first, so that A knows its label.
	b.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("b's own\n")})
	b.waitEvent("A", timeline.Recv)
	recB.mu.Lock()
	bAddr := recB.addrs[0]
	recB.mu.Unlock()

	odd := []float64{-1, 0, 0.0001, 1e-300, math.MaxFloat64, math.Inf(1), math.NaN(), MaxScheduleAheadMs + 1}
	labels := []string{"A", "B", bAddr, "127.0.0.1:22", "localhost:80", "[::1]:8080", "10.0.0.1:443",
		"169.254.169.254:80", "unix:/var/run/docker.sock", "", "../../etc", strings.Repeat("x", 300), "\x00"}
	payloads := [][]byte{
		[]byte("CONNECT " + bAddr + " HTTP/1.1\r\nHost: " + bAddr + "\r\n\r\n"),
		[]byte("GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n"),
		[]byte("\x05\x01\x00"), // a SOCKS5 greeting
		{},
	}
	scenarios := []string{
		`{"v":1,"server":{"runtime":"node20","host":"10.0.0.1","port":22}}`,
		`{"v":1,"server":{"runtime":"go","addr":"` + bAddr + `"}}`,
		`{"v":1,"server":{"runtime":"node20"},"client":{"steps":[{"at":0,"conn":"` + bAddr + `","send":"x"}]}}`,
		`{"v":1,"server":{"runtime":"` + bAddr + `"}}`,
		`{"v":1,"server":{"runtime":"node18"},"durationMs":-5}`,
		`{"v":1,"server":{"runtime":"go"}}`,
		`not json`,
	}
	var seq uint64 = 100
	for _, label := range labels {
		for _, data := range payloads {
			a.send(wire.Msg{Type: wire.Write, Conn: label, Data: data})
		}
		for _, typ := range []string{wire.Open, wire.Shut, wire.Reset} {
			a.send(wire.Msg{Type: typ, Conn: label})
			for _, at := range odd {
				a.send(wire.Msg{Type: typ, Conn: label, At: &at})
			}
		}
		seq++
		a.sync(seq)
	}
	for _, action := range append(slices.Clone(wire.Actions), "connect "+bAddr, "") {
		a.send(wire.Msg{Type: wire.Control, Action: action})
		a.send(wire.Msg{Type: wire.Restart})
	}
	for _, raw := range scenarios {
		a.send(wire.Msg{Type: wire.Load, Scenario: json.RawMessage(raw)})
		a.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte(bAddr)})
	}
	// Messages only the backend sends, and ones with every field set.
	all := wire.Msg{Type: wire.Hello, V: 1, Session: "b", Seq: 1, Conn: bAddr, Data: []byte(bAddr),
		At: new(0.0), Action: "close", Scenario: json.RawMessage(scenarios[1]), Code: "x", Message: bAddr, Now: 1, Program: bAddr}
	for _, typ := range []string{wire.Hello, wire.Ready, wire.Pong, wire.Ev, wire.Loaded, wire.Error, wire.Bye, wire.EOF, "dial", "connect", ""} {
		m := all
		m.Type = typ
		a.send(m)
	}
	a.sync(1)
	a.send(wire.Msg{Type: wire.Write, Conn: "Z", Data: []byte("still mine\n")})
	a.waitEvent("Z", timeline.Recv)

	recA.mu.Lock()
	defer recA.mu.Unlock()
	recB.mu.Lock()
	defer recB.mu.Unlock()
	if len(recA.dialed) == 0 {
		t.Fatal("session A dialed nothing: the test proves nothing")
	}
	for _, d := range recA.dialed {
		addr, _ := strings.CutPrefix(d, "tcp ")
		if !strings.HasPrefix(d, "tcp ") || !slices.Contains(recA.addrs, addr) {
			t.Errorf("session A dialed %q, which is not one of its own demo servers %v", d, recA.addrs)
		}
		if slices.Contains(recB.addrs, addr) {
			t.Errorf("session A dialed session B's demo server %s", addr)
		}
	}
	for _, d := range recB.dialed {
		if d != "tcp "+bAddr {
			t.Errorf("session B dialed %q, want only its own %s", d, bAddr)
		}
	}
	// B's timeline has only B's own connection on it.
	for _, e := range b.events() {
		if e.Conn != "" && e.Conn != "A" {
			t.Errorf("session B shows a connection %q it never opened", e.Conn)
		}
	}
	t.Logf("session A: %d dials, %d demo servers, all its own", len(recA.dialed), len(recA.addrs))
}

// sink is a demo server that reads and discards, so byte limits can be
// tested without echoing megabytes back.
type sink struct {
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	conn []net.Conn
	done chan struct{}
}

func newSink(cfg sandbox.Config) (sandbox.Server, error) {
	ln, err := cfg.Listen()
	if err != nil {
		return nil, err
	}
	s := &sink{ln: ln, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conn = append(s.conn, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				io.Copy(io.Discard, c)
				c.Close()
			}()
		}
	}()
	return s, nil
}

func (s *sink) Addr() string                { return s.ln.Addr().String() }
func (s *sink) Control(action string) error { return s.ln.Close() }
func (s *sink) Exited() <-chan struct{}     { return s.done }
func (s *sink) Close() error {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conn {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// drained waits until the session holds no write.
func (h *harness) drained() {
	h.t.Helper()
	for i := 0; h.s.budget.writes.Load() != 0; i++ {
		if i == 500 {
			h.t.Fatalf("the session still holds %d bytes of writes", h.s.budget.writes.Load())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestSessionLimits goes over each limit the session enforces. Each time
// the person is told which limit, and the session goes on working.
func TestSessionLimits(t *testing.T) {
	chunk := make([]byte, 512<<10)
	tests := []struct {
		name string
		over func(h *harness)
		conn string // the error's connection, if any
		want string // in the error message
	}{
		{"connections open at once", func(h *harness) {
			for i := range MaxConns + 1 {
				h.send(wire.Msg{Type: wire.Open, Conn: fmt.Sprintf("c%d", i)})
			}
		}, fmt.Sprintf("c%d", MaxConns), fmt.Sprintf("at most %d connections may be open", MaxConns)},
		{"connections per run", func(h *harness) {
			// Refused connects do not stay open, so only the per-run
			// bound stops them.
			h.send(wire.Msg{Type: wire.Control, Action: scenario.ThenClose})
			for i := range MaxConnsPerRun {
				h.send(wire.Msg{Type: wire.Open, Conn: fmt.Sprintf("r%d", i)})
				h.waitEvent(fmt.Sprintf("r%d", i), timeline.Refused)
			}
			h.send(wire.Msg{Type: wire.Open, Conn: fmt.Sprintf("r%d", MaxConnsPerRun)})
		}, fmt.Sprintf("r%d", MaxConnsPerRun), fmt.Sprintf("at most %d connections", MaxConnsPerRun)},
		{"bytes per connection", func(h *harness) {
			for i := range 2 {
				h.send(wire.Msg{Type: wire.Write, Conn: "A", Data: chunk})
				h.sync(uint64(900 + i))
				h.drained()
			}
			h.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("x")})
		}, "A", fmt.Sprintf("at most %d bytes", MaxBytesPerConn)},
		{"bytes per run", func(h *harness) {
			for i := range MaxBytesPerSession / len(chunk) {
				h.send(wire.Msg{Type: wire.Write, Conn: fmt.Sprintf("b%d", i/2), Data: chunk})
				// Written before the next, so that the run's total, not
				// the memory budget, is what stops the last one.
				h.sync(uint64(1000 + i))
				h.drained()
			}
			h.send(wire.Msg{Type: wire.Write, Conn: "last", Data: []byte("x")})
		}, "last", fmt.Sprintf("a run may send at most %d bytes", MaxBytesPerSession)},
		{"steps waiting for their time", func(h *harness) {
			for i := range MaxPending + 1 {
				h.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("x"), At: at(60_000 + float64(i))})
			}
		}, "A", fmt.Sprintf("at most %d steps", MaxPending)},
		{"scheduled too far ahead", func(h *harness) {
			h.send(wire.Msg{Type: wire.Open, Conn: "A", At: at(MaxScheduleAheadMs + 10_000)})
		}, "A", fmt.Sprintf("at most %d ms ahead", MaxScheduleAheadMs)},
		{"steps per scenario", func(h *harness) {
			steps := make([]scenario.Step, scenario.MaxSteps+1)
			for i := range steps {
				steps[i] = scenario.Step{At: i, Conn: "A", Send: new("x")}
			}
			raw, _ := json.Marshal(map[string]any{"v": 1, "server": map[string]string{"runtime": "node20"}, "client": map[string]any{"steps": steps}})
			h.send(wire.Msg{Type: wire.Load, Scenario: raw})
		}, "", "steps"},
		{"scenario duration", func(h *harness) {
			h.send(wire.Msg{Type: wire.Load, Scenario: json.RawMessage(fmt.Sprintf(`{"v":1,"server":{"runtime":"node20"},"durationMs":%d}`, scenario.MaxDurationMs+1))})
		}, "", "durationMs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorder
			h := startWith(t, &rec, newSink)
			tt.over(h)
			e := h.wait("limit error", func(m wire.Msg) bool {
				return m.Type == wire.Error && (m.Code == wire.CodeLimit || m.Code == wire.CodeScenario)
			})
			if e.Conn != tt.conn || !strings.Contains(e.Message, tt.want) {
				t.Errorf("error = %s %q on %q, want %q on %q", e.Code, e.Message, e.Conn, tt.want, tt.conn)
			}
			// The session carries on: it answers, and a fresh load works.
			h.sync(1 << 40)
			raw, _ := scenario.Marshal(new(scenario.Default()))
			h.send(wire.Msg{Type: wire.Load, Scenario: raw})
			h.send(wire.Msg{Type: wire.Open, Conn: "after"})
			h.waitEvent("after", timeline.Connect)
		})
	}
}
