package session

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/keepalive-playground/playground/wire"
)

// MemoryBudget is what one session may hold in memory for its page, in
// bytes. Every path a page can fill counts against it:
//
//   - writes the page asked for and the session has not yet handed to the
//     socket: scheduled for a later `at`, waiting for the connect, or
//     queued behind a demo server that is not reading. They may take half
//     of the budget; a write past that is refused with a limit error, and
//     the session goes on. (A scenario's whole script is at most
//     scenario.MaxScenarioBytes of JSON, which renders to about as many
//     bytes: it fits many times over.)
//   - bytes read from the demo server and not yet written to the
//     WebSocket: past three quarters of the budget the connections' readers
//     wait, so the demo server sees a client that reads slowly, as TCP
//     makes it; nothing is dropped.
//   - messages from the page waiting for the session, and messages waiting
//     for the WebSocket, each by its size in memory (Size). A page that
//     keeps sending waits for its session; a browser that does not read
//     what it is sent, so that the queue for it would take the session
//     past the budget, is dropped as too slow (ErrSlowClient).
//
// The largest message a session sends (a loaded message, under 300 KiB)
// fits several times. What a session holds beyond the budget does not
// depend on what the page sends: its goroutines and buffers, and per open
// connection (at most MaxConns) a read buffer on each side; the README
// states the whole per session and per address, as `make attack`
// measures it.
const MemoryBudget = 2 << 20

// Shares of MemoryBudget (see MemoryBudget).
const (
	writeShare = MemoryBudget / 2
	readShare  = MemoryBudget * 3 / 4
)

// msgOverhead is what a message costs beyond its variable fields: the
// struct, its event, the queue's pointer.
const msgOverhead = 512

// Size is what m costs in memory while it waits, near enough: its bytes
// and a fixed overhead.
func Size(m *wire.Msg) int64 {
	n := msgOverhead + len(m.Data) + len(m.Scenario) + len(m.Program) + len(m.Message)
	if e := m.Event; e != nil {
		n += len(e.Data) + len(e.Error) + len(e.Path)
	}
	for _, v := range m.Variants {
		n += msgOverhead + len(v.Name)
		for _, t := range v.Notes {
			n += len(t)
		}
		for _, t := range v.Errors {
			n += len(t)
		}
	}
	for _, p := range m.Partings {
		n += msgOverhead + len(p.Sentence)
	}
	return int64(n)
}

// Budget counts what a session holds against MemoryBudget. The session
// charges what it keeps; when Config.Budget is set, it also charges every
// message it hands to Config.Out, and the receiver gives each back with
// Sent once the message is written (or dropped).
type Budget struct {
	used   atomic.Int64 // everything held
	writes atomic.Int64 // of which the page's writes

	// room is closed when charges are given back while someone waits
	// (waiters > 0), waking every waiter to look again.
	waiters atomic.Int32
	mu      sync.Mutex
	room    chan struct{}
}

// NewBudget makes an empty budget.
func NewBudget() *Budget { return new(Budget) }

// Used is the bytes held now.
func (b *Budget) Used() int64 { return b.used.Load() }

// Sent gives back the charge of a message handed to Config.Out.
func (b *Budget) Sent(m *wire.Msg) { b.give(Size(m)) }

// take charges n if that keeps the total within limit (or the budget is
// empty: one item larger than the limit always passes alone).
func (b *Budget) take(n, limit int64) bool {
	for {
		u := b.used.Load()
		if u > 0 && u+n > limit {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// takeWrite charges a page's write of n bytes, within writeShare and the
// whole budget.
func (b *Budget) takeWrite(n int64) bool {
	for {
		w := b.writes.Load()
		if w > 0 && w+n > writeShare {
			return false
		}
		if b.writes.CompareAndSwap(w, w+n) {
			break
		}
	}
	if !b.take(n, MemoryBudget) {
		b.writes.Add(-n)
		return false
	}
	return true
}

// giveWrite gives back a write's charge.
func (b *Budget) giveWrite(n int64) {
	b.writes.Add(-n)
	b.give(n)
}

// wait charges n, waiting until that keeps the total within limit; false
// when ctx ends first.
func (b *Budget) wait(ctx context.Context, n, limit int64) bool {
	if b.take(n, limit) {
		return true
	}
	b.waiters.Add(1)
	defer b.waiters.Add(-1)
	for {
		// The channel is taken before looking, so a give between the
		// look and the wait still wakes this one.
		b.mu.Lock()
		if b.room == nil {
			b.room = make(chan struct{})
		}
		room := b.room
		b.mu.Unlock()
		if b.take(n, limit) {
			return true
		}
		select {
		case <-room:
		case <-ctx.Done():
			return false
		}
	}
}

func (b *Budget) give(n int64) {
	if n == 0 {
		return
	}
	b.used.Add(-n)
	if b.waiters.Load() > 0 {
		b.mu.Lock()
		if b.room != nil {
			close(b.room)
			b.room = nil
		}
		b.mu.Unlock()
	}
}

// Charge charges m, a message handed to the page's queue by someone other
// than the session (the server's comparisons), within MemoryBudget; false
// when it does not fit.
func (b *Budget) Charge(m *wire.Msg) bool { return b.take(Size(m), MemoryBudget) }
