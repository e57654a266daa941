package lessons_test

import (
	"os"
	"testing"

	"github.com/keepalive-playground/playground/lessons"
	"github.com/keepalive-playground/playground/scenario"
)

// TestLessonLinkLengths shares every lesson's starting and solution
// scenario as the Share button does (with the lesson named) and reports
// how long the links are: they must stay far below the limit.
// go test -v -run TestLessonLinkLengths ./lessons prints the table.
func TestLessonLinkLengths(t *testing.T) {
	ls, err := lessons.Load(os.DirFS("."), ".")
	if err != nil {
		t.Fatal(err)
	}
	// shortEnough is what a link of an ordinary scenario must stay under:
	// a tenth of the limit, short enough to paste in a chat.
	const shortEnough = scenario.MaxLinkChars / 10
	for _, l := range ls {
		for name, sc := range map[string]*scenario.Scenario{"start": l.Start, "solution": l.Solution} {
			s := *sc
			s.Lesson = l.ID
			link, err := scenario.EncodeLink(&s)
			if err != nil {
				t.Errorf("%s %s: %v", l.ID, name, err)
				continue
			}
			t.Logf("%-20s %-8s %4d characters", l.ID, name, len(link))
			if len(link) > shortEnough {
				t.Errorf("%s %s: a link of %d characters; ordinary scenarios stay under %d", l.ID, name, len(link), shortEnough)
			}
		}
	}
}
