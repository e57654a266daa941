package nodediff

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox/realnode"
	"github.com/keepalive-playground/playground/scenario"
)

var (
	seeds  = flag.Int("diff.seeds", 2, "generated scripts per Node line")
	seed0  = flag.Uint64("diff.seed0", 1, "the first seed (make diff-fuzz draws one)")
	record = flag.Bool("diff.record", false, "write each minimised difference into testdata/corpus")
)

const (
	// concurrency is how many pairs run at once. The runs mostly wait on
	// timers; each real Node spends a burst of CPU starting, and with
	// more pairs than this on two loaded cores those bursts delay other
	// pairs' events past the tolerance. A pair that differs runs again
	// alone (retries) before it counts.
	concurrency = 3
	retries     = 2
	corpusDir   = "testdata/corpus"
)

// nodeLines is every Node runtime with its real release, which CI must
// have (realnode.Require fails there, skips elsewhere).
func nodeLines(t *testing.T) []scenario.Runtime {
	var out []scenario.Runtime
	for _, rt := range scenario.Runtimes() {
		if rt.IsNode() {
			realnode.Require(t, rt.Name)
			out = append(out, rt)
		}
	}
	if len(out) == 0 {
		t.Fatal("no Node runtime in the table")
	}
	return out
}

// TestGenerated holds the emulation to every Node line's real release on
// generated client scripts and on the committed corpus of cases earlier
// runs found. A difference fails with its script minimised and printed
// (and, with -diff.record, written into the corpus).
func TestGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("differential runs take seconds")
	}
	start := time.Now()
	var pairs []*Pair
	corpus := readCorpus(t)
	for _, rt := range nodeLines(t) {
		for i := range *seeds {
			seed := *seed0 + uint64(i)
			pairs = append(pairs, &Pair{Name: fmt.Sprintf("%s/seed-%d", rt.Name, seed),
				SC: Generate(seed, rt), CheckingInterval: GenCheckingInterval})
		}
		for i, sc := range mergeCorpus(corpus, rt) {
			pairs = append(pairs, &Pair{Name: fmt.Sprintf("%s/corpus-%d", rt.Name, i), SC: sc, CheckingInterval: GenCheckingInterval})
		}
	}
	if len(pairs) == 0 {
		t.Fatal("no scripts to compare: the differential test would prove nothing")
	}
	RunPairs(pairs, concurrency)
	Retry(pairs, retries, t.Logf)
	if err := TooUnfair(pairs); err != nil {
		t.Error(err)
	}
	t.Logf("%d pairs in %v", len(pairs), time.Since(start).Round(time.Millisecond))
	for _, p := range pairs {
		t.Run(p.Name, func(t *testing.T) {
			if p.Err != nil {
				t.Fatal(p.Err)
			}
			if p.Inconclusive() {
				t.Skipf("not compared: a server stalled %.0f ms on every run", p.Stall())
			}
			if !p.Differs() {
				return
			}
			m := Minimise(p)
			data, _ := scenario.Marshal(m.SC)
			if *record {
				name := filepath.Join(corpusDir, strings.ReplaceAll(p.Name, "/", "-")+".json")
				if err := os.WriteFile(name, append(data, '\n'), 0o644); err != nil {
					t.Error(err)
				}
			}
			t.Errorf("emulation and real Node %s differ on every one of %d runs; minimised script:\n%s\n%s",
				p.SC.Server.Spec().Release, retries+1, data, m.Report())
		})
	}
}

// readCorpus reads the committed cases.
func readCorpus(t *testing.T) map[string]*scenario.Scenario {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	out := map[string]*scenario.Scenario{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := scenario.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = sc
	}
	return out
}

// mergeCorpus gives the corpus's cases found on rt, those with the same server
// into one script each (their connections relabelled apart, up to the
// schema's limits), so that replaying the corpus costs a few runs per
// line. A case whose routes act on the whole server runs alone.
func mergeCorpus(corpus map[string]*scenario.Scenario, rt scenario.Runtime) []*scenario.Scenario {
	var out []*scenario.Scenario
	groups := map[string]*scenario.Scenario{}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range corpus {
			if !yield(k) {
				return
			}
		}
	}) {
		sc := clone(corpus[name])
		if sc.Server.Runtime != rt.Name {
			continue // each case replays on the line it was found on
		}
		sc.Title, sc.Lesson, sc.Checks = "", "", nil
		if serverWide(sc) {
			out = append(out, sc)
			continue
		}
		key, _ := scenario.Marshal(&scenario.Scenario{V: sc.V, Server: sc.Server})
		g := groups[string(key)]
		if g != nil {
			if len(conns(g))+len(conns(sc)) > scenario.MaxConns || len(g.Client.Steps)+len(sc.Client.Steps) > scenario.MaxSteps {
				out = append(out, g)
				g = nil
			}
		}
		if g == nil {
			g = &scenario.Scenario{V: sc.V, Server: sc.Server}
			groups[string(key)] = g
		}
		prefix := fmt.Sprintf("c%d", len(conns(g)))
		for _, st := range sc.Client.Steps {
			st.Conn = prefix + st.Conn
			g.Client.Steps = append(g.Client.Steps, st)
		}
		g.DurationMs = max(g.DurationMs, sc.DurationMs)
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range groups {
			if !yield(k) {
				return
			}
		}
	}) {
		out = append(out, groups[k])
	}
	return out
}

// serverWide reports whether a route acts on every connection.
func serverWide(sc *scenario.Scenario) bool {
	for _, r := range sc.Server.Routes {
		for _, a := range r.Then {
			if a != scenario.ThenNone && a != scenario.ThenDestroy {
				return true
			}
		}
	}
	return false
}

// lessonMaxDurationMs cuts a lesson's run in both sides alike: the
// runs' moments of interest come early, and each lesson costs its
// duration in wall time.
const lessonMaxDurationMs = 7000

// TestLessons holds the emulation to the real release on every lesson's
// start and solution scenario that runs a Node program without a proxy
// (the proxy kinds have differential tests of their own), each on its
// own line, its steps shifted so that real Node listens first.
func TestLessons(t *testing.T) {
	if testing.Short() {
		t.Skip("differential runs take seconds")
	}
	files, _ := filepath.Glob("../../../lessons/*.json")
	var pairs []*Pair
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := scenario.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !scenario.IsNode(sc.Server.Runtime) || sc.Proxy != nil {
			continue
		}
		realnode.Require(t, sc.Server.Runtime)
		sc = clone(sc)
		sc.Title, sc.Lesson, sc.Checks = "", "", nil
		if sc.DurationMs == 0 || sc.DurationMs > lessonMaxDurationMs {
			sc.DurationMs = lessonMaxDurationMs
		}
		sc.DurationMs += genStartMs
		for i := range sc.Client.Steps {
			sc.Client.Steps[i].At += genStartMs
		}
		pairs = append(pairs, &Pair{Name: strings.TrimSuffix(filepath.Base(f), ".json"), SC: sc})
	}
	if len(pairs) == 0 {
		t.Fatal("no Node lesson scenarios: the differential test would prove nothing")
	}
	RunPairs(pairs, concurrency)
	Retry(pairs, retries, t.Logf)
	if err := TooUnfair(pairs); err != nil {
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
				t.Errorf("emulation and real Node %s differ on every one of %d runs:\n%s", p.SC.Server.Spec().Release, retries+1, p.Report())
			}
		})
	}
}
