//go:build !unix

package proxy

import (
	"net"
	"syscall"
)

// socketError is unavailable here: the reset shows on the next write.
func socketError(*net.TCPConn) syscall.Errno { return 0 }
