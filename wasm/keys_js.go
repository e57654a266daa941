package main

import (
	"syscall/js"

	"github.com/keepalive-playground/playground/wasm/dom"
	"github.com/keepalive-playground/playground/wasm/lanes"
)

// shortcuts are the page's own keys; the timeline adds its own.
var shortcuts = [][2]string{
	{"?", "Show this help"},
	{"r", "Run the scenario"},
	{"n", "Open a new connection"},
	{"s", "Share: copy a link to this scenario"},
	{"e", "Export the run as a JSON trace"},
	{"1 2 3", "Lessons, Scenario, Code tab"},
	{"Ctrl+Enter", "Send the bytes typed in a connection"},
	{"← / → on the step bar", "Step through a finished run event by event (Home: its first event; End: the whole run again)"},
}

// keys owns the page's shortcuts and the help dialog that lists them:
// each key of shortcuts (but "?", which is the help's own) does one of
// actions.
type keys struct {
	actions map[string]func()
}

func newKeys(ls *dom.Listeners, actions map[string]func()) *keys {
	k := &keys{actions: actions}
	ls.On(dom.ByID("help-open"), "click", func(js.Value) { k.help() })
	ls.On(dom.Doc(), "keydown", k.key, func(ev js.Value) bool { return k.shortcut(ev) != "" })
	return k
}

// shortcut names the action of a key press, or "" (typing in a field,
// or with a modifier, is never a shortcut).
func (k *keys) shortcut(ev js.Value) string {
	if ev.Get("ctrlKey").Bool() || ev.Get("metaKey").Bool() || ev.Get("altKey").Bool() {
		return ""
	}
	t := ev.Get("target")
	if !t.IsNull() && !t.IsUndefined() {
		switch t.Get("tagName").String() {
		case "INPUT", "TEXTAREA", "SELECT":
			return ""
		}
		if t.Get("isContentEditable").Truthy() {
			return ""
		}
	}
	key := ev.Get("key").String()
	if _, ok := k.actions[key]; ok || key == "?" {
		return key
	}
	return ""
}

func (k *keys) key(ev js.Value) {
	switch name := k.shortcut(ev); name {
	case "":
	case "?":
		k.help()
	default:
		k.actions[name]()
	}
}

func (k *keys) help() {
	dl := dom.ByID("help-keys")
	dom.Clear(dl)
	list := append([][2]string{}, shortcuts...)
	list = append(list, lanes.Shortcuts()...)
	for _, s := range list {
		dom.Append(dl, dom.El("dt", nil, dom.El("kbd", nil, s[0])))
		dom.Append(dl, dom.El("dd", nil, s[1]))
	}
	d := dom.ByID("help")
	if !d.Get("open").Bool() {
		d.Call("showModal")
	}
}
