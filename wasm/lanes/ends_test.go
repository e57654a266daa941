package lanes

import (
	"testing"

	"github.com/keepalive-playground/playground/timeline"
)

func TestCloseCard(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ev     timeline.Event
		halfBy string
		state  CardState
		detail string
	}{
		{"client FIN first", timeline.Event{By: "client", Reason: "client", Open: "server"}, "",
			"half-closed", "you sent FIN: your end is closed, the server's end is still open"},
		{"server answers the FIN", timeline.Event{By: "server", Reason: "peer-fin"}, "client",
			"closed", "the server closed its end too (peer-fin), after your FIN: both ends are closed"},
		{"server FIN first", timeline.Event{By: "server", Reason: "keepalive-timeout", Open: "client"}, "",
			"half-closed", "the server sent FIN (keepalive-timeout): its end is closed, your end is still open"},
		{"client closes after the server", timeline.Event{By: "client", Reason: "client"}, "server",
			"closed", "you closed your end too, after the server's FIN: both ends are closed"},
		{"proxy FIN first", timeline.Event{By: "proxy", Reason: "proxy-idle-timeout", Open: "client"}, "",
			"half-closed", "the proxy sent FIN (proxy-idle-timeout): its end is closed, your end is still open"},
		{"after a reset", timeline.Event{By: "server", Reason: "exit"}, "",
			"closed", "closed by the server (exit)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, d := CloseCard(tc.ev, tc.halfBy)
			if st != tc.state || d != tc.detail {
				t.Errorf("CloseCard = %q, %q\nwant %q, %q", st, d, tc.state, tc.detail)
			}
		})
	}
}

// TestHalfClosedSpanEndsAtTheSecondFIN: the lane is half-closed from one
// end's FIN to the other's, labelled with who holds which end; a reset
// ends the lane at once.
func TestHalfClosedSpanEndsAtTheSecondFIN(t *testing.T) {
	start := []ev{
		{T: 1, Conn: "A", Kind: "accept"},
		{T: 1.1, Conn: "A", Kind: "connect"},
	}
	tests := []struct {
		name   string
		events []ev
		spans  string
		label  string
	}{
		{"client FIN then the server's", []ev{
			{T: 300, Conn: "A", Kind: "close", By: "client", Reason: "client", Open: "server"},
			{T: 301.5, Conn: "A", Kind: "close", By: "server", Reason: "peer-fin"},
		}, "connecting[1 ms,1.1 ms] open[1.1 ms,300 ms] half-closed[300 ms,301.5 ms]",
			"half-closed: the client sent FIN, the server's end is open"},
		{"server FIN then the client's", []ev{
			{T: 80, Conn: "A", Kind: "close", By: "server", Reason: "keepalive-timeout", Open: "client"},
			{T: 80.4, Conn: "A", Kind: "close", By: "client", Reason: "client"},
		}, "connecting[1 ms,1.1 ms] open[1.1 ms,80 ms] half-closed[80 ms,80.4 ms]",
			"half-closed: the server sent FIN, the client's end is open"},
		{"proxy's upstream FIN after the server's", []ev{
			{T: 2, Conn: "A", Kind: "close", By: "server", Reason: "connection-close", Hop: "upstream", Open: "proxy"},
			{T: 2.3, Conn: "A", Kind: "close", By: "proxy", Reason: "peer-fin", Hop: "upstream"},
		}, "connecting[1 ms,1.1 ms] open[1.1 ms,2 ms] half-closed[2 ms,2.3 ms]",
			"half-closed: the server sent FIN, the proxy's end is open"},
		{"reset", []ev{
			{T: 50, Conn: "A", Kind: "reset", By: "client"},
		}, "connecting[1 ms,1.1 ms] open[1.1 ms,50 ms]", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := build(Config{Runtime: "node20"}, append(append([]ev{}, start...), tc.events...))
			l := m.Lane("A")
			if got := kinds(l); got != tc.spans {
				t.Errorf("spans %s\nwant  %s", got, tc.spans)
			}
			if !l.Ended {
				t.Error("the lane did not end at the second FIN")
			}
			if tc.label != "" && l.Spans[len(l.Spans)-1].Label != tc.label {
				t.Errorf("label %q, want %q", l.Spans[len(l.Spans)-1].Label, tc.label)
			}
		})
	}
}
