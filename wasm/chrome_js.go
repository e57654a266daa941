package main

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/keepalive-playground/playground/codeview"
	"github.com/keepalive-playground/playground/export"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/client"
	"github.com/keepalive-playground/playground/wasm/dom"
	"github.com/keepalive-playground/playground/wasm/lanes"
	"github.com/keepalive-playground/playground/wire"
)

// noticeFor is how long a notice stays up.
const noticeFor = 4 * time.Second

// chrome is everything around the panels: the server bar, the tabs, the
// code view, messages, shortcuts, sharing, and trace import/export.
type chrome struct {
	a        *app
	ls       *dom.Listeners
	actLs    *dom.Listeners
	runtime  string
	tabs     map[string]js.Value
	noticeT  *time.Timer
	lessonEv int  // drawer id: hand events to the lessons once per frame
	connErr  bool // the banner is about the connection
	shown    [2]bool
	shownSet bool
	// program and proxyProgram are the Code tab's texts, for Copy.
	program, proxyProgram string
}

func newChrome(a *app) *chrome {
	c := &chrome{a: a, ls: dom.NewListeners(a.loop), actLs: dom.NewListeners(a.loop), tabs: map[string]js.Value{}}
	for _, t := range []string{"lesson", "editor", "code"} {
		tab := dom.ByID("tab-" + t)
		c.tabs[t] = tab
		c.ls.On(tab, "click", func(js.Value) { c.selectTab(t) })
		c.ls.On(tab, "keydown", func(ev js.Value) { c.tabKey(t, ev.Get("key").String()) })
	}
	c.ls.On(dom.ByID("run"), "click", func(js.Value) { a.apply(true) })
	c.ls.On(dom.ByID("restart"), "click", func(js.Value) { c.restart() })
	c.ls.On(dom.ByID("share"), "click", func(js.Value) { c.share() })
	c.ls.On(dom.ByID("help-open"), "click", func(js.Value) { c.help() })
	c.ls.On(dom.ByID("error-close"), "click", func(js.Value) { c.clearError() })
	c.ls.On(dom.ByID("reconnect"), "click", func(js.Value) { a.reconnect() })
	c.ls.On(dom.ByID("code-copy"), "click", func(js.Value) { c.copyCode(c.program, "program") })
	c.ls.On(dom.ByID("code-proxy-copy"), "click", func(js.Value) { c.copyCode(c.proxyProgram, "proxy's configuration") })
	c.ls.On(dom.Doc(), "keydown", c.key, func(ev js.Value) bool { return c.shortcut(ev) != "" })
	c.ls.On(js.Global(), "hashchange", func(js.Value) { c.openFromURL() })
	c.lessonEv = a.loop.Drawer(func() { a.lessons.Events(a.events) })
	c.traceButtons()
	c.dropFiles()
	return c
}

// selectTab shows one side panel (lesson, editor, code).
func (c *chrome) selectTab(name string) {
	if name == "editor" {
		c.a.showEditor()
	}
	for t, tab := range c.tabs {
		on := t == name
		tab.Call("setAttribute", "aria-selected", strconv.FormatBool(on))
		tab.Set("tabIndex", map[bool]int{true: 0, false: -1}[on])
		dom.ByID("panel-"+t).Set("hidden", !on)
	}
}

func (c *chrome) tabKey(cur, key string) {
	order := []string{"lesson", "editor", "code"}
	i := 0
	for j, t := range order {
		if t == cur {
			i = j
		}
	}
	switch key {
	case "ArrowRight":
		i = (i + 1) % len(order)
	case "ArrowLeft":
		i = (i + len(order) - 1) % len(order)
	default:
		return
	}
	c.selectTab(order[i])
	c.tabs[order[i]].Call("focus")
}

// showScenario updates the server bar and the code view for sc.
func (c *chrome) showScenario(sc scenario.Scenario, program, proxyProgram string) {
	rt := sc.Server.Spec()
	chip := dom.ByID("server-runtime")
	dom.SetText(chip, client.RuntimeChip(rt))
	chip.Call("setAttribute", "title", client.RuntimeTitle(rt))
	chip.Call("setAttribute", "data-runtime", sc.Server.Runtime)
	dom.SetText(dom.ByID("server-knobs"), client.Knobs(sc.Server))
	c.showCode(sc, program, proxyProgram, false)
	if sc.Server.Runtime != c.runtime {
		c.runtime = sc.Server.Runtime
		c.shownSet = false // new buttons to enable
		c.actLs.Release()
		box := dom.ByID("server-actions")
		dom.Clear(box)
		for _, ctl := range client.Controls(sc.Server.Runtime) {
			b := dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("title", ctl.Title), dom.A("data-action", ctl.Action)}, ctl.Label)
			if ctl.Action == scenario.ThenExit || ctl.Action == scenario.ThenCloseAll {
				b.Call("setAttribute", "class", "danger")
			}
			c.actLs.On(b, "click", func(js.Value) {
				if !c.a.send(wire.Msg{Type: wire.Control, Action: ctl.Action}) {
					c.showConnError("Not connected to the playground.")
				}
			})
			dom.Append(box, b)
		}
	}
	c.serverState(false, false)
}

// showCode fills the Code tab with the programs sc stands for: the ones
// given (the session's, for what it runs), else rendered here by package
// codeview, which is the same code the session renders. edited says sc
// is the editor's scenario, not yet run.
func (c *chrome) showCode(sc scenario.Scenario, program, proxyProgram string, edited bool) {
	full := sc.WithDefaults()
	if program == "" {
		program = codeview.Program(full)
	}
	if proxyProgram == "" && full.Proxy != nil {
		proxyProgram = codeview.Proxy(full)
	}
	c.program, c.proxyProgram = program, proxyProgram
	dom.SetText(dom.ByID("code-view"), program)
	what := "this scenario"
	if full.Proxy != nil {
		what = "the app behind the proxy"
	}
	lang := full.Server.Spec().Language.Name()
	caption := "The " + lang + " program of " + what + ": the knobs as code."
	if edited && !c.a.runsEdited() {
		caption = "The " + lang + " program of " + what + " as edited; Run runs it."
	}
	code := dom.ByID("code-view")
	code.Get("dataset").Set("lang", string(full.Server.Spec().Language))
	code.Get("dataset").Set("runtime", full.Server.Runtime)
	dom.SetText(dom.ByID("code-caption"), caption)
	c.showProxy(full, proxyProgram)
}

// codeEdited shows the edited scenario's programs; one with problems
// keeps the last valid one's, and says so.
func (c *chrome) codeEdited(sc scenario.Scenario, err error) {
	if err != nil {
		dom.SetText(dom.ByID("code-caption"), "The scenario has problems (see the Scenario tab): this is the program of its last valid version.")
		return
	}
	c.showCode(sc, "", "", true)
}

// copyCode puts one of the Code tab's programs on the clipboard.
func (c *chrome) copyCode(text, what string) {
	clip := js.Global().Get("navigator").Get("clipboard")
	if clip.IsUndefined() || clip.IsNull() {
		c.notice("The clipboard is not available here: select the " + what + " and copy it.")
		return
	}
	var done, fail js.Func
	release := func() { done.Release(); fail.Release() }
	done = js.FuncOf(func(js.Value, []js.Value) any {
		c.a.loop.Post(func() {
			release()
			c.notice("The " + what + " is copied to the clipboard (" + strconv.Itoa(strings.Count(text, "\n")+1) + " lines).")
		})
		return nil
	})
	fail = js.FuncOf(func(js.Value, []js.Value) any {
		c.a.loop.Post(func() { release(); c.notice("The clipboard refused: select the " + what + " and copy it.") })
		return nil
	})
	clip.Call("writeText", text).Call("then", done, fail)
}

// AWS's pages the alb kind is modelled from (codeview.ALBDocs and
// ALBTroubleshooting), linked from the Code tab's caption.
const (
	albDocs            = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html"
	albTroubleshooting = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html"
)

// proxyCaptions say what the Code tab shows for each proxy kind.
var proxyCaptions = map[string]string{
	scenario.ProxyNginx: "The nginx 1.22 configuration the proxy runs (an emulation held to the real nginx 1.22.1).",
	scenario.ProxyGo:    "The Go reverse proxy in front of the app: a real httputil.ReverseProxy and its Transport.",
	scenario.ProxyALB:   "The load balancer's settings. An ALB cannot run here: this proxy is modelled from AWS's documentation, linked below.",
}

// showProxy fills the Code tab's proxy part and the server strip's hops:
// each hop's idle timeout beside the next, with a warning when one is
// not longer than the one in front of it.
func (c *chrome) showProxy(sc scenario.Scenario, program string) {
	box, hops := dom.ByID("code-proxy-box"), dom.ByID("server-hops")
	box.Set("hidden", sc.Proxy == nil)
	hops.Set("hidden", sc.Proxy == nil)
	dom.Clear(hops)
	if sc.Proxy == nil {
		return
	}
	dom.SetText(dom.ByID("code-proxy"), program)
	caption := dom.ByID("code-proxy-caption")
	dom.SetText(caption, proxyCaptions[sc.Proxy.Kind])
	if sc.Proxy.Kind == scenario.ProxyALB {
		for _, l := range [][2]string{{albDocs, "Load balancer attributes"}, {albTroubleshooting, "Troubleshooting: 502 and 504"}} {
			dom.Append(caption, " ")
			dom.Append(caption, dom.El("a", []dom.Attr{dom.A("href", l[0]), dom.A("target", "_blank"), dom.A("rel", "noopener")}, l[1]))
		}
	}
	dom.Append(hops, dom.El("span", []dom.Attr{dom.A("class", "muted")}, "idle connections kept:"))
	for i, h := range client.Hops(sc) {
		if i > 0 {
			dom.Append(hops, dom.El("span", []dom.Attr{dom.A("class", "hop-arrow"), dom.A("aria-hidden", "true")}, "›"))
		}
		dom.Append(hops, dom.El("span", []dom.Attr{dom.A("class", "hop"), dom.A("data-bad", h.Bad), dom.A("title", h.Knob)},
			h.Name+": "+h.Idle))
	}
	for _, w := range sc.HopWarnings() {
		dom.Append(hops, dom.El("span", []dom.Attr{dom.A("class", "hop-warn"), dom.A("role", "note")}, "⚠ "+w.Msg))
	}
}

func (c *chrome) serverState(closed, exited bool) {
	if c.shown == [2]bool{closed, exited} && c.shownSet {
		return // called for every event: touch the DOM only on a change
	}
	c.shown, c.shownSet = [2]bool{closed, exited}, true
	st := dom.ByID("server-state")
	switch {
	case exited:
		dom.SetText(st, "process exited")
		st.Get("dataset").Set("state", "exited")
	case closed:
		dom.SetText(st, "listener closed")
		st.Get("dataset").Set("state", "closed")
	default:
		dom.SetText(st, "")
		st.Get("dataset").Set("state", "")
	}
	for _, b := range iter(dom.ByID("server-actions").Get("children")) {
		b.Set("disabled", exited)
	}
}

func (c *chrome) eventsChanged() { c.a.loop.Invalidate(c.lessonEv) }

// scenarioEdited marks that the editor differs from what runs.
func (c *chrome) scenarioEdited(err error) {
	run := dom.ByID("run")
	run.Set("disabled", err != nil)
	if err != nil {
		run.Set("title", "Fix the scenario's problems first")
	} else {
		run.Set("title", "Run the scenario's client steps on a fresh demo server (R)")
	}
}

func (c *chrome) restart() {
	// The edited scenario is what a person expects to restart with.
	c.a.apply(false)
}

func (c *chrome) showError(msg string) {
	c.connErr = false
	dom.SetText(dom.ByID("error-text"), msg)
	dom.ByID("error").Set("hidden", false)
}

// showConnError shows a problem with the connection to the playground,
// which reconnecting clears.
func (c *chrome) showConnError(msg string) {
	c.showError(msg)
	c.connErr = true
}

func (c *chrome) clearError() { dom.ByID("error").Set("hidden", true) }

// clearConnError clears the banner if it is about the connection.
func (c *chrome) clearConnError() {
	if c.connErr {
		c.clearError()
	}
}

// notice shows a short message that goes away by itself.
func (c *chrome) notice(msg string, actions ...noticeAction) {
	n := dom.ByID("notice")
	dom.Clear(n)
	dom.Append(n, msg)
	for _, act := range actions {
		b := dom.El("button", []dom.Attr{dom.A("type", "button")}, act.label)
		ls := dom.NewListeners(c.a.loop)
		ls.On(b, "click", func(js.Value) {
			ls.Release()
			n.Set("hidden", true)
			act.do()
		})
		dom.Append(n, " ")
		dom.Append(n, b)
	}
	n.Set("hidden", false)
	if c.noticeT != nil {
		c.noticeT.Stop()
	}
	wait := noticeFor
	if len(actions) > 0 {
		wait *= 3
	}
	c.noticeT = time.AfterFunc(wait, func() { c.a.loop.Post(func() { n.Set("hidden", true) }) })
}

type noticeAction struct {
	label string
	do    func()
}

// shortcuts are the page's own keys; the timeline adds its own.
var shortcuts = [][2]string{
	{"?", "Show this help"},
	{"r", "Run the scenario"},
	{"n", "Open a new connection"},
	{"s", "Share: copy a link to this scenario"},
	{"e", "Export the run as a JSON trace"},
	{"1 2 3", "Lessons, Scenario, Code tab"},
	{"Ctrl+Enter", "Send the bytes typed in a connection"},
	{"← / → on the step bar", "Step through a finished run event by event (Home: its first event; End: the whole run again)"},
}

// shortcut names the action of a key press, or "" (typing in a field,
// or with a modifier, is never a shortcut).
func (c *chrome) shortcut(ev js.Value) string {
	if ev.Get("ctrlKey").Bool() || ev.Get("metaKey").Bool() || ev.Get("altKey").Bool() {
		return ""
	}
	t := ev.Get("target")
	if !t.IsNull() && !t.IsUndefined() {
		switch t.Get("tagName").String() {
		case "INPUT", "TEXTAREA", "SELECT":
			return ""
		}
		if t.Get("isContentEditable").Truthy() {
			return ""
		}
	}
	switch k := ev.Get("key").String(); k {
	case "?", "r", "n", "s", "e", "1", "2", "3":
		return k
	}
	return ""
}

func (c *chrome) key(ev js.Value) {
	switch c.shortcut(ev) {
	case "?":
		c.help()
	case "r":
		c.a.apply(true)
	case "n":
		c.a.conns.openNew()
	case "s":
		c.share()
	case "e":
		c.exportTrace()
	case "1":
		c.selectTab("lesson")
	case "2":
		c.selectTab("editor")
	case "3":
		c.selectTab("code")
	}
}

func (c *chrome) help() {
	dl := dom.ByID("help-keys")
	dom.Clear(dl)
	keys := append([][2]string{}, shortcuts...)
	keys = append(keys, lanes.Shortcuts()...)
	for _, k := range keys {
		dom.Append(dl, dom.El("dt", nil, dom.El("kbd", nil, k[0])))
		dom.Append(dl, dom.El("dd", nil, k[1]))
	}
	d := dom.ByID("help")
	if !d.Get("open").Bool() {
		d.Call("showModal")
	}
}

// share copies a link to the edited scenario (and the open lesson).
func (c *chrome) share() {
	sc := c.a.sc
	sc.Lesson = c.a.lessons.Current()
	frag, err := scenario.EncodeLink(&sc)
	if err != nil {
		c.showError("This scenario cannot be shared: " + err.Error())
		return
	}
	c.copyLink(frag, "Link")
}

// shareRun copies a link that replays the current run.
func (c *chrome) shareRun() {
	t, err := c.trace()
	if err != nil {
		c.showError("This run cannot be shared: " + err.Error())
		return
	}
	frag, err := t.EncodeLink()
	if err != nil {
		c.showError(err.Error())
		return
	}
	c.copyLink(frag, "Link to this run")
}

// copyLink puts the page's address with frag in the address bar and on
// the clipboard, and says so.
func (c *chrome) copyLink(frag, what string) {
	loc := js.Global().Get("location")
	link := loc.Get("origin").String() + loc.Get("pathname").String() + loc.Get("search").String() + frag
	js.Global().Get("history").Call("replaceState", nil, "", frag)
	dom.ByID("share").Get("dataset").Set("link", link)
	clip := js.Global().Get("navigator").Get("clipboard")
	if clip.IsUndefined() || clip.IsNull() {
		c.notice(what + " ready in the address bar (the clipboard is not available here).")
		return
	}
	var done, fail js.Func
	release := func() { done.Release(); fail.Release() }
	done = js.FuncOf(func(js.Value, []js.Value) any {
		c.a.loop.Post(func() {
			release()
			c.notice(what + " copied to the clipboard (" + strconv.Itoa(len(link)) + " characters).")
		})
		return nil
	})
	fail = js.FuncOf(func(js.Value, []js.Value) any {
		c.a.loop.Post(func() { release(); c.notice(what + " ready in the address bar; copy it from there.") })
		return nil
	})
	clip.Call("writeText", link).Call("then", done, fail)
}

// openFromURL acts on the page address: ?embed=1, #s=LINK, #lesson=ID.
func (c *chrome) openFromURL() {
	loc := js.Global().Get("location")
	if q, err := url.ParseQuery(strings.TrimPrefix(loc.Get("search").String(), "?")); err == nil && q.Get("embed") == "1" {
		c.a.root.Get("classList").Call("add", "embed")
	}
	hash := loc.Get("hash").String()
	switch {
	case strings.HasPrefix(hash, scenario.LinkPrefix):
		sc, err := scenario.DecodeLink(hash)
		c.a.lessons.Foreign()
		if err != nil {
			c.showError("This link cannot be opened: " + err.Error() + ". The default scenario is loaded instead.")
			c.a.Load(scenario.Default(), false)
			return
		}
		c.a.Load(*sc, false)
		if sc.Compare != nil {
			// A link that carries a comparison opens it, running.
			c.a.compare.open(sc.Compare, true)
		}
		if sc.Lesson != "" {
			// An attempt at a lesson opens on the lesson's text, the
			// shared scenario kept.
			c.a.lessons.OpenWith(sc.Lesson)
		}
		title := sc.Title
		if title == "" {
			title = "a shared scenario"
		}
		c.selectTab("editor")
		c.notice("Opened "+title+".", noticeAction{"▶ Run it", func() { c.a.apply(true) }})
	case strings.HasPrefix(hash, timeline.TraceLinkPrefix):
		t, err := timeline.DecodeTraceLink(hash)
		if err != nil {
			c.showError("This recorded run cannot be opened: " + err.Error() + ".")
			return
		}
		c.replay(t)
	case strings.HasPrefix(hash, scenario.CompareLinkPrefix):
		// A lesson's "compare side by side" link: the scenario on screen,
		// compared as the link says. The address goes back to the lesson.
		cmp, err := scenario.ParseCompareLink(hash)
		if err != nil {
			c.showError("This comparison cannot be run: " + err.Error() + ".")
			return
		}
		back := "#"
		if id := c.a.lessons.Current(); id != "" {
			back = "#lesson=" + id
		}
		js.Global().Get("history").Call("replaceState", nil, "", back)
		c.a.compare.open(&cmp, true)
	case strings.HasPrefix(hash, "#lesson="):
		id, _, _ := strings.Cut(strings.TrimPrefix(hash, "#lesson="), "&")
		if c.a.lessons.Open(id) {
			c.selectTab("lesson")
		} else {
			c.showError("There is no lesson " + id + ".")
		}
	}
}

// traceButtons adds export/import of the run as a JSON trace next to the
// timeline's own tools.
func (c *chrome) traceButtons() {
	exp := dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("id", "trace-export"), dom.A("title", "Download the run as a JSON trace (E)")}, "Export trace")
	file := dom.El("input", []dom.Attr{dom.A("type", "file"), dom.A("id", "trace-file"), dom.A("accept", ".json,application/json"), dom.A("class", "sr-only")})
	imp := dom.El("label", []dom.Attr{dom.A("for", "trace-file"), dom.A("class", "button-like"), dom.A("title", "Replay a trace file without the backend")}, "Import trace")
	shr := dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("id", "trace-share"), dom.A("title", "Copy a link that replays this run without a backend")}, "Share run")
	formats := dom.El("select", []dom.Attr{dom.A("id", "export-format"), dom.A("aria-label", "Export the run for another tool"),
		dom.A("title", "Download the run as a curl -v transcript, a Mermaid diagram, a HAR file, a table or JSON lines")},
		dom.El("option", []dom.Attr{dom.A("value", "")}, "Export as…"))
	for _, f := range exportFormats {
		dom.Append(formats, dom.El("option", []dom.Attr{dom.A("value", f.name)}, f.label))
	}
	box := dom.El("span", []dom.Attr{dom.A("class", "trace-tools")}, shr, exp, formats, file, imp)
	head := dom.ByID("timeline-tools").Get("parentElement")
	dom.Append(head, box)
	c.ls.On(exp, "click", func(js.Value) { c.exportTrace() })
	c.ls.On(formats, "change", func(js.Value) {
		name := formats.Get("value").String()
		formats.Set("value", "")
		if name != "" {
			c.exportAs(name)
		}
	})
	c.ls.On(shr, "click", func(js.Value) { c.shareRun() })
	c.ls.On(file, "change", func(js.Value) {
		files := file.Get("files")
		if files.Get("length").Int() == 0 {
			return
		}
		f := files.Index(0)
		var done js.Func
		done = js.FuncOf(func(_ js.Value, args []js.Value) any {
			text := args[0].String()
			c.a.loop.Post(func() { done.Release(); c.importTrace(text) })
			return nil
		})
		f.Call("text").Call("then", done)
		file.Set("value", "")
	})
}

// exportLink is the link exported images carry: the scenario on screen,
// with its lesson.
func (c *chrome) exportLink() string {
	sc := c.a.sc
	sc.Lesson = c.a.lessons.Current()
	link, err := scenario.EncodeLink(&sc)
	if err != nil {
		return ""
	}
	return link
}

// dropFiles opens what is dropped on the page: an image the playground
// exported reopens its scenario, a trace replays.
func (c *chrome) dropFiles() {
	doc := dom.Doc()
	// Only a dragged file is the page's: text dragged into a field is
	// the field's.
	hasFiles := func(ev js.Value) bool {
		dt := ev.Get("dataTransfer")
		return dt.Truthy() && dt.Get("types").Call("includes", "Files").Bool()
	}
	c.ls.On(doc, "dragover", func(js.Value) {}, hasFiles)
	c.ls.On(doc, "drop", func(ev js.Value) {
		files := ev.Get("dataTransfer").Get("files")
		if files.Get("length").Int() == 0 {
			return
		}
		var done js.Func
		done = js.FuncOf(func(_ js.Value, args []js.Value) any {
			buf := js.Global().Get("Uint8Array").New(args[0])
			data := make([]byte, buf.Get("length").Int())
			js.CopyBytesToGo(data, buf)
			c.a.loop.Post(func() { done.Release(); c.openDropped(data) })
			return nil
		})
		f := files.Index(0)
		if f.Get("size").Int() > export.MaxImageBytes {
			c.showError("This file is too large to be a playground export.")
			done.Release()
			return
		}
		f.Call("arrayBuffer").Call("then", done)
	}, hasFiles)
}

func (c *chrome) openDropped(data []byte) {
	if !export.IsImage(data) {
		c.importTrace(string(data))
		return
	}
	link, err := export.LinkFromImage(data)
	if err != nil {
		c.showError("This image cannot be opened: " + err.Error() + ".")
		return
	}
	if !strings.HasPrefix(link, scenario.LinkPrefix) {
		c.showError("This image carries no scenario link.")
		return
	}
	// Through the address, as a link opened by hand: the same checks, and
	// Back returns to what was on screen.
	js.Global().Get("location").Set("hash", link)
}

// exportFormats are the page's export menu: package export's formats,
// each with its file.
type exportFormat struct{ name, label, file, mime string }

var exportFormats = []exportFormat{
	{"curl", "curl -v transcript", "keepalive-run.txt", "text/plain"},
	{"mermaid", "Mermaid sequence diagram", "keepalive-run.mmd", "text/plain"},
	{"har", "HAR 1.2 (DevTools)", "keepalive-run.har", "application/json"},
	{"table", "table", "keepalive-run.txt", "text/plain"},
	{"json", "JSON lines", "keepalive-run.jsonl", "application/x-ndjson"},
}

// exportAs downloads the run on screen in one of exportFormats, rendered
// by the same code as `playground run --format`.
func (c *chrome) exportAs(name string) {
	i := slices.IndexFunc(exportFormats, func(f exportFormat) bool { return f.name == name })
	if i < 0 {
		return
	}
	f := exportFormats[i]
	sc := c.a.loaded
	r := &export.Run{Scenario: &sc, Events: c.a.events, Checks: timeline.EvalAll(sc.Checks, c.a.events), Start: c.a.runStart,
		Link: c.exportLink(), Tool: "Keep-Alive Playground", EndMs: c.a.endMs, EndReason: c.a.endReason}
	var b bytes.Buffer
	if err := export.Write(&b, f.name, r); err != nil {
		c.showError("The run cannot be exported as " + f.label + ": " + err.Error())
		return
	}
	c.a.loop.Download(b.Bytes(), f.mime, f.file)
	c.notice(f.label + " downloaded (" + strconv.Itoa(len(c.a.events)) + " events).")
}

// trace is the current run as a trace.
func (c *chrome) trace() (timeline.Trace, error) {
	raw, err := scenario.Marshal(&c.a.loaded)
	if err != nil {
		return timeline.Trace{}, err
	}
	return timeline.Trace{V: timeline.TraceVersion, Scenario: raw, Events: c.a.events}, nil
}

func (c *chrome) exportTrace() {
	t, err := c.trace()
	var data []byte
	if err == nil {
		data, err = t.Encode()
	}
	if err != nil {
		c.showError("The run cannot be exported: " + err.Error())
		return
	}
	c.a.loop.Download(data, "application/json", "keepalive-trace.json")
	c.notice("Trace downloaded (" + strconv.Itoa(len(c.a.events)) + " events).")
}

// importTrace replays a trace file without the backend.
func (c *chrome) importTrace(text string) {
	t, err := timeline.DecodeTrace([]byte(text))
	if err != nil {
		c.showError("This file is not a playground trace: " + err.Error())
		return
	}
	c.replay(t)
}

func (c *chrome) replay(t *timeline.Trace) {
	var sc scenario.Scenario
	if len(t.Scenario) > 0 {
		if err := json.Unmarshal(t.Scenario, &sc); err != nil {
			c.showError("The trace's scenario cannot be read: " + err.Error())
			return
		}
	}
	if sc.Server.Runtime == "" {
		sc = scenario.Default()
	}
	a := c.a
	// A recorded run is not a run of the open lesson's scenario here.
	a.lessons.Foreign()
	a.offline = true
	a.newRun(sc.WithDefaults(), "", "")
	end := 0.0
	for _, ev := range t.Events {
		a.event(ev)
		end = max(end, ev.T)
	}
	// A recording is a finished run: its clock rests at its last event
	// (the "now" line does not run on, nor the view follow it), and it
	// can be stepped through.
	a.timeline.End(end)
	a.scrub.finished()
	a.invalidate() // the status line counts the events
	c.notice("Replaying a recorded trace (" + strconv.Itoa(len(t.Events)) + " events); Run goes live again.")
}

func iter(coll js.Value) []js.Value {
	n := coll.Get("length").Int()
	out := make([]js.Value, n)
	for i := range n {
		out[i] = coll.Index(i)
	}
	return out
}
