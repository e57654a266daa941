//go:build linux

package sandbox

import (
	"errors"
	"syscall"
)

// soReusePort is Linux's SO_REUSEPORT, which package syscall does not name.
const soReusePort = 0xf

// bindLocal binds a tunnel socket to 127.0.0.1 and a port of its own
// before it connects, and says which port. SO_REUSEPORT lets it take a
// port whose last connection of ours is in TIME_WAIT, while a socket of
// another user still cannot share it (see Listener).
func bindLocal(rc syscall.RawConn) (uint16, error) {
	var port int
	var err error
	cerr := rc.Control(func(fd uintptr) {
		s := int(fd)
		if err = syscall.SetsockoptInt(s, syscall.SOL_SOCKET, soReusePort, 1); err != nil {
			return
		}
		loopback := [4]byte{127, 0, 0, 1}
		for range bindTries {
			err = syscall.Bind(s, &syscall.SockaddrInet4{Port: nextLocalPort(), Addr: loopback})
			if !errors.Is(err, syscall.EADDRINUSE) {
				break
			}
		}
		if errors.Is(err, syscall.EADDRINUSE) {
			err = syscall.Bind(s, &syscall.SockaddrInet4{Addr: loopback}) // the kernel's pick
		}
		if err != nil {
			return
		}
		var sa syscall.Sockaddr
		if sa, err = syscall.Getsockname(s); err == nil {
			if in4, ok := sa.(*syscall.SockaddrInet4); ok {
				port = in4.Port
			} else {
				err = errors.New("the tunnel's socket is not IPv4")
			}
		}
	})
	if cerr != nil {
		return 0, cerr
	}
	if err != nil {
		return 0, &bindError{err}
	}
	return uint16(port), nil
}

// bindError keeps the system call's name in the message, as net's own
// errors do: "bind: address already in use".
type bindError struct{ err error }

func (e *bindError) Error() string { return "bind: " + e.err.Error() }
func (e *bindError) Unwrap() error { return e.err }
