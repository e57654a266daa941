package timeline

import (
	"fmt"
	"strings"
	"testing"
)

func TestStateSpans(t *testing.T) {
	tcp := func(ts float64, conn, side, state string) Event {
		return Event{T: ts, Conn: conn, Kind: TCP, Side: side, State: state}
	}
	evs := []Event{
		tcp(1, "A", SideClient, StateEstablished),
		tcp(1, "A", SideServer, StateEstablished),
		{T: 2, Conn: "B", Kind: Connect},
		tcp(2, "B", SideServer, StateEstablished),
		tcp(100, "A", SideServer, StateFinWait1),
		tcp(100, "A", SideClient, StateCloseWait),
		tcp(140, "A", SideServer, StateFinWait2),
		tcp(140, "A", SideServer, StateFinWait2), // no change
		tcp(300, "A", SideClient, StateClosed),
		tcp(300, "A", SideServer, StateTimeWait),
	}
	var got []string
	for _, s := range StateSpans(evs) {
		end := fmt.Sprint(s.End)
		if s.Lasting() {
			end = "…"
		}
		got = append(got, fmt.Sprintf("%s %s %s %v-%s", s.Conn, s.Side, s.State, s.Start, end))
	}
	want := []string{
		"A client ESTABLISHED 1-100",
		"A client CLOSE_WAIT 100-300",
		"A server ESTABLISHED 1-100",
		"A server FIN_WAIT1 100-140",
		"A server FIN_WAIT2 140-300",
		"A server TIME_WAIT 300-…",
		"B server ESTABLISHED 2-…",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("spans:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
