// Package pool is the pooled client mode: requests go through Go's own
// net/http client, whose http.Transport dials virtual connections over the
// playground's WebSocket. The learner sees real client-side pooling — which
// connection a request reused and after how long idle, when the client's
// own idle timeout drops a connection, and what the client really reports
// when it reuses a connection at the moment the server closes it.
//
// The package is platform-neutral. Under GOOS=js, net/http's Transport
// uses the browser's fetch only when no dial function is set (see
// roundtrip_js.go); this Transport always sets DialContext, so every byte
// travels over the virtual connections.
package pool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// DemoHost is the host name requests are addressed to; the backend only
// ever dials the session's own demo server, whatever the name.
const DemoHost = "demo"

// demoAddr is the server end's address in errors, as the Transport dials
// it: "dial tcp demo:80: connect: connection refused".
const demoAddr = DemoHost + ":80"

// DefaultPrefix starts the pool's connection labels: P1, P2, …
const DefaultPrefix = "P"

// DefaultIdleConnTimeout is http.DefaultTransport's, for an app that wants
// to start from Go's defaults.
const DefaultIdleConnTimeout = 90 * time.Second

// MaxBodyBytes bounds a response body kept in a Result; the demo servers
// answer short texts.
const MaxBodyBytes = 1 << 20

// maxPrefix leaves room for eight digits within wire's 16-character label.
const maxPrefix = 8

// maxConnInfos bounds the closed connections Conns remembers.
const maxConnInfos = 64

// idleSlack absorbs the moment between the Transport arming its idle
// timer and the trace hook that stamps IdleSince.
const idleSlack = 5 * time.Millisecond

// Options configure the client as an http.Transport is configured.
type Options struct {
	// IdleConnTimeout closes a connection idle this long; 0 means never
	// (http.Transport's meaning).
	IdleConnTimeout time.Duration
	// MaxIdleConnsPerHost; 0 means http.DefaultMaxIdleConnsPerHost (2).
	MaxIdleConnsPerHost int
	// DisableKeepAlives sends Connection: close and uses each connection
	// once.
	DisableKeepAlives bool
	// LinkDelay is the one-way delay of the network between the client
	// and the server's host (Dialer.SetLinkDelay); 0 is loopback.
	LinkDelay time.Duration
	// Prefix starts the labels (default "P"): a letter, then up to seven
	// letters, digits, '_' or '-'.
	Prefix string
	// OnChange, if set, is called after any connection changes state (see
	// Conns). It runs on whichever goroutine made the change, including
	// Deliver's, so it must not block.
	OnChange func()
}

// Pool is a pooled HTTP client over virtual connections.
type Pool struct {
	d      *Dialer
	opts   Options
	tr     *http.Transport
	client *http.Client

	mu        sync.Mutex
	infos     []*ConnInfo // every connection, oldest first
	closeIdle int         // CloseIdle calls in progress
}

// New makes a pool whose connections send wire messages through send.
// send must not block (queue the message for the WebSocket writer). New
// panics on an invalid Prefix, a programming error.
func New(send func(wire.Msg), opts Options) *Pool {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	p := &Pool{d: NewDialer(send, opts.Prefix), opts: opts}
	p.d.SetLinkDelay(opts.LinkDelay)
	p.d.hooks = dialHooks{
		dialing: func(label string) {
			p.mu.Lock()
			p.addInfoLocked(&ConnInfo{Label: label, State: Dialing, Opened: time.Now()})
			p.mu.Unlock()
			p.changed()
		},
		failed: func(label string, err error) {
			p.update(label, func(ci *ConnInfo) { ci.State, ci.Note = Failed, err.Error() })
		},
		open:   func(label string) { p.update(label, func(ci *ConnInfo) { ci.State = Active }) },
		closed: p.closed,
	}
	p.tr = &http.Transport{
		DialContext:         p.dial,
		IdleConnTimeout:     opts.IdleConnTimeout,
		MaxIdleConnsPerHost: opts.MaxIdleConnsPerHost,
		DisableKeepAlives:   opts.DisableKeepAlives,
		// HTTP/1.1 only: the lesson is about HTTP/1.1 keep-alive.
		ForceAttemptHTTP2: false,
		// Nothing compressed, so the timeline shows the same bytes the
		// Result does.
		DisableCompression: true,
	}
	p.client = &http.Client{
		Transport: p.tr,
		// One request, one Result: a redirect is shown, not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return p
}

// Client is the pool's http.Client, for an app that builds its own
// requests; Do records more.
func (p *Pool) Client() *http.Client { return p.client }

func (p *Pool) dial(ctx context.Context, _, _ string) (net.Conn, error) { return p.d.Dial(ctx) }

// closed is a connection's report that the Transport closed it.
func (p *Pool) closed(c *vconn) {
	c.mu.Lock()
	eof, resetBy, abandoned, broken := c.eof, c.resetBy, c.abandoned, c.broken
	c.mu.Unlock()
	p.mu.Lock()
	inCloseIdle := p.closeIdle > 0
	p.mu.Unlock()
	p.update(c.label, func(ci *ConnInfo) {
		if ci.State == Failed {
			return
		}
		wasIdle := ci.State == Idle
		ci.State, ci.Closed = Closed, time.Now()
		switch {
		case abandoned:
			ci.ClosedBy, ci.Note = timeline.ByClient, "connect abandoned"
		case resetBy == timeline.ByServer:
			ci.ClosedBy, ci.Note = timeline.ByServer, "reset by the server"
		case broken != nil:
			ci.ClosedBy, ci.Note = timeline.ByClient, broken.Error()
		case eof:
			// The server's FIN came first; the Transport closed its end
			// in answer.
			ci.ClosedBy, ci.Note = timeline.ByServer, "closed by the server"
		case wasIdle && inCloseIdle:
			ci.ClosedBy, ci.Note = timeline.ByClient, "CloseIdleConnections"
		case wasIdle && p.opts.IdleConnTimeout > 0 && ci.Closed.Sub(ci.IdleSince) >= p.opts.IdleConnTimeout-idleSlack:
			ci.ClosedBy, ci.Note = timeline.ByClient, "IdleConnTimeout"
		case ci.Note == "":
			ci.ClosedBy, ci.Note = timeline.ByClient, "closed by the client"
		default:
			ci.ClosedBy = timeline.ByClient
		}
	})
}

// Owns reports whether label is one of the pool's connections.
func (p *Pool) Owns(label string) bool { return p.d.Owns(label) }

// Deliver routes a message from the backend — an event, eof or error
// about one of the pool's connections — to that connection, and reports
// whether the connection is the pool's (Dialer.Deliver). A bye fails
// every connection. Deliver never blocks.
func (p *Pool) Deliver(m wire.Msg) bool {
	if m.Type == wire.Bye {
		p.Abandon(errors.New("the playground backend is going away"))
		return false
	}
	return p.d.Deliver(m)
}

// Abandon fails every connection the pool holds with why. Call it just
// before sending a load or restart: the backend then drops every virtual
// connection without an event, and a client waiting on one would wait
// for its own timeouts.
func (p *Pool) Abandon(why error) {
	p.d.Abandon(why)
	// The Transport notices idle ones at once (its read loop is waiting
	// on them); close them so none is handed to the next request.
	p.tr.CloseIdleConnections()
}

// CloseIdle closes the idle connections, as Transport.CloseIdleConnections.
func (p *Pool) CloseIdle() {
	p.mu.Lock()
	p.closeIdle++
	p.mu.Unlock()
	p.tr.CloseIdleConnections()
	p.mu.Lock()
	p.closeIdle--
	p.mu.Unlock()
}

// Close closes the idle connections and fails the others; the pool is
// not used after.
func (p *Pool) Close() {
	p.CloseIdle()
	p.Abandon(net.ErrClosed)
}

// Attempt is one connection the Transport used for a request; a retried
// request has several.
type Attempt struct {
	Conn     string
	Reused   bool
	WasIdle  bool
	IdleTime time.Duration
}

// Result is what one request did, in the client's own terms.
type Result struct {
	// Conn is the label of the connection that carried the request (the
	// last attempt's).
	Conn     string
	Reused   bool
	WasIdle  bool
	IdleTime time.Duration
	// Attempts lists every connection the request was tried on.
	Attempts []Attempt
	// Retried: the Transport tried again on another connection after the
	// first one failed (an idempotent request on a reused connection).
	Retried bool
	Status  int
	Proto   string
	Header  http.Header
	Body    string
	// Err is the client's own error text, e.g. `Post "http://demo/": EOF`.
	Err string
	// Elapsed runs from the call to the end of the body.
	Elapsed time.Duration
}

// Do performs one request and reads its whole response. It blocks; call
// it from a goroutine of its own (never the DOM loop). path starts with
// '/'; body, if any, is sent with a Content-Length.
func (p *Pool) Do(ctx context.Context, method, path string, header http.Header, body string) Result {
	start := time.Now()
	var res Result
	// The trace hooks run on the Transport's goroutines while Do waits;
	// mu orders them with finish.
	var mu sync.Mutex
	finish := func(err error) Result {
		mu.Lock()
		defer mu.Unlock()
		if n := len(res.Attempts); n > 0 {
			last := res.Attempts[n-1]
			res.Conn, res.Reused, res.WasIdle, res.IdleTime = last.Conn, last.Reused, last.WasIdle, last.IdleTime
			res.Retried = n > 1
		}
		if err != nil {
			res.Err = err.Error()
		}
		res.Elapsed = time.Since(start)
		return res
	}
	if !strings.HasPrefix(path, "/") {
		return finish(fmt.Errorf("path %q: want one starting with /", path))
	}
	var rb io.Reader
	if body != "" {
		rb = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+DemoHost+path, rb)
	if err != nil {
		return finish(fmt.Errorf("build request: %w", err))
	}
	for k, vs := range header {
		req.Header[k] = slices.Clone(vs)
	}
	if h := header.Get("Host"); h != "" {
		req.Host = h
	}

	var current string
	trace := &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			label := info.Conn.LocalAddr().String()
			mu.Lock()
			current = label
			res.Attempts = append(res.Attempts, Attempt{Conn: label, Reused: info.Reused, WasIdle: info.WasIdle, IdleTime: info.IdleTime})
			mu.Unlock()
			p.update(label, func(ci *ConnInfo) {
				ci.State = Active
				ci.Requests++
			})
		},
		PutIdleConn: func(err error) {
			mu.Lock()
			label := current
			mu.Unlock()
			p.update(label, func(ci *ConnInfo) {
				if err != nil {
					// The Transport will close it: say why.
					ci.Note = err.Error()
					return
				}
				if ci.State == Active {
					ci.State, ci.IdleSince = Idle, time.Now()
				}
			})
		},
	}
	req = req.WithContext(httptrace.WithClientTrace(ctx, trace))

	resp, err := p.client.Do(req)
	if err != nil {
		return finish(err)
	}
	defer resp.Body.Close()
	res.Status, res.Proto, res.Header = resp.StatusCode, resp.Proto, resp.Header
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	res.Body = string(b)
	if err == nil && len(b) > MaxBodyBytes {
		res.Body = res.Body[:MaxBodyBytes]
		err = fmt.Errorf("response body: longer than %d bytes", MaxBodyBytes)
	}
	return finish(err)
}

// ConnState is a pooled connection's state as the client sees it.
type ConnState string

const (
	Dialing ConnState = "dialing"
	Active  ConnState = "active" // carrying a request
	Idle    ConnState = "idle"   // in the pool, waiting for a request
	Closed  ConnState = "closed"
	Failed  ConnState = "failed" // the dial failed
)

// ConnInfo is one connection as the pool knows it.
type ConnInfo struct {
	Label    string
	State    ConnState
	Requests int
	Opened   time.Time
	// IdleSince is when it last went back to the pool.
	IdleSince time.Time
	Closed    time.Time
	// ClosedBy is "client" or "server": who closed first, as far as the
	// client knows.
	ClosedBy string
	// Note says why, in the client's terms: "IdleConnTimeout",
	// "CloseIdleConnections", "closed by the server", the Transport's
	// "http: putIdleConn: too many idle connections for host", a dial
	// error.
	Note string
}

// Conns returns the pool's connections, oldest first: the open ones and
// the most recently closed.
func (p *Pool) Conns() []ConnInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]ConnInfo, len(p.infos))
	for i, ci := range p.infos {
		out[i] = *ci
	}
	return out
}

func (p *Pool) addInfoLocked(ci *ConnInfo) {
	p.infos = append(p.infos, ci)
	for len(p.infos) > maxConnInfos {
		i := slices.IndexFunc(p.infos, func(ci *ConnInfo) bool { return ci.State == Closed || ci.State == Failed })
		if i < 0 {
			break
		}
		p.infos = slices.Delete(p.infos, i, i+1)
	}
}

// update changes one connection's info and tells the app.
func (p *Pool) update(label string, f func(*ConnInfo)) {
	p.mu.Lock()
	i := slices.IndexFunc(p.infos, func(ci *ConnInfo) bool { return ci.Label == label })
	if i >= 0 {
		f(p.infos[i])
	}
	p.mu.Unlock()
	if i >= 0 {
		p.changed()
	}
}

func (p *Pool) changed() {
	if p.opts.OnChange != nil {
		p.opts.OnChange()
	}
}
