package sandbox

import (
	"net"
	"strconv"
	"testing"
)

func TestListenHandsOutDistinctLoopbackPorts(t *testing.T) {
	seen := map[string]bool{}
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range 100 {
		ln, err := Listen()
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		addr := ln.Addr().(*net.TCPAddr)
		if !addr.IP.IsLoopback() {
			t.Errorf("listening on %v, not loopback", addr)
		}
		if seen[addr.String()] {
			t.Errorf("%v handed out twice", addr)
		}
		seen[addr.String()] = true
	}
}

func TestListenSkipsATakenPort(t *testing.T) {
	// Take the next port in turn; Listen must move past it.
	p := portFirst + int((nextPort.Load()+1)%(portLast-portFirst+1))
	taken, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", itoa(p)))
	if err != nil {
		t.Skipf("port %d is in use already: %v", p, err)
	}
	defer taken.Close()
	ln, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if ln.Addr().String() == taken.Addr().String() {
		t.Errorf("Listen returned the taken port %v", ln.Addr())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
