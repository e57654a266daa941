package lanes

import (
	"math"
	"strconv"
)

// Geometry of the picture, in CSS pixels.
const (
	AxisH       = 26  // the time axis at the top
	ServerLaneH = 34  // the server lane, pinned under the axis
	LaneH       = 28  // one connection lane
	GutterW     = 64  // lane names on the left
	RightPad    = 12  // room after the live edge
	barH        = 12  // a span's bar
	markR       = 5   // a mark's radius
	minTickGap  = 90  // the least room between two axis labels
	followLead  = 0.1 // share of the plot kept free right of the live edge
)

// Zoom limits: 1 µs per pixel at the finest, 10 minutes per 1000 px at
// the coarsest (longer than any run's duration limit).
const (
	MaxScale = 1000.0         // px per ms
	MinScale = 1000.0 / 600e3 // px per ms
)

// Viewport maps session time to pixels: T0 is at the plot's left edge
// (x = GutterW), Scale pixels per millisecond. ScrollY scrolls the
// connection lanes; the axis and the server lane stay put.
type Viewport struct {
	T0      float64
	Scale   float64
	Width   float64
	Height  float64
	ScrollY float64
	// Follow keeps the live edge in view as time passes.
	Follow bool
}

// NewViewport shows the first two seconds, following live.
func NewViewport(w, h float64) Viewport {
	v := Viewport{Width: w, Height: h, Follow: true}
	v.Fit(0, 2000)
	return v
}

// PlotW is the width of the time plot.
func (v Viewport) PlotW() float64 { return math.Max(1, v.Width-GutterW-RightPad) }

// X is the pixel of time t.
func (v Viewport) X(t float64) float64 { return GutterW + (t-v.T0)*v.Scale }

// T is the time at pixel x.
func (v Viewport) T(x float64) float64 { return v.T0 + (x-GutterW)/v.Scale }

// T1 is the time at the plot's right edge.
func (v Viewport) T1() float64 { return v.T(GutterW + v.PlotW()) }

// Fit shows [t0, t1].
func (v *Viewport) Fit(t0, t1 float64) {
	if t1-t0 < 1e-3 {
		t1 = t0 + 1
	}
	v.Scale = clamp(v.PlotW()/(t1-t0), MinScale, MaxScale)
	v.T0 = t0
	v.clampT0()
}

// FitRun shows the whole run of m at now, with a little room after its end.
func (v *Viewport) FitRun(m *Model, now float64) {
	v.Fit(0, math.Max(m.End(now), 1)*1.02)
}

// ZoomAt scales by factor (> 1 zooms in) keeping the time under x fixed.
func (v *Viewport) ZoomAt(x, factor float64) {
	t := v.T(x)
	v.Scale = clamp(v.Scale*factor, MinScale, MaxScale)
	v.T0 = t - (x-GutterW)/v.Scale
	v.clampT0()
}

// Pan moves the view by dx pixels (positive shows later times) and stops
// following live.
func (v *Viewport) Pan(dx float64) {
	v.T0 += dx / v.Scale
	v.clampT0()
	v.Follow = false
}

// Scroll moves the connection lanes by dy within content height ch.
func (v *Viewport) Scroll(dy, ch float64) {
	v.ScrollY = clamp(v.ScrollY+dy, 0, math.Max(0, ch-v.lanesH()))
}

// lanesH is the height the connection lanes get.
func (v Viewport) lanesH() float64 { return math.Max(0, v.Height-AxisH-ServerLaneH) }

// FollowTo puts the live edge now near the right edge, keeping the scale,
// when the view follows live.
func (v *Viewport) FollowTo(now float64) {
	if !v.Follow {
		return
	}
	span := v.PlotW() / v.Scale
	if t0 := now - span*(1-followLead); t0 > 0 {
		v.T0 = t0
	} else {
		v.T0 = 0
	}
}

func (v *Viewport) clampT0() {
	// A little room before the session started, none further.
	if lo := -20 / v.Scale; v.T0 < lo {
		v.T0 = lo
	}
}

// LaneY is the top of connection lane i (0-based) on screen.
func (v Viewport) LaneY(i int) float64 {
	return AxisH + ServerLaneH + float64(i)*LaneH - v.ScrollY
}

// VisibleLanes is the range [i, j) of connection lanes on screen.
func (v Viewport) VisibleLanes(n int) (int, int) {
	i := int(math.Floor(v.ScrollY / LaneH))
	j := int(math.Ceil((v.ScrollY + v.lanesH()) / LaneH))
	return max(0, min(i, n)), max(0, min(j, n))
}

// ContentH is the full height of n connection lanes with the axis and the
// server lane.
func ContentH(n int) float64 { return AxisH + ServerLaneH + float64(n)*LaneH + 4 }

// Ticks returns the axis step in ms for scale: the smallest 1-2-5 step
// whose labels are at least minTickGap pixels apart.
func Ticks(scale float64) float64 {
	want := minTickGap / scale
	p := math.Pow(10, math.Floor(math.Log10(want)))
	for _, m := range []float64{1, 2, 5, 10} {
		if p*m >= want {
			return p * m
		}
	}
	return p * 10
}

// fmtMs renders a time on the session clock, or a length of time, in
// milliseconds whatever its size, to a tenth (a thousandth below 10 ms),
// as the events and the lessons' checks give them: "0.25 ms",
// "1001.7 ms", "34609.6 ms". One unit for every time and length the
// lanes state (a card, a timer's name, a countdown, a summary, an
// announcement), as a program sets them (setTimeout(4000)): "34.6096 s"
// beside "2811 ms" made a reader convert.
func fmtMs(ms float64) string {
	if a := math.Abs(ms); a >= 10 || a == 0 {
		return strconv.FormatFloat(round(ms, 1), 'f', -1, 64) + " ms"
	}
	return strconv.FormatFloat(round(ms, 3), 'f', -1, 64) + " ms"
}

// fmtTick labels an axis tick at t for a step: as many decimals as the
// step needs, no float noise.
func fmtTick(t, step float64) string {
	unit, div := " ms", 1.0
	if step >= 1000 {
		unit, div = " s", 1000
	}
	dec := 0
	for s := step / div; s < 1 && dec < 6; s *= 10 {
		dec++
	}
	return strconv.FormatFloat(t/div, 'f', dec, 64) + unit
}

func round(x float64, dec int) float64 {
	p := math.Pow(10, float64(dec))
	return math.Round(x*p) / p
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
