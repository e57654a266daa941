package wire

// CloseCode is a WebSocket close code (RFC 6455 §7.4) as the backend sends
// it and the page acts on it. Both sides read these constants here, so a
// code cannot mean one thing to the server and another to the page.
type CloseCode int

// RFC 6455's codes the page acts on. 1001 and 1012 make it reconnect with
// backoff, 1013 after a longer wait.
const (
	CloseNormal    CloseCode = 1000 // the session ended without a fault
	CloseGoingAway CloseCode = 1001 // the backend is going away
	// CloseAbnormal is never sent: it is the code the browser reports for
	// a connection that dropped without a close frame.
	CloseAbnormal CloseCode = 1006
	CloseTooBig   CloseCode = 1009 // a message over MaxMessageBytes
	CloseRestart  CloseCode = 1012 // the backend is restarting (SIGTERM)
	CloseTryLater CloseCode = 1013 // the backend is full
)

// The playground's own codes, in the range RFC 6455 leaves to
// applications. Each ends the session for a reason the person must act on,
// so the page does not reconnect by itself (see Final).
const (
	CloseIdle       CloseCode = 4001 // no message for the server's idle timeout
	CloseLifetime   CloseCode = 4002 // the session reached its lifetime
	CloseBadMessage CloseCode = 4003 // a message that is not the protocol
	CloseSlow       CloseCode = 4004 // the browser did not read its messages
	CloseVersion    CloseCode = 4005 // a client of another protocol Version
	CloseRateLimit  CloseCode = 4006 // kept sending over the message rate
)

// Final reports whether a close ends the session for good: the page waits
// for the person instead of reconnecting, since a new session would be
// closed for the same reason.
func (c CloseCode) Final() bool {
	switch c {
	case CloseTooBig, CloseIdle, CloseLifetime, CloseBadMessage, CloseSlow, CloseVersion, CloseRateLimit:
		return true
	}
	return false
}

// MaxEventsPerRun bounds the events of one run. The session stops
// forwarding events past it (and says so with an error of CodeLimit), and
// the page keeps no more of one run than it can be sent.
const MaxEventsPerRun = 50000
