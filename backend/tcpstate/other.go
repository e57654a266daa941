//go:build !linux

package tcpstate

import (
	"errors"
	"syscall"
)

// Reader is unavailable here: only Linux has sock_diag.
type Reader struct{}

// Shared reports that the kernel's socket table cannot be read here.
func Shared() (*Reader, error) { return nil, errors.ErrUnsupported }

// New reports that the kernel's socket table cannot be read here.
func New() (*Reader, error) { return nil, errors.ErrUnsupported }

// Lookup is never reached: there is no Reader.
func (r *Reader) Lookup(ends []End, out []Result) error { return errors.ErrUnsupported }

// Held reports that TCP_INFO is not read here.
func Held(rc syscall.RawConn) (string, error) { return "", errors.ErrUnsupported }

// Close does nothing: there is no Reader.
func (r *Reader) Close() error { return nil }
