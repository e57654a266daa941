package lanes

import (
	"math"
	"strconv"
	"strings"

	"github.com/keepalive-playground/playground/timeline"
)

// Shape is what an Item draws.
type Shape uint8

// Shapes.
const (
	ShapeRect Shape = iota
	ShapeLine
	ShapeText
	ShapeMark
)

// Role is a colour of the theme (a CSS variable of app.css), so that the
// canvas, the SVG export and the legend agree in light and dark.
type Role uint8

// Roles, named after their CSS variables.
const (
	RoleFg Role = iota
	RoleMuted
	RoleLine
	RolePanel
	RoleBg
	RoleAccent
	RoleOk
	RoleWarn
	RoleBad
	RoleClient
	RoleServer
	RoleFocus
	numRoles
)

// RoleVars are the CSS variables of the roles.
var RoleVars = [numRoles]string{"--fg", "--muted", "--line", "--panel", "--bg", "--accent", "--ok", "--warn", "--bad", "--client", "--server", "--focus"}

// Glyph is a mark's symbol.
type Glyph uint8

// Glyphs.
const (
	GlyphDot      Glyph = iota // connect, accept, listen
	GlyphUp                    // the client sent bytes (a tick above the bar)
	GlyphDown                  // the client received bytes (a tick below the bar)
	GlyphDiamond               // a server call: close(), Shutdown()…
	GlyphBar                   // a close: a tall bar
	GlyphCross                 // refused
	GlyphBolt                  // reset
	GlyphTriangle              // request
	GlyphSquare                // response, exit
	GlyphRing                  // focus and hover highlight
)

// Item is one shape of the display list, in CSS pixels.
type Item struct {
	Shape Shape
	Role  Role
	Alpha float64 // fill opacity; 0 means 1
	X, Y  float64
	W, H  float64 // rect size; line end is (X+W, Y+H)
	Glyph Glyph
	Dash  bool
	Line  float64 // stroke width
	Text  string
	// Anchor aligns text: -1 start, 0 middle, 1 end.
	Anchor int8
	Small  bool
	Bold   bool
	// ID is the event the item stands for (-1: decoration); Span items
	// stand for the span that event began.
	ID   int
	Span bool
	// Layer orders painting: a renderer may batch items of one layer by
	// style, but paints layers in order (grid, lanes, header, overlay).
	Layer uint8
}

// Display is the picture of a viewport: items in paint order.
type Display struct {
	W, H  float64
	Items []Item
	layer uint8
	// Measure, when set, is the width of text as the renderer draws it
	// (the page asks its canvas); without it the layout estimates.
	Measure func(text string, small, bold bool) float64
	// Scratch for the per-lane pixel decimation of marks.
	lastX map[Glyph]float64
	// Scratch for placing text (labels.go).
	labels []label
	marks  []rect
	placed []placed
}

// Focus is what the view highlights.
type Focus struct {
	Event int // -1: none
	Hover int // -1: none
}

// NoFocus highlights nothing.
var NoFocus = Focus{Event: -1, Hover: -1}

// Layout builds the display list of m in v at time now, reusing d's
// storage. It costs what is visible: lanes off screen are skipped, and
// within a lane binary search finds the visible spans and events.
func (d *Display) Layout(m *Model, v Viewport, now float64, f Focus) {
	d.W, d.H = v.Width, v.Height
	d.Items = d.Items[:0]
	d.layer = 0
	if d.lastX == nil {
		d.lastX = map[Glyph]float64{}
	}
	t0, t1 := v.T(GutterW-markR*2), v.T(v.Width)

	// Grid, then connection lanes, so that the pinned axis and server
	// lane paint over lanes scrolled under them.
	step := Ticks(v.Scale)
	first := math.Ceil(math.Max(t0, 0)/step) * step
	for t, n := first, 0; t <= t1 && n < maxTicks; t, n = t+step, n+1 {
		if x := v.X(t); x >= GutterW {
			d.add(Item{Shape: ShapeLine, Role: RoleLine, X: x, Y: AxisH - 6, H: v.Height - AxisH + 6, Line: 1, Alpha: 0.6, ID: -1})
		}
	}
	d.layer = 1
	from := len(d.Items)
	i0, i1 := v.VisibleLanes(len(m.Lanes))
	for i := i0; i < i1; i++ {
		d.lane(m, m.Lanes[i], v, v.LaneY(i), LaneH, t0, t1, now, f)
	}
	d.forwards(m, v, t0, t1, i0, i1)
	top := float64(AxisH)
	d.placeLabels(from, top+ServerLaneH, v.Height)
	d.layer = 2
	d.add(Item{Shape: ShapeRect, Role: RolePanel, X: 0, Y: 0, W: v.Width, H: AxisH + ServerLaneH, ID: -1})
	d.layer = 3
	from = len(d.Items)
	// The live edge's label goes where it must; axis labels give way.
	nowX := v.X(now)
	showNow := nowX >= GutterW && nowX <= v.Width
	nowText := Item{Shape: ShapeText, Role: RoleAccent, X: nowX - 3, Y: 13, Text: "now", Anchor: 1, Small: true, ID: -1}
	var nowBox []rect
	if showNow {
		if b := d.textBox(&nowText, nowText.Text); b.x0 < GutterW+2 {
			nowText.X, nowText.Anchor = nowX+3, -1 // at the very start: right of the line
		}
		b := d.textBox(&nowText, nowText.Text)
		nowBox = append(nowBox, rect{b.x0 - 2, b.y0, b.x1 + 2, b.y1})
	}
	d.axis(v, step, first, t1)
	d.lane(m, &m.Server, v, top, ServerLaneH, t0, t1, now, f)
	d.placeLabels(from, 0, top+ServerLaneH, nowBox...)
	d.add(Item{Shape: ShapeLine, Role: RoleLine, X: 0, Y: top + ServerLaneH, W: v.Width, Line: 1, ID: -1})

	// The live edge.
	d.layer = 4
	if showNow {
		d.add(Item{Shape: ShapeLine, Role: RoleAccent, X: nowX, Y: AxisH - 6, H: v.Height - AxisH + 6, Line: 1, Dash: true, ID: -1})
		d.add(nowText)
	}
}

// tcpH is the height of a lane's strip of kernel states, one per end:
// the client's along the lane's top edge, the server's along its bottom.
const tcpH = 3

// tcpStrips draws each end's TCP states as the kernel had them, so that
// who sits in TIME_WAIT, a CLOSE_WAIT that lasts and a FIN_WAIT2 after a
// half-close are seen along the lane. Each strip focuses its tcp event.
func (d *Display) tcpStrips(l *Lane, v Viewport, y, h, t0, t1, now float64) {
	for _, r := range l.TCP {
		end := r.End
		if end == Open {
			end = math.Max(now, r.Start)
		}
		if end < t0 || r.Start > t1 {
			continue
		}
		role, alpha := tcpStyle(r.State)
		x0, x1 := math.Max(v.X(r.Start), GutterW), math.Min(v.X(end), v.Width)
		if x1 < x0 {
			continue
		}
		ty := y + 1
		if r.Side == timeline.SideServer {
			ty = y + h - 1 - tcpH
		}
		d.add(Item{Shape: ShapeRect, Role: role, Alpha: alpha, X: x0, Y: ty, W: math.Max(x1-x0, 1), H: tcpH, ID: r.Event, Span: true})
	}
}

// tcpStyle colours a TCP state: ESTABLISHED faintly, the closing states
// by what they mean for the person (a FIN sent and waiting, a program that
// has not closed its end, the closer's minute of TIME_WAIT).
func tcpStyle(state string) (Role, float64) {
	switch state {
	case timeline.StateEstablished:
		return RoleOk, 0.35
	case timeline.StateFinWait1, timeline.StateFinWait2, timeline.StateClosing, timeline.StateLastAck:
		return RoleWarn, 0.9
	case timeline.StateCloseWait:
		return RoleBad, 0.9
	case timeline.StateTimeWait:
		return RoleAccent, 0.9
	}
	return RoleMuted, 0.6
}

func (d *Display) add(it Item) {
	it.Layer = d.layer
	d.Items = append(d.Items, it)
}

// forwards draws each forward as a path from the client's lane down (or
// up) to the upstream lane that carried the request; a retry's path is
// dashed and labelled. A path is drawn when either end is in view.
func (d *Display) forwards(m *Model, v Viewport, t0, t1 float64, i0, i1 int) {
	for _, fw := range m.Forwards {
		if fw.T < t0 || fw.T > t1 {
			continue
		}
		from, to := m.Lane(fw.From), m.Lane(fw.To)
		if from == nil || to == nil {
			continue
		}
		if (from.Index < i0 || from.Index >= i1) && (to.Index < i0 || to.Index >= i1) {
			continue
		}
		x := v.X(fw.T)
		if x < GutterW {
			continue
		}
		y0, y1 := v.LaneY(from.Index)+LaneH/2, v.LaneY(to.Index)+LaneH/2
		d.add(Item{Shape: ShapeLine, Role: RoleAccent, X: x, Y: y0, H: y1 - y0, Line: 1.5, Alpha: 0.8, Dash: fw.Retry, ID: fw.Event})
		d.add(Item{Shape: ShapeMark, Glyph: GlyphTriangle, Role: RoleAccent, X: x, Y: y1, H: markR, ID: fw.Event})
		if fw.Retry {
			d.addLabel(label{it: Item{Shape: ShapeText, Role: RoleAccent, X: x + 4, Y: (y0+y1)/2 + 4, Text: "retry → " + fw.To, Small: true, Anchor: -1, ID: -1},
				prio: prioRetry, shift: markShift, elide: true})
		}
	}
}

// maxTicks bounds the axis loop whatever the scale.
const maxTicks = 200

func (d *Display) axis(v Viewport, step, first, t1 float64) {
	d.add(Item{Shape: ShapeLine, Role: RoleLine, X: GutterW, Y: AxisH - 1, W: v.Width - GutterW, Line: 1, ID: -1})
	for t, n := first, 0; t <= t1 && n < maxTicks; t, n = t+step, n+1 {
		x := v.X(t)
		if x < GutterW {
			continue
		}
		d.add(Item{Shape: ShapeLine, Role: RoleLine, X: x, Y: AxisH - 6, H: 6, Line: 1, ID: -1})
		d.addLabel(label{it: Item{Shape: ShapeText, Role: RoleMuted, X: x + 3, Y: 14, Text: fmtTick(t, step), Small: true, Anchor: -1, ID: -1}, prio: prioTick})
	}
	d.addLabel(label{it: Item{Shape: ShapeText, Role: RoleMuted, X: 6, Y: 14, Text: "time", Small: true, Anchor: -1, ID: -1}, prio: prioFixed, lo: 0, hi: GutterW})
}

// spanStyle is how a span state looks: colour, opacity, height share.
func spanStyle(k SpanKind) (Role, float64, float64, bool) {
	switch k {
	case SpanConnecting:
		return RoleMuted, 0.5, 0.5, false
	case SpanOpen:
		return RoleOk, 0.35, 0.6, false
	case SpanRequest:
		return RoleServer, 0.9, 1, false
	case SpanIdle:
		return RoleOk, 0.75, 0.6, false
	case SpanHalfClosed:
		return RoleWarn, 0.8, 0.2, true
	case SpanListening:
		return RoleOk, 0.75, 0.6, false
	case SpanClosing:
		return RoleWarn, 0.8, 0.6, false
	case SpanNotAccepts:
		return RoleMuted, 0.5, 0.4, true
	}
	return RoleMuted, 0.5, 0.5, false
}

// markStyle is how an event looks on its lane.
func markStyle(ev *timeline.Event) (Glyph, Role, bool) {
	switch ev.Kind {
	case timeline.Connect:
		return GlyphDot, RoleClient, true
	case timeline.Accept, timeline.Listen:
		return GlyphDot, RoleServer, true
	case timeline.Send:
		return GlyphUp, RoleClient, true
	case timeline.Recv:
		return GlyphDown, RoleClient, true
	case timeline.Request:
		return GlyphTriangle, RoleServer, true
	case timeline.Response:
		if ev.Status >= 400 {
			return GlyphSquare, RoleBad, true
		}
		return GlyphSquare, RoleServer, true
	case timeline.Idle:
		return GlyphDot, RoleOk, false
	case timeline.Close:
		if ev.By == timeline.ByClient {
			return GlyphBar, RoleClient, true
		}
		return GlyphBar, RoleBad, true
	case timeline.Reset:
		return GlyphBolt, RoleBad, true
	case timeline.Refused:
		return GlyphCross, RoleBad, true
	case timeline.CloseCalled, timeline.CloseIdleCalled, timeline.CloseAllCalled, timeline.ShutdownCalled:
		return GlyphDiamond, RoleWarn, true
	case timeline.ListenerClosed:
		return GlyphBar, RoleWarn, true
	case timeline.BeforeExit:
		return GlyphDiamond, RoleMuted, true
	case timeline.Exit:
		return GlyphSquare, RoleBad, true
	case timeline.TCP:
		// The kernel's states are not marks of their own: what caused
		// each is already one.
		return GlyphDot, RoleMuted, false
	case timeline.Forward:
		return GlyphDiamond, RoleAccent, true
	case timeline.ProxyError:
		return GlyphBolt, RoleBad, true
	}
	return GlyphDot, RoleMuted, true
}

// lane lays out one lane at y (top) of height h.
func (d *Display) lane(m *Model, l *Lane, v Viewport, y, h, t0, t1, now float64, f Focus) {
	mid := y + h/2
	name := l.Conn
	if name == "" {
		name = "server"
	}
	if l.Upstream {
		name += " ↑" // the proxy's connection to the app
	}
	d.add(Item{Shape: ShapeLine, Role: RoleLine, X: 0, Y: y + h, W: v.Width, Line: 0.5, Alpha: 0.6, ID: -1})
	d.addLabel(label{it: Item{Shape: ShapeText, Role: RoleFg, X: 8, Y: mid + 4, Text: name, Bold: true, Anchor: -1, ID: -1}, prio: prioFixed, lo: 0, hi: GutterW, elide: true})
	// Two rows of text: a span's state and the countdown along the top,
	// what a mark was along the bottom, each a font's height.
	topRow, botRow := y+1+11*ascentEm, y+h-1-11*descentEm
	xmin, xmax := float64(GutterW), v.Width

	// Spans, with sub-pixel neighbours merged into the previous one.
	a, b := l.SpansIn(t0, t1)
	lastEnd := math.Inf(-1)
	for k := a; k < b; k++ {
		s := &l.Spans[k]
		end := s.End
		if end == Open {
			end = math.Max(now, s.Start)
		}
		x0, x1 := math.Max(v.X(s.Start), xmin), math.Min(v.X(end), xmax)
		if x1 < xmin || x0 > xmax || (x1-x0 < 0.5 && x0-lastEnd < 0.5) {
			continue
		}
		lastEnd = x1
		role, alpha, share, dash := spanStyle(s.Kind)
		bh := barH * share
		if dash {
			d.add(Item{Shape: ShapeLine, Role: role, X: x0, Y: mid, W: x1 - x0, Line: 2, Dash: true, ID: s.Event, Span: true})
		} else {
			d.add(Item{Shape: ShapeRect, Role: role, Alpha: alpha, X: x0, Y: mid - bh/2, W: math.Max(x1-x0, 1), H: bh, ID: s.Event, Span: true})
		}
		text := s.Label
		if s.Kind == SpanIdle || s.Kind == SpanOpen && s.Timer != "" {
			text = s.Kind.String()
			if s.Timer != "" {
				text += " · " + s.Timer
			}
		}
		if text != "" && x1-x0 > 2*minElided*6 {
			d.addLabel(label{it: Item{Shape: ShapeText, Role: RoleMuted, X: x0 + 4, Y: topRow, Text: text, Small: true, Anchor: -1, ID: -1},
				prio: prioSpan, lo: math.Max(x0+2, GutterW), hi: math.Min(x1-2, v.Width-textEdge), shift: x1 - x0, elide: true})
		}
	}

	d.tcpStrips(l, v, y, h, t0, t1, now)

	// The running timeout, counting down to when it fires.
	if cd, ok := l.Countdown(now); ok {
		d.countdown(v, cd, topRow, mid, now)
	}

	// Events, at most one per glyph per pixel unless focused.
	clear(d.lastX)
	pad := (markR * 2) / v.Scale
	a, b = l.EventsIn(t0-pad, t1+pad)
	for k := a; k < b; k++ {
		id := l.Events[k]
		ev := &m.Events[id]
		g, role, show := markStyle(ev)
		if !show && id != f.Event {
			continue
		}
		x := v.X(l.Times[k])
		if x < xmin-markR || x > xmax+markR {
			continue
		}
		if px, ok := d.lastX[g]; ok && math.Abs(px-x) < 1 && id != f.Event && id != f.Hover {
			continue
		}
		d.lastX[g] = x
		my, mh := mid, float64(markR)
		switch g {
		case GlyphUp:
			my = mid - barH/2 - 3
		case GlyphDown:
			my = mid + barH/2 + 3
		case GlyphBar:
			mh = h/2 - 3
		}
		d.add(Item{Shape: ShapeMark, Glyph: g, Role: role, X: x, Y: my, H: mh, ID: id})
		proxyMark := ev.Kind == timeline.ProxyError || ev.Kind == timeline.Response && ev.By == timeline.ByProxy
		labelled := id == l.Close || proxyMark || l.Conn == "" && ev.Kind != timeline.Listen && ev.Kind != timeline.BeforeExit && ev.Kind != timeline.ListenerClosed
		if ev.Kind == timeline.Refused || ev.Kind == timeline.Reset {
			labelled, role = true, RoleBad
		}
		if labelled {
			// Right of its mark, or left of it when there is no room.
			d.addLabel(label{it: Item{Shape: ShapeText, Role: role, X: x + markR + 2, Y: botRow, Text: markLabel(ev, m.Config.Runtime), Small: true, Anchor: -1, ID: -1},
				prio: prioMark, shift: markShift, alt: x - markR - 2, join: true, elide: true})
		}
		if id == f.Event || id == f.Hover {
			role := RoleFocus
			if id != f.Event {
				role = RoleFg
			}
			d.add(Item{Shape: ShapeMark, Glyph: GlyphRing, Role: role, X: x, Y: mid, H: h/2 - 2, Line: 2, ID: -1})
		}
	}
}

func (d *Display) countdown(v Viewport, cd Countdown, row, mid, now float64) {
	x0, x1 := v.X(now), v.X(cd.Deadline)
	text := cd.Label + " · " + fmtMs(round(math.Max(cd.Left, 0), -2)) + " left"
	if cd.Left <= 0 {
		text = cd.Label + " · due"
	}
	if x1 > x0 {
		d.add(Item{Shape: ShapeLine, Role: RoleWarn, X: x0, Y: mid, W: x1 - x0, Line: 1.5, Dash: true, ID: -1})
		d.add(Item{Shape: ShapeLine, Role: RoleWarn, X: x1, Y: mid - barH/2 - 2, H: barH + 4, Line: 2, ID: -1})
	}
	it := Item{Shape: ShapeText, Role: RoleWarn, X: x0 + 6, Y: row, Text: text, Small: true, Anchor: -1, ID: -1}
	// Right of the live edge, or ending left of it near the right edge.
	d.addLabel(label{it: it, prio: prioCountdown, shift: markShift, alt: x0 - 6, elide: true})
}

// markLabel is the short text beside a close, reset, refused or server
// mark, with a server call named as runtime's program names it (Node's
// close(), Go's Close() and Shutdown()), from the runtime table.
func markLabel(ev *timeline.Event, runtime string) string {
	if call := serverCall(ev.Kind, runtime); call != "" {
		return shortCall(call)
	}
	switch ev.Kind {
	case timeline.Close:
		if ev.Reason == "" || ev.Reason == ev.By {
			// "closed by client: client" would say it twice.
			return "closed by the " + ev.By
		}
		return "closed by the " + ev.By + ": " + ev.Reason
	case timeline.Reset:
		if ev.By != "" {
			return "reset by the " + ev.By
		}
		return "reset"
	case timeline.Refused:
		if ev.Error != "" {
			return "refused: " + ev.Error
		}
		return "refused"
	case timeline.ProxyError:
		return "proxy: " + shortLog(ev.Error)
	case timeline.Response:
		if ev.By == timeline.ByProxy {
			return strconv.Itoa(ev.Status) + " from the proxy"
		}
	}
	return ev.Kind
}

// shortLog is a proxy's log line cut to its message: nginx's "[error]
// upstream prematurely closed connection while reading …, client: …"
// shows as "upstream prematurely closed connection".
func shortLog(line string) string {
	line = strings.TrimPrefix(line, "[error] ")
	for _, cut := range []string{" while ", ", client:"} {
		if i := strings.Index(line, cut); i > 0 {
			line = line[:i]
		}
	}
	if r := []rune(line); len(r) > 60 {
		line = string(r[:57]) + "…"
	}
	return line
}

// textW estimates the width of small text (11 px system font) where no
// renderer measures it (an export made without a page): on the wide side
// of the usual fonts (DejaVu Sans' digits are 7 px).
func textW(s string) float64 { return float64(len([]rune(s))) * 6.8 }

// Hit returns the event under (x, y): marks first, within a few pixels,
// then spans. span reports that the hit is a span begun by that event.
func (d *Display) Hit(x, y float64) (id int, span, ok bool) {
	const slop = markR + 3
	best, bestD := -1, math.Inf(1)
	for i := len(d.Items) - 1; i >= 0; i-- {
		it := &d.Items[i]
		if it.ID < 0 || it.Shape != ShapeMark {
			continue
		}
		dx, dy := x-it.X, y-it.Y
		if it.Glyph == GlyphBar {
			dy = math.Max(0, math.Abs(dy)-it.H)
		}
		if dist := math.Hypot(dx, dy); dist <= slop && dist < bestD {
			best, bestD = it.ID, dist
		}
	}
	if best >= 0 {
		return best, false, true
	}
	for i := len(d.Items) - 1; i >= 0; i-- {
		it := &d.Items[i]
		if it.ID < 0 || !it.Span {
			continue
		}
		top, bot := it.Y-4, it.Y+it.H+4
		if x >= it.X && x <= it.X+it.W && y >= top && y <= bot {
			return it.ID, true, true
		}
	}
	return -1, false, false
}

// ExportLayout lays out the whole run for an export: every lane, the full
// time range, width w.
func ExportLayout(m *Model, now, w float64) *Display { return exportLayout(m, now, w, nil) }

// exportLayout is ExportLayout with text measured by measure (nil:
// estimated).
func exportLayout(m *Model, now, w float64, measure func(string, bool, bool) float64) *Display {
	v := Viewport{Width: w, Height: ContentH(len(m.Lanes))}
	v.FitRun(m, now)
	d := &Display{Measure: measure}
	d.Layout(m, v, now, NoFocus)
	return d
}
