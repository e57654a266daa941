package main

import (
	"html/template"

	"github.com/keepalive-playground/playground/lessons"
)

// previewLesson is one lesson as the page shows it before its program
// runs: its entry in the list and its article, with the markup the
// lessons panel builds (wasm/lessons), so that the panel replaces it
// without moving anything. The HTML was sanitized when the course was
// rendered (lessons.go), so it is trusted here.
type previewLesson struct {
	Num             int
	ID, Title, Meta string
	HTML            template.HTML
	Tasks           []previewTask
	Docs            []lessons.Doc
}

type previewTask struct {
	Num        int
	Text, Hint template.HTML
}

// previewOf lays out c for the page template; nil for no course.
func previewOf(c *lessons.Course) []previewLesson {
	if c == nil {
		return nil
	}
	out := make([]previewLesson, len(c.Lessons))
	for i, e := range c.Lessons {
		p := previewLesson{Num: i + 1, ID: e.ID, Title: e.Title, Meta: c.Meta(i),
			HTML: template.HTML(e.HTML), Docs: e.Docs}
		for n, t := range e.Tasks {
			p.Tasks = append(p.Tasks, previewTask{Num: n + 1, Text: template.HTML(t.TextHTML), Hint: template.HTML(t.HintHTML)})
		}
		out[i] = p
	}
	return out
}
