package pool

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// recorder is a send func that keeps what it was given.
type recorder struct {
	mu   sync.Mutex
	msgs []wire.Msg
}

func (r *recorder) send(m wire.Msg) {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ts []string
	for _, m := range r.msgs {
		ts = append(ts, m.Type)
	}
	return ts
}

func ev(conn, kind string, f func(*timeline.Event)) wire.Msg {
	e := &timeline.Event{Conn: conn, Kind: kind}
	if f != nil {
		f(e)
	}
	return wire.Msg{Type: wire.Ev, Event: e}
}

// connected returns a vconn past its connect event.
func connected(t *testing.T) (*vconn, *recorder) {
	t.Helper()
	r := &recorder{}
	c := newVconn("P1", r.send, func(*vconn) {})
	c.deliver(ev("P1", timeline.Connect, nil))
	if err := c.dial(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c, r
}

func TestVconnRead(t *testing.T) {
	tests := []struct {
		name    string
		msgs    []wire.Msg
		want    string
		wantErr string
		is      error
	}{
		{"data then eof", []wire.Msg{ev("P1", timeline.Recv, func(e *timeline.Event) { e.Data = "HTTP/1.1" }), {Type: wire.EOF, Conn: "P1"}}, "HTTP/1.1", "EOF", io.EOF},
		{"reset by server", []wire.Msg{ev("P1", timeline.Reset, func(e *timeline.Event) { e.By, e.Error = timeline.ByServer, "read: connection reset by peer" })}, "", "read tcp P1->demo:80: read: connection reset by peer", syscall.ECONNRESET},
		{"backend error, then the reset it was about", []wire.Msg{
			{Type: wire.Error, Conn: "P1", Code: wire.CodeConn, Message: "connection P1 was reset; open a new one"},
			ev("P1", timeline.Reset, func(e *timeline.Event) { e.By = timeline.ByServer }),
		}, "", "read tcp P1->demo:80: read: connection reset by peer", syscall.ECONNRESET},
		{"backend gives up", []wire.Msg{{Type: wire.Error, Conn: "P1", Code: wire.CodeLimit, Message: "too much"}}, "", "read tcp P1->demo:80: too much", nil},
		{"other events are not data", []wire.Msg{ev("P1", timeline.Request, nil), ev("P1", timeline.Close, func(e *timeline.Event) { e.By = timeline.ByServer }), {Type: wire.EOF, Conn: "P1"}}, "", "EOF", io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := connected(t)
			for _, m := range tt.msgs {
				c.deliver(m)
			}
			got, err := io.ReadAll(struct{ io.Reader }{c})
			if err == nil {
				err = io.EOF // ReadAll swallows it
			}
			if string(got) != tt.want || err.Error() != tt.wantErr {
				t.Errorf("read %q, %v; want %q, %s", got, err, tt.want, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("%v is not %v", err, tt.is)
			}
		})
	}
}

func TestVconnDeadline(t *testing.T) {
	const wait = 30 * time.Millisecond
	c, _ := connected(t)
	start := time.Now()
	c.SetReadDeadline(start.Add(wait))
	_, err := c.Read(make([]byte, 8))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %v, want a timeout", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("%v is not a net.Error timeout", err)
	}
	if d := time.Since(start); d < wait {
		t.Errorf("timed out after %v, before the %v deadline", d, wait)
	}
	// A deadline moved while a read waits takes effect: data still wins.
	c.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(wait)
		c.deliver(ev("P1", timeline.Recv, func(e *timeline.Event) { e.Data = "x" }))
	}()
	if n, err := c.Read(make([]byte, 8)); n != 1 || err != nil {
		t.Errorf("read %d, %v after the deadline was cleared", n, err)
	}
	c.SetWriteDeadline(time.Now().Add(-time.Second))
	if _, err := c.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("write past its deadline: %v", err)
	}
}

func TestVconnWriteClose(t *testing.T) {
	c, r := connected(t)
	big := bytes.Repeat([]byte("a"), 2*wire.MaxWriteBytes+1)
	if n, err := c.Write(big); n != len(big) || err != nil {
		t.Fatalf("write %d, %v", n, err)
	}
	big[0] = 'b' // the messages hold their own copy
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second close: %v", err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	if got, want := strings.Join(r.types(), " "), "open write write write shut"; got != want {
		t.Fatalf("sent %s, want %s", got, want)
	}
	var sizes []int
	for _, m := range r.msgs[1:4] {
		if m.Conn != "P1" || m.Data[0] != 'a' {
			t.Errorf("write %+v", m)
		}
		sizes = append(sizes, len(m.Data))
	}
	if sizes[0] != wire.MaxWriteBytes || sizes[1] != wire.MaxWriteBytes || sizes[2] != 1 {
		t.Errorf("write sizes %v", sizes)
	}
}

func TestVconnNoShutAfterReset(t *testing.T) {
	c, r := connected(t)
	c.deliver(ev("P1", timeline.Reset, func(e *timeline.Event) { e.By = timeline.ByServer }))
	if _, err := c.Write([]byte("x")); err == nil || err.Error() != "write tcp P1->demo:80: write: broken pipe" || !errors.Is(err, syscall.EPIPE) {
		t.Errorf("write after reset: %v", err)
	}
	c.Close()
	if got := strings.Join(r.types(), " "); got != "open" {
		t.Errorf("sent %s after a reset; want nothing after open", got)
	}
}

func TestVconnDial(t *testing.T) {
	tests := []struct {
		name  string
		reply *wire.Msg
		ctx   time.Duration
		want  string
		is    error
		sent  string
	}{
		{"refused", new(ev("P1", timeline.Refused, func(e *timeline.Event) { e.Error = "connect: connection refused" })), 0, "dial tcp demo:80: connect: connection refused", syscall.ECONNREFUSED, "open"},
		{"limit", &wire.Msg{Type: wire.Error, Conn: "P1", Code: wire.CodeLimit, Message: "at most 32 connections may be open at once"}, 0, "dial tcp demo:80: at most 32 connections may be open at once", nil, "open"},
		{"given up", nil, 20 * time.Millisecond, "dial tcp demo:80: context deadline exceeded", context.DeadlineExceeded, "open reset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			closed := false
			c := newVconn("P1", r.send, func(*vconn) { closed = true })
			ctx := context.Background()
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			if tt.reply != nil {
				go func() {
					time.Sleep(5 * time.Millisecond)
					c.deliver(*tt.reply)
				}()
			}
			err := c.dial(ctx)
			if err == nil || err.Error() != tt.want || tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("dial: %v, want %s", err, tt.want)
			}
			if got := strings.Join(r.types(), " "); got != tt.sent {
				t.Errorf("sent %s, want %s", got, tt.sent)
			}
			if closed != (tt.ctx > 0) {
				t.Errorf("pool told of close: %v", closed)
			}
			// Late events for a given-up connection change nothing.
			c.deliver(ev("P1", timeline.Connect, nil))
			if _, err := c.Read(make([]byte, 1)); err == nil {
				t.Error("read on a failed dial succeeded")
			}
		})
	}
}

func TestOwns(t *testing.T) {
	p := New(func(wire.Msg) {}, Options{Prefix: "Q"})
	p.d.next = 12
	for label, want := range map[string]bool{"Q1": true, "Q12": true, "Q13": false, "Q0": false, "Q01": false, "Q": false, "P1": false, "Qx": false, "": false} {
		if got := p.Owns(label); got != want {
			t.Errorf("Owns(%q) = %v, want %v", label, got, want)
		}
	}
}

func TestSysError(t *testing.T) {
	tests := []struct {
		text string
		want string
		is   error
	}{
		{"connect: connection refused", "connect: connection refused", syscall.ECONNREFUSED},
		{"", "connect: connection refused", syscall.ECONNREFUSED},
		{"connect: connection timed out", "connect: connection timed out", syscall.ETIMEDOUT},
		{"dial tcp: something else", "connect: dial tcp: something else", nil},
		{"no colon", "connect: no colon", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			err := sysError(tt.text, "connect", syscall.ECONNREFUSED)
			if err.Error() != tt.want || tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("got %v, want %s (is %v)", err, tt.want, tt.is)
			}
		})
	}
}

// FuzzDeliver feeds the pool decoded backend messages: whatever arrives,
// Deliver neither panics nor blocks, and a connection stays readable.
func FuzzDeliver(f *testing.F) {
	f.Add([]byte(`{"type":"event","seq":1,"event":{"t":1,"conn":"P1","kind":"connect"}}`))
	f.Add([]byte(`{"type":"event","seq":2,"event":{"t":2,"conn":"P1","kind":"recv","data":"HTTP/1.1 200 OK\r\n"}}`))
	f.Add([]byte(`{"type":"event","seq":3,"event":{"t":3,"conn":"P1","kind":"reset","by":"server","error":"read: connection reset by peer"}}`))
	f.Add([]byte(`{"type":"event","seq":3,"event":{"t":3,"conn":"P1","kind":"refused","error":"connect: connection refused"}}`))
	f.Add([]byte(`{"type":"eof","conn":"P1"}`))
	f.Add([]byte(`{"type":"error","code":"limit","conn":"P1","message":"too much"}`))
	f.Add([]byte(`{"type":"bye","message":"going away"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := wire.Decode(b)
		if err != nil {
			return
		}
		p := New(func(wire.Msg) {}, Options{})
		c := newVconn("P1", func(wire.Msg) {}, p.d.closed)
		p.d.next = 1
		p.d.conns["P1"] = c
		p.Deliver(m)
		c.SetReadDeadline(time.Now().Add(-time.Second))
		c.Read(make([]byte, 16))
	})
}
