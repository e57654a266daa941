// Command poolwasm is the pooled client: Go's own net/http client over the
// playground's virtual connections (package pool), built as a wasm program
// of its own. The page loads it only when a person first sends a request
// through the pooled client, because net/http's Transport (with crypto/tls
// and HTTP/2) would double the size of the page's first download.
//
// It talks to the page's main program through JavaScript functions: the
// page provides globalThis.kapPoolSend(message) before starting it, and it
// provides globalThis.kapPool = {deliver, do, closeIdle, abandon} and then
// calls globalThis.kapPoolReady().
package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
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

func main() {
	send := js.Global().Get("kapPoolSend")
	p := pool.New(func(m wire.Msg) {
		data, err := wire.Encode(m)
		if err != nil {
			js.Global().Get("console").Call("warn", "pool: encode:", err.Error())
			return
		}
		// The page's function only queues the message: it never blocks.
		send.Invoke(string(data))
	}, pool.Options{Prefix: client.PoolPrefix, IdleConnTimeout: pool.DefaultIdleConnTimeout})

	api := js.Global().Get("Object").New()
	// The functions live as long as the page: they are never released.
	api.Set("deliver", js.FuncOf(func(_ js.Value, args []js.Value) any {
		m, err := wire.Decode([]byte(args[0].String()))
		if err == nil {
			p.Deliver(m)
		}
		return nil
	}))
	api.Set("do", js.FuncOf(func(_ js.Value, args []js.Value) any {
		method, path, body, done := args[0].String(), args[1].String(), args[3].String(), args[4]
		var header http.Header
		if err := json.Unmarshal([]byte(args[2].String()), &header); err != nil {
			header = nil
		}
		// Do blocks: never inside a callback.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			r := p.Do(ctx, method, path, header, body)
			done.Invoke(r.Summary(), r.Err == "")
		}()
		return nil
	}))
	api.Set("closeIdle", js.FuncOf(func(js.Value, []js.Value) any {
		p.CloseIdle()
		return nil
	}))
	api.Set("abandon", js.FuncOf(func(_ js.Value, args []js.Value) any {
		p.Abandon(errors.New(args[0].String()))
		return nil
	}))
	js.Global().Set("kapPool", api)
	js.Global().Call("kapPoolReady")
	select {}
}
