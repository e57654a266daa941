package editor

import (
	"strconv"
	"time"

	"github.com/keepalive-playground/playground/scenario"
)

// Knob describes one server knob as the form shows it.
type Knob struct {
	Name  string // JSON name under "server"
	Label string
	Unit  string // "ms", or "" for a count or a switch
	Bool  bool   // a switch (on/off/default) rather than a number
	Node  bool   // offered on the node runtimes
	Go    bool   // offered on the go runtime
	Max   int    // the largest value Validate accepts (numbers only)
	Help  string // what the knob does, in the runtime's own terms

	intp  func(*scenario.Server) **int
	boolp func(*scenario.Server) **bool
	// value is the knob's effective value, unset knobs read as defaults.
	value func(scenario.Server) string
}

func msValue(f func(scenario.Server) time.Duration) func(scenario.Server) string {
	return func(sv scenario.Server) string { return strconv.FormatInt(f(sv).Milliseconds(), 10) }
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// Knobs lists every knob, Node's first, in the order the form shows them.
var Knobs = []Knob{
	{
		Name: "socketTimeoutMs", Label: "Socket timeout", Unit: "ms", Node: true, Max: scenario.MaxTimeoutMs,
		Help:  "socket.setTimeout(ms) from a 'connection' listener, as answer 2 does: after this long without traffic the socket is destroyed, busy or idle. 0: never.",
		intp:  func(s *scenario.Server) **int { return &s.SocketTimeoutMs },
		value: msValue(scenario.Server.SocketTimeout),
	},
	{
		Name: "keepAliveTimeoutMs", Label: "Keep-alive timeout", Unit: "ms", Node: true, Max: scenario.MaxTimeoutMs,
		Help:  "server.keepAliveTimeout: how long an idle keep-alive connection may wait for its next request; also sent as Keep-Alive: timeout=N. 0: off, idle connections stay.",
		intp:  func(s *scenario.Server) **int { return &s.KeepAliveTimeoutMs },
		value: msValue(scenario.Server.KeepAliveTimeout),
	},
	{
		Name: "headersTimeoutMs", Label: "Headers timeout", Unit: "ms", Node: true, Max: scenario.MaxTimeoutMs,
		Help:  "server.headersTimeout: the time to receive a request's complete headers, else 408 and close. Unset, Node takes min(60 s, requestTimeout); it may not exceed requestTimeout.",
		intp:  func(s *scenario.Server) **int { return &s.HeadersTimeoutMs },
		value: msValue(scenario.Server.HeadersTimeout),
	},
	{
		Name: "requestTimeoutMs", Label: "Request timeout", Unit: "ms", Node: true, Max: scenario.MaxTimeoutMs,
		Help:  "server.requestTimeout: the time to receive a whole request, else 408 and close. 0: off.",
		intp:  func(s *scenario.Server) **int { return &s.RequestTimeoutMs },
		value: msValue(scenario.Server.RequestTimeout),
	},
	{
		Name: "maxRequestsPerSocket", Label: "Max requests per socket", Node: true, Max: scenario.MaxRequestsPerSocketLimit,
		Help:  "server.maxRequestsPerSocket: after this many requests the response says Connection: close and the socket ends. 0: no limit.",
		intp:  func(s *scenario.Server) **int { return &s.MaxRequestsPerSocket },
		value: func(s scenario.Server) string { return strconv.Itoa(s.MaxRequests()) },
	},
	{
		Name: "unrefSockets", Label: "Unref sockets", Bool: true, Node: true,
		Help:  "Answer 3's pattern: socket.unref() on 'connection', ref() while a request runs, unref() after res.end(), so idle sockets do not keep the process alive.",
		boolp: func(s *scenario.Server) **bool { return &s.UnrefSockets },
		value: func(s scenario.Server) string { return onOff(s.Unref()) },
	},
	{
		Name: "idleTimeoutMs", Label: "Idle timeout", Unit: "ms", Go: true, Max: scenario.MaxTimeoutMs,
		Help:  "http.Server.IdleTimeout: how long an idle keep-alive connection waits for its next request. 0: fall back to ReadTimeout (0 here), so it waits forever.",
		intp:  func(s *scenario.Server) **int { return &s.IdleTimeoutMs },
		value: msValue(scenario.Server.IdleTimeout),
	},
	{
		Name: "readHeaderTimeoutMs", Label: "Read header timeout", Unit: "ms", Go: true, Max: scenario.MaxTimeoutMs,
		Help:  "http.Server.ReadHeaderTimeout: the time to read a request's headers, else the connection is closed. 0: no limit.",
		intp:  func(s *scenario.Server) **int { return &s.ReadHeaderTimeoutMs },
		value: msValue(scenario.Server.ReadHeaderTimeout),
	},
	{
		Name: "shutdownTimeoutMs", Label: "Shutdown timeout", Unit: "ms", Go: true, Max: scenario.MaxTimeoutMs,
		Help:  "The deadline of the context passed to Shutdown: idle connections close at once, active ones get this long before the program calls Close.",
		intp:  func(s *scenario.Server) **int { return &s.ShutdownTimeoutMs },
		value: msValue(scenario.Server.ShutdownTimeout),
	},
	{
		Name: "keepAlive", Label: "Keep-alive", Bool: true, Node: true, Go: true,
		Help:  "Go: SetKeepAlivesEnabled(false) answers every request with Connection: close. Node: off makes every response Connection: close.",
		boolp: func(s *scenario.Server) **bool { return &s.KeepAlive },
		value: func(s scenario.Server) string { return onOff(s.KeepAlives()) },
	},
}

// Applies reports whether the knob belongs to the runtime.
func (k Knob) Applies(runtime string) bool {
	return k.Node && scenario.IsNode(runtime) || k.Go && runtime == scenario.RuntimeGo
}

// Shown reports whether the form shows the knob: always on its own
// runtimes, and elsewhere only while it holds a value, so that Validate's
// "only for the … runtime" points at something the person can clear.
func (k Knob) Shown(runtime, value string) bool { return k.Applies(runtime) || value != "" }

// Default is the knob's value when it is left empty, given the rest of the
// server (headersTimeoutMs follows requestTimeoutMs).
func (k Knob) Default(sv scenario.Server) string {
	if k.intp != nil {
		*k.intp(&sv) = nil
	} else {
		*k.boolp(&sv) = nil
	}
	return k.value(sv)
}

// Hint is the caption under an empty knob: "empty = default (5000 ms)".
func (k Knob) Hint(sv scenario.Server) string {
	d := k.Default(sv)
	if k.Unit != "" {
		d += " " + k.Unit
	}
	return "empty = default (" + d + ")"
}

// RuntimeNote explains a runtime in one line.
func RuntimeNote(runtime string) string {
	switch runtime {
	case scenario.RuntimeNode20:
		return "Node 20's http server: keep-alive with a 5 s keepAliveTimeout; since Node 19, server.close() also closes idle connections."
	case scenario.RuntimeNode18:
		return "Node 18's http server: the same defaults, but server.close() only stops accepting; idle keep-alive connections stay open."
	case scenario.RuntimeGo:
		return "Go's net/http.Server: no idle timeout unless set; Shutdown closes idle connections and waits for active ones, Close drops them all."
	}
	return "Choose the server the scenario runs."
}

// RuntimeLabel names a runtime in the runtime select.
func RuntimeLabel(runtime string) string {
	switch runtime {
	case scenario.RuntimeNode20:
		return "Node 20 (node20)"
	case scenario.RuntimeNode18:
		return "Node 18 (node18)"
	case scenario.RuntimeGo:
		return "Go net/http (go)"
	case "":
		return "(choose a runtime)"
	}
	return runtime + " (unknown)"
}

// ThenLabel names a route action in the runtime's own terms.
func ThenLabel(runtime, then string) string {
	if then == "" {
		return "default (none)"
	}
	var call map[string]string
	switch {
	case scenario.IsNode(runtime):
		call = map[string]string{
			scenario.ThenClose:     "server.close()",
			scenario.ThenCloseIdle: "server.closeIdleConnections()",
			scenario.ThenCloseAll:  "server.closeAllConnections()",
			scenario.ThenDestroy:   "req.connection.destroy()",
			scenario.ThenExit:      "process.exit()",
		}
	case runtime == scenario.RuntimeGo:
		call = map[string]string{
			scenario.ThenShutdown: "srv.Shutdown(ctx)",
			scenario.ThenClose:    "srv.Close()",
			scenario.ThenDestroy:  "panic(http.ErrAbortHandler)",
			scenario.ThenExit:     "os.Exit(0)",
		}
	}
	if c, ok := call[then]; ok {
		return then + ": " + c
	}
	return then
}
