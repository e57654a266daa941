package main

import (
	"net/url"
	"strings"
	"syscall/js"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/dom"
	"github.com/keepalive-playground/playground/wasm/lessons"
)

// routeHost is what the page's address can ask of the page: load a
// scenario, run it, replay a recorded run, open a comparison.
type routeHost interface {
	Load(sc scenario.Scenario, run bool)
	apply(run bool)
	replay(t *timeline.Trace)
	openCompare(cmp *scenario.Compare)
}

// router acts on the page's address, at start and on every hashchange:
// ?embed=1, #s=LINK (a scenario), #t=LINK (a recorded run),
// #compare=…, #lesson=ID.
type router struct {
	host    routeHost
	lessons *lessons.Panel
	tabs    *tabs
	say     notifier
}

func newRouter(ls *dom.Listeners, host routeHost, l *lessons.Panel, t *tabs, say notifier) *router {
	r := &router{host: host, lessons: l, tabs: t, say: say}
	ls.On(js.Global(), "hashchange", func(js.Value) { r.open() })
	return r
}

// open acts on the page's address as it is now.
func (r *router) open() {
	loc := js.Global().Get("location")
	if q, err := url.ParseQuery(strings.TrimPrefix(loc.Get("search").String(), "?")); err == nil && q.Get("embed") == "1" {
		dom.Doc().Get("documentElement").Get("classList").Call("add", "embed")
	}
	hash := loc.Get("hash").String()
	switch {
	case strings.HasPrefix(hash, scenario.LinkPrefix):
		sc, err := scenario.DecodeLink(hash)
		r.lessons.Foreign()
		if err != nil {
			r.say.showError("This link cannot be opened: " + err.Error() + ". The default scenario is loaded instead.")
			r.host.Load(scenario.Default(), false)
			return
		}
		r.host.Load(*sc, false)
		if sc.Compare != nil {
			// A link that carries a comparison opens it, running.
			r.host.openCompare(sc.Compare)
		}
		if sc.Lesson != "" {
			// An attempt at a lesson opens on the lesson's text, the
			// shared scenario kept.
			r.lessons.OpenWith(sc.Lesson)
		}
		title := sc.Title
		if title == "" {
			title = "a shared scenario"
		}
		r.tabs.selectTab("editor")
		r.say.notice("Opened "+title+".", noticeAction{"▶ Run it", func() { r.host.apply(true) }})
	case strings.HasPrefix(hash, timeline.TraceLinkPrefix):
		t, err := timeline.DecodeTraceLink(hash)
		if err != nil {
			r.say.showError("This recorded run cannot be opened: " + err.Error() + ".")
			return
		}
		r.host.replay(t)
	case strings.HasPrefix(hash, scenario.CompareLinkPrefix):
		// A lesson's "compare side by side" link: the scenario on screen,
		// compared as the link says. The address goes back to the lesson.
		cmp, err := scenario.ParseCompareLink(hash)
		if err != nil {
			r.say.showError("This comparison cannot be run: " + err.Error() + ".")
			return
		}
		back := "#"
		if id := r.lessons.Current(); id != "" {
			back = "#lesson=" + id
		}
		js.Global().Get("history").Call("replaceState", nil, "", back)
		r.host.openCompare(&cmp)
	case strings.HasPrefix(hash, "#lesson="):
		id, _, _ := strings.Cut(strings.TrimPrefix(hash, "#lesson="), "&")
		if r.lessons.Open(id) {
			r.tabs.selectTab("lesson")
		} else {
			r.say.showError("There is no lesson " + id + ".")
		}
	}
}
