package lessons

import (
	"encoding/json"
	"testing"

	course "github.com/keepalive-playground/playground/lessons"
	"github.com/keepalive-playground/playground/timeline"
)

// TestEvalTasksAt: at an instant, a task is done only when every check is
// decided in its favour; one "no such event" check keeps it open until
// the run ends, and a check failed for good fails it.
func TestEvalTasksAt(t *testing.T) {
	task := func(checks ...string) course.TaskEntry {
		var e course.TaskEntry
		for _, js := range checks {
			var c timeline.Check
			if err := json.Unmarshal([]byte(js), &c); err != nil {
				t.Fatal(err)
			}
			e.Checks = append(e.Checks, c)
		}
		return e
	}
	tasks := []course.TaskEntry{
		task(`{"kind":"response"}`, `{"kind":"exit","count":0}`),
		task(`{"kind":"response"}`, `{"conn":"A","kind":"close"}`),
		task(`{"kind":"response","maxMs":5}`),
	}
	evs := []timeline.Event{
		{T: 10, Conn: "A", Kind: "response", Status: 200},
		{T: 20, Conn: "A", Kind: "close", By: "server"},
		{T: 30, Kind: "exit"},
	}
	v := func(vs ...timeline.Verdict) []timeline.Verdict { return vs }
	for _, tt := range []struct {
		k    int
		want []timeline.Verdict
	}{
		{0, v(timeline.NotYet, timeline.NotYet, timeline.NotYet)},
		{1, v(timeline.NotYet, timeline.NotYet, timeline.Failed)},
		{2, v(timeline.NotYet, timeline.Passed, timeline.Failed)},
		{3, v(timeline.Failed, timeline.Passed, timeline.Failed)},
	} {
		got := EvalTasksAt(tasks, evs, tt.k)
		for i, st := range got {
			if st.Verdict != tt.want[i] {
				t.Errorf("k=%d task %d: %v, want %v (%v)", tt.k, i+1, st.Verdict, tt.want[i], st.Results)
			}
			if len(st.Results) != len(tasks[i].Checks) || len(st.Verdicts) != len(tasks[i].Checks) {
				t.Errorf("k=%d task %d: %d results for %d checks", tt.k, i+1, len(st.Results), len(tasks[i].Checks))
			}
		}
	}
	if got := EvalTasksAt(tasks[:1], nil, 0); got[0].Verdict != timeline.NotYet {
		t.Errorf("an empty run decides task 1: %v", got[0].Verdict)
	}
}
