package lessons

import (
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
)

func TestCompare(t *testing.T) {
	ms := func(v int) *int { return &v }
	sol := scenario.Default()
	sol.Title = "the solution"
	sol.Server.KeepAliveTimeoutMs = ms(0)
	attempt := scenario.Default()
	attempt.Title = "my attempt"
	for _, tc := range []struct {
		name     string
		editing  scenario.Scenario
		replaced *scenario.Scenario
		summary  string
		changes  []string
		lines    bool
	}{
		{"an attempt", attempt, nil, "differs from the solution in 1 place",
			[]string{"server.keepAliveTimeoutMs: 5000 ms (the default) → 0 ms (off)"}, true},
		{"the solution itself", sol, nil, "nothing differs but the title", nil, false},
		{"the solution after Show solution: the attempt it replaced", sol, &attempt,
			"Your attempt, before Show solution, differed from it in 1 place",
			[]string{"server.keepAliveTimeoutMs: 5000 ms (the default) → 0 ms (off)"}, true},
		{"an edit after Show solution", attempt, &sol, "differs from the solution in 1 place",
			[]string{"server.keepAliveTimeoutMs: 5000 ms (the default) → 0 ms (off)"}, true},
		{"an attempt that was the solution already", sol, &sol, "nothing differs", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Compare(tc.editing, tc.replaced, sol)
			if !strings.Contains(c.Summary, tc.summary) {
				t.Errorf("Summary = %q, want it to say %q", c.Summary, tc.summary)
			}
			var got []string
			for _, ch := range c.Changes {
				got = append(got, ch.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.changes, "\n") {
				t.Errorf("Changes = %q, want %q", got, tc.changes)
			}
			if (c.Lines != nil) != tc.lines {
				t.Fatalf("Lines = %v, want some: %v", c.Lines, tc.lines)
			}
			for _, l := range c.Lines {
				if strings.Contains(l.Text, "title") && l.Op != scenario.LineSame && l.Op != scenario.LineFolded {
					t.Errorf("the line view shows the title: %q", l.Text)
				}
			}
		})
	}
}
