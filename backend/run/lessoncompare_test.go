package run

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/lessons"
	"github.com/keepalive-playground/playground/scenario"
)

// compareLinkRE finds a lesson's comparison links and the words around
// them up to the end of the sentence, which say where the runs part.
var compareLinkRE = regexp.MustCompile(`\[([^\]]*)\]\((#compare=[^)]+)\)([^.]*)`)

// connRE finds the connections the sentence names (`B`).
var connRE = regexp.MustCompile("`([A-Z])`")

// TestLessonComparisonsPart: every "compare side by side" link in a
// lesson's text, run on the lesson's solution as the page runs it on the
// scenario on screen, parts where its sentence says: on each connection
// the sentence names, and at least somewhere.
func TestLessonComparisonsPart(t *testing.T) {
	ls, err := lessons.Load(os.DirFS("../../lessons"), ".")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range ls {
		for _, m := range compareLinkRE.FindAllStringSubmatch(string(l.Body), -1) {
			n++
			text, link, rest := m[1], m[2], m[3]
			t.Run(l.ID+"/"+strings.TrimPrefix(link, scenario.CompareLinkPrefix), func(t *testing.T) {
				t.Parallel()
				cmp, err := scenario.ParseCompareLink(link)
				if err != nil {
					t.Fatal(err)
				}
				sc := *l.Solution
				sc.Compare = &cmp
				vs, err := sc.Variants()
				if err != nil {
					t.Fatal(err)
				}
				c, err := Compare(context.Background(), vs, all.Runtimes())
				if err != nil {
					t.Fatal(err)
				}
				parted := map[string]bool{}
				for _, p := range c.Partings {
					parted[p.Conn] = true
					t.Logf("%s: %s", p.Conn, p.Sentence)
				}
				if len(c.Partings) == 0 {
					t.Errorf("%q: the runs agree on the solution; the lesson says they part", text)
				}
				for _, cm := range connRE.FindAllStringSubmatch(text+rest, -1) {
					if !parted[cm[1]] {
						t.Errorf("%q%s: the runs do not part on %s", text, rest, cm[1])
					}
				}
			})
		}
	}
	if n < 3 {
		t.Errorf("%d comparison links in the course; lessons 2, 9 and 12 contrast versions and should link one each", n)
	}
}
