//go:build !js

package lessons_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/run"
	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/lessons"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// runSlack is how much longer than its durationMs a run may take before
// the test gives up on it (start-up, settling, a loaded machine).
const runSlack = 10 * time.Second

// runCase is one of TestContent's runs: a lesson's solution or start.
type runCase struct {
	lesson *lessons.Lesson
	name   string
	sc     *scenario.Scenario
	want   bool
	evs    []timeline.Event
	err    error
}

// TestContent is the course's content test, like the Go tour's: every
// lesson's reference solution runs headlessly and passes every task, and
// every starting scenario fails every task it asks the learner to solve.
func TestContent(t *testing.T) {
	ls, err := lessons.Load(os.DirFS("."), ".")
	if err != nil {
		t.Fatal(err)
	}
	var cases []*runCase
	for _, l := range ls {
		cases = append(cases,
			&runCase{lesson: l, name: "solution", sc: l.Solution, want: true},
			&runCase{lesson: l, name: "start", sc: l.Start, want: false})
	}
	// The runs spend their time waiting on timers, not on the CPU, so they
	// all run at once whatever -parallel says: the test takes as long as
	// the longest run (lesson 7 waits for Node's 30 s check interval).
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.evs, c.err = play(c.sc)
		}()
	}
	wg.Wait()
	// A run whose tasks came out other than wanted runs once more, alone:
	// thirty-odd runs at once beside the other test binaries can stall a
	// run past a lesson's timing window (lesson 10's race is 400 ms wide),
	// while a lesson whose solution or start is wrong fails alone too.
	for _, c := range cases {
		if c.err == nil && c.asWanted() {
			continue
		}
		t.Logf("%s/%s: not as wanted with every lesson running at once; once more, alone", c.lesson.ID, c.name)
		c.evs, c.err = play(c.sc)
	}

	for _, c := range cases {
		t.Run(c.lesson.ID+"/"+c.name, func(t *testing.T) {
			if c.err != nil {
				t.Fatal(c.err)
			}
			for i, task := range c.lesson.Tasks {
				pass, results := task.Eval(c.evs)
				if pass == c.want {
					continue
				}
				var b strings.Builder
				for _, r := range results {
					mark := "FAIL"
					if r.Pass {
						mark = "pass"
					}
					b.WriteString("\n  " + mark + " " + r.Name + ": " + r.Detail)
				}
				if c.want {
					t.Errorf("task %d (%s) fails:%s", i+1, task.Text, b.String())
				} else {
					t.Errorf("the start already passes task %d (%s); a task must ask for a change:%s", i+1, task.Text, b.String())
				}
			}
			if !c.want {
				// The page evaluates tasks as events arrive and keeps a task
				// done once it passes: a start must fail every task at every
				// moment of its run, not only at the end.
				for n := range c.evs {
					for i, task := range c.lesson.Tasks {
						if pass, _ := task.Eval(c.evs[:n]); pass {
							t.Errorf("the start passes task %d (%s) for a moment, after %d events (at %.1f ms): the page would mark it done", i+1, task.Text, n, c.evs[n-1].T)
						}
					}
					if t.Failed() {
						break
					}
				}
			}
			if t.Failed() {
				t.Logf("timeline:\n%s", dump(c.evs))
			}
		})
	}
}

// asWanted: a solution passes every task at its end, a start none.
func (c *runCase) asWanted() bool {
	for _, task := range c.lesson.Tasks {
		if pass, _ := task.Eval(c.evs); pass != c.want {
			return false
		}
	}
	return true
}

func play(sc *scenario.Scenario) ([]timeline.Event, error) {
	d := time.Duration(sc.WithDefaults().DurationMs)*time.Millisecond + runSlack
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	res, err := run.Run(ctx, sc, all.Runtimes())
	if err != nil {
		return nil, fmt.Errorf("run %q: %w", sc.Title, err)
	}
	if len(res.Errors) > 0 {
		return nil, fmt.Errorf("run %q reported errors: %q", sc.Title, res.Errors)
	}
	return res.Events, nil
}

func dump(evs []timeline.Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "  %8.1f %-2s %-16s %s %s %s %s", e.T, e.Conn, e.Kind, e.By, e.Reason, e.Method, e.Path)
		if e.Status != 0 {
			fmt.Fprintf(&b, " %d", e.Status)
		}
		if e.Error != "" {
			fmt.Fprintf(&b, " error=%q", e.Error)
		}
		b.WriteString("\n")
	}
	return b.String()
}
