package lanes

import (
	"testing"

	"github.com/keepalive-playground/playground/timeline"
)

func TestCloseCard(t *testing.T) {
	for _, tc := range []struct {
		name          string
		ev            timeline.Event
		halfBy        string
		state, detail string
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
