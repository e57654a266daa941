package main

import (
	"strconv"
	"syscall/js"

	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/dom"
	"github.com/keepalive-playground/playground/wasm/lanes"
)

// scrubPage is how far PageUp and PageDown step through the run.
const scrubPage = 10

// scrubber steps through a finished run (an ended run, a replayed trace)
// event by event: the timeline draws a cursor at that instant and dims
// what came after, the connection cards and the lesson's tasks show how
// the run stood then. Its last position, the run's last event, is the
// live view; End, or a new run, goes back there. Loop goroutine only, as
// everything that touches the page.
type scrubber struct {
	loop                         *dom.Loop
	root                         js.Value
	run                          scrubRun
	view                         scrubViews
	bar, rng, prev, next, endBtn js.Value
	text                         js.Value
	ls                           *dom.Listeners

	// order is the finished run's events in time order (indices into
	// a.events, which are also the timeline's event ids); nil while no
	// finished run is on screen.
	order []int
	// rank is each event's place in order (an index into a.events to its
	// position), so a transcript asks of an entry's event whether it had
	// happened by the instant.
	rank []int
	// k is the instant: the first k events of order have happened; k ==
	// len(order) is the live view.
	k int
	// saved are the cards' live states while the cards show an instant;
	// drawn is what each card shows of the instant, so a step redraws
	// only the cards it changes.
	saved map[string]savedCard
	drawn map[string]lanes.Card
	// drawID draws the cards and the server bar at the instant, once a
	// frame however fast the range is dragged.
	drawID int
}

// savedCard is what the live card said before the scrubber drew over it.
type savedCard struct {
	text, state string
}

// scrubRun is what the scrubber reads of the run on screen.
type scrubRun interface {
	// runEvents are the run's events as they arrived; an event's index
	// is its id in the timeline.
	runEvents() []timeline.Event
	// runRuntime is the loaded scenario's runtime, whose words the
	// instant's line uses.
	runRuntime() string
	// serverAtEnd is the demo server's state after the whole run.
	serverAtEnd() (closed, exited bool)
}

// scrubViews are the parts that show the run at an instant.
type scrubViews struct {
	timeline interface{ SetCursor(lanes.Cursor) }
	tasks    interface{ At(k int) }
	server   func(closed, exited bool)
	cards    *connPanel
	// pools shows the pooled clients at the instant (nil happened: live).
	pools interface {
		at(evs []timeline.Event, happened []int)
	}
}

func newScrubber(loop *dom.Loop, root js.Value, run scrubRun, view scrubViews) *scrubber {
	s := &scrubber{loop: loop, root: root, run: run, view: view, ls: dom.NewListeners(loop),
		bar: dom.ByID("scrub"), rng: dom.ByID("scrub-range"), prev: dom.ByID("scrub-prev"),
		next: dom.ByID("scrub-next"), endBtn: dom.ByID("scrub-end"), text: dom.ByID("scrub-text")}
	s.drawID = loop.Drawer(s.draw)
	s.ls.On(s.prev, "click", func(js.Value) { s.step(-1) })
	s.ls.On(s.next, "click", func(js.Value) { s.step(+1) })
	s.ls.On(s.endBtn, "click", func(js.Value) { s.to(len(s.order)) })
	s.ls.On(s.rng, "input", func(js.Value) {
		if k, err := strconv.Atoi(s.rng.Get("value").String()); err == nil {
			s.to(k)
		}
	})
	// The bar's keys, whichever of its controls has the focus (the range
	// would do most of them itself, the buttons none).
	s.ls.On(s.bar, "keydown", func(ev js.Value) {
		switch ev.Get("key").String() {
		case "ArrowLeft", "ArrowDown":
			s.step(-1)
		case "ArrowRight", "ArrowUp":
			s.step(+1)
		case "PageUp":
			s.step(-scrubPage)
		case "PageDown":
			s.step(+scrubPage)
		case "Home":
			s.to(1)
		case "End":
			s.to(len(s.order))
		}
	}, scrubKey)
	return s
}

func scrubKey(ev js.Value) bool {
	if ev.Get("ctrlKey").Bool() || ev.Get("metaKey").Bool() || ev.Get("altKey").Bool() {
		return false
	}
	switch ev.Get("key").String() {
	case "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End":
		return true
	}
	return false
}

// finished offers the scrubber over the run on screen, which is over
// (the session ended it, or it is a replayed trace); it starts at the
// run's end, the live view.
func (s *scrubber) finished() {
	s.live()
	s.order = timeline.TimeOrder(s.run.runEvents())
	s.rank = make([]int, len(s.order))
	for pos, i := range s.order {
		s.rank[i] = pos
	}
	n := len(s.order)
	if n == 0 {
		s.order = nil
		s.bar.Set("hidden", true)
		return
	}
	s.rng.Set("max", n)
	s.bar.Set("hidden", false)
	s.k = -1
	s.to(n)
}

// reset takes the scrubber away: a new run starts, or the run goes on by
// hand.
func (s *scrubber) reset() {
	s.live()
	s.order, s.rank = nil, nil
	s.k = 0
	s.bar.Set("hidden", true)
}

func (s *scrubber) step(d int) { s.to(s.k + d) }

// to moves to the instant of the kth event (clamped to the run).
func (s *scrubber) to(k int) {
	n := len(s.order)
	if n == 0 {
		return
	}
	k = max(1, min(k, n))
	if k == s.k {
		return
	}
	s.k = k
	ev := s.run.runEvents()[s.order[k-1]]
	line := lanes.ScrubText(k, n, ev, s.run.runRuntime())
	dom.SetText(s.text, line)
	s.rng.Set("value", k)
	s.rng.Call("setAttribute", "aria-valuetext", line)
	s.prev.Set("disabled", k == 1)
	s.next.Set("disabled", k == n)
	s.endBtn.Set("disabled", k == n)
	ds := s.bar.Get("dataset")
	ds.Set("k", k)
	if k == n {
		ds.Set("scrubbing", "false")
		s.live()
		return
	}
	ds.Set("scrubbing", "true")
	s.root.Get("dataset").Set("scrubbing", "true")
	s.view.timeline.SetCursor(lanes.Cursor{On: true, T: ev.T, Event: s.order[k-1]})
	s.view.tasks.At(k)
	s.loop.Invalidate(s.drawID)
}

// draw shows the cards and the server bar at the instant.
func (s *scrubber) draw() {
	k := s.k
	if k <= 0 || k >= len(s.order) {
		return // live: live() has put them back
	}
	s.cardsAt(k)
	evs := s.run.runEvents()
	if s.view.pools != nil {
		s.view.pools.at(evs, s.order[:k])
	}
	closed, exited := false, false
	for _, i := range s.order[:k] {
		closed, exited = lanes.ServerAfter(closed, exited, evs[i])
	}
	s.view.server(closed, exited)
}

// live puts the timeline, the cards and the tasks back to the whole run.
func (s *scrubber) live() {
	s.root.Get("dataset").Delete("scrubbing")
	s.view.timeline.SetCursor(lanes.NoCursor)
	s.view.tasks.At(0)
	s.view.server(s.run.serverAtEnd())
	if s.view.pools != nil {
		s.view.pools.at(nil, nil)
	}
	if s.saved == nil {
		return
	}
	for _, c := range s.view.cards.cards {
		c.tv.at(nil)
	}
	for label, sv := range s.saved {
		c := s.view.cards.cards[label]
		if c == nil {
			continue
		}
		dom.SetText(c.stateE, sv.text)
		c.el.Get("dataset").Set("state", sv.state)
		c.el.Get("dataset").Delete("at")
		c.recvE.Set("hidden", false)
		if at := c.el.Call("querySelector", ".conn-recv-at"); at.Truthy() {
			at.Call("remove")
		}
	}
	s.saved, s.drawn = nil, nil
}

// cardsAt shows every connection card as the run's first k events left
// it: its state, and the bytes it had received by then in place of all
// of them. A card whose connection had no event yet was not connected.
func (s *scrubber) cardsAt(k int) {
	cards := lanes.CardsAt(s.run.runEvents(), s.order, k, s.view.cards.host.pooledConn, maxShownBytes)
	if s.saved == nil {
		s.saved, s.drawn = map[string]savedCard{}, map[string]lanes.Card{}
		for label, c := range s.view.cards.cards {
			s.saved[label] = savedCard{text: c.stateE.Get("textContent").String(), state: c.el.Get("dataset").Get("state").String()}
		}
	}
	happened := func(event int) bool { return event < len(s.rank) && s.rank[event] < k }
	for label, c := range s.view.cards.cards {
		// The transcript: only what had happened by the instant.
		c.tv.at(happened)
		if _, ok := s.saved[label]; !ok || c.upstream {
			// Made while scrubbing, it has no live state to restore; a
			// proxy's own connection's card is its transcript alone.
			continue
		}
		at := cards[label]
		if at == nil {
			at = &lanes.Card{State: lanes.CardNew, Detail: "not yet at this instant"}
		}
		if was, ok := s.drawn[label]; ok && was == *at {
			c.el.Get("dataset").Set("at", k)
			continue
		}
		s.drawn[label] = *at
		text := at.State.Text()
		if at.Detail != "" {
			detail := at.Detail
			if c.pooled {
				detail = pooledWords.Replace(detail)
			}
			text += " — " + detail
		}
		dom.SetText(c.stateE, text)
		ds := c.el.Get("dataset")
		ds.Set("state", string(at.State))
		ds.Set("at", k)
		pre := c.el.Call("querySelector", ".conn-recv-at")
		if !pre.Truthy() {
			pre = dom.El("pre", []dom.Attr{dom.A("class", "conn-recv conn-recv-at"), dom.A("tabindex", "0"),
				dom.A("aria-label", "Bytes received on "+label+" by this instant")})
			c.recvE.Get("parentNode").Call("insertBefore", pre, c.recvE)
		}
		dom.Clear(pre)
		appendVisible(pre, at.Recv)
		pre.Set("scrollTop", pre.Get("scrollHeight"))
		c.recvE.Set("hidden", true)
	}
}
