package session

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox/sandboxtest"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/wire"
)

// refusing is a page that reads until refuse is set, then falls behind:
// every message after it is refused, as a full send queue refuses it.
type refusing struct {
	refuse  atomic.Bool
	scenErr atomic.Int32 // scenario errors offered after refusing began
	loaded  chan struct{}
}

func (r *refusing) out(m wire.Msg) bool {
	if r.refuse.Load() {
		if m.Type == wire.Error && m.Code == wire.CodeScenario {
			r.scenErr.Add(1)
		}
		return false
	}
	if m.Type == wire.Loaded {
		select {
		case r.loaded <- struct{}{}:
		default:
		}
	}
	return true
}

// TestSlowClientDuringLoadEndsTheSession: a page that falls behind just as
// its scenario is loaded (the loaded message does not fit) has gone; the
// session ends with ErrSlowClient, as it does for any other message, and
// does not report a scenario error to no one and run on.
func TestSlowClientDuringLoadEndsTheSession(t *testing.T) {
	raw, err := scenario.Marshal(new(scenario.Default()))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		initial bool     // the page falls behind before the first loaded
		msg     wire.Msg // else: what the page sends before falling behind
	}{
		{name: "initial load", initial: true},
		{name: "load", msg: wire.Msg{Type: wire.Load, Scenario: raw}},
		{name: "load a run", msg: wire.Msg{Type: wire.Load, Scenario: raw, Run: true}},
		{name: "restart", msg: wire.Msg{Type: wire.Restart}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &refusing{loaded: make(chan struct{}, 1)}
			if tt.initial {
				// Ready goes out, the first loaded does not.
				n := 0
				s := New(Config{ID: "slow", Runtimes: sandboxtest.Runtimes(), Out: func(m wire.Msg) bool {
					n++
					if n > 1 {
						r.refuse.Store(true)
					}
					return r.out(m)
				}})
				runEnds(t, s, r)
				return
			}
			s := New(Config{ID: "slow", Runtimes: sandboxtest.Runtimes(), Out: r.out})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			select {
			case <-r.loaded:
			case <-time.After(5 * time.Second):
				t.Fatal("no first loaded")
			}
			r.refuse.Store(true)
			if !s.Deliver(ctx, tt.msg) {
				t.Fatal("the session refused the message while it ran")
			}
			waitRun(t, done, r)
		})
	}
}

func runEnds(t *testing.T, s *Session, r *refusing) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitRun(t, done, r)
}

func waitRun(t *testing.T, done chan error, r *refusing) {
	t.Helper()
	select {
	case err := <-done:
		if !errors.Is(err, ErrSlowClient) {
			t.Errorf("Run = %v, want ErrSlowClient", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the session ran on after its page fell behind")
	}
	if n := r.scenErr.Load(); n > 0 {
		t.Errorf("%d scenario errors offered for a page that fell behind", n)
	}
}

// TestDeliverReturnsOnceTheSessionEnded: Deliver promises to return false
// once the session has ended, with ctx still live (the headless runner's
// and the server's reader share a context with more than the session), both
// when the session's queue is full and when its memory budget is.
func TestDeliverReturnsOnceTheSessionEnded(t *testing.T) {
	tests := []struct {
		name       string
		fillBudget bool
	}{
		{name: "queue"},
		{name: "budget", fillBudget: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBudget()
			r := &refusing{loaded: make(chan struct{}, 1)}
			s := New(Config{ID: "gone", Runtimes: sandboxtest.Runtimes(), Out: r.out, Budget: b})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			runCtx, endRun := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- s.Run(runCtx) }()
			select {
			case <-r.loaded:
			case <-time.After(5 * time.Second):
				t.Fatal("no first loaded")
			}
			// The session ends; the caller's ctx lives on.
			endRun()
			if err := <-done; err != nil {
				t.Fatalf("Run = %v", err)
			}
			if tt.fillBudget {
				if !b.take(MemoryBudget, 2*MemoryBudget) { // full, whatever it held
					t.Fatal("could not fill the budget")
				}
				defer b.give(MemoryBudget)
			}
			delivered := make(chan int, 1)
			go func() {
				ok := 0
				// More than the session's queue holds.
				for i := range 2 * cap(s.in) {
					if s.Deliver(ctx, wire.Msg{Type: wire.Ping, Seq: uint64(i)}) {
						ok++
					}
				}
				delivered <- ok
			}()
			select {
			case ok := <-delivered:
				if ok != 0 {
					t.Errorf("Deliver took %d messages for an ended session", ok)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Deliver blocked on an ended session")
			}
		})
	}
}

// TestDeliverWaitingReturnsWhenTheSessionEnds: a Deliver waiting for room
// (the session's memory budget is full) returns false when the session
// ends.
func TestDeliverWaitingReturnsWhenTheSessionEnds(t *testing.T) {
	b := NewBudget()
	r := &refusing{loaded: make(chan struct{}, 1)}
	s := New(Config{ID: "gone", Runtimes: sandboxtest.Runtimes(), Out: r.out, Budget: b})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runCtx, endRun := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	select {
	case <-r.loaded:
	case <-time.After(5 * time.Second):
		t.Fatal("no first loaded")
	}
	if !b.take(MemoryBudget, 2*MemoryBudget) { // full, whatever it held
		t.Fatal("could not fill the budget")
	}
	defer b.give(MemoryBudget)
	delivered := make(chan bool, 1)
	go func() { delivered <- s.Deliver(ctx, wire.Msg{Type: wire.Ping, Seq: 1}) }()
	// The session may end by itself first: its own next message does
	// not fit the full budget either (the page has fallen behind).
	endRun()
	<-done
	select {
	case ok := <-delivered:
		if ok {
			t.Error("Deliver = true for a session that ended")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiting Deliver did not return when the session ended")
	}
}
