package lanes

import (
	"testing"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// TestEventText: the live announcement words a close as the mark's label
// does, says who closed once, and gives every time in one unit.
func TestEventText(t *testing.T) {
	node, golang := scenario.DefaultRuntime(), scenario.RuntimeOf(scenario.LangGo)
	tests := []struct {
		name    string
		ev      timeline.Event
		runtime string
		want    string
	}{
		{"the client closes", timeline.Event{T: 2811, Conn: "A", Kind: timeline.Close, By: timeline.ByClient, Reason: timeline.ReasonClient},
			node, "A: closed by the client at 2811 ms."},
		{"a close without a reason", timeline.Event{T: 5, Conn: "A", Kind: timeline.Close, By: timeline.ByClient},
			node, "A: closed by the client at 5 ms."},
		{"a server timeout, late in a run", timeline.Event{T: 34609.6, Conn: "B", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonKeepAliveTimeout},
			node, "B: closed by the server: keepalive-timeout at 34609.6 ms."},
		{"a reset", timeline.Event{T: 12034.56, Conn: "C", Kind: timeline.Reset, By: timeline.ByServer},
			node, "C: reset by the server at 12034.6 ms."},
		{"a request", timeline.Event{T: 1.25, Conn: "A", Kind: timeline.Request, Method: "GET", Path: "/end"},
			node, "A: request GET /end at 1.25 ms."},
		{"Node's server.close()", timeline.Event{T: 1000.4, Kind: timeline.CloseCalled},
			node, "Server: server.close() called at 1000.4 ms."},
		{"Node's closeIdleConnections()", timeline.Event{T: 300, Kind: timeline.CloseIdleCalled},
			node, "Server: server.closeIdleConnections() called at 300 ms."},
		{"Go's srv.Close()", timeline.Event{T: 1000.4, Kind: timeline.CloseCalled},
			golang, "Server: srv.Close() called at 1000.4 ms."},
		{"Go's srv.Shutdown(ctx)", timeline.Event{T: 1000.4, Kind: timeline.ShutdownCalled},
			golang, "Server: srv.Shutdown(ctx) called at 1000.4 ms."},
		{"the process exits", timeline.Event{T: 4004, Kind: timeline.Exit},
			golang, "Server: the process exits at 4004 ms."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EventText(tt.ev, tt.runtime); got != tt.want {
				t.Errorf("EventText = %q, want %q", got, tt.want)
			}
		})
	}
}
