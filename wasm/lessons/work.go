package lessons

import (
	"encoding/json"
	"slices"

	course "github.com/keepalive-playground/playground/lessons"
	"github.com/keepalive-playground/playground/scenario"
)

// WorkKey is the localStorage key of the person's working copies: each
// lesson's scenario as they last edited it, kept as progress is, so that
// Next, Previous and a reload do not lose an attempt.
const WorkKey = "kap.work"

const (
	workVersion = 1
	// maxWorkLessons and maxWorkBytes bound what is kept (localStorage
	// holds a few MB per origin, shared with the progress).
	maxWorkLessons = 64
	maxWorkBytes   = 1 << 20
)

// Work is the working copies, each a scenario link (the compact, validated
// form a shared link uses), by lesson id.
type Work struct {
	V     int               `json:"v"`
	Links map[string]string `json:"links"`
}

// DecodeWork reads stored working copies; what cannot be read is dropped
// (it costs an attempt, not the page).
func DecodeWork(s string) Work {
	w := Work{V: workVersion, Links: map[string]string{}}
	if len(s) == 0 || len(s) > maxWorkBytes {
		return w
	}
	var raw Work
	if json.Unmarshal([]byte(s), &raw) != nil || raw.V != workVersion {
		return w
	}
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for id := range raw.Links {
			if !yield(id) {
				return
			}
		}
	}) {
		if len(w.Links) >= maxWorkLessons || !course.ValidLessonID(id) {
			continue
		}
		if _, err := scenario.DecodeLink(raw.Links[id]); err == nil {
			w.Links[id] = raw.Links[id]
		}
	}
	return w
}

// Get is lesson id's working copy.
func (w Work) Get(id string) (*scenario.Scenario, bool) {
	link, ok := w.Links[id]
	if !ok {
		return nil, false
	}
	sc, err := scenario.DecodeLink(link)
	if err != nil {
		return nil, false
	}
	return sc, true
}

// Set keeps sc as lesson id's working copy; false when nothing changed or
// it cannot be kept.
func (w Work) Set(id string, sc *scenario.Scenario) bool {
	link, err := scenario.EncodeLink(sc)
	if err != nil || !course.ValidLessonID(id) || w.Links[id] == link {
		return false
	}
	if _, ok := w.Links[id]; !ok && len(w.Links) >= maxWorkLessons {
		return false
	}
	w.Links[id] = link
	return true
}

// Delete forgets lesson id's working copy; false when there was none.
func (w Work) Delete(id string) bool {
	if _, ok := w.Links[id]; !ok {
		return false
	}
	delete(w.Links, id)
	return true
}

// Encode writes the working copies for storage.
func (w Work) Encode() string {
	b, err := json.Marshal(w)
	if err != nil {
		return ""
	}
	return string(b)
}
