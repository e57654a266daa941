package session

import (
	"net"
	"slices"
	"time"

	"github.com/keepalive-playground/playground/backend/tcpstate"
	"github.com/keepalive-playground/playground/timeline"
)

// The kernel's view of every connection: both ends' TCP states, reported
// as tcp events when they change. There is no polling loop per
// connection. A state changes only when a packet arrives or a kernel
// timer fires, and on loopback every packet is the answer to something
// the session sees happen: a connect, a close or reset by either side, a
// FIN read, the demo process's exit. So the owner looks right after each
// of those (one TCP_INFO per client end it holds, one batched netlink
// lookup for the rest), then:
//
//   - while an end waits for an ACK (FIN_WAIT1, LAST_ACK, CLOSING,
//     SYN_*), it looks again a few times (tcpQuickLooks): loopback
//     delivers in microseconds, but the peer may hold its ACK for the
//     kernel's delayed-ACK time (40 ms at first, up to 200 ms), so the
//     looks crowd around those;
//   - while an end sits in a state only a kernel timer ends (TIME_WAIT,
//     an orphaned FIN_WAIT2), it looks once more when the kernel says that
//     timer fires.
//
// All of it runs on the owner goroutine with one timer per session.
const (
	// tcpRetry and tcpMaxFails: after a failed look, when to look again,
	// and how many failures in a row end the watch of a connection.
	tcpRetry    = 100 * time.Millisecond
	tcpMaxFails = 3
	// tcpTimerSlack is how long after the kernel's timer is due the owner
	// looks (the kernel's timer wheel fires a little late).
	tcpTimerSlack = 50 * time.Millisecond
)

// tcpQuickLooks are the times, after the first look that followed the
// news, of the looks at an end waiting for an ACK: just past Linux's
// first delayed-ACK time (40 ms), then growing to its longest (200 ms)
// and a retransmission's.
var tcpQuickLooks = []time.Duration{
	44 * time.Millisecond, 50 * time.Millisecond, 65 * time.Millisecond,
	210 * time.Millisecond, 500 * time.Millisecond,
}

// tcpSettle is how long after news the owner looks: the news of one
// moment comes by several paths (the demo server's close, the client's
// FIN read, the kernel's ACK on loopback) within it, and one look then
// sees them all.
const tcpSettle = time.Millisecond

// tcpConn is one connection whose ends the session follows.
type tcpConn struct {
	label string
	// client is the client's end; the server's is client.Reversed().
	client tcpstate.End
	// held is the client's socket while the session holds it, read with
	// TCP_INFO; nil once it was closed.
	held *net.TCPConn
	// last is the state last reported for each end (client, server).
	last [2]string
	// quick counts the looks spent on an end waiting for an ACK since the
	// news at newsT.
	quick int
	newsT float64
	// next is when to look again, on the session clock; 0 for never.
	next float64
	// fails counts the failed looks in a row.
	fails int
}

// tcpWatch is the owner's record of the connections it follows.
type tcpWatch struct {
	r     *tcpstate.Reader
	conns map[string]*tcpConn
	dirty []*tcpConn
	timer *time.Timer
	rearm bool // a connection's next look changed
	// scratch for one look
	ends    []tcpstate.End
	results []tcpstate.Result
}

func (w *tcpWatch) init(r *tcpstate.Reader) {
	w.r = r
	w.conns = map[string]*tcpConn{}
	w.timer = time.NewTimer(time.Hour)
	w.timer.Stop()
}

// timerC is the watch's timer channel, or nil when the kernel's states
// are not read.
func (w *tcpWatch) timerC() <-chan time.Time {
	if w.r == nil {
		return nil
	}
	return w.timer.C
}

// reset forgets every connection (a load or restart).
func (w *tcpWatch) reset() {
	if w.r == nil {
		return
	}
	clear(w.conns)
	w.dirty = w.dirty[:0]
	w.timer.Stop()
}

// tcpTrack starts following the connection the session just dialed,
// from the first look its dialer made.
func (s *Session) tcpTrack(label string, tc *net.TCPConn, first tcpFirst) {
	w := &s.tcp
	if w.r == nil {
		return
	}
	end, ok := tcpstate.FromAddrs(tc.LocalAddr().String(), tc.RemoteAddr().String())
	if !ok {
		return
	}
	c := &tcpConn{label: label, client: end, held: tc, newsT: -1}
	w.conns[label] = c
	if first.ok {
		s.tcpApply(c, first.got, first.t)
		return
	}
	s.tcpNews(c)
}

// tcpReleased says the session no longer holds the client's socket of
// label (it reset or closed it): from now on the table says its state.
func (s *Session) tcpReleased(label string) {
	if c := s.tcp.conns[label]; c != nil {
		c.held = nil
		s.tcpNews(c)
	}
}

// tcpTouch marks a connection to be looked at after what just happened
// to it; "" marks every connection (the demo process exited).
func (s *Session) tcpTouch(label string) {
	w := &s.tcp
	if w.r == nil {
		return
	}
	if label == "" {
		for _, c := range w.conns {
			s.tcpNews(c)
		}
		return
	}
	if c := w.conns[label]; c != nil {
		s.tcpNews(c)
	}
}

// touchConn marks c for the next look; after news (fresh) a transient
// state gets its quick looks anew.
func (w *tcpWatch) touchConn(c *tcpConn, fresh bool) {
	if !slices.Contains(w.dirty, c) {
		w.dirty = append(w.dirty, c)
	}
	if fresh {
		c.quick, c.newsT = 0, -1
	}
}

// tcpNews marks c to be looked at tcpSettle from now, with whatever else
// comes in by then.
func (s *Session) tcpNews(c *tcpConn) {
	c.quick, c.newsT = 0, -1
	if at := s.now() + float64(tcpSettle)/float64(time.Millisecond); c.next == 0 || at < c.next {
		c.next = at
		s.tcp.rearm = true
	}
}

// tcpLookDue looks at the connections whose next look is due.
func (s *Session) tcpLookDue() {
	now := s.now()
	for _, c := range s.tcp.conns {
		if c.next > 0 && c.next <= now+0.05 {
			s.tcp.touchConn(c, false)
		}
	}
	s.tcpLook()
}

// tcpLook reads the states of the marked connections and reports what
// changed.
func (s *Session) tcpLook() {
	w := &s.tcp
	if w.r == nil || len(w.dirty) == 0 && !w.rearm {
		return
	}
	dirty := w.dirty
	w.dirty = nil
	for len(dirty) > 0 {
		batch := dirty[:min(len(dirty), tcpstate.MaxBatch/2)]
		dirty = dirty[len(batch):]
		s.tcpLookBatch(batch)
	}
	s.tcpArm()
}

func (s *Session) tcpLookBatch(batch []*tcpConn) {
	w := &s.tcp
	// Held client ends first: TCP_INFO on our own socket. One that reads
	// CLOSED may have become a TIME_WAIT entry in the table.
	held := make([]string, len(batch))
	w.ends = w.ends[:0]
	for i, c := range batch {
		if c.held != nil {
			if rc, err := c.held.SyscallConn(); err == nil {
				if st, err := tcpstate.Held(rc); err == nil && st != timeline.StateClosed {
					held[i] = st
				}
			}
		}
		if held[i] == "" {
			w.ends = append(w.ends, c.client)
		}
		w.ends = append(w.ends, c.client.Reversed())
	}
	w.results = slices.Grow(w.results[:0], len(w.ends))[:len(w.ends)]
	if err := w.r.Lookup(w.ends, w.results); err != nil {
		// The kernel did not answer (a receive timeout on a machine out of
		// breath): try again a little later, a few times, then give up on
		// these connections rather than spin.
		s.cfg.Log.Debug("read TCP states", "session", s.cfg.ID, "err", err)
		t := s.now()
		for _, c := range batch {
			if c.fails++; c.fails > tcpMaxFails {
				delete(w.conns, c.label)
				continue
			}
			c.next = t + float64(tcpRetry)/float64(time.Millisecond)
		}
		w.rearm = true
		return
	}
	t := s.now()
	k := 0
	for i, c := range batch {
		var got [2]tcpstate.Result
		if held[i] != "" {
			got[0] = tcpstate.Result{State: held[i]}
		} else {
			got[0] = w.results[k]
			k++
		}
		got[1] = w.results[k]
		k++
		s.tcpApply(c, got, t)
	}
}

// tcpApply reports what changed in a look at c's ends, made at t, and
// plans the next look.
func (s *Session) tcpApply(c *tcpConn, got [2]tcpstate.Result, t float64) {
	w := &s.tcp
	c.fails = 0
	for side, r := range got {
		if r.State == c.last[side] || c.last[side] == "" && r.State == timeline.StateClosed {
			continue // no change (an end never seen open is not news)
		}
		c.last[side] = r.State
		name := timeline.SideClient
		if side == 1 {
			name = timeline.SideServer
		}
		s.emit(timeline.Event{T: t, Conn: c.label, Kind: timeline.TCP, Side: name, State: r.State})
	}
	c.next = 0
	if c.newsT < 0 {
		c.newsT = t
	}
	switch {
	case timeline.Transient(got[0].State) || timeline.Transient(got[1].State):
		if c.quick < len(tcpQuickLooks) {
			c.next = c.newsT + float64(tcpQuickLooks[c.quick])/float64(time.Millisecond)
			c.quick++
			break
		}
		fallthrough // waiting on a retransmission: the kernel's timer says when
	default:
		for _, r := range got {
			if r.Timer > 0 {
				at := t + float64(r.Timer+tcpTimerSlack)/float64(time.Millisecond)
				if c.next == 0 || at < c.next {
					c.next = at
				}
			}
		}
	}
	if c.last[0] == timeline.StateClosed && c.last[1] == timeline.StateClosed {
		delete(w.conns, c.label) // nothing more can happen to it
	}
	w.rearm = true
}

// tcpFirst is the first look at a connection's ends, made by the dialing
// goroutine the moment its connect returned: the session learns of the
// connect later, and a quick server may have closed by then.
type tcpFirst struct {
	got [2]tcpstate.Result
	t   float64
	ok  bool
}

// tcpFirstLook reads both ends of a connection just dialed. It runs on
// the dialing goroutine; the Reader is safe for that.
func (s *Session) tcpFirstLook(tc *net.TCPConn) tcpFirst {
	r := s.tcp.r
	if r == nil {
		return tcpFirst{}
	}
	end, ok := tcpstate.FromAddrs(tc.LocalAddr().String(), tc.RemoteAddr().String())
	if !ok {
		return tcpFirst{}
	}
	var f tcpFirst
	ends := []tcpstate.End{end.Reversed()}
	held := ""
	if rc, err := tc.SyscallConn(); err == nil {
		if st, err := tcpstate.Held(rc); err == nil && st != timeline.StateClosed {
			held = st
		}
	}
	if held == "" {
		ends = append(ends, end)
	}
	res := make([]tcpstate.Result, len(ends))
	if err := r.Lookup(ends, res); err != nil {
		return tcpFirst{}
	}
	f.t = s.now()
	f.got[1] = res[0]
	if held != "" {
		f.got[0] = tcpstate.Result{State: held}
	} else {
		f.got[0] = res[1]
	}
	f.ok = true
	return f
}

// tcpArm sets the watch's timer for the soonest next look.
func (s *Session) tcpArm() {
	w := &s.tcp
	if w.r == nil {
		return
	}
	w.rearm = false
	w.timer.Stop()
	next := 0.0
	for _, c := range w.conns {
		if c.next > 0 && (next == 0 || c.next < next) {
			next = c.next
		}
	}
	if next > 0 {
		w.timer.Reset(max(time.Duration((next-s.now())*float64(time.Millisecond)), 0))
	}
}
