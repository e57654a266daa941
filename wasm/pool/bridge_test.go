package pool

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/backend/session"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// waitFor bounds every wait on the session in these tests.
const waitFor = 5 * time.Second

// queue is an unbounded FIFO between two goroutines, so that neither the
// session nor the pool ever blocks the other (each side's contract).
type queue struct {
	mu   sync.Mutex
	q    []queued
	wake chan struct{}
}

type queued struct {
	m  wire.Msg
	at time.Time
}

func newQueue() *queue { return &queue{wake: make(chan struct{}, 1)} }

func (q *queue) push(m wire.Msg) {
	q.mu.Lock()
	q.q = append(q.q, queued{m, time.Now()})
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop waits for the next message; false once ctx ends.
func (q *queue) pop(ctx context.Context) (queued, bool) {
	for {
		q.mu.Lock()
		if len(q.q) > 0 {
			m := q.q[0]
			q.q = q.q[1:]
			q.mu.Unlock()
			return m, true
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return queued{}, false
		}
	}
}

// bridge runs a real session with the real demo-server runtimes and wires
// a pool to it, as the app does over the WebSocket.
type bridge struct {
	t      *testing.T
	s      *session.Session
	p      *Pool
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	msgs []wire.Msg
	seen chan struct{}
}

// startBridge starts a session with sc. latency delays every message from
// the backend to the pool, as the WebSocket does in the browser.
func startBridge(t *testing.T, sc scenario.Scenario, opts Options, latency time.Duration) *bridge {
	t.Helper()
	b := &bridge{t: t, seen: make(chan struct{}, 1)}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	toSession, toPool := newQueue(), newQueue()
	b.p = New(toSession.push, opts)
	b.s = session.New(session.Config{ID: "pool-test", Runtimes: all.Runtimes(), Scenario: &sc, Out: func(m wire.Msg) bool {
		b.mu.Lock()
		b.msgs = append(b.msgs, m)
		b.mu.Unlock()
		select {
		case b.seen <- struct{}{}:
		default:
		}
		toPool.push(m)
		return true
	}})
	b.wg.Add(3)
	go func() {
		defer b.wg.Done()
		if err := b.s.Run(b.ctx); err != nil {
			t.Errorf("session: %v", err)
		}
	}()
	go func() {
		defer b.wg.Done()
		for {
			q, ok := toSession.pop(b.ctx)
			if !ok || !b.s.Deliver(b.ctx, q.m) {
				return
			}
		}
	}()
	go func() {
		defer b.wg.Done()
		for {
			q, ok := toPool.pop(b.ctx)
			if !ok {
				return
			}
			if d := time.Until(q.at.Add(latency)); d > 0 {
				select {
				case <-time.After(d):
				case <-b.ctx.Done():
					return
				}
			}
			b.p.Deliver(q.m)
		}
	}()
	t.Cleanup(b.stop)
	b.wait("loaded", func(m wire.Msg) bool { return m.Type == wire.Loaded })
	return b
}

func (b *bridge) stop() {
	b.p.Close()
	b.cancel()
	b.wg.Wait()
}

// wait returns the first message so far that satisfies ok.
func (b *bridge) wait(what string, ok func(wire.Msg) bool) wire.Msg {
	b.t.Helper()
	deadline := time.After(waitFor)
	for {
		b.mu.Lock()
		for _, m := range b.msgs {
			if ok(m) {
				b.mu.Unlock()
				return m
			}
		}
		b.mu.Unlock()
		select {
		case <-b.seen:
		case <-deadline:
			b.t.Fatalf("no %s within %v; timeline:\n%s", what, waitFor, b.timeline())
		}
	}
}

func (b *bridge) waitEvent(conn, kind string) timeline.Event {
	b.t.Helper()
	return *b.wait(conn+" "+kind, func(m wire.Msg) bool {
		return m.Type == wire.Ev && m.Event.Conn == conn && m.Event.Kind == kind
	}).Event
}

func (b *bridge) events(conn string) []timeline.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	var evs []timeline.Event
	for _, m := range b.msgs {
		if m.Type == wire.Ev && (conn == "" || m.Event.Conn == conn) {
			evs = append(evs, *m.Event)
		}
	}
	return evs
}

// timeline renders what the session sent, for failure messages.
func (b *bridge) timeline() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var sb strings.Builder
	for _, m := range b.msgs {
		switch m.Type {
		case wire.Ev:
			e := m.Event
			fmt.Fprintf(&sb, "%8.1f %-3s %-10s %s %s %s %q\n", e.T, e.Conn, e.Kind, e.By, e.Reason, e.Error, e.Data)
		case wire.EOF, wire.Error:
			fmt.Fprintf(&sb, "         %-3s %-10s %s\n", m.Conn, m.Type, m.Message)
		}
	}
	return sb.String()
}

func (b *bridge) get(path string) Result {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitFor)
	defer cancel()
	return b.p.Do(ctx, "GET", path, nil, "")
}

func (b *bridge) info(label string) ConnInfo {
	for _, ci := range b.p.Conns() {
		if ci.Label == label {
			return ci
		}
	}
	b.t.Fatalf("no connection %s in %+v", label, b.p.Conns())
	return ConnInfo{}
}
