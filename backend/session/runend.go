package session

import (
	"errors"
	"time"

	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// A run is a load with Run set (the page's Run, `playground run`). It
// lasts the scenario's durationMs on the session clock and ends sooner when
// nothing more can happen; either way the session sends a wire.End, no
// event after it, and stops the run's demo server. The page and the
// headless runner thus see the same run, and a lesson's checks the same
// events, whichever ran it.

// finishSettleMs is how long a run goes on once nothing more can happen
// (every step done, the demo server exited, every connection closed), so
// that late events of the kernel (a close racing the exit) still land.
const finishSettleMs = 50

// runState is the run in progress; the zero value is no run.
type runState struct {
	active bool
	ended  bool
	endMs  float64 // the durationMs end, on the session clock
	// lastStepMs is the latest time a step of the run is scheduled for.
	lastStepMs float64
	// open holds the connections whose start is on the timeline and whose
	// end is not; exited says the exit event went out.
	open   map[string]bool
	exited bool
	// finishing: the early end is armed.
	finishing bool
	// poolPending counts the pool steps whose client has not reported an
	// outcome yet.
	poolPending int
}

// beginRun starts a run of the scenario just loaded (the clock was reset).
func (s *Session) beginRun() {
	s.stopRunTimer()
	full := s.sc.WithDefaults()
	s.run = runState{active: true, endMs: float64(full.DurationMs), open: map[string]bool{}}
	s.runPoolSteps()
	s.armRunEnd(s.run.endMs)
}

// forgetRun drops the run state: a restart or a load without Run is the
// person trying things by hand, with no end.
func (s *Session) forgetRun() {
	s.stopRunTimer()
	s.run = runState{}
}

func (s *Session) stopRunTimer() {
	if s.runT != nil {
		s.runT.Stop()
	}
}

// armRunEnd sets the run's timer for t on the session clock.
func (s *Session) armRunEnd(t float64) {
	d := time.Duration((t - s.now()) * float64(time.Millisecond))
	if s.runT == nil {
		s.runT = time.NewTimer(max(d, 0))
		return
	}
	s.runT.Stop()
	s.runT.Reset(max(d, 0))
}

// runTimerC is the run's timer channel, nil when no run is in progress.
func (s *Session) runTimerC() <-chan time.Time {
	if !s.run.active || s.run.ended || s.runT == nil {
		return nil
	}
	return s.runT.C
}

// runStep notes a step of the run scheduled for at.
func (s *Session) runStep(at float64) {
	if s.run.active && !s.run.ended {
		s.run.lastStepMs = max(s.run.lastStepMs, at)
	}
}

// runSent follows the events sent during a run, to know when nothing more
// can happen; it arms the early end then.
func (s *Session) runSent(ev timeline.Event) {
	if !s.run.active || s.run.ended {
		return
	}
	switch ev.Kind {
	case timeline.Connect:
		s.run.open[ev.Conn] = true
	case timeline.Close, timeline.Reset, timeline.Refused:
		delete(s.run.open, ev.Conn)
	case timeline.Exit:
		s.run.exited = true
	case timeline.Listen:
		s.run.exited = false
	}
}

// runCheck arms the early end once nothing more can happen; the session
// calls it after everything it handles (an event sent, a step done).
func (s *Session) runCheck() {
	if !s.run.active || s.run.ended || s.run.finishing || !s.runFinished() {
		return
	}
	s.run.finishing = true
	s.armRunEnd(min(s.now()+finishSettleMs, s.run.endMs))
}

// runFinished reports whether nothing more can happen in the run.
func (s *Session) runFinished() bool {
	return s.run.exited && len(s.run.open) == 0 && len(s.sched) == 0 && s.now() >= s.run.lastStepMs && s.run.poolPending == 0
}

// runTimer handles the run's timer: the end, or an early end whose
// conditions no longer hold (a step came in meanwhile).
func (s *Session) runTimer() error {
	now := s.now()
	if now < s.run.endMs && !s.runFinished() {
		// Something came in meanwhile (a step): back to the end, until
		// nothing more can happen again.
		s.run.finishing = false
		s.armRunEnd(s.run.endMs)
		return nil
	}
	end := min(now, s.run.endMs)
	reason := wire.EndFinished
	if now >= s.run.endMs {
		reason = wire.EndDuration
	}
	return s.endRun(end, reason)
}

// endRun sends what happened up to end, then the End, and stops the run's
// demo server; what happens after end is not part of the run.
func (s *Session) endRun(end float64, reason string) error {
	s.flushDemo()
	kept := s.held[:0]
	for _, h := range s.held {
		if h.ev.T <= end {
			kept = append(kept, h)
		} else {
			s.budget.give(h.charge)
		}
	}
	s.held = kept
	if err := s.flushEvents(true); err != nil {
		return err
	}
	s.run.ended = true
	for _, p := range s.sched {
		s.budget.giveWrite(p.charge)
	}
	s.sched = nil
	s.timer.Stop()
	if !s.out(wire.Msg{Type: wire.End, Now: end, Reason: reason}) {
		return ErrSlowClient
	}
	s.stopServer()
	// What the stop itself caused (closes, resets) is after the end.
	for _, h := range s.held {
		s.budget.give(h.charge)
	}
	s.held = nil
	s.flushT.Stop()
	return nil
}

// afterEnd reports whether the run has ended and nothing more belongs to
// it; the session then drops events and refuses connection operations.
func (s *Session) afterEnd() bool { return s.run.active && s.run.ended }

// errRunEnded is what a connection operation or control after the end of
// a run gets.
var errRunEnded = errors.New("the run has ended: press Run to run it again, or Restart the server to try things by hand")
