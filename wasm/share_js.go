package main

import (
	"strconv"
	"syscall/js"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/dom"
)

// linkSource is what sharing needs from the page: the scenario a link
// carries (the edited one, with the open lesson) and the run on screen.
type linkSource interface {
	linkScenario() scenario.Scenario
	trace() (timeline.Trace, error)
}

// sharer makes share links: to the scenario (Share, S) and to the run
// (Share run), put in the address bar and on the clipboard.
type sharer struct {
	loop *dom.Loop
	say  notifier
	src  linkSource
}

// share copies a link to the edited scenario (and the open lesson).
func (s *sharer) share() {
	sc := s.src.linkScenario()
	frag, err := scenario.EncodeLink(&sc)
	if err != nil {
		s.say.showError("This scenario cannot be shared: " + err.Error())
		return
	}
	s.copyLink(frag, "Link")
}

// shareRun copies a link that replays the current run.
func (s *sharer) shareRun() {
	t, err := s.src.trace()
	if err != nil {
		s.say.showError("This run cannot be shared: " + err.Error())
		return
	}
	frag, err := t.EncodeLink()
	if err != nil {
		s.say.showError(err.Error())
		return
	}
	s.copyLink(frag, "Link to this run")
}

// link is the link exported images carry: the scenario on screen, with
// its lesson; "" when it cannot be encoded.
func (s *sharer) link() string {
	sc := s.src.linkScenario()
	link, err := scenario.EncodeLink(&sc)
	if err != nil {
		return ""
	}
	return link
}

// copyLink puts the page's address with frag in the address bar and on
// the clipboard, and says so.
func (s *sharer) copyLink(frag, what string) {
	loc := js.Global().Get("location")
	link := loc.Get("origin").String() + loc.Get("pathname").String() + loc.Get("search").String() + frag
	js.Global().Get("history").Call("replaceState", nil, "", frag)
	dom.ByID("share").Get("dataset").Set("link", link)
	ok := copyText(s.loop, link,
		func() { s.say.notice(what + " copied to the clipboard (" + strconv.Itoa(len(link)) + " characters).") },
		func() { s.say.notice(what + " ready in the address bar; copy it from there.") })
	if !ok {
		s.say.notice(what + " ready in the address bar (the clipboard is not available here).")
	}
}
