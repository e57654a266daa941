package run

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/pool"
	"github.com/keepalive-playground/playground/wire"
)

// poolGrace bounds how long the runner waits, once the run has ended,
// for the pooled requests still in flight to give up (their connections
// are failed at the end, so they return at once; the bound guards a
// client that does not).
const poolGrace = 2 * time.Second

// Pooled is one pooled HTTP client of the script (client.pools): the
// runner sends each pool step's request through it at the step's time
// and reports what it came to. Go's Transport (package wasm/pool) is one;
// Node's http.Agent (package nodeagent) is the other.
type Pooled interface {
	// Do sends one request and waits for its whole response; it is
	// called from many goroutines at once.
	Do(ctx context.Context, r scenario.Request) PoolResult
	// Deliver hands the client a message from the session about one of
	// its connections (it reports whether the connection is its own). It
	// never blocks.
	Deliver(m wire.Msg) bool
	// Close fails every connection the client still holds.
	Close()
}

// PoolResult is what one pooled request came to, in the client's terms.
type PoolResult struct {
	// Conn is the connection the request ended on ("" when none).
	Conn string
	// Reused: that connection had carried a request before.
	Reused bool
	// Retried: the client itself sent the request more than once (Go's
	// Transport retries an idempotent request on a new connection).
	Retried bool
	Status  int
	// Err is the client's own error text ("socket hang up", `Get
	// "http://demo/": EOF`).
	Err string
}

// newPooled makes the client of one pool. Its connections send their
// messages through send.
func newPooled(p scenario.Pool, sv scenario.Server, send func(wire.Msg)) (Pooled, error) {
	switch p.Kind {
	case scenario.PoolGo:
		return newGoPooled(p, send), nil
	case scenario.PoolNodeAgent:
		return newNodePooled(p, sv, send)
	}
	return nil, fmt.Errorf("pool %s: %q is not a pool kind", p.Name, p.Kind)
}

// goPooled is Go's net/http client over virtual connections.
type goPooled struct{ p *pool.Pool }

func newGoPooled(p scenario.Pool, send func(wire.Msg)) *goPooled {
	return &goPooled{p: pool.New(send, pool.Options{
		IdleConnTimeout:     p.GoIdleConnTimeout(),
		MaxIdleConnsPerHost: p.GoMaxIdleConnsPerHost(),
		DisableKeepAlives:   p.GoKeepAlivesDisabled(),
		LinkDelay:           p.LinkDelay(),
		Prefix:              p.Name,
	})}
}

func (g *goPooled) Do(ctx context.Context, r scenario.Request) PoolResult {
	h := http.Header{}
	for k, v := range r.Headers {
		h.Set(k, v)
	}
	res := g.p.Do(ctx, r.Method, r.Path, h, r.Body)
	return PoolResult{Conn: res.Conn, Reused: res.Reused, Retried: res.Retried, Status: res.Status, Err: res.Err}
}

func (g *goPooled) Deliver(m wire.Msg) bool { return g.p.Deliver(m) }
func (g *goPooled) Close()                  { g.p.Close() }

// pooledRun runs a scenario's pool steps beside the session: each step's
// request goes through its pool at the step's time on the session clock,
// and its outcome goes back to the session as an outcome message.
type pooledRun struct {
	clients map[string]Pooled
	pools   map[string]scenario.Pool
	deliver func(wire.Msg) // to the session
	ended   atomic.Bool
	wg      sync.WaitGroup
}

// startPooled makes the scenario's clients; nil when it has none.
func startPooled(full *scenario.Scenario, deliver func(wire.Msg)) (*pooledRun, error) {
	if len(full.Client.Pools) == 0 {
		return nil, nil
	}
	pr := &pooledRun{clients: map[string]Pooled{}, pools: map[string]scenario.Pool{}, deliver: deliver}
	for _, p := range full.Client.Pools {
		c, err := newPooled(p, full.Server, pr.send)
		if err != nil {
			pr.close()
			return nil, err
		}
		pr.clients[p.Name], pr.pools[p.Name] = c, p
	}
	return pr, nil
}

// route hands a session message to the client whose connection it is
// about, and reports whether there was one. It runs on the session's
// goroutine and never blocks; a bye is not passed on (the run ends the
// clients itself, and a pool answering a bye closes connections, which
// would wait on this very goroutine). From the run's end on, the clients'
// messages are dropped: what they do after it is not part of the run.
func (pr *pooledRun) route(m wire.Msg) bool {
	if pr == nil || m.Type == wire.Bye {
		return false
	}
	if m.Type == wire.End {
		pr.ended.Store(true)
		return false
	}
	for _, c := range pr.clients {
		if c.Deliver(m) {
			return true
		}
	}
	return false
}

// send passes a client's message to the session until the run ends.
func (pr *pooledRun) send(m wire.Msg) {
	if !pr.ended.Load() {
		pr.deliver(m)
	}
}

// schedule starts each pool step at its time: zero is when the session
// clock started.
func (pr *pooledRun) schedule(ctx context.Context, zero time.Time, steps []scenario.Step) {
	if pr == nil {
		return
	}
	pr.wg.Add(1)
	go func() {
		defer pr.wg.Done()
		for _, st := range steps {
			t := time.NewTimer(time.Until(zero.Add(time.Duration(st.At) * time.Millisecond)))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
			pr.wg.Add(1)
			go func() {
				defer pr.wg.Done()
				pr.step(ctx, st)
			}()
		}
	}()
}

// step sends one pool step's request and reports it; with retryReused,
// an idempotent request that failed on a reused connection is sent once
// more and that is reported too.
func (pr *pooledRun) step(ctx context.Context, st scenario.Step) {
	c, p := pr.clients[st.Pool], pr.pools[st.Pool]
	r := *st.Request
	res := c.Do(ctx, r)
	pr.report(p.Name, r, res)
	if p.RetryReused && res.Err != "" && res.Reused && scenario.Idempotent(r.Method) && ctx.Err() == nil {
		again := c.Do(ctx, r)
		again.Retried = true
		pr.report(p.Name, r, again)
	}
}

func (pr *pooledRun) report(pool string, r scenario.Request, res PoolResult) {
	ev := timeline.Event{Kind: timeline.Outcome, Conn: res.Conn, Pool: pool, Method: r.Method, Path: r.Path,
		Status: res.Status, Error: res.Err, Reused: res.Reused, Retried: res.Retried}
	if res.Err != "" {
		ev.Status = 0 // a body cut short: the client's error is the outcome
	} else if ev.Status == 0 {
		ev.Error = "no status"
	}
	pr.send(wire.Msg{Type: wire.Outcome, Event: &ev})
}

// finish fails what is still in flight once the run has ended and waits
// (poolGrace at most) for the requests to return; it reports whether
// they all did.
func (pr *pooledRun) finish() bool {
	if pr == nil {
		return true
	}
	pr.close()
	done := make(chan struct{})
	go func() {
		pr.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(poolGrace):
		return false
	}
}

func (pr *pooledRun) close() {
	for _, c := range pr.clients {
		c.Close()
	}
}

// errPooledStuck is the runner's sentence for requests that did not give
// up at the end.
var errPooledStuck = errors.New("some pooled requests were still in flight after the run had ended")
