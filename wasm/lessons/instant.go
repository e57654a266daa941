package lessons

import (
	course "github.com/keepalive-playground/playground/lessons"
	"github.com/keepalive-playground/playground/timeline"
)

// TaskAt is one task as a run stood at an instant (the scrubber's): each
// check's result and verdict over the events up to then, and the task's.
type TaskAt struct {
	Verdict  timeline.Verdict
	Results  []timeline.Result
	Verdicts []timeline.Verdict
}

// EvalTasksAt checks every task at the instant of the run's kth event in
// time order (timeline.EvalAt): a task passes there when every check has
// passed for good, fails when one has failed for good, and is otherwise
// not decided yet. No events decide nothing, as EvalTasks passes nothing
// on an empty timeline.
func EvalTasksAt(tasks []course.TaskEntry, events []timeline.Event, k int) []TaskAt {
	out := make([]TaskAt, len(tasks))
	for i, t := range tasks {
		res, vs := timeline.EvalAllAt(t.Checks, events, k)
		v := timeline.Passed
		for _, cv := range vs {
			switch {
			case cv == timeline.Failed:
				v = timeline.Failed
			case cv == timeline.NotYet && v == timeline.Passed:
				v = timeline.NotYet
			}
		}
		if len(events) == 0 {
			v = timeline.NotYet
		}
		out[i] = TaskAt{Verdict: v, Results: res, Verdicts: vs}
	}
	return out
}
