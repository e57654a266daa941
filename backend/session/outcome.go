package session

import (
	"errors"

	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// A pooled client (client.pools, the composer's Go client) makes its own
// connections through the session like any other, and then reports what
// its request came to: an outcome message. The session stamps it on its
// clock and sends it on as an outcome event, so the timeline and the
// lesson checks see "socket hang up" as the client's program saw it.

// outcome stamps a pooled client's report and queues it as an event.
func (s *Session) outcome(m wire.Msg) {
	if m.Event == nil || m.Event.Kind != timeline.Outcome {
		s.fail(wire.CodeBadMessage, "", errors.New("an outcome message carries an outcome event"))
		return
	}
	if s.afterEnd() {
		// The client learnt it after the run: not part of it.
		return
	}
	ev := *m.Event
	ev.T = s.now()
	ev.Error = capText(ev.Error, wire.MaxOutcomeErrorBytes)
	s.emit(ev)
	if s.run.active && s.run.poolPending > 0 {
		s.run.poolPending--
	}
}

// runPoolSteps notes the run's pool steps: the run is not over while
// their clients have not reported (runFinished).
func (s *Session) runPoolSteps() {
	full := s.sc.WithDefaults()
	steps := wire.PoolSteps(&full)
	s.run.poolPending = len(steps)
	for _, st := range steps {
		s.run.lastStepMs = max(s.run.lastStepMs, float64(st.At))
	}
}
