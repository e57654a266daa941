package main

import (
	"strconv"
	"syscall/js"

	"github.com/keepalive-playground/playground/wasm/dom"
)

// tabOrder is the side panels' tabs, left to right.
var tabOrder = []string{"lesson", "editor", "code"}

// tabs owns the side panel's tab strip: which panel shows, and the arrow
// keys between tabs. onShow is told before a panel is shown (the editor
// is built the first time).
type tabs struct {
	tabs   map[string]js.Value
	onShow func(name string)
}

func newTabs(ls *dom.Listeners, onShow func(name string)) *tabs {
	t := &tabs{tabs: map[string]js.Value{}, onShow: onShow}
	for _, name := range tabOrder {
		tab := dom.ByID("tab-" + name)
		t.tabs[name] = tab
		ls.On(tab, "click", func(js.Value) { t.selectTab(name) })
		ls.On(tab, "keydown", func(ev js.Value) { t.key(name, ev.Get("key").String()) })
	}
	return t
}

// selectTab shows one side panel (lesson, editor, code).
func (t *tabs) selectTab(name string) {
	t.onShow(name)
	for n, tab := range t.tabs {
		on := n == name
		tab.Call("setAttribute", "aria-selected", strconv.FormatBool(on))
		tab.Set("tabIndex", map[bool]int{true: 0, false: -1}[on])
		dom.ByID("panel-"+n).Set("hidden", !on)
	}
}

func (t *tabs) key(cur, key string) {
	i := 0
	for j, n := range tabOrder {
		if n == cur {
			i = j
		}
	}
	switch key {
	case "ArrowRight":
		i = (i + 1) % len(tabOrder)
	case "ArrowLeft":
		i = (i + len(tabOrder) - 1) % len(tabOrder)
	default:
		return
	}
	t.selectTab(tabOrder[i])
	t.tabs[tabOrder[i]].Call("focus")
}
