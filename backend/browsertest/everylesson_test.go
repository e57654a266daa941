package browsertest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepalive-playground/playground/backend/run"
	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/lessons"
	"github.com/keepalive-playground/playground/scenario"
)

// TestEveryLessonInThePageAndInRun runs every lesson's start and its
// solution in the page, as a learner does (Run it; Show solution, then
// Run), and the same scenario with `playground run`'s runner at the same
// time, and compares what the lesson's tasks saw: a run means the same
// thing in both, so the checks must agree. The solution must pass every
// task in both; the start must not pass them all.
func TestEveryLessonInThePageAndInRun(t *testing.T) {
	// Its runs mostly wait on timers: beside the other parallel tests.
	t.Parallel()
	ls, err := lessons.Load(os.DirFS("../../lessons"), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) == 0 {
		t.Fatal("no lessons")
	}
	pg := startPlayground(t, "127.0.0.1:0")
	// Pages side by side: the runs mostly wait on timers, and one after
	// another they would take minutes. Each page has its own goroutine
	// rather than t.Parallel, which `-parallel` (GOMAXPROCS, 2 on CI)
	// would hold to two pages.
	const pages = 3
	var wg sync.WaitGroup
	for g, group := range byRunLength(ls, pages) {
		wg.Go(func() {
			t.Run(fmt.Sprintf("page%d", g+1), func(t *testing.T) {
				p := newPage(t, pg.URL())
				for _, l := range group {
					lessonBothWays(t, p, l)
				}
			})
		})
	}
	wg.Wait()
}

// byRunLength deals the lessons to n pages so that each page's runs last
// about as long (longest first, each to the page with the least so far):
// one 30 s lesson beside a row of short ones would otherwise decide the
// test's wall time.
func byRunLength(ls []*lessons.Lesson, n int) [][]*lessons.Lesson {
	length := func(l *lessons.Lesson) int {
		return l.Start.WithDefaults().DurationMs + l.Solution.WithDefaults().DurationMs
	}
	sorted := slices.Clone(ls)
	slices.SortStableFunc(sorted, func(a, b *lessons.Lesson) int { return length(b) - length(a) })
	groups := make([][]*lessons.Lesson, n)
	total := make([]int, n)
	for _, l := range sorted {
		g := slices.Index(total, slices.Min(total))
		groups[g] = append(groups[g], l)
		total[g] += length(l)
	}
	return groups
}

// lessonBothWays runs lesson l's start and solution in page p and
// headlessly, and compares the tasks.
func lessonBothWays(t *testing.T, p *page, l *lessons.Lesson) {
	t.Run(l.ID, func(t *testing.T) {
		parent := p.t
		defer func() { p.t = parent }()
		p.t = t
		// A fresh load: a hash change alone would not reload the page.
		p.do(chromedp.Navigate("about:blank"))
		p.do(chromedp.Navigate(p.url + "#lesson=" + l.ID))
		p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
		p.waitJS("the lesson", fmt.Sprintf(`location.hash === "#lesson=%s" && document.getElementById("lesson-run") !== null && document.querySelectorAll("[data-task]").length === %d`, l.ID, len(l.Tasks)), stepTimeout)
		for _, v := range []struct {
			name string
			sc   *scenario.Scenario
			act  func()
		}{
			{"start", l.Start, func() { p.click("#lesson-run") }},
			{"solution", l.Solution, func() { p.click("#lesson-solution"); p.click("#run") }},
		} {
			var page, cli []bool
			for try := 0; ; try++ {
				page, cli = bothRuns(t, p, l, v.sc, v.act)
				if slices.Equal(page, cli) || try == 1 {
					break
				}
				t.Logf("%s: the page saw %v, run %v; once more", v.name, page, cli)
			}
			if !slices.Equal(page, cli) {
				t.Errorf("%s: the tasks in the page %v, in playground run %v", v.name, page, cli)
			}
			// Each lesson's finished runs, as the learner sees them, to
			// look at (artifacts/browser/lesson-ID-start.png, -solution.png).
			p.viewShot("lesson-" + l.ID + "-" + v.name)
			switch {
			case v.name == "solution" && slices.Contains(cli, false):
				t.Errorf("the solution does not pass every task: %v", cli)
			case v.name == "start" && !slices.Contains(cli, false):
				t.Errorf("the start already passes every task")
			}
		}
	})
}

// bothRuns runs sc in the page (act presses its buttons) and headlessly at
// the same time, and returns which tasks passed in each.
func bothRuns(t *testing.T, p *page, l *lessons.Lesson, sc *scenario.Scenario, act func()) (page, cli []bool) {
	t.Helper()
	type result struct {
		res *run.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		r, err := run.Run(ctx, sc, all.Runtimes())
		done <- result{r, err}
	}()
	evalJS[bool](p, `delete document.documentElement.dataset.runEnded; true`)
	act()
	p.waitJS("the run's end", `document.documentElement.dataset.runEnded !== undefined`, time.Duration(sc.WithDefaults().DurationMs)*time.Millisecond+15*time.Second)
	p.nextFrame()
	p.nextFrame()
	page = evalJS[[]bool](p, `[...document.querySelectorAll("[data-task]")].map(li => li.dataset.pass === "true")`)
	r := <-done
	if r.err != nil {
		t.Fatalf("playground run: %v", r.err)
	}
	for _, task := range l.Tasks {
		pass, _ := task.Eval(r.res.Events)
		cli = append(cli, pass)
	}
	if !slices.Equal(page, cli) {
		t.Logf("page problems: %s", strings.Join(p.problemsExcept(), "; "))
	}
	return page, cli
}
