// Command poolwasm is the pooled client: Go's own net/http client over the
// playground's virtual connections (package pool), built as a wasm program
// of its own. The page loads it only when a person first sends a request
// through the pooled client, because net/http's Transport (with crypto/tls
// and HTTP/2) would double the size of the page's first download.
//
// It talks to the page's main program through JavaScript functions: the
// page provides globalThis.kapPoolSend(message) before starting it, and it
// provides globalThis.kapPool = {deliver, do, closeIdle, abandon, pool,
// doOn} and then calls globalThis.kapPoolReady(). do is the composer's
// pool; pool(name, options) makes a scenario's (client.pools, kind go)
// and doOn(name, …) sends through it. Each request's done(summary, ok,
// outcome) gets the outcome event as JSON for the page to report.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"syscall/js"
	"time"

	"github.com/keepalive-playground/playground/wasm/client"
	"github.com/keepalive-playground/playground/wasm/pool"
	"github.com/keepalive-playground/playground/wire"
)

// requestTimeout bounds one pooled request, so a request to a server
// that never answers (a slow route, a dead connection) ends with the
// client's own timeout error.
const requestTimeout = 30 * time.Second

// poolOptions are a scenario pool's knobs as the page passes them.
type poolOptions struct {
	IdleConnTimeoutMs   int  `json:"idleConnTimeoutMs"`
	MaxIdleConnsPerHost int  `json:"maxIdleConnsPerHost"`
	DisableKeepAlives   bool `json:"disableKeepAlives"`
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
	p := pool.New(send, pool.Options{Prefix: client.PoolPrefix, IdleConnTimeout: pool.DefaultIdleConnTimeout})
	// The scenario's pools, by name; JavaScript calls run on one
	// goroutine, the requests' done callbacks on others.
	var mu sync.Mutex
	named := map[string]*pool.Pool{}
	each := func(f func(*pool.Pool)) {
		mu.Lock()
		ps := []*pool.Pool{p}
		for _, q := range named {
			ps = append(ps, q)
		}
		mu.Unlock()
		for _, q := range ps {
			f(q)
		}
	}
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
			each(func(q *pool.Pool) { q.Deliver(m) })
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
		q := pool.New(send, pool.Options{
			Prefix:              name,
			IdleConnTimeout:     time.Duration(o.IdleConnTimeoutMs) * time.Millisecond,
			MaxIdleConnsPerHost: o.MaxIdleConnsPerHost,
			DisableKeepAlives:   o.DisableKeepAlives,
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
		mu.Unlock()
		if q == nil {
			outcome, _ := json.Marshal(pool.Result{Err: "no pool " + name}.Outcome(name, args[1].String(), args[2].String()))
			args[5].Invoke("no pool "+name, false, string(outcome))
			return nil
		}
		do(q, name, args[1:])
		return nil
	}))
	api.Set("closeIdle", js.FuncOf(func(js.Value, []js.Value) any {
		p.CloseIdle()
		return nil
	}))
	api.Set("abandon", js.FuncOf(func(_ js.Value, args []js.Value) any {
		why := errors.New(args[0].String())
		each(func(q *pool.Pool) { q.Abandon(why) })
		return nil
	}))
	js.Global().Set("kapPool", api)
	js.Global().Call("kapPoolReady")
	select {}
}
