// Command wasm is the playground's browser client, built with GOOS=js
// GOARCH=wasm. It opens the WebSocket to the backend, keeps it alive across
// backend restarts, and drives the page: connections, server controls, the
// scenario editor, lessons and the timeline.
//
// Threading: every JavaScript callback only posts to the dom.Loop, whose
// goroutine alone touches the DOM and the WebSocket; drawing happens on
// requestAnimationFrame (see package dom).
//
// The app holds the run (the scenario as edited and as loaded, its
// events, its end) and wires the parts, each in its own file with the
// few methods it needs from the others: the socket (socket_js.go), the
// messages (notices_js.go), the tabs, the server bar, the Code tab, the
// shortcuts (keys_js.go), share links (share_js.go), the page's address
// (route_js.go), trace import/export (trace_js.go), and the panels.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"syscall/js"
	"time"

	"github.com/keepalive-playground/playground/export"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/client"
	"github.com/keepalive-playground/playground/wasm/dom"
	"github.com/keepalive-playground/playground/wasm/editor"
	"github.com/keepalive-playground/playground/wasm/lanes"
	"github.com/keepalive-playground/playground/wasm/lessons"
	"github.com/keepalive-playground/playground/wire"
)

// pingEvery measures the round trip now and then while connected; it is
// not a keep-alive (the backend pings at the WebSocket level).
const pingEvery = 30 * time.Second

// pingAfterLoad is when the page measures the round trip again after a
// scenario has loaded.
const pingAfterLoad = 1500 * time.Millisecond

// maxEvents bounds the events a page keeps for one run: what the backend
// sends at most.
const maxEvents = wire.MaxEventsPerRun

func main() {
	// Marks on the page's performance timeline, for DevTools and the
	// page-speed benchmark: where the time to "ready" goes.
	js.Global().Get("performance").Call("mark", "kap:go-main")
	loop := dom.NewLoop()
	a := newApp(loop)
	loop.Post(a.start)
	loop.Run()
}

type app struct {
	loop *dom.Loop
	root js.Value

	// conn is the connection's state, which sock updates.
	conn *client.Conn
	sock *socket
	// countdown redraws the retry countdown; nil when none is due.
	countdown *time.Timer
	offline   bool // a trace is shown: no backend needed

	// sc is the scenario as edited; loaded is the one the demo server
	// runs (defaults applied), with its code view.
	sc         scenario.Scenario
	loaded     scenario.Scenario
	pendingRun bool // run sc's steps once it has loaded
	// loadSeq numbers the loads this page sends; a loaded that answers
	// an earlier one (Show solution, then Run at once, on a slow link)
	// is not the scenario on screen.
	loadSeq uint64
	// loadedSeq is the load whose run is on screen: until it is loadSeq,
	// the events still coming are the run of the scenario before.
	loadedSeq uint64
	events    []timeline.Event
	exited    bool
	closed    bool
	// ended is set once the session ended the run (wire.End), at endMs
	// for endReason; runStart is the run's start on the wall clock, for
	// exports that stamp absolute times.
	ended     bool
	endMs     float64
	endReason string
	runStart  time.Time

	timeline *lanes.View
	editor   *editor.Editor
	lessons  *lessons.Panel
	conns    *connPanel
	composer *composer
	compare  *comparePanel
	scrub    *scrubber

	say    *messages
	tabs   *tabs
	bar    *serverBar
	code   *codeTab
	share  *sharer
	router *router

	statusDraw int
	lessonEv   int // drawer id: hand events to the lessons once per frame
}

func newApp(loop *dom.Loop) *app {
	return &app{
		loop: loop,
		root: dom.Doc().Get("documentElement"),
		conn: client.NewConn(),
		sc:   scenario.Default(),
	}
}

func (a *app) start() {
	u, err := client.URL(js.Global().Get("location").Get("href").String())
	if err != nil {
		a.fatal(err)
		return
	}
	ls := dom.NewListeners(a.loop)
	a.say = newMessages(a.loop, ls)
	a.sock = newSocket(a.loop, u, a.conn, a, a.say)
	a.tabs = newTabs(ls, func(name string) {
		if name == "editor" {
			a.showEditor()
		}
	})
	a.bar = newServerBar(a.loop, a.say, func(action string) bool {
		return a.send(wire.Msg{Type: wire.Control, Action: action})
	})
	a.code = newCodeTab(a.loop, ls, a.say, a.runsEdited)
	a.share = &sharer{loop: a.loop, say: a.say, src: a}
	ls.On(dom.ByID("run"), "click", func(js.Value) { a.apply(true) })
	// The edited scenario is what a person expects to restart with.
	ls.On(dom.ByID("restart"), "click", func(js.Value) { a.apply(false) })
	ls.On(dom.ByID("share"), "click", func(js.Value) { a.share.share() })
	ls.On(dom.ByID("reconnect"), "click", func(js.Value) { a.sock.reconnect() })
	a.statusDraw = a.loop.Drawer(a.drawStatus)
	a.lessonEv = a.loop.Drawer(func() {
		if a.loadedSeq != a.loadSeq {
			// The lesson checks the run of the scenario it loaded, not
			// the end of the one before (it would credit the wrong lesson).
			a.lessons.Events(nil)
			return
		}
		a.lessons.Events(a.events)
	})
	traces := newTraces(a.loop, ls, a.say, a, a.share.shareRun)
	newKeys(ls, map[string]func(){
		"r": func() { a.apply(true) },
		"n": func() { a.conns.openNew() },
		"s": a.share.share,
		"e": traces.exportTrace,
		"1": func() { a.tabs.selectTab("lesson") },
		"2": func() { a.tabs.selectTab("editor") },
		"3": func() { a.tabs.selectTab("code") },
	})
	a.timeline = lanes.Mount(a.loop, dom.ByID("timeline"), dom.ByID("timeline-tools"))
	a.timeline.Link = a.share.link
	a.lessons = lessons.Mount(a.loop, dom.ByID("panel-lesson"), a)
	a.conns = newConnPanel(a.loop, a.say, a)
	a.composer = newComposer(a.loop, a, a.conns)
	a.compare = newComparePanel(a.loop, a)
	a.scrub = newScrubber(a.loop, a.root, a, scrubViews{timeline: a.timeline, tasks: a.lessons, server: a.bar.state, cards: a.conns, pools: a.composer.panel})
	a.router = newRouter(ls, a, a.lessons, a.tabs, a.say)
	a.showScenario(a.sc.WithDefaults(), "", "")
	a.router.open()
	// Last, once the page can show what arrives: main.js opened the
	// session's socket while this program was compiling, and what it has
	// received is handled now.
	a.sock.connect()
	// One ticker for the page's life, across reconnects: a per-socket
	// ticker would leave its goroutine behind, as Stop does not close C.
	go func() {
		for range time.Tick(pingEvery) {
			a.loop.Post(func() {
				if a.conn.State == client.Connected {
					a.send(a.conn.Ping(time.Now()))
				}
			})
		}
	}()
}

// showEditor builds the scenario form the first time it is shown: it is
// the page's largest piece of DOM, and most visits start with a lesson.
func (a *app) showEditor() {
	if a.editor == nil {
		a.editor = editor.Mount(a.loop, dom.ByID("panel-editor"), a.sc, a.edited)
	}
}

// setEditor puts sc in the form, if the form has been built (else it is
// built from a.sc when first shown).
func (a *app) setEditor(sc scenario.Scenario) {
	if a.editor != nil {
		a.editor.Set(sc)
	}
}

// pooledConn, proxied and connsChanged are the connection cards'
// cardHost.
func (a *app) pooledConn(label string) bool   { return a.composer.pool.owns(label) }
func (a *app) poolClient(label string) string { return a.composer.pool.clientOf(label) }
func (a *app) proxied() bool                  { return a.loaded.Proxy != nil }
func (a *app) connsChanged()                  { a.composer.targetsChanged() }

// runEvents, runRuntime and serverAtEnd are the scrubber's scrubRun.
func (a *app) runEvents() []timeline.Event        { return a.events }
func (a *app) runRuntime() string                 { return a.loaded.Server.Runtime }
func (a *app) serverAtEnd() (closed, exited bool) { return a.closed, a.exited }

// Load is lessons.Host: put sc in the editor and on the demo server.
func (a *app) Load(sc scenario.Scenario, run bool) {
	a.sc = sc
	a.setEditor(sc)
	a.code.edited(sc, sc.Validate())
	a.apply(run)
}

// Editing is lessons.Host: the scenario in the editor.
func (a *app) Editing() scenario.Scenario { return a.sc }

// apply sends the edited scenario to the backend (a fresh run: the clock
// and the timeline start over); with run, its client steps follow.
func (a *app) apply(run bool) {
	if a.editor != nil {
		a.editor.Flush()
	}
	// Whatever follows, the run on screen is no longer of the scenario
	// being applied: no task is checked against it.
	a.lessons.Events(nil)
	if err := a.sc.Validate(); err != nil {
		a.say.showError("The scenario has problems; fix them in the Scenario tab first:\n" + err.Error())
		a.tabs.selectTab("editor")
		return
	}
	if a.offline {
		a.offline = false
		a.say.notice("Back to the live playground.")
	}
	raw, err := scenario.Marshal(&a.sc)
	if err != nil {
		a.say.showError("The scenario cannot be encoded: " + err.Error())
		return
	}
	a.pendingRun = run
	if run {
		a.showTimeline()
	}
	if a.conn.State != client.Connected {
		// The ready handler applies the scenario once connected.
		return
	}
	// A run's steps are played by the session itself, on its clock
	// (wire.Msg.Play): sent from here after `loaded`, they would start
	// one link latency late.
	a.loadSeq++
	a.send(wire.Msg{Type: wire.Load, Scenario: raw, Run: run, Play: run, Seq: a.loadSeq})
}

// showTimeline brings the timeline into view when a run starts and it is
// out of sight (on a phone it is far below the lesson's Run button).
func (a *app) showTimeline() {
	wrap := dom.ByID("timeline").Get("parentElement")
	r := wrap.Call("getBoundingClientRect")
	h := js.Global().Get("innerHeight").Float()
	if r.Get("top").Float() > h*0.6 || r.Get("bottom").Float() < 0 {
		wrap.Call("scrollIntoView", map[string]any{"block": "start", "behavior": "smooth"})
	}
}

// edited is the editor's onChange.
func (a *app) edited(sc scenario.Scenario, err error) {
	a.sc = sc
	if err == nil {
		a.lessons.Edited(sc)
	}
	runButton(err)
	a.code.edited(sc, err)
}

// runButton is on when the edited scenario can run.
func runButton(err error) {
	run := dom.ByID("run")
	run.Set("disabled", err != nil)
	if err != nil {
		run.Set("title", "Fix the scenario's problems first")
	} else {
		run.Set("title", "Run the scenario's client steps on a fresh demo server (R)")
	}
}

// linkScenario is what a share link carries: the edited scenario, with
// the open lesson.
func (a *app) linkScenario() scenario.Scenario {
	sc := a.sc
	sc.Lesson = a.lessons.Current()
	return sc
}

// setCompare makes the edited scenario ask for cmp (nil: for no
// comparison), in the editor too.
func (a *app) setCompare(cmp *scenario.Compare) {
	a.sc.Compare = cmp
	a.setEditor(a.sc)
}

// replaying reports whether a recorded run is on screen, not the live
// session's.
func (a *app) replaying() bool { return a.offline }

// openCompare opens the compare view on cmp, running it.
func (a *app) openCompare(cmp *scenario.Compare) { a.compare.open(cmp, true) }

// showScenario updates the server bar and the code view for sc, a fresh
// server's.
func (a *app) showScenario(sc scenario.Scenario, program, proxyProgram string) {
	a.bar.show(sc)
	a.code.show(sc, program, proxyProgram, false)
}

// runsEdited reports whether the demo server runs the edited scenario.
func (a *app) runsEdited() bool {
	full := a.sc.WithDefaults()
	ed, err1 := scenario.Marshal(&full)
	run, err2 := scenario.Marshal(&a.loaded)
	return err1 == nil && err2 == nil && bytes.Equal(ed, run)
}

// send writes one message; false when there is no open socket.
func (a *app) send(m wire.Msg) bool {
	switch m.Type {
	case wire.Open, wire.Write, wire.Shut, wire.Reset, wire.Control:
		if a.ended {
			// The session would refuse it; say so here, without a round trip.
			a.say.notice("The run has ended: press Run to run it again, or Restart server to try things by hand.")
			return false
		}
	case wire.Restart:
		// Trying things by hand: the timeline goes on past the run's end.
		if a.ended {
			a.ended = false
			a.scrub.reset()
			a.timeline.Resume()
			dom.ByID("run-end").Set("hidden", true)
			a.root.Get("dataset").Delete("runEnded")
		}
	}
	return a.sock.send(m)
}

// runOver is composerHost: the session has ended the run.
func (a *app) runOver() bool { return a.ended }

// socketChanged is socketHost: the status line shows the new state.
func (a *app) socketChanged() { a.invalidate() }

// socketClosed is socketHost: the socket is gone (a retry may be due).
func (a *app) socketClosed() {
	if !a.conn.EverConnected && a.conn.Attempt >= 3 {
		a.root.Get("dataset").Set("state", "error")
	}
	a.conns.disconnected()
	a.compare.disconnected()
	a.invalidate()
}

// socketMessage is socketHost: one message from the backend.
func (a *app) socketMessage(m wire.Msg) {
	a.conn.Received(m, time.Now())
	if a.offline {
		switch m.Type {
		case wire.Loaded, wire.Ev, wire.EOF, wire.End:
			// The live session's own start (its default scenario) must
			// not replace the recorded run on screen.
			a.invalidate()
			return
		}
	}
	switch m.Type {
	case wire.Ready:
		ds := a.root.Get("dataset")
		if ds.Get("readyMs").IsUndefined() {
			// Navigation to ready, in the page's own clock: the figure the
			// page-speed benchmark reports.
			ds.Set("readyMs", js.Global().Get("performance").Call("now").Float())
		}
		ds.Set("state", "ready")
		js.Global().Get("performance").Call("mark", "kap:ready")
		a.say.clearConnError()
		a.send(a.conn.Ping(time.Now()))
		// The session starts with the default scenario; ours may differ
		// (an edit, a link, a lesson), and a fresh timeline is wanted.
		// A replayed run stays on screen until the person presses Run.
		if !a.offline {
			a.apply(a.pendingRun)
			a.compare.ready()
		}
	case wire.Loaded:
		a.loadedScenario(m)
	case wire.Ev:
		a.event(*m.Event)
	case wire.EOF:
		a.conns.eof(m.Conn)
		a.composer.deliver(m)
	case wire.Error:
		msg := m.Message
		if a.composer.pool.owns(m.Conn) {
			// Go's Transport owns the connection, not the person: it
			// is told (a retry, or its own error), and the composer's
			// line for the request says what came of it. The backend's
			// advice ("open a new one") is for a person's own cards.
			a.composer.deliver(m)
			break
		}
		if m.Conn != "" {
			a.conns.failed(m.Conn, msg)
			msg = "Connection " + m.Conn + ": " + msg
		}
		a.say.showError(msg)
	case wire.End:
		a.runEnded(m.Now, m.Reason)
	case wire.Comparing, wire.CEvent, wire.Compared:
		a.compare.receive(m)
	case wire.Bye:
		a.say.notice(m.Message)
	}
	a.invalidate()
}

func (a *app) loadedScenario(m wire.Msg) {
	if m.Seq != a.loadSeq {
		// An earlier load's answer: the one this page sent last follows.
		return
	}
	a.loadedSeq = m.Seq
	var sc scenario.Scenario
	if err := json.Unmarshal(m.Scenario, &sc); err != nil {
		a.say.showError("The server loaded a scenario this page cannot read: " + err.Error())
		return
	}
	a.newRun(sc.WithDefaults(), m.Program, m.ProxyProgram)
	// The first ping raced the page's own start-up; measure again now,
	// and once more when what this load starts (the pooled client's
	// compile, the first frames) is over: the round trip shown is the
	// least of the last few (client.Conn.RTT).
	a.send(a.conn.Ping(time.Now()))
	time.AfterFunc(pingAfterLoad, func() {
		a.loop.Post(func() {
			if a.conn.State == client.Connected {
				a.send(a.conn.Ping(time.Now()))
			}
		})
	})
	if a.pendingRun {
		a.pendingRun = false
		for _, step := range wire.Steps(&a.loaded) {
			a.conns.scripted(step)
		}
	}
}

// newRun clears the page for a fresh run of sc (defaults applied), live
// or replayed from a trace: no events yet, the server not closed.
func (a *app) newRun(sc scenario.Scenario, program, proxyProgram string) {
	a.scrub.reset()
	a.loaded = sc
	a.events = a.events[:0]
	a.exited, a.closed, a.ended = false, false, false
	a.endMs, a.endReason, a.runStart = 0, "", time.Now()
	runEnd := dom.ByID("run-end")
	runEnd.Set("hidden", true)
	a.root.Get("dataset").Delete("runEnded")
	a.timeline.Reset(a.loaded)
	a.conns.reset()
	a.composer.reset(a.loaded, a.pendingRun)
	a.lessons.Events(nil)
	a.showScenario(a.loaded, program, proxyProgram)
}

// runEnded shows the end of the run: when and why, on the timeline and in
// words; the session sends nothing of the run after it.
func (a *app) runEnded(t float64, reason string) {
	a.ended, a.endMs, a.endReason = true, t, reason
	a.timeline.End(t)
	el := dom.ByID("run-end")
	dom.SetText(el, client.RunEndText(t, reason))
	el.Set("hidden", false)
	a.root.Get("dataset").Set("runEnded", reason)
	a.scrub.finished()
}

func (a *app) event(ev timeline.Event) {
	if len(a.events) >= maxEvents {
		return
	}
	a.events = append(a.events, ev)
	a.timeline.Add(ev)
	a.conns.event(len(a.events)-1, ev)
	a.composer.event(ev)
	a.closed, a.exited = lanes.ServerAfter(a.closed, a.exited, ev)
	a.bar.state(a.closed, a.exited)
	a.loop.Invalidate(a.lessonEv)
}

// trace is the current run as a trace.
func (a *app) trace() (timeline.Trace, error) {
	raw, err := scenario.Marshal(&a.loaded)
	if err != nil {
		return timeline.Trace{}, err
	}
	return timeline.Trace{V: timeline.TraceVersion, Scenario: raw, Events: a.events}, nil
}

// exportRun is the run on screen for package export.
func (a *app) exportRun() *export.Run {
	sc := a.loaded
	return &export.Run{Scenario: &sc, Events: a.events, Checks: timeline.EvalAll(sc.Checks, a.events), Start: a.runStart,
		Link: a.share.link(), Tool: "Keep-Alive Playground", EndMs: a.endMs, EndReason: a.endReason}
}

// replay shows a recorded run, without the backend.
func (a *app) replay(t *timeline.Trace) {
	var sc scenario.Scenario
	if len(t.Scenario) > 0 {
		if err := json.Unmarshal(t.Scenario, &sc); err != nil {
			a.say.showError("The trace's scenario cannot be read: " + err.Error())
			return
		}
	}
	if sc.Server.Runtime == "" {
		sc = scenario.Default()
	}
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
	a.say.notice("Replaying a recorded trace (" + strconv.Itoa(len(t.Events)) + " events); Run goes live again.")
}

func (a *app) invalidate() { a.loop.Invalidate(a.statusDraw) }

// drawStatus redraws the connection status line.
func (a *app) drawStatus() {
	st := dom.ByID("conn-status")
	dom.SetText(st, a.conn.Status(time.Now()))
	st.Get("dataset").Set("conn", a.conn.State.String())
	if a.conn.RTT > 0 {
		st.Get("dataset").Set("rtt", fmt.Sprintf("%.3f", float64(a.conn.RTT.Microseconds())/1000))
	}
	dom.SetText(dom.ByID("conn-session"), a.conn.Session)
	dom.SetText(dom.ByID("event-count"), fmt.Sprint(len(a.events)))
	dom.ByID("reconnect").Set("hidden", a.conn.State == client.Connected || a.conn.State == client.Connecting)
	if a.conn.State == client.Waiting && a.countdown == nil {
		// The retry countdown ticks once a second; one timer, however
		// often the status is drawn in between.
		a.countdown = time.AfterFunc(time.Second, func() {
			a.loop.Post(func() {
				a.countdown = nil
				a.invalidate()
			})
		})
	}
}

func (a *app) fatal(err error) {
	a.root.Get("dataset").Set("state", "error")
	dom.SetText(dom.ByID("error-text"), "The playground could not start: "+err.Error())
	dom.ByID("error").Set("hidden", false)
}
