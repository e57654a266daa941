// Package dom is the browser client's small toolkit over syscall/js: the
// main loop that alone touches the DOM, element construction, and event
// listeners that never block and are always released.
//
// The rule it enforces: a JavaScript callback (js.FuncOf) only posts a
// closure to the Loop and returns; the closure runs later on the loop's
// goroutine, which is the only one that touches the DOM. Redraws happen on
// requestAnimationFrame, once per frame, for whoever asked.
package dom

import (
	"sync"
	"syscall/js"
	"time"
)

// Loop runs posted closures and frame callbacks on one goroutine.
type Loop struct {
	mu      sync.Mutex
	q       []func()
	wake    chan struct{}
	frameFn js.Func
	// Owned by the loop goroutine.
	framing bool
	drawers []func()
	dirty   map[int]bool
}

// NewLoop makes a loop; call Run on the goroutine that owns the DOM.
func NewLoop() *Loop {
	l := &Loop{wake: make(chan struct{}, 1), dirty: map[int]bool{}}
	l.frameFn = js.FuncOf(func(js.Value, []js.Value) any {
		l.Post(l.frame)
		return nil
	})
	return l
}

// Post queues fn to run on the loop. It never blocks, so callbacks and
// other goroutines may call it.
func (l *Loop) Post(fn func()) {
	l.mu.Lock()
	l.q = append(l.q, fn)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Run processes posted closures forever.
func (l *Loop) Run() {
	for range l.wake {
		l.mu.Lock()
		q := l.q
		l.q = nil
		l.mu.Unlock()
		for _, fn := range q {
			fn()
		}
	}
}

// Drawer registers a draw function and returns its id for Invalidate.
// Loop goroutine only.
func (l *Loop) Drawer(draw func()) int {
	l.drawers = append(l.drawers, draw)
	return len(l.drawers) - 1
}

// Invalidate asks for drawer id to run on the next animation frame.
// Loop goroutine only.
func (l *Loop) Invalidate(id int) {
	l.dirty[id] = true
	if !l.framing {
		l.framing = true
		js.Global().Call("requestAnimationFrame", l.frameFn)
	}
}

func (l *Loop) frame() {
	l.framing = false
	dirty := l.dirty
	l.dirty = map[int]bool{}
	for id := range l.drawers {
		if dirty[id] {
			l.drawers[id]()
		}
	}
}

// Listeners holds event listeners so they can be released together.
type Listeners struct {
	loop *Loop
	regs []reg
}

type reg struct {
	target js.Value
	event  string
	fn     js.Func
}

// NewListeners makes a set whose handlers run on loop.
func NewListeners(loop *Loop) *Listeners { return &Listeners{loop: loop} }

// On adds a listener. The handler runs on the loop with the event; the
// event was already dispatched by then, so handlers that must cancel the
// default action say so with prevent (called synchronously in the
// callback, which does not block).
func (ls *Listeners) On(target js.Value, event string, handler func(ev js.Value), prevent ...func(ev js.Value) bool) {
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		var ev js.Value
		if len(args) > 0 {
			ev = args[0]
		}
		for _, p := range prevent {
			if p(ev) {
				ev.Call("preventDefault")
			}
		}
		ls.loop.Post(func() { handler(ev) })
		return nil
	})
	target.Call("addEventListener", event, fn)
	ls.regs = append(ls.regs, reg{target, event, fn})
}

// Always is a prevent func that always cancels the default action.
func Always(js.Value) bool { return true }

// Release removes every listener and frees its function.
func (ls *Listeners) Release() {
	for _, r := range ls.regs {
		r.target.Call("removeEventListener", r.event, r.fn)
		r.fn.Release()
	}
	ls.regs = nil
}

// Doc is the document.
func Doc() js.Value { return js.Global().Get("document") }

// ByID finds an element by id (null when missing).
func ByID(id string) js.Value { return Doc().Call("getElementById", id) }

// Attr is one attribute for El; a name starting with "." sets a property
// instead (".textContent", ".value", ".checked").
type Attr struct {
	Name string
	Val  any
}

// A makes an attribute.
func A(name string, val any) Attr { return Attr{name, val} }

// Text makes a text node.
func Text(s string) js.Value { return Doc().Call("createTextNode", s) }

// El creates an element with attributes and children (js.Value nodes or
// strings, which become text).
func El(tag string, attrs []Attr, children ...any) js.Value {
	e := Doc().Call("createElement", tag)
	for _, a := range attrs {
		if len(a.Name) > 1 && a.Name[0] == '.' {
			e.Set(a.Name[1:], a.Val)
			continue
		}
		switch v := a.Val.(type) {
		case bool:
			if v {
				e.Call("setAttribute", a.Name, "")
			}
		default:
			e.Call("setAttribute", a.Name, v)
		}
	}
	for _, c := range children {
		Append(e, c)
	}
	return e
}

// Append adds a child (js.Value or string) to e.
func Append(e js.Value, c any) {
	switch v := c.(type) {
	case string:
		e.Call("appendChild", Text(v))
	case js.Value:
		e.Call("appendChild", v)
	}
}

// Clear removes every child of e.
func Clear(e js.Value) { e.Set("textContent", "") }

// SetText sets e's text only when it changed (cheap to call every frame).
func SetText(e js.Value, s string) {
	if e.Get("textContent").String() != s {
		e.Set("textContent", s)
	}
}

// revokeAfter frees a download's object URL once the browser has surely
// started reading it (Firefox reads it after the click returns; revoking
// at once can cancel the download).
const revokeAfter = 10 * time.Second

// Download saves data as a file named name (loop goroutine only).
func (l *Loop) Download(data []byte, mime, name string) {
	arr := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(arr, data)
	l.DownloadBlob(js.Global().Get("Blob").New([]any{arr}, map[string]any{"type": mime}), name)
}

// DownloadBlob saves blob through a temporary link and frees its URL
// later (loop goroutine only).
func (l *Loop) DownloadBlob(blob js.Value, name string) {
	url := js.Global().Get("URL")
	href := url.Call("createObjectURL", blob)
	a := El("a", []Attr{A("href", href), A("download", name), A("hidden", true)})
	body := Doc().Get("body")
	body.Call("appendChild", a)
	a.Call("click")
	a.Call("remove")
	time.AfterFunc(revokeAfter, func() {
		l.Post(func() { url.Call("revokeObjectURL", href) })
	})
}
