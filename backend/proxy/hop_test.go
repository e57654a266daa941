package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/keepalive-playground/playground/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hopHarness is a hop in front of a target that runs serve on each
// connection it accepts.
type hopHarness struct {
	hop   *Hop
	start time.Time
	mu    sync.Mutex
	evs   []timeline.Event
	ln    net.Listener
	wg    sync.WaitGroup
}

func newHop(t *testing.T, latency time.Duration, serve func(c *net.TCPConn)) *hopHarness {
	return newHopGated(t, latency, true, serve)
}

func newHopGated(t *testing.T, latency time.Duration, open bool, serve func(c *net.TCPConn)) *hopHarness {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hopHarness{start: time.Now(), ln: ln}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.wg.Add(1)
			go func() { defer h.wg.Done(); serve(c.(*net.TCPConn)) }()
		}
	}()
	n := 0
	h.hop, err = NewHop(HopConfig{
		DialTarget: func(ctx context.Context) (*net.TCPConn, error) {
			var d net.Dialer
			nc, err := d.DialContext(ctx, "tcp", ln.Addr().String())
			if err != nil {
				return nil, err
			}
			return nc.(*net.TCPConn), nil
		},
		Open:    open,
		Latency: latency,
		Now:     func() float64 { return float64(time.Since(h.start).Microseconds()) / 1000 },
		Emit: func(ev timeline.Event) {
			h.mu.Lock()
			h.evs = append(h.evs, ev)
			h.mu.Unlock()
		},
		Admit: func() (string, error) {
			n++
			if n > 2 {
				return "", errors.New("limit")
			}
			return "u" + string(rune('0'+n)), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.hop.Close()
		ln.Close()
		h.wg.Wait()
	})
	return h
}

// all is every event so far (the hop may still be emitting).
func (h *hopHarness) all() []timeline.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]timeline.Event(nil), h.evs...)
}

func (h *hopHarness) events(kind string) []timeline.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []timeline.Event
	for _, e := range h.evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func TestHopDelaysBothWays(t *testing.T) {
	const latency = 60 * time.Millisecond
	h := newHop(t, latency, func(c *net.TCPConn) {
		defer c.Close()
		buf := make([]byte, 16)
		n, _ := c.Read(buf)
		c.Write(buf[:n])
	})
	c, err := net.Dial("tcp", h.hop.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if l := h.hop.Label(c.LocalAddr().String()); l != "u1" {
		t.Fatalf("label %q", l)
	}
	sent := time.Now()
	c.Write([]byte("ping"))
	buf := make([]byte, 16)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("read %q %v", buf[:n], err)
	}
	if rtt := time.Since(sent); rtt < 2*latency {
		t.Errorf("round trip %v, want at least %v", rtt, 2*latency)
	}
	// The target's FIN arrives a latency after its close.
	if _, err := c.Read(buf); err != io.EOF {
		t.Errorf("after the target closed: %v, want EOF", err)
	}
	if len(h.events(timeline.Send)) != 1 || len(h.events(timeline.Recv)) != 1 || len(h.events(timeline.Connect)) != 1 {
		t.Errorf("events %+v", h.all())
	}
	for _, e := range h.all() {
		if e.Hop != timeline.HopUpstream || e.Conn != "u1" {
			t.Errorf("event without its hop or label: %+v", e)
		}
	}
}

func TestHopPassesResets(t *testing.T) {
	h := newHop(t, 20*time.Millisecond, func(c *net.TCPConn) {
		buf := make([]byte, 16)
		c.Read(buf)
		c.SetLinger(0)
		c.Close() // RST
	})
	c, err := net.Dial("tcp", h.hop.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("x"))
	buf := make([]byte, 16)
	if _, err := c.Read(buf); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read %v, want a reset", err)
	}
	if r := h.events(timeline.Reset); len(r) != 1 || r[0].By != timeline.ByServer {
		t.Errorf("resets %+v", r)
	}
}

// A request written after the target closed meets its kernel's RST, which
// the proxy sees after the FIN, as without the hop.
func TestHopWriteAfterServerClose(t *testing.T) {
	h := newHop(t, 20*time.Millisecond, func(c *net.TCPConn) { c.Close() })
	c, err := net.Dial("tcp", h.hop.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 16)
	if _, err := c.Read(buf); err != io.EOF {
		t.Fatalf("read %v, want the FIN", err)
	}
	c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) && len(h.events(timeline.Reset)) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if r := h.events(timeline.Reset); len(r) != 1 {
		t.Errorf("resets %+v", r)
	}
}

func TestHopRefusesOverLimitAndAfterStop(t *testing.T) {
	h := newHop(t, 0, func(c *net.TCPConn) {
		io.Copy(io.Discard, c)
		c.Close()
	})
	var conns []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", h.hop.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	// The third is over the limit: reset at once (while the connect
	// returns, or on the first read).
	if c, err := net.Dial("tcp", h.hop.Addr()); err == nil {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("over the limit: %v, want a reset", err)
		}
		c.Close()
	} else if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("over the limit: %v, want a reset", err)
	}
	for _, c := range conns {
		c.Close()
	}
	h.hop.StopAccepting()
	if c, err := net.Dial("tcp", h.hop.Addr()); err == nil {
		c.Close()
		t.Error("connect after StopAccepting succeeded")
	}
}

// A gated hop lets through only the connections made with its Dial: a
// stranger on the machine that finds its port is reset.
func TestHopGate(t *testing.T) {
	h := newHopGated(t, 0, false, func(c *net.TCPConn) {
		buf := make([]byte, 16)
		n, _ := c.Read(buf)
		c.Write(buf[:n])
		c.Close()
	})
	stranger, err := net.Dial("tcp", h.hop.Addr())
	if err == nil {
		stranger.Write([]byte("x"))
		stranger.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := stranger.Read(make([]byte, 1)); err == nil {
			t.Error("a stranger's connection got through the hop")
		}
		stranger.Close()
	}
	c, err := h.hop.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("ping"))
	buf := make([]byte, 16)
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "ping" {
		t.Errorf("through the gate: %q %v", buf[:n], err)
	}
}
