package lanes

import (
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/timeline"
)

func modelOf(evs ...timeline.Event) *Model {
	m := NewModel(Config{Runtime: "node26"})
	for _, e := range evs {
		m.Add(e)
	}
	return m
}

// TestLayoutCompare: runs stack without overlapping, a connection has the
// same row in every run however its events came, and each parting is a
// numbered line through every run at its time on the one clock.
func TestLayoutCompare(t *testing.T) {
	a := modelOf(
		timeline.Event{T: 1, Conn: "A", Kind: timeline.Connect},
		timeline.Event{T: 2, Conn: "B", Kind: timeline.Connect},
		timeline.Event{T: 300, Conn: "B", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonServerClose},
	)
	b := modelOf( // B came first here
		timeline.Event{T: 1, Conn: "B", Kind: timeline.Connect},
		timeline.Event{T: 2, Conn: "A", Kind: timeline.Connect},
	)
	runs := []CompareRun{{Name: "node18", Model: b, End: 1500}, {Name: "node26", Model: a, End: 1200}}
	partings := []timeline.Parting{{Conn: "B", T: 300, Sentence: "node26: close() also closed idle B at 300 ms"}}
	cl := LayoutCompare(runs, partings, 800)
	if len(cl.Tops) != 2 || cl.Tops[1] <= cl.Tops[0]+ContentH(2) {
		t.Fatalf("tops %v: the second run must start below the first (%v high)", cl.Tops, ContentH(2))
	}
	if cl.H < cl.Tops[1]+ContentH(2) {
		t.Errorf("height %v does not hold the second run", cl.H)
	}
	// Lane names, by run: the same rows in both.
	rows := map[string][]float64{}
	for _, it := range cl.Items {
		if it.Shape == ShapeText && (it.Text == "A" || it.Text == "B") {
			run := 0
			if it.Y > cl.Tops[1] {
				run = 1
			}
			rows[it.Text] = append(rows[it.Text], it.Y-cl.Tops[run])
		}
	}
	for conn, ys := range rows {
		if len(ys) != 2 || ys[0] != ys[1] {
			t.Errorf("lane %s at %v in the two runs, want the same row", conn, ys)
		}
	}
	if rows["A"][0] >= rows["B"][0] {
		t.Errorf("A below B: lanes are in label order")
	}
	var line, num bool
	x := cl.View.X(300)
	for _, it := range cl.Items {
		if it.Shape == ShapeLine && it.Role == RoleBad && it.X == x && it.Y+it.H >= cl.Tops[1]+ContentH(2)-1 {
			line = true
		}
		if it.Shape == ShapeText && it.Text == "1" && it.X == x {
			num = true
		}
	}
	if !line || !num {
		t.Errorf("parting at 300 ms: line %v, number %v at x=%v", line, num, x)
	}
	var b2 strings.Builder
	if err := cl.WriteSVG(&b2, LightPalette, "node18 · node26"); err != nil || !strings.Contains(b2.String(), "node18 · ended at 1500 ms") {
		t.Errorf("svg: %v\n%.300s", err, b2.String())
	}
}

// TestTCPStrips: each end's kernel states are a strip along its edge of
// the lane (client top, server bottom), each lasting to the next state of
// that end, CLOSED ending it; a strip focuses its tcp event.
func TestTCPStrips(t *testing.T) {
	tcp := func(ms float64, side, state string) timeline.Event {
		return timeline.Event{T: ms, Conn: "A", Kind: timeline.TCP, Side: side, State: state}
	}
	m := modelOf(
		timeline.Event{T: 0, Conn: "A", Kind: timeline.Connect},
		tcp(0, timeline.SideClient, timeline.StateEstablished),
		tcp(0, timeline.SideServer, timeline.StateEstablished),
		timeline.Event{T: 100, Conn: "A", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonKeepAliveTimeout},
		tcp(100, timeline.SideServer, timeline.StateFinWait2),
		tcp(100, timeline.SideClient, timeline.StateCloseWait),
		tcp(300, timeline.SideClient, timeline.StateClosed),
		tcp(300, timeline.SideServer, timeline.StateTimeWait),
	)
	l := m.Lane("A")
	want := []TCPRun{
		{timeline.SideClient, timeline.StateEstablished, 0, 100, 1},
		{timeline.SideServer, timeline.StateEstablished, 0, 100, 2},
		{timeline.SideServer, timeline.StateFinWait2, 100, 300, 4},
		{timeline.SideClient, timeline.StateCloseWait, 100, 300, 5},
		{timeline.SideServer, timeline.StateTimeWait, 300, Open, 7},
	}
	if len(l.TCP) != len(want) {
		t.Fatalf("runs %+v, want %+v", l.TCP, want)
	}
	for i := range want {
		if l.TCP[i] != want[i] {
			t.Errorf("run %d: %+v, want %+v", i, l.TCP[i], want[i])
		}
	}
	v := Viewport{Width: 800, Height: ContentH(1)}
	v.Fit(0, 400)
	var d Display
	d.Layout(m, v, 400, NoFocus)
	y := v.LaneY(0)
	roles := map[int]Role{}
	for _, it := range d.Items {
		if it.Span && it.H == tcpH {
			if ev := m.Events[it.ID]; ev.Kind != timeline.TCP {
				t.Errorf("a strip focuses %+v", ev)
			}
			top := it.Y < y+LaneH/2
			if side := m.Events[it.ID].Side; top != (side == timeline.SideClient) {
				t.Errorf("the %s end's strip at y=%v (lane %v..%v)", side, it.Y, y, y+LaneH)
			}
			roles[it.ID] = it.Role
		}
	}
	if roles[5] != RoleBad || roles[7] != RoleAccent || roles[4] != RoleWarn || len(roles) != 5 {
		t.Errorf("strip roles %v: CLOSE_WAIT bad, TIME_WAIT accent, FIN_WAIT2 warn, five strips", roles)
	}
}
