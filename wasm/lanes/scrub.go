package lanes

import (
	"math"
	"strconv"
	"strings"

	"github.com/keepalive-playground/playground/timeline"
)

// The scrubber's instant on the timeline: a line at that time, and what
// came after it dimmed, so the run reads as it stood then.
const (
	// cursorDim is the opacity of the veil over what comes after.
	cursorDim = 0.62
	// cursorW is the cursor line's width.
	cursorW = 2
)

// Cursor is an instant the timeline shows: T on the session clock, and the
// event the scrubber stands on (-1: none).
type Cursor struct {
	On    bool
	T     float64
	Event int
}

// NoCursor is the live view.
var NoCursor = Cursor{Event: -1}

// AddCursor draws c over a display laid out in v: a veil of the panel's
// colour over everything right of the instant (the lanes and the server
// lane, not the time axis), then the cursor line. It adds no text, so no
// label of the timeline can collide with it.
func (d *Display) AddCursor(v Viewport, c Cursor) {
	if !c.On {
		return
	}
	x := v.X(c.T)
	if x > d.W {
		return
	}
	d.layer = 4
	x0 := math.Max(x, GutterW)
	d.add(Item{Shape: ShapeRect, Role: RolePanel, Alpha: cursorDim, X: x0, Y: AxisH, W: d.W - x0, H: d.H - AxisH, ID: -1})
	if x >= GutterW {
		d.add(Item{Shape: ShapeLine, Role: RoleFocus, X: x, Y: AxisH - 6, H: d.H - AxisH + 6, Line: cursorW, ID: -1})
	}
}

// ScrubText is the scrubber's line for its kth of n events (1-based):
// "event 7 of 31 · 1,204.3 ms · A: response 200".
func ScrubText(k, n int, ev timeline.Event, runtime string) string {
	what := strings.TrimSuffix(EventText(ev, runtime), " at "+fmtMs(ev.T)+".")
	what = strings.TrimPrefix(what, "Server: ")
	if ev.Conn == "" {
		what = "server: " + what
	}
	return "event " + strconv.Itoa(k) + " of " + strconv.Itoa(n) + " · " + groupMs(ev.T) + " · " + what
}

// groupMs renders a time to a tenth of a millisecond with thousands
// grouped, for the scrubber's line, read at a glance while stepping.
func groupMs(ms float64) string {
	s := strconv.FormatFloat(math.Abs(ms), 'f', 1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if ms < 0 {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String() + "." + frac + " ms"
}

// Card is a connection card as a run's events leave it: what the
// Connections panel shows of that connection at an instant.
type Card struct {
	State  CardState
	Detail string
	// HalfBy is the end whose FIN came first, while half-closed.
	HalfBy string
	// Recv is the bytes received so far, at most maxRecv of them.
	Recv string
}

// Step applies one of the connection's events to the card, as the page's
// Connections panel does live; pooled words it for the pooled client's
// connections, which the person does not drive.
func (c *Card) Step(ev timeline.Event, pooled bool, maxRecv int) {
	switch ev.Kind {
	case timeline.Connect:
		c.State, c.Detail = CardOpen, ""
	case timeline.Recv:
		if len(c.Recv) < maxRecv {
			c.Recv += ev.Data
		}
	case timeline.Close:
		if c.State == CardReset {
			return // a reset closed both ends already
		}
		c.State, c.Detail = CloseCard(ev, c.HalfBy)
		c.HalfBy = ""
		if c.State == CardHalfClosed {
			c.HalfBy = ev.By
		}
	case timeline.Reset:
		c.State, c.Detail = CardReset, "reset by you"
		if pooled {
			c.Detail = "reset by the pooled client"
		}
		if ev.By == timeline.ByServer || ev.By == timeline.ByProxy {
			c.Detail = "reset by the " + ev.By + ": " + ev.Error
		}
	case timeline.Refused:
		c.State, c.Detail = CardRefused, ev.Error
	}
}

// CardsAt is every client connection's card after the first k events of
// a run in time order (timeline.TimeOrder): a connection with no event
// yet by then has no card here (it was not connected at that instant).
// The proxy's upstream connections have no cards.
func CardsAt(events []timeline.Event, order []int, k int, pooled func(conn string) bool, maxRecv int) map[string]*Card {
	cards := map[string]*Card{}
	for _, i := range order[:max(0, min(k, len(order)))] {
		ev := events[i]
		if ev.Conn == "" || ev.Hop == timeline.HopUpstream {
			continue
		}
		c := cards[ev.Conn]
		if c == nil {
			c = &Card{}
			cards[ev.Conn] = c
		}
		c.Step(ev, pooled(ev.Conn), maxRecv)
	}
	return cards
}

// ServerAfter is the demo server's state after ev, from its state before
// (closed: it stopped listening; exited: the process would end), as the
// server bar shows it live and at the scrubber's instant.
func ServerAfter(closed, exited bool, ev timeline.Event) (bool, bool) {
	switch ev.Kind {
	case timeline.CloseCalled, timeline.ShutdownCalled, timeline.ListenerClosed:
		closed = true
	case timeline.Exit:
		exited = true
	case timeline.Listen:
		closed, exited = false, false
	}
	return closed, exited
}
