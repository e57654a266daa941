//go:build linux

package tcpstate

import (
	"net"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/timeline"
)

// pair opens a loopback connection and returns both ends' sockets.
func pair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

func ends(t *testing.T, c *net.TCPConn) (client, server End) {
	e, ok := FromAddrs(c.LocalAddr().String(), c.RemoteAddr().String())
	if !ok {
		t.Fatalf("addresses %v %v", c.LocalAddr(), c.RemoteAddr())
	}
	return e, e.Reversed()
}

// reader makes a Reader for one test, or skips it where the kernel's
// table cannot be read.
func reader(t *testing.T) *Reader {
	t.Helper()
	r, err := New()
	if err != nil {
		t.Skipf("no sock_diag here: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// settle gives loopback's ACKs their microseconds.
func settle() { time.Sleep(20 * time.Millisecond) }

func lookup(t *testing.T, r *Reader, es ...End) []Result {
	t.Helper()
	out := make([]Result, len(es))
	if err := r.Lookup(es, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func states(rs []Result) []string {
	var s []string
	for _, r := range rs {
		s = append(s, r.State)
	}
	return s
}

// TestLifecycle walks a connection through the states a playground
// lesson shows and reads each from the kernel: the side that closes first
// passes FIN_WAIT2 and sits in TIME_WAIT; the other waits in CLOSE_WAIT
// until it closes too.
func TestLifecycle(t *testing.T) {
	r := reader(t)
	c, s := pair(t)
	defer c.Close()
	ce, se := ends(t, c)
	want := func(step string, client, server string) {
		t.Helper()
		got := lookup(t, r, ce, se)
		if got[0].State != client || got[1].State != server {
			t.Errorf("%s: client %s, server %s; want %s, %s", step, got[0].State, got[1].State, client, server)
		}
	}
	want("open", timeline.StateEstablished, timeline.StateEstablished)
	if rc, err := c.SyscallConn(); err != nil {
		t.Fatal(err)
	} else if st, err := Held(rc); err != nil || st != timeline.StateEstablished {
		t.Errorf("Held = %s, %v", st, err)
	}

	s.Close() // the server closes first
	settle()
	want("server closed", timeline.StateCloseWait, timeline.StateFinWait2)
	got := lookup(t, r, se)
	if got[0].Timer <= 0 || got[0].Timer > 61*time.Second {
		t.Errorf("orphaned FIN_WAIT2 timer %v; want the kernel's fin timeout", got[0].Timer)
	}

	c.CloseWrite() // the client's FIN: its end goes LAST_ACK then CLOSED, the server's TIME_WAIT
	settle()
	want("both closed", timeline.StateClosed, timeline.StateTimeWait)
	tw := lookup(t, r, se)[0]
	if tw.Timer <= 50*time.Second || tw.Timer > 60*time.Second {
		t.Errorf("TIME_WAIT timer %v; want about 60 s", tw.Timer)
	}
	rc, _ := c.SyscallConn()
	if st, err := Held(rc); err != nil || st != timeline.StateClosed {
		t.Errorf("the held client end: %s, %v; want CLOSED", st, err)
	}
}

// TestHalfClose: a client's FIN leaves it in FIN_WAIT2 while a server
// that never closes sits in CLOSE_WAIT.
func TestHalfClose(t *testing.T) {
	r := reader(t)
	c, s := pair(t)
	defer c.Close()
	defer s.Close()
	ce, se := ends(t, c)
	c.CloseWrite()
	settle()
	if got := states(lookup(t, r, ce, se)); got[0] != timeline.StateFinWait2 || got[1] != timeline.StateCloseWait {
		t.Errorf("states %v; want FIN_WAIT2, CLOSE_WAIT", got)
	}
}

// TestReset: an abort (SO_LINGER 0) takes both ends out of the table.
func TestReset(t *testing.T) {
	r := reader(t)
	c, s := pair(t)
	defer s.Close()
	ce, se := ends(t, c)
	c.SetLinger(0)
	c.Close()
	settle()
	if got := states(lookup(t, r, ce, se)); got[0] != timeline.StateClosed || got[1] != timeline.StateClosed {
		t.Errorf("states %v; want CLOSED, CLOSED", got)
	}
}

// TestListenerIsNotTheEnd: a lookup of a gone connection whose server
// still listens on the port must not report the listener.
func TestListenerIsNotTheEnd(t *testing.T) {
	r := reader(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	local, _ := FromAddrs(ln.Addr().String(), "127.0.0.1:1")
	if got := lookup(t, r, local)[0].State; got != timeline.StateClosed {
		t.Errorf("state %s; want CLOSED", got)
	}
}

func TestBatchBound(t *testing.T) {
	r := reader(t)
	es := make([]End, MaxBatch+1)
	if err := r.Lookup(es, make([]Result, len(es))); err == nil {
		t.Error("an oversized batch was accepted")
	}
}

func BenchmarkLookup(b *testing.B) {
	r, err := New()
	if err != nil {
		b.Skip(err)
	}
	defer r.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	c, _ := net.Dial("tcp", ln.Addr().String())
	defer c.Close()
	e, _ := FromAddrs(c.LocalAddr().String(), c.RemoteAddr().String())
	es := []End{e, e.Reversed()}
	out := make([]Result, 2)
	for b.Loop() {
		if err := r.Lookup(es, out); err != nil {
			b.Fatal(err)
		}
	}
}
