package pool

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/keepalive-playground/playground/wire"
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

// TestAbandonEmptiesTheLink: what a client put on the link before a load
// or restart (Abandon) never reaches the backend's next run: a dial still
// on its way would open a connection there, one nobody asked for.
func TestAbandonEmptiesTheLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sent []wire.Msg
		d := NewDialer(func(m wire.Msg) { sent = append(sent, m) }, "web")
		d.SetLinkDelay(200 * time.Millisecond)
		done := make(chan error)
		go func() {
			_, err := d.Dial(context.Background())
			done <- err
		}()
		time.Sleep(100 * time.Millisecond) // the dial is halfway up the link
		synctest.Wait()
		d.Abandon(errors.New("restart"))
		if err := <-done; err == nil {
			t.Error("the dial succeeded on an abandoned dialer")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if len(sent) != 0 {
			t.Errorf("the backend got %d messages after the abandon, the first %+v", len(sent), sent[0])
		}
	})
}
