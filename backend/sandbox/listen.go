package sandbox

import (
	"net"
	"strconv"
	"sync/atomic"
)

// Demo servers listen on loopback ports handed out in turn from
// [portFirst, portLast], below the kernel's ephemeral range (where the
// tunnel's client ends live). Binding port 0 would make the kernel search
// the ephemeral range for a free port, and while a class runs scenarios
// that range fills with TIME_WAIT sockets — the demo servers close their
// connections, so TIME_WAIT stays on their side — until the search is the
// playground's main cost. Binding a chosen port is one lookup, and
// SO_REUSEADDR (which Go sets on listeners) lets a listener take a port
// whose old connections are still in TIME_WAIT.
const (
	portFirst = 20000
	portLast  = 32000
	// listenTries bounds the ports tried before falling back to port 0
	// (a port may be taken by another program or a live demo server).
	listenTries = 64
)

var nextPort atomic.Uint32

// Listen opens a demo server's listener on 127.0.0.1.
func Listen() (net.Listener, error) {
	for range listenTries {
		p := portFirst + int(nextPort.Add(1)%(portLast-portFirst+1))
		if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p))); err == nil {
			return ln, nil
		}
	}
	return net.Listen("tcp", "127.0.0.1:0")
}
