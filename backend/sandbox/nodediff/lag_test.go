package nodediff

import (
	"testing"

	"github.com/keepalive-playground/playground/timeline"
)

func TestServerLag(t *testing.T) {
	ev := func(tms float64, conn, kind string) timeline.Event {
		return timeline.Event{T: tms, Conn: conn, Kind: kind}
	}
	tests := []struct {
		name string
		evs  []timeline.Event
		want float64
	}{
		{"quiet", []timeline.Event{ev(0, "A", timeline.Connect), ev(0.4, "A", timeline.Accept),
			ev(0.5, "A", timeline.Send), ev(1.5, "A", timeline.Request)}, 1},
		{"accepted late", []timeline.Event{ev(1500, "A", timeline.Connect), ev(1500.2, "A", timeline.Send),
			ev(1770, "A", timeline.Accept), ev(1770.5, "A", timeline.Request)}, 270.3},
		// The request starts at the send that completes its head, not the
		// first of its parts.
		{"a head in two parts", []timeline.Event{ev(0, "H", timeline.Connect), ev(0.1, "H", timeline.Accept),
			ev(0.2, "H", timeline.Send), ev(100, "H", timeline.Send), ev(100.5, "H", timeline.Request)}, 0.5},
		// Only a connection's first request: a pipelined one waits for
		// the answer before it.
		{"pipelined", []timeline.Event{ev(0, "P", timeline.Connect), ev(0.1, "P", timeline.Accept),
			ev(0.2, "P", timeline.Send), ev(0.4, "P", timeline.Request), ev(600, "P", timeline.Request)}, 0.2},
		// Reported in another order than their times: the times decide.
		{"accept stamped before connect", []timeline.Event{ev(0.3, "A", timeline.Connect), ev(0.2, "A", timeline.Accept)}, 0},
		{"refused", []timeline.Event{ev(0, "A", timeline.Refused)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := serverLag(tt.evs); got < tt.want-0.01 || got > tt.want+0.01 {
				t.Errorf("serverLag = %.2f, want %.2f", got, tt.want)
			}
		})
	}
}
