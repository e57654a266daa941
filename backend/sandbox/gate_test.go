package sandbox_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/sandbox/sandboxtest"
)

// accepted runs ln's accept loop and hands over what it returns.
func accepted(t *testing.T, ln *sandbox.Listener) <-chan net.Conn {
	t.Helper()
	ch := make(chan net.Conn, 64)
	go func() {
		defer close(ch)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ch <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for c := range ch {
			c.Close()
		}
	})
	return ch
}

func dial(t *testing.T, ln *sandbox.Listener) *net.TCPConn {
	t.Helper()
	tc, err := ln.Dial(context.Background(), time.Second, sandbox.DialTCP)
	if err != nil {
		t.Fatalf("dial the gate: %v", err)
	}
	t.Cleanup(func() { tc.Close() })
	return tc
}

// TestGateResetsStrangers: a connection the session's tunnel did not
// announce (another program on the machine, a stale dial) is reset before
// a byte is read or written, and the runtime never sees it; the tunnel's
// own connection goes through.
func TestGateResetsStrangers(t *testing.T) {
	ln, err := sandbox.Listen()
	if err != nil {
		t.Fatal(err)
	}
	conns := accepted(t, ln)
	for i := range 3 {
		stranger, err := net.Dial("tcp", ln.Addr().String())
		if errors.Is(err, syscall.ECONNRESET) {
			continue // reset before the connect even returned
		}
		if err != nil {
			t.Fatal(err)
		}
		stranger.Write([]byte("GET / HTTP/1.1\r\nHost: demo\r\n\r\n"))
		stranger.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := stranger.Read(make([]byte, 100))
		if n != 0 || !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
			t.Errorf("stranger %d read %d bytes, %v; want a reset", i, n, err)
		}
		stranger.Close()
	}
	tc := dial(t, ln)
	select {
	case c := <-conns:
		if c.RemoteAddr().String() != tc.LocalAddr().String() {
			t.Errorf("the runtime got %v, want the tunnel's %v", c.RemoteAddr(), tc.LocalAddr())
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the tunnel's own connection was not accepted")
	}
	if n := ln.Strangers(); n != 3 {
		t.Errorf("Strangers = %d, want 3", n)
	}
}

// TestDialAClosedListenerSendsNothing is the stale-port attack: once a
// session's listener has closed, its port may go to anyone, and the
// tunnel must not reach whoever has it. Dial refuses without a packet.
func TestDialAClosedListenerSendsNothing(t *testing.T) {
	ln, err := sandbox.Listen()
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	squatter, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port went elsewhere before the test could take it: %v", err)
	}
	defer squatter.Close()
	_, err = ln.Dial(context.Background(), time.Second, sandbox.DialTCP)
	if !errors.Is(err, syscall.ECONNREFUSED) || err.Error() != "dial tcp: connect: connection refused" {
		t.Errorf("Dial after Close = %v, want a refusal", err)
	}
	squatter.(*net.TCPListener).SetDeadline(time.Now().Add(200 * time.Millisecond))
	if c, err := squatter.Accept(); err == nil {
		c.Close()
		t.Error("the dial reached the program that took the closed listener's port")
	}
}

// TestAnnouncedPortIsHeld: the address a tunnel connection announced is
// bound by it alone; another socket cannot take it and pose as it.
func TestAnnouncedPortIsHeld(t *testing.T) {
	ln, err := sandbox.Listen()
	if err != nil {
		t.Fatal(err)
	}
	accepted(t, ln)
	tc := dial(t, ln)
	local := tc.LocalAddr().String()
	// Go's listeners set SO_REUSEADDR, a squatter's usual trick.
	if l, err := net.Listen("tcp", local); err == nil {
		l.Close()
		t.Errorf("another socket could bind the tunnel's address %s", local)
	}
	d := net.Dialer{LocalAddr: tc.LocalAddr()}
	if c, err := d.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Errorf("another socket could dial from the tunnel's address %s", local)
	}
}

func TestDialTakesLocalPortsInTurn(t *testing.T) {
	ln, err := sandbox.Listen()
	if err != nil {
		t.Fatal(err)
	}
	accepted(t, ln)
	first, last := sandbox.LocalRange()
	seen := map[int]bool{}
	for range 20 {
		p := dial(t, ln).LocalAddr().(*net.TCPAddr).Port
		if p < first || p > last {
			t.Errorf("local port %d is outside the ephemeral range %d-%d", p, first, last)
		}
		if seen[p] {
			t.Errorf("local port %d used twice", p)
		}
		seen[p] = true
	}
}

// TestAcceptOutlastsRunningOutOfFiles: with no descriptor left, accept
// fails with EMFILE; the gate says so once and keeps trying, and the
// connection goes through as soon as a descriptor is free (the Node
// runtime's accept loop used to end for good on the first error).
func TestAcceptOutlastsRunningOutOfFiles(t *testing.T) {
	ln, err := sandbox.Listen()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var trouble []string
	ln.OnTrouble(func(err error) {
		mu.Lock()
		trouble = append(trouble, err.Error())
		mu.Unlock()
	})
	conns := accepted(t, ln)
	// Run the accept loop into its blocking wait before descriptors run out.
	time.Sleep(20 * time.Millisecond)

	fill := sandboxtest.ExhaustFiles(t)
	fill.Release(1) // one for the tunnel's socket; none for the accept
	tc := dial(t, ln)
	time.Sleep(100 * time.Millisecond)
	select {
	case c := <-conns:
		c.Close()
		t.Fatal("accepted with no descriptor free: the test proves nothing")
	default:
	}
	fill.Release(-1)
	select {
	case c := <-conns:
		if c.RemoteAddr().String() != tc.LocalAddr().String() {
			t.Errorf("accepted %v, want %v", c.RemoteAddr(), tc.LocalAddr())
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the gate did not accept once descriptors were free again")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(trouble) != 1 || !strings.Contains(trouble[0], "too many open files") {
		t.Errorf("trouble reported = %q, want one sentence about open files", trouble)
	}
}

// BenchmarkTunnelDial is the tunnel's connect through the gate (bind to an
// announced port, connect, accept) against a plain connect, which lets
// the kernel pick the local port.
func BenchmarkTunnelDial(b *testing.B) {
	for _, gated := range []bool{true, false} {
		name := map[bool]string{true: "gate", false: "plain"}[gated]
		b.Run(name, func(b *testing.B) {
			listen := sandbox.Listen
			if !gated {
				// A runtime started without a session admits anyone.
				listen = sandbox.Config{}.Listen
			}
			ln, err := listen()
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			for b.Loop() {
				var c net.Conn
				if gated {
					c, err = ln.Dial(context.Background(), time.Second, sandbox.DialTCP)
				} else {
					c, err = net.Dial("tcp", ln.Addr().String())
				}
				if err != nil {
					b.Fatal(err)
				}
				s, err := ln.Accept()
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
				c.Close()
			}
		})
	}
}
