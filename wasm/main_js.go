// Command wasm is the playground's browser client, built with GOOS=js
// GOARCH=wasm. It opens the WebSocket to the backend, keeps it alive across
// backend restarts, and draws what the backend reports.
//
// Threading: JavaScript callbacks (js.FuncOf) never block and never touch
// the DOM; they only queue an input and wake the main loop. The main loop
// is the one goroutine that touches the DOM and the WebSocket, and it
// redraws on requestAnimationFrame.
package main

import (
	"syscall/js"
	"time"

	"github.com/keepalive-playground/playground/wasm/client"
	"github.com/keepalive-playground/playground/wire"
)

// pingEvery measures the round trip now and then while connected; it is
// not a keep-alive (the backend pings at the WebSocket level).
const pingEvery = 30 * time.Second

func main() {
	a := newApp()
	if err := a.start(); err != nil {
		a.fatal(err)
		select {} // keep the page's error visible; nothing else runs
	}
	a.loop()
}

// input is one thing that happened outside the main loop.
type input struct {
	kind   string // "open", "message", "close", "frame", "retry", "click"
	sock   js.Value
	data   string
	code   int
	reason string
	id     string
}

type app struct {
	doc  js.Value
	root js.Value
	q    *queue

	conn    *client.Conn
	ws      js.Value
	wsFuncs []wsFunc
	wsURL   string

	events   int
	dirty    bool
	frameReq bool
	rafFunc  js.Func
	nextPing time.Time
	retry    *time.Timer

	ui ui
}

func newApp() *app {
	doc := js.Global().Get("document")
	return &app{
		doc:  doc,
		root: doc.Get("documentElement"),
		q:    newQueue(),
		conn: client.NewConn(),
	}
}

func (a *app) start() error {
	u, err := client.URL(js.Global().Get("location").Get("href").String())
	if err != nil {
		return err
	}
	a.wsURL = u
	a.rafFunc = js.FuncOf(func(js.Value, []js.Value) any {
		a.q.push(input{kind: "frame"})
		return nil
	})
	a.ui.bind(a)
	a.connect()
	return nil
}

// loop is the one goroutine that touches the DOM and the WebSocket.
func (a *app) loop() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-a.q.wake:
		case <-tick.C:
			a.dirty = true // the retry countdown
		}
		for _, in := range a.q.take() {
			a.handle(in)
		}
		if a.conn.State == client.Connected && time.Now().After(a.nextPing) {
			a.send(a.conn.Ping(time.Now()))
			a.nextPing = time.Now().Add(pingEvery)
		}
		if a.dirty && !a.frameReq {
			a.frameReq = true
			js.Global().Call("requestAnimationFrame", a.rafFunc)
		}
	}
}

func (a *app) handle(in input) {
	switch in.kind {
	case "frame":
		a.frameReq = false
		a.dirty = false
		a.ui.render(a)
		return
	case "open":
		if !in.sock.Equal(a.ws) {
			return
		}
		a.conn.Opened()
		a.send(client.Hello())
	case "message":
		if !in.sock.Equal(a.ws) {
			return
		}
		m, err := wire.Decode([]byte(in.data))
		if err != nil {
			a.ui.showError("The server sent a message this page does not understand. Reload the page.")
			js.Global().Get("console").Call("warn", "bad message from server:", err.Error())
			break
		}
		a.receive(m)
	case "close":
		if !in.sock.Equal(a.ws) {
			return
		}
		a.dropSocket()
		a.conn.Closed(in.code, in.reason, time.Now())
		if !a.conn.EverConnected && a.conn.Attempt >= 3 {
			a.root.Get("dataset").Set("state", "error")
		}
		if a.conn.State == client.Waiting {
			wait := time.Until(a.conn.RetryAt)
			a.retry = time.AfterFunc(wait, func() { a.q.push(input{kind: "retry"}) })
		}
	case "retry":
		if a.conn.State == client.Waiting || a.conn.State == client.Stopped {
			if a.retry != nil {
				a.retry.Stop()
			}
			a.conn.Retry()
			a.connect()
		}
	}
	a.dirty = true
}

func (a *app) receive(m wire.Msg) {
	a.conn.Received(m, time.Now())
	switch m.Type {
	case wire.Ready:
		a.root.Get("dataset").Set("state", "ready")
		a.ui.clearError()
		a.nextPing = time.Time{} // measure the round trip at once
	case wire.Ev:
		a.events++
	case wire.Error:
		a.ui.showError(m.Message)
	}
}

// connect opens a new WebSocket; its callbacks only queue inputs.
func (a *app) connect() {
	ws := js.Global().Get("WebSocket").New(a.wsURL)
	a.ws = ws
	on := func(name string, f func(ev js.Value) input) {
		fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
			in := f(args[0])
			in.sock = ws
			a.q.push(in)
			return nil
		})
		a.wsFuncs = append(a.wsFuncs, wsFunc{name, fn})
		ws.Call("addEventListener", name, fn)
	}
	on("open", func(js.Value) input { return input{kind: "open"} })
	on("message", func(ev js.Value) input { return input{kind: "message", data: ev.Get("data").String()} })
	on("close", func(ev js.Value) input {
		return input{kind: "close", code: ev.Get("code").Int(), reason: ev.Get("reason").String()}
	})
	a.dirty = true
}

type wsFunc struct {
	name string
	fn   js.Func
}

// dropSocket forgets the current socket and releases its callbacks.
func (a *app) dropSocket() {
	if a.ws.IsUndefined() || a.ws.IsNull() {
		return
	}
	for _, f := range a.wsFuncs {
		a.ws.Call("removeEventListener", f.name, f.fn)
		f.fn.Release()
	}
	a.ws.Call("close")
	a.ws = js.Undefined()
	a.wsFuncs = nil
}

func (a *app) send(m wire.Msg) {
	if a.ws.IsUndefined() || a.ws.Get("readyState").Int() != 1 {
		return
	}
	data, err := wire.Encode(m)
	if err != nil {
		js.Global().Get("console").Call("warn", "encode message:", err.Error())
		return
	}
	a.ws.Call("send", string(data))
}

func (a *app) fatal(err error) {
	a.root.Get("dataset").Set("state", "error")
	a.ui.bind(a)
	a.ui.showError("The playground could not start: " + err.Error())
	a.ui.render(a)
}
