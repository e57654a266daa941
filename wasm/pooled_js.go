package main

import (
	"encoding/json"
	"strings"
	"syscall/js"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/client"
	"github.com/keepalive-playground/playground/wire"
)

// pooled sends composer requests through Go's own net/http client over
// virtual connections. That client is a wasm program of its own
// (wasm/poolwasm), loaded the first time it is needed; until then
// requests wait in a queue.
type pooled struct {
	a     *app
	c     *composer
	state poolLoad
	queue []scenario.Request
	api   js.Value
	// loading is the composer's "Loading…" line, removed once loaded.
	loading js.Value
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

func newPooled(a *app, c *composer) *pooled { return &pooled{a: a, c: c} }

func (p *pooled) do(r scenario.Request) {
	switch p.state {
	case poolFailed:
		p.c.showError("The pooled client could not be loaded; reload the page to try again.")
		return
	case poolReady:
		p.send(r)
		return
	}
	p.queue = append(p.queue, r)
	if p.state == poolNotLoaded {
		p.load()
	}
}

// load fetches and starts pool.wasm. Its callbacks only post to the loop.
func (p *pooled) load() {
	p.state = poolLoading
	p.loading = p.c.result("Loading Go's net/http client…", true)
	p.loading.Get("dataset").Set("loading", "true")
	url := p.a.root.Get("dataset").Get("poolWasm")
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
		p.a.loop.Post(func() {
			m, err := wire.Decode([]byte(data))
			if err != nil {
				js.Global().Get("console").Call("warn", "pool sent a bad message:", err.Error())
				return
			}
			if !p.a.send(m) {
				p.c.showError("Not connected to the playground.")
			}
		})
	}))
	js.Global().Set("kapPoolReady", fn(func([]js.Value) {
		p.a.loop.Post(p.ready)
	}))
	inst := js.Global().Get("Go").New()
	started := fn(func(args []js.Value) {
		// run resolves only when the program exits, which it never should.
		inst.Call("run", args[0].Get("instance"))
	})
	failed := fn(func(args []js.Value) {
		msg := args[0].Call("toString").String()
		p.a.loop.Post(func() { p.failed(msg) })
	})
	wasm := js.Global().Get("WebAssembly")
	wasm.Call("instantiateStreaming", js.Global().Call("fetch", url), inst.Get("importObject")).
		Call("then", started).Call("catch", failed)
}

func (p *pooled) ready() {
	p.state = poolReady
	p.api = js.Global().Get("kapPool")
	p.loaded()
	q := p.queue
	p.queue = nil
	for _, r := range q {
		p.send(r)
	}
}

func (p *pooled) failed(why string) {
	p.state = poolFailed
	p.queue = nil
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

// send hands one request to the pool; the answer comes back as a line in
// the composer.
func (p *pooled) send(r scenario.Request) {
	header := map[string][]string{}
	for k, v := range r.Headers {
		header[k] = []string{v}
	}
	hj, _ := json.Marshal(header)
	var done js.Func
	done = js.FuncOf(func(_ js.Value, args []js.Value) any {
		summary, ok := args[0].String(), args[1].Bool()
		p.a.loop.Post(func() {
			done.Release()
			p.c.result(summary, ok)
		})
		return nil
	})
	p.api.Call("do", r.Method, r.Path, string(hj), r.Body, done)
}

// deliver passes the pool what concerns its connections.
func (p *pooled) deliver(m wire.Msg) {
	if p.state != poolReady {
		return
	}
	switch {
	case m.Type == wire.Ev && !strings.HasPrefix(m.Event.Conn, client.PoolPrefix):
		return
	case m.Type == wire.EOF && !strings.HasPrefix(m.Conn, client.PoolPrefix):
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

// reset: a new run started; the backend dropped every connection.
func (p *pooled) reset() {
	if p.state == poolReady {
		p.api.Call("abandon", "a new run started")
	}
}
