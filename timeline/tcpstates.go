package timeline

import (
	"cmp"
	"slices"
)

// StateSpan is a stretch of time one end of a connection spent in one
// TCP state, as the kernel reported it (tcp events): what a lane draws
// along each end, and what "who sits in TIME_WAIT" asks.
type StateSpan struct {
	Conn  string  `json:"conn"`
	Side  string  `json:"side"`
	State string  `json:"state"`
	Start float64 `json:"start"`
	// End is when the end left the state; Open when it was still in it
	// at the last event.
	End float64 `json:"end"`
}

// Open is StateSpan.End for a state that lasted past the last event.
const Open = -1

// Lasting reports whether the end was still in the state at the last
// event.
func (s StateSpan) Lasting() bool { return s.End == Open }

// StateSpans reads the tcp events into spans, ordered by connection (as
// they first appear), then client before server, then time. CLOSED ends a
// span and starts none: the end is gone.
func StateSpans(events []Event) []StateSpan {
	type key struct{ conn, side string }
	var order []key
	open := map[key]int{} // index of the open span
	var spans []StateSpan
	for _, e := range events {
		if e.Kind != TCP || e.Conn == "" {
			continue
		}
		k := key{e.Conn, e.Side}
		i, ok := open[k]
		if !ok && !slices.Contains(order, k) {
			order = append(order, k)
		}
		if ok {
			if spans[i].State == e.State {
				continue
			}
			spans[i].End = e.T
			delete(open, k)
		}
		if e.State != StateClosed {
			open[k] = len(spans)
			spans = append(spans, StateSpan{Conn: e.Conn, Side: e.Side, State: e.State, Start: e.T, End: Open})
		}
	}
	rank := map[key]int{}
	for i, k := range order {
		rank[k] = i
	}
	firstOf := map[string]int{}
	for i, k := range order {
		if _, ok := firstOf[k.conn]; !ok {
			firstOf[k.conn] = i
		}
	}
	slices.SortStableFunc(spans, func(a, b StateSpan) int {
		if c := cmp.Compare(firstOf[a.Conn], firstOf[b.Conn]); c != 0 {
			return c
		}
		if a.Side != b.Side {
			if a.Side == SideClient {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Start, b.Start)
	})
	return spans
}
