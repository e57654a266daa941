package session

import (
	"testing"

	"github.com/keepalive-playground/playground/timeline"
)

// TestPlaceFINs: a reported close moves back to the instant our side read
// its FIN, but never before the demo server's earlier reports of the same
// connection, nor onto another connection's or the other end's close.
func TestPlaceFINs(t *testing.T) {
	closeA := func(t float64, by string) timeline.Event {
		return timeline.Event{T: t, Conn: "A", Kind: timeline.Close, By: by}
	}
	tests := []struct {
		name string
		held []held
		want float64 // the server's close of A, after
	}{
		{"moved to the FIN", []held{
			{ev: timeline.Event{T: 5, Conn: "A", Kind: timeline.Response}},
			{ev: closeA(12, timeline.ByServer)},
			{ev: closeA(10, timeline.ByServer), finSeen: true},
		}, 10},
		{"not before the response the server reported first", []held{
			{ev: timeline.Event{T: 10.5, Conn: "A", Kind: timeline.Response}},
			{ev: timeline.Event{T: 10.6, Conn: "A", Kind: timeline.Idle}},
			{ev: closeA(12, timeline.ByServer)},
			{ev: closeA(10.2, timeline.ByServer), finSeen: true},
		}, 10.6},
		{"another connection's response does not hold it", []held{
			{ev: timeline.Event{T: 11, Conn: "B", Kind: timeline.Response}},
			{ev: closeA(12, timeline.ByServer)},
			{ev: closeA(10.2, timeline.ByServer), finSeen: true},
		}, 10.2},
		{"bytes the client read do not hold it", []held{
			{ev: timeline.Event{T: 11, Conn: "A", Kind: timeline.Recv, Data: "x"}},
			{ev: closeA(12, timeline.ByServer)},
			{ev: closeA(10.2, timeline.ByServer), finSeen: true},
		}, 10.2},
		{"the other end's FIN does not move it", []held{
			{ev: closeA(12, timeline.ByServer)},
			{ev: closeA(10.2, timeline.ByClient), finSeen: true},
		}, 12},
		{"a FIN read after the report leaves it", []held{
			{ev: closeA(12, timeline.ByServer)},
			{ev: closeA(13, timeline.ByServer), finSeen: true},
		}, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Session{held: tt.held}
			s.placeFINs()
			for _, h := range s.held {
				if h.closes(closeA(0, timeline.ByServer)) && h.ev.T != tt.want {
					t.Errorf("the server's close of A at %v, want %v", h.ev.T, tt.want)
				}
			}
		})
	}
}
