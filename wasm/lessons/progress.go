// Package lessons is the lesson panel: the course list with what is done,
// the open lesson's text, its scenario one click away, and its tasks,
// checked live against the current run's timeline. This file is the part
// that needs no browser: progress, link targets and task state.
package lessons

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	course "github.com/keepalive-playground/playground/lessons"
	"github.com/keepalive-playground/playground/timeline"
)

// ProgressKey is the localStorage key of the person's progress.
const ProgressKey = "kap.progress"

// progressVersion is the layout of the stored progress.
const progressVersion = 1

// Limits on stored progress. Local storage is the person's own, but
// anything (another version of the page, a hand edit) may be in it: what
// is read is bounded and what does not fit is dropped, never fatal.
const (
	maxProgressBytes   = 64 << 10
	maxProgressLessons = 256
)

// Progress is which tasks of which lessons the person has completed.
type Progress struct {
	V int `json:"v"`
	// Done maps a lesson id to its completed task numbers (1-based,
	// sorted, no duplicates).
	Done map[string][]int `json:"done"`
}

// DecodeProgress reads stored progress. Whatever cannot be read is
// dropped: a broken entry costs a check mark, not the page.
func DecodeProgress(s string) Progress {
	p := Progress{V: progressVersion, Done: map[string][]int{}}
	if len(s) == 0 || len(s) > maxProgressBytes {
		return p
	}
	var raw struct {
		V    int                        `json:"v"`
		Done map[string]json.RawMessage `json:"done"`
	}
	if json.Unmarshal([]byte(s), &raw) != nil || raw.V != progressVersion {
		return p
	}
	for id, tasks := range raw.Done {
		if len(p.Done) >= maxProgressLessons || !course.ValidLessonID(id) {
			continue
		}
		var ns []int
		if json.Unmarshal(tasks, &ns) != nil {
			continue
		}
		for _, n := range ns {
			if n >= 1 && n <= course.MaxTasks {
				p.mark(id, n)
			}
		}
	}
	return p
}

// Encode is the stored form of p.
func (p Progress) Encode() string {
	p.V = progressVersion
	if p.Done == nil {
		p.Done = map[string][]int{}
	}
	data, err := json.Marshal(p)
	if err != nil {
		return "" // a map of ints cannot fail to encode
	}
	return string(data)
}

// Mark records task (1-based) of lesson id as done and reports whether
// that is news.
func (p *Progress) Mark(id string, task int) bool {
	if task < 1 || task > course.MaxTasks {
		return false
	}
	return p.mark(id, task)
}

func (p *Progress) mark(id string, task int) bool {
	if p.Done == nil {
		p.Done = map[string][]int{}
	}
	ns := p.Done[id]
	i, found := slices.BinarySearch(ns, task)
	if found {
		return false
	}
	p.Done[id] = slices.Insert(ns, i, task)
	return true
}

// TaskDone reports whether task (1-based) of lesson id was ever completed.
func (p Progress) TaskDone(id string, task int) bool {
	_, found := slices.BinarySearch(p.Done[id], task)
	return found
}

// LessonDone reports whether every one of the lesson's tasks is done.
func (p Progress) LessonDone(id string, tasks int) bool {
	if tasks == 0 {
		return false
	}
	for n := 1; n <= tasks; n++ {
		if !p.TaskDone(id, n) {
			return false
		}
	}
	return true
}

// Count is how many of the course's lessons are done.
func (p Progress) Count(c *course.Course) int {
	n := 0
	for _, e := range c.Lessons {
		if p.LessonDone(e.ID, len(e.Tasks)) {
			n++
		}
	}
	return n
}

// Target is what a #lesson= link names: a lesson and, optionally, one of
// its tasks ("keepalive-race/2").
type Target struct {
	ID   string
	Task int // 1-based; 0 for the lesson as a whole
}

// ParseTarget reads the part of a link after "#lesson=". It checks the
// form only; whether the lesson exists is the course's business.
func ParseTarget(s string) (Target, bool) {
	id, task, hasTask := strings.Cut(s, "/")
	if !course.ValidLessonID(id) {
		return Target{}, false
	}
	t := Target{ID: id}
	if hasTask {
		n, err := strconv.Atoi(task)
		if err != nil || n < 1 || n > course.MaxTasks {
			return Target{}, false
		}
		t.Task = n
	}
	return t, true
}

// Hash is the page address fragment for t.
func (t Target) Hash() string {
	if t.Task > 0 {
		return "#lesson=" + t.ID + "/" + strconv.Itoa(t.Task)
	}
	return "#lesson=" + t.ID
}

// MayReplaceHash reports whether the panel may put its own #lesson= in the
// address bar: not over a shared scenario (#s=) or a recorded run, which
// the person would lose.
func MayReplaceHash(current string) bool {
	return current == "" || current == "#" || strings.HasPrefix(current, "#lesson=")
}

// TaskState is one task's live state over the current run.
type TaskState struct {
	Pass    bool
	Results []timeline.Result
}

// EvalTasks checks every task over a run's events. A run with no events
// passes nothing, even a task whose checks all say "no such event": an
// empty timeline proves nothing.
func EvalTasks(tasks []course.TaskEntry, events []timeline.Event) []TaskState {
	out := make([]TaskState, len(tasks))
	for i, t := range tasks {
		out[i].Pass, out[i].Results = t.Eval(events)
		if len(events) == 0 {
			out[i].Pass = false
		}
	}
	return out
}
