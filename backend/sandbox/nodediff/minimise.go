package nodediff

import (
	"regexp"
	"slices"
	"strings"

	"github.com/keepalive-playground/playground/scenario"
)

// maxShrinkRuns bounds the runs one minimisation may spend (each runs
// both sides once, a few seconds).
const maxShrinkRuns = 30

var diffConn = regexp.MustCompile(`^conn ([A-Za-z0-9_-]+)`)

// Minimise shrinks a differing pair's script to a smaller one that still
// differs: first to the connections the differences name, then without
// each connection, each step, and each header line of a send in turn. It
// returns the smallest pair found (p itself when nothing smaller
// differs).
func Minimise(p *Pair) *Pair {
	best := p
	runs := 0
	try := func(sc *scenario.Scenario) bool {
		if runs >= maxShrinkRuns || sc.Validate() != nil || len(sc.Client.Steps) == 0 {
			return false
		}
		runs++
		q := &Pair{Name: p.Name, SC: sc, CheckingInterval: p.CheckingInterval}
		q.Run()
		if q.Differs() {
			best = q
			return true
		}
		return false
	}
	// The connections the differences name.
	named := map[string]bool{}
	for _, d := range best.Diffs {
		if m := diffConn.FindStringSubmatch(d); m != nil {
			named[m[1]] = true
		}
	}
	if len(named) > 0 {
		try(keepConns(best.SC, func(c string) bool { return named[c] }))
	}
	for _, c := range conns(best.SC) {
		try(keepConns(best.SC, func(x string) bool { return x != c }))
	}
	for i := len(best.SC.Client.Steps) - 1; i >= 0; i-- {
		if i >= len(best.SC.Client.Steps) {
			continue
		}
		sc := clone(best.SC)
		sc.Client.Steps = slices.Delete(sc.Client.Steps, i, i+1)
		try(sc)
	}
	// Header lines of each send, one at a time (not the request line).
	for i := range best.SC.Client.Steps {
		for j := 1; ; j++ {
			st := best.SC.Client.Steps[i]
			if st.Send == nil {
				break
			}
			lines := strings.Split(*st.Send, "\r\n")
			if j >= len(lines) || lines[j] == "" {
				break
			}
			sc := clone(best.SC)
			smaller := strings.Join(slices.Delete(slices.Clone(lines), j, j+1), "\r\n")
			sc.Client.Steps[i].Send = &smaller
			if try(sc) {
				j--
			}
		}
	}
	return best
}

func clone(sc *scenario.Scenario) *scenario.Scenario {
	c := *sc
	c.Client.Steps = slices.Clone(sc.Client.Steps)
	return &c
}

func conns(sc *scenario.Scenario) []string {
	var out []string
	for _, st := range sc.Client.Steps {
		if !slices.Contains(out, st.Conn) {
			out = append(out, st.Conn)
		}
	}
	return out
}

func keepConns(sc *scenario.Scenario, keep func(string) bool) *scenario.Scenario {
	c := clone(sc)
	c.Client.Steps = slices.DeleteFunc(c.Client.Steps, func(st scenario.Step) bool { return !keep(st.Conn) })
	return c
}
