package main

import (
	"encoding/json"
	"strings"
	"syscall/js"
	"time"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/client"
	"github.com/keepalive-playground/playground/wasm/dom"
	"github.com/keepalive-playground/playground/wire"
)

// pooled sends composer requests through the pooled clients, Go's own
// net/http Transport and Node's http.Agent of each release line
// (nodeagent), over virtual connections. They are a wasm program of
// their own (wasm/poolwasm), loaded the first time one is needed; until
// then requests wait in a queue.
type pooled struct {
	loop *dom.Loop
	host composerHost
	c    poolOutput
	// panel shows every pool's sockets and requests.
	panel *poolPanel
	// sc is the run's scenario (defaults applied): its pools and steps.
	sc    scenario.Scenario
	state poolLoad
	queue []queued
	api   js.Value
	// made are the composer's Node agents pool.wasm has (by name).
	made map[string]bool
	// loading is the composer's "Loading…" line, removed once loaded.
	loading js.Value

	// The scenario's pool steps (client.pools): script is the run's
	// scenario waiting for pool.wasm (nil when none waits), zero when its
	// session clock started, gen the run they belong to (a new run stops
	// the old one's timers).
	script *scenario.Scenario
	zero   time.Time
	gen    int
}

// poolLoad is how far pool.wasm has come: requests wait in the queue until
// it is ready, and fail at once once it could not be loaded.
type poolLoad int

const (
	poolNotLoaded poolLoad = iota // not needed yet
	poolLoading                   // fetched and compiled; requests queue
	poolReady                     // kapPool answers
	poolFailed                    // it could not be loaded; reload to retry
)

// poolOutput is where the pooled clients' answers go: the composer's
// output list.
type poolOutput interface {
	result(text string, ok bool) js.Value
	showError(msg string)
}

// queued is a composer request waiting for pool.wasm.
type queued struct {
	cl poolClient
	r  scenario.Request
}

// poolClient is one of the composer's pooled clients, a "Send on" choice:
// each is a pool of its own, with its own connections (name1, name2, …).
type poolClient struct {
	value string // the choice's <option> value
	name  string // its pool's name in pool.wasm and on its outcomes
	label string // for people: "Node 26.12.1 http.Agent (keepAlive: true)"
	// agent is a Node agent's pool (Kind node-agent); Kind "" for Go's
	// Transport, the page's first pooled client.
	agent scenario.Pool
}

// goClientLabel names Go's Transport, the composer's "pool".
const goClientLabel = "Go net/http Transport"

// composerClients are the composer's pooled clients: Go's Transport
// (targetPool, connections pool1, …), then for each Node release line of
// the runtime table, newest first, new http.Agent({ keepAlive: true })
// and the line's http.globalAgent as it ships.
func composerClients() []poolClient {
	out := []poolClient{{value: targetPool, name: client.PoolPrefix, label: goClientLabel}}
	on := true
	for _, rt := range scenario.Runtimes() {
		if !rt.IsNode() {
			continue
		}
		name := scenario.ComposerAgentPrefix(rt.Name, false)
		out = append(out, poolClient{value: "+" + name, name: name,
			label: "Node " + rt.Release + " http.Agent (keepAlive: true)",
			agent: scenario.Pool{Name: name, Kind: scenario.PoolNodeAgent, Runtime: rt.Name, KeepAlive: &on}})
		global := "keepAlive off"
		if rt.Node.AgentGlobalKeepAlive {
			// nodeagent.GlobalAgent's options, spelled here: package
			// nodeagent (and its regexp) lives in pool.wasm only.
			global = "keepAlive, timeout 5000 ms"
		}
		name = scenario.ComposerAgentPrefix(rt.Name, true)
		out = append(out, poolClient{value: "+" + name, name: name,
			label: "Node " + rt.Release + " http.globalAgent (" + global + ")",
			agent: scenario.Pool{Name: name, Kind: scenario.PoolNodeAgent, Runtime: rt.Name, GlobalAgent: true}})
	}
	return out
}

// pooledClients are composerClients, made once: owns asks about every event.
var pooledClients = composerClients()

func newPooled(loop *dom.Loop, host composerHost, out poolOutput, panel *poolPanel) *pooled {
	return &pooled{loop: loop, host: host, c: out, panel: panel, made: map[string]bool{}}
}

// do sends r through the composer's pooled client cl.
func (p *pooled) do(cl poolClient, r scenario.Request) {
	if p.host.runOver() {
		// The session takes nothing more of the run: the client would
		// dial and wait for its own timeout.
		p.c.showError("The run has ended: press Run to run it again, or Restart server to try things by hand.")
		return
	}
	switch p.state {
	case poolFailed:
		p.c.showError("The pooled client could not be loaded; reload the page to try again.")
		return
	case poolReady:
		p.send(cl, r)
		return
	}
	p.queue = append(p.queue, queued{cl, r})
	if p.state == poolNotLoaded {
		p.load()
	}
}

// runScript starts the run's pool steps: each goes through its pool at
// its time on the session clock, which started about now (the scenario
// has just loaded). Until pool.wasm is ready they wait; a step whose
// time has passed by then goes at once.
func (p *pooled) runScript(sc scenario.Scenario) {
	if len(wire.PoolSteps(&sc)) == 0 {
		return
	}
	p.zero = time.Now()
	switch p.state {
	case poolFailed:
		p.c.showError("The pooled client could not be loaded, so the scenario's pool steps do not run; reload the page to try again.")
	case poolReady:
		p.startScript(sc)
	default:
		p.script = &sc
		if p.state == poolNotLoaded {
			p.load()
		}
	}
}

// startScript makes the scenario's pools in pool.wasm and arms a timer
// per step; the timers only post to the loop.
func (p *pooled) startScript(sc scenario.Scenario) {
	gen := p.gen
	for _, pl := range sc.Client.Pools {
		if pl.Kind == scenario.PoolNodeAgent {
			// Node's http.Agent of the pool's line (nodeagent, in pool.wasm).
			opts, _ := json.Marshal(map[string]any{"nodeAgent": pl, "server": sc.Server})
			p.api.Call("pool", pl.Name, string(opts))
			continue
		}
		if pl.Kind != scenario.PoolGo {
			p.c.showError("Pool " + pl.Name + ": " + pl.Kind + " is not a pooled client this page has; its steps do not run.")
			continue
		}
		opts, _ := json.Marshal(map[string]any{
			"idleConnTimeoutMs":   pl.GoIdleConnTimeout().Milliseconds(),
			"maxIdleConnsPerHost": pl.GoMaxIdleConnsPerHost(),
			"disableKeepAlives":   pl.GoKeepAlivesDisabled(),
			"linkDelayMs":         pl.LinkDelay().Milliseconds(),
		})
		p.api.Call("pool", pl.Name, string(opts))
	}
	for _, st := range wire.PoolSteps(&sc) {
		pl, ok := sc.Client.FindPool(st.Pool)
		if !ok || pl.Kind != scenario.PoolGo && pl.Kind != scenario.PoolNodeAgent {
			continue
		}
		time.AfterFunc(time.Until(p.zero.Add(time.Duration(st.At)*time.Millisecond)), func() {
			p.loop.Post(func() {
				if p.gen == gen {
					p.step(pl, *st.Request, false)
				}
			})
		})
	}
}

// step sends one pool step's request and reports its outcome; with
// retryReused, an idempotent request that failed on a reused connection
// goes once more (retry).
func (p *pooled) step(pl scenario.Pool, r scenario.Request, retry bool) {
	gen := p.gen
	req := p.panel.sent(pl.Name, r)
	p.call("doOn", pl.Name, r, func(summary string, ok bool, ev timeline.Event) {
		if p.gen != gen {
			return
		}
		if retry {
			ev.Retried = true
		}
		p.panel.done(req, ev)
		p.report(ev)
		line := "pool " + pl.Name + ": " + r.Method + " " + r.Path + ": " + summary
		if pl.Kind == scenario.PoolNodeAgent {
			// Node's lines name the request themselves.
			line = "pool " + pl.Name + " (" + poolLabel(pl, p.sc.Server) + "): " + summary
		}
		p.c.result(line, ok)
		if !retry && pl.RetryReused && ev.Error != "" && ev.Reused && scenario.Idempotent(r.Method) {
			p.step(pl, r, true)
		}
	})
}

// report sends an outcome to the session, which stamps it into the
// timeline.
func (p *pooled) report(ev timeline.Event) {
	ev.T = 0
	if len(ev.Error) > wire.MaxOutcomeErrorBytes {
		ev.Error = strings.ToValidUTF8(ev.Error[:wire.MaxOutcomeErrorBytes], "")
	}
	p.host.send(wire.Msg{Type: wire.Outcome, Event: &ev})
}

// owns reports whether conn is one of the pooled clients' connections:
// the composer's (pool1, …, n26-1, …) or a scenario pool's (app1, …).
func (p *pooled) owns(conn string) bool {
	if strings.HasPrefix(conn, client.PoolPrefix) || p.sc.Client.PoolOf(conn) != "" {
		return true
	}
	for _, cl := range pooledClients {
		if rest, ok := strings.CutPrefix(conn, cl.name); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			return true
		}
	}
	return false
}

// clientOf names the client a connection belongs to, for its card:
// "Go's net/http Transport", "Node 26.12.1 http.Agent (keepAlive: true)".
func (p *pooled) clientOf(conn string) string {
	if pl := p.sc.Client.PoolOf(conn); pl != "" {
		if sp, ok := p.sc.Client.FindPool(pl); ok {
			return poolLabel(sp, p.sc.Server)
		}
	}
	for _, cl := range pooledClients[1:] {
		if rest, ok := strings.CutPrefix(conn, cl.name); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			return cl.label
		}
	}
	return "Go's net/http Transport"
}

// poolLabel names a scenario pool's client for people.
func poolLabel(pl scenario.Pool, server scenario.Server) string {
	if pl.Kind != scenario.PoolNodeAgent {
		return "Go's net/http Transport"
	}
	rt, _ := scenario.Lookup(pl.AgentRuntime(server))
	if pl.GlobalAgent {
		return "Node " + rt.Release + " http.globalAgent"
	}
	return "Node " + rt.Release + " http.Agent"
}

// load fetches and starts pool.wasm. Its callbacks only post to the loop.
func (p *pooled) load() {
	p.state = poolLoading
	p.loading = p.c.result("Loading the pooled clients (Go's net/http, Node's http.Agent)…", true)
	p.loading.Get("dataset").Set("loading", "true")
	url := dom.Doc().Get("documentElement").Get("dataset").Get("poolWasm")
	if url.IsUndefined() {
		p.failed("the page does not name the pooled client's program")
		return
	}
	// These functions are never released: pool.wasm calls them for as
	// long as the page lives.
	fn := func(f func(args []js.Value)) js.Func {
		return js.FuncOf(func(_ js.Value, args []js.Value) any {
			f(args)
			return nil
		})
	}
	js.Global().Set("kapPoolSend", fn(func(args []js.Value) {
		data := args[0].String()
		p.loop.Post(func() {
			m, err := wire.Decode([]byte(data))
			if err != nil {
				js.Global().Get("console").Call("warn", "pool sent a bad message:", err.Error())
				return
			}
			if p.host.runOver() {
				// The session has let go of the run's connections: a
				// client closing one by its own timer (an agent's free
				// socket, Go's IdleConnTimeout) is past the run and
				// tells nobody; a request the person sends is refused
				// with the page's notice that the run has ended.
				if m.Type != wire.Shut && m.Type != wire.Reset {
					p.host.send(m)
				}
				return
			}
			if !p.host.send(m) {
				p.c.showError("Not connected to the playground.")
			}
		})
	}))
	js.Global().Set("kapPoolReady", fn(func([]js.Value) {
		p.loop.Post(p.ready)
	}))
	inst := js.Global().Get("Go").New()
	started := fn(func(args []js.Value) {
		// run resolves only when the program exits, which it never should.
		inst.Call("run", args[0].Get("instance"))
	})
	failed := fn(func(args []js.Value) {
		msg := args[0].Call("toString").String()
		p.loop.Post(func() { p.failed(msg) })
	})
	wasm := js.Global().Get("WebAssembly")
	wasm.Call("instantiateStreaming", js.Global().Call("fetch", url), inst.Get("importObject")).
		Call("then", started).Call("catch", failed)
}

func (p *pooled) ready() {
	p.state = poolReady
	// Tests (and the curious) can tell the client has started.
	dom.Doc().Get("documentElement").Get("dataset").Set("poolReady", "true")
	p.api = js.Global().Get("kapPool")
	p.loaded()
	// The panel hears of every socket change; the function lives as long
	// as the page.
	p.api.Call("watch", js.FuncOf(func(_ js.Value, args []js.Value) any {
		data := args[0].String()
		p.loop.Post(func() { p.panel.states(data) })
		return nil
	}))
	q := p.queue
	p.queue = nil
	for _, e := range q {
		p.send(e.cl, e.r)
	}
	if sc := p.script; sc != nil {
		p.script = nil
		p.startScript(*sc)
	}
}

func (p *pooled) failed(why string) {
	p.state = poolFailed
	p.queue = nil
	if p.script != nil {
		p.script = nil
		p.c.showError("The scenario's pool steps do not run.")
	}
	p.loaded()
	p.c.showError("The pooled client could not be loaded: " + why)
}

// loaded removes the "Loading…" line: the requests' own lines follow.
func (p *pooled) loaded() {
	if p.loading.Truthy() {
		p.loading.Call("remove")
		p.loading = js.Undefined()
	}
}

// send hands one request to the composer's client cl; the answer comes
// back as a line in the composer, in the client's own words, and its
// outcome goes to the timeline.
func (p *pooled) send(cl poolClient, r scenario.Request) {
	req := p.panel.sent(cl.name, r)
	then := func(summary string, ok bool, ev timeline.Event) {
		p.panel.done(req, ev)
		p.c.result(summary, ok)
		p.report(ev)
	}
	if cl.agent.Kind == "" {
		p.call("do", "", r, func(summary string, ok bool, ev timeline.Event) {
			then(cl.label+": "+r.Method+" "+r.Path+": "+summary, ok, ev)
		})
		return
	}
	if !p.made[cl.name] {
		// Made once for the page's life, as a program's own agent is;
		// a new run only drops its connections.
		opts, _ := json.Marshal(map[string]any{"nodeAgent": cl.agent, "server": p.sc.Server})
		p.api.Call("pool", cl.name, string(opts))
		p.made[cl.name] = true
	}
	p.call("doOn", cl.name, r, func(summary string, ok bool, ev timeline.Event) {
		then(cl.label+": "+summary, ok, ev)
	})
}

// call runs one request in pool.wasm (fn "do" for the composer's pool,
// "doOn" with the pool's name for a scenario's); then runs on the loop
// with the summary line and the outcome event.
func (p *pooled) call(fn, name string, r scenario.Request, then func(summary string, ok bool, ev timeline.Event)) {
	header := map[string][]string{}
	for k, v := range r.Headers {
		header[k] = []string{v}
	}
	hj, _ := json.Marshal(header)
	var done js.Func
	done = js.FuncOf(func(_ js.Value, args []js.Value) any {
		summary, ok, outcome := args[0].String(), args[1].Bool(), args[2].String()
		p.loop.Post(func() {
			done.Release()
			var ev timeline.Event
			if err := json.Unmarshal([]byte(outcome), &ev); err != nil {
				js.Global().Get("console").Call("warn", "pool sent a bad outcome:", err.Error())
				return
			}
			then(summary, ok, ev)
		})
		return nil
	})
	args := []any{r.Method, r.Path, string(hj), r.Body, done}
	if fn == "doOn" {
		args = append([]any{name}, args...)
	}
	p.api.Call(fn, args...)
}

// deliver passes the pool what concerns its connections.
func (p *pooled) deliver(m wire.Msg) {
	if p.state != poolReady {
		return
	}
	switch {
	case m.Type == wire.Ev && !p.owns(m.Event.Conn):
		return
	case m.Type == wire.EOF && !p.owns(m.Conn):
		return
	}
	data, err := wire.Encode(m)
	if err != nil {
		return
	}
	p.api.Call("deliver", string(data))
}

// event passes a timeline event to the pool.
func (p *pooled) event(ev timeline.Event) { p.deliver(wire.Msg{Type: wire.Ev, Event: &ev}) }

// reset: a new run of sc started; the backend dropped every connection.
// The run's own pool steps start here when run says the load is a run,
// whose steps go now.
func (p *pooled) reset(sc scenario.Scenario, run bool) {
	p.gen++
	p.script = nil
	p.sc = sc
	p.panel.reset(sc)
	if p.state == poolReady {
		p.api.Call("abandon", "a new run started")
	}
	switch {
	case run:
		p.runScript(sc)
	case p.state == poolNotLoaded && len(wire.PoolSteps(&sc)) > 0:
		// A scenario with pool steps is on screen: load the client now,
		// so that Run starts its steps on time, not a load later.
		p.load()
	}
}
