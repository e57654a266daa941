// Package editor is the scenario form: every field of schema v1, validated
// as the person types with Validate's own messages. The conversion between
// inputs and the scenario (form.go, text.go, knobs.go) is plain Go, tested
// on linux; this file only builds and reads the DOM, on the dom.Loop.
package editor

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/wasm/dom"
)

// debounce is how long typing must pause before the form is validated and
// onChange runs: short enough to feel live, long enough that a burst of
// keystrokes validates once.
const debounce = 120 * time.Millisecond

// ctl is one control and the paragraph its problems show in. A section
// (the route list as a whole, the checks) has a message but no input.
type ctl struct {
	in  js.Value
	msg js.Value
}

// row is one route or step; its DOM ids derive from uid, so moving a row
// keeps its elements (and focus) intact.
type row struct {
	uid  int
	li   js.Value
	head js.Value
	ctls map[string]*ctl // by RouteFields or StepFields
	// Step rows only: the action-specific parts.
	sendBox, reqBox js.Value
}

// Editor edits one scenario.
type Editor struct {
	loop     *dom.Loop
	onChange func(sc scenario.Scenario, err error)
	ls       *dom.Listeners
	root     js.Value
	form     js.Value

	carried     Form // V, Lesson, Checks: kept from Set, not edited
	top         map[string]*ctl
	knobRow     map[string]js.Value
	knobHint    map[string]js.Value
	runtimeNote js.Value
	noteFor     string // the runtime the note describes
	proxyNote   js.Value
	proxyRow    map[string]js.Value
	proxyHint   map[string]js.Value
	// warnings lists what breaks the rule of the hops' idle timeouts: the
	// scenario is valid (the lessons show the 502 on purpose), but a
	// person who did not mean it should know.
	warnings  js.Value
	routeList js.Value
	stepList  js.Value
	// poolNote says what the form keeps without showing (client.pools
	// and their steps); hidden when there are none.
	poolNote  js.Value
	checkList js.Value
	addRoute  js.Value
	addStep   js.Value
	count     js.Value
	problems  js.Value
	routes    []*row
	steps     []*row
	nextUID   int
	byKey     map[string]*ctl // the last validation's controls, for the summary's links

	timer    *time.Timer
	gen      int
	released bool
}

// Mount builds the form in root, starting with sc as Set puts it; onChange
// runs (on the loop) after every edit with the scenario as typed and its
// validation error (nil if valid; otherwise a scenario.Problems).
func Mount(loop *dom.Loop, root js.Value, sc scenario.Scenario, onChange func(sc scenario.Scenario, err error)) *Editor {
	e := &Editor{loop: loop, onChange: onChange, ls: dom.NewListeners(loop), root: root,
		top: map[string]*ctl{}, knobRow: map[string]js.Value{}, knobHint: map[string]js.Value{},
		proxyRow: map[string]js.Value{}, proxyHint: map[string]js.Value{}}
	e.build()
	e.ls.On(e.form, "input", func(js.Value) { e.schedule() })
	e.ls.On(e.form, "change", e.changed)
	e.ls.On(e.form, "click", e.clicked)
	e.ls.On(e.form, "focusout", e.left)
	e.ls.On(e.form, "submit", func(js.Value) {}, dom.Always)
	e.Set(sc)
	return e
}

// Set replaces the form's contents. It validates at once but does not
// call onChange: the caller already knows the scenario it set.
func (e *Editor) Set(sc scenario.Scenario) {
	if e.released {
		return
	}
	e.cancel()
	e.render(FromScenario(sc))
	f := e.read()
	got, err := f.Check()
	e.show(f, got, err)
}

// Flush hands over an edit still waiting for typing to pause, so that a
// Run pressed right after typing runs what was typed.
func (e *Editor) Flush() {
	if !e.released && e.timer != nil {
		e.commit()
	}
}

// Scenario returns the scenario as typed and its validation error.
func (e *Editor) Scenario() (scenario.Scenario, error) { return e.read().Check() }

// Release frees the form's listeners and removes it.
func (e *Editor) Release() {
	if e.released {
		return
	}
	e.released = true
	e.cancel()
	e.ls.Release()
	e.root.Call("removeChild", e.form)
}

func (e *Editor) cancel() {
	e.gen++
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
}

// schedule validates after typing pauses. The timer's goroutine only
// posts; the work happens on the loop, and only if no later edit came.
func (e *Editor) schedule() {
	e.cancel()
	gen := e.gen
	e.timer = time.AfterFunc(debounce, func() {
		e.loop.Post(func() {
			if gen == e.gen && !e.released {
				e.commit()
			}
		})
	})
}

func (e *Editor) commit() {
	e.cancel()
	f := e.read()
	sc, err := f.Check()
	e.show(f, sc, err)
	if e.onChange != nil {
		e.onChange(sc, err)
	}
}

// ---- building

func (e *Editor) id(s string) string { return "ed-" + s }

// opts are a field's optional parts.
type opts struct {
	box   js.Value // what stands in the control's place (the control with its unit); zero: the control
	help  string   // what the field does
	hint  js.Value // a paragraph with an id, such as the knob default
	refs  []string // ids of more text that describes the control
	class string   // layout class of the wrapper
}

// field wraps a control with its label, hint, help and message paragraph,
// and points aria-describedby at all of them.
func field(id, label string, in js.Value, o opts) (js.Value, *ctl) {
	in.Set("id", id)
	wrap := dom.El("div", []dom.Attr{dom.A("class", strings.TrimSpace("ed-field "+o.class))},
		dom.El("label", []dom.Attr{dom.A("for", id)}, label))
	c := &ctl{in: in, msg: dom.El("p", []dom.Attr{dom.A("id", id+"-msg"), dom.A("class", "ed-msg")})}
	if o.box.Truthy() {
		dom.Append(wrap, o.box)
	} else {
		dom.Append(wrap, in)
	}
	var described []string
	if o.hint.Truthy() {
		dom.Append(wrap, o.hint)
		described = append(described, o.hint.Get("id").String())
	}
	if o.help != "" {
		dom.Append(wrap, dom.El("p", []dom.Attr{dom.A("id", id+"-help"), dom.A("class", "ed-help")}, o.help))
		described = append(described, id+"-help")
	}
	described = append(described, o.refs...)
	dom.Append(wrap, c.msg)
	described = append(described, id+"-msg")
	in.Call("setAttribute", "aria-describedby", strings.Join(described, " "))
	return wrap, c
}

func textInput(mono bool, placeholder string) js.Value {
	cls := ""
	if mono {
		cls = "mono"
	}
	return dom.El("input", []dom.Attr{dom.A("type", "text"), dom.A("class", cls), dom.A("autocomplete", "off"),
		dom.A("spellcheck", "false"), dom.A("placeholder", placeholder)})
}

func numInput(lo, hi int, placeholder string) js.Value {
	return dom.El("input", []dom.Attr{dom.A("type", "number"), dom.A("inputmode", "numeric"), dom.A("step", "1"),
		dom.A("min", lo), dom.A("max", hi), dom.A("placeholder", placeholder), dom.A("class", "ed-num")})
}

func textarea(rows int, placeholder string) js.Value {
	return dom.El("textarea", []dom.Attr{dom.A("rows", rows), dom.A("class", "mono"), dom.A("spellcheck", "false"),
		dom.A("autocomplete", "off"), dom.A("placeholder", placeholder), dom.A("data-bytes", true)})
}

func setOptions(sel js.Value, values []string, label func(string) string, current string) {
	dom.Clear(sel)
	for _, v := range values {
		dom.Append(sel, dom.El("option", []dom.Attr{dom.A("value", v)}, label(v)))
	}
	sel.Set("value", current)
}

// blankAs labels an option by its value, and the blank option by label.
func blankAs(label string) func(string) string {
	return func(v string) string {
		if v == "" {
			return label
		}
		return v
	}
}

func unit(in js.Value, u string) js.Value {
	return dom.El("span", []dom.Attr{dom.A("class", "ed-unit")}, in,
		dom.El("span", []dom.Attr{dom.A("aria-hidden", "true")}, u))
}

// knobField is a knob's field: its label (with the unit and the JSON
// name), the input (with its unit beside a number), its default hint and
// help.
func knobField(key, name, label, u, help string, in js.Value) (js.Value, *ctl, js.Value) {
	id := ElementID(key)
	o := opts{help: help, hint: dom.El("p", []dom.Attr{dom.A("id", id+"-hint"), dom.A("class", "ed-hint")})}
	if u != "" && in.Get("type").String() == "number" {
		label += " (" + u + ")"
		o.box = unit(in, u)
	}
	w, c := field(id, label, in, o)
	dom.Append(w.Get("firstChild"), " ")
	dom.Append(w.Get("firstChild"), dom.El("code", []dom.Attr{dom.A("class", "ed-json")}, name))
	return w, c, o.hint
}

func (e *Editor) build() {
	e.form = dom.El("form", []dom.Attr{dom.A("class", "ed"), dom.A("novalidate", true), dom.A("aria-label", "Scenario editor")})

	e.count = dom.El("p", []dom.Attr{dom.A("class", "ed-count"), dom.A("role", "status")})
	e.problems = dom.El("ul", []dom.Attr{dom.A("class", "ed-problems"), dom.A("aria-label", "Problems")})
	dom.Append(e.form, dom.El("div", []dom.Attr{dom.A("class", "ed-summary")}, e.count, e.problems))
	e.warnings = dom.El("ul", []dom.Attr{dom.A("class", "ed-warnings"), dom.A("id", e.id("warnings")), dom.A("aria-label", "Warnings"), dom.A("hidden", true)})
	dom.Append(e.form, e.warnings)

	title := textInput(false, "What this scenario shows")
	w, c := field(e.id("title"), "Title", title, opts{})
	e.top["title"] = c
	dom.Append(e.form, w)

	// Server.
	server := dom.El("fieldset", []dom.Attr{dom.A("class", "ed-sec")}, dom.El("legend", nil, "Server"))
	rt := dom.El("select", []dom.Attr{dom.A("data-role", "runtime")})
	e.runtimeNote = dom.El("p", []dom.Attr{dom.A("id", e.id("runtime-note")), dom.A("class", "ed-help")})
	w, c = field(e.id("server-runtime"), "Runtime", rt, opts{hint: e.runtimeNote})
	e.top["server.runtime"] = c
	dom.Append(server, w)
	knobs := dom.El("div", []dom.Attr{dom.A("class", "ed-knobs")})
	for _, k := range Knobs {
		in := numInput(0, k.Max, "")
		if k.Bool {
			in = dom.El("select", nil)
		}
		w, c, hint := knobField("server."+k.Name, k.Name, k.Label, k.Unit, k.Help, in)
		w.Call("setAttribute", "data-knob", k.Name)
		e.top["server."+k.Name] = c
		e.knobRow[k.Name] = w
		e.knobHint[k.Name] = hint
		dom.Append(knobs, w)
	}
	dom.Append(server, knobs)
	dom.Append(e.form, server)
	e.buildProxy()

	// Routes.
	routes := dom.El("fieldset", []dom.Attr{dom.A("class", "ed-sec")}, dom.El("legend", nil, "Routes"),
		dom.El("p", []dom.Attr{dom.A("class", "ed-help")},
			`The first route whose path matches answers: "/end" exactly, "/end*" by prefix, "*" everything. No routes: "*" answers Hello World!.`))
	e.top[KeyRoutes] = &ctl{msg: dom.El("p", []dom.Attr{dom.A("class", "ed-msg"), dom.A("id", e.id("routes-msg"))})}
	e.routeList = dom.El("ol", []dom.Attr{dom.A("class", "ed-list"), dom.A("aria-label", "Routes")})
	e.addRoute = dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("data-act", "add-route")}, "Add route")
	dom.Append(routes, e.top[KeyRoutes].msg)
	dom.Append(routes, e.routeList)
	dom.Append(routes, e.addRoute)
	dom.Append(e.form, routes)

	// Steps.
	steps := dom.El("fieldset", []dom.Attr{dom.A("class", "ed-sec")}, dom.El("legend", nil, "Client steps"),
		dom.El("p", []dom.Attr{dom.A("class", "ed-help"), dom.A("id", e.id("bytes-help"))},
			"Raw bytes are written netcat style: ", dom.El("code", nil, `\r`), " CR, ", dom.El("code", nil, `\n`), " LF, ",
			dom.El("code", nil, `\t`), " tab, ", dom.El("code", nil, `\\`), " backslash, ", dom.El("code", nil, `\xHH`),
			" any byte. A line break you type is CRLF, as with nc -C; after ", dom.El("code", nil, `\n`),
			" it is only layout. Steps sort by time when you leave the time field."))
	e.top[KeySteps] = &ctl{msg: dom.El("p", []dom.Attr{dom.A("class", "ed-msg"), dom.A("id", e.id("steps-msg"))})}
	e.stepList = dom.El("ol", []dom.Attr{dom.A("class", "ed-list"), dom.A("aria-label", "Client steps")})
	e.addStep = dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("data-act", "add-step")}, "Add step")
	e.poolNote = dom.El("p", []dom.Attr{dom.A("class", "ed-help"), dom.A("id", e.id("pool-note")), dom.A("hidden", "")})
	dom.Append(steps, e.top[KeySteps].msg)
	dom.Append(steps, e.poolNote)
	dom.Append(steps, e.stepList)
	dom.Append(steps, e.addStep)
	dom.Append(e.form, steps)

	// Run.
	run := dom.El("fieldset", []dom.Attr{dom.A("class", "ed-sec")}, dom.El("legend", nil, "Run"))
	dur := numInput(0, scenario.MaxDurationMs, strconv.Itoa(scenario.DefaultDurationMs))
	w, c = field(e.id("durationMs"), "Duration (ms)", dur, opts{
		box:  unit(dur, "ms"),
		help: "How long the run lasts; every step's time must fall inside it.",
		hint: dom.El("p", []dom.Attr{dom.A("class", "ed-hint"), dom.A("id", e.id("durationMs-hint"))},
			fmt.Sprintf("empty = default (%d ms)", scenario.DefaultDurationMs)),
	})
	e.top["durationMs"] = c
	dom.Append(w.Get("firstChild"), " ")
	dom.Append(w.Get("firstChild"), dom.El("code", []dom.Attr{dom.A("class", "ed-json")}, "durationMs"))
	dom.Append(run, w)
	dom.Append(e.form, run)

	// Checks.
	checks := dom.El("section", []dom.Attr{dom.A("class", "ed-sec"), dom.A("aria-labelledby", e.id("checks-h"))},
		dom.El("h3", []dom.Attr{dom.A("id", e.id("checks-h"))}, "Checks"),
		dom.El("p", []dom.Attr{dom.A("class", "ed-help")}, "What the run is expected to show; the Lessons panel evaluates them. Read-only here."))
	e.top[KeyChecks] = &ctl{msg: dom.El("p", []dom.Attr{dom.A("class", "ed-msg"), dom.A("id", e.id("checks-msg"))})}
	e.checkList = dom.El("ul", []dom.Attr{dom.A("class", "ed-checks")})
	dom.Append(checks, e.top[KeyChecks].msg)
	dom.Append(checks, e.checkList)
	dom.Append(e.form, checks)

	dom.Append(e.root, e.form)
}

// buildProxy adds the proxy's section: its kind and every kind's knobs,
// of which applyProxy shows the chosen kind's.
func (e *Editor) buildProxy() {
	sec := dom.El("fieldset", []dom.Attr{dom.A("class", "ed-sec")}, dom.El("legend", nil, "Proxy"))
	kind := dom.El("select", []dom.Attr{dom.A("data-role", "proxy-kind")})
	e.proxyNote = dom.El("p", []dom.Attr{dom.A("id", e.id("proxy-note")), dom.A("class", "ed-help")})
	w, c := field(ElementID("proxy.kind"), "Reverse proxy or load balancer", kind, opts{hint: e.proxyNote})
	e.top["proxy.kind"] = c
	dom.Append(sec, w)
	knobs := dom.El("div", []dom.Attr{dom.A("class", "ed-knobs ed-proxy-knobs")})
	for _, k := range ProxyKnobs {
		var in js.Value
		switch {
		case k.Bool:
			in = dom.El("select", nil)
		case k.Words:
			in = textInput(true, "error timeout")
		default:
			in = numInput(k.Min, k.Max, "")
		}
		w, c, hint := knobField("proxy."+k.Name, k.Name, k.Label, k.Unit, k.Help, in)
		w.Call("setAttribute", "data-proxy-knob", k.Name)
		e.top["proxy."+k.Name] = c
		e.proxyRow[k.Name] = w
		e.proxyHint[k.Name] = hint
		dom.Append(knobs, w)
	}
	dom.Append(sec, knobs)
	dom.Append(e.form, sec)
}

// applyProxy shows the chosen kind's knobs (and any other that holds a
// value, so that its problem can be seen and cleared).
func (e *Editor) applyProxy() {
	kind := val(e.top["proxy.kind"].in)
	dom.SetText(e.proxyNote, ProxyNote(kind))
	for _, k := range ProxyKnobs {
		c := e.top["proxy."+k.Name]
		shown := k.Applies(kind) || val(c.in) != "" || c.in.Get("validity").Get("badInput").Bool()
		e.proxyRow[k.Name].Set("hidden", !shown || kind == "")
	}
}

// render fills the form from f.
func (e *Editor) render(f Form) {
	e.carried = Form{V: f.V, Lesson: f.Lesson, Checks: f.Checks, Pools: f.Pools, PoolSteps: f.PoolSteps}
	note := f.PoolNote()
	dom.SetText(e.poolNote, note)
	e.poolNote.Set("hidden", note == "")
	e.top["title"].in.Set("value", f.Title)
	setOptions(e.top["server.runtime"].in, Options(scenario.RuntimeNames(), f.Runtime), RuntimeLabel, f.Runtime)
	for _, k := range Knobs {
		in := e.top["server."+k.Name].in
		if k.Bool {
			setOptions(in, []string{"", "true", "false"}, boolLabel, f.Knobs[k.Name])
		} else {
			in.Set("value", f.Knobs[k.Name])
		}
	}
	e.top["durationMs"].in.Set("value", f.DurationMs)
	setOptions(e.top["proxy.kind"].in, Options(ProxyKinds, f.ProxyKind), ProxyKindLabel, f.ProxyKind)
	for _, k := range ProxyKnobs {
		in := e.top["proxy."+k.Name].in
		if k.Bool {
			setOptions(in, []string{"", "true", "false"}, boolLabel, f.ProxyKnobs[k.Name])
		} else {
			in.Set("value", f.ProxyKnobs[k.Name])
		}
	}
	e.applyProxy()

	dom.Clear(e.routeList)
	e.routes = nil
	for _, rf := range f.Routes {
		e.routes = append(e.routes, e.routeRow(rf, f.Runtime))
		dom.Append(e.routeList, e.routes[len(e.routes)-1].li)
	}
	dom.Clear(e.stepList)
	e.steps = nil
	for _, sf := range f.Steps {
		e.steps = append(e.steps, e.stepRow(sf))
		dom.Append(e.stepList, e.steps[len(e.steps)-1].li)
	}
	dom.Clear(e.checkList)
	for _, c := range f.Checks {
		name := c.Name
		if name == "" {
			name = "(unnamed)"
		}
		c.Name, c.Hint = "", ""
		match, _ := json.Marshal(c)
		dom.Append(e.checkList, dom.El("li", nil, dom.El("span", nil, name),
			dom.El("code", []dom.Attr{dom.A("class", "ed-json")}, string(match))))
	}
	if len(f.Checks) == 0 {
		dom.Append(e.checkList, dom.El("li", []dom.Attr{dom.A("class", "muted")}, "No checks."))
	}
	e.renumber()
	e.applyRuntime()
}

func boolLabel(v string) string {
	switch v {
	case "true":
		return "on"
	case "false":
		return "off"
	}
	return "default"
}

func (e *Editor) newRow(kind string) *row {
	e.nextUID++
	r := &row{uid: e.nextUID, ctls: map[string]*ctl{}}
	r.head = dom.El("span", []dom.Attr{dom.A("class", "ed-item-title")})
	r.li = dom.El("li", []dom.Attr{dom.A("class", "ed-item"), dom.A("data-uid", r.uid), dom.A("data-kind", kind)})
	return r
}

func tool(act, text, label string) js.Value {
	return dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("class", "ed-tool"), dom.A("data-act", act),
		dom.A("aria-label", label), dom.A("title", label)}, text)
}

func (e *Editor) routeRow(rf RouteForm, runtime string) *row {
	r := e.newRow("route")
	id := func(s string) string { return fmt.Sprintf("ed-r%d-%s", r.uid, s) }
	dom.Append(r.li, dom.El("div", []dom.Attr{dom.A("class", "ed-item-head")}, r.head,
		dom.El("span", []dom.Attr{dom.A("class", "ed-tools")},
			tool("up", "↑", "Move up"), tool("down", "↓", "Move down"), tool("remove", "✕", "Remove"))))
	grid := dom.El("div", []dom.Attr{dom.A("class", "ed-grid")})
	bytesHelp := []string{e.id("bytes-help")}
	add := func(name, label string, in js.Value, o opts) {
		w, c := field(id(name), label, in, o)
		r.ctls[name] = c
		dom.Append(grid, w)
	}
	add("path", "Path", textInput(true, `"/end", "/end*" or "*"`), opts{class: "ed-wide"})
	add("status", "Status", numInput(100, 599, "200"), opts{class: "ed-narrow"})
	body := textInput(true, "(empty)")
	body.Call("setAttribute", "data-bytes", "")
	add("body", "Body", body, opts{class: "ed-full", refs: bytesHelp})
	delay := numInput(0, scenario.MaxDelayMs, "0")
	add("delayMs", "Delay (ms)", delay, opts{class: "ed-narrow", box: unit(delay, "ms")})
	add("then", "Then", dom.El("select", nil), opts{class: "ed-wide"})
	add("readiness", "Readiness", dom.El("select", nil), opts{class: "ed-wide",
		help: "A readiness check answers its status while the server is ready and 503 once a drain action has run, so the load balancer stops sending."})
	dom.Append(r.li, grid)

	r.ctls["path"].in.Set("value", rf.Path)
	r.ctls["status"].in.Set("value", rf.Status)
	r.ctls["body"].in.Set("value", rf.Body)
	r.ctls["delayMs"].in.Set("value", rf.DelayMs)
	setOptions(r.ctls["then"].in, ThenOptions(runtime, rf.Then), func(v string) string { return ThenLabel(runtime, v) }, rf.Then)
	setOptions(r.ctls["readiness"].in, Options(ReadinessValues, rf.Readiness), ReadinessLabel, rf.Readiness)
	return r
}

func (e *Editor) stepRow(sf StepForm) *row {
	r := e.newRow("step")
	id := func(s string) string { return fmt.Sprintf("ed-s%d-%s", r.uid, strings.ReplaceAll(s, ".", "-")) }
	dom.Append(r.li, dom.El("div", []dom.Attr{dom.A("class", "ed-item-head")}, r.head,
		dom.El("span", []dom.Attr{dom.A("class", "ed-tools")},
			tool("duplicate", "Copy", "Duplicate"), tool("remove", "✕", "Remove"))))
	bytesHelp := []string{e.id("bytes-help")}
	add := func(parent js.Value, name, label string, in js.Value, o opts) {
		w, c := field(id(name), label, in, o)
		r.ctls[name] = c
		dom.Append(parent, w)
	}
	grid := dom.El("div", []dom.Attr{dom.A("class", "ed-grid")})
	at := numInput(0, scenario.MaxDurationMs, "0")
	at.Call("setAttribute", "data-role", "at")
	add(grid, "at", "At (ms)", at, opts{class: "ed-narrow", box: unit(at, "ms")})
	add(grid, "conn", "Connection", textInput(true, "A"), opts{class: "ed-narrow"})
	add(grid, "action", "Action", dom.El("select", []dom.Attr{dom.A("data-role", "action")}), opts{class: "ed-narrow"})
	dom.Append(r.li, grid)

	r.sendBox = dom.El("div", []dom.Attr{dom.A("class", "ed-grid")})
	add(r.sendBox, "send", "Bytes to send", textarea(4, `GET / HTTP/1.1\r\n`), opts{class: "ed-full", refs: bytesHelp})
	dom.Append(r.li, r.sendBox)

	r.reqBox = dom.El("div", []dom.Attr{dom.A("class", "ed-grid")})
	add(r.reqBox, "request.method", "Method", textInput(true, "GET"), opts{class: "ed-narrow"})
	add(r.reqBox, "request.path", "Path", textInput(true, "/"), opts{class: "ed-wide"})
	add(r.reqBox, "request.version", "Version", dom.El("select", nil), opts{class: "ed-narrow"})
	add(r.reqBox, "request.connection", "Connection header", dom.El("select", nil), opts{class: "ed-wide"})
	hdrs := textarea(2, "Accept: */*")
	hdrs.Call("removeAttribute", "data-bytes")
	add(r.reqBox, "request.headers", "Other headers", hdrs, opts{class: "ed-full", refs: bytesHelp,
		help: "One Name: value per line; Host: demo is added unless given."})
	add(r.reqBox, "request.body", "Body", textarea(2, "(none)"), opts{class: "ed-full", refs: bytesHelp})
	dom.Append(r.li, r.reqBox)

	e.fillStep(r, sf)
	return r
}

func (e *Editor) fillStep(r *row, sf StepForm) {
	v := func(k, s string) { r.ctls[k].in.Set("value", s) }
	v("at", sf.At)
	v("conn", sf.Conn)
	setOptions(r.ctls["action"].in, Options(Actions, sf.Action), blankAs("(choose)"), sf.Action)
	v("send", sf.Send)
	v("request.method", sf.Method)
	v("request.path", sf.Path)
	setOptions(r.ctls["request.version"].in, Options(Versions, sf.Version),
		blankAs("default ("+scenario.DefaultVersion+")"), sf.Version)
	setOptions(r.ctls["request.connection"].in, Options(ConnectionValues, sf.Connection), blankAs("(not sent)"), sf.Connection)
	v("request.headers", sf.Headers)
	v("request.body", sf.Body)
	e.showAction(r)
}

func (e *Editor) showAction(r *row) {
	a := r.ctls["action"].in.Get("value").String()
	r.sendBox.Set("hidden", a != ActSend)
	r.reqBox.Set("hidden", a != ActRequest)
}

// renumber titles the rows by position and disables moves that cannot
// happen and adds past the limits.
func (e *Editor) renumber() {
	for i, r := range e.routes {
		dom.SetText(r.head, fmt.Sprintf("Route %d", i+1))
		for _, act := range []string{"up", "down", "remove"} {
			b := r.li.Call("querySelector", `[data-act="`+act+`"]`)
			name := map[string]string{"up": "Move route %d up", "down": "Move route %d down", "remove": "Remove route %d"}[act]
			b.Call("setAttribute", "aria-label", fmt.Sprintf(name, i+1))
			b.Set("disabled", act == "up" && i == 0 || act == "down" && i == len(e.routes)-1)
		}
	}
	for i, r := range e.steps {
		dom.SetText(r.head, fmt.Sprintf("Step %d", i+1))
		r.li.Call("querySelector", `[data-act="duplicate"]`).Call("setAttribute", "aria-label", fmt.Sprintf("Duplicate step %d", i+1))
		r.li.Call("querySelector", `[data-act="duplicate"]`).Set("disabled", len(e.steps) >= scenario.MaxSteps)
		r.li.Call("querySelector", `[data-act="remove"]`).Call("setAttribute", "aria-label", fmt.Sprintf("Remove step %d", i+1))
	}
	e.addRoute.Set("disabled", len(e.routes) >= scenario.MaxRoutes)
	e.addStep.Set("disabled", len(e.steps) >= scenario.MaxSteps)
}

// applyRuntime shows the runtime's knobs and route actions.
func (e *Editor) applyRuntime() {
	rt := e.top["server.runtime"].in.Get("value").String()
	if e.noteFor != rt {
		// The row's note, then its own documentation pages.
		e.noteFor = rt
		dom.Clear(e.runtimeNote)
		dom.Append(e.runtimeNote, RuntimeNote(rt))
		for i, d := range RuntimeDocs(rt) {
			sep := " Docs: "
			if i > 0 {
				sep = " · "
			}
			dom.Append(e.runtimeNote, sep)
			dom.Append(e.runtimeNote, dom.El("a", []dom.Attr{dom.A("href", d.URL), dom.A("target", "_blank"), dom.A("rel", "noopener")}, d.Title))
		}
	}
	for _, k := range Knobs {
		c := e.top["server."+k.Name]
		shown := k.Shown(rt, c.in.Get("value").String()) || c.in.Get("validity").Get("badInput").Bool()
		e.knobRow[k.Name].Set("hidden", !shown)
	}
	for _, r := range e.routes {
		sel := r.ctls["then"].in
		cur := sel.Get("value").String()
		setOptions(sel, ThenOptions(rt, cur), func(v string) string { return ThenLabel(rt, v) }, cur)
	}
}

// ---- reading

func val(v js.Value) string { return v.Get("value").String() }

func (e *Editor) read() Form {
	f := Form{V: e.carried.V, Lesson: e.carried.Lesson, Checks: e.carried.Checks, Pools: e.carried.Pools, PoolSteps: e.carried.PoolSteps,
		Knobs: map[string]string{}, ProxyKnobs: map[string]string{}}
	num := func(key string, in js.Value) string {
		if in.Get("validity").Get("badInput").Bool() {
			f.BadInput = append(f.BadInput, key)
		}
		return val(in)
	}
	f.Title = val(e.top["title"].in)
	f.Runtime = val(e.top["server.runtime"].in)
	for _, k := range Knobs {
		key := "server." + k.Name
		if v := num(key, e.top[key].in); v != "" {
			f.Knobs[k.Name] = v
		}
	}
	f.DurationMs = num("durationMs", e.top["durationMs"].in)
	f.ProxyKind = val(e.top["proxy.kind"].in)
	for _, k := range ProxyKnobs {
		key := "proxy." + k.Name
		if v := num(key, e.top[key].in); v != "" {
			f.ProxyKnobs[k.Name] = v
		}
	}
	for i, r := range e.routes {
		f.Routes = append(f.Routes, RouteForm{
			Path:      val(r.ctls["path"].in),
			Status:    num(RouteKey(i, "status"), r.ctls["status"].in),
			Body:      val(r.ctls["body"].in),
			DelayMs:   num(RouteKey(i, "delayMs"), r.ctls["delayMs"].in),
			Then:      val(r.ctls["then"].in),
			Readiness: val(r.ctls["readiness"].in),
		})
	}
	for i, r := range e.steps {
		sf := readStep(r)
		if r.ctls["at"].in.Get("validity").Get("badInput").Bool() {
			f.BadInput = append(f.BadInput, StepKey(i, "at"))
		}
		f.Steps = append(f.Steps, sf)
	}
	return f
}

func readStep(r *row) StepForm {
	v := func(k string) string { return val(r.ctls[k].in) }
	return StepForm{
		At: v("at"), Conn: v("conn"), Action: v("action"), Send: v("send"),
		Method: v("request.method"), Path: v("request.path"), Version: v("request.version"),
		Connection: v("request.connection"), Headers: v("request.headers"), Body: v("request.body"),
	}
}

// ---- showing problems

// each visits every control and section with its key.
func (e *Editor) each(fn func(key string, c *ctl)) {
	for k, c := range e.top {
		fn(k, c)
	}
	for i, r := range e.routes {
		for k, c := range r.ctls {
			fn(RouteKey(i, k), c)
		}
	}
	for i, r := range e.steps {
		for k, c := range r.ctls {
			fn(StepKey(i, k), c)
		}
	}
}

func (e *Editor) show(f Form, sc scenario.Scenario, err error) {
	var ps scenario.Problems
	if err != nil && !errors.As(err, &ps) {
		ps = scenario.Problems{{Msg: err.Error()}}
	}
	msgs := map[string][]string{}
	ctrls := make([]string, len(ps)) // each problem's control, or ""
	for i, p := range ps {
		ctrls[i] = f.Control(p.Path())
		if k := ctrls[i]; k != "" {
			msgs[k] = append(msgs[k], p.Msg)
		}
	}
	e.byKey = map[string]*ctl{}
	e.each(func(key string, c *ctl) {
		e.byKey[key] = c
		m := msgs[key]
		dom.SetText(c.msg, strings.Join(m, "\n"))
		if c.in.IsUndefined() || c.in.IsNull() {
			return
		}
		if len(m) > 0 {
			c.in.Call("setAttribute", "aria-invalid", "true")
		} else {
			c.in.Call("removeAttribute", "aria-invalid")
		}
	})

	// Knob defaults follow the server as typed.
	for _, k := range Knobs {
		hint := k.Hint(sc.Server)
		dom.SetText(e.knobHint[k.Name], hint)
		in := e.top["server."+k.Name].in
		if k.Bool {
			in.Get("options").Index(0).Set("textContent", "default ("+k.Default(sc.Server)+")")
		} else {
			in.Set("placeholder", k.Default(sc.Server))
		}
	}

	if sc.Proxy != nil {
		for _, k := range ProxyKnobs {
			dom.SetText(e.proxyHint[k.Name], k.Hint(sc.Proxy.Kind))
			in := e.top["proxy."+k.Name].in
			if k.Bool {
				in.Get("options").Index(0).Set("textContent", "default ("+k.Default(sc.Proxy.Kind)+")")
			} else {
				in.Set("placeholder", k.Default(sc.Proxy.Kind))
			}
		}
	}
	e.showWarnings(f, sc)

	dom.Clear(e.problems)
	switch len(ps) {
	case 0:
		dom.SetText(e.count, "No problems: the scenario is ready to run.")
	case 1:
		dom.SetText(e.count, "1 problem")
	default:
		dom.SetText(e.count, fmt.Sprintf("%d problems", len(ps)))
	}
	e.count.Get("parentElement").Call("setAttribute", "data-state", map[bool]string{true: "ok", false: "bad"}[len(ps) == 0])
	for i, p := range ps {
		li := dom.El("li", nil)
		if k := ctrls[i]; k != "" && p.Field != "" {
			dom.Append(li, dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("class", "ed-link"),
				dom.A("data-focus", k)}, p.Field))
			dom.Append(li, ": "+p.Msg)
		} else {
			dom.Append(li, p.String())
		}
		dom.Append(e.problems, li)
	}
}

// showWarnings lists the hops whose idle timeout is not longer than the
// one in front of them, each linked to the knob that sets it.
func (e *Editor) showWarnings(f Form, sc scenario.Scenario) {
	dom.Clear(e.warnings)
	ws := sc.HopWarnings()
	e.warnings.Set("hidden", len(ws) == 0)
	for _, w := range ws {
		li := dom.El("li", nil, dom.El("strong", nil, "Warning: "))
		if k := f.Control(w.Path()); k != "" {
			dom.Append(li, dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("class", "ed-link"), dom.A("data-focus", k)}, w.Field))
			dom.Append(li, ": "+w.Msg)
		} else {
			dom.Append(li, w.String())
		}
		dom.Append(e.warnings, li)
	}
}

// ---- events

func rowOf(rows []*row, target js.Value) (int, *row) {
	li := target.Call("closest", "li[data-uid]")
	if li.IsNull() {
		return -1, nil
	}
	uid, _ := strconv.Atoi(li.Call("getAttribute", "data-uid").String())
	for i, r := range rows {
		if r.uid == uid {
			return i, r
		}
	}
	return -1, nil
}

func (e *Editor) changed(ev js.Value) {
	t := ev.Get("target")
	switch t.Call("getAttribute", "data-role").String() {
	case "runtime":
		e.applyRuntime()
	case "proxy-kind":
		e.applyProxy()
	case "action":
		if _, r := rowOf(e.steps, t); r != nil {
			e.actionChanged(r)
		}
	case "at":
		e.sortSteps()
	}
	if t.Call("closest", ".ed-proxy-knobs").Truthy() {
		e.applyProxy()
	} else if t.Call("closest", ".ed-knobs").Truthy() {
		e.applyRuntime()
	}
	e.schedule()
}

// actionChanged shows the new action's fields; switching a request to a
// send with nothing typed yet starts from the request's bytes, which is
// how a person sees what a request step writes.
func (e *Editor) actionChanged(r *row) {
	e.showAction(r)
	sf := readStep(r)
	if sf.Action != ActSend || sf.Send != "" {
		return
	}
	f := Form{Steps: []StepForm{sf}}
	f.Steps[0].Action = ActRequest
	if sc, ps := f.Scenario(); len(ps) == 0 {
		r.ctls["send"].in.Set("value", EncodeBytes(string(sc.Client.Steps[0].Request.Bytes())))
	}
}

// sortSteps orders the steps by time, keeping focus where it was.
func (e *Editor) sortSteps() {
	ats := make([]string, len(e.steps))
	for i, r := range e.steps {
		ats[i] = val(r.ctls["at"].in)
	}
	order := SortedOrder(ats)
	moved := false
	sorted := make([]*row, len(order))
	for i, j := range order {
		sorted[i] = e.steps[j]
		moved = moved || i != j
	}
	if !moved {
		return
	}
	active := dom.Doc().Get("activeElement")
	e.steps = sorted
	for _, r := range e.steps {
		dom.Append(e.stepList, r.li)
	}
	if active.Truthy() && !dom.Doc().Get("activeElement").Equal(active) {
		active.Call("focus")
	}
	e.renumber()
}

func (e *Editor) clicked(ev js.Value) {
	t := ev.Get("target")
	if b := t.Call("closest", "button[data-focus]"); !b.IsNull() {
		if c := e.byKey[b.Call("getAttribute", "data-focus").String()]; c != nil {
			target := c.in
			if target.IsUndefined() || target.IsNull() {
				target = c.msg
			}
			target.Call("scrollIntoView", map[string]any{"block": "center"})
			target.Call("focus")
		}
		return
	}
	b := t.Call("closest", "button[data-act]")
	if b.IsNull() {
		return
	}
	switch act := b.Call("getAttribute", "data-act").String(); act {
	case "add-route":
		if len(e.routes) >= scenario.MaxRoutes {
			return
		}
		r := e.routeRow(RouteForm{Path: "/"}, val(e.top["server.runtime"].in))
		e.routes = append(e.routes, r)
		dom.Append(e.routeList, r.li)
		r.ctls["path"].in.Call("focus")
	case "add-step":
		if len(e.steps) >= scenario.MaxSteps {
			return
		}
		var last *StepForm
		if n := len(e.steps); n > 0 {
			sf := readStep(e.steps[n-1])
			last = &sf
		}
		dur, err := parseInt(val(e.top["durationMs"].in))
		if err != nil || dur <= 0 {
			dur = scenario.DefaultDurationMs
		}
		r := e.stepRow(NewStep(last, dur))
		e.steps = append(e.steps, r)
		dom.Append(e.stepList, r.li)
		r.ctls["at"].in.Call("focus")
	default:
		e.rowAction(act, b)
	}
	e.renumber()
	e.schedule()
}

func (e *Editor) rowAction(act string, b js.Value) {
	if i, r := rowOf(e.routes, b); r != nil {
		switch act {
		case "up", "down":
			j := i - 1
			if act == "down" {
				j = i + 1
			}
			if j < 0 || j >= len(e.routes) {
				return
			}
			e.routes[i], e.routes[j] = e.routes[j], e.routes[i]
			for _, r := range e.routes {
				dom.Append(e.routeList, r.li)
			}
			b.Call("focus")
			e.renumber()
			if b.Get("disabled").Bool() {
				// At the end of the list: keep focus in the row.
				r.li.Call("querySelector", `[data-act="`+map[string]string{"up": "down", "down": "up"}[act]+`"]`).Call("focus")
			}
		case "remove":
			e.routes = append(e.routes[:i], e.routes[i+1:]...)
			r.li.Call("remove")
			e.focusAfterRemove(e.routes, i, e.addRoute)
		}
		return
	}
	if i, r := rowOf(e.steps, b); r != nil {
		switch act {
		case "duplicate":
			if len(e.steps) >= scenario.MaxSteps {
				return
			}
			c := e.stepRow(readStep(r))
			e.steps = append(e.steps[:i+1], append([]*row{c}, e.steps[i+1:]...)...)
			r.li.Call("after", c.li)
			c.ctls["at"].in.Call("focus")
		case "remove":
			e.steps = append(e.steps[:i], e.steps[i+1:]...)
			r.li.Call("remove")
			e.focusAfterRemove(e.steps, i, e.addStep)
		}
	}
}

// focusAfterRemove moves focus to the row that took the removed one's
// place, else the one before, else the list's add button.
func (e *Editor) focusAfterRemove(rows []*row, i int, add js.Value) {
	switch {
	case i < len(rows):
		rows[i].li.Call("querySelector", "input, select, textarea").Call("focus")
	case len(rows) > 0:
		rows[len(rows)-1].li.Call("querySelector", "input, select, textarea").Call("focus")
	default:
		add.Call("focus")
	}
}

// left normalizes a bytes field when focus leaves it, so that typed line
// breaks show as the \r\n they stand for.
func (e *Editor) left(ev js.Value) {
	t := ev.Get("target")
	if !t.Call("hasAttribute", "data-bytes").Bool() {
		return
	}
	v := val(t)
	d, err := DecodeBytes(v)
	if err != nil {
		return
	}
	n := EncodeBytes(d)
	if t.Get("tagName").String() == "INPUT" {
		n = strings.ReplaceAll(n, "\n", "") // an input drops line breaks
	}
	if n != v {
		t.Set("value", n)
	}
}
