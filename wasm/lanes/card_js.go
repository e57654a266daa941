package lanes

import (
	"strconv"
	"syscall/js"

	"github.com/keepalive-playground/playground/wasm/dom"
)

// maxCardBytes bounds the raw bytes the detail card shows.
const maxCardBytes = 2048

// detailCard is the card beside a hovered or focused event: what it is,
// its fields and its bytes. It owns its element and where it was put;
// the view says which event and where that is.
type detailCard struct {
	el js.Value
	// away: the focused event's card is hidden because the event is out
	// of view; it comes back with the event. x, y: the event it was put
	// beside last.
	away bool
	x, y float64
}

func newDetailCard() *detailCard {
	return &detailCard{el: dom.El("div", []dom.Attr{dom.A("class", "tl-card"), dom.A("aria-hidden", "true"), dom.A("hidden", true)})}
}

func (c *detailCard) hide()            { c.el.Set("hidden", true) }
func (c *detailCard) setHidden(h bool) { c.el.Set("hidden", h) }
func (c *detailCard) shown() bool      { return !c.el.Get("hidden").Bool() }

// fill shows title, fields and raw bytes (cut at maxCardBytes).
func (c *detailCard) fill(title string, fields []Field, raw string) {
	dom.Clear(c.el)
	dl := dom.El("dl", nil)
	for _, f := range fields {
		dl.Call("appendChild", dom.El("dt", nil, f.Name))
		dl.Call("appendChild", dom.El("dd", nil, f.Value))
	}
	dom.Append(c.el, dom.El("strong", nil, title))
	dom.Append(c.el, dl)
	if raw != "" {
		more := ""
		if len(raw) > maxCardBytes {
			more = "\n… " + strconv.Itoa(len(raw)-maxCardBytes) + " more bytes"
			raw = raw[:maxCardBytes]
		}
		dom.Append(c.el, dom.El("pre", nil, ShowBytes(raw)+more))
	}
	c.el.Set("hidden", false)
}

// place puts the card beside (x, y) inside a timeline of vw×vh
// (CardPlace).
func (c *detailCard) place(x, y, vw, vh float64) {
	c.x, c.y = x, y
	left, top := CardPlace(x, y, c.el.Get("offsetWidth").Float(), c.el.Get("offsetHeight").Float(), vw, vh)
	st := c.el.Get("style")
	st.Set("left", num(left)+"px")
	st.Set("top", num(top)+"px")
}

// The view's side: which event the card is about.

func (v *View) showCard() {
	id, span := v.focus.Hover, v.hoverSpan
	if id < 0 {
		id, span = v.focus.Event, v.focusSpan
	}
	if id < 0 || id >= len(v.model.Events) {
		v.card.hide()
		return
	}
	v.card.away = false
	x, y, ok := v.eventPoint(id)
	if !ok {
		v.card.hide()
		v.card.away = id == v.focus.Event && v.focus.Hover < 0
		return
	}
	v.fillCard(id, span)
	v.card.place(x, y, v.vp.Width, v.vp.Height)
}

// eventPoint is where event id is on screen, if it is in view: its time
// inside the plot and its lane not scrolled away.
func (v *View) eventPoint(id int) (x, y float64, ok bool) {
	ev := v.model.Events[id]
	x = v.vp.X(ev.T)
	if x < GutterW || x > v.vp.Width {
		return 0, 0, false
	}
	y = float64(AxisH) + ServerLaneH/2
	if ev.Conn != "" {
		y = v.vp.LaneY(v.model.Lane(ev.Conn).Index) + LaneH/2
		if y < AxisH+ServerLaneH || y > v.vp.Height {
			return 0, 0, false
		}
	}
	return x, y, true
}

// followCard keeps the focused event's card beside the event as the view
// pans and zooms, hides it while the event is out of view (a card left
// behind would float over whatever is next to the timeline) and brings it
// back with the event.
func (v *View) followCard() {
	id := v.focus.Event
	if id < 0 || v.focus.Hover >= 0 || id >= len(v.model.Events) {
		return
	}
	shown := v.card.shown()
	if !shown && !v.card.away {
		return // closed with Escape or by leaving the timeline
	}
	x, y, ok := v.eventPoint(id)
	switch {
	case !ok:
		if shown {
			v.card.hide()
		}
		v.card.away = true
	case v.card.away:
		v.card.away = false
		v.showCard()
	case x != v.card.x || y != v.card.y:
		v.card.place(x, y, v.vp.Width, v.vp.Height)
	}
}

func (v *View) showCardAt(x, y float64) {
	if v.focus.Hover < 0 {
		v.showCard()
		return
	}
	v.fillCard(v.focus.Hover, v.hoverSpan)
	v.card.place(x, y, v.vp.Width, v.vp.Height)
}

func (v *View) fillCard(id int, span bool) {
	title, fields, raw := v.model.Card(id, span, v.now(), v.ended())
	v.card.fill(title, fields, raw)
}
