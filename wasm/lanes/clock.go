package lanes

import "math"

// liveIdleCapMs: the live edge keeps moving this long after the last
// event, then the picture rests (no redraws) until something happens.
const liveIdleCapMs = 60_000

// Clock is the session clock as the page sees it, from the wall times
// (performance.now()) events arrive at: now = wall - offset, where
// offset is the least (arrival - t) seen, the event that arrived
// fastest. Once the run has ended it rests at the end. Pure: the wall
// time is passed in.
type Clock struct {
	offset float64
	have   bool
	// lastWall is when the last event arrived.
	lastWall float64
	// ended: the run ended at endT (End); the clock rests there.
	ended bool
	endT  float64
}

// Arrived notes an event stamped t arriving at wall time wall.
func (c *Clock) Arrived(t, wall float64) {
	if off := wall - t; !c.have || off < c.offset {
		c.offset, c.have = off, true
	}
	c.lastWall = wall
}

// End rests the clock at t; Resume lets it run again.
func (c *Clock) End(t float64) { c.ended, c.endT = true, t }

// Resume lets the clock run again after End; false if it had not ended.
func (c *Clock) Resume() bool {
	was := c.ended
	c.ended = false
	return was
}

// Ended reports whether the run has ended, and when.
func (c *Clock) Ended() (bool, float64) { return c.ended, c.endT }

// Now is the session clock at wall time wall for model m: resting at
// the run's end, liveIdleCapMs after the last event, and once the server
// has exited with nothing counting down; never before m's last event.
func (c *Clock) Now(m *Model, wall float64) float64 {
	if c.ended {
		return c.endT
	}
	if !c.have {
		return m.Last
	}
	if m.Exited >= 0 && !countingDown(m, m.Last) {
		return m.Last
	}
	t := math.Min(wall, c.lastWall+liveIdleCapMs) - c.offset
	return math.Max(t, m.Last)
}

// Live reports whether the picture changes by itself at wall time wall:
// the clock runs.
func (c *Clock) Live(m *Model, wall float64) bool {
	if c.ended {
		return false
	}
	if !c.have || wall-c.lastWall > liveIdleCapMs {
		return false
	}
	return m.Exited < 0 || countingDown(m, m.Last)
}

// countingDown reports whether a lane of m has a timer running at now.
func countingDown(m *Model, now float64) bool {
	for _, l := range m.Lanes {
		if _, ok := l.Countdown(now); ok {
			return true
		}
	}
	return false
}
