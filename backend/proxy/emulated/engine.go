// Package emulated holds the proxy kinds that cannot run inside the
// playground as they are: nginx (an emulation of nginx 1.22's proxy_pass
// to an upstream block, held to the real nginx 1.22.1 by the
// differential test in this package) and alb (an AWS Application Load
// Balancer, modelled from AWS's documentation). Both are one engine — a
// reverse proxy on real loopback sockets, one goroutine per client
// connection and a pool of idle upstream connections — with a
// personality that decides what each product decides: how a request is
// rewritten upstream, which upstream connection it takes, whether a
// failed exchange is retried, what the client is answered and what the
// proxy logs.
package emulated

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/keepalive-playground/playground/backend/proxy"
	"github.com/keepalive-playground/playground/timeline"
)

// Engine limits.
const (
	// readChunk is one read from either hop.
	readChunk = 16 << 10
	// maxClientBuffer bounds the bytes a client may have waiting (a head
	// and a body, or pipelined requests).
	maxClientBuffer = 1 << 20
	// maxResponseBody bounds what is relayed from upstream per response.
	maxResponseBody = 4 << 20
	// dialTimeout bounds a connect to the hop (nginx's
	// proxy_connect_timeout is 60 s; on loopback a connect is immediate
	// or refused).
	dialTimeout = 2 * time.Second
	// writeTimeout bounds one write to a client that stopped reading.
	writeTimeout = 5 * time.Second
)

// failure is how an upstream exchange failed (nginx's ft_type).
type failure int

const (
	ftError   failure = iota // connect, send or read failed, or EOF before the header
	ftTimeout                // no header within the read timeout
	ftInvalid                // not an HTTP response
)

// personality is what makes the engine one product.
type personality interface {
	// name is the kind ("nginx").
	name() string
	// clientHeaderTimeout bounds the wait for a connection's first request
	// (and for the rest of a request once it started); clientIdle, the
	// idle time between requests (0: no keep-alive with clients).
	clientHeaderTimeout() time.Duration
	clientIdle() time.Duration
	// keepClient decides whether the client connection stays open after
	// the response to its n-th request, and says why not.
	keepClient(r *request, n int, opened time.Time) (bool, string)
	// poolSize is how many idle upstream connections are kept (0: none);
	// upstreamIdle how long one may stay idle; upstreamMaxRequests how many
	// requests one carries (0: no limit).
	poolSize() int
	upstreamIdle() time.Duration
	upstreamMaxRequests() int
	// readTimeout bounds the wait for an upstream response head.
	readTimeout() time.Duration
	// upstreamRequest renders the request sent upstream.
	upstreamRequest(r *request) []byte
	// reusable: the upstream connection may carry another request after
	// this response.
	reusable(resp *response) bool
	// responseHead renders the client's response head for an upstream
	// response; chunked says the body is re-chunked for the client.
	responseHead(r *request, resp *response, keep, chunked bool) []byte
	// errorResponse is the proxy's own answer (400, 502, 504, …).
	errorResponse(status int, keep bool) []byte
	// retry decides whether a failed exchange is tried again on another
	// upstream connection (cached: the failed one came from the pool).
	retry(r *request, ft failure, cached, sent bool) bool
	// logLine is the line the proxy writes for a failed exchange.
	logLine(msg, action string, r *request, upstream string) string
	// failStatus is the status answered for a failure.
	failStatus(ft failure) int
}

type engine struct {
	cfg proxy.Config
	p   personality
	ln  net.Listener

	mu      sync.Mutex
	pool    []*upConn // idle upstream connections, most recently used first
	clients map[net.Conn]struct{}
	ups     map[*upConn]struct{}
	closed  bool
	wg      sync.WaitGroup
	emitMu  sync.Mutex
}

func start(cfg proxy.Config, p personality) (*engine, error) {
	ln, err := cfg.Listen()
	if err != nil {
		return nil, fmt.Errorf("%s: listen on loopback: %w", p.name(), err)
	}
	e := &engine{cfg: cfg, p: p, ln: ln, clients: map[net.Conn]struct{}{}, ups: map[*upConn]struct{}{}}
	e.wg.Add(1)
	go e.accept()
	return e, nil
}

func (e *engine) Addr() string { return e.ln.Addr().String() }

// Close ends the proxy: its listener, every client and upstream
// connection, and every goroutine.
func (e *engine) Close() error {
	e.mu.Lock()
	e.closed = true
	var all []io.Closer
	for c := range e.clients {
		all = append(all, c)
	}
	for u := range e.ups {
		all = append(all, u.nc)
	}
	e.pool = nil
	e.mu.Unlock()
	e.ln.Close()
	for _, c := range all {
		c.Close()
	}
	e.wg.Wait()
	return nil
}

func (e *engine) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

// emit stamps and reports an event (peer: a client connection's address,
// or "" with ev.Conn an upstream label).
func (e *engine) emit(peer string, ev timeline.Event) {
	e.emitMu.Lock()
	defer e.emitMu.Unlock()
	if e.isClosed() {
		return
	}
	ev.T = e.cfg.Now()
	e.cfg.Emit(peer, ev)
}

func (e *engine) accept() {
	defer e.wg.Done()
	for {
		nc, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			nc.Close()
			return
		}
		e.clients[nc] = struct{}{}
		e.wg.Add(1)
		e.mu.Unlock()
		go e.serveClient(nc)
	}
}

// clientConn is one client connection: a reader goroutine fills buf;
// the serving goroutine parses requests from it.
type clientConn struct {
	nc     net.Conn
	peer   string
	opened time.Time

	mu     sync.Mutex
	buf    []byte
	eof    bool  // the client's FIN
	err    error // a read error (RST)
	signal chan struct{}
	// goneCh is closed when the client's FIN or RST arrived.
	goneCh chan struct{}
}

func (c *clientConn) read() {
	b := make([]byte, readChunk)
	for {
		n, err := c.nc.Read(b)
		c.mu.Lock()
		if n > 0 && len(c.buf)+n <= maxClientBuffer {
			c.buf = append(c.buf, b[:n]...)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				c.eof = true
			} else {
				c.err = err
			}
		}
		c.mu.Unlock()
		select {
		case c.signal <- struct{}{}:
		default:
		}
		if err != nil {
			close(c.goneCh)
			return
		}
	}
}

// gone reports whether the client has closed or reset its end.
func (c *clientConn) gone() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.eof || c.err != nil
}

func (e *engine) serveClient(nc net.Conn) {
	defer e.wg.Done()
	c := &clientConn{nc: nc, peer: nc.RemoteAddr().String(), opened: time.Now(), signal: make(chan struct{}, 1), goneCh: make(chan struct{})}
	e.wg.Add(1)
	go func() { defer e.wg.Done(); c.read() }()
	defer func() {
		nc.Close()
		e.mu.Lock()
		delete(e.clients, nc)
		e.mu.Unlock()
	}()
	e.emit(c.peer, timeline.Event{Kind: timeline.Accept})
	closeBy := func(reason string) {
		e.emit(c.peer, timeline.Event{Kind: timeline.Close, By: timeline.ByProxy, Reason: reason})
	}
	timeout := e.p.clientHeaderTimeout()
	idle := false
	for n := 1; ; n++ {
		r, err := e.nextRequest(c, timeout, idle)
		switch {
		case err == errClientGone:
			return // the client's own close is on the timeline
		case err == errTimeout:
			if idle {
				closeBy(timeline.ReasonProxyIdleTimeout)
			} else {
				closeBy(timeline.ReasonHeadersTimeout)
			}
			return
		case err != nil:
			var bad *badRequest
			if errors.As(err, &bad) {
				e.writeClient(c, e.p.errorResponse(bad.status, false))
				e.emit(c.peer, timeline.Event{Kind: timeline.Response, Status: bad.status, By: timeline.ByProxy})
				c.mu.Lock()
				unread := len(c.buf) > bad.parsed
				c.mu.Unlock()
				e.closeClient(c, timeline.ReasonBadRequest, unread)
			}
			return
		}
		e.emit(c.peer, timeline.Event{Kind: timeline.Request, Method: r.method, Path: r.target})
		keep, why := e.p.keepClient(r, n, c.opened)
		outcome := e.forward(c, r, keep)
		if outcome.aborted {
			return
		}
		ev := timeline.Event{Kind: timeline.Response, Status: outcome.status}
		if outcome.self {
			ev.By = timeline.ByProxy
		}
		e.emit(c.peer, ev)
		switch {
		case outcome.cut:
			closeBy(timeline.ReasonUpstreamClosed)
			return
		case !outcome.keep:
			if why == "" {
				why = timeline.ReasonConnectionClose
			}
			c.mu.Lock()
			unread := len(c.buf) > 0
			c.mu.Unlock()
			e.closeClient(c, why, unread || r.contentLength > 0 || r.chunked)
			return
		}
		c.mu.Lock()
		pipelined := len(c.buf) > 0
		c.mu.Unlock()
		if !pipelined {
			e.emit(c.peer, timeline.Event{Kind: timeline.Idle})
		}
		timeout, idle = e.p.clientIdle(), !pipelined
	}
}

// nginx's lingering_timeout and lingering_time defaults.
const (
	lingeringTimeout = 5 * time.Second
	lingeringTime    = 30 * time.Second
)

// closeClient ends a client connection after a response. With bytes the
// proxy has not read (a body, a pipelined or unparsed request), nginx
// closes lingering (ngx_http_set_lingering_close): it sends its FIN,
// then reads and discards what the client still sends, until the client
// is quiet for lingering_timeout or lingering_time has passed, so that
// the client's late bytes do not provoke an RST that would destroy the
// response in flight.
func (e *engine) closeClient(c *clientConn, reason string, linger bool) {
	e.emit(c.peer, timeline.Event{Kind: timeline.Close, By: timeline.ByProxy, Reason: reason})
	tc, ok := c.nc.(*net.TCPConn)
	if !linger || !ok {
		return // serveClient's deferred Close sends the FIN
	}
	tc.CloseWrite()
	end := time.NewTimer(lingeringTime)
	defer end.Stop()
	quiet := time.NewTimer(lingeringTimeout)
	defer quiet.Stop()
	for {
		select {
		case <-c.goneCh:
			return
		case <-c.signal:
			c.mu.Lock()
			c.buf = nil
			c.mu.Unlock()
			quiet.Reset(lingeringTimeout)
		case <-quiet.C:
			return
		case <-end.C:
			return
		}
	}
}

var (
	errClientGone = errors.New("client closed")
	errTimeout    = errors.New("timeout")
)

// nextRequest waits for a whole request. Before its first byte the wait
// is idle (keep-alive) or the first request's; once bytes arrived, the
// header timeout runs.
func (e *engine) nextRequest(c *clientConn, timeout time.Duration, idle bool) (*request, error) {
	var timer *time.Timer
	var tc <-chan time.Time
	if timeout > 0 {
		timer = time.NewTimer(timeout)
		defer timer.Stop()
		tc = timer.C
	}
	for {
		c.mu.Lock()
		r, n, err := parseRequest(c.buf)
		started := len(c.buf) > 0
		gone := c.eof || c.err != nil
		if err == nil {
			c.buf = c.buf[n:]
		}
		c.mu.Unlock()
		if err == nil {
			return r, nil
		}
		if err != errIncomplete {
			return nil, err
		}
		if gone {
			return nil, errClientGone
		}
		if idle && started {
			// The next request began: the header timeout runs from here.
			idle = false
			if timer != nil {
				timer.Reset(e.p.clientHeaderTimeout())
			}
		}
		select {
		case <-c.signal:
		case <-tc:
			return nil, errTimeout
		}
	}
}

// writeClient writes to the client, bounded in time.
func (e *engine) writeClient(c *clientConn, b []byte) error {
	c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := c.nc.Write(b)
	return err
}

// outcome is how one request ended.
type outcome struct {
	status  int
	self    bool // the proxy answered by itself
	keep    bool // the client connection stays open
	cut     bool // the upstream ended the response early: the client is cut off
	aborted bool // the client left while the request was upstream
}

// forward carries one request upstream, trying again as the personality
// allows, and answers the client.
func (e *engine) forward(c *clientConn, r *request, keep bool) outcome {
	for {
		u, cached, err := e.getUpstream()
		if err != nil {
			if e.isClosed() {
				return outcome{aborted: true}
			}
			e.emit(c.peer, timeline.Event{Kind: timeline.ProxyError, Error: e.p.logLine(connectError(err), "connecting to upstream", r, e.cfg.Upstream)})
			if e.p.retry(r, ftError, false, false) {
				continue
			}
			return e.answer(c, e.p.failStatus(ftError), keep)
		}
		e.emit(c.peer, timeline.Event{Kind: timeline.Forward, Upstream: u.label, Method: r.method, Path: r.target})
		u.requests++
		res := e.exchange(c, u, r, keep, cached)
		switch {
		case res.aborted:
			return outcome{aborted: true}
		case res.failed:
			e.emit(c.peer, timeline.Event{Kind: timeline.ProxyError, Upstream: u.label, Error: e.p.logLine(res.msg, res.action, r, e.cfg.Upstream)})
			if e.p.retry(r, res.ft, cached, true) {
				continue
			}
			return e.answer(c, e.p.failStatus(res.ft), keep)
		}
		return res.outcome
	}
}

// answer writes the proxy's own response.
func (e *engine) answer(c *clientConn, status int, keep bool) outcome {
	if err := e.writeClient(c, e.p.errorResponse(status, keep)); err != nil {
		return outcome{status: status, self: true, keep: false}
	}
	return outcome{status: status, self: true, keep: keep}
}

func connectError(err error) string {
	var se syscall.Errno
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connect() failed (111: Connection refused)"
	case errors.As(err, &se):
		return fmt.Sprintf("connect() failed (%d: %s)", int(se), se.Error())
	}
	return "connect() failed (" + err.Error() + ")"
}

// upConn is one upstream connection.
type upConn struct {
	nc       *net.TCPConn
	label    string
	requests int
	// While pooled, a watcher reads it: anything it reads (the server's
	// FIN, RST or stray bytes) ends the connection, as nginx's keepalive
	// close handler does.
	watching chan struct{} // closed when the watcher stopped
	dead     bool          // the watcher closed it
	timer    *time.Timer
	// pooled counts the times u went into the pool, so that an idle
	// timer from an earlier stay, firing late, does not close it.
	pooled int
	closed bool
}

// getUpstream takes the most recently pooled connection, or dials one.
func (e *engine) getUpstream() (*upConn, bool, error) {
	for {
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			return nil, false, net.ErrClosed
		}
		if len(e.pool) == 0 {
			e.mu.Unlock()
			break
		}
		u := e.pool[0]
		e.pool = e.pool[1:]
		u.timer.Stop()
		e.mu.Unlock()
		// Interrupt the watcher's read; if it already saw the connection
		// end, the connection is gone and the next one is tried.
		u.nc.SetReadDeadline(time.Unix(1, 0))
		<-u.watching
		u.nc.SetReadDeadline(time.Time{})
		e.mu.Lock()
		dead := u.dead
		e.mu.Unlock()
		if !dead && pending(u.nc) {
			// Its FIN came before this request did: nginx's close handler
			// would have run first (the watcher had not got to it yet).
			e.closeUpstream(u, "")
			continue
		}
		if !dead {
			return u, true, nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	nc, err := e.cfg.Dial(ctx)
	cancel()
	if err != nil {
		return nil, false, err
	}
	tc := nc.(*net.TCPConn)
	u := &upConn{nc: tc, label: e.cfg.Label(tc.LocalAddr().String())}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		tc.Close()
		return nil, false, net.ErrClosed
	}
	e.ups[u] = struct{}{}
	e.mu.Unlock()
	return u, false, nil
}

// closeUpstream closes u, reporting why the proxy closed it (the demo
// server's own close, when it came first, is already on the timeline).
func (e *engine) closeUpstream(u *upConn, reason string) {
	e.mu.Lock()
	if u.closed {
		e.mu.Unlock()
		return
	}
	u.closed = true
	delete(e.ups, u)
	e.mu.Unlock()
	if reason != "" {
		e.emit("", timeline.Event{Conn: u.label, Kind: timeline.Close, By: timeline.ByProxy, Reason: reason})
	}
	u.nc.Close()
}

// release puts u back in the pool after a complete response, or closes it.
func (e *engine) release(u *upConn, resp *response) {
	max := e.p.upstreamMaxRequests()
	switch {
	case e.p.poolSize() == 0 || !e.p.reusable(resp):
		e.closeUpstream(u, timeline.ReasonConnectionClose)
		return
	case max > 0 && u.requests >= max:
		e.closeUpstream(u, timeline.ReasonUpstreamMaxRequests)
		return
	case pending(u.nc):
		// The app's FIN came with the response: nginx caches the
		// connection and, its read event being ready, closes it at once.
		e.closeUpstream(u, "")
		return
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		e.closeUpstream(u, "")
		return
	}
	var evict *upConn
	if len(e.pool) >= e.p.poolSize() {
		// nginx closes the least recently used cached connection.
		evict = e.pool[len(e.pool)-1]
		e.pool = e.pool[:len(e.pool)-1]
		evict.timer.Stop()
	}
	e.pool = append([]*upConn{u}, e.pool...)
	u.watching = make(chan struct{})
	u.dead = false
	u.pooled++
	stay := u.pooled
	idle := e.p.upstreamIdle()
	u.timer = time.AfterFunc(idle, func() { e.expire(u, stay) })
	if idle == 0 {
		u.timer.Stop()
	}
	e.wg.Add(1)
	e.mu.Unlock()
	go e.watch(u)
	if evict != nil {
		evict.nc.SetReadDeadline(time.Unix(1, 0))
		<-evict.watching
		e.closeUpstream(evict, timeline.ReasonUpstreamPoolFull)
	}
}

// watch reads a pooled connection until it is taken (its read is
// interrupted) or it ends.
func (e *engine) watch(u *upConn) {
	defer e.wg.Done()
	defer close(u.watching)
	var b [1]byte
	_, err := u.nc.Read(b[:])
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		return // taken for a request, or evicted
	}
	e.mu.Lock()
	u.dead = true
	for i, p := range e.pool {
		if p == u {
			e.pool = append(e.pool[:i], e.pool[i+1:]...)
			u.timer.Stop()
			break
		}
	}
	e.mu.Unlock()
	// The server's FIN or RST: its close is the connection's.
	e.closeUpstream(u, "")
}

// expire closes a connection that stayed idle in the pool too long.
func (e *engine) expire(u *upConn, stay int) {
	e.mu.Lock()
	found := false
	for i, p := range e.pool {
		if p == u && u.pooled == stay {
			e.pool = append(e.pool[:i], e.pool[i+1:]...)
			found = true
			break
		}
	}
	e.mu.Unlock()
	if !found {
		return
	}
	u.nc.SetReadDeadline(time.Unix(1, 0))
	<-u.watching
	e.closeUpstream(u, timeline.ReasonUpstreamIdleTimeout)
}

// exchangeResult is one attempt on one upstream connection.
type exchangeResult struct {
	outcome
	failed      bool
	ft          failure
	msg, action string
	aborted     bool
}

// exchange sends r on u and relays the response to the client. A failure
// before the response head is returned for forward to handle; once the
// head has come, the response is the client's.
func (e *engine) exchange(c *clientConn, u *upConn, r *request, keep, cached bool) exchangeResult {
	fail := func(ft failure, msg, action string) exchangeResult {
		reason := "" // the server ended it: its close is on the timeline
		switch ft {
		case ftTimeout:
			reason = timeline.ReasonUpstreamTimeout
		case ftInvalid:
			reason = timeline.ReasonUpstreamClosed
		}
		e.closeUpstream(u, reason)
		return exchangeResult{failed: true, ft: ft, msg: msg, action: action}
	}
	// Watch the client while the request is upstream: nginx gives up the
	// request (499) when the client closes its end.
	stop := make(chan struct{})
	var abortMu sync.Mutex
	aborted := false
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		select {
		case <-stop:
		case <-c.goneCh:
			abortMu.Lock()
			aborted = true
			abortMu.Unlock()
			u.nc.SetReadDeadline(time.Unix(1, 0))
		}
	}()
	endWatch := func() bool {
		close(stop)
		<-watchDone
		abortMu.Lock()
		defer abortMu.Unlock()
		return aborted
	}
	if !cached && c.gone() {
		// The client's FIN was waiting by the time the new connection's
		// connect completed: nginx's check_broken_connection runs before
		// the request is sent, and gives it up (499). On a cached
		// connection nginx sends at once and notices the FIN after.
		endWatch()
		e.closeUpstream(u, timeline.ReasonClient)
		return exchangeResult{aborted: true}
	}
	if _, err := u.nc.Write(e.p.upstreamRequest(r)); err != nil {
		if endWatch() {
			e.closeUpstream(u, timeline.ReasonClient)
			return exchangeResult{aborted: true}
		}
		return fail(ftError, sysError("writev", err), "sending request to upstream")
	}
	// Read the head.
	var buf []byte
	b := make([]byte, readChunk)
	deadline := time.Now().Add(e.p.readTimeout())
	var resp *response
	for {
		u.nc.SetReadDeadline(deadline)
		n, err := u.nc.Read(b)
		buf = append(buf, b[:n]...)
		if n > 0 {
			var perr error
			var used int
			resp, used, perr = parseResponse(buf)
			if perr == nil {
				buf = buf[used:]
				break
			}
			if perr != errIncomplete || len(buf) > maxHeadBytes {
				endWatch()
				return fail(ftInvalid, "upstream sent invalid header", "reading response header from upstream")
			}
		}
		if err != nil {
			if endWatch() {
				e.closeUpstream(u, timeline.ReasonClient)
				return exchangeResult{aborted: true}
			}
			switch {
			case errors.Is(err, io.EOF):
				return fail(ftError, "upstream prematurely closed connection", "reading response header from upstream")
			case errors.Is(err, os.ErrDeadlineExceeded):
				return fail(ftTimeout, "upstream timed out (110: Connection timed out)", "reading response header from upstream")
			}
			return fail(ftError, sysError("recv", err), "reading response header from upstream")
		}
	}
	endWatch()
	u.nc.SetReadDeadline(time.Time{})
	return e.relay(c, u, r, resp, buf, keep)
}

// sysError words a socket error as nginx logs it: "recv() failed (104:
// Connection reset by peer)".
func sysError(call string, err error) string {
	var se syscall.Errno
	if errors.As(err, &se) {
		return fmt.Sprintf("%s() failed (%d: %s)", call, int(se), errnoText(se))
	}
	return call + "() failed (" + err.Error() + ")"
}

// errnoText is strerror's wording (Go's differs in case for some).
func errnoText(e syscall.Errno) string {
	switch e {
	case syscall.ECONNRESET:
		return "Connection reset by peer"
	case syscall.EPIPE:
		return "Broken pipe"
	case syscall.ECONNREFUSED:
		return "Connection refused"
	}
	return e.Error()
}

// relay sends the response to the client: the head with the first body
// bytes, then the body as it arrives (re-chunked for the client when its
// length is not known), and releases the upstream connection once the
// body is complete.
func (e *engine) relay(c *clientConn, u *upConn, r *request, resp *response, have []byte, keep bool) exchangeResult {
	noBody := bodyless(r.method, resp.status)
	lengthKnown := noBody || resp.contentLength >= 0 || resp.chunked
	clientChunked := !noBody && resp.contentLength < 0 && r.minor >= 1
	if !noBody && resp.contentLength < 0 && r.minor == 0 {
		keep = false // an HTTP/1.0 client learns the end from the close
	}
	head := e.p.responseHead(r, resp, keep, clientChunked)
	out := outcome{status: resp.status, keep: keep}

	var pending []byte // decoded body bytes not yet written
	total := int64(0)
	done := noBody
	var chunkBuf []byte // undecoded chunked bytes
	take := func(data []byte) {
		switch {
		case noBody:
		case resp.chunked:
			chunkBuf = append(chunkBuf, data...)
			for {
				d, used, complete, err := nextChunk(chunkBuf)
				if err != nil || used == 0 {
					break
				}
				chunkBuf = chunkBuf[used:]
				pending = append(pending, d...)
				if complete {
					done = true
					break
				}
			}
		case resp.contentLength >= 0:
			left := resp.contentLength - total
			if int64(len(data)) > left {
				data = data[:left]
			}
			pending = append(pending, data...)
			total += int64(len(data))
			done = total >= resp.contentLength
		default:
			pending = append(pending, data...)
		}
	}
	take(have)
	wroteHead := false
	flush := func(last bool) error {
		var msg []byte
		if !wroteHead {
			msg = append(msg, head...)
			wroteHead = true
		}
		if clientChunked {
			if len(pending) > 0 {
				msg = append(msg, strconv.FormatInt(int64(len(pending)), 16)+"\r\n"...)
				msg = append(msg, pending...)
				msg = append(msg, "\r\n"...)
			}
			if last {
				msg = append(msg, "0\r\n\r\n"...)
			}
		} else {
			msg = append(msg, pending...)
		}
		pending = pending[:0]
		if len(msg) == 0 {
			return nil
		}
		return e.writeClient(c, msg)
	}
	b := make([]byte, readChunk)
	relayed := int64(0)
	for !done {
		if err := flush(false); err != nil {
			e.closeUpstream(u, timeline.ReasonClient)
			out.keep = false
			return exchangeResult{outcome: out}
		}
		u.nc.SetReadDeadline(time.Now().Add(e.p.readTimeout()))
		n, err := u.nc.Read(b)
		relayed += int64(n)
		if relayed > maxResponseBody {
			err = errors.New("response too large")
		}
		take(b[:n])
		if err != nil && !done {
			if !lengthKnown && errors.Is(err, io.EOF) {
				// A body delimited by the close: complete now.
				done = true
				break
			}
			// Cut off mid-body: what arrived goes out, the client
			// connection ends without the rest.
			msg := "upstream prematurely closed connection"
			if !errors.Is(err, io.EOF) {
				msg = sysError("recv", err)
				if errors.Is(err, os.ErrDeadlineExceeded) {
					msg = "upstream timed out (110: Connection timed out)"
				}
			}
			flush(false)
			e.emit(c.peer, timeline.Event{Kind: timeline.ProxyError, Upstream: u.label, Error: e.p.logLine(msg, "reading upstream", r, e.cfg.Upstream)})
			reason := ""
			if errors.Is(err, os.ErrDeadlineExceeded) {
				reason = timeline.ReasonUpstreamTimeout
			}
			e.closeUpstream(u, reason)
			out.cut, out.keep = true, false
			return exchangeResult{outcome: out}
		}
	}
	u.nc.SetReadDeadline(time.Time{})
	if err := flush(true); err != nil {
		out.keep = false
	}
	if lengthKnown {
		e.release(u, resp)
	} else {
		e.closeUpstream(u, "")
	}
	return exchangeResult{outcome: out}
}

// writeFraming writes the head lines that say how the client's response
// is framed and whether its connection stays open.
func writeFraming(b *strings.Builder, resp *response, keep, chunked bool) {
	if resp.contentLength >= 0 {
		fmt.Fprintf(b, "Content-Length: %d\r\n", resp.contentLength)
	}
	if chunked {
		b.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if keep {
		b.WriteString("Connection: keep-alive\r\n")
	} else {
		b.WriteString("Connection: close\r\n")
	}
}

// htmlError is a proxy's own answer in the form nginx's error pages and
// the ALB's share: the status line, Server, Date, an HTML page with its
// length, and Connection. footer goes before </body> (nginx's version).
func htmlError(line, server, footer string, keep bool) []byte {
	page := "<html>\r\n<head><title>" + line + "</title></head>\r\n<body>\r\n<center><h1>" + line +
		"</h1></center>\r\n" + footer + "</body>\r\n</html>\r\n"
	conn := "close"
	if keep {
		conn = "keep-alive"
	}
	return []byte("HTTP/1.1 " + line + "\r\nServer: " + server + "\r\nDate: " + httpDate() +
		"\r\nContent-Type: text/html\r\nContent-Length: " + strconv.Itoa(len(page)) +
		"\r\nConnection: " + conn + "\r\n\r\n" + page)
}

// nextChunk decodes the next chunk at the start of b: its data, the bytes
// used (0: incomplete), and whether it was the last chunk (with its
// trailers).
func nextChunk(b []byte) (data []byte, used int, last bool, err error) {
	line, _, ok := cutLine(b)
	if !ok {
		return nil, 0, false, nil
	}
	ll := bytes.IndexByte(b, '\n') + 1
	sizeText, _, _ := bytes.Cut(line, []byte(";"))
	size, perr := strconv.ParseInt(string(bytes.TrimSpace(sizeText)), 16, 64)
	if perr != nil || size < 0 {
		return nil, 0, false, errors.New("bad chunk")
	}
	if size == 0 {
		pos := ll
		for {
			tl, _, ok := cutLine(b[pos:])
			if !ok {
				return nil, 0, false, nil
			}
			pos += bytes.IndexByte(b[pos:], '\n') + 1
			if len(tl) == 0 {
				return nil, pos, true, nil
			}
		}
	}
	if int64(len(b)-ll) < size+1 {
		return nil, 0, false, nil
	}
	rest := b[ll+int(size):]
	_, _, ok = cutLine(rest)
	if !ok {
		return nil, 0, false, nil
	}
	return b[ll : ll+int(size)], ll + int(size) + bytes.IndexByte(rest, '\n') + 1, false, nil
}
