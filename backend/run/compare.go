package run

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// Variant is one side of a comparison: a name (the runtime, or a knob's
// value) and the scenario it runs.
type Variant struct {
	Name     string
	Scenario *scenario.Scenario
	// Notes say how the scenario was adapted to this side (a knob that
	// became its counterpart in another language).
	Notes []string
}

// Comparison is every variant's run and where their timelines part.
type Comparison struct {
	Runs     []*Result // in the order of the variants
	Partings []timeline.Parting
}

// Agree reports whether no timeline parted from the others.
func (c *Comparison) Agree() bool { return len(c.Partings) == 0 }

// RuntimeVariants makes one variant per runtime of the scenario sc: the
// parsed list of `--runtime node18,node26,go`.
func RuntimeVariants(sc *scenario.Scenario, runtimes []string) ([]Variant, error) {
	if len(runtimes) > scenario.MaxVariants {
		return nil, fmt.Errorf("%d runtimes; a comparison runs at most %d (each is a demo server of its own)", len(runtimes), scenario.MaxVariants)
	}
	seen := map[string]bool{}
	var vs []Variant
	for _, rt := range runtimes {
		rt = strings.TrimSpace(rt)
		if seen[rt] {
			return nil, fmt.Errorf("%s is named twice", rt)
		}
		seen[rt] = true
		v, notes, err := sc.OnRuntime(rt)
		if err != nil {
			return nil, err
		}
		vs = append(vs, Variant{Name: rt, Scenario: &v, Notes: notes})
	}
	return vs, nil
}

// Compare runs every variant at once, each against a demo server of its
// own, and compares their timelines (timeline.Compare). The first variant
// is the reference for timing.
func Compare(ctx context.Context, variants []Variant, runtimes map[string]sandbox.Factory) (*Comparison, error) {
	if n := len(variants); n < scenario.MinVariants || n > scenario.MaxVariants {
		return nil, fmt.Errorf("a comparison runs %d to %d variants, not %d", scenario.MinVariants, scenario.MaxVariants, n)
	}
	results := make([]*Result, len(variants))
	errs := make([]error, len(variants))
	var wg sync.WaitGroup
	for i, v := range variants {
		wg.Go(func() {
			results[i], errs[i] = Run(ctx, v.Scenario, runtimes)
		})
	}
	wg.Wait()
	runs := make([]timeline.Run, len(variants))
	for i, v := range variants {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s: %w", v.Name, errs[i])
		}
		full := v.Scenario.WithDefaults()
		runs[i] = timeline.Run{Name: v.Name, Events: results[i].Events, EndMs: float64(full.DurationMs)}
	}
	return &Comparison{Runs: results, Partings: timeline.Compare(runs)}, nil
}
