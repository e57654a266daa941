package wire

import (
	"fmt"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// MaxOutcomeErrorBytes bounds an outcome's error: a client's own message
// (`Get "http://demo/": read tcp app1->demo:80: read: connection reset by
// peer`) is one line.
const MaxOutcomeErrorBytes = 512

// checkOutcome says what is wrong with the event of an outcome message:
// an outcome event with the fields a pooled client reports, and no time
// (the session's clock stamps it).
func checkOutcome(e *timeline.Event) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("event."+format, args...)) }
	if e.Kind != timeline.Outcome {
		add("kind: %q; an outcome message carries an %q event", e.Kind, timeline.Outcome)
	}
	if e.T != 0 {
		add("t: set; the session stamps an outcome on its own clock")
	}
	if e.Conn != "" && !scenario.ValidConn(e.Conn) {
		add("conn: %q is not a connection label", e.Conn)
	}
	if !scenario.ValidConn(e.Pool) || len(e.Pool) > scenario.MaxPoolNameLen {
		add("pool: %q is not a pool's name", e.Pool)
	}
	if len(e.Method) > MaxTextBytes || len(e.Path) > scenario.MaxTargetBytes {
		add("method or path: too long")
	}
	if e.Status != 0 && (e.Status < 100 || e.Status > 599) {
		add("status: %d is outside 100..599", e.Status)
	}
	if (e.Status == 0) == (e.Error == "") {
		add("status, error: an outcome has a status or an error, not both or neither")
	}
	if len(e.Error) > MaxOutcomeErrorBytes {
		add("error: %d bytes; the limit is %d", len(e.Error), MaxOutcomeErrorBytes)
	}
	if e.By != "" || e.Reason != "" || e.Data != "" || e.Side != "" || e.State != "" || e.Hop != "" || e.Upstream != "" || e.Open != "" {
		add("an outcome carries conn, method, path, pool, status or error, reused and retried only")
	}
	return errs
}

// PoolSteps lists a scenario's pool steps (client.steps with "pool") in
// time order, steps at the same time in their order: what a pooled
// client sends at each step's time on the session clock. Steps leaves
// them out.
func PoolSteps(sc *scenario.Scenario) []scenario.Step {
	var out []scenario.Step
	for _, st := range sortedSteps(sc) {
		if st.Pool != "" {
			out = append(out, st)
		}
	}
	return out
}
