package session

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/sandbox/node"
	"github.com/keepalive-playground/playground/backend/sandbox/sandboxtest"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// fillers are the characters that grow most on their way to the page:
// escaped as JSON (\u0001 is six bytes for one), in a JavaScript or Go
// literal and then as JSON again ('\” is three), or turned into U+FFFD,
// three bytes for one invalid byte.
var fillers = map[string]string{
	"control":     `\u0001`,
	"quote":       `'`,
	"backslash":   `\\`,
	"double":      `\"`,
	"angle":       `<`,
	"invalid":     "\xff",
	"separator":   "\u2028",
	"replacement": "\ufffd",
}

// largest is the largest scenario for runtime with every string filled
// with f: 32 routes of bodies, a full title, as long as it stays within
// scenario.MaxScenarioBytes.
func largest(runtime, f string) []byte {
	build := func(n int) []byte {
		var b bytes.Buffer
		fmt.Fprintf(&b, `{"v":1,"title":"%s","server":{"runtime":%q,"routes":[`, strings.Repeat(f, scenario.MaxTitleChars), runtime)
		for i := range scenario.MaxRoutes {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"path":"/%d","status":200,"body":"%s"}`, i, strings.Repeat(f, n))
		}
		b.WriteString(`]}}`)
		return b.Bytes()
	}
	var decoded string
	if json.Unmarshal([]byte(`"`+f+`"`), &decoded) != nil {
		panic("filler " + f)
	}
	lo, hi := 0, scenario.MaxBodyBytes
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if len(build(mid)) <= scenario.MaxScenarioBytes && mid*len(decoded) <= scenario.MaxBodyBytes {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return build(lo)
}

// after waits for a message past the first n that satisfies ok.
func (h *harness) after(n int, what string, ok func(wire.Msg) bool) wire.Msg {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if msgs := h.all(); len(msgs) > n {
			for _, m := range msgs[n:] {
				if ok(m) {
					return m
				}
			}
		}
		select {
		case <-h.wake:
		case <-deadline:
			h.t.Fatalf("no %s", what)
		}
	}
}

// TestServerMessagesFit loads the largest scenarios a page can send, of
// the characters that grow most, and checks that the loaded message (the
// scenario and its program) and an event carrying any bytes encode within
// the wire's bound: a message over it would be lost to the page.
func TestServerMessagesFit(t *testing.T) {
	h := start(t)
	most := 0
	for _, runtime := range []string{"node20", "go"} {
		for name, f := range fillers {
			raw := largest(runtime, f)
			n := len(h.all())
			h.send(wire.Msg{Type: wire.Load, Scenario: raw})
			m := h.after(n, "loaded or an error", func(m wire.Msg) bool { return m.Type == wire.Loaded || m.Type == wire.Error })
			if m.Type != wire.Loaded {
				t.Errorf("%s/%s (%d bytes): %s", runtime, name, len(raw), m.Message)
				continue
			}
			b, err := wire.Encode(m)
			if err != nil {
				t.Errorf("%s/%s: the loaded message does not encode: %v", runtime, name, err)
				continue
			}
			most = max(most, len(b))
		}
	}
	t.Logf("the largest loaded message is %d KiB of %d", most>>10, wire.MaxServerMessageBytes>>10)

	for _, c := range []byte{0x00, 0x01, 0xff, '"', '\\', '<'} {
		ev := timeline.Event{T: 1e6, Conn: "ABCDEFGHIJKLMNOP", Kind: timeline.Send, Data: string(bytes.Repeat([]byte{c}, wire.MaxWriteBytes))}
		if _, err := wire.Encode(wire.Msg{Type: wire.Ev, Seq: 1 << 60, Event: &ev}); err != nil {
			t.Errorf("a write of %d bytes %q does not fit an event: %v", wire.MaxWriteBytes, c, err)
		}
	}
}

// TestAnyBytesReachThePage writes 12 KiB of NUL bytes (74 KB once escaped,
// over the old 64 KiB bound, so the event never reached the page) and gets
// the send and every recv of the echo, numbered without a gap.
func TestAnyBytesReachThePage(t *testing.T) {
	h := start(t)
	data := make([]byte, 12<<10)
	h.send(wire.Msg{Type: wire.Write, Conn: "A", Data: data})
	got := 0
	h.wait("the echo", func(m wire.Msg) bool {
		if m.Type == wire.Ev && m.Event.Conn == "A" && m.Event.Kind == timeline.Recv {
			got += len(m.Event.Data)
		}
		return got >= len(data)
	})
	var seq uint64
	for _, m := range h.all() {
		if m.Type != wire.Ev {
			continue
		}
		if _, err := wire.Encode(m); err != nil {
			t.Errorf("event %d: %v", m.Seq, err)
		}
		if m.Seq != seq+1 {
			t.Errorf("event seq %d after %d", m.Seq, seq)
		}
		seq = m.Seq
	}
}

// TestLongProblemListsAreCut: a scenario with hundreds of problems is
// answered with its first problems in full and a count of the rest, in
// one message well within the wire's bound.
func TestLongProblemListsAreCut(t *testing.T) {
	h := start(t)
	var routes []string
	for i := range 400 {
		routes = append(routes, fmt.Sprintf(`{"path":"bad%d","status":%d,"then":"nope%d"}`, i, 1000+i, i))
	}
	h.send(wire.Msg{Type: wire.Load, Scenario: []byte(`{"v":1,"server":{"runtime":"node20","routes":[` + strings.Join(routes, ",") + `]}}`)})
	e := h.wait("the problems", func(m wire.Msg) bool { return m.Type == wire.Error })
	if len(e.Message) > maxErrorBytes || !strings.Contains(e.Message, "more lines") || !strings.Contains(e.Message, "server.routes") {
		t.Errorf("error of %d bytes:\n%.300s…", len(e.Message), e.Message)
	}
	if _, err := wire.Encode(e); err != nil {
		t.Error(err)
	}
}

func TestCapText(t *testing.T) {
	lines := strings.Repeat("a problem of some length\n", 1000)
	tests := []struct {
		name, in string
		max      int
		want     string // prefix
		wantTail string
	}{
		{"short", "one line", 100, "one line", "one line"},
		{"many lines", lines, 200, "a problem of some length\n", "… and 995 more lines"},
		{"one long line", strings.Repeat("é", 1000), 200, "éé", "… (cut short)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := capText(tt.in, tt.max)
			if len(got) > tt.max || !strings.HasPrefix(got, tt.want) || !strings.HasSuffix(got, tt.wantTail) {
				t.Errorf("capText = %q (%d bytes)", got, len(got))
			}
		})
	}
}

// TestPongSaysWhatWasSent: a pong carries the seq of the last event sent
// before it, so a page can count what it lost.
func TestPongSaysWhatWasSent(t *testing.T) {
	h := start(t)
	h.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("x")})
	h.waitEvent("A", timeline.Recv)
	h.sync(7)
	var last, sent uint64
	for _, m := range h.all() {
		switch {
		case m.Type == wire.Ev:
			last = m.Seq
		case m.Type == wire.Pong && m.Seq == 7:
			sent = m.Sent
		}
	}
	if sent == 0 || sent != last {
		t.Errorf("pong says %d sent; the last event before it was %d", sent, last)
	}
}

// TestConnectAfterListenerClosedDialsNothing: a closed listener refuses
// without a dial, whatever holds its port now.
func TestConnectAfterListenerClosedDialsNothing(t *testing.T) {
	var rec recorder
	h := startWith(t, &rec, sandboxtest.NewEcho)
	h.send(wire.Msg{Type: wire.Control, Action: scenario.ThenClose})
	h.wait("listener-closed", func(m wire.Msg) bool { return m.Type == wire.Ev && m.Event.Kind == timeline.ListenerClosed })
	rec.mu.Lock()
	before := len(rec.dialed)
	rec.mu.Unlock()
	h.send(wire.Msg{Type: wire.Open, Conn: "B"})
	if ev := h.waitEvent("B", timeline.Refused); ev.Error != "connect: connection refused" {
		t.Errorf("refused with %q", ev.Error)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.dialed) != before {
		t.Errorf("dialed %v after the listener closed", rec.dialed[before:])
	}
}

// TestOutOfFiles: with no descriptor left, the Node demo server's accept
// fails (EMFILE). The person is told in a sentence, the demo server keeps
// trying and answers once descriptors are free (it used to stop
// accepting for good); a connection that cannot even be opened is an
// error of its own, not a `refused` on the timeline.
func TestOutOfFiles(t *testing.T) {
	h := &harness{t: t, done: make(chan error, 1), wake: make(chan struct{}, 1)}
	h.s = New(Config{ID: t.Name(), Runtimes: map[string]sandbox.Factory{"node20": node.New}, Out: h.out,
		Scenario: &scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "node20"}}})
	h.ctx, h.cancel = context.WithCancel(context.Background())
	go func() { h.done <- h.s.Run(h.ctx) }()
	t.Cleanup(h.stop)
	h.wait("loaded", func(m wire.Msg) bool { return m.Type == wire.Loaded })
	time.Sleep(20 * time.Millisecond) // the accept loop into its wait

	fill := sandboxtest.ExhaustFiles(t)
	fill.Release(1) // the tunnel's socket, and nothing for the accept
	h.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("GET / HTTP/1.1\r\nHost: demo\r\n\r\n")})
	h.waitEvent("A", timeline.Connect)
	trouble := h.wait("a sentence about open files", func(m wire.Msg) bool { return m.Type == wire.Error && m.Conn == "" })
	if trouble.Code != wire.CodeInternal || !strings.Contains(trouble.Message, "too many open files") {
		t.Errorf("told %s %q", trouble.Code, trouble.Message)
	}
	h.send(wire.Msg{Type: wire.Open, Conn: "B"})
	nodial := h.wait("B's error", func(m wire.Msg) bool { return m.Type == wire.Error && m.Conn == "B" })
	if !strings.Contains(nodial.Message, "could not be opened") || !strings.Contains(nodial.Message, "too many open files") {
		t.Errorf("B: %q", nodial.Message)
	}
	fill.Release(-1)
	h.wait("A's answer once files are free", func(m wire.Msg) bool {
		return m.Type == wire.Ev && m.Event.Conn == "A" && m.Event.Kind == timeline.Recv && strings.HasPrefix(m.Event.Data, "HTTP/1.1 200")
	})
	for _, e := range h.events() {
		if e.Conn == "B" {
			t.Errorf("B is on the timeline: %+v", e)
		}
	}
}
