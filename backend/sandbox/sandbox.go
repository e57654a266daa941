// Package sandbox runs a session's demo server: a real server on a loopback
// port that only that session's tunnel dials, behind a listener that takes
// connections from that tunnel alone. A runtime (Node's http module
// emulated byte for byte, or Go's own net/http.Server) reports every socket
// event it sees through Config.Emit.
package sandbox

import (
	"time"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// Emit reports one event. peer is the accepted connection's remote address
// (the client's local address, which the session maps to the client's
// label), or "" for a server event. ev.T is stamped by the runtime with
// Config.Now at the moment the event happened; ev.Conn is left empty.
type Emit func(peer string, ev timeline.Event)

// Config is what a runtime needs to start.
type Config struct {
	// Server has the runtime's defaults applied and has been validated.
	Server scenario.Server
	// Now reads the session clock in milliseconds.
	Now func() float64
	// Emit must not block for long: the session's owner reads it.
	Emit Emit
	// Listener is the demo server's listener, made by the session so that
	// its tunnel dials only this listener, and only while it is open (see
	// Listener). The runtime serves on it (Config.Listen) and closes it.
	Listener *Listener
	// CheckingInterval is Node's connectionsCheckingInterval, the period
	// of the check that enforces headersTimeout and requestTimeout; 0 is
	// Node's default (30 s). The differential tests shorten it in the
	// emulation and the real release alike, so that timeouts decided at
	// the check are tested in seconds. Other runtimes ignore it.
	CheckingInterval time.Duration
}

// Listen is the listener a runtime serves on: Config.Listener, or, for a
// runtime started without a session (its own tests, which dial it with a
// plain net.Dial), a new one that admits every connection.
func (c Config) Listen() (*Listener, error) {
	if c.Listener != nil {
		return c.Listener, nil
	}
	ln, err := Listen()
	if err != nil {
		return nil, err
	}
	ln.open = true
	return ln, nil
}

// Server is a running demo server.
type Server interface {
	// Addr is the listener's address, "127.0.0.1:port".
	Addr() string
	// Control performs a server action as if the program called it:
	// scenario.ThenClose, ThenCloseIdle, ThenCloseAll, ThenShutdown,
	// ThenExit. An action the runtime does not have returns an error.
	Control(action string) error
	// Exited is closed when the demo process would have ended (Node: no
	// ref'd handle left; Go: Shutdown or Close returned).
	Exited() <-chan struct{}
	// Close tears everything down: the listener, every connection, every
	// timer and goroutine. It returns when all of them have ended.
	Close() error
}

// Factory starts a demo server for cfg. Each runtime package provides one;
// the session chooses by cfg.Server.Runtime.
type Factory func(cfg Config) (Server, error)
