package session

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox/sandboxtest"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/wire"
)

// TestAPageThatStopsReading: a page whose queue is full ends its session
// at the next message the session sends, a loaded included (it used to be
// reported as a scenario error while the session ran on), and Deliver
// then returns false at once rather than waiting for a session that is
// gone.
func TestAPageThatStopsReading(t *testing.T) {
	tests := []struct {
		name string
		msg  wire.Msg
	}{
		{"load", wire.Msg{Type: wire.Load, Scenario: mustMarshal(t, scenario.Default())}},
		{"restart", wire.Msg{Type: wire.Restart}},
		{"ping", wire.Msg{Type: wire.Ping, Seq: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			reading := true
			var sent []wire.Msg
			out := func(m wire.Msg) bool {
				mu.Lock()
				defer mu.Unlock()
				if !reading {
					return false
				}
				sent = append(sent, m)
				return true
			}
			s := New(Config{ID: t.Name(), Runtimes: sandboxtest.Runtimes(), Out: out})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			for i := 0; ; i++ {
				mu.Lock()
				loaded := slices.ContainsFunc(sent, func(m wire.Msg) bool { return m.Type == wire.Loaded })
				mu.Unlock()
				if loaded {
					break
				}
				if i > 200 {
					t.Fatal("the session never loaded")
				}
				time.Sleep(10 * time.Millisecond)
			}
			mu.Lock()
			reading = false
			mu.Unlock()
			if !s.Deliver(ctx, tt.msg) {
				t.Fatal("the first message after the page stopped reading was refused")
			}
			select {
			case err := <-done:
				if !errors.Is(err, ErrSlowClient) {
					t.Errorf("Run returned %v, want ErrSlowClient", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the session ran on after its page stopped reading")
			}
			mu.Lock()
			for _, m := range sent {
				if m.Type == wire.Error {
					t.Errorf("the page was told %q", m.Message)
				}
			}
			mu.Unlock()
			got := make(chan bool, 1)
			go func() { got <- s.Deliver(context.Background(), wire.Msg{Type: wire.Ping, Seq: 2}) }()
			select {
			case ok := <-got:
				if ok {
					t.Error("Deliver took a message for an ended session")
				}
			case <-time.After(2 * time.Second):
				t.Fatal("Deliver waited for a session that had ended")
			}
		})
	}
}

func mustMarshal(t *testing.T, sc scenario.Scenario) []byte {
	t.Helper()
	b, err := scenario.Marshal(&sc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
