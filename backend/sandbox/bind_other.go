//go:build !linux

package sandbox

import (
	"errors"
	"syscall"
)

// bindLocal needs Linux's socket options; elsewhere the tunnel cannot
// announce its connections, and the gate admits none.
func bindLocal(syscall.RawConn) (uint16, error) {
	return 0, errors.New("the playground's tunnel needs Linux")
}
