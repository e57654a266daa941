//go:build !unix

package proxy

import (
	"net"
	"syscall"
)

// SocketError is unavailable here: the reset shows on the next write.
func SocketError(*net.TCPConn) syscall.Errno { return 0 }

// peerClosed cannot look without reading here.
func peerClosed(*net.TCPConn) bool { return false }
