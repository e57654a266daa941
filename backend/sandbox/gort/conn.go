package gort

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/keepalive-playground/playground/timeline"
)

// listener reports accepts and its own closing. Shutdown, Close and
// Serve's return all close it; it reports once.
type listener struct {
	net.Listener
	s    *server
	once sync.Once
}

func (l *listener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &conn{Conn: nc, s: l.s, peer: nc.RemoteAddr().String()}
	l.s.mu.Lock()
	l.s.conns[c] = struct{}{}
	l.s.mu.Unlock()
	// Reported here rather than from StateNew, so that accept always comes
	// before anything else on the connection, even a close racing Serve.
	l.s.emit(c.peer, timeline.Event{Kind: timeline.Accept})
	return c, nil
}

func (l *listener) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() { l.s.emit("", timeline.Event{Kind: timeline.ListenerClosed}) })
	return err
}

// deadlineKind says which of net/http's timers a read deadline is. net/http
// sets read deadlines at fixed points (server.go, conn.serve): the
// ReadHeaderTimeout when a connection starts and after the first bytes of
// each next request arrive, the IdleTimeout right after a connection goes
// idle, and a deadline in the past to interrupt its own background read
// when a handler returns. A read that times out is classified by the
// deadline it ran into.
type deadlineKind int

const (
	deadlineNone   deadlineKind = iota
	deadlineHeader              // ReadHeaderTimeout
	deadlineIdle                // IdleTimeout
	deadlineAbort               // net/http interrupting its background read
)

// conn watches one accepted connection. net/http holds it as the
// connection's net.Conn, so every read, write, deadline and close goes
// through it; mu orders them against the ConnState hook and the handler.
type conn struct {
	net.Conn
	s    *server
	peer string

	mu        sync.Mutex
	idleArmed bool // went idle; the next read deadline is the idle one
	deadline  deadlineKind
	// cause is the first thing the socket itself reported that ends the
	// connection: a timeout, or the client's FIN or RST.
	cause, causeBy string
	closed         bool

	// The current request, from the handler's start until the connection
	// goes idle again.
	inRequest   bool
	reqClose    bool // the request asked for Connection: close (or was HTTP/1.0)
	status      int
	handlerDone bool // the handler returned (it did not panic)
	flushed     bool // bytes went out after the handler returned
	writeFailed bool
	responded   bool // the response event was reported
	destroyed   bool

	// answered is the status of a reply net/http wrote on its own, without
	// a handler (400 for a malformed request, 431, 501, 505, 417).
	answered int
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.readFailed(err)
	}
	return n, err
}

func (c *conn) readFailed(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause != "" || c.closed {
		return
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		switch c.deadline {
		case deadlineIdle:
			c.cause, c.causeBy = timeline.ReasonIdleTimeout, timeline.ByServer
		case deadlineHeader:
			c.cause, c.causeBy = timeline.ReasonHeadersTimeout, timeline.ByServer
		}
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		c.cause, c.causeBy = timeline.ReasonClient, timeline.ByClient
	}
}

func (c *conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err != nil:
		c.writeFailed = true
		if c.cause == "" && !c.closed && (errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)) {
			c.cause, c.causeBy = timeline.ReasonClient, timeline.ByClient
		}
	case n == 0:
	case !c.inRequest:
		if c.answered == 0 {
			c.answered = statusOf(p)
		}
	case c.handlerDone:
		c.flushed = true
	}
	return n, err
}

// statusOf reads the status code of a status line ("HTTP/1.1 400 Bad
// Request"), or 0.
func statusOf(p []byte) int {
	const prefix = len("HTTP/1.1 ")
	if len(p) < prefix+3 {
		return 0
	}
	code, err := strconv.Atoi(string(p[prefix : prefix+3]))
	if err != nil {
		return 0
	}
	return code
}

func (c *conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	switch {
	case t.IsZero():
		c.deadline = deadlineNone
	case !t.After(time.Now()):
		c.deadline = deadlineAbort
	case c.idleArmed:
		c.deadline = deadlineIdle
	default:
		c.deadline = deadlineHeader
	}
	c.idleArmed = false
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

// Close is called by the connection's own goroutine, by Shutdown for an
// idle connection, by Close for every connection, and by exit.
func (c *conn) Close() error { return c.shut(c.Conn.Close) }

// CloseWrite sends the FIN: net/http half-closes after some replies (431,
// a request body too large) and closes fully only after a short linger.
// The connection is over for the timeline at the FIN.
func (c *conn) CloseWrite() error {
	return c.shut(func() error {
		if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
			return cw.CloseWrite()
		}
		return c.Conn.Close()
	})
}

// shut runs f, the socket operation that ends the connection, and reports
// the end once: the response that went out just before (if it was not
// reported yet), then the close with who closed and why.
func (c *conn) shut(f func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return f()
	}
	c.closed = true
	by, reason := c.reasonLocked()
	err := f()
	c.s.mu.Lock()
	delete(c.s.conns, c)
	c.s.mu.Unlock()
	switch {
	case c.answered != 0:
		c.s.emit(c.peer, timeline.Event{Kind: timeline.Response, Status: c.answered})
	case c.handlerDone && c.flushed && !c.writeFailed && !c.responded:
		c.respondedLocked()
	}
	c.s.emit(c.peer, timeline.Event{Kind: timeline.Close, By: by, Reason: reason})
	return err
}

// reasonLocked works out why the connection is closing. What the socket
// reported comes first (it happened first); then what the program did;
// then what net/http decided after a response.
func (c *conn) reasonLocked() (by, reason string) {
	s := c.s
	switch {
	case c.cause != "":
		return c.causeBy, c.cause
	case c.destroyed:
		return timeline.ByServer, timeline.ReasonDestroy
	case s.exiting.Load():
		return timeline.ByServer, timeline.ReasonExit
	case s.closing.Load():
		return timeline.ByServer, timeline.ReasonServerClose
	case c.answered != 0:
		return timeline.ByServer, timeline.ReasonBadRequest
	case c.inRequest && (c.reqClose || !s.keepAlive):
		return timeline.ByServer, timeline.ReasonConnectionClose
	case s.shuttingDown.Load():
		// Shutdown closed it idle, or net/http closed it after its response
		// because keep-alives end with Shutdown.
		return timeline.ByServer, timeline.ReasonShutdown
	}
	// net/http would not reuse the connection after the response (the
	// handler wrote less than its Content-Length, or left a large request
	// body unread): it closes as if Connection: close.
	return timeline.ByServer, timeline.ReasonConnectionClose
}

// respondedLocked reports the current request's response.
func (c *conn) respondedLocked() {
	c.responded = true
	c.s.emit(c.peer, timeline.Event{Kind: timeline.Response, Status: c.status})
}

// begin starts a request: the handler was called.
func (c *conn) begin(method, target string, close bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inRequest, c.reqClose, c.status = true, close, 200
	c.s.emit(c.peer, timeline.Event{Kind: timeline.Request, Method: method, Path: target})
}

// setStatus records the status the handler is about to write.
func (c *conn) setStatus(code int) {
	c.mu.Lock()
	c.status = code
	c.mu.Unlock()
}

// flushedByHandler reports the response the handler flushed itself before
// acting (Close, a panic, an exit would otherwise lose it).
func (c *conn) flushedByHandler() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed && !c.responded {
		c.respondedLocked()
	}
}

func (c *conn) markDestroyed() {
	c.mu.Lock()
	c.destroyed = true
	c.mu.Unlock()
}

// end records that the handler returned normally; net/http writes the
// buffered response next.
func (c *conn) end() {
	c.mu.Lock()
	c.handlerDone = true
	c.mu.Unlock()
}

// wentIdle runs on StateIdle, which net/http sets only after the response
// was completely written: that is when it is reported.
func (c *conn) wentIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if c.inRequest && !c.responded {
		c.respondedLocked()
	}
	c.inRequest, c.reqClose, c.status = false, false, 0
	c.handlerDone, c.flushed, c.writeFailed, c.responded = false, false, false, false
	c.idleArmed = true
	c.s.emit(c.peer, timeline.Event{Kind: timeline.Idle})
}
