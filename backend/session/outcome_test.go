package session

import (
	"strings"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// TestOutcomeIsStamped: a pooled client's outcome becomes an outcome
// event at the session's time, with the client's fields and nothing else.
func TestOutcomeIsStamped(t *testing.T) {
	tests := []struct {
		name string
		ev   timeline.Event
	}{
		{"answered", timeline.Event{Kind: timeline.Outcome, Conn: "app1", Pool: "app", Method: "GET", Path: "/", Status: 200, Reused: true}},
		{"failed", timeline.Event{Kind: timeline.Outcome, Conn: "web1", Pool: "web", Method: "GET", Path: "/", Error: "socket hang up", Reused: true}},
		{"long error cut", timeline.Event{Kind: timeline.Outcome, Pool: "app", Method: "GET", Path: "/", Error: strings.Repeat("e", 2*wire.MaxOutcomeErrorBytes)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t)
			time.Sleep(20 * time.Millisecond)
			ev := tt.ev
			h.send(wire.Msg{Type: wire.Outcome, Event: &ev})
			got := h.waitEvent(tt.ev.Conn, timeline.Outcome)
			if got.T < 20 {
				t.Errorf("t = %v, want the session's time (>= 20 ms)", got.T)
			}
			want := tt.ev
			want.T = got.T
			want.Error = capText(want.Error, wire.MaxOutcomeErrorBytes)
			if got != want {
				t.Errorf("event = %+v, want %+v", got, want)
			}
		})
	}
	t.Run("not an outcome", func(t *testing.T) {
		h := start(t)
		h.send(wire.Msg{Type: wire.Outcome, Event: &timeline.Event{Kind: timeline.Exit}})
		m := h.wait("error", func(m wire.Msg) bool { return m.Type == wire.Error })
		if m.Code != wire.CodeBadMessage {
			t.Errorf("error %+v, want a bad-message error", m)
		}
	})
}
