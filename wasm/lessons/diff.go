package lessons

import (
	"fmt"

	"github.com/keepalive-playground/playground/scenario"
)

// diffContext is how many unchanged JSON lines the line-level comparison
// keeps around each change.
const diffContext = 2

// Comparison is what "Compare with the solution" shows.
type Comparison struct {
	// Summary says in a sentence how the attempt stands to the solution.
	Summary string
	// Changes lead from the attempt to the solution.
	Changes []scenario.Change
	// Lines is the same as JSON, line by line; nil when nothing differs.
	Lines []scenario.Line
}

// Compare compares the person's scenario with the lesson's solution. When
// the scenario is the solution (Show solution put it there) and replaced
// is the attempt it replaced, the attempt is compared instead: that is
// what the person wants to learn from.
func Compare(editing scenario.Scenario, replaced *scenario.Scenario, sol scenario.Scenario) Comparison {
	var c Comparison
	mine := editing
	c.Changes = scenario.Diff(mine, sol)
	switch {
	case len(c.Changes) == 0 && replaced != nil && len(scenario.Diff(*replaced, sol)) > 0:
		mine = *replaced
		c.Changes = scenario.Diff(mine, sol)
		c.Summary = fmt.Sprintf("The solution is in the Scenario tab now. Your attempt, before Show solution, differed from it in %s:", places(len(c.Changes)))
	case len(c.Changes) == 0:
		c.Summary = "Your scenario does what the solution does: nothing differs but the title."
		return c
	default:
		c.Summary = fmt.Sprintf("Your scenario differs from the solution in %s (yours → the solution's):", places(len(c.Changes)))
	}
	// The title and the lesson are names, which the field list leaves
	// out: so does the line-level view.
	mine.Title, mine.Lesson = sol.Title, sol.Lesson
	a, errA := scenario.Indented(&mine)
	b, errB := scenario.Indented(&sol)
	if errA == nil && errB == nil {
		c.Lines = scenario.DiffLines(a, b, diffContext)
	}
	return c
}

func places(n int) string {
	if n == 1 {
		return "1 place"
	}
	return fmt.Sprintf("%d places", n)
}
