package pool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// Addr is the fake address of one end of a virtual connection. The real
// sockets live on the backend; the learner knows a connection by its label.
type Addr struct {
	// Label is the virtual connection's label (the client end), or
	// "demo:80" for the server end.
	Label string
}

// Network reports "tcp": the backend's sockets are real TCP.
func (Addr) Network() string { return "tcp" }

func (a Addr) String() string { return a.Label }

// connState is where a virtual connection is in its life.
type connState int

const (
	dialing connState = iota
	open
	failed // the dial failed; err says why
)

// vconn is a net.Conn over the wire protocol. Write sends write messages;
// Read consumes the recv events Deliver hands it. Deliver never blocks:
// it appends under mu and wakes whoever waits.
type vconn struct {
	label string
	send  func(wire.Msg)
	// onClose tells the pool the transport closed the connection.
	onClose func(*vconn)

	// writeMu keeps write and shut messages in the order they were made
	// without holding mu while send runs.
	writeMu sync.Mutex

	mu    sync.Mutex
	state connState
	// wake is closed (and replaced) on every change a waiter cares about.
	wake chan struct{}
	buf  []byte
	eof  bool
	// broken is the error every later read returns (a reset by the
	// server, the connection lost with its demo server).
	broken error
	// brokenByNote: broken is the backend's error message. The backend
	// sends those at once but holds timeline events briefly, so a reset
	// event that follows still names the real cause.
	brokenByNote bool
	// gone: the backend dropped the connection without a word (a load
	// or restart); there is nothing left to shut.
	gone bool
	// dialErr is why the dial failed.
	dialErr error
	// abandoned: the dial was given up (ctx); later events are ignored.
	abandoned bool
	closed    bool
	rdl, wdl  time.Time
	// resetBy is who reset the connection, if anyone did.
	resetBy string
}

func newVconn(label string, send func(wire.Msg), onClose func(*vconn)) *vconn {
	return &vconn{label: label, send: send, onClose: onClose, wake: make(chan struct{})}
}

// changedLocked wakes every waiter; mu is held.
func (c *vconn) changedLocked() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// dial opens the virtual connection and waits for the backend's connect
// (or refused) event.
func (c *vconn) dial(ctx context.Context) error {
	c.send(wire.Msg{Type: wire.Open, Conn: c.label})
	for {
		c.mu.Lock()
		switch c.state {
		case open:
			c.mu.Unlock()
			return nil
		case failed:
			err := c.dialErr
			c.mu.Unlock()
			return err
		}
		wake := c.wake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			c.mu.Lock()
			c.abandoned = true
			c.closed = true
			c.changedLocked()
			c.mu.Unlock()
			// A client that gives up on a connect closes its socket; the
			// late SYN-ACK is answered with RST. The backend queues the
			// reset behind its dial, so the timeline shows the same.
			c.writeMu.Lock()
			c.send(wire.Msg{Type: wire.Reset, Conn: c.label})
			c.writeMu.Unlock()
			c.onClose(c)
			return &net.OpError{Op: "dial", Net: "tcp", Addr: Addr{demoAddr}, Err: ctx.Err()}
		}
	}
}

// deliver applies one message from the backend. It never blocks.
func (c *vconn) deliver(m wire.Msg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.abandoned {
		return
	}
	switch m.Type {
	case wire.EOF:
		c.eof = true
	case wire.Error:
		// The backend gave up on the connection (a limit, an internal
		// failure): to the client it is a connection that broke.
		err := errors.New(m.Message)
		if c.state == dialing {
			c.state = failed
			c.dialErr = &net.OpError{Op: "dial", Net: "tcp", Addr: Addr{demoAddr}, Err: err}
		} else if c.broken == nil {
			c.broken, c.brokenByNote = err, true
		}
	case wire.Ev:
		if m.Event == nil {
			return
		}
		ev := m.Event
		switch ev.Kind {
		case timeline.Connect:
			if c.state == dialing {
				c.state = open
			}
		case timeline.Refused:
			c.state = failed
			c.dialErr = &net.OpError{Op: "dial", Net: "tcp", Addr: Addr{demoAddr}, Err: sysError(ev.Error, "connect", syscall.ECONNREFUSED)}
		case timeline.Recv:
			c.buf = append(c.buf, ev.Data...)
		case timeline.Reset:
			c.resetBy = ev.By
			if (ev.By == timeline.ByServer || ev.By == timeline.ByProxy) && (c.broken == nil || c.brokenByNote) {
				// What a reading client sees after the peer's RST,
				// whichever of its own calls the backend saw fail.
				c.broken = os.NewSyscallError("read", errno{syscall.ECONNRESET, errnoTexts[syscall.ECONNRESET]})
				c.brokenByNote = false
			}
		default:
			return
		}
	default:
		return
	}
	c.changedLocked()
}

// lost fails the connection because its demo server is gone.
func (c *vconn) lost(why error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gone = true
	if c.state == dialing {
		c.state = failed
		c.dialErr = &net.OpError{Op: "dial", Net: "tcp", Addr: Addr{demoAddr}, Err: why}
	} else if c.broken == nil {
		c.broken = why
	}
	c.changedLocked()
}

func (c *vconn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return 0, c.opError("read", net.ErrClosed)
		}
		if c.state == failed {
			err := c.dialErr
			c.mu.Unlock()
			return 0, err
		}
		if len(c.buf) > 0 {
			n := copy(p, c.buf)
			c.buf = c.buf[n:]
			if len(c.buf) == 0 {
				c.buf = nil
			}
			c.mu.Unlock()
			return n, nil
		}
		if c.broken != nil {
			err := c.broken
			c.mu.Unlock()
			return 0, c.opError("read", err)
		}
		if c.eof {
			c.mu.Unlock()
			return 0, io.EOF
		}
		wait, err := deadlineWait(c.rdl)
		if err != nil {
			c.mu.Unlock()
			return 0, c.opError("read", err)
		}
		wake := c.wake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-wait:
		}
	}
}

// deadlineWait returns a channel that fires at the deadline (nil for
// none), or the timeout error if it has passed.
func deadlineWait(dl time.Time) (<-chan time.Time, error) {
	if dl.IsZero() {
		return nil, nil
	}
	d := time.Until(dl)
	if d <= 0 {
		return nil, os.ErrDeadlineExceeded
	}
	return time.After(d), nil
}

func (c *vconn) Write(p []byte) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.mu.Lock()
	closed, reset := c.closed, c.resetBy != ""
	_, dlErr := deadlineWait(c.wdl)
	c.mu.Unlock()
	switch {
	case closed:
		return 0, c.opError("write", net.ErrClosed)
	case reset:
		// The kernel answers writes after an RST with EPIPE.
		return 0, c.opError("write", os.NewSyscallError("write", errno{syscall.EPIPE, errnoTexts[syscall.EPIPE]}))
	case dlErr != nil:
		return 0, c.opError("write", dlErr)
	}
	// The backend writes into the socket; like a kernel send buffer, a
	// write is done once it is handed over. A server that already closed
	// shows up later, as it would on a real socket.
	for rest := p; len(rest) > 0; {
		n := min(len(rest), wire.MaxWriteBytes)
		c.send(wire.Msg{Type: wire.Write, Conn: c.label, Data: append([]byte(nil), rest[:n]...)})
		rest = rest[n:]
	}
	return len(p), nil
}

// Close sends the client's FIN and forgets the connection.
func (c *vconn) Close() error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.opError("close", net.ErrClosed)
	}
	c.closed = true
	reset := c.resetBy != "" || c.gone
	established := c.state == open
	c.changedLocked()
	c.mu.Unlock()
	if established && !reset {
		c.send(wire.Msg{Type: wire.Shut, Conn: c.label})
	}
	c.onClose(c)
	return nil
}

func (c *vconn) LocalAddr() net.Addr  { return Addr{c.label} }
func (c *vconn) RemoteAddr() net.Addr { return Addr{demoAddr} }

func (c *vconn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.rdl, c.wdl = t, t
	c.changedLocked()
	c.mu.Unlock()
	return nil
}

func (c *vconn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.rdl = t
	c.changedLocked()
	c.mu.Unlock()
	return nil
}

func (c *vconn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.wdl = t
	c.mu.Unlock()
	return nil
}

// opError words an error as the net package does for a TCP socket, with
// the labels in place of addresses: "read tcp P1->demo: read: connection
// reset by peer".
func (c *vconn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: Addr{c.label}, Addr: Addr{demoAddr}, Err: err}
}

// errno is a system error with the text Linux gives it. syscall.Errno
// under GOOS=js spells its texts differently ("Connection reset by
// peer"); the learner should read what a real client prints.
type errno struct {
	no   syscall.Errno
	text string
}

func (e errno) Error() string        { return e.text }
func (e errno) Is(target error) bool { return target == e.no }
func (e errno) Timeout() bool        { return false }
func (e errno) Temporary() bool      { return false }

// sysError turns the backend's wording of a client error ("connect:
// connection refused") back into the error value a client would hold.
func sysError(text, call string, fallback syscall.Errno) error {
	if name, msg, ok := strings.Cut(text, ": "); ok && name != "" && !strings.Contains(name, " ") {
		call, text = name, msg
	}
	if text == "" {
		return os.NewSyscallError(call, errno{fallback, errnoTexts[fallback]})
	}
	for no, t := range errnoTexts {
		if t == text {
			return os.NewSyscallError(call, errno{no, text})
		}
	}
	return os.NewSyscallError(call, errors.New(text))
}

// errnoTexts are the Linux texts of the errors a client of the demo
// server can meet.
var errnoTexts = map[syscall.Errno]string{
	syscall.ECONNREFUSED: "connection refused",
	syscall.ECONNRESET:   "connection reset by peer",
	syscall.EPIPE:        "broken pipe",
	syscall.ETIMEDOUT:    "connection timed out",
}

// String names the connection in test failures and logs.
func (c *vconn) String() string { return fmt.Sprintf("vconn %s", c.label) }
