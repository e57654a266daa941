package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"syscall/js"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/dom"
	"github.com/keepalive-playground/playground/wasm/lanes"
	"github.com/keepalive-playground/playground/wire"
)

// comparePanel is the compare view: the person picks what to vary (the
// runtime, or one knob's values), the session runs every variant on a
// demo server of its own (wire.Compare), and the runs are drawn one above
// the other on one clock as their events arrive, with the points where
// they part numbered and explained. Its state is the loop goroutine's.
type comparePanel struct {
	loop *dom.Loop
	host compareHost
	ls   *dom.Listeners
	root js.Value
	draw int

	mode     js.Value // "runtimes" or "knob"
	boxes    map[string]js.Value
	knob     js.Value
	values   js.Value
	runBtn   js.Value
	status   js.Value
	notes    js.Value
	view     js.Value
	partList js.Value

	// The comparison on screen: its scenario's variants, their runs as
	// they arrive, and where they part once it is over.
	variants []scenario.Variant
	runs     []lanes.CompareRun
	partings []timeline.Parting
	errs     []string
	running  bool
	done     bool
	failed   string
	// order is the runtimes in the order last picked (a link's order),
	// kept while the same ones stay ticked.
	order []string
	// pending is a comparison asked for before the session was ready (a
	// link): it runs once the session is.
	pending bool
}

// compareHost is what the compare view needs from the page: the scenario
// as edited (which may ask for a comparison, kept there), whether a
// recorded run is on screen, and the session.
type compareHost interface {
	Editing() scenario.Scenario
	setCompare(cmp *scenario.Compare)
	replaying() bool
	send(m wire.Msg) bool
}

func newComparePanel(loop *dom.Loop, host compareHost) *comparePanel {
	c := &comparePanel{loop: loop, host: host, ls: dom.NewListeners(loop), root: dom.ByID("compare"), boxes: map[string]js.Value{}}
	c.draw = loop.Drawer(c.redraw)
	c.mode = dom.ByID("compare-mode")
	c.knob = dom.ByID("compare-knob")
	c.values = dom.ByID("compare-values")
	c.runBtn = dom.ByID("compare-run")
	c.status = dom.ByID("compare-status")
	c.notes = dom.ByID("compare-notes")
	c.view = dom.ByID("compare-view")
	c.partList = dom.ByID("compare-partings")
	rts := dom.ByID("compare-runtimes")
	for _, rt := range scenario.Runtimes() {
		box := dom.El("input", []dom.Attr{dom.A("type", "checkbox"), dom.A("value", rt.Name), dom.A("id", "compare-rt-"+rt.Name)})
		c.boxes[rt.Name] = box
		dom.Append(rts, dom.El("label", []dom.Attr{dom.A("class", "compare-rt")}, box, " "+scenario.Label(rt.Name)))
	}
	for _, k := range scenario.Knobs {
		dom.Append(c.knob, dom.El("option", []dom.Attr{dom.A("value", k)}, k))
	}
	c.ls.On(c.mode, "change", func(js.Value) { c.showMode() })
	c.ls.On(c.runBtn, "click", func(js.Value) { c.start() })
	c.ls.On(dom.ByID("compare-open"), "click", func(js.Value) { c.open(nil, false) })
	c.ls.On(dom.ByID("compare-close"), "click", func(js.Value) { c.close() })
	return c
}

// open shows the view with cmp picked (nil: what the scenario asks for,
// else the scenario's runtime beside a contrasting one), running it at
// once when run is set.
func (c *comparePanel) open(cmp *scenario.Compare, run bool) {
	c.root.Set("hidden", false)
	if cmp == nil {
		cmp = c.host.Editing().Compare
	}
	if cmp == nil {
		cmp = &scenario.Compare{Runtimes: contrast(c.host.Editing().WithDefaults().Server.Runtime)}
	}
	c.pick(*cmp)
	c.root.Call("scrollIntoView", map[string]any{"block": "nearest"})
	if run {
		c.start()
	}
}

// contrast is the scenario's runtime and the one it is most often
// compared with: the oldest Node line beside a newer one, Node beside Go.
func contrast(rt string) []string {
	all := scenario.RuntimeNames()
	cur, _ := scenario.Lookup(rt)
	for _, other := range all {
		o, _ := scenario.Lookup(other)
		if other != rt && o.Language == cur.Language {
			return []string{other, rt}
		}
	}
	def := scenario.Default().Server.Runtime
	if def == rt {
		def = all[0]
	}
	return []string{rt, def}
}

// pick puts cmp in the picker.
func (c *comparePanel) pick(cmp scenario.Compare) {
	c.order = cmp.Runtimes
	for name, box := range c.boxes {
		box.Set("checked", false)
		for _, rt := range cmp.Runtimes {
			if rt == name {
				box.Set("checked", true)
			}
		}
	}
	if cmp.Knob != "" {
		c.mode.Set("value", "knob")
		c.knob.Set("value", cmp.Knob)
		vals := make([]string, len(cmp.Values))
		for i, v := range cmp.Values {
			vals[i] = string(v)
		}
		c.values.Set("value", strings.Join(vals, ", "))
	} else {
		c.mode.Set("value", "runtimes")
	}
	c.showMode()
}

func (c *comparePanel) showMode() {
	knob := c.mode.Get("value").String() == "knob"
	dom.ByID("compare-runtimes").Set("hidden", knob)
	dom.ByID("compare-knob-pick").Set("hidden", !knob)
}

// picked reads the picker: in the order of the runtime table, or the
// values as typed.
func (c *comparePanel) picked() (scenario.Compare, error) {
	if c.mode.Get("value").String() == "knob" {
		link := scenario.CompareLinkPrefix + c.knob.Get("value").String() + "=" + c.values.Get("value").String()
		return scenario.ParseCompareLink(link)
	}
	var rts []string
	for _, name := range scenario.RuntimeNames() {
		if c.boxes[name].Get("checked").Bool() {
			rts = append(rts, name)
		}
	}
	if len(rts) == len(c.order) && !slices.ContainsFunc(c.order, func(rt string) bool { return !c.boxes[rt].Get("checked").Bool() }) {
		rts = c.order
	}
	if n := len(rts); n < scenario.MinVariants || n > scenario.MaxVariants {
		return scenario.Compare{}, fmt.Errorf("pick %d to %d runtimes (%d picked): each runs on a demo server of its own", scenario.MinVariants, scenario.MaxVariants, n)
	}
	return scenario.Compare{Runtimes: rts}, nil
}

// start asks the session for the comparison the picker shows, on the
// scenario being edited; the scenario keeps it, so that Share carries it.
func (c *comparePanel) start() {
	if c.running {
		return
	}
	cmp, err := c.picked()
	if err != nil {
		c.fail(err.Error())
		return
	}
	sc := c.host.Editing()
	sc.Compare = &cmp
	variants, err := sc.Variants()
	if err != nil {
		c.fail(err.Error())
		return
	}
	c.host.setCompare(&cmp)
	if c.host.replaying() {
		c.fail("A comparison runs on the playground's server: go back to the live playground to run it.")
		return
	}
	raw, err := json.Marshal(sc)
	if err != nil {
		c.fail(err.Error())
		return
	}
	c.variants = variants
	c.runs = make([]lanes.CompareRun, len(variants))
	for i, v := range variants {
		c.runs[i] = lanes.CompareRun{Name: v.Name, Model: lanes.NewModel(lanes.ConfigOf(v.Scenario.WithDefaults()))}
	}
	c.partings, c.errs, c.failed, c.done = nil, nil, "", false
	if !c.host.send(wire.Msg{Type: wire.Compare, Scenario: raw}) {
		// Not connected yet (a link opened the page): run on ready.
		c.pending = true
		c.running = false
		c.invalidate()
		return
	}
	c.pending = false
	c.running = true
	c.invalidate()
}

// ready runs a comparison asked for before the session was ready.
func (c *comparePanel) ready() {
	if c.pending {
		c.pending = false
		c.start()
	}
}

func (c *comparePanel) fail(msg string) {
	c.failed = msg
	c.running = false
	c.invalidate()
}

func (c *comparePanel) close() {
	c.root.Set("hidden", true)
	// The scenario no longer asks for a comparison: a shared link opens
	// the plain scenario.
	if c.host.Editing().Compare != nil {
		c.host.setCompare(nil)
	}
}

// receive takes the session's comparison messages.
func (c *comparePanel) receive(m wire.Msg) {
	switch m.Type {
	case wire.Comparing:
		if len(m.Variants) != len(c.runs) {
			// Not the comparison on screen (a reconnect raced it).
			return
		}
	case wire.CEvent:
		if i := m.Variant - 1; i >= 0 && i < len(c.runs) && m.Event != nil && len(c.runs[i].Model.Events) < wire.MaxEventsPerRun {
			c.runs[i].Model.Add(*m.Event)
		}
	case wire.Compared:
		c.running, c.done = false, true
		c.failed = m.Message
		c.partings = m.Partings
		c.errs = nil
		for i, v := range m.Variants {
			if i < len(c.runs) {
				c.runs[i].End = v.EndMs
			}
			for _, e := range v.Errors {
				c.errs = append(c.errs, v.Name+": "+e)
			}
		}
	}
	c.invalidate()
}

// disconnected ends a comparison the session can no longer send.
func (c *comparePanel) disconnected() {
	if c.running {
		c.fail("The connection to the playground was lost during the comparison; run it again.")
	}
}

func (c *comparePanel) invalidate() { c.loop.Invalidate(c.draw) }

// redraw draws the comparison: the status line, each run's notes, the
// runs on one clock and the partings in words.
func (c *comparePanel) redraw() {
	if c.root.Get("hidden").Bool() {
		return
	}
	c.runBtn.Set("disabled", c.running)
	ds := c.root.Get("dataset")
	switch {
	case c.failed != "":
		ds.Set("state", "failed")
	case c.running:
		ds.Set("state", "running")
	case c.done:
		ds.Set("state", "done")
	default:
		ds.Set("state", "idle")
	}
	dom.SetText(c.status, c.statusText())
	c.status.Get("classList").Call("toggle", "error", c.failed != "")

	dom.Clear(c.notes)
	for _, v := range c.variants {
		for _, n := range v.Notes {
			dom.Append(c.notes, dom.El("li", nil, v.Name+": "+n))
		}
	}
	for _, e := range c.errs {
		dom.Append(c.notes, dom.El("li", []dom.Attr{dom.A("class", "error")}, e))
	}

	if len(c.runs) == 0 {
		dom.Clear(c.view)
		dom.Clear(c.partList)
		return
	}
	w := c.view.Get("clientWidth").Float()
	if w < 320 {
		w = 320
	}
	cl := lanes.LayoutCompare(c.runs, c.partings, w)
	var b strings.Builder
	cl.WriteSVG(&b, lanes.VarPalette(), "Comparison: "+c.names())
	c.view.Set("innerHTML", b.String())

	dom.Clear(c.partList)
	for i, p := range c.partings {
		li := dom.El("li", []dom.Attr{dom.A("value", i+1), dom.A("data-conn", p.Conn)}, p.Sentence)
		dom.Append(c.partList, li)
	}
}

func (c *comparePanel) names() string {
	names := make([]string, len(c.runs))
	for i, r := range c.runs {
		names[i] = r.Name
	}
	return strings.Join(names, " · ")
}

func (c *comparePanel) statusText() string {
	switch {
	case c.failed != "":
		return c.failed
	case c.pending:
		return "The comparison runs once the playground is connected…"
	case c.running:
		return fmt.Sprintf("Running %s side by side, each on a demo server of its own…", c.names())
	case c.done && len(c.partings) == 0:
		return fmt.Sprintf("%s agree: the same events in the same order, each at the same delay from its cause (within %d ms or %g%%).", c.names(), timeline.TimingTolMinMs, timeline.TimingTolRel*100)
	case c.done:
		n := "one point"
		if len(c.partings) > 1 {
			n = fmt.Sprintf("%d points", len(c.partings))
		}
		return fmt.Sprintf("%s part at %s, numbered on the timelines and explained below.", c.names(), n)
	}
	return "Pick what to vary, then Compare: every run is drawn on one clock, where they part is marked."
}
