package pool

import (
	"sync"
	"time"
)

// MaxLinkDelay bounds a link's one-way delay: a continent away is
// ~100 ms; a second is a satellite hop, and enough to see any race.
const MaxLinkDelay = time.Second

// link is the network between a pooled client and the server's host: a
// one-way delay, the same both ways, that keeps the order things were
// put on it. Nothing blocks: each item waits on a timer and items leave
// in order, each no earlier than its time.
type link struct {
	delay time.Duration

	mu    sync.Mutex
	queue []linkItem
	timer *time.Timer
}

type linkItem struct {
	due time.Time
	fn  func()
}

func newLink(delay time.Duration) *link {
	return &link{delay: min(max(delay, 0), MaxLinkDelay)}
}

// put runs fn once the link's delay has passed, after everything put
// before it. With no delay it runs fn now.
func (l *link) put(fn func()) {
	if l == nil || l.delay == 0 {
		fn()
		return
	}
	l.mu.Lock()
	l.queue = append(l.queue, linkItem{due: time.Now().Add(l.delay), fn: fn})
	if l.timer == nil {
		l.timer = time.AfterFunc(l.delay, l.drain)
	}
	l.mu.Unlock()
}

// drain runs every item that is due, in order, then waits for the next.
func (l *link) drain() {
	for {
		l.mu.Lock()
		if len(l.queue) == 0 {
			l.timer = nil
			l.mu.Unlock()
			return
		}
		head := l.queue[0]
		if wait := time.Until(head.due); wait > 0 {
			l.timer = time.AfterFunc(wait, l.drain)
			l.mu.Unlock()
			return
		}
		l.queue = l.queue[1:]
		l.mu.Unlock()
		head.fn()
	}
}

// drop forgets everything still on the link: the connections it was for
// are gone (Dialer.Abandon), and what a client sent on them must not
// reach the backend's next run, nor what the old run sent reach a client.
func (l *link) drop() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.queue = nil
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
}
