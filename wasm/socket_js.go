package main

import (
	"syscall/js"
	"time"

	"github.com/keepalive-playground/playground/wasm/client"
	"github.com/keepalive-playground/playground/wasm/dom"
	"github.com/keepalive-playground/playground/wire"
)

// socketHost is what the socket tells the page: conn's state changed
// (connecting, open with hello said), a message came, it closed (conn
// says why, and whether a retry is due).
type socketHost interface {
	socketChanged()
	socketMessage(m wire.Msg)
	socketClosed()
}

// socket owns the page's WebSocket to the session: one at a time, kept
// alive across backend restarts (conn's retry schedule). Whether the
// socket is this program's own or the one main.js opened while the
// program loaded, it enters by one path, attach: the same three handlers
// take its open, its messages and its close, and what main.js received
// before the handoff is handed to them in order. Its callbacks only post
// to the loop.
type socket struct {
	loop  *dom.Loop
	url   string
	conn  *client.Conn
	host  socketHost
	say   notifier
	ws    js.Value
	ls    *dom.Listeners
	retry *time.Timer
}

// earlySocket is main.js's socket as handed over (see its comment): open
// with hello said (helloSent), with the messages received so far.
type earlySocket struct {
	ws        js.Value
	helloSent bool
	messages  []string
}

func newSocket(loop *dom.Loop, url string, conn *client.Conn, host socketHost, say notifier) *socket {
	return &socket{loop: loop, url: url, conn: conn, host: host, say: say, ws: js.Undefined()}
}

// connect opens a new WebSocket, or takes the one main.js opened while
// the program loaded.
func (s *socket) connect() {
	if early, ok := s.takeEarly(); ok {
		s.attach(early)
		return
	}
	s.attach(earlySocket{ws: js.Global().Get("WebSocket").New(s.url)})
}

// attach makes ws the page's socket: its events from now on, and those
// it had before (e), go to the same handlers.
func (s *socket) attach(e earlySocket) {
	ws := e.ws
	s.ws = ws
	s.ls = dom.NewListeners(s.loop)
	s.ls.On(ws, "open", func(js.Value) {
		if ws.Equal(s.ws) {
			s.opened(true)
		}
	})
	s.ls.On(ws, "message", func(ev js.Value) {
		if ws.Equal(s.ws) {
			s.message(ev.Get("data").String())
		}
	})
	s.ls.On(ws, "close", func(ev js.Value) {
		if ws.Equal(s.ws) {
			s.closed(ev.Get("code").Int(), ev.Get("reason").String())
		}
	})
	if e.helloSent {
		// main.js said hello; the replies so far are handled in order.
		s.opened(false)
		for _, data := range e.messages {
			if !ws.Equal(s.ws) {
				break // a message ended this socket
			}
			s.message(data)
		}
	}
	s.host.socketChanged()
}

// opened is the socket's open; sayHello is false for main.js's socket,
// which said hello (and marked the time) itself.
func (s *socket) opened(sayHello bool) {
	if sayHello {
		js.Global().Get("performance").Call("mark", "kap:ws-open")
	}
	s.conn.Opened()
	if sayHello {
		s.send(client.Hello())
	}
	s.host.socketChanged()
}

// message handles one message from the backend.
func (s *socket) message(data string) {
	m, err := wire.Decode([]byte(data))
	if err != nil {
		js.Global().Get("console").Call("warn", "bad message from server:", err.Error())
		s.say.showError("The server sent a message this page does not understand. Reload the page.")
		return
	}
	s.host.socketMessage(m)
}

func (s *socket) closed(code int, reason string) {
	s.drop()
	s.conn.Closed(code, reason, time.Now())
	if s.conn.State == client.Waiting {
		s.retry = time.AfterFunc(time.Until(s.conn.RetryAt), func() { s.loop.Post(s.reconnect) })
	}
	s.host.socketClosed()
}

// takeEarly takes the socket main.js opened, once: ok false when there
// is none to take, it already failed, or it is not for this page's
// address.
func (s *socket) takeEarly() (earlySocket, bool) {
	take := js.Global().Get("kapTakeSocket")
	if take.Type() != js.TypeFunction {
		return earlySocket{}, false
	}
	early := take.Invoke()
	if !early.Truthy() {
		return earlySocket{}, false
	}
	e := earlySocket{ws: early.Get("ws")}
	if e.ws.Get("url").String() != s.url || e.ws.Get("readyState").Int() > 1 { // closing or closed
		e.ws.Call("close")
		return earlySocket{}, false
	}
	if !early.Get("helloSent").Bool() {
		return e, true // not yet open: the open handler says hello
	}
	e.helloSent = true
	msgs := early.Get("messages")
	for i := range msgs.Length() {
		e.messages = append(e.messages, msgs.Index(i).String())
	}
	return e, true
}

// reconnect opens a new socket, now, when the last one is gone.
func (s *socket) reconnect() {
	if s.conn.State != client.Waiting && s.conn.State != client.Stopped {
		return
	}
	if s.retry != nil {
		s.retry.Stop()
	}
	s.conn.Retry()
	s.connect()
}

// drop forgets the current socket and releases its callbacks.
func (s *socket) drop() {
	if s.ws.IsUndefined() || s.ws.IsNull() {
		return
	}
	s.ls.Release()
	s.ws.Call("close")
	s.ws = js.Undefined()
}

// send writes one message; false when there is no open socket.
func (s *socket) send(m wire.Msg) bool {
	if s.ws.IsUndefined() || s.ws.IsNull() || s.ws.Get("readyState").Int() != 1 {
		return false
	}
	data, err := wire.Encode(m)
	if err != nil {
		js.Global().Get("console").Call("warn", "encode message:", err.Error())
		return false
	}
	s.ws.Call("send", string(data))
	return true
}
