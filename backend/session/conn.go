package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/keepalive-playground/playground/backend/proxy"
	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// vconn is the client end of one virtual connection: a real TCP socket to
// the session's demo server. The owner goroutine holds it; a reader
// goroutine relays what the server sends, and a writer goroutine performs
// writes, half-close and reset in order, so the owner never blocks on the
// socket.
type vconn struct {
	// eof is set by the reader when the server's FIN arrived; the writer
	// then looks for the RST a later write provokes (see writeLoop).
	eof   atomic.Bool
	label string
	conn  *net.TCPConn // nil until the dial returns
	ops   chan connOp  // to the writer; closed by abort
	sent  int
	recvd int
	// early holds writes made while the dial was in flight; their send
	// events follow the connect event.
	early  [][]byte
	closed bool // a close event was emitted for this connection
	// shutT and eofT are when the client's FIN went out and the server's
	// came in (0: not yet), so the server's FIN in answer to the client's
	// gets its own close event whichever note the owner handles first.
	shutT, eofT float64
	reset       bool // reset (either side); nothing more happens on it
	once        sync.Once
	ctx         context.Context    // ends with abort
	cancel      context.CancelFunc // stops the dial and a reader waiting for budget
}

type connOp struct {
	kind   string // wire.Write, wire.Shut, wire.Reset
	data   []byte
	charge int64 // the budget data holds until written
}

// maxQueuedOps bounds writes waiting for a slow socket; past it the
// write is refused with a limit error.
const maxQueuedOps = 256

// note is a report from a connection goroutine to the owner.
// noteKind is what a connection's goroutine reports to the owner.
type noteKind int

const (
	noteDialed   noteKind = iota + 1 // the dial succeeded (conn, tcp)
	noteRefused                      // the dial was refused
	noteNoDial                       // the machine was out of resources to dial
	noteRecv                         // bytes arrived (data, charge)
	noteEOF                          // the server's FIN arrived
	noteReadErr                      // the read failed (a reset, mostly)
	noteWriteErr                     // a write failed
	noteShut                         // our FIN left (err if it could not)
	noteReset                        // our reset left
)

type note struct {
	label string
	c     *vconn
	kind  noteKind
	conn  *net.TCPConn
	tcp   tcpFirst // with dialed: the kernel's first word on both ends
	data  []byte
	// charge is the budget data holds (recv): the owner passes it on to
	// the event, or gives it back.
	charge int64
	err    error
	t      float64
}

// abort ends the connection's goroutines without ceremony (load, restart,
// session end).
func (c *vconn) abort() {
	c.once.Do(func() {
		c.cancel()
		close(c.ops)
		if c.conn != nil {
			c.conn.Close()
		}
	})
}

// drop gives back the budget of writes an aborted connection never
// handed to its socket. Call it once no writer can be running.
func (c *vconn) drop(b *Budget) {
	for op := range c.ops {
		b.giveWrite(op.charge)
	}
}

// do carries out one connection operation now. A scheduled write comes
// with its charge on the budget; an immediate one is charged here. Either
// way the charge goes with the bytes to the writer, or is given back.
func (s *Session) do(m wire.Msg, charge int64) error {
	if charge == 0 {
		var ok bool
		if charge, ok = s.chargeWrite(m); !ok {
			return nil
		}
	}
	handed := false
	defer func() {
		if !handed {
			s.budget.giveWrite(charge)
		}
	}()
	c := s.conns[m.Conn]
	if c == nil {
		if m.Type == wire.Shut || m.Type == wire.Reset {
			s.fail(wire.CodeConn, m.Conn, fmt.Errorf("connection %s is not open", m.Conn))
			return nil
		}
		var err error
		if c, err = s.open(m.Conn); err != nil || c == nil {
			return err
		}
	}
	if m.Type == wire.Open {
		return nil
	}
	if c.reset {
		s.fail(wire.CodeConn, m.Conn, fmt.Errorf("connection %s was reset; open a new one", m.Conn))
		return nil
	}
	op := connOp{kind: m.Type, data: m.Data, charge: charge}
	if m.Type == wire.Write {
		if c.sent+len(m.Data) > MaxBytesPerConn {
			s.fail(wire.CodeLimit, m.Conn, fmt.Errorf("a connection may send at most %d bytes", MaxBytesPerConn))
			return nil
		}
		if s.sent+len(m.Data) > MaxBytesPerSession {
			s.fail(wire.CodeLimit, m.Conn, fmt.Errorf("a run may send at most %d bytes", MaxBytesPerSession))
			return nil
		}
		c.sent += len(m.Data)
		s.sent += len(m.Data)
	}
	// The send event is stamped as the bytes are handed to the writer,
	// before it can run, so that it always precedes the request and the
	// reply it causes on the timeline (stamped after the handover, it
	// could follow them on a busy machine).
	t := s.now()
	select {
	case c.ops <- op:
		handed = true
	default:
		s.fail(wire.CodeLimit, m.Conn, fmt.Errorf("connection %s has %d writes waiting; the server is not reading", m.Conn, maxQueuedOps))
		return nil
	}
	if m.Type != wire.Write {
		return nil
	}
	if c.conn == nil {
		c.early = append(c.early, m.Data)
		return nil
	}
	s.emit(timeline.Event{T: t, Conn: m.Conn, Kind: timeline.Send, Data: string(m.Data)})
	return nil
}

// live counts the connections that are still open at some end. One that
// was reset, or that the client closed after the server's FIN, keeps its
// label until the next load (a write to it is answered as before) but no
// longer counts toward MaxConns: a long session with the pooled client
// goes through many such connections.
func (s *Session) live() int {
	n := 0
	for _, c := range s.conns {
		if !c.reset && !(c.closed && c.eof.Load()) {
			n++
		}
	}
	return n
}

// open starts dialing the demo server for label. Writes queue behind the
// dial, as they would behind a real connect.
func (s *Session) open(label string) (*vconn, error) {
	if s.srv == nil {
		s.fail(wire.CodeConn, label, errors.New("no demo server is running"))
		return nil, nil
	}
	if s.live() >= MaxConns {
		s.fail(wire.CodeLimit, label, fmt.Errorf("at most %d connections may be open at once", MaxConns))
		return nil, nil
	}
	if s.opened >= MaxConnsPerRun {
		s.fail(wire.CodeLimit, label, fmt.Errorf("a run may open at most %d connections", MaxConnsPerRun))
		return nil, nil
	}
	if s.px != nil && scenario.IsUpstreamLabel(label) {
		s.fail(wire.CodeConn, label, fmt.Errorf("%s names one of the proxy's upstream connections; give the connection another label", label))
		return nil, nil
	}
	s.opened++
	ctx, cancel := context.WithCancel(context.Background())
	c := &vconn{label: label, ops: make(chan connOp, maxQueuedOps), ctx: ctx, cancel: cancel}
	s.conns[label] = c
	delete(s.closeSent, label) // a new connection under a freed label
	delete(s.resetSent, label)
	gate, addr := s.ln, s.srv.Addr()
	if s.px != nil {
		// The client's connections end at the proxy, behind its own gate.
		gate, addr = s.pln, s.px.Addr()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		// The only listener a session ever dials is its own demo
		// server's, and only while it is open (see sandbox.Listener).
		var tc *net.TCPConn
		var err error
		if gate != nil {
			tc, err = gate.Dial(ctx, DialTimeout, s.dial)
		} else {
			var nc net.Conn
			if nc, err = s.dial(ctx, &net.Dialer{Timeout: DialTimeout}, addr); err == nil {
				tc = nc.(*net.TCPConn)
			}
		}
		if err != nil {
			kind := noteRefused
			if sandbox.OutOfResources(err) {
				kind = noteNoDial
			}
			s.notes <- note{label: label, c: c, kind: kind, err: err, t: s.now()}
			return
		}
		t := s.now()
		s.labels.set(tc.LocalAddr().String(), label)
		first := s.tcpFirstLook(tc)
		s.notes <- note{label: label, c: c, kind: noteDialed, conn: tc, t: t, tcp: first}
		s.wg.Add(1)
		go s.readLoop(c, tc)
		s.writeLoop(c, tc)
	}()
	return c, nil
}

// recvBuffers recycles the readers' buffers, which under load were
// allocated (and zeroed) once per connection.
var recvBuffers = sync.Pool{New: func() any { return new([recvChunk]byte) }}

func (s *Session) readLoop(c *vconn, tc *net.TCPConn) {
	defer s.wg.Done()
	bp := recvBuffers.Get().(*[recvChunk]byte)
	defer recvBuffers.Put(bp)
	buf := bp[:]
	for {
		n, err := tc.Read(buf)
		if n > 0 {
			// Stamped when read; held back, if the session's budget is
			// full, until the page has taken what it was sent.
			t := s.now()
			charge := int64(n) + msgOverhead
			if !s.budget.wait(c.ctx, charge, readShare) {
				return
			}
			s.notes <- note{label: c.label, c: c, kind: noteRecv, data: append([]byte(nil), buf[:n]...), charge: charge, t: t}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				c.eof.Store(true)
				s.notes <- note{label: c.label, c: c, kind: noteEOF, t: s.now()}
			} else {
				s.notes <- note{label: c.label, c: c, kind: noteReadErr, err: err, t: s.now()}
			}
			return
		}
	}
}

// rstWait bounds the wait for the RST that a write to a closed peer
// provokes; on loopback it arrives within microseconds.
const rstWait = 250 * time.Millisecond

// probeReset watches for the RST that a write provokes on a connection
// whose server has already closed: the server's kernel answers with RST,
// and the client's kernel records it as the socket's pending error (a
// read still says EOF, the FIN having come first). That pending error is
// what the client's next write fails with, so it is reported now, when
// the RST arrived. Polled a bounded number of times.
func (s *Session) probeReset(c *vconn, tc *net.TCPConn) {
	for range rstWait / rstPoll {
		if errno := proxy.SocketError(tc); errno != 0 {
			err := &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", errno)}
			s.notes <- note{label: c.label, c: c, kind: noteReadErr, err: err, t: s.now()}
			return
		}
		time.Sleep(rstPoll)
	}
}

// rstPoll is the pause between probeReset's looks.
const rstPoll = 2 * time.Millisecond

func (s *Session) writeLoop(c *vconn, tc *net.TCPConn) {
	for op := range c.ops {
		switch op.kind {
		case wire.Write:
			_, err := tc.Write(op.data)
			s.budget.giveWrite(op.charge)
			if err != nil {
				s.notes <- note{label: c.label, c: c, kind: noteWriteErr, err: err, t: s.now()}
				continue
			}
			if c.eof.Load() {
				s.probeReset(c, tc)
			}
		case wire.Shut:
			t := s.now() // before the FIN leaves, so an answer is never stamped earlier
			err := tc.CloseWrite()
			s.notes <- note{label: c.label, c: c, kind: noteShut, err: err, t: t}
		case wire.Reset:
			// Linger 0 makes close send RST instead of FIN.
			tc.SetLinger(0)
			tc.Close()
			s.notes <- note{label: c.label, c: c, kind: noteReset, t: s.now()}
		}
	}
	tc.Close()
}

func (s *Session) handleNote(n note) error {
	c := s.conns[n.label]
	if c != n.c {
		// A connection from before a load or restart; its server is gone.
		if n.kind == noteDialed {
			n.conn.Close()
		}
		s.budget.give(n.charge)
		return nil
	}
	ev := timeline.Event{T: n.t, Conn: n.label}
	switch n.kind {
	case noteDialed:
		c.conn = n.conn
		peer := n.conn.LocalAddr().String()
		ev.Kind = timeline.Connect
		s.emit(ev)
		for _, data := range c.early {
			s.emit(timeline.Event{T: n.t, Conn: n.label, Kind: timeline.Send, Data: string(data)})
		}
		c.early = nil
		s.tcpTrack(n.label, n.conn, n.tcp)
		held := s.pending[peer]
		delete(s.pending, peer)
		for _, e := range held {
			e.Conn = n.label
			s.emit(e)
		}
		return nil
	case noteRefused, noteNoDial:
		delete(s.conns, n.label)
		c.abort()
		c.drop(s.budget) // no writer ever started
		if n.kind == noteNoDial {
			// The playground's own trouble, not the demo server's
			// answer: no timeline event.
			s.fail(wire.CodeInternal, n.label, fmt.Errorf("connection %s could not be opened: the playground server is short of resources (%s); try again in a moment", n.label, clientError(n.err)))
			return nil
		}
		ev.Kind, ev.Error = timeline.Refused, clientError(n.err)
	case noteRecv:
		if c.recvd += len(n.data); c.recvd > MaxRecvBytesPerConn {
			s.budget.give(n.charge)
			s.fail(wire.CodeLimit, n.label, fmt.Errorf("connection %s received more than %d bytes; it was closed", n.label, MaxRecvBytesPerConn))
			c.abort()
			delete(s.conns, n.label)
			return nil
		}
		ev.Kind, ev.Data = timeline.Recv, string(n.data)
		s.held = append(s.held, held{ev: ev, charge: n.charge})
		return nil
	case noteWriteErr, noteReadErr:
		s.tcpTouch(n.label)
		if errors.Is(n.err, net.ErrClosed) {
			// Our own close or reset of the socket; already on the timeline.
			return nil
		}
		if isReset(n.err) {
			if c.reset {
				return nil
			}
			c.reset = true
			ev.Kind, ev.By, ev.Error = timeline.Reset, timeline.ByServer, clientError(n.err)
			if s.px != nil {
				ev.By = timeline.ByProxy // the client's peer is the proxy
			}
			break
		}
		if c.reset || c.closed && n.kind == noteReadErr {
			return nil
		}
		// Any other failure is reported with the client's own words.
		s.fail(wire.CodeConn, n.label, fmt.Errorf("connection %s: %s", n.label, clientError(n.err)))
		return nil
	case noteEOF:
		// The server's FIN. Its close event (with the reason) comes from
		// the demo server; the client keeps its end open, as netcat does,
		// so a later write shows what a reused dead connection does. A
		// reading client (the pooled client) is told.
		// In order with the held recv events: the bytes before the FIN
		// must reach it first.
		s.tcpTouch(n.label)
		c.eofT = n.t
		if c.closed {
			s.answerFin(c)
		} else {
			s.held = append(s.held, held{ev: timeline.Event{T: n.t, Conn: n.label, Kind: timeline.Close, By: s.clientPeer()}, finSeen: true})
		}
		s.emitEOF(n.t, n.label)
		return nil
	case noteShut:
		s.tcpTouch(n.label)
		if c.closed {
			return nil
		}
		c.closed = true
		c.shutT = n.t
		ev.Kind, ev.By, ev.Reason = timeline.Close, timeline.ByClient, timeline.ReasonClient
		s.emit(ev)
		if c.eofT > 0 {
			s.answerFin(c) // the reader saw the answer before we saw our FIN go
		}
		return nil
	case noteReset:
		c.reset = true
		s.tcpReleased(n.label)
		ev.Kind, ev.By = timeline.Reset, timeline.ByClient
	default:
		return nil
	}
	s.emit(ev)
	return nil
}

// answerFin puts the server's FIN that came after the client's on the
// timeline as the server's own close, at the instant the client read it:
// real Node (allowHalfOpen false) ends its side ~2 ms after, Go's server
// as soon as it reads the EOF, and neither program reports it. When the
// demo server does report it, its event (stamped earlier, with its own
// reason) wins the per-end de-duplication in send.
func (s *Session) answerFin(c *vconn) {
	if c.reset || c.eofT < c.shutT {
		return // the server's FIN came first: the demo server reports it
	}
	s.held = append(s.held, held{ev: timeline.Event{T: c.eofT, Conn: c.label, Kind: timeline.Close, By: s.clientPeer(), Reason: timeline.ReasonPeerFin}})
}

// clientPeer names the end a client connection's FIN comes from: the
// demo server, or the proxy in front of it.
func (s *Session) clientPeer() string {
	if s.px != nil {
		return timeline.ByProxy
	}
	return timeline.ByServer
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// clientError words a socket error as the client saw it, without our
// addresses: "read: connection reset by peer".
func clientError(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		inner := op.Err
		var se interface{ Unwrap() error }
		if errors.As(inner, &se) {
			if u := se.Unwrap(); u != nil {
				inner = u
			}
		}
		name := op.Op
		if name == "dial" {
			name = "connect" // the system call a client's error names
		}
		return name + ": " + inner.Error()
	}
	return err.Error()
}
