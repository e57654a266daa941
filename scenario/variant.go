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
// script, routes and checks. Between Node release lines nothing else
// changes. Between Node and Go a knob or route action becomes its
// counterpart in the other language, a knob without one is left out, and
// each such change is one of the notes; an action without a counterpart
// is an error. The receiver is not modified.
func (s Scenario) OnRuntime(rt string) (Scenario, []string, error) {
	if !slices.Contains(RuntimeNames(), rt) {
		return Scenario{}, nil, fmt.Errorf("%q is not a runtime; one of %s", rt, strings.Join(RuntimeNames(), ", "))
	}
	out := s.clone()
	from := out.Server.Runtime
	out.Server.Runtime = rt
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, rt+": "+fmt.Sprintf(format, args...)) }
	if IsNode(from) != IsNode(rt) {
		sv := &out.Server
		node := map[string]**int{
			"socketTimeoutMs": &sv.SocketTimeoutMs, "keepAliveTimeoutMs": &sv.KeepAliveTimeoutMs,
			"headersTimeoutMs": &sv.HeadersTimeoutMs, "requestTimeoutMs": &sv.RequestTimeoutMs,
			"maxRequestsPerSocket": &sv.MaxRequestsPerSocket,
		}
		gov := map[string]**int{
			"idleTimeoutMs": &sv.IdleTimeoutMs, "readHeaderTimeoutMs": &sv.ReadHeaderTimeoutMs,
			"shutdownTimeoutMs": &sv.ShutdownTimeoutMs,
		}
		src, dst := node, gov
		if !IsNode(from) {
			src, dst = gov, node
		}
		for _, name := range slices.Sorted(func(yield func(string) bool) {
			for k := range src {
				if !yield(k) {
					return
				}
			}
		}) {
			p := src[name]
			if *p == nil {
				continue
			}
			to := ""
			for _, c := range counterparts {
				if c.node == name {
					to = c.gov
				} else if c.gov == name {
					to = c.node
				}
			}
			if to == "" {
				note("%s %d has no counterpart there; left out", name, **p)
			} else {
				*dst[to] = *p
				note("%s %d becomes %s %d", name, **p, to, **p)
			}
			*p = nil
		}
		if sv.UnrefSockets != nil {
			note("unrefSockets has no counterpart there; left out")
			sv.UnrefSockets = nil
		}
		for i := range sv.Routes {
			r := &sv.Routes[i]
			act, to := r.Action(), ""
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
				r.Then = to
			case !slices.Contains(Thens(rt), act):
				return Scenario{}, nil, fmt.Errorf("%s: route %s: then %q has no counterpart there", rt, r.Path, act)
			}
		}
	}
	if err := out.Validate(); err != nil {
		return Scenario{}, nil, fmt.Errorf("%s: %w", rt, err)
	}
	return out, notes, nil
}
