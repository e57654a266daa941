package lanes

// SetCursor shows the timeline at instant c (the scrubber's), or live
// again with NoCursor: the cursor line, what came after it dimmed, and
// the event it stands on ringed and brought into view. The timeline's
// dataset says where it is (data-cursor-t, data-cursor-event and, once
// drawn, data-cursor-x in CSS pixels of the canvas), for tests and tools.
func (v *View) SetCursor(c Cursor) {
	if c == v.cursor {
		return
	}
	was := v.cursor
	v.cursor = c
	ds := v.root.Get("dataset")
	if !c.On {
		for _, k := range []string{"cursorT", "cursorEvent", "cursorX"} {
			ds.Delete(k)
		}
		if was.On {
			v.focus.Event = -1
		}
		v.invalidate()
		return
	}
	ds.Set("cursorT", num(c.T))
	ds.Set("cursorEvent", c.Event)
	// The detail card was about another event; focusing the timeline
	// shows the cursor's.
	v.card.hide()
	if c.Event >= 0 && c.Event < len(v.model.Events) {
		v.focus.Event, v.focusSpan = c.Event, false
		v.focusLane = -1
		if ev := v.model.Events[c.Event]; ev.Conn != "" {
			v.focusLane = v.model.Lane(ev.Conn).Index
			y := v.vp.LaneY(v.focusLane)
			top, bot := float64(AxisH+ServerLaneH), v.vp.Height-LaneH
			if y < top {
				v.vp.Scroll(y-top, ContentH(len(v.model.Lanes)))
			} else if y > bot {
				v.vp.Scroll(y-bot, ContentH(len(v.model.Lanes)))
			}
		}
	}
	if x := v.vp.X(c.T); x < GutterW || x > GutterW+v.vp.PlotW() {
		v.vp.T0 = c.T - v.vp.PlotW()/2/v.vp.Scale
		v.setFollow(false)
	}
	v.invalidate()
}
