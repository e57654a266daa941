package wire

// CloseCode is a WebSocket close code the backend ends a session with.
// The page acts on it: 1001 and 1012 make it reconnect with backoff, 1013
// retries later, the playground's own (4001–4006) wait for the person,
// with the close frame's reason shown as it is.
type CloseCode int

// The close codes of RFC 6455 the playground uses.
const (
	CloseNormal    CloseCode = 1000
	CloseGoingAway CloseCode = 1001
	CloseAbnormal  CloseCode = 1006 // no close frame: the connection dropped
	CloseTooBig    CloseCode = 1009
	CloseRestart   CloseCode = 1012 // the server is restarting (draining)
	CloseTryLater  CloseCode = 1013 // full, or too many sessions from one address
)

// The playground's own close codes.
const (
	CloseIdle       CloseCode = 4001 // no message for the idle timeout
	CloseLifetime   CloseCode = 4002 // the session lifetime reached
	CloseBadMessage CloseCode = 4003 // a message that is not the protocol
	CloseSlow       CloseCode = 4004 // the browser did not read its messages
	CloseVersion    CloseCode = 4005 // a client of another protocol version
	CloseRateLimit  CloseCode = 4006 // kept sending over the message rate
)

// MaxEventsPerRun bounds the events of one run: the session sends no more
// (and says so once), and the page keeps no more.
const MaxEventsPerRun = 50000
