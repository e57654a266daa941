package lanes

import (
	"math"
	"testing"

	"github.com/keepalive-playground/playground/timeline"
)

func TestScrubText(t *testing.T) {
	for _, tc := range []struct {
		name string
		k, n int
		ev   timeline.Event
		want string
	}{
		{"a response", 7, 31, timeline.Event{T: 1204.31, Conn: "A", Kind: "response", Status: 200},
			"event 7 of 31 · 1,204.3 ms · A: response 200"},
		{"a close, as its mark says it", 9, 9, timeline.Event{T: 4003.2, Conn: "A", Kind: "close", By: "server", Reason: "socket-timeout"},
			"event 9 of 9 · 4,003.2 ms · A: closed by the server: socket-timeout"},
		{"a server call, in the runtime's words", 3, 12, timeline.Event{T: 1001.2, Kind: "close-called"},
			"event 3 of 12 · 1,001.2 ms · server: server.close() called"},
		{"early", 1, 2, timeline.Event{T: 0.26, Conn: "B", Kind: "connect"},
			"event 1 of 2 · 0.3 ms · B: connect"},
		{"long", 2, 2, timeline.Event{T: 1234567.04, Kind: "exit"},
			"event 2 of 2 · 1,234,567.0 ms · server: the process exits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ScrubText(tc.k, tc.n, tc.ev, "node26"); got != tc.want {
				t.Errorf("ScrubText = %q\nwant        %q", got, tc.want)
			}
		})
	}
}

// TestCardsAt: the cards at an instant are what the panel showed then —
// open before the close, half-closed between the FINs, the bytes
// received so far — and a connection not yet connected has none.
func TestCardsAt(t *testing.T) {
	evs := []timeline.Event{
		{T: 0.5, Conn: "A", Kind: "connect"},
		{T: 2.5, Conn: "A", Kind: "recv", Data: "HTTP/1.1 200 OK\r\n\r\nhi"},
		{T: 4003.6, Conn: "A", Kind: "close", By: "client", Reason: "client"}, // out of order: sorted by T
		{T: 4003.2, Conn: "A", Kind: "close", By: "server", Reason: "socket-timeout", Open: "client"},
		{T: 1000, Conn: "B", Kind: "connect"},
		{T: 1000.2, Conn: "u1", Kind: "connect", Hop: "upstream"},
		{T: 1500, Conn: "C", Kind: "refused", Error: "connect: connection refused"},
		{T: 1600, Conn: "pool1", Kind: "connect"},
		{T: 1700, Conn: "pool1", Kind: "reset"},
		{T: 2000, Kind: "exit"},
	}
	order := timeline.TimeOrder(evs)
	pooled := func(c string) bool { return c == "pool1" }
	type want struct {
		conn   string
		state  CardState
		detail string
		recv   string
	}
	tests := []struct {
		name string
		k    int
		want []want
		none []string
	}{
		{"after A's connect", 1, []want{{"A", CardOpen, "", ""}}, []string{"B", "C", "u1"}},
		{"after A's answer", 2, []want{{"A", CardOpen, "", "HTTP/1.1 200 OK\r\n\r\nhi"}}, nil},
		{"the middle", 5, []want{{"A", CardOpen, "", "HTTP/1.1 200 OK\r\n\r\nhi"}, {"B", CardOpen, "", ""}, {"C", CardRefused, "connect: connection refused", ""}}, []string{"u1", "pool1"}},
		{"the pooled client's reset", 7, []want{{"pool1", CardReset, "reset by the pooled client", ""}}, nil},
		{"between the FINs", 9, []want{{"A", CardHalfClosed, "the server sent FIN (socket-timeout): its end is closed, your end is still open", "HTTP/1.1 200 OK\r\n\r\nhi"}}, nil},
		{"the end", 10, []want{{"A", CardClosed, "you closed your end too, after the server's FIN: both ends are closed", "HTTP/1.1 200 OK\r\n\r\nhi"}}, []string{"u1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cards := CardsAt(evs, order, tt.k, pooled, 1<<10)
			for _, w := range tt.want {
				c := cards[w.conn]
				if c == nil {
					t.Fatalf("no card for %s", w.conn)
				}
				if c.State != w.state || c.Detail != w.detail || c.Recv != w.recv {
					t.Errorf("%s: %q %q %q\nwant %q %q %q", w.conn, c.State, c.Detail, c.Recv, w.state, w.detail, w.recv)
				}
			}
			for _, conn := range tt.none {
				if cards[conn] != nil {
					t.Errorf("a card for %s at k=%d", conn, tt.k)
				}
			}
		})
	}
	if got := CardsAt(evs, order, 2, pooled, 4)["A"].Recv; got != "HTTP/1.1 200 OK\r\n\r\nhi" {
		t.Errorf("the bound cuts at a whole event once past it: %q", got)
	}
}

// TestAddCursor: the cursor veils what comes after the instant, the
// lanes and the server lane but not the time axis, and draws its line;
// off, it adds nothing.
func TestAddCursor(t *testing.T) {
	m := NewModel(Config{})
	for _, ev := range []timeline.Event{
		{T: 0, Kind: "listen"},
		{T: 10, Conn: "A", Kind: "connect"},
		{T: 500, Conn: "A", Kind: "close", By: "server", Reason: "socket-timeout"},
	} {
		m.Add(ev)
	}
	v := NewViewport(800, 300)
	v.Fit(0, 1000)
	var d Display
	d.Layout(m, v, 1000, NoFocus)
	n := len(d.Items)
	d.AddCursor(v, NoCursor)
	if len(d.Items) != n {
		t.Fatalf("an off cursor drew %d items", len(d.Items)-n)
	}
	d.AddCursor(v, Cursor{On: true, T: 250, Event: 1})
	added := d.Items[n:]
	if len(added) != 2 {
		t.Fatalf("the cursor drew %d items, want the veil and the line", len(added))
	}
	x := v.X(250)
	veil, line := added[0], added[1]
	if veil.Shape != ShapeRect || math.Abs(veil.X-x) > 1e-9 || veil.X+veil.W != d.W || veil.Y != AxisH || veil.Y+veil.H != d.H || veil.Alpha <= 0 || veil.Alpha >= 1 {
		t.Errorf("veil = %+v, want from x=%.1f to the right edge below the axis", veil, x)
	}
	if line.Shape != ShapeLine || line.X != x || line.W != 0 || line.Role != RoleFocus {
		t.Errorf("line = %+v, want a vertical focus line at %.1f", line, x)
	}
	for _, it := range added {
		if it.Layer != 4 || it.Shape == ShapeText {
			t.Errorf("cursor item %+v: want layer 4 and no text", it)
		}
	}
	// Scrolled out of view to the left: all is after it, veiled from the gutter on.
	d.Layout(m, v, 1000, NoFocus)
	n = len(d.Items)
	v2 := v
	v2.T0 = 400
	d.AddCursor(v2, Cursor{On: true, T: 250, Event: 1})
	if got := d.Items[n:]; len(got) != 1 || got[0].X != GutterW {
		t.Errorf("a cursor left of the view: %+v, want only the veil from the gutter", got)
	}
}

func TestServerAfter(t *testing.T) {
	closed, exited := false, false
	for _, tc := range []struct {
		kind           string
		closed, exited bool
	}{
		{"listen", false, false},
		{"connect", false, false},
		{"close-called", true, false},
		{"exit", true, true},
		{"listen", false, false}, // a restart listens again
		{"shutdown-called", true, false},
		{"listener-closed", true, false},
	} {
		closed, exited = ServerAfter(closed, exited, timeline.Event{Kind: tc.kind})
		if closed != tc.closed || exited != tc.exited {
			t.Errorf("after %s: closed %v exited %v, want %v %v", tc.kind, closed, exited, tc.closed, tc.exited)
		}
	}
}
