package lanes

import (
	"bytes"
	"encoding/base64"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/keepalive-playground/playground/export"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/dom"
)

// View sizes and behaviour.
const (
	// minCanvasH and maxCanvasH bound the canvas; more lanes scroll.
	minCanvasH = 224
	maxCanvasH = 520
	// liveIdleCapMs: the live edge keeps moving this long after the last
	// event, then the picture rests (no redraws) until something happens.
	liveIdleCapMs = 60_000
	// zoomStep is one +/- key press or button click.
	zoomStep = 1.6
	// panStep is one Shift+arrow press, a share of the plot width.
	panStep = 0.2
	// maxCardBytes bounds the raw bytes the detail card shows.
	maxCardBytes = 2048
	// exportMinW is the least width of an exported picture.
	exportMinW = 1000
	// maxPNGSide keeps an exported PNG under the browsers' canvas limits.
	maxPNGSide = 16000
)

// View draws the timeline into root, with its toolbar inside tools.
type View struct {
	// Link, when set, is the scenario's link, put inside every exported
	// image so that the image reopens the scenario (package export).
	Link func() string

	loop   *dom.Loop
	root   js.Value
	tools  js.Value
	ls     *dom.Listeners
	drawID int

	canvas, ctx js.Value
	card        js.Value
	announce    js.Value
	srLanes     js.Value
	srServer    js.Value
	legend      js.Value
	ownLegend   bool
	btnFollow   js.Value
	made        []js.Value // elements this view created, removed on Release

	model *Model
	vp    Viewport
	disp  Display
	pal   Palette
	sans  string
	dpr   float64

	// The session clock: now = performance.now() - offset, where offset
	// is the least (arrival - t) seen, the event that arrived fastest.
	offset    float64
	haveClock bool
	lastWall  float64

	focus     Focus
	focusSpan bool
	hoverSpan bool
	focusLane int // -1: the server lane

	laneEls   map[string]js.Value
	dirty     map[string]bool
	dragging  bool
	dragX     float64
	dragY     float64
	pointers  map[int][2]float64
	pinchDist float64

	ro      js.Value
	roFn    js.Func
	frameFn js.Func
	// widths remembers text widths measured on mctx, in the canvas's font.
	widths map[measureKey]float64
	mctx   js.Value
	// cardAway: the focused event's card is hidden because the event is
	// out of view; it comes back with the event. cardX, cardY: where it
	// was put last.
	cardAway     bool
	cardX, cardY float64
	released     bool
	// ended: the run ended at endT (End); the clock rests there.
	ended bool
	endT  float64
	// moved: the person zoomed or panned during this run, so its end
	// leaves the view where they put it.
	moved bool
	// cursor is the scrubber's instant (SetCursor), off in the live view.
	cursor Cursor
}

// Mount creates the view inside root (and its toolbar inside tools).
func Mount(loop *dom.Loop, root, tools js.Value) *View {
	v := &View{
		loop: loop, root: root, tools: tools, ls: dom.NewListeners(loop),
		model: NewModel(Config{}), focus: NoFocus, focusLane: -1,
		laneEls: map[string]js.Value{}, dirty: map[string]bool{}, pointers: map[int][2]float64{},
	}
	v.vp = NewViewport(800, minCanvasH)
	v.widths = map[measureKey]float64{}
	v.mctx = dom.Doc().Call("createElement", "canvas").Call("getContext", "2d")
	v.disp.Measure = v.measure
	v.build()
	v.readColors()
	v.drawID = loop.Drawer(v.draw)
	v.listen()
	loop.Invalidate(v.drawID)
	return v
}

func (v *View) build() {
	el := dom.El
	a := dom.A
	v.root.Call("setAttribute", "aria-describedby", "timeline-help")
	v.canvas = el("canvas", []dom.Attr{a("class", "tl-canvas"), a("aria-hidden", "true")})
	v.ctx = v.canvas.Call("getContext", "2d")
	v.card = el("div", []dom.Attr{a("class", "tl-card"), a("aria-hidden", "true"), a("hidden", true)})
	v.announce = el("p", []dom.Attr{a("class", "sr-only"), a("aria-live", "polite"), a("id", "timeline-announce")})
	help := el("p", []dom.Attr{a("class", "sr-only"), a("id", "timeline-help")},
		"Arrow keys move between events; plus and minus zoom; 0 fits the run; f follows the live edge. The lists below describe every connection and server event.")
	v.srLanes = el("ul", []dom.Attr{a("class", "tl-sr-lanes"), a("aria-label", "Connections")})
	v.srServer = el("ul", []dom.Attr{a("class", "tl-sr-server"), a("aria-label", "Server events")})
	sr := el("div", []dom.Attr{a("class", "sr-only tl-sr")},
		el("h3", nil, "Connections"), v.srLanes, el("h3", nil, "Server"), v.srServer)
	for _, e := range []js.Value{v.canvas, v.card, v.announce, help, sr} {
		v.root.Call("appendChild", e)
		v.made = append(v.made, e)
	}

	btn := func(label, text, title string) js.Value {
		b := el("button", []dom.Attr{a("type", "button"), a("aria-label", label), a("title", title), a("class", "tl-btn")}, text)
		if v.tools.Truthy() {
			v.tools.Call("appendChild", b)
			v.made = append(v.made, b)
		}
		return b
	}
	out := btn("Zoom out", "−", "Zoom out (-)")
	in := btn("Zoom in", "+", "Zoom in (+)")
	fit := btn("Fit the whole run", "Fit", "Fit the whole run (0)")
	v.btnFollow = btn("Follow live", "Follow live", "Follow the live edge (f)")
	v.btnFollow.Call("setAttribute", "aria-pressed", "true")
	svg := btn("Export the timeline as SVG", "SVG", "Download the timeline as SVG")
	png := btn("Export the timeline as PNG", "PNG", "Download the timeline as PNG")
	v.ls.On(out, "click", func(js.Value) { v.zoomKey(1 / zoomStep) })
	v.ls.On(in, "click", func(js.Value) { v.zoomKey(zoomStep) })
	v.ls.On(fit, "click", func(js.Value) { v.fitAll() })
	v.ls.On(v.btnFollow, "click", func(js.Value) { v.setFollow(!v.vp.Follow) })
	v.ls.On(svg, "click", func(js.Value) { v.exportSVG() })
	v.ls.On(png, "click", func(js.Value) { v.exportPNG() })

	v.legend = dom.ByID("timeline-legend")
	if !v.legend.Truthy() {
		v.legend = el("div", []dom.Attr{a("class", "legend")})
		v.root.Get("parentNode").Call("insertBefore", v.legend, v.root.Get("nextSibling"))
		v.ownLegend = true
	}
	v.fillLegend()

	// The frame on screen as SVG, drawn with the page's font: what the
	// canvas shows, as elements a test (or a person in the console) can
	// measure; the canvas itself has no text to ask about.
	v.frameFn = js.FuncOf(func(js.Value, []js.Value) any {
		var b strings.Builder
		if err := v.disp.writeSVG(&b, v.pal, "Timeline, as on screen", v.sans); err != nil {
			return ""
		}
		return b.String()
	})
	v.root.Set("kapFrameSVG", v.frameFn)
}

func (v *View) fillLegend() {
	dom.Clear(v.legend)
	// Open on a person's first visit; from then on as they left it
	// (closed, once seen, unless they open it again).
	state := dom.ReadStorage(legendKey)
	if state == "" {
		dom.WriteStorage(legendKey, "seen")
	}
	sum := dom.El("summary", nil, "Legend")
	det := dom.El("details", []dom.Attr{dom.A("class", "tl-legend-box"), dom.A("open", state == "" || state == "open")}, sum)
	// The person's click (or Enter/Space) on the summary, not the toggle
	// event, which also fires for the initial open.
	v.ls.On(sum, "click", func(js.Value) {
		if det.Get("open").Bool() {
			dom.WriteStorage(legendKey, "closed") // about to close
		} else {
			dom.WriteStorage(legendKey, "open")
		}
	})
	// One parse of the whole legend: building it node by node was the
	// largest part of the page's start.
	det.Call("insertAdjacentHTML", "beforeend", LegendHTML(VarPalette()))
	v.legend.Call("appendChild", det)
}

// legendKey is the localStorage key of the legend's state: "seen" after
// the first visit, then "open" or "closed" as the person left it.
const legendKey = "kap.legend"

func (v *View) listen() {
	win := js.Global()
	v.ls.On(win, "resize", func(js.Value) { v.invalidate() })
	if mq := win.Call("matchMedia", "(prefers-color-scheme: dark)"); mq.Truthy() {
		v.ls.On(mq, "change", func(js.Value) { v.readColors(); v.invalidate() })
	}
	if ro := win.Get("ResizeObserver"); ro.Truthy() {
		v.roFn = js.FuncOf(func(js.Value, []js.Value) any {
			v.loop.Post(v.invalidate)
			return nil
		})
		v.ro = ro.New(v.roFn)
		v.ro.Call("observe", v.root)
	}
	v.ls.On(v.canvas, "wheel", v.onWheel, dom.Always)
	v.ls.On(v.canvas, "pointerdown", v.onPointerDown)
	v.ls.On(v.canvas, "pointermove", v.onPointerMove)
	v.ls.On(v.canvas, "pointerup", v.onPointerUp)
	v.ls.On(v.canvas, "pointercancel", v.onPointerUp)
	v.ls.On(v.canvas, "pointerleave", func(js.Value) {
		if !v.dragging && v.focus.Hover >= 0 {
			v.focus.Hover = -1
			v.showCard()
			v.invalidate()
		}
	})
	v.ls.On(v.root, "keydown", v.onKey, handledKey)
	v.ls.On(v.root, "blur", func(js.Value) { v.card.Set("hidden", v.focus.Hover < 0) })
	v.ls.On(v.root, "focus", func(js.Value) { v.showCard() })
}

// measureKey is a text in one of the timeline's fonts.
type measureKey struct {
	text        string
	small, bold bool
}

// maxWidths bounds the remembered widths (labels of a long live run).
const maxWidths = 4096

// measure is the width of text as the canvas draws it: the layout places
// labels by what the browser's font really takes, not by a guess.
func (v *View) measure(text string, small, bold bool) float64 {
	k := measureKey{text, small, bold}
	if w, ok := v.widths[k]; ok {
		return w
	}
	if len(v.widths) >= maxWidths {
		clear(v.widths)
	}
	v.mctx.Set("font", canvasFont(v.sans, small, bold))
	w := v.mctx.Call("measureText", text).Get("width").Float()
	v.widths[k] = w
	return w
}

// canvasFont is the CSS font the canvas draws text in.
func canvasFont(sans string, small, bold bool) string {
	f := "12px " + sans
	if small {
		f = "11px " + sans
	}
	if bold {
		f = "600 " + f
	}
	return f
}

func (v *View) invalidate() {
	if !v.released {
		v.loop.Invalidate(v.drawID)
	}
}

// Reset clears the view for a new run of sc (defaults applied).
func (v *View) Reset(sc scenario.Scenario) {
	v.model = NewModel(ConfigOf(sc))
	v.haveClock = false
	v.focus, v.focusSpan, v.hoverSpan, v.focusLane = NoFocus, false, false, -1
	v.vp.Follow = true
	v.vp.ScrollY = 0
	v.ended, v.endT, v.moved = false, 0, false
	v.root.Get("dataset").Delete("ended")
	v.SetCursor(NoCursor)
	v.vp.Fit(0, math.Max(float64(sc.DurationMs), 1000))
	v.setFollow(true)
	dom.Clear(v.srLanes)
	dom.Clear(v.srServer)
	clear(v.laneEls)
	clear(v.dirty)
	v.card.Set("hidden", true)
	v.invalidate()
}

// Add appends one event (loop goroutine only).
func (v *View) Add(ev timeline.Event) {
	w := perfNow()
	if off := w - ev.T; !v.haveClock || off < v.offset {
		v.offset, v.haveClock = off, true
	}
	v.lastWall = w
	v.model.Add(ev)
	if ev.Conn != "" {
		v.dirty[ev.Conn] = true
	} else {
		li := dom.El("li", []dom.Attr{dom.A("data-server-event", ev.Kind), dom.A("data-t", num(ev.T))}, ServerText(ev, v.model.Config.Runtime))
		v.srServer.Call("appendChild", li)
	}
	v.invalidate()
}

// End marks the end of the run at t on the session clock: the clock rests
// there and, unless the person has zoomed or panned, the view fits the
// whole run (the request a lesson talks about may have scrolled away).
func (v *View) End(t float64) {
	v.ended, v.endT = true, t
	v.root.Get("dataset").Set("ended", num(t))
	if !v.moved {
		v.setFollow(false)
		v.vp.Fit(0, math.Max(t, 1)*1.02)
	}
	v.invalidate()
}

// Resume lets the clock run again after End: the person goes on by hand
// (a restart), on the same timeline.
func (v *View) Resume() {
	if !v.ended {
		return
	}
	v.ended = false
	v.root.Get("dataset").Delete("ended")
	v.setFollow(true)
}

// Release frees the view's listeners and removes what it created.
func (v *View) Release() {
	if v.released {
		return
	}
	v.released = true
	v.ls.Release()
	v.root.Delete("kapFrameSVG")
	v.frameFn.Release()
	if v.ro.Truthy() {
		v.ro.Call("disconnect")
		v.roFn.Release()
	}
	for _, e := range v.made {
		e.Call("remove")
	}
	if v.ownLegend {
		v.legend.Call("remove")
	} else {
		dom.Clear(v.legend)
	}
	v.root.Call("removeAttribute", "aria-describedby")
}

func perfNow() float64 { return js.Global().Get("performance").Call("now").Float() }

// now is the session clock, resting liveIdleCapMs after the last event
// and once the server has exited with nothing counting down.
func (v *View) now() float64 {
	m := v.model
	if v.ended {
		return v.endT
	}
	if !v.haveClock {
		return m.Last
	}
	if m.Exited >= 0 && !v.countingDown(m.Last) {
		return m.Last
	}
	t := math.Min(perfNow(), v.lastWall+liveIdleCapMs) - v.offset
	return math.Max(t, m.Last)
}

// live reports whether the picture changes by itself: the clock runs.
func (v *View) live() bool {
	m := v.model
	if v.ended {
		return false
	}
	if !v.haveClock || perfNow()-v.lastWall > liveIdleCapMs {
		return false
	}
	return m.Exited < 0 || v.countingDown(m.Last)
}

func (v *View) countingDown(now float64) bool {
	for _, l := range v.model.Lanes {
		if _, ok := l.Countdown(now); ok {
			return true
		}
	}
	return false
}

func (v *View) readColors() {
	cs := js.Global().Call("getComputedStyle", dom.Doc().Get("documentElement"))
	for i, name := range RoleVars {
		c := strings.TrimSpace(cs.Call("getPropertyValue", name).String())
		if c == "" {
			c = LightPalette[i]
		}
		v.pal[i] = c
	}
	v.sans = strings.TrimSpace(cs.Call("getPropertyValue", "--sans").String())
	if v.sans == "" {
		v.sans = SansFont
	}
	clear(v.widths)
}

// resize fits the canvas to the root's width and the lanes' height, at
// the device's pixel ratio, keeping the shown time range.
func (v *View) resize() {
	w := v.root.Get("clientWidth").Float()
	if w <= 0 {
		w = 800
	}
	h := clamp(ContentH(len(v.model.Lanes)), minCanvasH, maxCanvasH)
	dpr := js.Global().Get("devicePixelRatio").Float()
	if dpr <= 0 {
		dpr = 1
	}
	if w == v.vp.Width && h == v.vp.Height && dpr == v.dpr {
		return
	}
	if w != v.vp.Width {
		t0, t1 := v.vp.T0, v.vp.T1()
		v.vp.Width = w
		v.vp.Fit(t0, t1)
	}
	v.vp.Height, v.dpr = h, dpr
	v.canvas.Set("width", int(math.Round(w*dpr)))
	v.canvas.Set("height", int(math.Round(h*dpr)))
	st := v.canvas.Get("style")
	st.Set("width", num(w)+"px")
	st.Set("height", num(h)+"px")
	v.vp.Scroll(0, ContentH(len(v.model.Lanes)))
}

func (v *View) draw() {
	if v.released {
		return
	}
	start := time.Now()
	v.resize()
	now := v.now()
	v.vp.FollowTo(now)
	v.disp.Layout(v.model, v.vp, now, v.focus)
	v.disp.AddCursor(v.vp, v.cursor)
	if v.cursor.On {
		v.root.Get("dataset").Set("cursorX", num(v.vp.X(v.cursor.T)))
	}
	render(v.ctx, &v.disp, &v.pal, v.sans, v.dpr)
	v.followCard()
	v.syncLanes()
	// The frame's cost, for the page-speed benchmark and for anyone
	// wondering why a big trace feels slow.
	v.root.Get("dataset").Set("drawMs", strconv.FormatFloat(float64(time.Since(start).Microseconds())/1000, 'f', 3, 64))
	if v.live() {
		v.invalidate()
	}
}

// syncLanes updates the accessible list of connections for the lanes
// that changed since the last frame.
func (v *View) syncLanes() {
	if len(v.dirty) == 0 {
		return
	}
	for conn := range v.dirty {
		l := v.model.Lane(conn)
		li, ok := v.laneEls[conn]
		if !ok {
			li = dom.El("li", []dom.Attr{dom.A("data-conn", conn)})
			// Lanes appear in the model's order; a new one goes last.
			v.laneEls[conn] = li
			v.insertLane(l, li)
		}
		li.Call("setAttribute", "data-state", l.State())
		if l.Close >= 0 {
			ev := v.model.Events[l.Close]
			li.Call("setAttribute", "data-close-by", ev.By)
			li.Call("setAttribute", "data-close-reason", ev.Reason)
			li.Call("setAttribute", "data-close-t", strconv.FormatFloat(ev.T, 'f', 1, 64))
		}
		// When the last response went out: timeouts are measured from it.
		for i := len(l.Events) - 1; i >= 0; i-- {
			if e := v.model.Events[l.Events[i]]; e.Kind == timeline.Response {
				li.Call("setAttribute", "data-last-response-t", strconv.FormatFloat(e.T, 'f', 1, 64))
				break
			}
		}
		if l.Reset >= 0 {
			li.Call("setAttribute", "data-reset-by", v.model.Events[l.Reset].By)
		}
		dom.SetText(li, v.model.Summary(l))
	}
	clear(v.dirty)
}

func (v *View) insertLane(l *Lane, li js.Value) {
	kids := v.srLanes.Get("children")
	if n := kids.Length(); l.Index < n {
		v.srLanes.Call("insertBefore", li, kids.Index(l.Index))
		return
	}
	v.srLanes.Call("appendChild", li)
}

// render paints d on a 2D context: per layer, shapes of one style are
// batched into one Path2D each, so a frame costs a few dozen calls into
// JavaScript, not one per item.
func render(ctx js.Value, d *Display, pal *Palette, sans string, dpr float64) {
	ctx.Call("setTransform", dpr, 0, 0, dpr, 0, 0)
	ctx.Set("globalAlpha", 1)
	ctx.Set("fillStyle", pal[RolePanel])
	ctx.Call("fillRect", 0, 0, d.W, d.H)
	path2D := js.Global().Get("Path2D")
	type key struct {
		pass   uint8 // 0 rects, 1 lines, 2 marks, 3 outlined marks
		role   Role
		alpha  float64
		dash   bool
		stroke float64
	}
	var keys []key
	groups := map[key]*strings.Builder{}
	dashOn, dashOff := js.ValueOf([]any{4, 3}), js.ValueOf([]any{})
	// Layout adds items in layer order, so each layer is one run of Items.
	next := 0
	for layer := uint8(0); layer <= 4; layer++ {
		start := next
		for next < len(d.Items) && d.Items[next].Layer == layer {
			next++
		}
		run := d.Items[start:next]
		keys = keys[:0]
		clear(groups)
		for i := range run {
			it := &run[i]
			if it.Shape == ShapeText {
				continue
			}
			k := key{role: it.Role, alpha: it.Alpha, dash: it.Dash}
			switch it.Shape {
			case ShapeRect:
				k.pass = 0
			case ShapeLine:
				k.pass, k.stroke = 1, math.Max(it.Line, 1)
			case ShapeMark:
				k.pass = 2
				if GlyphStroked(it.Glyph) {
					k.pass, k.stroke = 3, math.Max(it.Line, 2.5)
				}
			}
			b := groups[k]
			if b == nil {
				b = &strings.Builder{}
				groups[k] = b
				keys = append(keys, k)
			}
			switch it.Shape {
			case ShapeRect:
				b.WriteString("M" + num(it.X) + " " + num(it.Y) + "h" + num(it.W) + "v" + num(it.H) + "h" + num(-it.W) + "Z")
			case ShapeLine:
				x0, y0, x1, y1 := it.X, it.Y, it.X+it.W, it.Y+it.H
				if it.W == 0 { // crisp vertical hairlines
					x0 = math.Round(x0*dpr)/dpr + 0.5/dpr
					x1 = x0
				}
				if it.H == 0 {
					y0 = math.Round(y0*dpr)/dpr + 0.5/dpr
					y1 = y0
				}
				b.WriteString("M" + num(x0) + " " + num(y0) + "L" + num(x1) + " " + num(y1))
			case ShapeMark:
				b.WriteString(GlyphPath(it.Glyph, it.X, it.Y, it.GlyphR()))
			}
		}
		sort.SliceStable(keys, func(i, j int) bool { return keys[i].pass < keys[j].pass })
		for _, k := range keys {
			alpha := k.alpha
			if alpha == 0 {
				alpha = 1
			}
			ctx.Set("globalAlpha", alpha)
			p := path2D.New(groups[k].String())
			c := pal[k.role]
			if k.pass == 1 || k.pass == 3 {
				ctx.Set("strokeStyle", c)
				ctx.Set("lineWidth", k.stroke)
				if k.dash {
					ctx.Call("setLineDash", dashOn)
				} else {
					ctx.Call("setLineDash", dashOff)
				}
				ctx.Call("stroke", p)
				continue
			}
			ctx.Set("fillStyle", c)
			ctx.Call("fill", p)
		}
		ctx.Set("globalAlpha", 1)
		font := ""
		for i := range run {
			it := &run[i]
			if it.Shape != ShapeText {
				continue
			}
			if f := canvasFont(sans, it.Small, it.Bold); f != font {
				ctx.Set("font", f)
				font = f
			}
			align := "left"
			switch it.Anchor {
			case 0:
				align = "center"
			case 1:
				align = "right"
			}
			ctx.Set("textAlign", align)
			ctx.Set("fillStyle", pal[it.Role])
			ctx.Call("fillText", it.Text, it.X, it.Y)
		}
	}
	ctx.Call("setLineDash", dashOff)
}

// Pointer and wheel.

func (v *View) onWheel(ev js.Value) {
	x := offsetX(ev)
	dx, dy := ev.Get("deltaX").Float(), ev.Get("deltaY").Float()
	if ev.Get("deltaMode").Int() == 1 { // lines
		dx, dy = dx*16, dy*16
	}
	switch {
	case ev.Get("shiftKey").Bool():
		v.vp.Scroll(dy, ContentH(len(v.model.Lanes)))
	case math.Abs(dx) > math.Abs(dy):
		v.vp.Pan(dx)
		v.setFollow(false)
	default:
		rate := 0.002
		if ev.Get("ctrlKey").Bool() { // a trackpad pinch
			rate = 0.01
		}
		v.zoomAt(x, math.Exp(-dy*rate))
	}
	v.invalidate()
}

// zoomAt zooms around x; while following live it zooms around the live
// edge and keeps following.
func (v *View) zoomAt(x, f float64) {
	v.moved = true
	if v.vp.Follow {
		x = v.vp.X(v.now())
	}
	v.vp.ZoomAt(x, f)
	v.invalidate()
}

func (v *View) zoomKey(f float64) {
	x := GutterW + v.vp.PlotW()/2
	if v.focus.Event >= 0 && !v.vp.Follow {
		x = v.vp.X(v.model.Events[v.focus.Event].T)
	}
	v.zoomAt(x, f)
}

func (v *View) fitAll() {
	v.setFollow(false)
	v.vp.FitRun(v.model, v.now())
	v.invalidate()
}

func (v *View) setFollow(on bool) {
	v.vp.Follow = on
	v.btnFollow.Call("setAttribute", "aria-pressed", strconv.FormatBool(on))
	v.invalidate()
}

func offsetX(ev js.Value) float64 { return ev.Get("offsetX").Float() }
func offsetY(ev js.Value) float64 { return ev.Get("offsetY").Float() }

func (v *View) onPointerDown(ev js.Value) {
	id := ev.Get("pointerId").Int()
	v.pointers[id] = [2]float64{offsetX(ev), offsetY(ev)}
	v.canvas.Call("setPointerCapture", id)
	v.dragging = true
	v.dragX, v.dragY = offsetX(ev), offsetY(ev)
	v.pinchDist = v.pinchSpan()
	// A click on a mark focuses it for the keyboard too.
	if hit, span, ok := v.disp.Hit(offsetX(ev), offsetY(ev)); ok {
		v.setFocus(hit, span)
	}
}

func (v *View) pinchSpan() float64 {
	if len(v.pointers) != 2 {
		return 0
	}
	var p [][2]float64
	for _, q := range v.pointers {
		p = append(p, q)
	}
	return math.Hypot(p[0][0]-p[1][0], p[0][1]-p[1][1])
}

func (v *View) onPointerMove(ev js.Value) {
	x, y := offsetX(ev), offsetY(ev)
	if id := ev.Get("pointerId").Int(); v.dragging {
		if _, ok := v.pointers[id]; ok {
			v.pointers[id] = [2]float64{x, y}
		}
		if d := v.pinchSpan(); d > 0 && v.pinchDist > 0 {
			v.zoomAt(x, d/v.pinchDist)
			v.pinchDist = d
			return
		}
		dx, dy := x-v.dragX, y-v.dragY
		v.dragX, v.dragY = x, y
		if dx != 0 {
			v.vp.Pan(-dx)
			v.moved = true
			v.setFollow(false)
		}
		v.vp.Scroll(-dy, ContentH(len(v.model.Lanes)))
		v.invalidate()
		return
	}
	hit, span, ok := v.disp.Hit(x, y)
	if !ok {
		hit, span = -1, false
	}
	if hit != v.focus.Hover || span != v.hoverSpan {
		v.focus.Hover, v.hoverSpan = hit, span
		v.showCardAt(x, y)
		v.invalidate()
	}
}

func (v *View) onPointerUp(ev js.Value) {
	delete(v.pointers, ev.Get("pointerId").Int())
	if len(v.pointers) == 0 {
		v.dragging = false
	}
	v.pinchDist = v.pinchSpan()
}

// Keyboard.

var timelineKeys = map[string]bool{
	"ArrowLeft": true, "ArrowRight": true, "ArrowUp": true, "ArrowDown": true,
	"Home": true, "End": true, "+": true, "=": true, "-": true, "_": true, "0": true, "f": true, "F": true, "Escape": true,
}

func handledKey(ev js.Value) bool {
	if ev.Get("ctrlKey").Bool() || ev.Get("metaKey").Bool() || ev.Get("altKey").Bool() {
		return false
	}
	return timelineKeys[ev.Get("key").String()]
}

func (v *View) onKey(ev js.Value) {
	if !handledKey(ev) {
		return
	}
	shift := ev.Get("shiftKey").Bool()
	switch key := ev.Get("key").String(); {
	case key == "+" || key == "=":
		v.zoomKey(zoomStep)
	case key == "-" || key == "_":
		v.zoomKey(1 / zoomStep)
	case key == "0":
		v.fitAll()
	case key == "f" || key == "F":
		v.setFollow(!v.vp.Follow)
	case key == "Escape":
		v.card.Set("hidden", true)
	case shift && (key == "ArrowLeft" || key == "ArrowRight"):
		d := v.vp.PlotW() * panStep
		if key == "ArrowLeft" {
			d = -d
		}
		v.vp.Pan(d)
		v.setFollow(false)
	case shift && (key == "ArrowUp" || key == "ArrowDown"):
		d := float64(LaneH) * 3
		if key == "ArrowUp" {
			d = -d
		}
		v.vp.Scroll(d, ContentH(len(v.model.Lanes)))
	default:
		v.moveFocus(key)
	}
	v.invalidate()
}

// laneAt is the lane at position i (-1: the server lane).
func (v *View) laneAt(i int) *Lane {
	if i < 0 {
		return &v.model.Server
	}
	return v.model.Lanes[i]
}

func (v *View) moveFocus(key string) {
	m := v.model
	if len(m.Events) == 0 {
		return
	}
	if v.focus.Event < 0 {
		// Start on the first visible connection lane (or the server's),
		// at the event nearest the middle of the view.
		i0, i1 := v.vp.VisibleLanes(len(m.Lanes))
		v.focusLane = -1
		if i1 > i0 {
			v.focusLane = i0
		}
		v.focusNearest(v.focusLane, v.vp.T(GutterW+v.vp.PlotW()/2))
		return
	}
	l := v.laneAt(v.focusLane)
	k := slices.Index(l.Events, v.focus.Event)
	switch key {
	case "ArrowLeft":
		k = max(k-1, 0)
	case "ArrowRight":
		k = min(k+1, len(l.Events)-1)
	case "Home":
		k = 0
	case "End":
		k = len(l.Events) - 1
	case "ArrowUp", "ArrowDown":
		next := v.focusLane - 1
		if key == "ArrowDown" {
			next = v.focusLane + 1
		}
		if next < -1 || next >= len(m.Lanes) {
			return
		}
		v.focusNearest(next, m.Events[v.focus.Event].T)
		return
	}
	if k >= 0 {
		v.setFocus(l.Events[k], false)
	}
}

func (v *View) focusNearest(lane int, t float64) {
	l := v.laneAt(lane)
	if len(l.Events) == 0 {
		return
	}
	k := sort.SearchFloat64s(l.Times, t)
	if k == len(l.Times) || k > 0 && t-l.Times[k-1] < l.Times[k]-t {
		k--
	}
	v.setFocus(l.Events[max(k, 0)], false)
}

// setFocus focuses event id, scrolls it into view, shows its card and
// says what it is.
func (v *View) setFocus(id int, span bool) {
	m := v.model
	ev := m.Events[id]
	v.focus.Event, v.focusSpan = id, span
	v.focusLane = -1
	if ev.Conn != "" {
		v.focusLane = m.Lane(ev.Conn).Index
	}
	if !span {
		if x := v.vp.X(ev.T); x < GutterW || x > GutterW+v.vp.PlotW() {
			v.vp.T0 = ev.T - v.vp.PlotW()/2/v.vp.Scale
			v.setFollow(false)
		}
	}
	if v.focusLane >= 0 {
		y := v.vp.LaneY(v.focusLane)
		top, bot := float64(AxisH+ServerLaneH), v.vp.Height-LaneH
		if y < top {
			v.vp.Scroll(y-top, ContentH(len(m.Lanes)))
		} else if y > bot {
			v.vp.Scroll(y-bot, ContentH(len(m.Lanes)))
		}
	}
	text := EventText(ev, m.Config.Runtime)
	if span {
		title, _, _ := m.Card(id, span, v.now(), v.ended)
		text = title + ", begun by " + text
	}
	dom.SetText(v.announce, text)
	v.showCard()
	v.invalidate()
}

// The detail card.

func (v *View) showCard() {
	id, span := v.focus.Hover, v.hoverSpan
	if id < 0 {
		id, span = v.focus.Event, v.focusSpan
	}
	if id < 0 || id >= len(v.model.Events) {
		v.card.Set("hidden", true)
		return
	}
	v.cardAway = false
	x, y, ok := v.eventPoint(id)
	if !ok {
		v.card.Set("hidden", true)
		v.cardAway = id == v.focus.Event && v.focus.Hover < 0
		return
	}
	v.fillCard(id, span)
	v.placeCard(x, y)
}

// eventPoint is where event id is on screen, if it is in view: its time
// inside the plot and its lane not scrolled away.
func (v *View) eventPoint(id int) (x, y float64, ok bool) {
	ev := v.model.Events[id]
	x = v.vp.X(ev.T)
	if x < GutterW || x > v.vp.Width {
		return 0, 0, false
	}
	y = float64(AxisH) + ServerLaneH/2
	if ev.Conn != "" {
		y = v.vp.LaneY(v.model.Lane(ev.Conn).Index) + LaneH/2
		if y < AxisH+ServerLaneH || y > v.vp.Height {
			return 0, 0, false
		}
	}
	return x, y, true
}

// followCard keeps the focused event's card beside the event as the view
// pans and zooms, hides it while the event is out of view (a card left
// behind would float over whatever is next to the timeline) and brings it
// back with the event.
func (v *View) followCard() {
	id := v.focus.Event
	if id < 0 || v.focus.Hover >= 0 || id >= len(v.model.Events) {
		return
	}
	shown := !v.card.Get("hidden").Bool()
	if !shown && !v.cardAway {
		return // closed with Escape or by leaving the timeline
	}
	x, y, ok := v.eventPoint(id)
	switch {
	case !ok:
		if shown {
			v.card.Set("hidden", true)
		}
		v.cardAway = true
	case v.cardAway:
		v.cardAway = false
		v.showCard()
	case x != v.cardX || y != v.cardY:
		v.placeCard(x, y)
	}
}

func (v *View) showCardAt(x, y float64) {
	if v.focus.Hover < 0 {
		v.showCard()
		return
	}
	v.fillCard(v.focus.Hover, v.hoverSpan)
	v.placeCard(x, y)
}

func (v *View) fillCard(id int, span bool) {
	title, fields, raw := v.model.Card(id, span, v.now(), v.ended)
	dom.Clear(v.card)
	dl := dom.El("dl", nil)
	for _, f := range fields {
		dl.Call("appendChild", dom.El("dt", nil, f.Name))
		dl.Call("appendChild", dom.El("dd", nil, f.Value))
	}
	dom.Append(v.card, dom.El("strong", nil, title))
	dom.Append(v.card, dl)
	if raw != "" {
		more := ""
		if len(raw) > maxCardBytes {
			more = "\n… " + strconv.Itoa(len(raw)-maxCardBytes) + " more bytes"
			raw = raw[:maxCardBytes]
		}
		dom.Append(v.card, dom.El("pre", nil, ShowBytes(raw)+more))
	}
	v.card.Set("hidden", false)
}

// placeCard puts the card beside (x, y), inside the timeline: beside
// the event, above or left of it when there is no room below or right,
// never over the page around the timeline.
func (v *View) placeCard(x, y float64) {
	v.cardX, v.cardY = x, y
	st := v.card.Get("style")
	w := v.card.Get("offsetWidth").Float()
	h := v.card.Get("offsetHeight").Float()
	left, top := x+14, y+14
	if left+w > v.vp.Width {
		left = x - 14 - w
	}
	if top+h > v.vp.Height {
		top = y - 14 - h
	}
	left = clamp(left, 0, math.Max(0, v.vp.Width-w))
	top = clamp(top, 0, math.Max(0, v.vp.Height-h))
	st.Set("left", num(left)+"px")
	st.Set("top", num(top)+"px")
}

// Export.

func (v *View) exportDisplay() *Display {
	return exportLayout(v.model, v.now(), math.Max(v.vp.Width, exportMinW), v.measure)
}

func (v *View) exportSVG() {
	var b bytes.Buffer
	if err := v.exportDisplay().WriteSVG(&b, v.pal, "Keep-Alive Playground timeline"); err != nil {
		dom.SetText(v.announce, "Export failed: "+err.Error())
		return
	}
	data := b.Bytes()
	if link := v.link(); link != "" {
		withLink, err := export.SVGWithLink(data, link)
		if err != nil {
			dom.SetText(v.announce, "Export failed: "+err.Error())
			return
		}
		data = withLink
	}
	v.loop.Download(data, "image/svg+xml", "timeline.svg")
}

func (v *View) link() string {
	if v.Link == nil {
		return ""
	}
	return v.Link()
}

func (v *View) exportPNG() {
	d := v.exportDisplay()
	scale := 2.0
	if s := maxPNGSide / math.Max(d.W, d.H); s < scale {
		scale = s
	}
	c := dom.Doc().Call("createElement", "canvas")
	c.Set("width", int(d.W*scale))
	c.Set("height", int(d.H*scale))
	render(c.Call("getContext", "2d"), d, &v.pal, v.sans, scale)
	if link := v.link(); link != "" {
		// The link goes in a tEXt chunk, so the PNG's bytes are needed:
		// the data URL has them at once.
		url := c.Call("toDataURL", "image/png").String()
		_, b64, _ := strings.Cut(url, ",")
		png, err := base64.StdEncoding.DecodeString(b64)
		if err == nil {
			png, err = export.PNGWithLink(png, link)
		}
		if err != nil {
			dom.SetText(v.announce, "Export failed: "+err.Error())
			return
		}
		v.loop.Download(png, "image/png", "timeline.png")
		return
	}
	var fn js.Func
	fn = js.FuncOf(func(_ js.Value, args []js.Value) any {
		blob := args[0]
		v.loop.Post(func() {
			fn.Release()
			if !blob.Truthy() {
				dom.SetText(v.announce, "Export failed: the browser could not encode the PNG.")
				return
			}
			v.loop.DownloadBlob(blob, "timeline.png")
		})
		return nil
	})
	c.Call("toBlob", fn, "image/png")
}
