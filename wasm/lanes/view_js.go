package lanes

import (
	"math"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/dom"
)

// View sizes and behaviour.
const (
	// minCanvasH and maxCanvasH bound the canvas; more lanes scroll.
	minCanvasH = 224
	maxCanvasH = 520
	// zoomStep is one +/- key press or button click.
	zoomStep = 1.6
	// panStep is one Shift+arrow press, a share of the plot width.
	panStep = 0.2
)

// View draws the timeline into root, with its toolbar inside tools. It
// holds the run's Model, the Viewport and the Display laid out for each
// frame; its parts each have a file: painting (render_js.go), input
// (input_js.go, with the pure Gesture), the keyboard focus
// (focus_js.go), the detail card (card_js.go, placed by the pure
// CardPlace), image export (export_js.go) and the scrubber's cursor
// (cursor_js.go). The session clock is the pure Clock.
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
	card        *detailCard
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

	clock Clock

	focus     Focus
	focusSpan bool
	hoverSpan bool
	focusLane int // -1: the server lane

	laneEls map[string]js.Value
	dirty   map[string]bool
	gesture Gesture

	ro      js.Value
	roFn    js.Func
	frameFn js.Func
	// widths remembers text widths measured on mctx, in the canvas's font.
	widths   map[measureKey]float64
	mctx     js.Value
	released bool
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
		laneEls: map[string]js.Value{}, dirty: map[string]bool{},
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
	v.card = newDetailCard()
	v.announce = el("p", []dom.Attr{a("class", "sr-only"), a("aria-live", "polite"), a("id", "timeline-announce")})
	help := el("p", []dom.Attr{a("class", "sr-only"), a("id", "timeline-help")},
		"Arrow keys move between events; plus and minus zoom; 0 fits the run; f follows the live edge. The lists below describe every connection and server event.")
	v.srLanes = el("ul", []dom.Attr{a("class", "tl-sr-lanes"), a("aria-label", "Connections")})
	v.srServer = el("ul", []dom.Attr{a("class", "tl-sr-server"), a("aria-label", "Server events")})
	sr := el("div", []dom.Attr{a("class", "sr-only tl-sr")},
		el("h3", nil, "Connections"), v.srLanes, el("h3", nil, "Server"), v.srServer)
	for _, e := range []js.Value{v.canvas, v.card.el, v.announce, help, sr} {
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
	v.ls.On(svg, "click", func(js.Value) { v.images().svg(v.exportDisplay(), v.pal) })
	v.ls.On(png, "click", func(js.Value) { v.images().png(v.exportDisplay(), &v.pal, v.sans) })

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
		if !v.gesture.Dragging() && v.focus.Hover >= 0 {
			v.focus.Hover = -1
			v.showCard()
			v.invalidate()
		}
	})
	v.ls.On(v.root, "keydown", v.onKey, handledKey)
	v.ls.On(v.root, "blur", func(js.Value) { v.card.setHidden(v.focus.Hover < 0) })
	v.ls.On(v.root, "focus", func(js.Value) { v.showCard() })
}

func (v *View) invalidate() {
	if !v.released {
		v.loop.Invalidate(v.drawID)
	}
}

// Reset clears the view for a new run of sc (defaults applied).
func (v *View) Reset(sc scenario.Scenario) {
	v.model = NewModel(ConfigOf(sc))
	v.clock = Clock{}
	v.focus, v.focusSpan, v.hoverSpan, v.focusLane = NoFocus, false, false, -1
	v.vp.Follow = true
	v.vp.ScrollY = 0
	v.moved = false
	v.root.Get("dataset").Delete("ended")
	v.SetCursor(NoCursor)
	v.vp.Fit(0, math.Max(float64(sc.DurationMs), 1000))
	v.setFollow(true)
	dom.Clear(v.srLanes)
	dom.Clear(v.srServer)
	clear(v.laneEls)
	clear(v.dirty)
	v.card.hide()
	v.invalidate()
}

// Add appends one event (loop goroutine only).
func (v *View) Add(ev timeline.Event) {
	v.clock.Arrived(ev.T, perfNow())
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
	v.clock.End(t)
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
	if !v.clock.Resume() {
		return
	}
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

// now is the session clock (Clock.Now).
func (v *View) now() float64 { return v.clock.Now(v.model, perfNow()) }

// live reports whether the picture changes by itself: the clock runs.
func (v *View) live() bool { return v.clock.Live(v.model, perfNow()) }

// ended reports whether the run has ended (End).
func (v *View) ended() bool { e, _ := v.clock.Ended(); return e }

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
