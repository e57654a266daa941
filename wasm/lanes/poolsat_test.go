package lanes

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/timeline"
)

func TestPoolsAt(t *testing.T) {
	evs := []timeline.Event{
		{T: 0, Kind: timeline.Connect, Conn: "n26-1"},
		{T: 1, Kind: timeline.Send, Conn: "n26-1"},
		{T: 2, Kind: timeline.Request, Conn: "n26-1"},
		{T: 3, Kind: timeline.Connect, Conn: "A"}, // the person's own
		{T: 4, Kind: timeline.Outcome, Conn: "n26-1", Pool: "n26-", Status: 200},
		{T: 5, Kind: timeline.Send, Conn: "n26-1"},
		{T: 6, Kind: timeline.Close, Conn: "n26-1", By: timeline.ByServer},
		{T: 7, Kind: timeline.Outcome, Conn: "n26-1", Pool: "n26-", Reused: true, Error: "Error: socket hang up (ECONNRESET)"},
		{T: 8, Kind: timeline.Outcome, Pool: "app", Error: "no socket"},
	}
	poolOf := func(c string) string {
		if strings.HasPrefix(c, "n26-") {
			return "n26-"
		}
		return ""
	}
	show := func(ps []PoolAt) string {
		var b strings.Builder
		for _, p := range ps {
			fmt.Fprintf(&b, "%s:", p.Name)
			for _, s := range p.Sockets {
				fmt.Fprintf(&b, " %s %s %d %s;", s.Label, s.State, s.Requests, s.ClosedBy)
			}
			fmt.Fprintf(&b, " %d outcomes\n", len(p.Outcomes))
		}
		return b.String()
	}
	upTo := func(k int) []int {
		out := make([]int, k)
		for i := range out {
			out[i] = i
		}
		return out
	}
	tests := []struct {
		name string
		k    int
		want string
	}{
		{"nothing yet", 0, ""},
		{"connected", 1, "n26-: n26-1 active 0 ; 0 outcomes\n"},
		{"answered: free", 5, "n26-: n26-1 free 1 ; 1 outcomes\n"},
		{"reused: active", 6, "n26-: n26-1 active 1 ; 1 outcomes\n"},
		{"closed by the server under it", 7, "n26-: n26-1 closed 1 server; 1 outcomes\n"},
		{"the hang-up stays closed", 9, "n26-: n26-1 closed 1 server; 2 outcomes\napp: 1 outcomes\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := show(PoolsAt(evs, upTo(tt.k), poolOf)); got != tt.want {
				t.Errorf("PoolsAt(first %d) =\n%s\nwant\n%s", tt.k, got, tt.want)
			}
		})
	}
}
