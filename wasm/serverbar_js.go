package main

import (
	"syscall/js"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/wasm/client"
	"github.com/keepalive-playground/playground/wasm/dom"
)

// serverBar owns the strip above the timeline: the runtime chip, the
// knobs, the server's control buttons and its state. control sends one
// server control and reports whether it went out.
type serverBar struct {
	actLs    *dom.Listeners
	control  func(action string) bool
	say      *messages
	runtime  string
	shown    [2]bool
	shownSet bool
}

func newServerBar(loop *dom.Loop, say *messages, control func(action string) bool) *serverBar {
	return &serverBar{actLs: dom.NewListeners(loop), say: say, control: control}
}

// show puts sc's runtime, knobs and controls in the strip (new buttons
// only when the runtime changes), for a fresh server.
func (b *serverBar) show(sc scenario.Scenario) {
	rt := sc.Server.Spec()
	chip := dom.ByID("server-runtime")
	dom.SetText(chip, client.RuntimeChip(rt))
	chip.Call("setAttribute", "title", client.RuntimeTitle(rt))
	chip.Call("setAttribute", "data-runtime", sc.Server.Runtime)
	dom.SetText(dom.ByID("server-knobs"), client.Knobs(sc.Server))
	if sc.Server.Runtime != b.runtime {
		b.runtime = sc.Server.Runtime
		b.shownSet = false // new buttons to enable
		b.actLs.Release()
		box := dom.ByID("server-actions")
		dom.Clear(box)
		for _, ctl := range client.Controls(sc.Server.Runtime) {
			btn := dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("title", ctl.Title), dom.A("data-action", ctl.Action)}, ctl.Label)
			if ctl.Action == scenario.ThenExit || ctl.Action == scenario.ThenCloseAll {
				btn.Call("setAttribute", "class", "danger")
			}
			b.actLs.On(btn, "click", func(js.Value) {
				if !b.control(ctl.Action) {
					b.say.showConnError("Not connected to the playground.")
				}
			})
			dom.Append(box, btn)
		}
	}
	b.state(false, false)
}

// state shows whether the server's listener has closed and its process
// exited; the controls are off once it has.
func (b *serverBar) state(closed, exited bool) {
	if b.shown == [2]bool{closed, exited} && b.shownSet {
		return // called for every event: touch the DOM only on a change
	}
	b.shown, b.shownSet = [2]bool{closed, exited}, true
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
	children := dom.ByID("server-actions").Get("children")
	for i := range children.Length() {
		children.Index(i).Set("disabled", exited)
	}
}

// showHops fills the strip's hops: each hop's idle timeout beside the
// next, with a warning when one is not longer than the one in front of
// it. It follows the scenario as edited, as the Code tab does.
func showHops(sc scenario.Scenario) {
	hops := dom.ByID("server-hops")
	hops.Set("hidden", sc.Proxy == nil)
	dom.Clear(hops)
	if sc.Proxy == nil {
		return
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
