package timeline

import (
	"cmp"
	"fmt"
	"slices"
)

// Verdict is what a check can say at an instant of a run, knowing only
// the events up to it: a prefix of a run may already decide a check, or
// not yet. "no exit" holds at every instant before the exit; it is only
// a pass once the run has ended without one.
type Verdict uint8

// Verdicts.
const (
	// NotYet: what the rest of the run brings may still decide it either way.
	NotYet Verdict = iota
	// Passed: no later event can undo the pass.
	Passed
	// Failed: no later event can make it pass.
	Failed
)

func (v Verdict) String() string {
	switch v {
	case Passed:
		return "pass"
	case Failed:
		return "fail"
	}
	return "not-yet"
}

// TimeOrder returns the indices of events in the order Eval considers
// them: a stable sort by T, so that events with equal times keep the order
// they were recorded in. The kth event of a run "at an instant" is
// events[TimeOrder(events)[k-1]].
func TimeOrder(events []Event) []int {
	order := make([]int, len(events))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(events[a].T, events[b].T) })
	return order
}

// EvalAt evaluates the check at the instant of a run's kth event in time
// order (1-based; see TimeOrder): over the first k events only, and with
// a verdict that says whether those events decide it. At k = len(events)
// the run has ended and the verdict is Eval's.
//
// A pass stands once it cannot be undone: any matching event in the
// window, the Nth one (its time is measured from events before it, all
// there already), or a count or "last" whose window, measured from the
// session start, has closed (the instant is past MaxMs, so no later event
// falls in it). A fail stands once nothing can mend it: more than Count
// events in the window already, the Nth event out of its window, or a
// closed window. Everything else is NotYet, and its Detail says so with
// what the run has shown so far.
func (c Check) EvalAt(events []Event, k int) (Result, Verdict) {
	k = max(0, min(k, len(events)))
	order := TimeOrder(events)
	prefix := make([]Event, k)
	for i := range prefix {
		prefix[i] = events[order[i]]
	}
	r := c.Eval(prefix)
	if k == len(events) {
		return r, verdictOf(r.Pass)
	}
	at := 0.0
	if k > 0 {
		at = prefix[k-1].T
	}
	// Every later event has T >= at; one at exactly MaxMs may still come.
	closed := c.Since == nil && c.MaxMs != nil && at > *c.MaxMs
	v := NotYet
	switch {
	case c.Count != nil:
		in := 0
		for i, e := range prefix {
			if c.Match.Matches(e) && c.measure(prefix, i).inWindow {
				in++
			}
		}
		switch {
		case in > *c.Count:
			v = Failed
		case closed:
			v = verdictOf(r.Pass)
		default:
			r.Detail = fmt.Sprintf("not yet: %d %s event%s%s so far, at %s ms", in, quote(describeMatch(c.Match)), plural(in), c.windowPhrase(), fmtMs(at))
		}
	case c.Nth > 0:
		n := 0
		for _, e := range prefix {
			if c.Match.Matches(e) {
				n++
			}
		}
		switch {
		case n >= c.Nth:
			v = verdictOf(r.Pass)
		case closed:
			v = Failed
		}
	case c.Nth == -1:
		if closed && !r.Pass {
			v = Failed
		}
	case r.Pass:
		v = Passed
	case closed:
		v = Failed
	}
	if v == NotYet && c.Count == nil {
		r.Detail = "not yet: so far (at " + fmtMs(at) + " ms), " + r.Detail
	}
	r.Pass = v == Passed
	return r, v
}

// EvalAllAt evaluates every check at the instant of the kth event (see
// EvalAt).
func EvalAllAt(checks []Check, events []Event, k int) ([]Result, []Verdict) {
	res := make([]Result, len(checks))
	vs := make([]Verdict, len(checks))
	for i, c := range checks {
		res[i], vs[i] = c.EvalAt(events, k)
	}
	return res, vs
}

func verdictOf(pass bool) Verdict {
	if pass {
		return Passed
	}
	return Failed
}
