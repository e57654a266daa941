package attack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// page is an attacker's WebSocket client speaking the page's protocol. Its
// caller is its only reader.
type page struct {
	c      *websocket.Conn
	events []timeline.Event
	errs   []wire.Msg
}

// openPage says hello as the page does and waits for the default scenario.
func openPage(ctx context.Context, base string) (*page, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.DialContext(ctx, wsURL(base), http.Header{"Origin": {base}})
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (HTTP %s)", err, resp.Status)
		}
		return nil, fmt.Errorf("open a session: %w", err)
	}
	p := &page{c: c}
	if err := p.send(wire.Msg{Type: wire.Hello, V: wire.Version}); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := p.until(5*time.Second, isType(wire.Loaded)); err != nil {
		c.Close()
		return nil, err
	}
	return p, nil
}

func wsURL(base string) string { return "ws" + strings.TrimPrefix(base, "http") + "/ws" }

func (p *page) send(m wire.Msg) error {
	data, err := wire.Encode(m)
	if err != nil {
		return err
	}
	return p.raw(data)
}

func (p *page) raw(data []byte) error {
	p.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return p.c.WriteMessage(websocket.TextMessage, data)
}

// until reads until a message satisfies ok, for at most d; it keeps the
// events and errors it reads on the way.
func (p *page) until(d time.Duration, ok func(wire.Msg) bool) (wire.Msg, error) {
	p.c.SetReadDeadline(time.Now().Add(d))
	for {
		_, data, err := p.c.ReadMessage()
		if err != nil {
			return wire.Msg{}, err
		}
		m, err := wire.Decode(data)
		if err != nil {
			return wire.Msg{}, fmt.Errorf("a message the protocol does not allow: %w", err)
		}
		switch m.Type {
		case wire.Ev:
			p.events = append(p.events, *m.Event)
		case wire.Error:
			p.errs = append(p.errs, m)
		}
		if ok(m) {
			return m, nil
		}
	}
}

// sync makes sure the session has handled everything sent before.
func (p *page) sync(seq uint64) (wire.Msg, error) {
	if err := p.send(wire.Msg{Type: wire.Ping, Seq: seq}); err != nil {
		return wire.Msg{}, err
	}
	return p.until(20*time.Second, func(m wire.Msg) bool { return m.Type == wire.Pong && m.Seq == seq })
}

// closed reads to the end and returns the close code and reason.
func (p *page) closed(d time.Duration) (int, string) {
	_, err := p.until(d, func(wire.Msg) bool { return false })
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code, ce.Text
	}
	return 0, err.Error()
}

func (p *page) close() {
	p.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	p.c.Close()
}

func isType(typ string) func(wire.Msg) bool { return func(m wire.Msg) bool { return m.Type == typ } }

func isEvent(conn, kind string) func(wire.Msg) bool {
	return func(m wire.Msg) bool { return m.Type == wire.Ev && m.Event.Conn == conn && m.Event.Kind == kind }
}

// pages opens n pages, closing them all if one fails.
func pages(ctx context.Context, base string, n int) ([]*page, error) {
	ps := make([]*page, 0, n)
	for range n {
		p, err := openPage(ctx, base)
		if err != nil {
			closeAll(ps)
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

func closeAll(ps []*page) {
	for _, p := range ps {
		p.close()
	}
}

// Demo servers listen on loopback ports handed out in turn from this range
// (package sandbox), which anyone on the machine can scan.
const demoFirst, demoLast = 20000, 32000

// demoPorts are the ports of the target's demo servers now.
func (e *env) demoPorts() []int {
	var ports []int
	for _, p := range e.t.Ports() {
		if p >= demoFirst && p <= demoLast {
			ports = append(ports, p)
		}
	}
	return ports
}

// listening says whether a connection to port is accepted (a gate accepts,
// then resets it).
func listening(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if c != nil {
		c.Close()
	}
	return err == nil || isReset(err)
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}
