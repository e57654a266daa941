package lessons_test

import (
	"os"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/lessons"
	"github.com/keepalive-playground/playground/timeline"
)

// unlabelled are the server events the timeline does not draw under their
// event names: a call is labelled as the program writes it (close(),
// Close(), Shutdown()), the listener's close and beforeExit are marks
// without text. Prose that tells a learner to look for `close-called` on
// the timeline names something they cannot find there.
var unlabelled = []string{
	timeline.CloseCalled, timeline.CloseIdleCalled, timeline.CloseAllCalled,
	timeline.ShutdownCalled, timeline.ListenerClosed, timeline.BeforeExit,
}

// TestProseNamesEventsAsDrawn: a lesson's text names the events the
// timeline draws by their labels; the event names appear only where the
// paragraph is about `playground run`'s list, which prints them, or in
// code blocks (lesson 1 said "watch the timeline: the answer,
// `close-called`, `listener-closed`").
func TestProseNamesEventsAsDrawn(t *testing.T) {
	ls, err := lessons.Load(os.DirFS("."), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		t.Run(l.ID, func(t *testing.T) {
			for _, para := range paragraphs(string(l.Body)) {
				if strings.Contains(para, "playground run") {
					continue
				}
				for _, kind := range unlabelled {
					if strings.Contains(para, "`"+kind+"`") {
						t.Errorf("the text names `%s`, which the timeline does not show by that name:\n%s", kind, para)
					}
				}
			}
		})
	}
}

func TestParagraphs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"two paragraphs", "a\nb\n\nc\n", []string{"a\nb", "c"}},
		{"a code block is left out", "a\n\n```js\n`close-called`\n\n```\nb\n", []string{"a", "b"}},
		{"blank lines run together", "a\n\n\n\nb", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := paragraphs(tt.in)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("paragraphs = %q, want %q", got, tt.want)
			}
		})
	}
}

// paragraphs splits Markdown prose at blank lines, leaving fenced code
// blocks out.
func paragraphs(md string) []string {
	var out []string
	var cur []string
	fenced := false
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	for _, line := range strings.Split(md, "\n") {
		switch {
		case strings.HasPrefix(strings.TrimSpace(line), "```"):
			fenced = !fenced
			flush()
		case fenced:
		case strings.TrimSpace(line) == "":
			flush()
		default:
			cur = append(cur, line)
		}
	}
	flush()
	return out
}
