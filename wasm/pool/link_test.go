package pool

import (
	"testing"
	"testing/synctest"
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
	// On synctest's clock: each item leaves exactly the delay after it
	// was put, in order, even when a later one was put before an earlier
	// one's timer ran.
	t.Run("in order, each after the delay", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const delay = 30 * time.Millisecond
			l := newLink(delay)
			start := time.Now()
			var order []int
			var left []time.Duration
			for i, at := range []time.Duration{0, 5 * time.Millisecond, 5 * time.Millisecond, 40 * time.Millisecond} {
				time.Sleep(at - time.Since(start))
				l.put(func() {
					order = append(order, i)
					left = append(left, time.Since(start))
				})
			}
			time.Sleep(time.Second)
			synctest.Wait()
			want := []time.Duration{30, 35, 35, 70}
			if len(order) != len(want) {
				t.Fatalf("delivered %v, want 4 items", order)
			}
			for i := range want {
				if order[i] != i || left[i] != want[i]*time.Millisecond {
					t.Errorf("item %d: delivered as #%d at %v, want at %v", i, order[i], left[i], want[i]*time.Millisecond)
				}
			}
		})
	})
	t.Run("bounded", func(t *testing.T) {
		if got := newLink(time.Hour).delay; got != MaxLinkDelay {
			t.Errorf("an hour's delay became %v, want %v", got, MaxLinkDelay)
		}
	})
}
