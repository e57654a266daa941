// Package timeline holds the event contract that the backend, the browser
// and `playground run` share (see DESIGN.md, "Timeline events"), and the
// checks that lessons and scenarios evaluate over a run's events.
package timeline

// Event is one thing that happened on a connection or to the demo server,
// stamped in milliseconds on the session clock.
type Event struct {
	T      float64 `json:"t"`
	Conn   string  `json:"conn,omitempty"`
	Kind   string  `json:"kind"`
	By     string  `json:"by,omitempty"`
	Reason string  `json:"reason,omitempty"`
	Data   string  `json:"data,omitempty"`
	Method string  `json:"method,omitempty"`
	Path   string  `json:"path,omitempty"`
	Status int     `json:"status,omitempty"`
	// Error is what the client saw when an operation failed, worded as the
	// client's own error (for example "connect: connection refused").
	Error string `json:"error,omitempty"`
}

// Connection event kinds.
const (
	Connect  = "connect"  // the client's connect completed
	Accept   = "accept"   // the demo server accepted the connection
	Send     = "send"     // the client wrote bytes (Data)
	Request  = "request"  // the server parsed a request (Method, Path)
	Response = "response" // the server finished writing a response (Status)
	Recv     = "recv"     // the client received bytes (Data)
	Idle     = "idle"     // the connection is idle between requests
	Close    = "close"    // one side closed (By, Reason)
	Reset    = "reset"    // the connection was reset
	Refused  = "refused"  // the connect was refused
)

// Server event kinds (no Conn).
const (
	Listen          = "listen"
	CloseCalled     = "close-called"
	CloseIdleCalled = "closeIdle-called"
	CloseAllCalled  = "closeAll-called"
	ShutdownCalled  = "shutdown-called"
	ListenerClosed  = "listener-closed"
	BeforeExit      = "before-exit"
	Exit            = "exit"
)

// Who closed a connection.
const (
	ByServer = "server"
	ByClient = "client"
)

// Reasons for a server-side close.
const (
	ReasonSocketTimeout    = "socket-timeout"
	ReasonKeepAliveTimeout = "keepalive-timeout"
	ReasonHeadersTimeout   = "headers-timeout"
	ReasonRequestTimeout   = "request-timeout"
	ReasonIdleTimeout      = "idle-timeout"
	ReasonServerClose      = "server-close"
	ReasonCloseIdle        = "close-idle"
	ReasonCloseAll         = "close-all"
	ReasonDestroy          = "destroy"
	ReasonConnectionClose  = "connection-close"
	ReasonShutdown         = "shutdown"
	ReasonMaxRequests      = "max-requests"
)

// Reasons this project adds to the contract (extensions, never renames).
const (
	// ReasonBadRequest: the server answered a malformed request with 400
	// and closed, as Node and Go do.
	ReasonBadRequest = "bad-request"
	// ReasonExit: the demo process ended and the kernel closed its sockets.
	ReasonExit = "exit"
	// ReasonClient: the client closed on its own (a script step or the person).
	ReasonClient = "client"
)
