// Package tcpstate asks the kernel what state a TCP end is in, so that the
// timeline shows the states the kernel really has (ESTABLISHED,
// FIN_WAIT2, CLOSE_WAIT, TIME_WAIT, …) rather than ones inferred from the
// programs' calls.
//
// An end the process still holds is read with TCP_INFO on its socket. Any
// end, the process's own or another's (the demo server's, a real Node's,
// one already closed and sitting in TIME_WAIT), is looked up by its
// address pair in the kernel's socket table through sock_diag netlink
// (inet_diag's exact lookup, one hash lookup in the kernel, not a dump of
// every socket). On systems without sock_diag, New returns
// errors.ErrUnsupported and the playground shows no kernel states.
package tcpstate

import (
	"net/netip"
	"time"
)

// End is one end of a TCP connection: its own address and its peer's.
type End struct {
	Local, Remote netip.AddrPort
}

// Reversed is the other end of the same connection.
func (e End) Reversed() End { return End{Local: e.Remote, Remote: e.Local} }

// Result is what the kernel's table says of one end.
type Result struct {
	// State is the end's state, named as package timeline names it;
	// timeline.StateClosed when the end is not in the table.
	State string
	// Timer is how long until the kernel's timer on the end fires (the
	// TIME_WAIT or FIN_WAIT2 timeout, a retransmission), or 0 when none is
	// running.
	Timer time.Duration
}

// MaxBatch bounds the ends one Lookup asks about.
const MaxBatch = 128
