package lanes

import (
	"math"
	"testing"

	"github.com/keepalive-playground/playground/timeline"
)

func TestClock(t *testing.T) {
	serverExited := func() *Model {
		m := NewModel(Config{})
		m.Add(timeline.Event{T: 100, Kind: timeline.Listen})
		m.Add(timeline.Event{T: 200, Kind: timeline.Exit})
		return m
	}
	running := func() *Model {
		m := NewModel(Config{})
		m.Add(timeline.Event{T: 100, Kind: timeline.Listen})
		return m
	}
	tests := []struct {
		name     string
		model    func() *Model
		arrivals [][2]float64 // t, wall
		end      float64      // > 0: End(end)
		wall     float64
		now      float64
		live     bool
	}{
		{name: "no event yet: the model's last", model: running, wall: 5000, now: 100},
		{name: "runs from the fastest arrival", model: running, arrivals: [][2]float64{{100, 1100}, {150, 1120}}, wall: 1500, now: 530, live: true},
		{name: "a late arrival does not move the clock back", model: running, arrivals: [][2]float64{{100, 1000}, {120, 1500}}, wall: 1600, now: 700, live: true},
		{name: "rests liveIdleCapMs after the last event", model: running, arrivals: [][2]float64{{100, 1000}}, wall: 1000 + liveIdleCapMs + 5000, now: 100 + liveIdleCapMs},
		{name: "rests once the server exited", model: serverExited, arrivals: [][2]float64{{100, 1000}, {200, 1100}}, wall: 3000, now: 200},
		{name: "an ended run rests at its end", model: running, arrivals: [][2]float64{{100, 1000}}, end: 4000, wall: 99000, now: 4000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Clock
			for _, a := range tt.arrivals {
				c.Arrived(a[0], a[1])
			}
			if tt.end > 0 {
				c.End(tt.end)
			}
			m := tt.model()
			if got := c.Now(m, tt.wall); math.Abs(got-tt.now) > 1e-9 {
				t.Errorf("Now = %v, want %v", got, tt.now)
			}
			if got := c.Live(m, tt.wall); got != tt.live {
				t.Errorf("Live = %v, want %v", got, tt.live)
			}
		})
	}
	var c Clock
	if c.Resume() {
		t.Error("Resume on a clock that never ended reports it had")
	}
	c.End(10)
	if ended, at := c.Ended(); !ended || at != 10 {
		t.Errorf("Ended = %v, %v; want true, 10", ended, at)
	}
	if !c.Resume() {
		t.Error("Resume after End reports it had not ended")
	}
}

func TestGesture(t *testing.T) {
	var g Gesture
	if mv := g.Moved(1, 10, 10); mv != (Move{}) || g.Dragging() {
		t.Fatalf("a move with nothing pressed = %+v, dragging %v; want a hover", mv, g.Dragging())
	}
	g.Down(1, 100, 50)
	if mv := g.Moved(1, 90, 60); mv != (Move{DX: -10, DY: 10, Drag: true}) {
		t.Errorf("drag = %+v", mv)
	}
	if mv := g.Moved(1, 85, 60); mv != (Move{DX: -5, Drag: true}) {
		t.Errorf("second drag step = %+v (from the last point)", mv)
	}
	g.Down(2, 185, 60) // 100 px apart
	if mv := g.Moved(2, 285, 60); math.Abs(mv.Zoom-2) > 1e-9 || mv.Drag {
		t.Errorf("pinch to twice the span = %+v, want Zoom 2", mv)
	}
	if mv := g.Moved(2, 185, 60); math.Abs(mv.Zoom-0.5) > 1e-9 {
		t.Errorf("pinch back = %+v, want Zoom 0.5 (from the last span)", mv)
	}
	g.Up(2)
	if !g.Dragging() {
		t.Error("one pointer still down is no longer dragging")
	}
	g.Up(1)
	if g.Dragging() {
		t.Error("dragging after every pointer is up")
	}
}

func TestCardPlace(t *testing.T) {
	const vw, vh = 800, 300
	tests := []struct {
		name      string
		x, y      float64
		w, h      float64
		left, top float64
	}{
		{"below right of the event", 100, 50, 200, 100, 100 + cardGap, 50 + cardGap},
		{"left of an event near the right edge", 700, 50, 200, 100, 700 - cardGap - 200, 50 + cardGap},
		{"above an event near the bottom", 100, 250, 200, 100, 100 + cardGap, 250 - cardGap - 100},
		{"a card wider than the timeline stays at its left", 400, 50, 900, 100, 0, 50 + cardGap},
		{"a card taller than the timeline stays at its top", 100, 150, 200, 400, 100 + cardGap, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			left, top := CardPlace(tt.x, tt.y, tt.w, tt.h, vw, vh)
			if left != tt.left || top != tt.top {
				t.Errorf("CardPlace = %v, %v; want %v, %v", left, top, tt.left, tt.top)
			}
			if left < 0 || top < 0 || (tt.w <= vw && left+tt.w > vw) || (tt.h <= vh && top+tt.h > vh) {
				t.Errorf("card at %v, %v (%v×%v) leaves the %v×%v timeline", left, top, tt.w, tt.h, vw, vh)
			}
		})
	}
}
