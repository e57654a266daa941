package main

import (
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/keepalive-playground/playground/wasm/dom"
)

// noticeFor is how long a notice stays up.
const noticeFor = 4 * time.Second

// notifier is what a part of the page needs to tell the person something:
// a problem in the banner, which stays until closed, or a notice, which
// goes away by itself.
type notifier interface {
	showError(msg string)
	notice(msg string, actions ...noticeAction)
}

// noticeAction is a button in a notice.
type noticeAction struct {
	label string
	do    func()
}

// messages owns the error banner and the notice line. Its state is the
// loop goroutine's.
type messages struct {
	loop    *dom.Loop
	noticeT *time.Timer
	connErr bool // the banner is about the connection
}

func newMessages(loop *dom.Loop, ls *dom.Listeners) *messages {
	m := &messages{loop: loop}
	ls.On(dom.ByID("error-close"), "click", func(js.Value) { m.clearError() })
	return m
}

func (m *messages) showError(msg string) {
	m.connErr = false
	dom.SetText(dom.ByID("error-text"), msg)
	dom.ByID("error").Set("hidden", false)
}

// showConnError shows a problem with the connection to the playground,
// which reconnecting clears.
func (m *messages) showConnError(msg string) {
	m.showError(msg)
	m.connErr = true
}

func (m *messages) clearError() { dom.ByID("error").Set("hidden", true) }

// clearConnError clears the banner if it is about the connection.
func (m *messages) clearConnError() {
	if m.connErr {
		m.clearError()
	}
}

// notice shows a short message that goes away by itself.
func (m *messages) notice(msg string, actions ...noticeAction) {
	n := dom.ByID("notice")
	dom.Clear(n)
	dom.Append(n, msg)
	for _, act := range actions {
		b := dom.El("button", []dom.Attr{dom.A("type", "button")}, act.label)
		ls := dom.NewListeners(m.loop)
		ls.On(b, "click", func(js.Value) {
			ls.Release()
			n.Set("hidden", true)
			act.do()
		})
		dom.Append(n, " ")
		dom.Append(n, b)
	}
	n.Set("hidden", false)
	if m.noticeT != nil {
		m.noticeT.Stop()
	}
	wait := noticeFor
	if len(actions) > 0 {
		wait *= 3
	}
	m.noticeT = time.AfterFunc(wait, func() { m.loop.Post(func() { n.Set("hidden", true) }) })
}

// copyLines puts text (the what, "program", "transcript of A") on the
// clipboard and says how it went.
func copyLines(loop *dom.Loop, say notifier, text, what string) {
	ok := copyText(loop, text,
		func() {
			say.notice("The " + what + " is copied to the clipboard (" + strconv.Itoa(strings.Count(text, "\n")+1) + " lines).")
		},
		func() { say.notice("The clipboard refused: select the " + what + " and copy it.") })
	if !ok {
		say.notice("The clipboard is not available here: select the " + what + " and copy it.")
	}
}

// copyText puts text on the clipboard and calls copied or refused on the
// loop once the browser answers; false when there is no clipboard here.
func copyText(loop *dom.Loop, text string, copied, refused func()) bool {
	clip := js.Global().Get("navigator").Get("clipboard")
	if clip.IsUndefined() || clip.IsNull() {
		return false
	}
	var done, fail js.Func
	release := func() { done.Release(); fail.Release() }
	done = js.FuncOf(func(js.Value, []js.Value) any {
		loop.Post(func() { release(); copied() })
		return nil
	})
	fail = js.FuncOf(func(js.Value, []js.Value) any {
		loop.Post(func() { release(); refused() })
		return nil
	})
	clip.Call("writeText", text).Call("then", done, fail)
	return true
}
