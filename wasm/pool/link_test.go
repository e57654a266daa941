package pool

import (
	"sync"
	"testing"
	"time"
)

func TestLink(t *testing.T) {
	t.Run("no delay runs at once", func(t *testing.T) {
		ran := false
		newLink(0).put(func() { ran = true })
		var nilLink *link
		nilLink.put(func() {})
		if !ran {
			t.Error("a link without delay held its item")
		}
	})
	t.Run("in order, each after the delay", func(t *testing.T) {
		const delay = 30 * time.Millisecond
		l := newLink(delay)
		var mu sync.Mutex
		var order []int
		late := make([]time.Duration, 0, 3)
		done := make(chan struct{})
		for i := range 3 {
			put := time.Now()
			l.put(func() {
				mu.Lock()
				defer mu.Unlock()
				order = append(order, i)
				late = append(late, time.Since(put))
				if len(order) == 3 {
					close(done)
				}
			})
			time.Sleep(5 * time.Millisecond)
		}
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the link did not deliver")
		}
		for i, o := range order {
			if o != i {
				t.Fatalf("delivered in the order %v", order)
			}
		}
		for i, d := range late {
			if d < delay {
				t.Errorf("item %d left after %v, before the link's %v", i, d, delay)
			}
		}
	})
	t.Run("bounded", func(t *testing.T) {
		if got := newLink(time.Hour).delay; got != MaxLinkDelay {
			t.Errorf("an hour's delay became %v, want %v", got, MaxLinkDelay)
		}
	})
}
