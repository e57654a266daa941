package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/sandbox/sandboxtest"
	"github.com/keepalive-playground/playground/backend/session"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// session opens a WebSocket, says hello and waits until the default
// scenario is loaded.
func openSession(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/ws", map[string][]string{"Origin": {url}})
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	t.Cleanup(func() { c.Close() })
	send(t, c, wire.Msg{Type: wire.Hello, V: wire.Version})
	recvUntil(t, c, "loaded", isType(wire.Loaded))
	return c
}

// untouched checks that a bystander session still answers and was told
// nothing in the meantime.
func untouched(t *testing.T, c *websocket.Conn, seq uint64) {
	t.Helper()
	send(t, c, wire.Msg{Type: wire.Ping, Seq: seq})
	recvUntil(t, c, "the bystander's pong", func(m wire.Msg) bool {
		if m.Type == wire.Error || m.Type == wire.Bye {
			t.Errorf("the bystander session was told %s: %s", m.Type, m.Message)
		}
		return m.Type == wire.Pong && m.Seq == seq
	})
}

// waitSessions polls until the server counts n sessions.
func waitSessions(t *testing.T, s *Server, n int) {
	t.Helper()
	for i := 0; s.Sessions() != n; i++ {
		if i == 200 {
			t.Fatalf("sessions = %d, want %d", s.Sessions(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// demoRecorder records every demo server and whom it accepted.
type demoRecorder struct {
	mu      sync.Mutex
	addrs   []string
	accepts [][]string // per server, the peers it accepted
}

func (r *demoRecorder) runtimes() map[string]sandbox.Factory {
	f := func(cfg sandbox.Config) (sandbox.Server, error) {
		r.mu.Lock()
		i := len(r.addrs)
		r.addrs = append(r.addrs, "")
		r.accepts = append(r.accepts, nil)
		r.mu.Unlock()
		emit := cfg.Emit
		cfg.Emit = func(peer string, ev timeline.Event) {
			if ev.Kind == timeline.Accept {
				r.mu.Lock()
				r.accepts[i] = append(r.accepts[i], peer)
				r.mu.Unlock()
			}
			emit(peer, ev)
		}
		srv, err := sandboxtest.NewEcho(cfg)
		if err == nil {
			r.mu.Lock()
			r.addrs[i] = srv.Addr()
			r.mu.Unlock()
		}
		return srv, err
	}
	m := map[string]sandbox.Factory{}
	for _, name := range scenario.RuntimeNames() {
		m[name] = f
	}
	return m
}

// TestTunnelReachesOnlyItsOwnDemoServer: session A sends every kind of
// message with fields that name session B's demo server, B's labels,
// other ports and other hosts. None of it reaches anything but A's own
// demo servers: B's server accepts B's one connection and nothing else,
// and B sees only its own events. Messages that try to carry an address
// in a field of their own are not the protocol and close A's session.
func TestTunnelReachesOnlyItsOwnDemoServer(t *testing.T) {
	var rec demoRecorder
	_, ts := newTestServer(t, Options{Runtimes: rec.runtimes(), MaxMessagesPerSecond: 1e6, MessageBurst: 1e6})
	a := openSession(t, ts.URL)
	b := openSession(t, ts.URL)
	send(t, b, wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("b\n")})
	recvUntil(t, b, "B's echo", func(m wire.Msg) bool { return m.Type == wire.Ev && m.Event.Kind == timeline.Recv })
	rec.mu.Lock()
	bAddr := rec.addrs[1]
	rec.mu.Unlock()

	var msgs []wire.Msg
	// Labels are per session: B's own label, and labels that read like
	// hosts, are just names here.
	for _, label := range []string{"A", "B", "localhost", "metadata-google"} {
		for _, typ := range []string{wire.Open, wire.Write, wire.Shut, wire.Reset} {
			m := wire.Msg{Type: typ, Conn: label}
			if typ == wire.Write {
				m.Data = []byte("GET http://" + bAddr + "/ HTTP/1.1\r\nHost: " + bAddr + "\r\n\r\n")
			}
			msgs = append(msgs, m)
		}
	}
	for _, action := range wire.Actions {
		msgs = append(msgs, wire.Msg{Type: wire.Control, Action: action}, wire.Msg{Type: wire.Restart},
			wire.Msg{Type: wire.Write, Conn: "A", Data: []byte(bAddr)})
	}
	for _, sc := range []string{
		`{"v":1,"server":{"runtime":"node20"},"client":{"steps":[{"at":0,"conn":"A","send":"` + bAddr + `"}]}}`,
		`{"v":1,"server":{"runtime":"go","keepAliveTimeoutMs":1}}`,
	} {
		msgs = append(msgs, wire.Msg{Type: wire.Load, Scenario: json.RawMessage(sc)}, wire.Msg{Type: wire.Open, Conn: "A"})
	}
	for _, m := range msgs {
		send(t, a, m)
	}
	send(t, a, wire.Msg{Type: wire.Write, Conn: "Z", Data: []byte("mine\n")})
	recvUntil(t, a, "A's own echo on Z", func(m wire.Msg) bool {
		return m.Type == wire.Ev && m.Event.Conn == "Z" && m.Event.Kind == timeline.Recv
	})
	untouched(t, b, 1)

	rec.mu.Lock()
	if got := rec.accepts[1]; len(got) != 1 {
		t.Errorf("session B's demo server %s accepted %d connections %v, want only B's own", bAddr, len(got), got)
	}
	aAccepts := 0
	for i, peers := range rec.accepts {
		if i != 1 {
			aAccepts += len(peers)
		}
	}
	rec.mu.Unlock()
	if aAccepts == 0 {
		t.Error("session A's own demo servers accepted nothing: the test proves nothing")
	}

	// An address as a label, or in a field of its own, is not the
	// protocol: it closes that session and dials nothing.
	for _, raw := range []string{
		`{"type":"open","conn":"` + bAddr + `"}`,
		`{"type":"write","conn":"127.0.0.1:22","data":"eA=="}`,
		`{"type":"open","conn":"[::1]:80"}`,
		`{"type":"shut","conn":"10.0.0.1"}`,
		`{"type":"reset","conn":"unix:/run/x.sock"}`,
		`{"type":"open","conn":"A","addr":"` + bAddr + `"}`,
		`{"type":"write","conn":"A","data":"eA==","host":"10.0.0.1","port":22}`,
		`{"type":"open","conn":"A","url":"http://169.254.169.254/"}`,
	} {
		c := openSession(t, ts.URL)
		c.WriteMessage(websocket.TextMessage, []byte(raw))
		if code, reason := closeCode(t, c); code != CloseBadMessage {
			t.Errorf("%s: close %d %q, want %d", raw, code, reason, CloseBadMessage)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got := rec.accepts[1]; len(got) != 1 {
		t.Errorf("session B's demo server accepted %v", got)
	}
}

// TestLimitsOverTheWire goes over every limit a page can reach. Each time
// the person is told clearly (an error message, or a close frame with a
// reason), a bystander session is untouched, and the server takes new
// sessions.
func TestLimitsOverTheWire(t *testing.T) {
	chunk := bytes.Repeat([]byte("x"), wire.MaxWriteBytes)
	steps := make([]scenario.Step, scenario.MaxSteps+1)
	for i := range steps {
		steps[i] = scenario.Step{At: i, Conn: "A", Send: new("x")}
	}
	tooManySteps, _ := json.Marshal(map[string]any{"v": 1, "server": map[string]string{"runtime": "node20"}, "client": map[string]any{"steps": steps}})

	tests := []struct {
		name string
		opts Options
		// over goes over the limit on a fresh session (or, with nil, on a
		// new connection) and returns what the page then reads.
		over      func(t *testing.T, c *websocket.Conn)
		wantError string // in an error message; the session goes on
		wantClose int    // or the session is closed with this code
		wantWords string // in the close reason
	}{
		{name: "sessions in all", opts: Options{MaxSessions: 2, MaxSessionsPerIP: 10},
			wantClose: websocket.CloseTryAgainLater, wantWords: "full"},
		{name: "sessions per address", opts: Options{MaxSessions: 10, MaxSessionsPerIP: 2},
			wantClose: websocket.CloseTryAgainLater, wantWords: "too many sessions from your address"},
		{name: "message size", over: func(t *testing.T, c *websocket.Conn) {
			c.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte(" "), wire.MaxMessageBytes+1))
		}, wantClose: CloseBadMessage, wantWords: "larger than 64 KiB"},
		{name: "message rate", opts: Options{MaxMessagesPerSecond: 20, MessageBurst: 20}, over: func(t *testing.T, c *websocket.Conn) {
			for i := range 25 {
				send(t, c, wire.Msg{Type: wire.Ping, Seq: uint64(100 + i)})
			}
		}, wantError: "more than 20 messages a second"},
		{name: "message rate kept up", opts: Options{MaxMessagesPerSecond: 20, MessageBurst: 20}, over: func(t *testing.T, c *websocket.Conn) {
			for i := range 60 {
				// The server may close while these are on their way.
				c.WriteJSON(wire.Msg{Type: wire.Ping, Seq: uint64(100 + i)})
			}
		}, wantClose: CloseRateLimit, wantWords: "more than 20 messages a second"},
		{name: "connections per session", over: func(t *testing.T, c *websocket.Conn) {
			for i := range session.MaxConns + 1 {
				send(t, c, wire.Msg{Type: wire.Open, Conn: fmt.Sprintf("c%d", i)})
			}
		}, wantError: fmt.Sprintf("at most %d connections", session.MaxConns)},
		{name: "bytes per connection", over: func(t *testing.T, c *websocket.Conn) {
			for range session.MaxBytesPerConn/len(chunk) + 1 {
				send(t, c, wire.Msg{Type: wire.Write, Conn: "A", Data: chunk})
			}
		}, wantError: fmt.Sprintf("at most %d bytes", session.MaxBytesPerConn)},
		{name: "steps per scenario", over: func(t *testing.T, c *websocket.Conn) {
			send(t, c, wire.Msg{Type: wire.Load, Scenario: tooManySteps})
		}, wantError: "steps"},
		{name: "scenario duration", over: func(t *testing.T, c *websocket.Conn) {
			send(t, c, wire.Msg{Type: wire.Load, Scenario: json.RawMessage(fmt.Sprintf(
				`{"v":1,"server":{"runtime":"node20"},"durationMs":%d}`, scenario.MaxDurationMs+1))})
		}, wantError: "durationMs"},
		{name: "step too far ahead", over: func(t *testing.T, c *websocket.Conn) {
			send(t, c, wire.Msg{Type: wire.Open, Conn: "A", At: new(float64(session.MaxScheduleAheadMs + 60_000))})
		}, wantError: "ahead"},
		{name: "session lifetime", opts: Options{SessionLifetime: 300 * time.Millisecond, IdleTimeout: time.Hour},
			over:      func(t *testing.T, c *websocket.Conn) {},
			wantClose: CloseLifetime, wantWords: "limit"},
		{name: "idle session", opts: Options{IdleTimeout: 200 * time.Millisecond},
			over:      func(t *testing.T, c *websocket.Conn) {},
			wantClose: CloseIdle, wantWords: "idle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts := newTestServer(t, tt.opts)
			var bystander *websocket.Conn
			if tt.opts.SessionLifetime == 0 && tt.opts.IdleTimeout == 0 {
				bystander = openSession(t, ts.URL)
			}
			var c *websocket.Conn
			if tt.over == nil {
				// Fill the server, then one more.
				for s.Sessions() < min(tt.opts.MaxSessions, tt.opts.MaxSessionsPerIP) {
					openSession(t, ts.URL)
				}
				c = dial(t, ts)
			} else {
				c = openSession(t, ts.URL)
				tt.over(t, c)
			}
			if tt.wantError != "" {
				e := recvUntil(t, c, "a limit error", isType(wire.Error))
				if !strings.Contains(e.Message, tt.wantError) {
					t.Errorf("error = %q, want it to say %q", e.Message, tt.wantError)
				}
				// The session itself goes on (after the bucket refills, for
				// the rate limit).
				time.Sleep(100 * time.Millisecond)
				untouched(t, c, 1<<40)
			} else {
				code, reason := closeCode(t, c)
				if code != tt.wantClose || !strings.Contains(reason, tt.wantWords) {
					t.Errorf("close %d %q, want %d saying %q", code, reason, tt.wantClose, tt.wantWords)
				}
			}
			if bystander != nil {
				untouched(t, bystander, 7)
			}
			if tt.over != nil {
				openSession(t, ts.URL) // the server takes new sessions
			}
		})
	}
}

// TestGarbageClosesOnlyThatSession sends frames a page never would:
// random bytes as text and as binary, mangled messages, frames over the
// size limit, and bytes that are not WebSocket framing at all. Each time
// only the session that sent it ends (with a reason when the frame was
// readable), and a bystander is untouched.
func TestGarbageClosesOnlyThatSession(t *testing.T) {
	s, ts := newTestServer(t, Options{})
	bystander := openSession(t, ts.URL)
	rng := rand.New(rand.NewPCG(7, 9))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	valid := [][]byte{
		[]byte(`{"type":"write","conn":"A","data":"eA=="}`),
		[]byte(`{"type":"ping","seq":1}`),
		[]byte(`{"type":"load","scenario":{"v":1,"server":{"runtime":"node20"}}}`),
	}
	mangle := func() []byte {
		b := slices.Clone(valid[rng.IntN(len(valid))])
		for range 1 + rng.IntN(4) {
			if len(b) == 0 {
				break
			}
			switch i := rng.IntN(len(b)); rng.IntN(3) {
			case 0:
				b[i] = byte(rng.IntN(256))
			case 1:
				b = slices.Delete(b, i, i+1)
			default:
				b = slices.Insert(b, i, "{}[]\",:\\"[rng.IntN(8)])
			}
		}
		return b
	}
	type frame struct {
		kind int
		data []byte
		raw  bool // bytes straight onto the TCP connection
	}
	tests := []struct {
		name  string
		frame func() frame
		want  int // close code; 0: any end (or none, for a mangled message that stayed valid)
	}{
		{"random text", func() frame { return frame{kind: websocket.TextMessage, data: random(1 + rng.IntN(2000))} }, CloseBadMessage},
		{"random binary", func() frame { return frame{kind: websocket.BinaryMessage, data: random(1 + rng.IntN(2000))} }, CloseBadMessage},
		{"valid JSON as binary", func() frame { return frame{kind: websocket.BinaryMessage, data: valid[1]} }, CloseBadMessage},
		{"mangled message", func() frame { return frame{kind: websocket.TextMessage, data: mangle()} }, 0},
		{"huge text", func() frame {
			return frame{kind: websocket.TextMessage, data: bytes.Repeat([]byte("{"), 4*wire.MaxMessageBytes)}
		}, CloseBadMessage},
		{"huge binary", func() frame { return frame{kind: websocket.BinaryMessage, data: random(2 * wire.MaxMessageBytes)} }, CloseBadMessage},
		{"not WebSocket framing", func() frame { return frame{raw: true, data: random(64)} }, 0},
		{"unmasked frame", func() frame { return frame{raw: true, data: []byte("\x81\x05hello")} }, 0},
		{"reserved opcode", func() frame { return frame{raw: true, data: []byte("\x83\x80\x00\x00\x00\x00")} }, 0},
		{"huge length header", func() frame {
			return frame{raw: true, data: []byte("\x81\xff\x7f\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00")}
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 5 {
				f := tt.frame()
				c := openSession(t, ts.URL)
				if f.raw {
					c.UnderlyingConn().Write(f.data)
				} else if err := c.WriteMessage(f.kind, f.data); err != nil && len(f.data) <= wire.MaxMessageBytes {
					// A frame over the limit may be cut off by the
					// server's close while it is still being written.
					t.Fatalf("write: %v", err)
				}
				if f.kind == websocket.TextMessage && tt.want == 0 {
					// A mangled message may still be a valid one: then the
					// session answers a ping; otherwise it is closed.
					c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","seq":424242}`))
				}
				// The close frame arrives even after an oversized frame:
				// the server reads the rest before it closes the socket,
				// so no reset overtakes it.
				code, reason, ended := readToEnd(c)
				if tt.want != 0 && code != tt.want {
					t.Errorf("try %d: close %d %q, want %d", i, code, reason, tt.want)
				}
				if tt.want == CloseBadMessage && reason == "" {
					t.Errorf("try %d: no reason for the person", i)
				}
				if tt.want == 0 && !ended && f.kind != websocket.TextMessage {
					t.Errorf("try %d: the session survived garbage", i)
				}
				c.Close()
			}
			waitSessions(t, s, 1)
			untouched(t, bystander, 3)
		})
	}
}

// readToEnd reads until the connection ends or a pong 424242 shows the
// session is alive; it returns the close code and reason, if any.
func readToEnd(c *websocket.Conn) (code int, reason string, ended bool) {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for range 10000 {
		_, data, err := c.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code, ce.Text, true
			}
			return 0, "", true
		}
		if bytes.Contains(data, []byte(`"seq":424242`)) {
			return 0, "", false
		}
	}
	return 0, "", false
}

func TestRateLimitBucket(t *testing.T) {
	t0 := time.Unix(0, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name  string
		times []time.Time
		want  []rateVerdict
	}{
		{"burst passes", []time.Time{ms(0), ms(0), ms(0)}, []rateVerdict{rateOK, rateOK, rateOK}},
		{"over the burst is refused, told once", []time.Time{ms(0), ms(0), ms(0), ms(0), ms(0), ms(0)},
			[]rateVerdict{rateOK, rateOK, rateOK, rateWarn, rateDrop, rateDrop}},
		{"the bucket refills", []time.Time{ms(0), ms(0), ms(0), ms(0), ms(100), ms(200)},
			[]rateVerdict{rateOK, rateOK, rateOK, rateWarn, rateOK, rateOK}},
		{"abuse ends it", []time.Time{ms(0), ms(0), ms(0), ms(1), ms(1), ms(1), ms(2)},
			[]rateVerdict{rateOK, rateOK, rateOK, rateWarn, rateDrop, rateDrop, rateAbuse}},
		{"a new window tells again", []time.Time{ms(0), ms(0), ms(0), ms(0), ms(11_000), ms(11_000), ms(11_000), ms(11_000)},
			[]rateVerdict{rateOK, rateOK, rateOK, rateWarn, rateOK, rateOK, rateOK, rateWarn}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRateLimit(10, 3)
			var got []rateVerdict
			for _, at := range tt.times {
				got = append(got, r.take(at))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("verdicts = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestRateLimitWarningPrecedesTheClose: a page that keeps sending over the
// rate is first told, then closed with 4006; the warning must not be lost
// to the close (the writer used to pick the end over its queue at random).
func TestRateLimitWarningPrecedesTheClose(t *testing.T) {
	_, ts := newTestServer(t, Options{MaxMessagesPerSecond: 20, MessageBurst: 20})
	for try := range 20 {
		c := openSession(t, ts.URL)
		for i := range 60 {
			c.WriteJSON(wire.Msg{Type: wire.Ping, Seq: uint64(100 + i)})
		}
		warned := false
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != CloseRateLimit {
					t.Fatalf("try %d: ended with %v, want close %d", try, err, CloseRateLimit)
				}
				break
			}
			warned = warned || bytes.Contains(data, []byte("more than 20 messages a second; some were ignored"))
		}
		if !warned {
			t.Errorf("try %d: closed with 4006 without the warning first", try)
		}
		c.Close()
	}
}
