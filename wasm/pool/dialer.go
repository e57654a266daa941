package pool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keepalive-playground/playground/wire"
)

// Dialer opens virtual connections over the playground's wire protocol,
// labelled with its prefix and a number (app1, app2, …), and routes the
// backend's messages about them. Any client that dials a net.Conn can run
// over it: Go's Transport (Pool) and the Node http.Agent emulation
// (package nodeagent) alike. A connection's LocalAddr().String() is its
// label.
type Dialer struct {
	send   func(wire.Msg)
	prefix string
	hooks  dialHooks
	// up and down are the link to the server's host (SetLinkDelay); nil
	// is none.
	up, down *link

	mu    sync.Mutex
	next  int
	conns map[string]*vconn // open or dialing; routed by Deliver
}

// dialHooks let Pool follow its connections; each runs without the
// dialer's lock held.
type dialHooks struct {
	dialing func(label string)
	failed  func(label string, err error)
	open    func(label string)
	closed  func(c *vconn)
}

// NewDialer makes a dialer whose connections send wire messages through
// send, which must not block (queue the message for the WebSocket
// writer). prefix is a letter, then up to seven letters, digits, '_' or
// '-'; NewDialer panics on another, a programming error.
func NewDialer(send func(wire.Msg), prefix string) *Dialer {
	if !validPrefix(prefix) {
		panic(fmt.Sprintf("pool: prefix %q: want a letter then up to %d letters, digits, '_' or '-'", prefix, maxPrefix-1))
	}
	return &Dialer{send: send, prefix: prefix, conns: make(map[string]*vconn)}
}

// SetLinkDelay puts a network between the dialer's client and the
// server's host: everything the client sends reaches the server d later,
// and everything the server sends reaches the client d later, in order.
// The timeline is the server's host's view, so it shows the client's
// bytes when they arrive and the server's when they leave; the client
// acts on what it has received. Call it before the first Dial.
func (d *Dialer) SetLinkDelay(delay time.Duration) {
	if delay <= 0 {
		d.up, d.down = nil, nil
		return
	}
	d.up, d.down = newLink(delay), newLink(delay)
}

// sendUp sends one of a connection's messages over the link.
func (d *Dialer) sendUp(m wire.Msg) { d.up.put(func() { d.send(m) }) }

// validPrefix is `^[A-Za-z][A-Za-z0-9_-]{0,7}$`.
func validPrefix(p string) bool {
	if len(p) == 0 || len(p) > maxPrefix {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9') && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// Dial opens the next virtual connection and waits for the backend's
// connect (or refused) event; ctx bounds the wait.
func (d *Dialer) Dial(ctx context.Context) (net.Conn, error) {
	d.mu.Lock()
	d.next++
	label := d.prefix + strconv.Itoa(d.next)
	c := newVconn(label, d.sendUp, d.closed)
	d.conns[label] = c
	d.mu.Unlock()
	if d.hooks.dialing != nil {
		d.hooks.dialing(label)
	}
	if err := c.dial(ctx); err != nil {
		if d.hooks.failed != nil {
			d.hooks.failed(label, err)
		}
		d.forget(c)
		return nil, err
	}
	if d.hooks.open != nil {
		d.hooks.open(label)
	}
	return c, nil
}

// closed is a connection's report that its client closed it.
func (d *Dialer) closed(c *vconn) {
	if d.hooks.closed != nil {
		d.hooks.closed(c)
	}
	d.forget(c)
}

func (d *Dialer) forget(c *vconn) {
	d.mu.Lock()
	if d.conns[c.label] == c {
		delete(d.conns, c.label)
	}
	d.mu.Unlock()
}

// Owns reports whether label is one of the dialer's connections.
func (d *Dialer) Owns(label string) bool {
	rest, ok := strings.CutPrefix(label, d.prefix)
	if !ok || rest == "" || rest[0] == '0' {
		return false
	}
	n, err := strconv.Atoi(rest)
	if err != nil {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return n >= 1 && n <= d.next
}

// Deliver routes a message from the backend — an event, eof or error
// about one of the dialer's connections — to that connection, and reports
// whether the connection is the dialer's. The app still shows the event
// on its timeline; Deliver only feeds the client. A bye fails every
// connection. Deliver never blocks.
func (d *Dialer) Deliver(m wire.Msg) bool {
	var label string
	switch m.Type {
	case wire.Ev:
		if m.Event == nil {
			return false
		}
		label = m.Event.Conn
	case wire.EOF, wire.Error:
		label = m.Conn
	case wire.Bye:
		d.Abandon(errors.New("the playground backend is going away"))
		return false
	}
	if label == "" || !d.Owns(label) {
		return false
	}
	d.mu.Lock()
	c := d.conns[label]
	d.mu.Unlock()
	if c != nil {
		d.down.put(func() { c.deliver(m) })
	}
	return true
}

// Abandon fails every connection the dialer holds with why. Call it just
// before sending a load or restart: the backend then drops every virtual
// connection without an event, and a client waiting on one would wait
// for its own timeouts.
func (d *Dialer) Abandon(why error) {
	d.mu.Lock()
	cs := make([]*vconn, 0, len(d.conns))
	for _, c := range d.conns {
		cs = append(cs, c)
	}
	d.mu.Unlock()
	// A load or restart follows: nothing of these connections still on
	// the link may arrive after it (a connect would open a connection
	// in the next run).
	d.up.drop()
	d.down.drop()
	for _, c := range cs {
		c.lost(why)
	}
}
