// Package attack is the playground's attack suite: the probes of issue 11
// (and the holes they found), run as an attacker would against a real
// `playground serve` on loopback, each bounded in count and time. For each
// attack it prints what should happen and what did, with the server's
// memory, open files and goroutines before and after. `playground attack`
// runs it (`make attack`); its quick part runs in `make test`.
package attack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Stats is what a server holds at one moment.
type Stats struct {
	RSS int64 // resident memory, bytes
	// Heap is the Go heap still in use after a collection: what the
	// server holds, where RSS also counts what the collector has not yet
	// given back.
	Heap       int64
	FDs        int // open files
	Goroutines int
}

func (s Stats) String() string {
	return fmt.Sprintf("RSS %.1f MiB, live heap %.1f MiB, %d fds, %d goroutines", mib(s.RSS), mib(s.Heap), s.FDs, s.Goroutines)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// Target is a running `playground serve`.
type Target struct {
	URL   string // http://127.0.0.1:port
	Stats func() Stats
	// Limit lowers the server's open-file limit (soft and hard) to n.
	Limit func(n uint64) error
	// Ports lists the ports the server listens on: its own, its
	// profiler's and its demo servers'. An attacker scans for them; the
	// suite asks, so that it judges only this server's demo servers (other
	// programs on the machine use the range too).
	Ports func() []int
	// Stop sends SIGTERM and waits: the exit code and how long it took.
	Stop func() (code int, took time.Duration, err error)
}

// Config says how to run the suite.
type Config struct {
	// Start starts a `playground serve` with these extra flags.
	Start func(args ...string) (*Target, error)
	// Binary is the playground command, for `playground run`.
	Binary string
	// Quick runs only the attacks that take a few seconds.
	Quick bool
	// Only, when set, runs the attacks whose name contains it.
	Only string
	Out  io.Writer
}

// attack is one probe.
type attack struct {
	name     string
	what     string // the hole, in a line
	expected string
	quick    bool
	// own starts a server of its own with these flags (the attack ends
	// it, or changes it for good); otherwise the suite's shared one.
	own   []string
	limit time.Duration
	run   func(ctx context.Context, e *env) (observed string, err error)
}

// env is what an attack works with.
type env struct {
	t      *Target
	cfg    Config
	quick  bool
	mu     sync.Mutex
	peak   Stats
	stopPk chan struct{}
}

// errFailed marks an observation that is not what was expected.
type failed struct{ observed string }

func (f *failed) Error() string { return f.observed }

// fail reports an observation that breaks the expectation.
func fail(format string, args ...any) error { return &failed{fmt.Sprintf(format, args...)} }

// sharedFlags start the suite's shared server: the message rate limit is
// raised so that what an attack runs into is the bound it probes, not the
// rate limit.
var sharedFlags = []string{"-max-messages-per-second", "100000", "-message-burst", "100000", "-log-level", "error"}

// Run runs the suite and reports whether every attack went as expected.
func Run(ctx context.Context, cfg Config) (bool, error) {
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	var shared *Target
	defer func() {
		if shared != nil {
			shared.Stop()
		}
	}()
	passed, ran := 0, 0
	start := time.Now()
	for _, a := range attacks {
		if cfg.Quick && !a.quick || cfg.Only != "" && !strings.Contains(a.name, cfg.Only) {
			continue
		}
		t := shared
		if a.own != nil {
			var err error
			if t, err = cfg.Start(append(append([]string(nil), sharedFlags...), a.own...)...); err != nil {
				return false, fmt.Errorf("start a server for %s: %w", a.name, err)
			}
		} else if t == nil {
			var err error
			if shared, err = cfg.Start(sharedFlags...); err != nil {
				return false, fmt.Errorf("start the server: %w", err)
			}
			t = shared
		}
		ran++
		if runOne(ctx, cfg, a, t) {
			passed++
		}
		if a.own != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
	}
	fmt.Fprintf(cfg.Out, "\n%d of %d attacks went as expected (%v)\n", passed, ran, time.Since(start).Round(100*time.Millisecond))
	return passed == ran, nil
}

func runOne(ctx context.Context, cfg Config, a attack, t *Target) bool {
	e := &env{t: t, cfg: cfg, quick: cfg.Quick, stopPk: make(chan struct{})}
	before := t.Stats()
	e.peak = before
	var wg sync.WaitGroup
	wg.Go(e.watchPeak)
	actx, cancel := context.WithTimeout(ctx, a.limit)
	t0 := time.Now()
	observed, err := a.run(actx, e)
	took := time.Since(t0)
	cancel()
	close(e.stopPk)
	wg.Wait()
	ok := err == nil
	var f *failed
	switch {
	case errors.As(err, &f):
		observed = f.observed
	case err != nil:
		observed = "the attack could not run: " + err.Error()
	}
	after := settle(t, before)
	afterLine := after.String()
	if after.FDs < 0 {
		afterLine = "the server has exited"
	}
	mark := "PASS"
	if !ok {
		mark = "FAIL"
	}
	fmt.Fprintf(cfg.Out, "\n[%s] %s: %s (%v)\n", mark, a.name, a.what, took.Round(10*time.Millisecond))
	fmt.Fprintf(cfg.Out, "  expected: %s\n", a.expected)
	fmt.Fprintf(cfg.Out, "  observed: %s\n", observed)
	fmt.Fprintf(cfg.Out, "  server:   before %s\n", before)
	fmt.Fprintf(cfg.Out, "            peak   %s\n", e.peak)
	fmt.Fprintf(cfg.Out, "            after  %s\n", afterLine)
	return ok
}

// watchPeak samples the server while an attack runs.
func (e *env) watchPeak() {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-e.stopPk:
			return
		case <-tick.C:
			s := e.t.Stats()
			e.mu.Lock()
			e.peak.RSS = max(e.peak.RSS, s.RSS)
			e.peak.Heap = max(e.peak.Heap, s.Heap)
			e.peak.FDs = max(e.peak.FDs, s.FDs)
			e.peak.Goroutines = max(e.peak.Goroutines, s.Goroutines)
			e.mu.Unlock()
		}
	}
}

// peakNow is the peak so far in the attack, with a sample of now.
func (e *env) peakNow() Stats {
	s := e.t.Stats()
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.peak
	p.RSS, p.Heap = max(p.RSS, s.RSS), max(p.Heap, s.Heap)
	return p
}

// settle waits, a bounded while, for the server's goroutines and files to
// come back to where they were, and returns where they are.
func settle(t *Target, before Stats) Stats {
	s := t.Stats()
	for i := 0; i < 60 && (s.Goroutines > before.Goroutines || s.FDs > before.FDs); i++ {
		time.Sleep(50 * time.Millisecond)
		s = t.Stats()
	}
	return s
}
