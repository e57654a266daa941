package run

import (
	"context"
	"fmt"
	"sync"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// Comparison is every variant's run and where their timelines part.
type Comparison struct {
	Runs     []*Result // in the order of the variants
	Partings []timeline.Parting
}

// Agree reports whether no timeline parted from the others.
func (c *Comparison) Agree() bool { return len(c.Partings) == 0 }

// Compare runs every variant at once, each against a demo server of its
// own, and compares their timelines (timeline.Compare). The first variant
// is the reference for timing.
func Compare(ctx context.Context, variants []scenario.Variant, runtimes map[string]sandbox.Factory) (*Comparison, error) {
	return CompareWith(ctx, variants, runtimes, Options{}, nil)
}

// CompareWith is Compare with options; observe, when set, is told each
// run's messages as they are sent (i is the variant's index), and must
// not block.
func CompareWith(ctx context.Context, variants []scenario.Variant, runtimes map[string]sandbox.Factory, opt Options, observe func(i int, m wire.Msg)) (*Comparison, error) {
	if n := len(variants); n < scenario.MinVariants || n > scenario.MaxVariants {
		return nil, fmt.Errorf("a comparison runs %d to %d variants, not %d", scenario.MinVariants, scenario.MaxVariants, n)
	}
	results := make([]*Result, len(variants))
	errs := make([]error, len(variants))
	var wg sync.WaitGroup
	for i, v := range variants {
		o := opt
		if observe != nil {
			o.Observe = func(m wire.Msg) { observe(i, m) }
		}
		wg.Go(func() {
			results[i], errs[i] = RunWith(ctx, &v.Scenario, runtimes, o)
		})
	}
	wg.Wait()
	runs := make([]timeline.Run, len(variants))
	for i, v := range variants {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s: %w", v.Name, errs[i])
		}
		full := v.Scenario.WithDefaults()
		runs[i] = timeline.Run{Name: v.Name, Events: results[i].Events, EndMs: cutOf(results[i], full.DurationMs)}
	}
	return &Comparison{Runs: results, Partings: timeline.Compare(runs)}, nil
}

// cutOf is where a run was cut off: its end when durationMs ended it
// (or when the session did not say), 0 when it finished on its own, so that
// what a longer run did after that is still compared.
func cutOf(r *Result, durationMs int) float64 {
	switch r.EndReason {
	case wire.EndFinished:
		return 0
	case wire.EndDuration:
		return r.EndMs
	}
	return float64(durationMs)
}
