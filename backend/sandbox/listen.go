package sandbox

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
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
//
// A port handed out in turn is predictable, and loopback is open to every
// program on the machine, so a demo server's listener is a gate (Listener):
// it hands its runtime only the connections its own session's tunnel
// announced, and the tunnel dials only a listener that is open.
const (
	portFirst = 20000
	portLast  = 32000
	// listenTries bounds the ports tried before falling back to port 0
	// (a port may be taken by another program or a live demo server).
	listenTries = 64
)

// nextPort starts at a random point of the range so that several
// playground processes on one machine (a test run's packages, a second
// instance) do not all walk the same ports from the bottom, each failing
// the binds the others already hold.
var nextPort = func() *atomic.Uint32 {
	var n atomic.Uint32
	n.Store(uint32(rand.IntN(portLast - portFirst + 1)))
	return &n
}()

// Listen opens a demo server's listener on 127.0.0.1. Sessions make one per
// demo server and pass it in Config.Listener.
func Listen() (*Listener, error) {
	for range listenTries {
		p := portFirst + int(nextPort.Add(1)%(portLast-portFirst+1))
		if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p))); err == nil {
			return newListener(ln.(*net.TCPListener)), nil
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return newListener(ln.(*net.TCPListener)), nil
}

// ErrRefused is what dialing a closed Listener returns: the connection is
// refused without a packet sent, whatever has taken the port since.
var ErrRefused = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}

// Listener is a demo server's listener and the gate in front of it. Its
// session's tunnel dials it with Dial, which binds the client socket to a
// local port of its own and announces that address before the connect;
// Accept hands the runtime only announced connections, and resets any
// other (another program on the machine, a stale dial) before reading or
// writing a byte. A closed Listener is never dialed: Dial answers
// ErrRefused, so a session reaches only a listener it owns now, even after
// the port has gone to someone else.
//
// Nobody else can dial from an announced address: the tunnel's socket
// holds that port from before the announcement until it closes, and binds
// it with SO_REUSEPORT, which the kernel lets another socket share only
// when it belongs to the same user (or is a TIME_WAIT left by one). A
// program running as the playground's own user could do anything to it
// anyway.
//
// Accept also outlasts running out of descriptors (EMFILE and the like):
// it tells the session once (OnTrouble) and tries again with backoff, as
// net/http's Server does, instead of ending the runtime's accept loop.
type Listener struct {
	tl   *net.TCPListener
	addr netip.AddrPort
	stop chan struct{} // closed by Close
	// open admits every connection: set only for a runtime started
	// without a session (Config.Listen).
	open bool

	mu       sync.Mutex
	closed   bool
	expected map[netip.AddrPort]bool // announced by Dial, not yet accepted
	trouble  func(error)
	troubled bool // trouble was reported since the last good accept

	strangers atomic.Int64
}

func newListener(tl *net.TCPListener) *Listener {
	return &Listener{
		tl:       tl,
		addr:     tl.Addr().(*net.TCPAddr).AddrPort(),
		stop:     make(chan struct{}),
		expected: map[netip.AddrPort]bool{},
	}
}

// Addr is the listening address.
func (l *Listener) Addr() net.Addr { return l.tl.Addr() }

// OnTrouble sets what hears of trouble of the playground's own that keeps
// the gate from accepting for a while (out of descriptors). It is called
// once per spell of trouble and must not block.
func (l *Listener) OnTrouble(f func(error)) {
	l.mu.Lock()
	l.trouble = f
	l.mu.Unlock()
}

// Strangers counts the connections Accept reset because they were not
// announced.
func (l *Listener) Strangers() int64 { return l.strangers.Load() }

// Close closes the listener. Announced connections that Accept has not
// taken yet are left to the kernel, which resets them.
func (l *Listener) Close() error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.stop)
	}
	l.mu.Unlock()
	return l.tl.Close()
}

// Closed reports whether Close has been called.
func (l *Listener) Closed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Accept waits for the next announced connection.
func (l *Listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		tc, err := l.tl.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || !retryable(err) {
				return nil, err
			}
			// As net/http's Server: 5 ms, doubling, at most 1 s.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			l.report(err)
			select {
			case <-time.After(delay):
			case <-l.stop:
				return nil, err
			}
			continue
		}
		delay = 0
		peer := tc.RemoteAddr().(*net.TCPAddr).AddrPort()
		l.mu.Lock()
		l.troubled = false
		ok := l.expected[peer]
		delete(l.expected, peer)
		l.mu.Unlock()
		if ok || l.open {
			return tc, nil
		}
		l.strangers.Add(1)
		tc.SetLinger(0) // a reset, and nothing read
		tc.Close()
	}
}

// retryable says whether an accept error passes: the process or the
// machine is out of something for now, or the connection was gone before
// it could be taken.
func retryable(err error) bool {
	if outOfResources(err) {
		return true
	}
	var errno syscall.Errno
	return errors.As(err, &errno) && errno.Temporary()
}

// outOfResources says whether err is the process or the machine running
// out of descriptors, buffers or local ports: trouble of the playground's
// own, not something the demo program or the person did.
func outOfResources(err error) bool {
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.EADDRNOTAVAIL} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// OutOfResources reports whether a dial or accept failed because the
// playground ran out of descriptors, buffers or local ports.
func OutOfResources(err error) bool { return outOfResources(err) }

func (l *Listener) report(err error) {
	l.mu.Lock()
	f, first := l.trouble, !l.troubled && outOfResources(err)
	if first {
		l.troubled = true
	}
	l.mu.Unlock()
	if first && f != nil {
		f(fmt.Errorf("the demo server cannot accept connections for now (%v); it keeps trying", unwrapErrno(err)))
	}
}

func unwrapErrno(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// DialFunc dials addr with d; Dial passes a Dialer whose Control binds and
// announces the socket. Tests wrap it to see every address a session dials.
type DialFunc func(ctx context.Context, d *net.Dialer, addr string) (net.Conn, error)

// DialTCP is the DialFunc that dials.
func DialTCP(ctx context.Context, d *net.Dialer, addr string) (net.Conn, error) {
	return d.DialContext(ctx, "tcp", addr)
}

// Dial connects to the listener from a local address announced to it
// first, or refuses (ErrRefused) without sending a packet once the
// listener is closed. timeout bounds the connect.
func (l *Listener) Dial(ctx context.Context, timeout time.Duration, dial DialFunc) (*net.TCPConn, error) {
	if l.Closed() {
		return nil, ErrRefused
	}
	var local netip.AddrPort
	d := &net.Dialer{Timeout: timeout, Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		local, err = l.announce(rc)
		return err
	}}
	var nc net.Conn
	var err error
	for range dialTries {
		local = netip.AddrPort{}
		nc, err = dial(ctx, d, l.addr.String())
		if err == nil {
			break
		}
		if local.IsValid() {
			l.forget(local)
		}
		if errors.Is(err, errClosedWhileDialing) {
			return nil, ErrRefused
		}
		// The local port is ours to share with our own sockets, and one
		// of them may hold the same pair of ports still (after the
		// ports have gone round): take the next.
		if !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return nil, err
		}
	}
	if err != nil {
		return nil, err
	}
	tc := nc.(*net.TCPConn)
	// Open now means open since the announcement, so the connection went
	// to this listener; closed and not accepted means the connect may
	// have reached whatever took the port in between: drop it unused.
	l.mu.Lock()
	reached := !l.closed || !l.expected[local]
	if !reached {
		delete(l.expected, local)
	}
	l.mu.Unlock()
	if !reached {
		tc.SetLinger(0)
		tc.Close()
		return nil, ErrRefused
	}
	return tc, nil
}

// dialTries bounds the connects tried from other local ports when the
// pair of ports is taken.
const dialTries = 4

// errClosedWhileDialing ends a dial whose listener closed before the
// connect was sent.
var errClosedWhileDialing = errors.New("the demo server's listener closed")

// announce binds the socket to a local port and announces it, before
// the connect.
func (l *Listener) announce(rc syscall.RawConn) (netip.AddrPort, error) {
	port, err := bindLocal(rc)
	if err != nil {
		return netip.AddrPort{}, err
	}
	local := netip.AddrPortFrom(l.addr.Addr(), port)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return netip.AddrPort{}, errClosedWhileDialing
	}
	l.expected[local] = true
	return local, nil
}

func (l *Listener) forget(local netip.AddrPort) {
	l.mu.Lock()
	delete(l.expected, local)
	l.mu.Unlock()
}

// The tunnel's client ends take their ports in turn from the kernel's
// ephemeral range, as the kernel would, but chosen before the connect so
// that they can be announced. A port still held (by another connection
// or a TIME_WAIT of someone else's) fails to bind in one lookup, and the
// next is tried; after bindTries the kernel picks one.
const bindTries = 64

var (
	nextLocal  atomic.Uint32
	localRange = sync.OnceValues(ephemeralRange)
)

// ephemeralRange reads the kernel's ephemeral port range.
func ephemeralRange() (first, last int) {
	first, last = 32768, 60999 // Linux's default
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return first, last
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return first, last
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || lo < 1024 || hi > 65535 || lo >= hi {
		return first, last
	}
	return lo, hi
}

// nextLocalPort is the next client port in turn.
func nextLocalPort() int {
	first, last := localRange()
	return first + int(nextLocal.Add(1)%uint32(last-first+1))
}
