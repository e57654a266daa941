// Package run plays a scenario headlessly: it drives a session with the
// same wire messages the browser sends, collects the timeline, and
// evaluates the scenario's checks. `playground run` and the tests use it.
package run

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/keepalive-playground/playground/backend/proxy"
	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/session"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// endGrace is how long past durationMs the runner waits for the session's
// end of the run before it gives up on it.
const endGrace = 10 * time.Second

// Result is one run.
type Result struct {
	Scenario scenario.Scenario
	Events   []timeline.Event
	Checks   []timeline.Result
	// Errors are the messages a person would have seen in the page.
	Errors []string
	// EOFs are the moments client connections read the FIN of the server
	// (or proxy) in front of them: T and Conn (not timeline events).
	EOFs []timeline.Event
	// EndMs is when the run ended on the session clock, EndReason why
	// (wire.EndDuration, wire.EndFinished).
	EndMs     float64
	EndReason string
}

// Passed reports whether every check passed.
func (r *Result) Passed() bool {
	for _, c := range r.Checks {
		if !c.Pass {
			return false
		}
	}
	return true
}

// Run plays sc against a demo server from runtimes and returns its
// timeline once sc.DurationMs has passed on the session clock (or sooner,
// when the demo server has exited and every connection is closed).
func Run(ctx context.Context, sc *scenario.Scenario, runtimes map[string]sandbox.Factory) (*Result, error) {
	return run(ctx, sc, runtimes, Options{}, false)
}

// Options are RunWith's.
type Options struct {
	// Proxies are the proxy factories (nil: every kind the playground has).
	Proxies map[string]proxy.Factory
	// OpenHop lets the proxy reach the hop without its gate, as a real
	// proxy process must (session.Config.OpenHop).
	OpenHop bool
	// Observe, when set, is told every message of the run as the session
	// sends it, so that a page can draw the run live. It must not block.
	Observe func(wire.Msg)
}

// RunWith is Run with options; the differential tests put a real proxy in.
func RunWith(ctx context.Context, sc *scenario.Scenario, runtimes map[string]sandbox.Factory, opt Options) (*Result, error) {
	return run(ctx, sc, runtimes, opt, false)
}

// run is RunWith, with or without the kernel's TCP states (the benchmark
// weighs what they cost).
func run(ctx context.Context, sc *scenario.Scenario, runtimes map[string]sandbox.Factory, opt Options, noTCP bool) (*Result, error) {
	full := sc.WithDefaults()
	var (
		mu     sync.Mutex
		res    = &Result{Scenario: *sc}
		loaded = make(chan float64, 1)
		ended  = make(chan struct{})
	)
	var pooled *pooledRun
	out := func(m wire.Msg) bool {
		if opt.Observe != nil {
			opt.Observe(m)
		}
		ours := pooled.route(m)
		mu.Lock()
		defer mu.Unlock()
		switch m.Type {
		case wire.Ev:
			res.Events = append(res.Events, *m.Event)
		case wire.End:
			if res.EndReason == "" {
				res.EndMs, res.EndReason = m.Now, m.Reason
				close(ended)
			}
		case wire.EOF:
			res.EOFs = append(res.EOFs, timeline.Event{T: m.Now, Conn: m.Conn})
		case wire.Loaded:
			select {
			case loaded <- m.Now:
			default:
			}
		case wire.Error:
			if ours {
				// About a pooled client's own connection: the client
				// meets it as its own error, which its outcome says.
				break
			}
			msg := m.Message
			if m.Conn != "" {
				msg = m.Conn + ": " + msg
			}
			res.Errors = append(res.Errors, msg)
		}
		return true
	}

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The pooled clients send through the session like the page's do;
	// their messages stop once the run's context ends.
	var sess *session.Session
	pooled, err := startPooled(&full, func(m wire.Msg) { sess.Deliver(ctx, m) })
	if err != nil {
		return nil, err
	}
	sess = session.New(session.Config{ID: "run", Run: true, Play: true, Runtimes: runtimes, Proxies: opt.Proxies, OpenHop: opt.OpenHop, Out: out, Scenario: sc, NoTCPStates: noTCP})
	done := make(chan error, 1)
	go func() { done <- sess.Run(ctx) }()

	// The session loads the scenario at start; wait for it so the step
	// times line up with the clock the events are stamped with.
	var zero time.Time
	select {
	case <-loaded:
		zero = time.Now()
	case err := <-done:
		return nil, fmt.Errorf("session ended before the scenario loaded: %v", err)
	case <-time.After(5 * time.Second):
		return nil, fmt.Errorf("the demo server did not start: %v", res.Errors)
	}

	// The session plays the connections' steps itself (Play); the pool
	// steps are the pooled clients' to send.
	pooled.schedule(ctx, zero, wire.PoolSteps(&full))

	// The session ends the run (wire.End) at durationMs or sooner, as
	// it does for the page; endGrace only guards against a session that
	// never says so.
	timer := time.NewTimer(time.Duration(full.DurationMs)*time.Millisecond + endGrace)
	defer timer.Stop()
	select {
	case <-ended:
	case <-timer.C:
		mu.Lock()
		res.Errors = append(res.Errors, "the session did not end the run")
		mu.Unlock()
	case <-ctx.Done():
	case err := <-done:
		// The session ended on its own; done is drained below.
		done <- err
	}
	cancel()
	if !pooled.finish() {
		mu.Lock()
		res.Errors = append(res.Errors, errPooledStuck.Error())
		mu.Unlock()
	}
	if err := <-done; err != nil {
		mu.Lock()
		res.Errors = append(res.Errors, err.Error())
		mu.Unlock()
	}

	mu.Lock()
	defer mu.Unlock()
	res.Events = slices.Clone(res.Events)
	res.Checks = timeline.EvalAll(full.Checks, res.Events)
	return res, parent.Err()
}
