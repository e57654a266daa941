package scenario

import (
	"fmt"
	"slices"
	"strings"
)

// MaxVariants bounds the runs of one comparison (`playground run
// --runtime`, the page's compare view): each runs a demo server of its
// own, so a comparison costs that many sessions' worth of servers and
// connections.
const MaxVariants = 4

// MinVariants is the fewest runs that make a comparison.
const MinVariants = 2

// counterparts maps a knob of one language to the knob of the other that
// does the same job; a knob without one is left out on the other side.
var counterparts = []struct{ node, gov string }{
	{"keepAliveTimeoutMs", "idleTimeoutMs"},
	{"headersTimeoutMs", "readHeaderTimeoutMs"},
}

// thenCounterparts maps a route action of one language to the other's:
// Node's server.close() stops accepting and (since Node 19) closes idle
// connections while it waits for the busy ones, which is Go's Shutdown;
// closeAllConnections() is Go's Close.
var thenCounterparts = []struct{ node, gov string }{
	{ThenClose, ThenShutdown},
	{ThenCloseAll, ThenClose},
}

// OnRuntime returns the scenario as it runs on runtime rt: the same
// script, routes and checks. A knob the target's row lacks becomes its
// counterpart there (Node's keepAliveTimeoutMs is Go's idleTimeoutMs) or,
// without one, is left out (keepAliveTimeoutBufferMs on the Node lines
// before server.keepAliveTimeoutBuffer, unrefSockets on Go); between Node
// and Go each route action becomes its counterpart. Each such change is
// one of the notes; an action without a counterpart is an error. The
// receiver is not modified.
func (s Scenario) OnRuntime(rt string) (Scenario, []string, error) {
	target := row(rt)
	if target == nil {
		return Scenario{}, nil, fmt.Errorf("%q is not a runtime; one of %s", rt, strings.Join(RuntimeNames(), ", "))
	}
	out := s.clone()
	from := out.Server.Runtime
	out.Server.Runtime = rt
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, rt+": "+fmt.Sprintf(format, args...)) }
	sv := &out.Server
	byName := slices.SortedFunc(slices.Values(knobCatalogue), func(a, b Knob) int { return strings.Compare(a.Name, b.Name) })
	for _, k := range byName {
		if _, ok := target.Knob(k.Name); ok {
			continue
		}
		if k.Bool {
			if p := sv.BoolKnob(k.Name); *p != nil {
				note("%s has no counterpart there; left out", k.Name)
				*p = nil
			}
			continue
		}
		p := sv.IntKnob(k.Name)
		if *p == nil {
			continue
		}
		to := ""
		for _, c := range counterparts {
			if c.node == k.Name {
				to = c.gov
			} else if c.gov == k.Name {
				to = c.node
			}
		}
		if _, ok := target.Knob(to); ok {
			*sv.IntKnob(to) = *p
			note("%s %d becomes %s %d", k.Name, **p, to, **p)
		} else {
			note("%s %d has no counterpart there; left out", k.Name, **p)
		}
		*p = nil
	}
	if IsNode(from) != IsNode(rt) {
		for i := range sv.Routes {
			r := &sv.Routes[i]
			then := slices.Clone(r.Actions())
			for j, act := range then {
				to := ""
				for _, c := range thenCounterparts {
					if IsNode(from) && c.node == act {
						to = c.gov
					} else if !IsNode(from) && c.gov == act {
						to = c.node
					}
				}
				switch {
				case to != "":
					note("route %s: then %s becomes %s", r.Path, act, to)
					then[j] = to
				case !slices.Contains(Thens(rt), act):
					return Scenario{}, nil, fmt.Errorf("%s: route %s: then %q has no counterpart there", rt, r.Path, act)
				}
			}
			if len(r.Then) > 0 {
				r.Then = then
			}
		}
	}
	if err := out.Validate(); err != nil {
		return Scenario{}, nil, fmt.Errorf("%s: %w", rt, err)
	}
	return out, notes, nil
}
