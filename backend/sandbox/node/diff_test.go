package node_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/backend/sandbox/nodediff"
	"github.com/keepalive-playground/playground/backend/sandbox/realnode"
	"github.com/keepalive-playground/playground/scenario"
)

// The timing tolerance between the emulation and real Node for the same
// event is timeline.TimingTolerance, the rule `playground run --runtime`
// compares runtimes by.
const (
	// diffMaxDurationMs keeps the differential run short: longer
	// scenarios are cut to this length in both runs alike.
	diffMaxDurationMs = 7000
	// diffStartMs shifts every step in both runs, so that real Node,
	// which takes a few hundred ms to start, listens before the first step
	// is due on the session clock.
	diffStartMs = 1500
)

// diffConcurrency is how many scenario pairs run at once, the emulation
// and real Node of each pair side by side. The runs mostly wait on
// timers, but each real Node spends a burst of CPU starting up; with
// more pairs than this on two loaded cores those bursts delay the other
// pairs' events past the timing tolerance (seen with 3 and 4 while other
// suites shared the machine; 2 passed under a load average of 10).
const diffConcurrency = 2

// diffScenarios reads every Node scenario the differential test runs: the
// diff set and the story's scenarios.
func diffScenarios(t *testing.T) map[string]*scenario.Scenario {
	t.Helper()
	files, _ := filepath.Glob("testdata/diff/*.json")
	shared, _ := filepath.Glob("../../../scenarios/*.json")
	files = append(files, shared...)
	out := map[string]*scenario.Scenario{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := scenario.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if scenario.IsNode(sc.Server.Runtime) {
			out[strings.TrimSuffix(filepath.Base(file), ".json")] = sc
		}
	}
	if len(out) == 0 {
		t.Fatal("no Node scenarios to compare: the differential test would prove nothing")
	}
	return out
}

// TestDifferential runs every Node scenario on every Node runtime, on the
// emulation and on the runtime's own real release, and compares the
// normalized timelines. Every Node scenario is a fair program for any
// line that has its knobs (keepAliveTimeoutBufferMs only some lines
// have); scenarios that become the same program on a line run once.
func TestDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("differential runs take seconds")
	}
	scens := diffScenarios(t)
	var pairs []*nodediff.Pair
	ran := map[string]bool{}
	for _, rt := range scenario.Runtimes() {
		if !rt.IsNode() {
			continue
		}
		realnode.Require(t, rt.Name)
		seen := map[string]bool{}
		for _, name := range slices.Sorted(maps.Keys(scens)) {
			sc := *scens[name]
			sc.Server.Runtime = rt.Name
			sc.Title, sc.Lesson, sc.Checks = "", "", nil
			if sc.DurationMs == 0 || sc.DurationMs > diffMaxDurationMs {
				sc.DurationMs = diffMaxDurationMs
			}
			sc.DurationMs += diffStartMs
			sc.Client.Steps = slices.Clone(sc.Client.Steps)
			for i := range sc.Client.Steps {
				sc.Client.Steps[i].At += diffStartMs
			}
			if sc.Validate() != nil {
				continue // a knob this line does not have
			}
			ran[name] = true
			key, err := scenario.Marshal(&sc)
			if err != nil {
				t.Fatal(err)
			}
			if seen[string(key)] {
				continue
			}
			seen[string(key)] = true
			pairs = append(pairs, &nodediff.Pair{Name: rt.Name + "/" + name, SC: &sc})
		}
	}
	for name := range scens {
		if !ran[name] {
			t.Errorf("%s runs on no Node runtime", name)
		}
	}
	nodediff.RunPairs(pairs, diffConcurrency)
	// A pair that differs runs again, alone: see nodediff.Retry.
	nodediff.Retry(pairs, diffRetries, t.Logf)
	if err := nodediff.TooUnfair(pairs); err != nil {
		t.Error(err)
	}
	for _, p := range pairs {
		t.Run(p.Name, func(t *testing.T) {
			if p.Err != nil {
				t.Fatal(p.Err)
			}
			if p.Inconclusive() {
				t.Skipf("not compared: a server stalled %.0f ms on every run", p.Stall())
			}
			if p.Differs() {
				t.Errorf("emulation and real Node %s differ on every one of %d runs; the last:\n%s",
					p.SC.Server.Spec().Release, diffRetries+1, p.Report())
			}
		})
	}
}

// diffRetries is how many more times a pair that differs runs.
const diffRetries = 2
