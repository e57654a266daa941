package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keepalive-playground/playground/backend/session"
	"github.com/keepalive-playground/playground/wire"
)

// Close codes the browser client acts on (package wire has them all).
const (
	CloseIdle       = int(wire.CloseIdle)
	CloseLifetime   = int(wire.CloseLifetime)
	CloseBadMessage = int(wire.CloseBadMessage)
	CloseSlow       = int(wire.CloseSlow)
	CloseVersion    = int(wire.CloseVersion)
	CloseRateLimit  = int(wire.CloseRateLimit)
)

// slowMessage is the close reason for a browser that does not read.
const slowMessage = "Your browser fell behind the event stream, so the session was closed. Reload to start again."

// client is one browser's WebSocket and its session. readPump (the handler
// goroutine) is the only reader, writePump the only writer.
type client struct {
	id   string
	ip   string
	conn *websocket.Conn
	// send holds pointers: a queue of sendQueue whole messages would
	// weigh most of a megabyte per session, all of it scanned by the GC.
	send chan *wire.Msg
	// budget is the session's memory budget; what waits in send counts
	// against it until written.
	budget *session.Budget

	mu     sync.Mutex
	code   int    // close code for writePump to send
	reason string // close reason, a sentence for the person
	bye_   string // a bye message to send before closing
	cancel context.CancelFunc
	// lastActive is written by readPump only, read by the idle watchdog
	// under mu.
	lastActive time.Time
	// rate is readPump's alone.
	rate rateLimit
	// comparing is set while a comparison runs (under mu); jobs are the
	// handler's goroutines, which it waits for before it returns.
	comparing bool
	jobs      *sync.WaitGroup
}

// out queues m for the page, charged to the session's budget as the
// session's own messages are (writePump gives it back once written).
func (c *client) out(m wire.Msg) bool {
	if !c.budget.Charge(&m) {
		return false
	}
	if !c.enqueue(m) {
		c.budget.Sent(&m)
		return false
	}
	return true
}

// enqueue is the session's Out: it never blocks; a full queue means the
// browser is too slow, and the session ends.
func (c *client) enqueue(m wire.Msg) bool {
	select {
	case c.send <- &m:
		return true
	default:
		return false
	}
}

// end records why the connection closes (first reason wins) and stops
// everything.
func (c *client) end(code int, reason string) {
	c.mu.Lock()
	if c.code == 0 {
		c.code, c.reason = code, reason
	}
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// bye ends the session because the playground is shutting down.
func (c *client) bye(msg string) {
	c.mu.Lock()
	c.bye_ = msg
	c.mu.Unlock()
	c.end(websocket.CloseServiceRestart, msg)
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// Upgrade has answered (403 for a foreign origin, 400 otherwise).
		s.log.Info("websocket refused", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return
	}
	c := &client{id: newID(), ip: clientIP(r), conn: conn, send: make(chan *wire.Msg, sendQueue),
		budget: session.NewBudget(), rate: newRateLimit(s.opts.MaxMessagesPerSecond, s.opts.MessageBurst)}
	if code, err := s.admit(c); err != nil {
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, err.Error()), time.Now().Add(writeWait))
		conn.Close()
		return
	}
	defer s.release(c)
	log := s.log.With("session", c.id, "remote", r.RemoteAddr)

	ctx, cancel := context.WithCancel(s.base)
	defer cancel()
	c.mu.Lock()
	c.cancel = cancel
	c.lastActive = time.Now()
	c.mu.Unlock()
	// The reason is recorded before the context ends, so that writePump
	// sends it rather than whichever goroutine noticed the end first.
	lifetime := time.AfterFunc(s.opts.SessionLifetime, func() {
		c.end(CloseLifetime, fmt.Sprintf("This session reached its %v limit. Reload to start a new one.", s.opts.SessionLifetime))
	})
	defer lifetime.Stop()

	var wg sync.WaitGroup
	defer wg.Wait()
	// After the pumps: the socket closes only once the close frame is
	// out and what the page still sent has been read (see linger).
	defer s.linger(c)
	var writer sync.WaitGroup
	defer writer.Wait()
	writer.Go(func() { s.writePump(ctx, c) })
	defer cancel()

	// Only a frame that claims more than lingerBytes is left to gorilla's
	// own limit (a bare 1009, before a byte of it is read); a message up
	// to that is read and refused by read with a reason.
	conn.SetReadLimit(lingerBytes)
	hello, err := s.readHello(c)
	if err != nil {
		log.Info("bad hello", "err", err)
		return
	}
	log.Info("session start", "client", hello.Session)

	sess := session.New(session.Config{
		ID:       c.id,
		Runtimes: s.opts.Runtimes,
		Out:      c.enqueue,
		Log:      log,
		Budget:   c.budget,
	})
	c.jobs = &wg
	wg.Add(2)
	go func() {
		defer wg.Done()
		err := sess.Run(ctx)
		if errors.Is(err, session.ErrSlowClient) {
			c.end(CloseSlow, slowMessage)
		}
		cancel()
	}()
	go func() {
		defer wg.Done()
		s.watchIdle(ctx, c)
	}()
	s.readPump(ctx, c, sess)
	log.Info("session end")
}

// readHello reads the first message, which must be a hello of our version.
func (s *Server) readHello(c *client) (wire.Msg, error) {
	c.conn.SetReadDeadline(time.Now().Add(helloWait))
	_, data, err := s.read(c)
	if err != nil {
		if !errors.Is(err, errTooBig) {
			c.end(CloseBadMessage, "The page did not say hello in time.")
		}
		return wire.Msg{}, fmt.Errorf("read hello: %w", err)
	}
	m, err := wire.Decode(data)
	if err != nil || m.Type != wire.Hello {
		c.end(CloseBadMessage, "The first message must be a hello.")
		return wire.Msg{}, fmt.Errorf("decode hello: %v", err)
	}
	if m.V != wire.Version {
		c.end(CloseVersion, fmt.Sprintf("This page speaks protocol v%d and the server v%d: reload the page.", m.V, wire.Version))
		return wire.Msg{}, fmt.Errorf("hello version %d", m.V)
	}
	return m, nil
}

// readPump is the one reader: it decodes each message and hands it to the
// session. Garbage ends this session with a reason and harms nothing else.
func (s *Server) readPump(ctx context.Context, c *client, sess *session.Session) {
	c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		typ, data, err := s.read(c)
		if err != nil {
			c.end(websocket.CloseNormalClosure, "")
			return
		}
		c.conn.SetReadDeadline(time.Now().Add(pongWait))
		if typ != websocket.TextMessage {
			c.end(CloseBadMessage, "The page sent a binary frame; the protocol is JSON text.")
			return
		}
		switch c.rate.take(time.Now()) {
		case rateDrop:
			continue
		case rateWarn:
			c.out(wire.Msg{Type: wire.Error, Code: wire.CodeLimit, Message: fmt.Sprintf(
				"The page sent more than %d messages a second; some were ignored.", c.rate.perSecond)})
			continue
		case rateAbuse:
			c.end(CloseRateLimit, fmt.Sprintf("The page kept sending more than %d messages a second.", c.rate.perSecond))
			return
		}
		m, err := wire.Decode(data)
		if err != nil {
			c.end(CloseBadMessage, "The page sent a message the server does not understand: "+err.Error())
			return
		}
		if m.Type != wire.Ping {
			c.mu.Lock()
			c.lastActive = time.Now()
			c.mu.Unlock()
		}
		if m.Type == wire.Compare {
			s.startCompare(ctx, c, m)
			continue
		}
		// A session that cannot take the page's message for this long is
		// stuck on a full budget: the page sends but does not read.
		dctx, dcancel := context.WithTimeout(ctx, s.deliverWait)
		ok := sess.Deliver(dctx, m)
		dcancel()
		if !ok {
			if ctx.Err() == nil {
				c.end(CloseSlow, slowMessage)
			}
			return
		}
	}
}

// errTooBig is a message from the page over wire.MaxMessageBytes.
var errTooBig = errors.New("message too big")

// read reads one whole message of at most wire.MaxMessageBytes. The bound
// is enforced here rather than with gorilla's SetReadLimit, which answers
// a bare 1009 close of its own before the session can say why (4003 and a
// sentence).
func (s *Server) read(c *client) (int, []byte, error) {
	typ, r, err := c.conn.NextReader()
	if err != nil {
		return 0, nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, wire.MaxMessageBytes+1))
	if err != nil {
		return 0, nil, err
	}
	if len(data) > wire.MaxMessageBytes {
		c.end(CloseBadMessage, fmt.Sprintf("A message was larger than %d KiB, the most the page may send at once.", wire.MaxMessageBytes>>10))
		return 0, nil, errTooBig
	}
	return typ, data, nil
}

// lingerBytes bounds what is read of a message over the limit, and of what
// a page still sends after its session ended (within closeGrace).
const lingerBytes = 1 << 20

// linger lets the close frame reach the page: a socket closed with unread
// bytes in it (the rest of an oversized message) is reset, and a reset
// can overtake the close frame. So the rest is read, within bounds, until
// the page closes too.
func (s *Server) linger(c *client) {
	nc := c.conn.NetConn()
	nc.SetReadDeadline(time.Now().Add(closeGrace))
	io.Copy(io.Discard, io.LimitReader(nc, lingerBytes))
	nc.Close()
}

// writePump is the one writer: every write has a deadline, pings keep the
// connection and its proxies alive, and the close frame carries the reason.
func (s *Server) writePump(ctx context.Context, c *client) {
	ticker := time.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		// The reader may be waiting for a message that will not come:
		// wake it, so the handler goes on to linger and close.
		c.conn.NetConn().SetReadDeadline(time.Now())
	}()
	for {
		select {
		case m := <-c.send:
			if !s.write(c, m, time.Now().Add(writeWait)) {
				c.end(websocket.CloseAbnormalClosure, "")
				return
			}
		case <-ticker.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				c.end(websocket.CloseAbnormalClosure, "")
				return
			}
		case <-ctx.Done():
			c.mu.Lock()
			code, reason, bye := c.code, c.reason, c.bye_
			c.mu.Unlock()
			deadline := time.Now().Add(closeGrace)
			if code != CloseSlow && code != websocket.CloseAbnormalClosure {
				// What the session said before the end goes first (the
				// rate-limit warning before the 4006 that follows it).
				s.flush(c, deadline)
			}
			if bye != "" {
				if data, err := wire.Encode(wire.Msg{Type: wire.Bye, Message: bye}); err == nil {
					c.conn.SetWriteDeadline(deadline)
					c.conn.WriteMessage(websocket.TextMessage, data)
				}
			}
			if code == 0 || code == websocket.CloseAbnormalClosure {
				code = websocket.CloseNormalClosure
			}
			if len(reason) > 120 {
				// A close frame's reason is at most 123 bytes.
				reason = reason[:120]
			}
			c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), deadline)
			return
		}
	}
}

// write sends one message by deadline and gives its budget back. A message
// that cannot be encoded is never dropped in silence: the page is told
// instead (an event's seq then shows the gap).
func (s *Server) write(c *client, m *wire.Msg, deadline time.Time) bool {
	defer c.budget.Sent(m)
	data, err := wire.Encode(*m)
	if err != nil {
		s.log.Error("encode message", "session", c.id, "type", m.Type, "seq", m.Seq, "err", err)
		data, err = wire.Encode(wire.Msg{Type: wire.Error, Code: wire.CodeInternal,
			Message: fmt.Sprintf("The server could not send a %s message (an internal error, logged); what the page shows may be incomplete.", m.Type)})
		if err != nil {
			return false
		}
	}
	c.conn.SetWriteDeadline(deadline)
	return c.conn.WriteMessage(websocket.TextMessage, data) == nil
}

// flush writes what is queued, by deadline.
func (s *Server) flush(c *client, deadline time.Time) {
	for {
		select {
		case m := <-c.send:
			if !s.write(c, m, deadline) {
				return
			}
		default:
			return
		}
	}
}

// watchIdle ends a session whose browser has sent nothing for IdleTimeout.
func (s *Server) watchIdle(ctx context.Context, c *client) {
	t := time.NewTicker(min(s.opts.IdleTimeout/4, time.Minute))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c.mu.Lock()
			idle := now.Sub(c.lastActive)
			c.mu.Unlock()
			if idle >= s.opts.IdleTimeout {
				c.end(CloseIdle, fmt.Sprintf("This session was idle for %v and was closed. Reconnect to go on.", s.opts.IdleTimeout.Round(time.Second)))
				return
			}
		}
	}
}

// rateLimit is a token bucket on the messages one page sends. A page sends
// a burst when a scenario starts (a load and every step, each with its
// `at`) and a trickle otherwise, so the bucket is deep and refills slowly.
type rateLimit struct {
	perSecond int
	burst     int
	tokens    float64
	last      time.Time
	// dropped counts messages refused since windowStart; more than burst
	// of them within rateWindow is a script, not a person.
	dropped     int
	windowStart time.Time
}

// rateWindow is the span over which refused messages are counted.
const rateWindow = 10 * time.Second

type rateVerdict int

const (
	rateOK    rateVerdict = iota
	rateWarn              // refused; tell the person (first refusal of a window)
	rateDrop              // refused quietly (already told)
	rateAbuse             // refused too often: close the session
)

func newRateLimit(perSecond, burst int) rateLimit {
	return rateLimit{perSecond: perSecond, burst: burst, tokens: float64(burst)}
}

// take spends a token for one message received at now.
func (r *rateLimit) take(now time.Time) rateVerdict {
	if !r.last.IsZero() {
		r.tokens = min(float64(r.burst), r.tokens+now.Sub(r.last).Seconds()*float64(r.perSecond))
	}
	r.last = now
	if r.tokens >= 1 {
		r.tokens--
		return rateOK
	}
	if now.Sub(r.windowStart) > rateWindow {
		r.windowStart, r.dropped = now, 0
	}
	r.dropped++
	switch {
	case r.dropped > r.burst:
		return rateAbuse
	case r.dropped == 1:
		return rateWarn
	}
	return rateDrop
}
