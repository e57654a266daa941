package server

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// closeOnAnswer calls close() while A is idle: Node 18's close() leaves
// idle A open, Node 19+ closes it too.
const closeOnAnswer = `{"v":1,"title":"close() with A idle","server":{"runtime":"node18","routes":[{"path":"/close","body":"bye","then":"close"},{"path":"*","body":"hi"}]},
 "client":{"steps":[{"at":0,"conn":"A","send":"GET / HTTP/1.1\r\nHost: demo\r\n\r\n"},{"at":300,"conn":"B","send":"GET /close HTTP/1.1\r\nHost: demo\r\n\r\n"}]},"durationMs":1500%s}`

// readCompare reads strictly decoded messages until compared, returning
// what came: the comparing message, each run's events, the compared one.
func readCompare(t *testing.T, c *websocket.Conn) (comparing wire.Msg, events map[int][]timeline.Event, compared wire.Msg, errs []string) {
	t.Helper()
	events = map[int][]timeline.Event{}
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for range 100000 {
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for compared: %v", err)
		}
		m, err := wire.Decode(data)
		if err != nil {
			t.Fatalf("the page could not decode %.200q: %v", data, err)
		}
		switch m.Type {
		case wire.Comparing:
			comparing = m
		case wire.CEvent:
			events[m.Variant] = append(events[m.Variant], *m.Event)
		case wire.Error:
			errs = append(errs, m.Message)
		case wire.Compared:
			return comparing, events, m, errs
		}
	}
	t.Fatal("no compared in 100000 messages")
	return
}

func startedSession(t *testing.T, c *websocket.Conn) {
	t.Helper()
	send(t, c, wire.Msg{Type: wire.Hello, V: wire.Version})
	recvUntil(t, c, "ready", isType(wire.Ready))
	recvUntil(t, c, "the default scenario", isType(wire.Loaded))
}

// TestCompareOverWebSocket: the page asks for its scenario's comparison
// and gets every run live, each on its own clock, then where they part.
func TestCompareOverWebSocket(t *testing.T) {
	_, ts := newTestServer(t, Options{Runtimes: all.Runtimes()})
	c := dial(t, ts)
	startedSession(t, c)
	raw := strings.Replace(closeOnAnswer, "%s", `,"compare":{"runtimes":["node18","node26"]}`, 1)
	send(t, c, wire.Msg{Type: wire.Compare, Scenario: []byte(raw)})
	comparing, events, compared, errs := readCompare(t, c)
	if len(errs) > 0 || compared.Message != "" {
		t.Fatalf("errors %q, compared %q", errs, compared.Message)
	}
	if len(comparing.Variants) != 2 || comparing.Variants[0].Name != "node18" || comparing.Variants[1].Name != "node26" {
		t.Fatalf("comparing %+v, want node18 and node26", comparing.Variants)
	}
	for i := 1; i <= 2; i++ {
		if len(filter(events[i], timeline.Match{Conn: "A", Kind: timeline.Response})) != 1 {
			t.Errorf("run %d: no response on A in %v", i, events[i])
		}
	}
	if got := filter(events[2], timeline.Match{Conn: "A", Kind: timeline.Close, By: timeline.ByServer}); len(got) == 0 {
		t.Errorf("node26: close() should close idle A within the run: %v", events[2])
	}
	if got := filter(events[1], timeline.Match{Conn: "A", Kind: timeline.Close, By: timeline.ByServer}); len(got) != 0 {
		t.Errorf("node18: A should stay open in a 1.5 s run: %v", got)
	}
	var onA *timeline.Parting
	for i, p := range compared.Partings {
		if p.Conn == "A" {
			onA = &compared.Partings[i]
		}
	}
	if onA == nil || !strings.Contains(onA.Sentence, "node18") || !strings.Contains(onA.Sentence, "node26") {
		t.Fatalf("want a parting on A naming both runs, got %+v", compared.Partings)
	}
	for _, v := range compared.Variants {
		if v.EndReason == "" || v.EndMs <= 0 {
			t.Errorf("run %s: no end (%+v)", v.Name, v)
		}
	}
	// The live session is untouched: it still answers.
	send(t, c, wire.Msg{Type: wire.Ping, Seq: 7})
	recvUntil(t, c, "pong", isType(wire.Pong))
}

// TestCompareRefusals: what cannot be compared is said, with a compared
// that ends the wait, and the session goes on.
func TestCompareRefusals(t *testing.T) {
	tests := []struct {
		name, compare string
		sessions      int // other sessions from the same address
		want          string
	}{
		{"no comparison", ``, 0, "names nothing to compare"},
		{"an unknown runtime", `,"compare":{"runtimes":["node18","node99"]}`, 0, "node99"},
		{"more runs than the address has sessions", `,"compare":{"runtimes":["node18","node20","node26"]}`, 1, "your address has 2 of its 4 in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := newTestServer(t, Options{Runtimes: all.Runtimes(), MaxSessionsPerIP: 4})
			for range tt.sessions {
				startedSession(t, dial(t, ts))
			}
			c := dial(t, ts)
			startedSession(t, c)
			send(t, c, wire.Msg{Type: wire.Compare, Scenario: []byte(strings.Replace(closeOnAnswer, "%s", tt.compare, 1))})
			_, events, compared, errs := readCompare(t, c)
			if !strings.Contains(compared.Message, tt.want) || len(errs) != 1 || len(events) != 0 {
				t.Errorf("compared %q, errors %q, %d runs' events; want %q", compared.Message, errs, len(events), tt.want)
			}
			send(t, c, wire.Msg{Type: wire.Ping, Seq: 7})
			recvUntil(t, c, "pong", isType(wire.Pong))
		})
	}
}

// TestCompareRunsCountAsSessions: while a comparison runs, its demo
// servers hold session slots of the address; after it, they are free.
func TestCompareRunsCountAsSessions(t *testing.T) {
	s, ts := newTestServer(t, Options{Runtimes: all.Runtimes(), MaxSessionsPerIP: 3})
	c := dial(t, ts)
	startedSession(t, c)
	raw := strings.Replace(closeOnAnswer, "%s", `,"compare":{"runtimes":["node18","node26"]}`, 1)
	send(t, c, wire.Msg{Type: wire.Compare, Scenario: []byte(raw)})
	recvUntil(t, c, "comparing", isType(wire.Comparing))
	over := dial(t, ts)
	if code, reason := closeCode(t, over); code != websocket.CloseTryAgainLater || !strings.Contains(reason, "too many sessions") {
		t.Errorf("a session while a comparison holds the address's slots: close %d %q", code, reason)
	}
	send(t, c, wire.Msg{Type: wire.Compare, Scenario: []byte(raw)})
	m := recvUntil(t, c, "busy", isType(wire.Error))
	if !strings.Contains(m.Message, "already running") {
		t.Errorf("a second comparison: %q", m.Message)
	}
	recvUntil(t, c, "compared", isType(wire.Compared))
	s.mu.Lock()
	runs, perIP := s.runs, s.perIP["127.0.0.1"]
	s.mu.Unlock()
	if runs != 0 || perIP != 1 {
		t.Errorf("after the comparison: %d runs, %d sessions of the address; want 0 and 1", runs, perIP)
	}
}

func filter(evs []timeline.Event, m timeline.Match) []timeline.Event {
	var out []timeline.Event
	for _, e := range evs {
		if m.Matches(e) {
			out = append(out, e)
		}
	}
	return out
}
