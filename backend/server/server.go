// Package server is the playground's HTTP side: the page, its assets, the
// health endpoint and the WebSocket that carries each browser session.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/web"
)

// Defaults an operator may change with flags.
const (
	// DefaultMaxSessions bounds concurrent sessions; each holds a demo
	// server, its sockets and a few goroutines.
	DefaultMaxSessions = 2000
	// DefaultMaxSessionsPerIP bounds one client address, so a single
	// browser (or script) cannot take every slot.
	DefaultMaxSessionsPerIP = 20
	// DefaultSessionLifetime ends a session however busy it is; a lesson
	// takes minutes, and links restore the state.
	DefaultSessionLifetime = 2 * time.Hour
	// DefaultIdleTimeout ends a session whose browser has sent nothing
	// (not even the client's keep-alive pings) for this long.
	DefaultIdleTimeout = 10 * time.Minute
	// DefaultMaxMessagesPerSecond is the steady rate of messages a page
	// may send. A person clicking and typing sends a few a second; the
	// page's own pings one every few seconds.
	DefaultMaxMessagesPerSecond = 50
	// DefaultMessageBurst is how many messages may arrive at once: starting
	// a run sends a load and every step (at most scenario.MaxSteps) in one
	// go.
	DefaultMessageBurst = scenario.MaxSteps + 56
)

// WebSocket timing, after gorilla/websocket's chat example.
const (
	// writeWait bounds every write to a browser; a browser that cannot
	// take a frame in this time is dropped.
	writeWait = 5 * time.Second
	// pongWait is how long a browser may stay silent (no pong, no
	// message) before the connection is considered dead.
	pongWait = 30 * time.Second
	// pingPeriod must be shorter than pongWait.
	pingPeriod = pongWait * 9 / 10
	// helloWait bounds the wait for the client's first message.
	helloWait = 10 * time.Second
	// sendQueue is the number of frames queued for one browser; a session
	// that fills it is dropped rather than waited on.
	sendQueue = 4096
	// closeGrace is how long a close frame may take on the way out.
	closeGrace = time.Second
)

// Options configure a Server.
type Options struct {
	// Assets is the built page (web.Dist() or, with -dev, web/dist on disk).
	Assets fs.FS
	// AllowedOrigins lists extra origins (scheme://host[:port]) allowed to
	// open the WebSocket; the page's own origin always is.
	AllowedOrigins []string
	// AllowedHosts lists the host names (no port) the playground answers
	// to besides localhost and IP addresses: its public name behind a
	// proxy, the name in -addr. Any other Host is refused (421), so that a
	// page on an attacker's name that resolves to this server (DNS
	// rebinding) cannot use it from a visitor's browser.
	AllowedHosts []string
	// Runtimes are the demo server factories by runtime name.
	Runtimes map[string]sandbox.Factory

	MaxSessions      int
	MaxSessionsPerIP int
	SessionLifetime  time.Duration
	IdleTimeout      time.Duration
	// MaxMessagesPerSecond and MessageBurst bound what one page sends:
	// over them a message is ignored and the person told; a page that
	// keeps on is closed with CloseRateLimit.
	MaxMessagesPerSecond int
	MessageBurst         int

	// Timeouts of the HTTP server (HTTPServer); zero fields take
	// DefaultTimeouts.
	Timeouts Timeouts

	Log *slog.Logger
}

// Server serves the playground. Create it with New; it is an http.Handler.
type Server struct {
	opts     Options
	log      *slog.Logger
	mux      *http.ServeMux
	upgrader websocket.Upgrader
	assets   http.Handler

	// base is the parent of every session's context; Shutdown cancels it.
	base   context.Context
	cancel context.CancelFunc

	// deliverWait bounds the wait for a session to take a page's message
	// (pongWait; shorter in tests).
	deliverWait time.Duration

	mu       sync.Mutex
	sessions map[*client]struct{}
	perIP    map[string]int
	// runs counts the demo servers of running comparisons, as sessions.
	runs    int
	closing bool
	wg      sync.WaitGroup
}

// New makes a Server with every route in place.
func New(opts Options) *Server {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Assets == nil {
		opts.Assets = web.Dist()
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	if opts.MaxSessionsPerIP <= 0 {
		opts.MaxSessionsPerIP = DefaultMaxSessionsPerIP
	}
	if opts.SessionLifetime <= 0 {
		opts.SessionLifetime = DefaultSessionLifetime
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.MaxMessagesPerSecond <= 0 {
		opts.MaxMessagesPerSecond = DefaultMaxMessagesPerSecond
	}
	if opts.MessageBurst <= 0 {
		opts.MessageBurst = DefaultMessageBurst
	}
	opts.Timeouts = opts.Timeouts.withDefaults()
	s := &Server{
		opts:     opts,
		log:      opts.Log,
		mux:      http.NewServeMux(),
		assets:   web.NewHandler(opts.Assets),
		sessions: make(map[*client]struct{}),
		perIP:    make(map[string]int),

		deliverWait: pongWait,
	}
	s.base, s.cancel = context.WithCancel(context.Background())
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		// An idle session holds no write buffer; a class of idle pages
		// is the common case.
		WriteBufferPool: new(sync.Pool),
		CheckOrigin:     s.checkOrigin,
	}
	s.routes()
	return s
}

// routes is every route the playground serves.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.handleHealthz)
	s.mux.Handle("GET /ws", s.knownHost(http.HandlerFunc(s.handleWS)))
	s.mux.Handle("/", s.knownHost(s.securityHeaders(s.stallGuard(s.assets))))
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// knownHost refuses a request for a host the playground does not answer
// to. /healthz is left out: a balancer may ask for it by any name.
func (s *Server) knownHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			s.log.Info("unknown host", "remote", r.RemoteAddr, "host", r.Host)
			http.Error(w, "This playground does not answer to that host name. Its operator can allow it with -hosts.", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// hostAllowed says whether a Host header names this playground: an IP
// address (no DNS involved), localhost, or one of AllowedHosts.
func (s *Server) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	for _, h := range s.opts.AllowedHosts {
		if strings.EqualFold(strings.TrimSuffix(h, "."), host) {
			return true
		}
	}
	return false
}

// csp allows only what the page needs: its own scripts and styles, the
// wasm compile ('wasm-unsafe-eval'), and the WebSocket back to this host.
const csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors *"

func (s *Server) securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n, closing := len(s.sessions), s.closing
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if closing {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, `{"status":"draining","sessions":%d}`+"\n", n)
		return
	}
	fmt.Fprintf(w, `{"status":"ok","sessions":%d,"maxSessions":%d}`+"\n", n, s.opts.MaxSessions)
}

// checkOrigin admits the page's own origin and the configured ones. A
// browser always sends Origin on a WebSocket handshake; a non-browser
// client (the load generator, the CLI) may omit it. An origin is a scheme
// and a host, nothing else: "http://evil@host" is not host's origin.
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.User != nil || u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" ||
		!strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https") || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	norm := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, o := range s.opts.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), norm) {
			return true
		}
	}
	return false
}

// admit reserves a session slot for ip, or says why not with the close
// code to send: 1012 while draining (the page reconnects, to another
// instance behind a balancer), 1013 when full.
func (s *Server) admit(c *client) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return websocket.CloseServiceRestart, errors.New("The playground server is restarting. Your page reconnects by itself.")
	case len(s.sessions)+s.runs >= s.opts.MaxSessions:
		return websocket.CloseTryAgainLater, fmt.Errorf("the playground is full (%d sessions); try again in a minute", s.opts.MaxSessions)
	case s.perIP[c.ip] >= s.opts.MaxSessionsPerIP:
		return websocket.CloseTryAgainLater, fmt.Errorf("too many sessions from your address (at most %d); close other playground tabs", s.opts.MaxSessionsPerIP)
	}
	s.sessions[c] = struct{}{}
	s.perIP[c.ip]++
	s.wg.Add(1)
	return 0, nil
}

func (s *Server) release(c *client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, c)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	s.wg.Done()
}

// Drain begins the end: from now on /healthz answers 503, so that a load
// balancer stops sending pages here, new sessions are refused (1012, on
// which a page reconnects with backoff, to another instance), and every
// page is told to go (a bye, then 1012). The HTTP side keeps serving
// until Shutdown. It may be called more than once.
func (s *Server) Drain() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	for c := range s.sessions {
		c.bye("The playground server is restarting. Your page reconnects by itself.")
	}
}

// Shutdown drains (if Drain was not called), then ends every session and
// its demo server and waits for them. WebSockets are hijacked connections
// that http.Server.Shutdown does not track, so the caller runs this next
// to http.Server.Shutdown.
func (s *Server) Shutdown(ctx context.Context) error {
	s.Drain()
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sessions still closing: %w", ctx.Err())
	}
}

// Sessions reports the number of live sessions.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
