// Command poolwasm is the pooled client: Go's own net/http client over the
// playground's virtual connections (package pool), built as a wasm program
// of its own. The page loads it only when a person first sends a request
// through the pooled client, because net/http's Transport (with crypto/tls
// and HTTP/2) would double the size of the page's first download.
//
// It talks to the page's main program through JavaScript functions: the
// page provides globalThis.kapPoolSend(message) before starting it, and it
// provides globalThis.kapPool = {deliver, do, closeIdle, abandon, pool,
// doOn, watch} and then calls globalThis.kapPoolReady(). do is the
// composer's Go pool; pool(name, options) makes a named one (a scenario's
// client.pools, or one of the composer's Node agents) and doOn(name, …)
// sends through it. Each request's done(summary, ok, outcome) gets the
// outcome event as JSON for the page to report. watch(fn) has fn called
// with every pool's sockets (JSON, []pool.PoolState) after they change.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"syscall/js"
	"time"

	"github.com/keepalive-playground/playground/nodeagent"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/client"
	"github.com/keepalive-playground/playground/wasm/pool"
	"github.com/keepalive-playground/playground/wire"
)

// requestTimeout bounds one pooled request, so a request to a server
// that never answers (a slow route, a dead connection) ends with the
// client's own timeout error.
const requestTimeout = 30 * time.Second

// stateEvery spaces the pool-state reports: a burst of socket changes
// (a run's steps, a trace) is one report, and the page counts timers
// down on its own between reports.
const stateEvery = 30 * time.Millisecond

// poolOptions are a scenario pool's knobs as the page passes them. A
// node-agent pool comes whole, with the server whose line it may take.
type poolOptions struct {
	IdleConnTimeoutMs   int  `json:"idleConnTimeoutMs"`
	MaxIdleConnsPerHost int  `json:"maxIdleConnsPerHost"`
	DisableKeepAlives   bool `json:"disableKeepAlives"`
	LinkDelayMs         int  `json:"linkDelayMs"`

	NodeAgent *scenario.Pool  `json:"nodeAgent,omitempty"`
	Server    scenario.Server `json:"server"`
}

// agentPool is a node-agent pool: Node's http.Agent (nodeagent) over
// virtual connections.
type agentPool struct {
	d *pool.Dialer
	a *nodeagent.Agent
}

func main() {
	jsSend := js.Global().Get("kapPoolSend")
	send := func(m wire.Msg) {
		data, err := wire.Encode(m)
		if err != nil {
			js.Global().Get("console").Call("warn", "pool: encode:", err.Error())
			return
		}
		// The page's function only queues the message: it never blocks.
		jsSend.Invoke(string(data))
	}
	// changed wakes the state reporter; a pool's OnChange runs on any
	// goroutine and must not block.
	changed := make(chan struct{}, 1)
	onChange := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	p := pool.New(send, pool.Options{Prefix: client.PoolPrefix, IdleConnTimeout: pool.DefaultIdleConnTimeout, OnChange: onChange})
	// The scenario's pools, by name; JavaScript calls run on one
	// goroutine, the requests' done callbacks on others.
	var mu sync.Mutex
	named := map[string]*pool.Pool{}
	agents := map[string]agentPool{}
	each := func(f func(*pool.Pool), g func(agentPool)) {
		mu.Lock()
		ps := []*pool.Pool{p}
		for _, q := range named {
			ps = append(ps, q)
		}
		var as []agentPool
		for _, a := range agents {
			as = append(as, a)
		}
		mu.Unlock()
		for _, q := range ps {
			f(q)
		}
		for _, a := range as {
			g(a)
		}
	}
	// forgotten are the sockets of earlier runs, by pool: abandon
	// forgets them, so the page's panel shows this run's alone.
	forgotten := map[any]map[string]bool{}
	keep := func(key any, st pool.PoolState) pool.PoolState {
		f := forgotten[key]
		st.Sockets = slices.DeleteFunc(st.Sockets, func(v pool.SocketView) bool { return f[v.Label] })
		return st
	}
	// states is every pool's sockets, the composer's Go pool first, then
	// by name.
	states := func() []pool.PoolState {
		mu.Lock()
		defer mu.Unlock()
		out := []pool.PoolState{keep(p, p.State(client.PoolPrefix))}
		for _, n := range slices.Sorted(maps.Keys(named)) {
			out = append(out, keep(named[n], named[n].State(n)))
		}
		for _, n := range slices.Sorted(maps.Keys(agents)) {
			out = append(out, keep(agents[n].a, pool.AgentState(n, agents[n].a.Sockets())))
		}
		return out
	}
	var watchMu sync.Mutex
	var watcher js.Value
	go func() {
		for range changed {
			watchMu.Lock()
			fn := watcher
			watchMu.Unlock()
			if fn.Truthy() {
				data, _ := json.Marshal(states())
				fn.Invoke(string(data))
			}
			time.Sleep(stateEvery)
		}
	}()
	do := func(q *pool.Pool, name string, args []js.Value) {
		method, path, body, done := args[0].String(), args[1].String(), args[3].String(), args[4]
		var header http.Header
		if err := json.Unmarshal([]byte(args[2].String()), &header); err != nil {
			header = nil
		}
		// Do blocks: never inside a callback.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			r := q.Do(ctx, method, path, header, body)
			outcome, _ := json.Marshal(r.Outcome(name, method, path))
			done.Invoke(r.Summary(), r.Err == "", string(outcome))
		}()
	}

	api := js.Global().Get("Object").New()
	// The functions live as long as the page: they are never released.
	api.Set("deliver", js.FuncOf(func(_ js.Value, args []js.Value) any {
		m, err := wire.Decode([]byte(args[0].String()))
		if err == nil {
			each(func(q *pool.Pool) { q.Deliver(m) }, func(a agentPool) { a.d.Deliver(m) })
		}
		return nil
	}))
	api.Set("do", js.FuncOf(func(_ js.Value, args []js.Value) any {
		do(p, client.PoolPrefix, args)
		return nil
	}))
	api.Set("pool", js.FuncOf(func(_ js.Value, args []js.Value) any {
		name := args[0].String()
		var o poolOptions
		if err := json.Unmarshal([]byte(args[1].String()), &o); err != nil {
			js.Global().Get("console").Call("warn", "pool: options:", err.Error())
		}
		if o.NodeAgent != nil {
			opts, err := nodeagent.FromPool(*o.NodeAgent, o.Server)
			var a *nodeagent.Agent
			d := pool.NewDialer(send, name)
			d.SetLinkDelay(o.NodeAgent.LinkDelay())
			if err == nil {
				a, err = nodeagent.New(opts, d.Dial)
			}
			if err != nil {
				js.Global().Get("console").Call("warn", "pool "+name+":", err.Error())
				return nil
			}
			a.OnChange(onChange)
			mu.Lock()
			old, had := agents[name]
			agents[name] = agentPool{d: d, a: a}
			mu.Unlock()
			if had {
				go old.a.Destroy() // it waits for its sockets: never inside a callback
			}
			return nil
		}
		q := pool.New(send, pool.Options{
			Prefix:              name,
			IdleConnTimeout:     time.Duration(o.IdleConnTimeoutMs) * time.Millisecond,
			MaxIdleConnsPerHost: o.MaxIdleConnsPerHost,
			DisableKeepAlives:   o.DisableKeepAlives,
			LinkDelay:           time.Duration(o.LinkDelayMs) * time.Millisecond,
			OnChange:            onChange,
		})
		mu.Lock()
		old := named[name]
		named[name] = q
		mu.Unlock()
		if old != nil {
			old.Close()
		}
		return nil
	}))
	api.Set("doOn", js.FuncOf(func(_ js.Value, args []js.Value) any {
		name := args[0].String()
		mu.Lock()
		q := named[name]
		ag, isAgent := agents[name]
		mu.Unlock()
		if isAgent {
			method, path, body, done := args[1].String(), args[2].String(), args[4].String(), args[5]
			var header map[string][]string
			json.Unmarshal([]byte(args[3].String()), &header)
			var h [][2]string
			for _, k := range slices.Sorted(maps.Keys(header)) {
				for _, v := range header[k] {
					h = append(h, [2]string{k, v})
				}
			}
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
				defer cancel()
				r := ag.a.Do(ctx, nodeagent.Request{Method: method, Path: path, Header: h, Body: body})
				ev := timeline.Event{Kind: timeline.Outcome, Conn: r.Conn, Pool: name, Method: method, Path: path,
					Status: r.Status, Error: r.Message(), Reused: r.Reused}
				if ev.Error != "" {
					ev.Status = 0
				}
				outcome, _ := json.Marshal(ev)
				done.Invoke(agentSummary(method, path, r), ev.Error == "", string(outcome))
			}()
			return nil
		}
		if q == nil {
			outcome, _ := json.Marshal(pool.Result{Err: "no pool " + name}.Outcome(name, args[1].String(), args[2].String()))
			args[5].Invoke("no pool "+name, false, string(outcome))
			return nil
		}
		do(q, name, args[1:])
		return nil
	}))
	api.Set("watch", js.FuncOf(func(_ js.Value, args []js.Value) any {
		watchMu.Lock()
		watcher = args[0]
		watchMu.Unlock()
		onChange()
		return nil
	}))
	api.Set("closeIdle", js.FuncOf(func(js.Value, []js.Value) any {
		p.CloseIdle()
		return nil
	}))
	api.Set("abandon", js.FuncOf(func(_ js.Value, args []js.Value) any {
		why := errors.New(args[0].String())
		mu.Lock()
		forget := func(key any, st pool.PoolState) {
			if forgotten[key] == nil {
				forgotten[key] = map[string]bool{}
			}
			for _, v := range st.Sockets {
				forgotten[key][v.Label] = true
			}
		}
		forget(p, p.State(client.PoolPrefix))
		for n, q := range named {
			forget(q, q.State(n))
		}
		for n, a := range agents {
			forget(a.a, pool.AgentState(n, a.a.Sockets()))
		}
		mu.Unlock()
		onChange()
		each(func(q *pool.Pool) { q.Abandon(why) }, func(a agentPool) { a.d.Abandon(why) })
		return nil
	}))
	js.Global().Set("kapPool", api)
	js.Global().Call("kapPoolReady")
	select {}
}

// agentSummary is one Node agent request's line, in Node's own words: the
// error as a Node program logs it (err.message, err.code) and
// req.reusedSocket.
func agentSummary(method, path string, r nodeagent.Result) string {
	on := "no socket"
	if r.Conn != "" {
		on = fmt.Sprintf("%s, req.reusedSocket %v", r.Conn, r.Reused)
	}
	if r.Err != "" {
		msg := "Error: " + r.Err
		if r.Code != "" {
			msg += ", code " + r.Code
		}
		return fmt.Sprintf("%s %s → %s (%s)", method, path, msg, on)
	}
	return fmt.Sprintf("%s %s → %d in %s (%s)", method, path, r.Status, r.Elapsed.Round(time.Millisecond), on)
}
