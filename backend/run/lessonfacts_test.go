package run

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/lessons"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// factRunTimeout bounds one lesson run here; the lessons' runs last a few
// seconds.
const factRunTimeout = time.Minute

func loadLessons(t *testing.T) map[string]*lessons.Lesson {
	t.Helper()
	ls, err := lessons.Load(os.DirFS("../../lessons"), ".")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*lessons.Lesson{}
	for _, l := range ls {
		byID[l.ID] = l
	}
	return byID
}

func runLesson(t *testing.T, sc *scenario.Scenario) []timeline.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), factRunTimeout)
	defer cancel()
	r, err := Run(ctx, sc, all.Runtimes())
	if err != nil {
		t.Fatal(err)
	}
	return r.Events
}

// TestLessonTaskNeedsItsOwnFix: a later task is not done by an earlier
// task's fix alone (lesson 4's second task passed with the first's
// keepAliveTimeout 0, so the learner had nothing left to do).
func TestLessonTaskNeedsItsOwnFix(t *testing.T) {
	byID := loadLessons(t)
	zero := 0
	tests := []struct {
		lesson string
		fixed  int // the task whose fix is applied
		open   int // the task that must still fail
		fix    func(*scenario.Scenario)
	}{
		{"netcat-timeout", 1, 2, func(sc *scenario.Scenario) { sc.Server.KeepAliveTimeoutMs = &zero }},
	}
	for _, tt := range tests {
		t.Run(tt.lesson, func(t *testing.T) {
			t.Parallel()
			l := byID[tt.lesson]
			if l == nil {
				t.Fatalf("no lesson %s", tt.lesson)
			}
			sc := *l.Start
			sc.Server = l.Start.Server
			tt.fix(&sc)
			evs := runLesson(t, &sc)
			if pass, res := l.Tasks[tt.fixed-1].Eval(evs); !pass {
				t.Errorf("task %d's fix does not pass task %d: %+v", tt.fixed, tt.fixed, res)
			}
			if pass, _ := l.Tasks[tt.open-1].Eval(evs); pass {
				t.Errorf("task %d's fix alone passes task %d", tt.fixed, tt.open)
			}
		})
	}
}

// TestLessonProseTimes: a time the lesson's text states is the time its
// solution's run shows (lesson 8 said B was answered at 800 ms; the
// timeline showed about 900).
func TestLessonProseTimes(t *testing.T) {
	byID := loadLessons(t)
	tests := []struct {
		lesson string
		prose  *regexp.Regexp // its first group is the stated ms
		match  timeline.Match
	}{
		{"close-idle-vs-all", regexp.MustCompile("`B` gets its answer\\s+800 ms after it asked, at about (\\d+) ms"),
			timeline.Match{Conn: "B", Kind: timeline.Recv, Contains: "late"}},
		{"close-idle-vs-all", regexp.MustCompile("500 ms, plus 1 s\\) closes it at about (\\d+) ms"),
			timeline.Match{Conn: "B", Kind: timeline.Close, By: timeline.ByServer}},
	}
	for _, tt := range tests {
		t.Run(tt.lesson, func(t *testing.T) {
			t.Parallel()
			l := byID[tt.lesson]
			if l == nil {
				t.Fatalf("no lesson %s", tt.lesson)
			}
			m := tt.prose.FindSubmatch(l.Body)
			if m == nil {
				t.Fatalf("the text no longer says %q", tt.prose)
			}
			said, _ := strconv.ParseFloat(string(m[1]), 64)
			var got []float64
			for _, ev := range runLesson(t, l.Solution) {
				if tt.match.Matches(ev) {
					got = append(got, ev.T)
				}
			}
			if len(got) == 0 {
				t.Fatalf("the solution's run has no %+v", tt.match)
			}
			// "about": within the one timing tolerance, or 50 ms for round
			// figures in prose.
			if d := got[0] - said; d > 50+timeline.TimingTolerance(said) || d < -50-timeline.TimingTolerance(said) {
				t.Errorf("the text says %v ms, the run shows %v ms", said, got[0])
			}
		})
	}
}
