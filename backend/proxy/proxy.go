// Package proxy puts a reverse proxy or load balancer between a session's
// client connections and its demo server (DESIGN.md, "proxy"). Client
// connections A, B, … end at the proxy; the proxy opens its own upstream
// connections, which reach the demo server through a Hop: a relay on
// loopback that labels them u1, u2, …, reports what crosses them, and can
// delay it as a real network between a balancer and its targets would.
//
// The kinds live in subpackages: nginx (an emulation of nginx 1.22's
// proxy_pass held to the real nginx), goproxy (a real
// httputil.ReverseProxy) and alb (an AWS Application Load Balancer as
// AWS documents it).
package proxy

import (
	"context"
	"net"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// Emit reports one event. For an event on a client connection, peer is
// that connection's remote address as the proxy accepted it (the
// session maps it to the client's label) and ev.Conn is empty; for an
// event on an upstream connection peer is "" and ev.Conn is its label
// (ev.Hop is set by the session). ev.T is stamped with Config.Now.
type Emit func(peer string, ev timeline.Event)

// Config is what a proxy needs to start.
type Config struct {
	// Proxy has the kind's defaults applied and has been validated.
	Proxy scenario.Proxy
	// Upstream is the address of the upstream server (the Hop in front of
	// the demo server): the only address a proxy dials.
	Upstream string
	// DialUpstream connects to Upstream through the hop's gate (see
	// sandbox.Listener), which resets any connection it was not told of;
	// nil dials Upstream plainly (the hop is then open).
	DialUpstream func(ctx context.Context) (net.Conn, error)
	// Listener is where the client's connections arrive: a gate the
	// session's tunnel dials through, as it dials the demo server's.
	// Nil: the proxy opens a listener of its own that admits anyone (its
	// own tests); a proxy that listens by itself (realnginx) ignores it.
	Listener *sandbox.Listener
	// Label names the upstream connection whose local address is addr
	// ("u1"), waiting briefly for the Hop to accept it; "" when the Hop
	// never saw it.
	Label func(addr string) string
	// Now reads the session clock in milliseconds.
	Now func() float64
	// Emit must not block for long.
	Emit Emit
}

// Proxy is a running proxy.
type Proxy interface {
	// Addr is the listener the client connections dial.
	Addr() string
	// Close tears everything down: the listener, every client and
	// upstream connection, every timer and goroutine.
	Close() error
}

// Factory starts a proxy for cfg.
type Factory func(cfg Config) (Proxy, error)

// Listen is the listener a proxy serves its clients on: Config.Listener,
// or an open one for a proxy started without a session.
func (c Config) Listen() (*sandbox.Listener, error) {
	if c.Listener != nil {
		return c.Listener, nil
	}
	return sandbox.Config{}.Listen()
}

// Dial connects to the upstream: through the hop's gate, or plainly.
func (c Config) Dial(ctx context.Context) (net.Conn, error) {
	if c.DialUpstream != nil {
		return c.DialUpstream(ctx)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", c.Upstream)
}
