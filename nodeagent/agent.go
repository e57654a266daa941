package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// readBufBytes is the size of one read from a socket (libuv reads 64 KiB).
const readBufBytes = 64 * 1024

// Dialer opens a new connection to the server; conn.LocalAddr().String()
// is the connection's label.
type Dialer func(ctx context.Context) (net.Conn, error)

// ErrRefused may be wrapped by a Dialer whose connections are not TCP (the
// page's virtual ones) when the server refused the connection.
var ErrRefused = errors.New("connection refused")

// Request is one request through the agent. Host is added as Node adds it;
// Connection as the agent decides (keep-alive or close) unless given.
type Request struct {
	Method, Path string
	Header       [][2]string
	Body         string
}

// Result is what the request's caller sees.
type Result struct {
	Conn   string // label of the socket the request took ("" if none)
	Reused bool   // req.reusedSocket
	Status int    // 0 when it failed before a response head
	Header [][2]string
	Body   string
	// Err is Node's own err.message ("socket hang up", "read ECONNRESET",
	// "connect ECONNREFUSED 127.0.0.1:8080", "aborted" for a body cut
	// short), "" on success; Code is err.code.
	Err     string
	Code    string
	Elapsed time.Duration
}

// SocketState is where a socket is in the agent.
type SocketState string

// Socket states.
const (
	StateActive SocketState = "active" // carrying a request (or connecting)
	StateFree   SocketState = "free"   // in the pool
	StateClosed SocketState = "closed"
)

// Who ends a socket (SocketInfo.ClosedBy).
const (
	ClosedByServer = "server" // the server closed or reset it
	ClosedByAgent  = "agent"  // the agent destroyed it
)

// SocketInfo is one socket of the agent, open or closed.
type SocketInfo struct {
	Label        string
	State        SocketState
	Requests     int
	FreeSince    time.Time
	FreeDeadline time.Time // zero: no timer
	// FreeTimer says which timer FreeDeadline is, in Node's terms: the
	// server's Keep-Alive hint less the agent's buffer, or the agent's
	// timeout option; "" when no timer runs.
	FreeTimer string
	ClosedBy  string
	Note      string
	ClosedAt  time.Time
}

// Agent is one http.Agent. Its state is guarded by mu; each socket has a
// reader goroutine that ends when the socket closes.
type Agent struct {
	s    settings
	dial Dialer

	mu       sync.Mutex
	active   []*socket // agent.sockets[name]: carrying a request or connecting
	free     []*socket // agent.freeSockets[name]
	queue    []*pending
	total    int       // agent.totalSocketCount
	all      []*socket // every socket, for Sockets
	onChange func()
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

type socket struct {
	a        *Agent
	ctx      context.Context // the agent's until Destroy: it ends a dial
	conn     net.Conn        // nil while connecting
	label    string
	state    SocketState
	requests int
	cur      *pending
	dec      *Decoder
	// timeout is socket.timeout: the inactivity timer's value (0: off).
	timeout      time.Duration
	timer        *time.Timer
	freeSince    time.Time
	freeDeadline time.Time
	freeTimer    string // SocketInfo.FreeTimer
	closedBy     string
	note         string
	closedAt     time.Time
	// lastResp is the response just ended, for the 'free' handler.
	lastResp *Response
}

type pending struct {
	req    Request
	start  time.Time
	done   chan Result
	sock   *socket
	reused bool
	// keepAlive is req.shouldKeepAlive.
	keepAlive bool
	finished  bool
}

// New makes an agent that dials with dial.
func New(opts Options, dial Dialer) (*Agent, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	b, _ := behaviour(opts.Release)
	ctx, cancel := context.WithCancel(context.Background())
	return &Agent{s: opts.settings(b), dial: dial, ctx: ctx, cancel: cancel}, nil
}

// OnChange sets f to be called (without the agent's lock) after a socket
// changes state. f must not block.
func (a *Agent) OnChange(f func()) {
	a.mu.Lock()
	a.onChange = f
	a.mu.Unlock()
}

func (a *Agent) changed() {
	a.mu.Lock()
	f := a.onChange
	a.mu.Unlock()
	if f != nil {
		f()
	}
}

// Sockets returns every socket the agent has had, in the order they were
// created.
func (a *Agent) Sockets() []SocketInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]SocketInfo, 0, len(a.all))
	for _, s := range a.all {
		out = append(out, SocketInfo{Label: s.label, State: s.state, Requests: s.requests, FreeSince: s.freeSince,
			FreeDeadline: s.freeDeadline, FreeTimer: s.freeTimer, ClosedBy: s.closedBy, Note: s.note, ClosedAt: s.closedAt})
	}
	return out
}

// Destroy is agent.destroy(): every socket, free or active, is destroyed
// (a request in flight fails with socket hang up). It waits for the
// sockets' goroutines.
func (a *Agent) Destroy() {
	a.mu.Lock()
	a.cancel() // a dial under way ends
	socks := append(append([]*socket{}, a.free...), a.active...)
	for _, s := range socks {
		a.destroyLocked(s, ClosedByAgent, "agent.destroy()")
	}
	// Node leaves queued requests waiting for ever; a caller here gets
	// them back, failed as a destroyed request fails.
	for _, p := range a.queue {
		a.failLocked(p, "socket hang up", "ECONNRESET")
	}
	a.queue = nil
	a.mu.Unlock()
	a.wg.Wait()
	// The agent stays usable after destroy(), as Node's does.
	a.mu.Lock()
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.mu.Unlock()
	a.changed()
}

// Do sends req through the agent and waits for its outcome. ctx ending
// is req.destroy(): the request fails with socket hang up.
func (a *Agent) Do(ctx context.Context, req Request) Result { return <-a.Go(ctx, req) }

// Go is Do without the wait: the request has taken its socket (or joined
// the queue) when Go returns, so requests issued one after another take
// sockets in that order, as http.request calls do.
func (a *Agent) Go(ctx context.Context, req Request) <-chan Result {
	if req.Method == "" {
		req.Method = "GET"
	}
	if req.Path == "" {
		req.Path = "/"
	}
	p := &pending{req: req, start: time.Now(), done: make(chan Result, 1), keepAlive: a.s.reqKeepAlive()}
	for _, h := range req.Header {
		if strings.EqualFold(h[0], "Connection") {
			// matchHeader: a Connection header other than close makes the
			// request keep-alive; close sets _last (the response will
			// say close and end it).
			if !hasToken(strings.ToLower(h[1]), "close") {
				p.keepAlive = true
			}
		}
	}
	a.addRequest(p)
	a.changed()
	out := make(chan Result, 1)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		select {
		case r := <-p.done:
			out <- r
		case <-ctx.Done():
			a.mu.Lock()
			a.failLocked(p, "socket hang up", "ECONNRESET")
			if p.sock != nil && p.sock.cur == p {
				a.destroyLocked(p.sock, ClosedByAgent, "request aborted")
			}
			for i, q := range a.queue {
				if q == p {
					a.queue = append(a.queue[:i], a.queue[i+1:]...)
					break
				}
			}
			a.mu.Unlock()
			a.changed()
			out <- <-p.done
		}
	}()
	return out
}

// addRequest is Agent.prototype.addRequest.
func (a *Agent) addRequest(p *pending) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var s *socket
	// Skip destroyed sockets at the head of the list, then take one.
	for len(a.free) > 0 && a.free[0].state == StateClosed {
		a.free = a.free[1:]
	}
	s = a.takeFree()
	if s != nil {
		// reuseSocket: req.reusedSocket = true.
		p.reused = true
		a.active = append(a.active, s)
		a.assignLocked(s, p)
		return
	}
	if len(a.free)+len(a.active) < a.s.maxSockets && a.total < a.s.maxTotal {
		a.createSocketLocked(p)
		return
	}
	a.queue = append(a.queue, p)
}

func (a *Agent) takeFree() *socket {
	if len(a.free) == 0 {
		return nil
	}
	var s *socket
	if a.s.lifo {
		s = a.free[len(a.free)-1]
		a.free = a.free[:len(a.free)-1]
	} else {
		s = a.free[0]
		a.free = a.free[1:]
	}
	return s
}

// createSocketLocked is createSocket: the socket counts from now on
// (oncreate runs in the same turn as createConnection); p (nil when
// removeSocket makes a socket for the queue) gets it once it connects.
func (a *Agent) createSocketLocked(p *pending) {
	s := &socket{a: a, ctx: a.ctx, state: StateActive, timeout: a.s.timeout}
	a.active = append(a.active, s)
	a.all = append(a.all, s)
	a.total++
	if p != nil {
		s.cur = p
		p.sock = s
	}
	a.wg.Add(1)
	go s.run()
}

// run dials, then reads until the socket closes.
func (s *socket) run() {
	a := s.a
	defer a.wg.Done()
	conn, err := a.dial(s.ctx)
	a.mu.Lock()
	if err != nil && s.state == StateClosed { // destroyed while connecting
		a.mu.Unlock()
		return
	}
	if err != nil {
		msg, code := dialError(err)
		s.closedBy, s.note, s.state, s.closedAt = ClosedByServer, msg, StateClosed, time.Now()
		if p := s.cur; p != nil {
			a.failLocked(p, msg, code)
		}
		a.removeSocketLocked(s)
		a.mu.Unlock()
		a.changed()
		return
	}
	s.conn = conn
	s.label = conn.LocalAddr().String()
	if s.state == StateClosed { // destroyed while connecting
		conn.Close()
		a.mu.Unlock()
		return
	}
	if s.cur != nil {
		a.writeLocked(s, s.cur)
	} else {
		// removeSocket's createSocket: socket.emit('free').
		a.freeLocked(s)
	}
	a.mu.Unlock()
	a.changed()
	buf := make([]byte, readBufBytes)
	for {
		n, err := conn.Read(buf)
		a.mu.Lock()
		if s.state == StateClosed {
			a.mu.Unlock()
			return
		}
		if n > 0 {
			a.dataLocked(s, buf[:n])
		}
		if err != nil && s.state != StateClosed {
			a.endLocked(s, err)
		}
		closed := s.state == StateClosed
		a.mu.Unlock()
		a.changed()
		if closed {
			return
		}
	}
}

// assignLocked is setRequestSocket (+ the write once connected).
func (a *Agent) assignLocked(s *socket, p *pending) {
	p.sock = s
	s.cur = p
	s.state = StateActive
	s.freeSince, s.freeDeadline, s.freeTimer = time.Time{}, time.Time{}, ""
	s.stopTimer()
	if s.conn != nil {
		a.writeLocked(s, p)
	}
}

// writeLocked writes the request's bytes. Loopback and the page's
// connections take a request's bytes without blocking for long.
func (a *Agent) writeLocked(s *socket, p *pending) {
	s.requests++
	s.dec = a.newDecoder(p.req.Method)
	if _, err := s.conn.Write(a.render(p)); err != nil {
		msg, code := sysError("write", err)
		a.failLocked(p, msg, code)
		a.destroyLocked(s, ClosedByServer, msg)
	}
}

// render is the request as ClientRequest writes it.
func (a *Agent) render(p *pending) []byte {
	var b strings.Builder
	b.WriteString(p.req.Method + " " + p.req.Path + " HTTP/1.1\r\n")
	hasHost, hasConn, hasLen := false, false, false
	for _, h := range p.req.Header {
		switch strings.ToLower(h[0]) {
		case "host":
			hasHost = true
		case "connection":
			hasConn = true
		case "content-length", "transfer-encoding":
			hasLen = true
		}
	}
	// The options' headers first, then Host (the ClientRequest
	// constructor sets it after them), then what _storeHeader adds.
	for _, h := range p.req.Header {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	if !hasHost {
		b.WriteString("Host: " + a.s.host + "\r\n")
	}
	if !hasConn {
		if p.keepAlive {
			b.WriteString("Connection: keep-alive\r\n")
		} else {
			b.WriteString("Connection: close\r\n")
		}
	}
	// req.end(body) gives a Content-Length only to methods that have a
	// body by default: a GET's body goes out unframed, as Node sends it.
	if !hasLen && chunkedByDefault(p.req.Method) {
		b.WriteString("Content-Length: " + strconv.Itoa(len(p.req.Body)) + "\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(p.req.Body)
	return []byte(b.String())
}

// chunkedByDefault: useChunkedEncodingByDefault is false for these
// methods, so req.end() sends no Content-Length for them.
func chunkedByDefault(method string) bool {
	switch method {
	case "GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT":
		return false
	}
	return true
}

func (a *Agent) newDecoder(method string) *Decoder {
	if a.s.b.LLHTTP6 {
		return NewDecoderLLHTTP6(method)
	}
	return NewDecoder(method)
}

// dataLocked handles bytes read from s.
func (a *Agent) dataLocked(s *socket, b []byte) {
	p := s.cur
	if p == nil || s.state == StateFree {
		if a.s.b.AgentFreeDataGuard {
			a.destroyLocked(s, ClosedByAgent, "data on a free socket")
		}
		// Before the guard, a free socket's bytes go to no listener.
		return
	}
	n, err := s.dec.Feed(b)
	if err != nil {
		var pe *ParseError
		code := ""
		if errors.As(err, &pe) {
			code = pe.Code
		}
		// The parser's error is the request's ('error' on req), so
		// the caller sees no status even after a head.
		s.dec = nil
		a.failLocked(p, err.Error(), code)
		a.destroyLocked(s, ClosedByAgent, err.Error())
		return
	}
	if !s.dec.Done() {
		return
	}
	if rest := b[n:]; len(rest) > 0 {
		// The same parser.execute goes on past the response, before
		// the response's end is handed back: bytes that are no response
		// fail the request; a second response head destroys the socket
		// (parserOnIncomingClient: "the server sent a double response").
		next := a.newDecoder("GET")
		if _, err := next.Feed(rest); err != nil {
			var pe *ParseError
			code := ""
			if errors.As(err, &pe) {
				code = pe.Code
			}
			s.dec = nil
			a.failLocked(p, err.Error(), code)
			a.destroyLocked(s, ClosedByAgent, err.Error())
			return
		}
		if next.HeadDone() {
			a.succeedLocked(p, s.dec.Response())
			s.cur = nil
			a.destroyLocked(s, ClosedByAgent, "a second response before the request was done")
			return
		}
	}
	a.responseEndLocked(s, p)
}

// responseEndLocked is responseOnEnd: the response is complete.
func (a *Agent) responseEndLocked(s *socket, p *pending) {
	resp := s.dec.Response()
	a.succeedLocked(p, resp)
	if !resp.KeepAlive {
		p.keepAlive = false
	}
	s.cur = nil
	if !p.keepAlive {
		// socket.destroySoon(): the client ends its side and the socket.
		a.destroyLocked(s, ClosedByAgent, "the response did not keep the connection alive")
		return
	}
	s.lastResp = resp
	a.freeLocked(s)
	s.lastResp = nil
}

// freeLocked is the agent's 'free' handler.
func (a *Agent) freeLocked(s *socket) {
	if len(a.queue) > 0 {
		q := a.queue[0]
		a.queue = a.queue[1:]
		a.assignLocked(s, q) // not reuseSocket: reusedSocket stays false
		return
	}
	if s.lastResp == nil || !a.s.keepAlive {
		a.destroyLocked(s, ClosedByAgent, "not kept: no request waits and the agent does not keep sockets alive")
		return
	}
	count := len(a.free) + len(a.active)
	if a.total > a.s.maxTotal || count > a.s.maxSockets || len(a.free) >= a.s.maxFree {
		a.destroyLocked(s, ClosedByAgent, "not kept: the pool is full")
		return
	}
	if !a.keepSocketAliveLocked(s) {
		a.destroyLocked(s, ClosedByAgent, "not kept: the server's Keep-Alive hint is within the agent's buffer")
		return
	}
	a.removeActive(s)
	s.state = StateFree
	s.freeSince = time.Now()
	a.free = append(a.free, s)
	if s.timeout > 0 {
		s.freeDeadline = s.freeSince.Add(s.timeout)
		s.timer = time.AfterFunc(s.timeout, func() { a.onTimeout(s) })
	}
}

// hintRe is keepSocketAlive's /^timeout=(\d+)/.
var hintRe = regexp.MustCompile(`^timeout=(\d+)`)

// keepSocketAliveLocked is Agent.prototype.keepSocketAlive: the free
// socket's timer is the agent's timeout, lowered to the server's hint less
// the buffer on lines that read it.
func (a *Agent) keepSocketAliveLocked(s *socket) bool {
	t := a.s.timeout
	ok := true
	why := fmt.Sprintf("the agent's timeout option (%d ms)", t.Milliseconds())
	if a.s.b.AgentHintBufferMs > 0 {
		if hint := s.lastResp.Get("Keep-Alive"); hint != "" {
			if m := hintRe.FindStringSubmatch(hint); m != nil {
				n, err := strconv.ParseInt(m[1], 10, 64)
				if err != nil || n > int64(maxTimeout/time.Second) {
					n = int64(maxTimeout / time.Second)
				}
				h := time.Duration(n)*time.Second - a.s.hintBuffer
				if h <= 0 {
					ok = false
				} else if h < t {
					t = h
					why = fmt.Sprintf("the server's Keep-Alive: timeout=%d less the agent's %d ms buffer", n, a.s.hintBuffer.Milliseconds())
				}
			}
		}
	}
	s.timeout = t
	s.freeTimer = ""
	if t > 0 {
		s.freeTimer = why
	}
	return ok
}

func (a *Agent) onTimeout(s *socket) {
	a.mu.Lock()
	if s.state != StateFree || s.timer == nil {
		a.mu.Unlock()
		return
	}
	a.destroyLocked(s, ClosedByAgent, "free socket timeout")
	a.mu.Unlock()
	a.changed()
}

func (s *socket) stopTimer() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

// endLocked is the socket's end (EOF) or read error.
func (a *Agent) endLocked(s *socket, err error) {
	msg := "closed by the server"
	if p := s.cur; p != nil {
		switch {
		case errors.Is(err, io.EOF) && s.dec.EOF():
			// A body delimited by the connection's end.
			a.succeedLocked(p, s.dec.Response())
			s.cur = nil
		case !errors.Is(err, io.EOF):
			msg, code := sysError("read", err)
			a.failLocked(p, msg, code)
		case s.dec.HeadDone():
			a.failLocked(p, "aborted", "ECONNRESET")
		default:
			a.failLocked(p, "socket hang up", "ECONNRESET")
		}
	}
	if !errors.Is(err, io.EOF) {
		msg, _ = sysError("read", err)
	}
	a.destroyLocked(s, ClosedByServer, msg)
}

// destroyLocked is socket.destroy() and its 'close': removeSocket.
func (a *Agent) destroyLocked(s *socket, by, note string) {
	if s.state == StateClosed {
		return
	}
	if p := s.cur; p != nil {
		a.failLocked(p, "socket hang up", "ECONNRESET")
	}
	s.stopTimer()
	s.state, s.closedBy, s.note, s.closedAt = StateClosed, by, note, time.Now()
	s.freeDeadline, s.freeTimer = time.Time{}, ""
	if s.conn != nil {
		s.conn.Close()
	}
	a.removeSocketLocked(s)
}

func (a *Agent) removeActive(s *socket) {
	for i, x := range a.active {
		if x == s {
			a.active = append(a.active[:i], a.active[i+1:]...)
			return
		}
	}
}

// removeSocketLocked is onClose → removeSocket: the socket leaves the
// agent, and a waiting request gets a new socket.
func (a *Agent) removeSocketLocked(s *socket) {
	a.total--
	a.removeActive(s)
	for i, x := range a.free {
		if x == s {
			a.free = append(a.free[:i], a.free[i+1:]...)
			break
		}
	}
	if len(a.queue) > 0 && a.ctx.Err() == nil {
		a.createSocketLocked(nil)
	}
}

func (a *Agent) failLocked(p *pending, msg, code string) {
	if p.finished {
		return
	}
	p.finished = true
	r := Result{Reused: p.reused, Err: msg, Code: code, Elapsed: time.Since(p.start)}
	if p.sock != nil {
		r.Conn = p.sock.label
		if p.sock.dec != nil && p.sock.dec.HeadDone() {
			resp := p.sock.dec.Response()
			r.Status, r.Header, r.Body = resp.Status, resp.Header, string(resp.Body)
		}
	}
	p.done <- r
}

func (a *Agent) succeedLocked(p *pending, resp *Response) {
	if p.finished {
		return
	}
	p.finished = true
	p.done <- Result{Conn: p.sock.label, Reused: p.reused, Status: resp.Status, Header: resp.Header,
		Body: string(resp.Body), Elapsed: time.Since(p.start)}
}

// dialError words a failed connect as Node does: "connect ECONNREFUSED
// 127.0.0.1:8080".
func dialError(err error) (msg, code string) {
	addr := ""
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Addr != nil {
		addr = " " + oe.Addr.String()
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, ErrRefused) {
		return "connect ECONNREFUSED" + addr, "ECONNREFUSED"
	}
	return sysError("connect", err)
}

// sysError words an error of syscall op as libuv's uvException does:
// "read ECONNRESET".
func sysError(op string, err error) (msg, code string) {
	for _, e := range []struct {
		errno syscall.Errno
		code  string
	}{{syscall.ECONNRESET, "ECONNRESET"}, {syscall.EPIPE, "EPIPE"}, {syscall.ECONNREFUSED, "ECONNREFUSED"},
		{syscall.ETIMEDOUT, "ETIMEDOUT"}, {syscall.EHOSTUNREACH, "EHOSTUNREACH"}, {syscall.ENETUNREACH, "ENETUNREACH"}} {
		if errors.Is(err, e.errno) {
			return op + " " + e.code, e.code
		}
	}
	if errors.Is(err, net.ErrClosed) {
		return "socket hang up", "ECONNRESET"
	}
	return op + " " + err.Error(), ""
}
