package wire

import (
	"slices"

	"github.com/keepalive-playground/playground/scenario"
)

// Steps renders a scenario's client script as the messages the browser
// sends to run it, in time order (steps at the same time keep their
// order). The headless runner sends exactly these, so a run in the page
// and `playground run` drive the demo server the same way. Pool steps
// are left out: a pooled client sends those (PoolSteps).
func Steps(sc *scenario.Scenario) []Msg {
	steps := sortedSteps(sc)
	msgs := make([]Msg, 0, len(steps))
	for _, st := range steps {
		if st.Pool != "" {
			continue
		}
		at := float64(st.At)
		m := Msg{Conn: st.Conn, At: &at}
		switch {
		case st.Open:
			m.Type = Open
		case st.Close:
			m.Type = Shut
		case st.Reset:
			m.Type = Reset
		default:
			m.Type = Write
			m.Data = st.Bytes()
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// sortedSteps is the script in time order, steps at the same time in
// their order.
func sortedSteps(sc *scenario.Scenario) []scenario.Step {
	steps := slices.Clone(sc.Client.Steps)
	slices.SortStableFunc(steps, func(a, b scenario.Step) int { return a.At - b.At })
	return steps
}
