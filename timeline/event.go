// Package timeline holds the event contract that the backend, the browser
// and `playground run` share (the shared DESIGN.md, "Timeline events";
// docs/ARCHITECTURE.md for how this repository keeps it), and the
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
	// client's own error (for example "connect: connection refused"); on a
	// proxy-error event, the proxy's own log line.
	Error string `json:"error,omitempty"`
	// Side and State are set on tcp events: which end of the connection
	// (SideClient or SideServer) and the state the kernel has it in
	// (StateEstablished, StateTimeWait, …).
	Side  string `json:"side,omitempty"`
	State string `json:"state,omitempty"`
	// Hop is "upstream" on the connections a proxy opens to the demo
	// server (u1, u2, …); empty on the client's own connections.
	Hop string `json:"hop,omitempty"`
	// Upstream names the upstream connection a forward or proxy-error
	// event is about ("u1").
	Upstream string `json:"upstream,omitempty"`
	// Open is set on a close that is a FIN in one direction only: the end
	// that is still open (EndServer, EndClient or ByProxy, as By names
	// ends), so "half-closed" lasts until that end's own close event. A
	// close without Open is the second FIN: both ends are now closed.
	// A reset closes both ends at once and never carries Open.
	Open string `json:"open,omitempty"`
	// Pool, Reused and Retried are set on outcome events (an extension):
	// the pooled client (client.pools) that made the request, whether
	// the connection it took was reused (Node's req.reusedSocket, Go's
	// GotConnInfo.Reused), and whether the request was sent more than
	// once (Go's Transport retrying on a new connection, or the app's
	// retryReused).
	Pool    string `json:"pool,omitempty"`
	Reused  bool   `json:"reused,omitempty"`
	Retried bool   `json:"retried,omitempty"`
}

// OtherEnd names the peer of the end that closed (by) on a connection:
// on a proxy's client connections (proxied) the proxy is the server, on
// its upstream connections (Hop) the proxy is the client.
func OtherEnd(by, hop string, proxied bool) string {
	switch by {
	case ByClient:
		if proxied && hop == "" {
			return ByProxy
		}
		return ByServer
	case ByServer:
		if hop == HopUpstream {
			return ByProxy
		}
		return ByClient
	case ByProxy:
		if hop == HopUpstream {
			return ByServer
		}
		return ByClient
	}
	return ""
}

// HopUpstream is Event.Hop on a proxy's upstream connections.
const HopUpstream = "upstream"

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
	// TCP is a change of one end's TCP state as the kernel has it (Side,
	// State). It is separate from close and reset, which say what a
	// program did; tcp says what the kernel made of it.
	TCP = "tcp"
)

// The ends of a connection (Event.Side on tcp events).
const (
	SideClient = "client"
	SideServer = "server"
)

// TCP states (Event.State), named as the kernel and netstat name them.
const (
	StateSynSent     = "SYN_SENT"
	StateSynRecv     = "SYN_RECV"
	StateEstablished = "ESTABLISHED"
	StateFinWait1    = "FIN_WAIT1"
	StateFinWait2    = "FIN_WAIT2"
	StateCloseWait   = "CLOSE_WAIT"
	StateClosing     = "CLOSING"
	StateLastAck     = "LAST_ACK"
	StateTimeWait    = "TIME_WAIT"
	// StateClosed: the end is gone from the kernel's socket table (or the
	// program holds a socket the kernel has closed).
	StateClosed = "CLOSED"
)

// States lists every TCP state a tcp event may carry, in the order a
// connection passes through them.
var States = []string{
	StateSynSent, StateSynRecv, StateEstablished, StateFinWait1, StateFinWait2,
	StateCloseWait, StateClosing, StateLastAck, StateTimeWait, StateClosed,
}

// Transient reports whether a state only waits for an ACK that loopback
// delivers within microseconds (or a retransmission): seeing it or not is
// a matter of when the kernel was asked, so comparisons skip it.
func Transient(state string) bool {
	switch state {
	case StateSynSent, StateSynRecv, StateFinWait1, StateClosing, StateLastAck:
		return true
	}
	return false
}

// Proxy event kinds (DESIGN.md, "With a proxy"). Both are on the client's
// connection (Conn) and name the upstream connection (Upstream).
const (
	// Forward is the proxy sending the client's request upstream (Method,
	// Path); a retry is a second forward.
	Forward = "forward"
	// ProxyError is a failed upstream exchange; Error is the proxy's own
	// log line.
	ProxyError = "proxy-error"
)

// Outcome is a pooled client's report of one request it made (an
// extension): Conn the connection it ended on ("" when none), Method,
// Path, Pool, and either Status or Error, the client's own words
// ("socket hang up", `Get "http://demo/": EOF`); Reused and Retried.
// The client reports it and the session stamps it, so it is the moment
// the client knew, not when the bytes moved.
const Outcome = "outcome"

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
	// ByProxy: the proxy closed (either hop) or answered by itself (a 502).
	ByProxy = "proxy"
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
	// ReasonPeerFin: this end closed because it read the other end's FIN
	// (Node's server with allowHalfOpen false ends its side ~2 ms after
	// the client's FIN; Go's server closes as soon as it reads the EOF).
	ReasonPeerFin = "peer-fin"
)

// Reasons for a close the proxy makes (DESIGN.md).
const (
	// ReasonProxyIdleTimeout: the proxy closed an idle client connection
	// (nginx keepalive_timeout, the ALB's idle timeout, Go's
	// http.Server.IdleTimeout in front of the ReverseProxy).
	ReasonProxyIdleTimeout = "proxy-idle-timeout"
	// ReasonUpstreamIdleTimeout: the proxy closed an idle upstream
	// connection (nginx's upstream keepalive_timeout, Go's
	// Transport.IdleConnTimeout, the ALB's idle timeout).
	ReasonUpstreamIdleTimeout = "upstream-idle-timeout"
	// ReasonUpstreamClosed: the proxy closed its end because the upstream
	// ended the exchange (a failed or unusable upstream connection, or a
	// client connection whose response the upstream cut short).
	ReasonUpstreamClosed = "upstream-closed"
)

// Reasons this project adds for proxies (extensions).
const (
	// ReasonUpstreamMaxRequests: nginx's upstream keepalive_requests or
	// keepalive_time was reached; the connection is not cached again.
	ReasonUpstreamMaxRequests = "upstream-max-requests"
	// ReasonUpstreamPoolFull: the idle pool was full (nginx's keepalive
	// N closes its oldest cached connection; Go's MaxIdleConnsPerHost
	// refuses the newest).
	ReasonUpstreamPoolFull = "upstream-pool-full"
	// ReasonClientKeepAlive: the ALB's client keep-alive duration ran out.
	ReasonClientKeepAlive = "client-keepalive"
	// ReasonUpstreamTimeout: the upstream did not answer within the
	// proxy's read timeout (nginx's proxy_read_timeout: a 504).
	ReasonUpstreamTimeout = "upstream-timeout"
)
