package lanes

import (
	"slices"
	"sort"

	"github.com/keepalive-playground/playground/wasm/dom"
)

// The keyboard focus on the timeline: which event it is on, moved
// along a lane or across lanes, scrolled into view and announced.

// laneAt is the lane at position i (-1: the server lane).
func (v *View) laneAt(i int) *Lane {
	if i < 0 {
		return &v.model.Server
	}
	return v.model.Lanes[i]
}

func (v *View) moveFocus(key string) {
	m := v.model
	if len(m.Events) == 0 {
		return
	}
	if v.focus.Event < 0 {
		// Start on the first visible connection lane (or the server's),
		// at the event nearest the middle of the view.
		i0, i1 := v.vp.VisibleLanes(len(m.Lanes))
		v.focusLane = -1
		if i1 > i0 {
			v.focusLane = i0
		}
		v.focusNearest(v.focusLane, v.vp.T(GutterW+v.vp.PlotW()/2))
		return
	}
	l := v.laneAt(v.focusLane)
	k := slices.Index(l.Events, v.focus.Event)
	switch key {
	case "ArrowLeft":
		k = max(k-1, 0)
	case "ArrowRight":
		k = min(k+1, len(l.Events)-1)
	case "Home":
		k = 0
	case "End":
		k = len(l.Events) - 1
	case "ArrowUp", "ArrowDown":
		next := v.focusLane - 1
		if key == "ArrowDown" {
			next = v.focusLane + 1
		}
		if next < -1 || next >= len(m.Lanes) {
			return
		}
		v.focusNearest(next, m.Events[v.focus.Event].T)
		return
	}
	if k >= 0 {
		v.setFocus(l.Events[k], false)
	}
}

func (v *View) focusNearest(lane int, t float64) {
	l := v.laneAt(lane)
	if len(l.Events) == 0 {
		return
	}
	k := sort.SearchFloat64s(l.Times, t)
	if k == len(l.Times) || k > 0 && t-l.Times[k-1] < l.Times[k]-t {
		k--
	}
	v.setFocus(l.Events[max(k, 0)], false)
}

// setFocus focuses event id, scrolls it into view, shows its card and
// says what it is.
func (v *View) setFocus(id int, span bool) {
	m := v.model
	ev := m.Events[id]
	v.focus.Event, v.focusSpan = id, span
	v.focusLane = -1
	if ev.Conn != "" {
		v.focusLane = m.Lane(ev.Conn).Index
	}
	if !span {
		if x := v.vp.X(ev.T); x < GutterW || x > GutterW+v.vp.PlotW() {
			v.vp.T0 = ev.T - v.vp.PlotW()/2/v.vp.Scale
			v.setFollow(false)
		}
	}
	if v.focusLane >= 0 {
		y := v.vp.LaneY(v.focusLane)
		top, bot := float64(AxisH+ServerLaneH), v.vp.Height-LaneH
		if y < top {
			v.vp.Scroll(y-top, ContentH(len(m.Lanes)))
		} else if y > bot {
			v.vp.Scroll(y-bot, ContentH(len(m.Lanes)))
		}
	}
	text := EventText(ev, m.Config.Runtime)
	if span {
		title, _, _ := m.Card(id, span, v.now(), v.ended())
		text = title + ", begun by " + text
	}
	dom.SetText(v.announce, text)
	v.showCard()
	v.invalidate()
}
