//go:build unix

package emulated

import (
	"net"
	"syscall"
)

// pending reports whether anything is waiting to be read on tc — the
// peer's FIN or RST, or stray bytes — without taking it and without
// blocking: nginx's recv(fd, buf, 1, MSG_PEEK) in its keepalive close
// handler, which closes a cached connection on any of them.
func pending(tc *net.TCPConn) bool {
	rc, err := tc.SyscallConn()
	if err != nil {
		return true
	}
	dead := false
	rc.Control(func(fd uintptr) {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
		case err != nil, n >= 0:
			dead = true
		}
	})
	return dead
}
