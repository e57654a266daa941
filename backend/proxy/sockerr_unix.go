//go:build unix

package proxy

import (
	"net"
	"syscall"
)

// SocketError reads and clears the socket's pending error (SO_ERROR): the
// RST that a write to a closed peer provoked, which a read after the
// peer's FIN does not report. The session uses it for the client's
// connections, the hop for the proxy's.
func SocketError(tc *net.TCPConn) syscall.Errno {
	rc, err := tc.SyscallConn()
	if err != nil {
		return 0
	}
	var v int
	rc.Control(func(fd uintptr) {
		v, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
	})
	return syscall.Errno(v)
}

// peerClosed reports whether the peer's FIN is waiting on tc (a peek
// that reads 0 bytes), without blocking and without taking anything.
func peerClosed(tc *net.TCPConn) bool {
	rc, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	rc.Control(func(fd uintptr) {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = err == nil && n == 0
	})
	return closed
}
