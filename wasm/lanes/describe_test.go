package lanes

import (
	"testing"

	"github.com/keepalive-playground/playground/timeline"
)

// TestEventText: the live announcement words a close as the mark's label
// does, says who closed once, and gives every time in one unit.
func TestEventText(t *testing.T) {
	tests := []struct {
		name string
		ev   timeline.Event
		want string
	}{
		{"the client closes", timeline.Event{T: 2811, Conn: "A", Kind: timeline.Close, By: timeline.ByClient, Reason: timeline.ReasonClient},
			"A: closed by the client at 2811 ms."},
		{"a close without a reason", timeline.Event{T: 5, Conn: "A", Kind: timeline.Close, By: timeline.ByClient},
			"A: closed by the client at 5 ms."},
		{"a server timeout, late in a run", timeline.Event{T: 34609.6, Conn: "B", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonKeepAliveTimeout},
			"B: closed by the server: keepalive-timeout at 34609.6 ms."},
		{"a reset", timeline.Event{T: 12034.56, Conn: "C", Kind: timeline.Reset, By: timeline.ByServer},
			"C: reset by the server at 12034.6 ms."},
		{"a request", timeline.Event{T: 1.25, Conn: "A", Kind: timeline.Request, Method: "GET", Path: "/end"},
			"A: request GET /end at 1.25 ms."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EventText(tt.ev); got != tt.want {
				t.Errorf("EventText = %q, want %q", got, tt.want)
			}
		})
	}
}
