// Package scenario is the shared model of a playground scenario (schema v1
// in the shared DESIGN.md; its extensions in docs/ARCHITECTURE.md): the
// demo server, its knobs and routes, and the client's script. A
// scenario is the whole state a link shares.
package scenario

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/keepalive-playground/playground/timeline"
)

// Version is the newest schema version this build reads and writes.
const Version = 1

// Scenario is schema v1. Optional numbers are pointers so that "unset"
// (take the runtime's default) differs from an explicit 0 (often "off").
type Scenario struct {
	V      int    `json:"v"`
	Title  string `json:"title,omitempty"`
	Server Server `json:"server"`
	// Proxy, when set, stands between the client and the demo server.
	Proxy      *Proxy           `json:"proxy,omitempty"`
	Client     Client           `json:"client"`
	DurationMs int              `json:"durationMs,omitempty"`
	Checks     []timeline.Check `json:"checks,omitempty"`
	// Lesson names the lesson the scenario belongs to, when shared from one.
	Lesson string `json:"lesson,omitempty"`
	// Compare, when set, asks for the scenario to run several ways at once
	// and be compared (see Variants).
	Compare *Compare `json:"compare,omitempty"`
}

// Server is the demo server: a runtime (a row of the runtime table, see
// Runtimes) and its knobs. Which knobs a runtime offers, their defaults
// and ranges are in its row.
type Server struct {
	Runtime string `json:"runtime"`

	// Node knobs.
	SocketTimeoutMs          *int  `json:"socketTimeoutMs,omitempty"`
	KeepAliveTimeoutMs       *int  `json:"keepAliveTimeoutMs,omitempty"`
	KeepAliveTimeoutBufferMs *int  `json:"keepAliveTimeoutBufferMs,omitempty"`
	HeadersTimeoutMs         *int  `json:"headersTimeoutMs,omitempty"`
	RequestTimeoutMs         *int  `json:"requestTimeoutMs,omitempty"`
	MaxRequestsPerSocket     *int  `json:"maxRequestsPerSocket,omitempty"`
	UnrefSockets             *bool `json:"unrefSockets,omitempty"`

	// Go knobs.
	IdleTimeoutMs       *int `json:"idleTimeoutMs,omitempty"`
	ReadHeaderTimeoutMs *int `json:"readHeaderTimeoutMs,omitempty"`
	ShutdownTimeoutMs   *int `json:"shutdownTimeoutMs,omitempty"`

	// Both.
	KeepAlive *bool `json:"keepAlive,omitempty"`
	// DrainMs is the drain period: how long after the drain action the
	// readiness routes answer 503 before the actions after it run.
	DrainMs *int `json:"drainMs,omitempty"`

	Routes []Route `json:"routes,omitempty"`
}

// Route is one handler: the first route whose Path matches answers.
type Route struct {
	Path    string `json:"path"`
	Status  int    `json:"status,omitempty"`
	Body    string `json:"body,omitempty"`
	DelayMs int    `json:"delayMs,omitempty"`
	Then    Then   `json:"then,omitempty"`
	// Readiness makes the route a readiness check, the endpoint a load
	// balancer or an orchestrator probes: it answers its Status and Body
	// while the server is ready, and ReadinessDrainingStatus with
	// ReadinessDrainingBody once a drain action has run.
	Readiness bool `json:"readiness,omitempty"`
}

// What a readiness route answers once the server drains: 503 tells the
// balancer to stop sending it new requests, while the server still
// serves the ones that arrive meanwhile.
const (
	ReadinessDrainingStatus = 503
	ReadinessDrainingBody   = "draining"
)

// Then is what a handler does after responding: route actions run in
// order, as the handler's code would call them one after another
// (["destroy", "close"] is answer 1 applied to the question's program).
// In JSON it is one action, a string, or a list of them; a single action
// is written as a string, so links made before lists existed stay the
// same.
type Then []string

// MarshalJSON writes one action as a string, more as a list.
func (t Then) MarshalJSON() ([]byte, error) {
	if len(t) == 1 {
		return json.Marshal(t[0])
	}
	return json.Marshal([]string(t))
}

// UnmarshalJSON reads a string or a list of strings.
func (t *Then) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*t = Then{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(data), Type: reflect.TypeFor[Then]()}
	}
	*t = list
	return nil
}

// jsonKind names the kind of a JSON value for an error message.
func jsonKind(data []byte) string {
	switch data = bytes.TrimSpace(data); {
	case len(data) == 0:
		return "nothing"
	case data[0] == '{':
		return "object"
	case data[0] == '[':
		return "array with a non-string"
	case data[0] == '"':
		return "string"
	case data[0] == 't' || data[0] == 'f':
		return "bool"
	case data[0] == 'n':
		return "null"
	}
	return "number"
}

// Route actions (Route.Then).
const (
	ThenNone      = "none"
	ThenClose     = "close"
	ThenCloseIdle = "closeIdle"
	ThenCloseAll  = "closeAll"
	ThenDestroy   = "destroy"
	ThenExit      = "exit"
	ThenShutdown  = "shutdown"
	// ThenDrain starts draining: the readiness routes answer 503 from
	// then on, and the actions after it in the list run once the drain
	// period (server.drainMs) has passed, outside the handler, as a
	// SIGTERM handler's sleep before the shutdown does.
	ThenDrain = "drain"
)

// Client is the scripted client.
type Client struct {
	Steps []Step `json:"steps,omitempty"`
	// Pools are the pooled HTTP clients that steps with "pool" send
	// their requests through (see Pool).
	Pools []Pool `json:"pools,omitempty"`
}

// Step is one client action at a time on the session clock. Exactly one of
// Send, Request, Open, Close, Reset is set. A pool step names Pool instead
// of Conn and sends its Request through that pooled client, which picks
// the connection.
type Step struct {
	At      int      `json:"at"`
	Conn    string   `json:"conn,omitempty"`
	Pool    string   `json:"pool,omitempty"`
	Send    *string  `json:"send,omitempty"`
	Request *Request `json:"request,omitempty"`
	Open    bool     `json:"open,omitempty"`
	Close   bool     `json:"close,omitempty"`
	Reset   bool     `json:"reset,omitempty"`
}

// Request is rendered to raw HTTP/1.x bytes by Request.Bytes.
type Request struct {
	Method  string            `json:"method,omitempty"`
	Path    string            `json:"path,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Version string            `json:"version,omitempty"`
	Body    string            `json:"body,omitempty"`
}
