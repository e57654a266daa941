// Package sandboxtest provides a minimal demo server for tests of the
// session and the HTTP handler, in the spirit of net/http/httptest: it
// speaks no HTTP, it echoes, so those tests do not depend on a runtime.
package sandboxtest

import (
	"errors"
	"net"
	"sync"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// Echo is a demo server that echoes every byte back. It reports listen,
// accept, close (by client, when it reads EOF), close-called and
// listener-closed; Control(close) stops the listener, Control(exit) ends
// it with every connection.
type Echo struct {
	ln     net.Listener
	cfg    sandbox.Config
	exited chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

// NewEcho is a sandbox.Factory.
func NewEcho(cfg sandbox.Config) (sandbox.Server, error) {
	ln, err := cfg.Listen()
	if err != nil {
		return nil, err
	}
	e := &Echo{ln: ln, cfg: cfg, exited: make(chan struct{}), conns: map[net.Conn]bool{}}
	cfg.Emit("", timeline.Event{T: cfg.Now(), Kind: timeline.Listen})
	e.wg.Add(1)
	go e.accept()
	return e, nil
}

// Runtimes maps every runtime name to NewEcho.
func Runtimes() map[string]sandbox.Factory {
	m := map[string]sandbox.Factory{}
	for _, name := range scenario.RuntimeNames() {
		m[name] = NewEcho
	}
	return m
}

func (e *Echo) accept() {
	defer e.wg.Done()
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.mu.Lock()
		e.conns[c] = true
		e.mu.Unlock()
		peer := c.RemoteAddr().String()
		e.cfg.Emit(peer, timeline.Event{T: e.cfg.Now(), Kind: timeline.Accept})
		e.wg.Add(1)
		go e.echo(c, peer)
	}
}

func (e *Echo) echo(c net.Conn, peer string) {
	defer e.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			c.Write(buf[:n])
		}
		if err != nil {
			c.Close()
			e.cfg.Emit(peer, timeline.Event{T: e.cfg.Now(), Kind: timeline.Close, By: timeline.ByClient, Reason: timeline.ReasonClient})
			return
		}
	}
}

// Addr is the listener's address.
func (e *Echo) Addr() string { return e.ln.Addr().String() }

// Control knows close and exit.
func (e *Echo) Control(action string) error {
	switch action {
	case scenario.ThenClose:
		e.cfg.Emit("", timeline.Event{T: e.cfg.Now(), Kind: timeline.CloseCalled})
		e.ln.Close()
		e.cfg.Emit("", timeline.Event{T: e.cfg.Now(), Kind: timeline.ListenerClosed})
		return nil
	case scenario.ThenExit:
		e.closeAll()
		e.cfg.Emit("", timeline.Event{T: e.cfg.Now(), Kind: timeline.Exit})
		e.once.Do(func() { close(e.exited) })
		return nil
	}
	return errors.New("the echo server knows only close and exit")
}

// Exited is closed after Control(exit).
func (e *Echo) Exited() <-chan struct{} { return e.exited }

func (e *Echo) closeAll() {
	e.ln.Close()
	e.mu.Lock()
	for c := range e.conns {
		c.Close()
	}
	e.mu.Unlock()
}

// Close ends the listener and every connection, and waits for them.
func (e *Echo) Close() error {
	e.closeAll()
	e.wg.Wait()
	return nil
}
