package lanes

import (
	"math"
	"strconv"
	"syscall/js"
)

// The timeline's input: wheel, pointers (Gesture) and keys, which zoom,
// pan, follow the live edge and move the focus.

func (v *View) onWheel(ev js.Value) {
	x := offsetX(ev)
	dx, dy := ev.Get("deltaX").Float(), ev.Get("deltaY").Float()
	if ev.Get("deltaMode").Int() == 1 { // lines
		dx, dy = dx*16, dy*16
	}
	switch {
	case ev.Get("shiftKey").Bool():
		v.vp.Scroll(dy, ContentH(len(v.model.Lanes)))
	case math.Abs(dx) > math.Abs(dy):
		v.vp.Pan(dx)
		v.setFollow(false)
	default:
		rate := 0.002
		if ev.Get("ctrlKey").Bool() { // a trackpad pinch
			rate = 0.01
		}
		v.zoomAt(x, math.Exp(-dy*rate))
	}
	v.invalidate()
}

// zoomAt zooms around x; while following live it zooms around the live
// edge and keeps following.
func (v *View) zoomAt(x, f float64) {
	v.moved = true
	if v.vp.Follow {
		x = v.vp.X(v.now())
	}
	v.vp.ZoomAt(x, f)
	v.invalidate()
}

func (v *View) zoomKey(f float64) {
	x := GutterW + v.vp.PlotW()/2
	if v.focus.Event >= 0 && !v.vp.Follow {
		x = v.vp.X(v.model.Events[v.focus.Event].T)
	}
	v.zoomAt(x, f)
}

func (v *View) fitAll() {
	v.setFollow(false)
	v.vp.FitRun(v.model, v.now())
	v.invalidate()
}

func (v *View) setFollow(on bool) {
	v.vp.Follow = on
	v.btnFollow.Call("setAttribute", "aria-pressed", strconv.FormatBool(on))
	v.invalidate()
}

func offsetX(ev js.Value) float64 { return ev.Get("offsetX").Float() }
func offsetY(ev js.Value) float64 { return ev.Get("offsetY").Float() }

func (v *View) onPointerDown(ev js.Value) {
	id := ev.Get("pointerId").Int()
	v.canvas.Call("setPointerCapture", id)
	v.gesture.Down(id, offsetX(ev), offsetY(ev))
	// A click on a mark focuses it for the keyboard too.
	if hit, span, ok := v.disp.Hit(offsetX(ev), offsetY(ev)); ok {
		v.setFocus(hit, span)
	}
}

func (v *View) onPointerMove(ev js.Value) {
	x, y := offsetX(ev), offsetY(ev)
	if v.gesture.Dragging() {
		mv := v.gesture.Moved(ev.Get("pointerId").Int(), x, y)
		if mv.Zoom > 0 {
			v.zoomAt(x, mv.Zoom)
			return
		}
		if mv.DX != 0 {
			v.vp.Pan(-mv.DX)
			v.moved = true
			v.setFollow(false)
		}
		v.vp.Scroll(-mv.DY, ContentH(len(v.model.Lanes)))
		v.invalidate()
		return
	}
	hit, span, ok := v.disp.Hit(x, y)
	if !ok {
		hit, span = -1, false
	}
	if hit != v.focus.Hover || span != v.hoverSpan {
		v.focus.Hover, v.hoverSpan = hit, span
		v.showCardAt(x, y)
		v.invalidate()
	}
}

func (v *View) onPointerUp(ev js.Value) { v.gesture.Up(ev.Get("pointerId").Int()) }

// Keyboard.

var timelineKeys = map[string]bool{
	"ArrowLeft": true, "ArrowRight": true, "ArrowUp": true, "ArrowDown": true,
	"Home": true, "End": true, "+": true, "=": true, "-": true, "_": true, "0": true, "f": true, "F": true, "Escape": true,
}

func handledKey(ev js.Value) bool {
	if ev.Get("ctrlKey").Bool() || ev.Get("metaKey").Bool() || ev.Get("altKey").Bool() {
		return false
	}
	return timelineKeys[ev.Get("key").String()]
}

func (v *View) onKey(ev js.Value) {
	if !handledKey(ev) {
		return
	}
	shift := ev.Get("shiftKey").Bool()
	switch key := ev.Get("key").String(); {
	case key == "+" || key == "=":
		v.zoomKey(zoomStep)
	case key == "-" || key == "_":
		v.zoomKey(1 / zoomStep)
	case key == "0":
		v.fitAll()
	case key == "f" || key == "F":
		v.setFollow(!v.vp.Follow)
	case key == "Escape":
		v.card.hide()
	case shift && (key == "ArrowLeft" || key == "ArrowRight"):
		d := v.vp.PlotW() * panStep
		if key == "ArrowLeft" {
			d = -d
		}
		v.vp.Pan(d)
		v.setFollow(false)
	case shift && (key == "ArrowUp" || key == "ArrowDown"):
		d := float64(LaneH) * 3
		if key == "ArrowUp" {
			d = -d
		}
		v.vp.Scroll(d, ContentH(len(v.model.Lanes)))
	default:
		v.moveFocus(key)
	}
	v.invalidate()
}
