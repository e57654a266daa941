// Package goproxy is the go proxy kind: a real
// net/http/httputil.ReverseProxy with its own http.Transport, served by a
// real net/http.Server. Nothing about HTTP is emulated: which upstream
// connection a request takes, when an idle one is closed, whether a
// failed request is retried, and the 502 with its log line are Go's own.
// The package only watches:
//
//   - the front server is gort's instrumented net/http.Server (accept,
//     request, response, idle and why each client connection closed),
//     with the ReverseProxy as its handler;
//   - httptrace.GotConn says which upstream connection each attempt
//     took: one forward event per attempt, so Go's retry of an idempotent
//     request on a fresh connection is a second forward;
//   - the Transport's DialContext hands out wrapped connections whose
//     Close says why the Transport let go of an idle connection
//     (IdleConnTimeout, a full MaxIdleConnsPerHost pool);
//   - the ReverseProxy's ErrorLog is the proxy-error event: one
//     ReverseProxy per request, whose ErrorLog writes into that request's
//     client connection, so the line is the one Go itself logs
//     ("http: proxy error: EOF").
//
// The bytes, FINs and RSTs on the upstream connections are reported by
// the hop they cross (package proxy).
package goproxy

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/keepalive-playground/playground/backend/proxy"
	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/sandbox/gort"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// dialTimeout is net.Dialer's timeout in http.DefaultTransport.
const dialTimeout = 30 * time.Second

type goProxy struct {
	cfg    proxy.Config
	front  sandbox.Server
	tr     *http.Transport
	target *url.URL

	mu sync.Mutex
	// selfAnswered marks client connections (by peer) whose next
	// response is the proxy's own 502.
	selfAnswered map[string]bool
	upconns      map[string]*upConn
	closed       bool
}

// New starts the proxy. It is a proxy.Factory.
func New(cfg proxy.Config) (proxy.Proxy, error) {
	p := &goProxy{cfg: cfg, selfAnswered: map[string]bool{}}
	p.target = &url.URL{Scheme: "http", Host: cfg.Upstream}
	pc := cfg.Proxy
	clientIdle := int(pc.ClientIdleTimeout().Milliseconds())
	// http.DefaultTransport's settings, with the scenario's knobs.
	p.tr = &http.Transport{
		DialContext:           p.dial,
		MaxIdleConns:          100,
		IdleConnTimeout:       pc.UpstreamIdleTimeout(),
		MaxIdleConnsPerHost:   pc.IdleConnsPerHost(),
		DisableKeepAlives:     pc.KeepAlivesDisabled(),
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
	}
	ln, err := cfg.Listen()
	if err != nil {
		return nil, fmt.Errorf("go proxy: %w", err)
	}
	front, err := gort.NewFront(sandbox.Config{
		Listener: ln,
		Server: scenario.Server{
			Runtime:       scenario.RuntimeOf(scenario.LangGo),
			IdleTimeoutMs: &clientIdle,
		},
		Now:  cfg.Now,
		Emit: p.frontEvent,
	}, http.HandlerFunc(p.serve))
	if err != nil {
		return nil, fmt.Errorf("go proxy: %w", err)
	}
	p.front = front
	return p, nil
}

func (p *goProxy) Addr() string { return p.front.Addr() }

func (p *goProxy) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	err := p.front.Close()
	p.tr.CloseIdleConnections()
	return err
}

// frontEvent passes on the front server's events for client
// connections: there the proxy is the server, so its closes are by proxy.
// The front server's own listen and exit are not the demo server's and
// are dropped.
func (p *goProxy) frontEvent(peer string, ev timeline.Event) {
	if peer == "" {
		return
	}
	if ev.By == timeline.ByServer {
		ev.By = timeline.ByProxy
		if ev.Reason == timeline.ReasonIdleTimeout {
			ev.Reason = timeline.ReasonProxyIdleTimeout
		}
	}
	if ev.Kind == timeline.Response {
		p.mu.Lock()
		if p.selfAnswered[peer] {
			ev.By = timeline.ByProxy
			delete(p.selfAnswered, peer)
		}
		p.mu.Unlock()
	}
	p.cfg.Emit(peer, ev)
}

// serve handles one client request with a ReverseProxy of its own, as
// httputil.NewSingleHostReverseProxy makes it, sharing the one Transport.
func (p *goProxy) serve(w http.ResponseWriter, r *http.Request) {
	peer := r.RemoteAddr
	var upstream string // the connection of the latest attempt
	var umu sync.Mutex
	trace := &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			label := p.label(info.Conn)
			umu.Lock()
			upstream = label
			umu.Unlock()
			if c, ok := info.Conn.(*upConn); ok {
				c.inUse()
			}
			p.emit(peer, timeline.Event{Kind: timeline.Forward, Upstream: label, Method: r.Method, Path: r.URL.RequestURI()})
		},
		PutIdleConn: func(err error) {
			// Only the connection of this request's last attempt is put back.
			umu.Lock()
			label := upstream
			umu.Unlock()
			if c := p.connByLabel(label); c != nil {
				c.putIdle(err)
			}
		},
	}
	rp := httputil.NewSingleHostReverseProxy(p.target)
	rp.Transport = p.tr
	rp.ErrorLog = log.New(&errorLine{p: p, peer: peer, upstream: func() string {
		umu.Lock()
		defer umu.Unlock()
		return upstream
	}}, "", 0)
	rp.ServeHTTP(w, r.WithContext(httptrace.WithClientTrace(r.Context(), trace)))
}

// errorLine turns a line of the ReverseProxy's ErrorLog into a
// proxy-error event on the request's client connection; the 502 the
// ReverseProxy writes next is marked as the proxy's own.
type errorLine struct {
	p        *goProxy
	peer     string
	upstream func() string
}

func (e *errorLine) Write(b []byte) (int, error) {
	line := strings.TrimRight(string(b), "\n")
	e.p.mu.Lock()
	e.p.selfAnswered[e.peer] = true
	e.p.mu.Unlock()
	e.p.emit(e.peer, timeline.Event{Kind: timeline.ProxyError, Upstream: e.upstream(), Error: line})
	return len(b), nil
}

func (p *goProxy) emit(peer string, ev timeline.Event) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return
	}
	ev.T = p.cfg.Now()
	p.cfg.Emit(peer, ev)
}

func (p *goProxy) label(c net.Conn) string {
	if uc, ok := c.(*upConn); ok {
		return uc.label
	}
	return ""
}

// connByLabel finds an upstream connection for PutIdleConn, which names
// none.
func (p *goProxy) connByLabel(label string) *upConn {
	if label == "" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.upconns[label]
}

// dial is the Transport's DialContext: a connection to the hop, wrapped.
func (p *goProxy) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	nc, err := p.cfg.Dial(ctx)
	if err != nil {
		return nil, err
	}
	c := &upConn{Conn: nc, p: p, label: p.cfg.Label(nc.LocalAddr().String())}
	p.mu.Lock()
	if p.upconns == nil {
		p.upconns = map[string]*upConn{}
	}
	p.upconns[c.label] = c
	p.mu.Unlock()
	return c, nil
}

// upConn is one upstream connection as the Transport holds it. Its Close
// reports why the Transport let go of it, when the proxy was first: after
// the demo server's FIN or RST, the server's own close is on the timeline.
type upConn struct {
	net.Conn
	p     *goProxy
	label string

	mu        sync.Mutex
	idle      bool // in the Transport's idle pool
	idleSince time.Time
	putErr    error // why the Transport would not pool it
	readErr   bool  // a read failed: the server ended it (or the Transport's own close did)
	closed    bool
}

func (c *upConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil {
		c.mu.Lock()
		c.readErr = true
		c.mu.Unlock()
	}
	return n, err
}

func (c *upConn) inUse() {
	c.mu.Lock()
	c.idle = false
	c.mu.Unlock()
}

func (c *upConn) putIdle(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.putErr = err
		return
	}
	c.idle, c.idleSince = true, time.Now()
}

// idleSlack absorbs timer lateness when telling IdleConnTimeout's close
// from others.
const idleSlack = 5 * time.Millisecond

func (c *upConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.Conn.Close()
	}
	c.closed = true
	reason, report := "", true
	timeout := c.p.tr.IdleConnTimeout
	switch {
	case c.readErr:
		report = false // the demo server closed or reset it first
	case c.putErr != nil && strings.Contains(c.putErr.Error(), "too many idle"):
		reason = timeline.ReasonUpstreamPoolFull
	case c.putErr != nil && c.p.tr.DisableKeepAlives:
		reason = timeline.ReasonConnectionClose
	case c.idle && timeout > 0 && time.Since(c.idleSince) >= timeout-idleSlack:
		reason = timeline.ReasonUpstreamIdleTimeout
	case c.idle:
		report = false // CloseIdleConnections at teardown
	default:
		reason = timeline.ReasonUpstreamClosed
	}
	c.mu.Unlock()
	if report {
		c.p.emit("", timeline.Event{Conn: c.label, Kind: timeline.Close, By: timeline.ByProxy, Reason: reason})
	}
	return c.Conn.Close()
}
