package lessons

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/keepalive-playground/playground/scenario"
)

// CourseVersion is the version of the lessons.json layout.
const CourseVersion = 1

// MaxCourseBytes bounds lessons.json as the browser reads it: a dozen
// lessons of rendered HTML and two scenarios each fit many times over.
const MaxCourseBytes = 4 << 20

// MaxHTMLBytes bounds one lesson's rendered HTML.
const MaxHTMLBytes = 4 * MaxLessonBytes

// Course is lessons.json, which the build writes and the page reads: the
// lessons in order, their Markdown rendered to HTML.
type Course struct {
	V       int     `json:"v"`
	Lessons []Entry `json:"lessons"`
}

// Entry is one lesson in Course.
type Entry struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Runtime string `json:"runtime"`
	// HTML is the lesson's text, rendered and sanitized at build time.
	HTML  string      `json:"html"`
	Docs  []Doc       `json:"docs"`
	Tasks []TaskEntry `json:"tasks"`
	// Start and Solution are the scenarios, with Lesson set to ID.
	Start    json.RawMessage `json:"start"`
	Solution json.RawMessage `json:"solution"`
}

// TaskEntry is a task with its text and hint also rendered as inline HTML.
type TaskEntry struct {
	Task
	TextHTML string `json:"textHTML"`
	HintHTML string `json:"hintHTML"`
}

// NewEntry makes l's entry from its rendered HTML (html for the body,
// inline HTML for each task's text and hint, in order).
func NewEntry(l *Lesson, html string, taskHTML [][2]string) (Entry, error) {
	if len(taskHTML) != len(l.Tasks) {
		return Entry{}, fmt.Errorf("%s: %d rendered tasks for %d tasks", l.ID, len(taskHTML), len(l.Tasks))
	}
	e := Entry{ID: l.ID, Title: l.Title, Runtime: l.Runtime, HTML: html, Docs: l.Docs}
	for i, t := range l.Tasks {
		e.Tasks = append(e.Tasks, TaskEntry{Task: t, TextHTML: taskHTML[i][0], HintHTML: taskHTML[i][1]})
	}
	for _, s := range []struct {
		sc  *scenario.Scenario
		dst *json.RawMessage
	}{{l.Start, &e.Start}, {l.Solution, &e.Solution}} {
		sc := *s.sc
		sc.Lesson = l.ID
		if sc.Title == "" {
			sc.Title = l.Title
		}
		data, err := scenario.Marshal(&sc)
		if err != nil {
			return Entry{}, fmt.Errorf("%s: %w", l.ID, err)
		}
		*s.dst = data
	}
	return e, nil
}

// Scenarios decodes the entry's start and solution strictly.
func (e Entry) Scenarios() (start, solution *scenario.Scenario, err error) {
	if start, err = scenario.Decode(e.Start); err != nil {
		return nil, nil, fmt.Errorf("lesson %s: start: %w", e.ID, err)
	}
	if solution, err = scenario.Decode(e.Solution); err != nil {
		return nil, nil, fmt.Errorf("lesson %s: solution: %w", e.ID, err)
	}
	return start, solution, nil
}

// DecodeCourse reads lessons.json strictly and validates it: what the page
// shows and runs must be what the build checked. The lessons' scenarios
// are decoded (as strictly) by Entry.Scenarios when a lesson loads one:
// decoding all of them here held up the page's start.
func DecodeCourse(data []byte) (*Course, error) {
	if len(data) > MaxCourseBytes {
		return nil, fmt.Errorf("lessons.json: %d bytes; the limit is %d", len(data), MaxCourseBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Course
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("lessons.json: %w", err)
	}
	if dec.More() {
		return nil, errors.New("lessons.json: data after the course")
	}
	if c.V != CourseVersion {
		return nil, fmt.Errorf("lessons.json: version %d; this page reads %d (reload the page)", c.V, CourseVersion)
	}
	if len(c.Lessons) == 0 {
		return nil, errors.New("lessons.json: no lessons")
	}
	seen := map[string]bool{}
	for i, e := range c.Lessons {
		if !ValidLessonID(e.ID) {
			return nil, fmt.Errorf("lessons.json: lesson %d: bad id %q", i+1, e.ID)
		}
		if seen[e.ID] {
			return nil, fmt.Errorf("lessons.json: lesson id %q twice", e.ID)
		}
		seen[e.ID] = true
		if len(e.HTML) > MaxHTMLBytes {
			return nil, fmt.Errorf("lessons.json: lesson %s: HTML of %d bytes", e.ID, len(e.HTML))
		}
		if len(e.Tasks) == 0 || len(e.Tasks) > MaxTasks {
			return nil, fmt.Errorf("lessons.json: lesson %s: %d tasks", e.ID, len(e.Tasks))
		}
		for j, t := range e.Tasks {
			if len(t.Checks) == 0 || len(t.Checks) > MaxChecksPerTask {
				return nil, fmt.Errorf("lessons.json: lesson %s task %d: %d checks", e.ID, j+1, len(t.Checks))
			}
			for _, ch := range t.Checks {
				if err := ch.Validate(); err != nil {
					return nil, fmt.Errorf("lessons.json: lesson %s task %d: %w", e.ID, j+1, err)
				}
			}
		}
		if len(e.Start) == 0 || len(e.Solution) == 0 {
			return nil, fmt.Errorf("lessons.json: lesson %s: no start or solution scenario", e.ID)
		}
	}
	return &c, nil
}

// Index is the position of lesson id in the course, or -1.
func (c *Course) Index(id string) int {
	for i, e := range c.Lessons {
		if e.ID == id {
			return i
		}
	}
	return -1
}

// Meta is the line above lesson i's title: "Lesson 3 of 23 · Node 26.12".
// The page's panel and the page the build renders (shown before the
// program runs) both print it, so that nothing moves when one replaces
// the other.
func (c *Course) Meta(i int) string {
	return fmt.Sprintf("Lesson %d of %d · %s", i+1, len(c.Lessons), scenario.Label(c.Lessons[i].Runtime))
}
