//go:build unix

package proxy

import (
	"net"
	"syscall"
)

// socketError reads and clears the socket's pending error (SO_ERROR), as
// session does for the client's connections.
func socketError(tc *net.TCPConn) syscall.Errno {
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
