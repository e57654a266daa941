package main

import (
	"fmt"
	"syscall/js"
	"time"

	"github.com/keepalive-playground/playground/wasm/client"
)

// ui holds the page's elements. Only the main loop calls its methods.
type ui struct {
	status, session, events, errBox, errText, retryBtn js.Value
	clicks                                             []js.Func
	last                                               string
}

func (u *ui) bind(a *app) {
	if !u.status.IsUndefined() && !u.status.IsNull() {
		return
	}
	byID := func(id string) js.Value { return a.doc.Call("getElementById", id) }
	u.status = byID("conn-status")
	u.session = byID("conn-session")
	u.events = byID("event-count")
	u.errBox = byID("error")
	u.errText = byID("error-text")
	u.retryBtn = byID("reconnect")
	if !u.retryBtn.IsNull() {
		fn := js.FuncOf(func(js.Value, []js.Value) any {
			a.q.push(input{kind: "retry"})
			return nil
		})
		u.clicks = append(u.clicks, fn)
		u.retryBtn.Call("addEventListener", "click", fn)
	}
}

// render draws the current state; it runs on requestAnimationFrame.
func (u *ui) render(a *app) {
	if u.status.IsNull() {
		return
	}
	now := time.Now()
	text := a.conn.Status(now)
	if text != u.last {
		u.status.Set("textContent", text)
		u.last = text
	}
	u.status.Get("dataset").Set("conn", a.conn.State.String())
	if a.conn.RTT > 0 {
		u.status.Get("dataset").Set("rtt", fmt.Sprintf("%.3f", float64(a.conn.RTT.Microseconds())/1000))
	}
	if !u.session.IsNull() {
		u.session.Set("textContent", a.conn.Session)
	}
	if !u.events.IsNull() {
		u.events.Set("textContent", fmt.Sprint(a.events))
	}
	if !u.retryBtn.IsNull() {
		u.retryBtn.Set("hidden", a.conn.State == client.Connected || a.conn.State == client.Connecting)
	}
}

func (u *ui) showError(msg string) {
	if u.errBox.IsUndefined() || u.errBox.IsNull() {
		return
	}
	u.errText.Set("textContent", msg)
	u.errBox.Set("hidden", false)
}

func (u *ui) clearError() {
	if u.errBox.IsUndefined() || u.errBox.IsNull() {
		return
	}
	u.errBox.Set("hidden", true)
}
