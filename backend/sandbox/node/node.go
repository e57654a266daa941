// Package node emulates the story's Node.js program (an http.createServer
// handler with the scenario's routes and knobs) on a real loopback TCP
// listener, byte for byte on the wire and in timing, as the scenario's
// Node release line behaves. What tells the lines apart is data: the
// switches of scenario.NodeBehaviour in the runtime's row (close() closing
// idle connections, the keep-alive timeout buffer, Host required, Node
// 18's parser cancelling the keep-alive timeout and its llhttp 6 rules,
// fresh connections counted as idle).
//
// One goroutine, the loop, owns all state, as Node's event loop does:
// timers, the listener, every socket, reference counts. Connection readers
// and the acceptor only feed it. After every turn of the loop, a process
// with no ref'd handle left (the listener until server.close(), each ref'd
// socket, each pending delayMs timer; socket timeouts and the
// connections-checking interval are unref'd in Node) emits before-exit
// and exit, and the "kernel" closes what is left (reason exit).
//
// Events (via Config.Emit, stamped with Config.Now):
//   - listen when New returns; accept for each connection;
//   - request when a request head is parsed, including the ones Node
//     answers without calling the handler (400 for a missing Host, 503
//     past maxRequestsPerSocket), not for CONNECT (destroyed);
//   - response when the response is fully written (res 'finish'); none
//     when process.exit() ran before 'finish' could fire;
//   - idle after a response completes on a connection that stays open
//     with no other response queued and no next request begun, or when a
//     request's body completes after its response: exactly the moments a
//     connection enters the set closeIdleConnections() would close. A
//     connection that has sent nothing yet is not idle: Node's parser
//     counts it as active from accept (a guard against silent sockets);
//   - close with By and Reason. The server side's own closes carry the
//     cause (socket-timeout, keepalive-timeout, headers-timeout,
//     request-timeout, server-close, close-idle, close-all, destroy,
//     connection-close, bad-request, exit). When the client ends the
//     connection (FIN or RST), the server socket goes away too and the
//     event is close by "client", reason "client";
//   - server events close-called, closeIdle-called, closeAll-called,
//     listener-closed, before-exit, exit.
//
// A drain action sets the program's ready flag false (readiness routes
// answer 503 from then on) and runs the route's remaining actions in a
// ref'd timer when the drain period ends.
package node

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

const (
	// connectionsCheckingInterval is Node's default for the unref'd
	// interval that enforces headersTimeout and requestTimeout: an expired
	// request is only noticed at the next tick, counted from listen.
	connectionsCheckingInterval = 30 * time.Second

	// writeTimeout bounds one socket write. Node never blocks its loop on
	// a slow reader; a loopback client that stops reading gets its
	// connection closed instead of stalling the emulated process.
	writeTimeout = 2 * time.Second

	// readBufferSize is libuv's read size for a TCP stream (64 KiB).
	readBufferSize = 64 * 1024

	// inboxSize is how many reader and timer notifications may wait for
	// the loop before their goroutines block.
	inboxSize = 64

	// readsAhead bounds the reads waiting for the loop, all connections
	// together. Node reads on its loop, so a busy loop reads nothing; here
	// readers run ahead of the loop by this many reads at most, so a page
	// flooding the demo server with requests fills the kernel's buffers,
	// not the playground's memory (64 reads of 64 KiB could wait).
	readsAhead = 4
)

// ErrExited is returned by Control once the emulated process has ended.
var ErrExited = errors.New("node: the demo process has exited")

// errStop ends parsing of a connection the handler destroyed.
var errStop = errors.New("node: connection destroyed while parsing")

type server struct {
	cfg sandbox.Config
	// beh is the release line's switches, from its runtime row.
	beh  scenario.NodeBehaviour
	ln   net.Listener
	addr string

	inbox chan func()
	// reads holds a token per read waiting for the loop (readsAhead).
	reads chan struct{}
	// accepted holds connections accepted but not yet taken by the loop: a
	// post can land in the inbox just as the loop ends, and Close must
	// still close such a connection.
	acceptMu sync.Mutex
	accepted map[net.Conn]bool
	done     chan struct{} // closed by Close
	loopDone chan struct{}
	exited   chan struct{}
	wg       sync.WaitGroup
	once     sync.Once

	// Owned by the loop.
	listening bool
	conns     map[*conn]struct{}
	timers    []*timer
	ticks     []func() // process.nextTick queue
	gone      bool     // the process exited
	checker   *timer
	// draining: the program's ready flag is false (a drain action ran),
	// so its readiness routes answer 503.
	draining bool
}

type timer struct {
	when time.Time
	ref  bool
	fn   func()
	dead bool
}

// New starts the emulated program listening on 127.0.0.1:0. It is a
// sandbox.Factory for every Node runtime in the table.
func New(cfg sandbox.Config) (sandbox.Server, error) {
	if !scenario.IsNode(cfg.Server.Runtime) {
		return nil, fmt.Errorf("node: runtime %q is not a node runtime", cfg.Server.Runtime)
	}
	ln, err := cfg.Listen()
	if err != nil {
		return nil, fmt.Errorf("node: listen: %w", err)
	}
	s := &server{
		cfg:       cfg,
		beh:       cfg.Server.Behaviour(),
		ln:        ln,
		addr:      ln.Addr().String(),
		inbox:     make(chan func(), inboxSize),
		reads:     make(chan struct{}, readsAhead),
		accepted:  map[net.Conn]bool{},
		done:      make(chan struct{}),
		loopDone:  make(chan struct{}),
		exited:    make(chan struct{}),
		listening: true,
		conns:     make(map[*conn]struct{}),
	}
	s.emit("", timeline.Event{Kind: timeline.Listen})
	every := connectionsCheckingInterval
	if cfg.CheckingInterval > 0 {
		every = cfg.CheckingInterval
	}
	s.checker = s.interval(every, s.checkConnections)
	s.wg.Add(1)
	go s.accept()
	go s.loop()
	return s, nil
}

func (s *server) Addr() string            { return s.addr }
func (s *server) Exited() <-chan struct{} { return s.exited }

// Control runs a server action on the loop, as if the program called it.
func (s *server) Control(action string) error {
	reply := make(chan error, 1)
	ok := s.post(func() {
		if s.gone {
			reply <- ErrExited
			return
		}
		if !s.act(action) {
			reply <- fmt.Errorf("node: no action %q", action)
			return
		}
		reply <- nil
	})
	if !ok {
		return ErrExited
	}
	select {
	case err := <-reply:
		return err
	case <-s.loopDone:
		return ErrExited
	}
}

// Close stops the loop, then closes the listener and every socket, and
// waits for every goroutine.
func (s *server) Close() error {
	s.once.Do(func() {
		close(s.done)
		<-s.loopDone
		// The loop has ended: its state is ours now.
		s.ln.Close()
		for c := range s.conns {
			c.nc.Close()
		}
		s.wg.Wait()
		// Accepted connections the loop never took (the accept goroutine
		// has ended, so none can be added now).
		s.acceptMu.Lock()
		for nc := range s.accepted {
			nc.Close()
		}
		clear(s.accepted)
		s.acceptMu.Unlock()
	})
	return nil
}

// post hands fn to the loop; false once the server is closing.
func (s *server) post(fn func()) bool {
	select {
	case s.inbox <- fn:
		return true
	case <-s.done:
		return false
	}
}

func (s *server) emit(peer string, ev timeline.Event) {
	ev.T = s.cfg.Now()
	s.cfg.Emit(peer, ev)
}

func (s *server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.acceptMu.Lock()
		s.accepted[nc] = true
		s.acceptMu.Unlock()
		posted := s.post(func() {
			s.acceptMu.Lock()
			delete(s.accepted, nc)
			s.acceptMu.Unlock()
			s.onAccept(nc)
		})
		if !posted {
			return // Close closes nc
		}
	}
}

// loop is Node's event loop: run posted work and due timers, then the
// nextTick queue, then check whether anything keeps the process alive.
func (s *server) loop() {
	defer close(s.loopDone)
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()
	for {
		if next, ok := s.nextTimer(); ok {
			wake.Reset(time.Until(next))
		} else {
			wake.Reset(time.Hour)
		}
		select {
		case fn := <-s.inbox:
			fn()
		case <-wake.C:
			s.runTimers()
		case <-s.done:
			return
		}
		s.runTicks()
		s.checkAlive()
	}
}

func (s *server) runTicks() {
	for len(s.ticks) > 0 && !s.gone {
		fn := s.ticks[0]
		s.ticks = s.ticks[1:]
		fn()
	}
	if s.gone {
		s.ticks = nil
	}
}

func (s *server) checkAlive() {
	if s.gone {
		return
	}
	if s.listening {
		return
	}
	for c := range s.conns {
		if c.ref && !c.destroyed {
			return
		}
	}
	for _, t := range s.timers {
		if t.ref && !t.dead {
			return
		}
	}
	// The loop is empty: 'beforeExit' (whose listeners could schedule more
	// work; the program's only log), then 'exit'.
	s.emit("", timeline.Event{Kind: timeline.BeforeExit})
	s.exit()
}

// exit is the end of the process: process.exit() or an empty loop. The
// kernel closes whatever sockets are left.
func (s *server) exit() {
	s.emit("", timeline.Event{Kind: timeline.Exit})
	s.gone = true
	s.ticks = nil
	for _, t := range s.timers {
		t.dead = true
	}
	s.timers = nil
	if s.listening {
		s.listening = false
		s.ln.Close()
	}
	for c := range s.conns {
		c.destroy(timeline.ByServer, timeline.ReasonExit)
	}
	close(s.exited)
}

func (s *server) setTimer(d time.Duration, ref bool, fn func()) *timer {
	t := &timer{when: time.Now().Add(d), ref: ref, fn: fn}
	s.timers = append(s.timers, t)
	return t
}

// interval is setInterval(fn, d).unref().
func (s *server) interval(d time.Duration, fn func()) *timer {
	t := &timer{when: time.Now().Add(d)}
	t.fn = func() {
		fn()
		t.when = t.when.Add(d)
		t.dead = false
		s.timers = append(s.timers, t)
	}
	s.timers = append(s.timers, t)
	return t
}

func (t *timer) stop() {
	if t != nil {
		t.dead = true
	}
}

func (s *server) nextTimer() (time.Time, bool) {
	var next time.Time
	found := false
	live := s.timers[:0]
	for _, t := range s.timers {
		if t.dead {
			continue
		}
		live = append(live, t)
		if !found || t.when.Before(next) {
			next, found = t.when, true
		}
	}
	clear(s.timers[len(live):])
	s.timers = live
	return next, found
}

func (s *server) runTimers() {
	now := time.Now()
	var due []*timer
	for _, t := range s.timers {
		if !t.dead && !t.when.After(now) {
			t.dead = true
			due = append(due, t)
		}
	}
	s.nextTimer() // drop the fired timers before their callbacks re-arm any
	for _, t := range due {
		if s.gone {
			return
		}
		t.fn()
	}
}

// close is server.close(): on Node >= 19 it first closes idle connections;
// it stops the connections-checking interval and the listener. The
// listening socket is closed at once; Node's 'close' event waits for the
// last connection, which the timeline shows as closes.
func (s *server) close() {
	s.emit("", timeline.Event{Kind: timeline.CloseCalled})
	if s.beh.CloseClosesIdle {
		s.closeIdle(timeline.ReasonServerClose)
	}
	s.checker.stop()
	if s.listening {
		s.listening = false
		s.ln.Close()
		s.emit("", timeline.Event{Kind: timeline.ListenerClosed})
	}
}

// closeIdle is closeIdleConnections(): every connection whose parser is
// between messages, unless its current response has not ended yet. Lines
// with IdleBeforeRequest also close a connection that has sent nothing.
func (s *server) closeIdle(reason string) {
	for c := range s.conns {
		if c.destroyed || c.active && !(s.beh.IdleBeforeRequest && c.fresh()) {
			continue
		}
		if len(c.queue) > 0 && !c.queue[0].ended {
			continue
		}
		c.destroy(timeline.ByServer, reason)
	}
}

func (s *server) closeAll() {
	s.emit("", timeline.Event{Kind: timeline.CloseAllCalled})
	for c := range s.conns {
		c.destroy(timeline.ByServer, timeline.ReasonCloseAll)
	}
}

// checkConnections is Node's checkConnections: a request whose headers
// (or whole message) took longer than headersTimeout (requestTimeout)
// since its first byte, or since accept for a silent connection, gets
// 408 and is destroyed.
func (s *server) checkConnections() {
	h, r := s.cfg.Server.HeadersTimeout(), s.cfg.Server.RequestTimeout()
	if h == 0 && r == 0 {
		return
	}
	now := time.Now()
	for c := range s.conns {
		if c.destroyed || !c.active {
			continue
		}
		age := now.Sub(c.msgStart)
		if (!c.headersDone && h > 0 && age > h) || (r > 0 && age > r) {
			// Node answers both with the same 408; the reason is which
			// test held.
			reason := timeline.ReasonRequestTimeout
			if !c.headersDone && h > 0 && age > h {
				reason = timeline.ReasonHeadersTimeout
			}
			c.socketError(requestTimeoutResponse, timeline.ByServer, reason)
		}
	}
}

func (s *server) onAccept(nc net.Conn) {
	if s.gone || !s.listening {
		// Still in the backlog when the listener closed: the kernel resets it.
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		nc.Close()
		return
	}
	c := &conn{
		s:        s,
		nc:       nc,
		peer:     nc.RemoteAddr().String(),
		ref:      true,
		active:   true, // Node's parser counts a new connection as active
		msgStart: time.Now(),
		p:        parser{llhttp6: s.beh.LLHTTP6},
	}
	s.conns[c] = struct{}{}
	s.emit(c.peer, timeline.Event{Kind: timeline.Accept})
	// The program's 'connection' listener.
	if st := s.cfg.Server.SocketTimeout(); st > 0 {
		c.setTimeout(st)
	}
	if s.cfg.Server.Unref() {
		c.ref = false
	}
	s.wg.Add(1)
	go c.read()
}

// conn is one accepted socket with Node's per-connection HTTP state.
type conn struct {
	s    *server
	nc   net.Conn
	peer string
	p    parser

	ref       bool
	destroyed bool
	// errored: destroyed with an error (socketOnError), which fails the
	// writes still waiting for their callback.
	errored bool
	// active: a message has begun and not completed, or nothing has been
	// received yet (Node's ConnectionsList "active" set).
	active      bool
	headersDone bool
	msgStart    time.Time
	// received: the client has sent at least one byte.
	received bool

	timeout      time.Duration
	timeoutTimer *timer
	keepAliveSet bool // the timeout is the keep-alive one

	queue    []*response // responses not yet finished, in request order
	pending  int         // requests whose response has not finished
	requests int         // for maxRequestsPerSocket
}

type response struct {
	req      *request // what it answers; its body may still be arriving
	out      outgoing
	wire     string
	last     bool
	ended    bool
	written  bool
	onFinish func()
}

// readBuffers recycles the readers' buffers: a class runs thousands of
// short connections a second, and a fresh 64 KiB buffer for each was the
// largest allocation under load.
var readBuffers = sync.Pool{New: func() any { return new([readBufferSize]byte) }}

func (c *conn) read() {
	defer c.s.wg.Done()
	bp := readBuffers.Get().(*[readBufferSize]byte)
	defer readBuffers.Put(bp)
	buf := bp[:]
	for {
		n, err := c.nc.Read(buf)
		if n > 0 {
			select {
			case c.s.reads <- struct{}{}:
			case <-c.s.done:
				return
			}
			data := append([]byte(nil), buf[:n]...)
			if !c.s.post(func() { <-c.s.reads; c.onData(data) }) {
				return
			}
		}
		if err != nil {
			c.s.post(func() { c.onReadEnd(err) })
			return
		}
	}
}

// setTimeout is socket.setTimeout(d): an unref'd inactivity timer,
// restarted by every read and write.
func (c *conn) setTimeout(d time.Duration) {
	c.timeoutTimer.stop()
	c.timeoutTimer = nil
	c.timeout = d
	if d > 0 && !c.destroyed {
		c.timeoutTimer = c.s.setTimer(d, false, c.onTimeout)
	}
}

func (c *conn) touch() {
	if c.timeout > 0 {
		c.setTimeout(c.timeout)
	}
}

// onTimeout is socketOnTimeout with no 'timeout' listener: destroy.
func (c *conn) onTimeout() {
	c.timeoutTimer = nil
	reason := timeline.ReasonSocketTimeout
	if c.keepAliveSet {
		reason = timeline.ReasonKeepAliveTimeout
	}
	c.destroy(timeline.ByServer, reason)
}

func (c *conn) destroy(by, reason string) {
	if c.destroyed {
		return
	}
	c.destroyed = true
	c.timeoutTimer.stop()
	c.nc.Close()
	c.queue = nil
	delete(c.s.conns, c)
	c.s.emit(c.peer, timeline.Event{Kind: timeline.Close, By: by, Reason: reason})
}

func (c *conn) write(data string) bool {
	if c.destroyed {
		return false
	}
	c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := io.WriteString(c.nc, data); err != nil {
		c.destroy(timeline.ByClient, timeline.ReasonClient)
		return false
	}
	c.touch()
	return true
}

// socketError is socketOnError: Node's canned answer, unless a response
// has started on the wire, then destroy.
func (c *conn) socketError(answer, by, reason string) {
	if len(c.queue) == 0 || !c.queue[0].written {
		c.write(answer)
	}
	c.errored = true
	c.destroy(by, reason)
}

func (c *conn) onData(data []byte) {
	if c.destroyed || c.s.gone {
		return
	}
	c.received = true
	c.touch()
	err := c.p.feed(data, callbacks{begin: c.onBegin, headers: c.onHeaders, complete: c.onComplete})
	if err == nil || c.destroyed {
		if c.s.beh.ParserCancelsKeepAlive && !c.destroyed {
			// Node 18's onParserExecuteCommon: any bytes parsed after a
			// response set the keep-alive timeout cancel it (Node 20
			// dropped this call).
			c.resetSocketTimeout()
		}
		return
	}
	answer := badRequestResponse
	if errors.Is(err, errHeaderOverflow) {
		answer = headerOverflowResponse
	}
	c.socketError(answer, timeline.ByServer, timeline.ReasonBadRequest)
}

// onReadEnd is the client's FIN (socketOnEnd) or a read error (reset).
func (c *conn) onReadEnd(err error) {
	if c.destroyed || c.s.gone {
		return
	}
	if err != io.EOF {
		c.destroy(timeline.ByClient, timeline.ReasonClient)
		return
	}
	if perr := c.p.finish(); perr != nil {
		c.socketError(badRequestResponse, timeline.ByClient, timeline.ReasonClient)
		return
	}
	// httpAllowHalfOpen is false: Node ends its side too, and a response
	// still being prepared is lost.
	c.destroy(timeline.ByClient, timeline.ReasonClient)
}

// fresh reports whether the client has sent nothing yet: the connection
// is in the parser's active set from accept, but nothing has begun.
func (c *conn) fresh() bool { return !c.received }

func (c *conn) onBegin() {
	c.active = true
	c.headersDone = false
	c.msgStart = time.Now()
}

func (c *conn) onComplete() {
	c.active = false
	if len(c.queue) == 0 && !c.destroyed {
		c.s.emit(c.peer, timeline.Event{Kind: timeline.Idle})
	}
}

// resetSocketTimeout is Node's: once the keep-alive timeout is set, it
// goes back to server.timeout (0: none), not to the program's own
// socket.setTimeout.
func (c *conn) resetSocketTimeout() {
	if c.keepAliveSet {
		c.keepAliveSet = false
		c.setTimeout(0)
	}
}

// onHeaders is parserOnIncoming plus the program's request handler.
func (c *conn) onHeaders(r *request) error {
	s := c.s
	c.headersDone = true
	c.resetSocketTimeout()
	if r.Method == "CONNECT" {
		// req.upgrade with no 'connect' listener: socket.destroy().
		c.destroy(timeline.ByServer, timeline.ReasonDestroy)
		return errStop
	}
	url := latin1(r.Target)
	s.emit(c.peer, timeline.Event{Kind: timeline.Request, Method: r.Method, Path: url})
	c.pending++
	sv := s.cfg.Server
	// ServerResponse: below HTTP/1.1 (1.0, and the 0.9 and 2.0 llhttp lets
	// through), no keep-alive and no chunking unless "TE: chunked".
	http11 := r.Major >= 1 && r.Minor >= 1
	res := &response{req: r, out: outgoing{
		head: r.Method == "HEAD",
		// parserOnIncoming sets res.shouldKeepAlive to the parser's
		// verdict after the constructor forced it false below HTTP/1.1:
		// an HTTP/1.0 keep-alive request with "TE: chunked" is kept alive.
		shouldKeepAlive:  r.KeepAlive,
		chunkedByDefault: http11,
		keepAliveTimeout: sv.KeepAliveTimeout(),
		maxRequests:      sv.MaxRequests(),
	}}
	if !http11 {
		te, _ := r.header("TE")
		res.out.chunkedByDefault = strings.Contains(strings.ToLower(te), "chunked")
	}
	c.queue = append(c.queue, res)

	if r.Major == 1 && r.Minor == 1 {
		if _, ok := r.header("Host"); !ok && s.beh.RequireHost {
			res.out.headers = [][2]string{{"Connection", "close"}}
			c.end(res, 400, "")
			return nil
		}
		if max := sv.MaxRequests(); max > 0 {
			c.requests++
			res.out.maxReached = max <= c.requests
			if max < c.requests {
				c.end(res, 503, "")
				return nil
			}
		}
	}

	// The program's handler.
	unref := sv.Unref()
	if unref {
		c.ref = true
	}
	route, ok := sv.Route(url)
	if !ok {
		route = scenario.Route{Path: "*", Status: 404, Body: "Not Found", Then: scenario.Then{scenario.ThenNone}}
	}
	res.out.headers = [][2]string{{"Content-Type", "text/plain"}}
	if !sv.KeepAlives() {
		res.out.headers = append(res.out.headers, [2]string{"Connection", "close"})
	}
	if unref {
		res.onFinish = func() { c.ref = false }
	}
	respond := func() {
		// A readiness route reads the program's ready flag as it answers.
		status, body := route.Answer(s.draining)
		c.end(res, status, body)
		// The handler's calls after res.end(), one after another; nothing
		// runs after process.exit(). After a drain, the rest runs in the
		// drain period's setTimeout, a ref'd timer like any other.
		now, later := scenario.SplitDrain(route.Actions())
		for _, action := range now {
			if s.gone {
				break
			}
			s.then(action, c)
		}
		if len(later) > 0 && !s.gone {
			s.setTimer(sv.Drain(), true, func() {
				for _, action := range later {
					if s.gone {
						break
					}
					s.then(action, c)
				}
			})
		}
	}
	if d := route.Delay(); d > 0 {
		s.setTimer(d, true, respond)
		return nil
	}
	respond()
	if c.destroyed {
		return errStop
	}
	return nil
}

// latin1 is req.url as Node decodes the target's bytes: one character
// each (only llhttp 6 lets bytes of 0x80 and above through).
func latin1(target string) string {
	for i := 0; i < len(target); i++ {
		if target[i] >= 0x80 {
			rs := make([]rune, len(target))
			for j := 0; j < len(target); j++ {
				rs[j] = rune(target[j])
			}
			return string(rs)
		}
	}
	return target
}

// then runs the route's action after res.end().
func (s *server) then(action string, c *conn) {
	switch action {
	case scenario.ThenDestroy:
		c.destroy(timeline.ByServer, timeline.ReasonDestroy)
		return
	case scenario.ThenDrain:
		// ready = false: the readiness routes answer 503 from now on.
		s.draining = true
		return
	}
	s.act(action)
}

// act performs a server-wide action, as the program calls it from a
// handler or the person presses it; false when action is not one.
func (s *server) act(action string) bool {
	switch action {
	case scenario.ThenClose:
		s.close()
	case scenario.ThenCloseIdle:
		s.emit("", timeline.Event{Kind: timeline.CloseIdleCalled})
		s.closeIdle(timeline.ReasonCloseIdle)
	case scenario.ThenCloseAll:
		s.closeAll()
	case scenario.ThenExit:
		s.exit()
	default:
		return false
	}
	return true
}

// end is writeHead(status, headers) + end(body).
func (c *conn) end(res *response, status int, body string) {
	res.out.status = status
	res.out.body = body
	res.wire, res.last = res.out.render(time.Now())
	res.ended = true
	c.flush()
}

// flush writes the first queued response once it has ended; its 'finish'
// follows on the next tick, as the write callback does in Node.
func (c *conn) flush() {
	if c.destroyed || len(c.queue) == 0 {
		return
	}
	res := c.queue[0]
	if !res.ended || res.written {
		return
	}
	if !c.write(res.wire) {
		return
	}
	res.written = true
	c.s.ticks = append(c.s.ticks, func() { c.finish(res) })
}

// finish is the response's 'finish' event and resOnFinish.
func (c *conn) finish(res *response) {
	s := c.s
	if c.errored && s.beh.ErrorDropsFinish {
		// The socket was destroyed with an error before the write's
		// callback ran: the response never emits 'finish'.
		c.pending--
		return
	}
	s.emit(c.peer, timeline.Event{Kind: timeline.Response, Status: res.out.status})
	c.pending--
	if res.onFinish != nil {
		res.onFinish()
	}
	if c.destroyed {
		return
	}
	if len(c.queue) > 0 && c.queue[0] == res {
		c.queue = c.queue[1:]
	}
	switch {
	case res.last:
		// socket.destroySoon(): FIN once written, then close.
		c.destroy(timeline.ByServer, timeline.ReasonConnectionClose)
	case len(c.queue) == 0:
		if ka := s.cfg.Server.KeepAliveTimeout(); ka > 0 {
			c.setTimeout(ka + s.cfg.Server.KeepAliveBuffer())
			c.keepAliveSet = true
			if s.beh.ParserCancelsKeepAlive && res.req.BodyBytes > 0 {
				// The handler never read the body: resOnFinish dumps it,
				// which runs Node 18's parser callback again, and that
				// cancels the timeout just set (see onData).
				c.resetSocketTimeout()
			}
		}
		if !c.p.midMessage() {
			s.emit(c.peer, timeline.Event{Kind: timeline.Idle})
		}
	default:
		c.flush()
	}
}
