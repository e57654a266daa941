package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/timeline"
)

// Limits on the upstream hop.
const (
	// MaxUpstreamBytesPerConn bounds what one upstream connection carries
	// in each direction; the demo servers answer small bodies.
	MaxUpstreamBytesPerConn = 4 << 20
	// hopChunk is the relay's read size.
	hopChunk = 16 << 10
	// hopDialTimeout bounds the relay's connect to the demo server.
	hopDialTimeout = 2 * time.Second
	// labelWait bounds how long Label waits for the relay to accept a
	// connection the proxy has just dialed (microseconds on loopback).
	labelWait = time.Second
	// hopQueue bounds the chunks in flight on one direction of a delayed
	// hop before its reader waits.
	hopQueue = 64
)

// HopConfig is what a Hop needs.
type HopConfig struct {
	// DialTarget connects to the demo server (through its gate).
	DialTarget func(ctx context.Context) (*net.TCPConn, error)
	// Open admits every connection to the hop, for a proxy that cannot be
	// told to dial through a gate (the real nginx in the differential
	// test); otherwise only connections made with Hop.Dial get through.
	Open bool
	// Latency delays everything that crosses the hop, each way.
	Latency time.Duration
	Now     func() float64
	// Emit reports an event on an upstream connection (Conn set).
	Emit func(ev timeline.Event)
	// Admit is asked before each upstream connection: it returns the
	// connection's label, or an error (a session limit) that refuses it.
	Admit func() (string, error)
	// Ended says an upstream connection is over at both ends.
	Ended func(label string)
	// Register tells the session which local address the relay's
	// connection to the demo server has, so that the demo server's events
	// for it carry the label.
	Register func(addr, label string)
}

// Hop is the network between the proxy and the demo server: a relay on
// loopback that the proxy dials as its upstream. For each connection it
// dials the demo server, copies bytes both ways after cfg.Latency, and
// passes on a FIN as a FIN and an RST as an RST, so that the proxy sees
// what it would see on a real network: the demo server's close arrives
// Latency after it happened, and a request sent meanwhile meets a closed
// connection. It reports the proxy's side of each upstream connection
// (connect, send, recv, its FIN or RST); the demo server reports its own.
type Hop struct {
	cfg HopConfig
	ln  *sandbox.Listener

	mu     sync.Mutex
	labels map[string]string // the proxy's local address → label
	conns  map[*hopConn]struct{}
	closed bool
	wake   *sync.Cond
	wg     sync.WaitGroup
}

// NewHop starts the relay on a loopback port.
func NewHop(cfg HopConfig) (*Hop, error) {
	var ln *sandbox.Listener
	var err error
	if cfg.Open {
		ln, err = sandbox.Config{}.Listen()
	} else {
		ln, err = sandbox.Listen()
	}
	if err != nil {
		return nil, fmt.Errorf("upstream hop: listen on loopback: %w", err)
	}
	h := &Hop{cfg: cfg, ln: ln, labels: map[string]string{}, conns: map[*hopConn]struct{}{}}
	h.wake = sync.NewCond(&h.mu)
	h.wg.Add(1)
	go h.accept()
	return h, nil
}

// Addr is the address the proxy dials as its upstream server.
func (h *Hop) Addr() string { return h.ln.Addr().String() }

// Dial connects to the hop through its gate: the proxy's DialUpstream.
func (h *Hop) Dial(ctx context.Context) (net.Conn, error) {
	return h.ln.Dial(ctx, hopDialTimeout, sandbox.DialTCP)
}

// Label returns the label of the upstream connection whose proxy end has
// local address addr, waiting up to labelWait for the relay to accept it.
func (h *Hop) Label(addr string) string {
	deadline := time.Now().Add(labelWait)
	stop := time.AfterFunc(labelWait, func() {
		h.mu.Lock()
		h.wake.Broadcast()
		h.mu.Unlock()
	})
	defer stop.Stop()
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		if l, ok := h.labels[addr]; ok || h.closed || !time.Now().Before(deadline) {
			return l
		}
		h.wake.Wait()
	}
}

// StopAccepting closes the relay's listener, so that the proxy's next
// connect is refused as the demo server's would be: the session calls it
// when the demo server's listener closes.
func (h *Hop) StopAccepting() { h.ln.Close() }

// Close ends the relay and every connection through it.
func (h *Hop) Close() error {
	h.mu.Lock()
	h.closed = true
	conns := make([]*hopConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.wake.Broadcast()
	h.mu.Unlock()
	h.ln.Close()
	for _, c := range conns {
		c.abort()
	}
	h.wg.Wait()
	return nil
}

func (h *Hop) accept() {
	defer h.wg.Done()
	for {
		nc, err := h.ln.Accept()
		if err != nil {
			return
		}
		pc := nc.(*net.TCPConn)
		label, err := h.cfg.Admit()
		if err != nil {
			// Over a session limit: the proxy's connect fails at once.
			pc.SetLinger(0)
			pc.Close()
			continue
		}
		c := &hopConn{h: h, label: label, p: pc}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			pc.Close()
			return
		}
		h.conns[c] = struct{}{}
		h.labels[pc.RemoteAddr().String()] = label
		h.wake.Broadcast()
		h.mu.Unlock()
		h.emit(timeline.Event{Conn: label, Kind: timeline.Connect})
		h.wg.Add(1)
		go c.run()
	}
}

func (h *Hop) emit(ev timeline.Event) {
	ev.T = h.cfg.Now()
	ev.Hop = timeline.HopUpstream
	h.cfg.Emit(ev)
}

// hopConn is one upstream connection: p is the proxy's end (accepted
// here), s the relay's connection to the demo server.
type hopConn struct {
	h     *Hop
	label string
	p, s  *net.TCPConn
	once  sync.Once
	mu    sync.Mutex
	done  bool
	// serverFIN: the demo server's FIN arrived; a write after it provokes
	// the RST that deliver watches for.
	serverFIN atomic.Bool
	// proxyFIN: the proxy closed its end; an RST after that reaches a
	// socket the proxy no longer reads, and is not its event.
	proxyFIN atomic.Bool
}

func (c *hopConn) abort() {
	c.once.Do(func() {
		c.mu.Lock()
		c.done = true
		s := c.s
		c.mu.Unlock()
		c.p.Close()
		if s != nil {
			s.Close()
		}
	})
}

func (c *hopConn) run() {
	defer c.h.wg.Done()
	defer func() {
		c.abort()
		c.h.mu.Lock()
		delete(c.h.conns, c)
		c.h.mu.Unlock()
		if c.h.cfg.Ended != nil {
			c.h.cfg.Ended(c.label)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), hopDialTimeout)
	tc, err := c.h.cfg.DialTarget(ctx)
	cancel()
	if err != nil {
		// The demo server's listener closed between the proxy's connect and
		// ours: the proxy sees its connection reset.
		c.h.emit(timeline.Event{Conn: c.label, Kind: timeline.Reset, By: timeline.ByServer, Error: "connect: connection refused"})
		c.p.SetLinger(0)
		return
	}
	c.mu.Lock()
	c.s = tc
	if c.done {
		c.mu.Unlock()
		c.s.Close()
		return
	}
	c.mu.Unlock()
	if c.h.cfg.Register != nil {
		c.h.cfg.Register(c.s.LocalAddr().String(), c.label)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.pump(c.p, c.s, true) }()
	go func() { defer wg.Done(); c.pump(c.s, c.p, false) }()
	wg.Wait()
}

// FINSeen is the Reason of a close the hop reports only to say when it
// read the server's FIN: not a timeline event of its own, it moves the
// demo server's report of that FIN (which has the reason, and comes
// through a pipe from a real release) back to the instant the FIN was
// on the wire. The session never sends it on.
const FINSeen = "fin-seen"

// item is one thing crossing the hop: bytes, or the end of a direction.
type item struct {
	data []byte
	end  int // 0: data; endFIN or endRST
	due  time.Time
}

const (
	endFIN = 1
	endRST = 2
)

// pump carries one direction: from src to dst. up is the proxy → demo
// direction, whose bytes are the proxy's send events; the other
// direction's bytes are its recv events, reported as they reach it.
func (c *hopConn) pump(src, dst *net.TCPConn, up bool) {
	q := make(chan item, hopQueue)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.deliver(q, dst, src, up)
	}()
	buf := make([]byte, hopChunk)
	total := 0
	for {
		n, err := src.Read(buf)
		if n > 0 {
			total += n
			if total > MaxUpstreamBytesPerConn {
				q <- item{end: endRST, due: time.Now()}
				break
			}
			data := append([]byte(nil), buf[:n]...)
			if up {
				c.h.emit(timeline.Event{Conn: c.label, Kind: timeline.Send, Data: string(data)})
			}
			q <- item{data: data, due: time.Now().Add(c.h.cfg.Latency)}
		}
		if err != nil {
			end := endFIN
			if !errors.Is(err, io.EOF) {
				end = endRST
			}
			if errors.Is(err, net.ErrClosed) || c.aborted() {
				break // the relay ended this connection itself
			}
			if !up && end == endFIN {
				c.serverFIN.Store(true)
				if !c.proxyFIN.Load() {
					// When the server's FIN left, to the relay's reading;
					// the demo server's report of it says why, and may
					// reach the session a few ms later than the FIN.
					c.h.emit(timeline.Event{Conn: c.label, Kind: timeline.Close, By: timeline.ByServer, Reason: FINSeen})
				} else {
					// The server's FIN answers the proxy's (an idle
					// upstream connection the proxy let go): the second
					// FIN of the connection, which the demo server's one
					// report of the socket (the proxy's end) leaves out.
					// When the server reports its end itself, the first
					// report of that end wins in the session.
					c.h.emit(timeline.Event{Conn: c.label, Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonPeerFin})
				}
			}
			if up {
				c.proxyFIN.Store(true)
			}
			if up && end == endFIN {
				// The proxy's FIN is its own end closing, also when it
				// answers the server's (the second FIN of the connection:
				// the upstream connection is half-closed until then).
				ev := timeline.Event{Conn: c.label, Kind: timeline.Close, By: timeline.ByProxy}
				if c.serverFIN.Load() {
					ev.Reason = timeline.ReasonPeerFin
				}
				c.h.emit(ev)
			} else if up && !c.serverFIN.Load() {
				// (After the server's FIN, a reset reaches a server end
				// that is already closed.)
				c.h.emit(timeline.Event{Conn: c.label, Kind: timeline.Reset, By: timeline.ByProxy})
			}
			q <- item{end: end, due: time.Now().Add(c.h.cfg.Latency)}
			break
		}
	}
	close(q)
	<-done
}

// serverReset reports the demo server's RST reaching the proxy, unless
// the proxy has closed its end by then (its FIN may wait unread on the
// relay's socket when the relay is busy; the kernel knows).
func (c *hopConn) serverReset() {
	if !c.proxyFIN.Load() && !peerClosed(c.p) {
		c.h.emit(timeline.Event{Conn: c.label, Kind: timeline.Reset, By: timeline.ByServer, Error: "recv: connection reset by peer"})
	}
}

func (c *hopConn) markDone() {
	c.mu.Lock()
	c.done = true
	c.mu.Unlock()
}

func (c *hopConn) aborted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

// deliver writes what pump read, each item at its due time, and passes on
// the end of the direction. A write that fails means dst's peer reset:
// src is reset too, as the kernel would have answered the sender.
func (c *hopConn) deliver(q <-chan item, dst, src *net.TCPConn, up bool) {
	for it := range q {
		if d := time.Until(it.due); d > 0 {
			time.Sleep(d)
		}
		switch it.end {
		case 0:
			if !up {
				// Stamped as the bytes reach the proxy, before it can act on them.
				c.h.emit(timeline.Event{Conn: c.label, Kind: timeline.Recv, Data: string(it.data)})
			}
			_, err := dst.Write(it.data)
			// A failed write, or one the closed demo server's kernel
			// answers with RST: the reset reaches the proxy a latency later.
			if err != nil || up && c.serverFIN.Load() && c.probeReset(dst) {
				if up {
					time.Sleep(c.h.cfg.Latency)
					c.serverReset()
				}
				c.markDone()
				c.resetBoth()
				for range q {
				}
				return
			}
		case endFIN:
			dst.CloseWrite()
		case endRST:
			if !up {
				c.serverReset()
			}
			c.markDone()
			dst.SetLinger(0)
			dst.Close()
			src.Close()
		}
	}
}

// rstWait bounds the wait for the RST that a write to a closed demo
// server provokes; on loopback it arrives within microseconds.
const (
	rstWait = 250 * time.Millisecond
	rstPoll = 2 * time.Millisecond
)

// probeReset reports whether the RST that a write to a closed peer
// provokes arrived on tc (polled a bounded number of times).
func (c *hopConn) probeReset(tc *net.TCPConn) bool {
	for range rstWait / rstPoll {
		if SocketError(tc) != 0 {
			return true
		}
		if c.aborted() {
			return false
		}
		time.Sleep(rstPoll)
	}
	return false
}

// resetBoth ends a connection one of whose ends was reset.
func (c *hopConn) resetBoth() {
	for _, tc := range []*net.TCPConn{c.p, c.s} {
		if tc != nil {
			tc.SetLinger(0)
			tc.Close()
		}
	}
}
