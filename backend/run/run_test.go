package run

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestStoryScenarios plays every scenario of the story (the question, its
// three answers on node18 and node20, and the Go equivalents) and holds it
// to its own checks, like the Go tour's content test.
func TestStoryScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "scenarios", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := scenario.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(sc.Checks) == 0 {
				t.Fatal("a story scenario must say what it shows: it has no checks")
			}
			res, err := Run(context.Background(), sc, all.Runtimes())
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range res.Checks {
				if !c.Pass {
					t.Errorf("FAIL %s: %s", c.Name, c.Detail)
				}
			}
			if t.Failed() {
				for _, e := range res.Events {
					t.Logf("%8.1f %-2s %-16s %s %s %s %d %q", e.T, e.Conn, e.Kind, e.By, e.Reason, e.Path, e.Status, e.Data)
				}
			}
			for _, e := range res.Errors {
				t.Errorf("the run reported: %s", e)
			}
			checkContract(t, res.Events)
		})
	}
}

// checkContract holds a timeline to DESIGN.md's event contract.
func checkContract(t *testing.T, events []timeline.Event) {
	t.Helper()
	last := 0.0
	closes := map[string]int{}
	for i, e := range events {
		if e.T < last {
			t.Errorf("event %d at %.1f ms after one at %.1f ms", i, e.T, last)
		}
		last = e.T
		if err := e.Validate(); err != nil {
			t.Errorf("event %d %+v: %v", i, e, err)
		}
		if e.Kind == timeline.Close {
			closes[e.Conn]++
			if e.By == "" || e.Reason == "" {
				t.Errorf("close without by or reason: %+v", e)
			}
		}
	}
	for c, n := range closes {
		if n > 1 {
			t.Errorf("conn %s closed %d times on the timeline", c, n)
		}
	}
}

func TestRunStopsEarlyWhenNothingIsLeft(t *testing.T) {
	sc, err := scenario.Decode([]byte(`{"v":1,"server":{"runtime":"node20","routes":[{"path":"*","body":"bye","then":"exit"}]},
		"client":{"steps":[{"at":0,"conn":"A","send":"GET / HTTP/1.1\r\nHost: x\r\n\r\n"}]},"durationMs":60000,
		"checks":[{"kind":"exit"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := Run(context.Background(), sc, all.Runtimes())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed() {
		t.Errorf("checks: %+v", res.Checks)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a run whose server exited at once took %v of its 60 s", d)
	}
}

func TestRunHonoursCancel(t *testing.T) {
	sc := scenario.Default()
	sc.DurationMs = 60000
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := Run(ctx, &sc, all.Runtimes())
	if err == nil {
		t.Error("a cancelled run reported success")
	}
}
