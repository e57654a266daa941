// Package gort is the go runtime of the demo server: a real net/http.Server
// on a loopback port, configured from the scenario's Go knobs
// (IdleTimeout, ReadHeaderTimeout, SetKeepAlivesEnabled and the deadline
// given to Shutdown). Nothing about HTTP is emulated: requests, malformed
// input, keep-alive, timeouts, Shutdown and Close are net/http's own. The
// package only watches, through a wrapped listener, wrapped connections
// and the ConnState hook, and reports what it sees as timeline events.
//
// The program the server stands for is the one codeview.Go renders: main
// serves, a route or a signal starts Shutdown with a deadline (and Close
// when that deadline passes) or calls Close, and main returns once
// Shutdown or Close has returned. That return is the `exit` event; Shutdown
// polls for quiet connections at growing intervals (up to 500 ms), so exit
// can come a while after the last connection closed, as it does for real.
//
// Why a connection closed (the close event's by and reason) is read off
// the socket and the program's state, first cause first:
//
//   - client: a read saw the client's FIN or RST (by client).
//   - idle-timeout / headers-timeout: a read ran into a deadline; net/http
//     sets the IdleTimeout deadline right after a connection goes idle and
//     the ReadHeaderTimeout one when it opens and when a next request's
//     first bytes arrive, so the deadline's kind is known when it is set.
//     For a late header Go answers nothing (no 408): it closes.
//   - destroy: the handler panicked with http.ErrAbortHandler.
//   - exit: the program ended (os.Exit, or main returning) with the
//     connection open.
//   - server-close: Close was called.
//   - bad-request: net/http answered a request it rejected (400, 431, 501,
//     505, 417) on its own; the response event carries that status.
//   - connection-close: after a response, because keep-alives are off or
//     the request asked for Connection: close (or was HTTP/1.0).
//   - shutdown: Shutdown closed it idle, or net/http closed it after its
//     response because Shutdown ends keep-alive.
//
// Route actions flush the response before they act (see answer), so that
// "then" happens after responding, as in the story's handlers.
package gort

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// teardownTimeout bounds how long Close waits for net/http's connection
// goroutines to notice their sockets are closed. They need microseconds;
// the bound only keeps a bug from hanging a session's teardown.
const teardownTimeout = 5 * time.Second

// errExited is returned by Control once the demo program has ended.
var errExited = errors.New("go runtime: the demo program has exited")

// connKey carries the accepted *conn into each request's context.
type connKey struct{}

// server is a running demo server. Its flags are atomics because net/http
// reads them from its own goroutines while classifying a close.
type server struct {
	cfg sandbox.Config
	// front, when set, handles every request instead of the routes (see
	// NewFront).
	front           http.Handler
	srv             *http.Server
	ln              *listener
	keepAlive       bool
	shutdownTimeout time.Duration

	// ctx is cancelled by Close, so that a pending Shutdown gives up.
	ctx    context.Context
	cancel context.CancelFunc

	shuttingDown atomic.Bool // Shutdown was called
	closing      atomic.Bool // Close was called
	exiting      atomic.Bool // the process is ending abruptly (os.Exit)
	dead         atomic.Bool // exit was reported or the session tore down: no more events
	draining     atomic.Bool // a drain action ran: readiness routes answer 503

	emitMu sync.Mutex // stamps and emits events in order

	mu       sync.Mutex
	conns    map[*conn]struct{} // accepted and not yet closed
	live     int                // connections net/http still serves (StateNew until StateClosed)
	drained  chan struct{}      // closed when live drops to 0 during teardown
	tornDown bool

	wg     sync.WaitGroup // handlers and Shutdown goroutines
	served chan struct{}  // closed when Serve has returned

	exitOnce     sync.Once
	exited       chan struct{}
	teardownOnce sync.Once
	teardownErr  error
}

// New starts a go-runtime demo server for cfg. It is a sandbox.Factory.
func New(cfg sandbox.Config) (sandbox.Server, error) { return startServer(cfg, nil) }

// NewFront starts the same instrumented net/http.Server with h as its
// handler instead of the scenario's routes: the front of a Go reverse
// proxy (package goproxy), whose client connections are then reported
// exactly as the demo server's are. The status h writes is the response
// event's.
func NewFront(cfg sandbox.Config, h http.Handler) (sandbox.Server, error) { return startServer(cfg, h) }

func startServer(cfg sandbox.Config, front http.Handler) (sandbox.Server, error) {
	if cfg.Now == nil || cfg.Emit == nil {
		return nil, errors.New("go runtime: config needs Now and Emit")
	}
	ln, err := cfg.Listen()
	if err != nil {
		return nil, fmt.Errorf("go runtime: listen on loopback: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{
		cfg:             cfg,
		front:           front,
		keepAlive:       cfg.Server.KeepAlives(),
		shutdownTimeout: cfg.Server.ShutdownTimeout(),
		ctx:             ctx,
		cancel:          cancel,
		conns:           make(map[*conn]struct{}),
		served:          make(chan struct{}),
		exited:          make(chan struct{}),
	}
	s.ln = &listener{Listener: ln, s: s}
	s.srv = &http.Server{
		Handler:           s,
		IdleTimeout:       cfg.Server.IdleTimeout(),
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout(),
		ConnState:         s.connState,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
		// net/http logs to stderr by default; the timeline is the log here,
		// and a session must not be able to fill the backend's log.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	s.srv.SetKeepAlivesEnabled(s.keepAlive)
	s.emit("", timeline.Event{Kind: timeline.Listen})
	go func() {
		defer close(s.served)
		s.srv.Serve(s.ln) // returns http.ErrServerClosed after Shutdown or Close
	}()
	return s, nil
}

func (s *server) Addr() string { return s.ln.Addr().String() }

func (s *server) Exited() <-chan struct{} { return s.exited }

// Control performs what the demo program can do: Shutdown (in a goroutine,
// as a handler must, since Shutdown waits for handlers), Close, or end the
// process abruptly as os.Exit would.
func (s *server) Control(action string) error {
	switch action {
	case scenario.ThenShutdown:
		return s.shutdown()
	case scenario.ThenClose:
		return s.closeServer()
	case scenario.ThenExit:
		return s.exit()
	}
	return fmt.Errorf("go runtime: no %q action; it has %s, %s and %s",
		action, scenario.ThenShutdown, scenario.ThenClose, scenario.ThenExit)
}

// shutdown calls srv.Shutdown with the scenario's deadline from a new
// goroutine. Like the demo program, it calls Close when the deadline passes
// with requests still in flight, and the program then ends.
func (s *server) shutdown() error {
	if s.dead.Load() {
		return errExited
	}
	if !s.enter() {
		return errExited
	}
	s.emit("", timeline.Event{Kind: timeline.ShutdownCalled})
	s.shuttingDown.Store(true)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, s.shutdownTimeout)
		defer cancel()
		err := s.srv.Shutdown(ctx)
		switch {
		case s.ctx.Err() != nil:
			return // the session is tearing down; nothing more to report
		case err != nil:
			// The deadline passed: Shutdown returns and leaves the busy
			// connections open; the program cuts them off with Close.
			s.closeServer()
		default:
			s.finish()
		}
	}()
	return nil
}

// closeServer is srv.Close: the listener and every connection, idle or
// not, closed at once; then main returns.
func (s *server) closeServer() error {
	if s.dead.Load() {
		return errExited
	}
	s.emit("", timeline.Event{Kind: timeline.CloseCalled})
	s.closing.Store(true)
	s.srv.Close()
	s.finish()
	return nil
}

// exit is the process ending abruptly (os.Exit): the kernel closes the
// listener and every socket at once, and nothing of the program runs after.
func (s *server) exit() error {
	if s.dead.Load() {
		return errExited
	}
	s.exiting.Store(true)
	s.ln.Close()
	for _, c := range s.openConns() {
		c.Close()
	}
	s.srv.Close() // stops Serve; any connection it still holds reports exit too
	s.finish()
	return nil
}

// finish reports the end of the demo program, once.
func (s *server) finish() {
	s.exitOnce.Do(func() {
		s.emit("", timeline.Event{Kind: timeline.Exit})
		s.dead.Store(true)
		close(s.exited)
	})
}

// Close tears the demo server down without reporting anything more: the
// session is over. It waits for Serve, handlers, Shutdown goroutines and
// net/http's connection goroutines.
func (s *server) Close() error {
	s.teardownOnce.Do(func() {
		s.mu.Lock()
		s.tornDown = true
		s.mu.Unlock()
		s.dead.Store(true)
		s.cancel()
		s.srv.Close()
		s.ln.Close()
		<-s.served
		// A connection accepted while Close ran is not in net/http's set yet.
		for _, c := range s.openConns() {
			c.Close()
		}
		s.wg.Wait()

		s.mu.Lock()
		drained := make(chan struct{})
		if s.live == 0 {
			close(drained)
		} else {
			s.drained = drained
		}
		s.mu.Unlock()
		t := time.NewTimer(teardownTimeout)
		defer t.Stop()
		select {
		case <-drained:
		case <-t.C:
			s.teardownErr = fmt.Errorf("go runtime: %v after close, connections still being served", teardownTimeout)
		}
	})
	return s.teardownErr
}

// enter registers a goroutine (a handler or a Shutdown) with the
// WaitGroup, unless the session is tearing down. The check and the Add
// share s.mu with Close, so no Add races Close's Wait.
func (s *server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tornDown {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *server) openConns() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// emit stamps ev with the session clock and reports it. One lock around
// the stamp and the report keeps the reported order the stamped order.
func (s *server) emit(peer string, ev timeline.Event) {
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	if s.dead.Load() {
		return
	}
	ev.T = s.cfg.Now()
	s.cfg.Emit(peer, ev)
}

// connState is net/http's ConnState hook. It runs on the connection's own
// goroutine, in order with the reads and writes it reports on.
func (s *server) connState(nc net.Conn, st http.ConnState) {
	c, ok := nc.(*conn)
	if !ok {
		return
	}
	switch st {
	case http.StateNew:
		s.mu.Lock()
		s.live++
		s.mu.Unlock()
	case http.StateIdle:
		c.wentIdle()
	case http.StateClosed, http.StateHijacked:
		s.mu.Lock()
		s.live--
		if s.live == 0 && s.drained != nil {
			close(s.drained)
			s.drained = nil
		}
		s.mu.Unlock()
	}
}
