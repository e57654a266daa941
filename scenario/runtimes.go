package scenario

import (
	"slices"
	"strings"
)

// Language is what a runtime's demo program is written in: it picks the
// program the code view renders and the sandbox that serves it.
type Language string

// Languages.
const (
	LangNode Language = "node"
	LangGo   Language = "go"
)

// Runtime is one row of the runtime table: everything the playground
// knows about one demo-server runtime. Every part that offers, checks,
// draws or serves a runtime reads its row; none spells a runtime's name.
// Adding a Node release line is one row plus the behaviour switches in
// NodeBehaviour that tell it from its neighbours.
type Runtime struct {
	// Name is server.runtime in the schema ("node24").
	Name     string
	Language Language
	// Release is the exact release the runtime is held to ("24.22.3"):
	// the differential test runs it against that release's real binary.
	// Empty for go: the Go that builds the playground is the reference.
	Release string
	// Label names it in the page, for people ("Node 24.22").
	Label string
	// Support is its maintenance status as of its release, in a few words.
	Support string
	// Note explains it in one sentence, in the editor.
	Note string
	// Knobs are the server knobs it offers, in the order the form shows
	// them, with their defaults and ranges.
	Knobs []Knob
	// Actions are the route actions (Route.Then) it offers, in the order
	// lists and messages show them.
	Actions []Action
	// Controls are the server buttons, in the order the page shows them.
	Controls []Control
	// Docs are the pages of its own documentation the playground links to.
	Docs []Doc
	// Node holds the switches that tell Node release lines apart (zero
	// for go).
	Node NodeBehaviour
}

// NodeBehaviour is how one Node release line differs from the others in
// what the playground shows. Each switch was read in that line's
// lib/_http_server.js (or llhttp) at the pinned release and measured on
// its real binary; the differential test holds the emulation to it.
type NodeBehaviour struct {
	// The client side, http.Agent (lib/_http_agent.js of the line), as
	// package nodeagent emulates it (AgentBufferKnob below too).

	// AgentGlobalKeepAlive: http.globalAgent is new Agent({keepAlive:
	// true, scheduling: 'lifo', timeout: 5000}) (Node >= 19); before, a
	// plain new Agent() that closes every socket after its response.
	AgentGlobalKeepAlive bool
	// AgentHintBufferMs: a free socket's timeout is lowered to the
	// server's Keep-Alive: timeout=N hint less this many ms
	// (keepSocketAlive, Node >= 20; a hint at or below it destroys the
	// socket); the agentKeepAliveTimeoutBuffer option's default where
	// AgentBufferKnob. 0: the line ignores the hint.
	AgentHintBufferMs int
	// AgentFreeDataGuard: a free socket that receives a byte is destroyed
	// (installFreeSocketDataGuard, Node >= 22); before, the bytes are
	// dropped and the socket stays in the pool.
	AgentFreeDataGuard bool

	// CloseClosesIdle: server.close() also calls closeIdleConnections()
	// (Node >= 19, httpServerPreClose). Before, close() only stops
	// accepting and idle keep-alive connections stay open.
	CloseClosesIdle bool
	// KeepAliveBufferMs is added to keepAliveTimeout for the socket's own
	// timeout after a response, while the Keep-Alive header still says
	// timeout=keepAliveTimeout, so that a client reusing the connection
	// at the advertised last moment is not reset; a constant until the
	// line has server.keepAliveTimeoutBuffer. 0: none.
	KeepAliveBufferMs int
	// BufferKnob: the buffer is server.keepAliveTimeoutBuffer, which a
	// program may set (the keepAliveTimeoutBufferMs knob); lines without
	// it refuse the knob.
	BufferKnob bool
	// RequireHost: an HTTP/1.1 request without Host gets 400 and the
	// handler never runs (requireHostHeader, Node >= 20).
	RequireHost bool
	// ParserCancelsKeepAlive: any bytes parsed after a response, a body
	// the handler never read included, cancel the keep-alive timeout
	// (Node 18's onParserExecuteCommon calls resetSocketTimeout).
	ParserCancelsKeepAlive bool
	// LLHTTP6: the request parser is llhttp 6 (Node 18; 6.1.1), not 9
	// (Node 20 on; 9.3.1 in 20.20, 9.4.x later, which answer 400 to all of
	// these). It takes header names holding spaces, or empty ones; a
	// first header line that starts with a space (the space joins the
	// name); a bare LF ending the request line or the head; a tab, or
	// bytes of 0x80 and above, in the request target; and it does not
	// know the QUERY method.
	LLHTTP6 bool
	// IdleBeforeRequest: closeIdleConnections() (and so close()) also
	// closes a connection that has not sent a byte yet (nodejs/node#63470,
	// Node 26); before, a fresh connection counts as active until its
	// first request completes.
	IdleBeforeRequest bool
	// ErrorDropsFinish: a response written in the same turn as a parse
	// error that destroys its socket (bytes after a request that did not
	// keep the connection alive) never emits 'finish' (Node 24 on: the
	// destroy fails the pending write callback); before, it still did.
	ErrorDropsFinish bool
	// AgentBufferKnob: http.Agent has the agentKeepAliveTimeoutBuffer
	// option (Node 22 on), subtracted from the server's Keep-Alive:
	// timeout= hint; a node-agent pool's keepAliveTimeoutBufferMs is
	// refused on the lines without it.
	AgentBufferKnob bool
}

// Knob is one server knob: a field of Server, by its JSON name.
type Knob struct {
	Name  string // JSON name under "server"
	Label string
	// Unit is "ms" for a duration, "" for a count or a switch.
	Unit string
	// Bool marks a switch (on/off) rather than a number.
	Bool bool
	// Default is a number's value when unset; DefaultOn a switch's.
	Default   int
	DefaultOn bool
	// Min and Max bound a number (inclusive).
	Min, Max int
	// Help says what the knob does, in the runtime's own terms.
	Help string
	// Term is how the program names it in a one-line summary
	// ("keepAliveTimeout"); a switch's Term reads as its non-default state
	// ("sockets unref'd"; "keep-alive" with "off" added).
	Term string
	// Quiet knobs appear in a summary only when they differ from their
	// default.
	Quiet bool
}

// Action is one route action (Route.Then) as the runtime's program does it.
type Action struct {
	Name string // "close"
	Call string // what the handler calls: "server.close()"; "" for none
	// Ends: the handler stops here (the process exits, or the handler
	// panics), so in a list of actions it can only come last.
	Ends bool
}

// Control is one server button: an action the person runs on the server
// as its program would call it.
type Control struct {
	Action string // the wire control action
	Label  string // what the program calls: "server.close()"
	Title  string // what it does, for the tooltip
}

// Doc is one documentation link.
type Doc struct {
	Title string
	URL   string
}

// The knob catalogue: every knob any runtime has, with what is common to
// all rows that offer it. Rows take copies (see knobs) and may change a
// default where a release line differs.
var knobCatalogue = []Knob{
	{Name: "socketTimeoutMs", Term: "socket.setTimeout", Quiet: true, Label: "Socket timeout", Unit: "ms", Max: MaxTimeoutMs,
		Help: "socket.setTimeout(ms) from a 'connection' listener, as answer 2 does: after this long without traffic the socket is destroyed, busy or idle. 0: never."},
	{Name: "keepAliveTimeoutMs", Term: "keepAliveTimeout", Label: "Keep-alive timeout", Unit: "ms", Default: 5_000, Max: MaxTimeoutMs,
		Help: "server.keepAliveTimeout: how long an idle keep-alive connection may wait for its next request; also sent as Keep-Alive: timeout=N. 0: off, idle connections stay."},
	{Name: "keepAliveTimeoutBufferMs", Term: "keepAliveTimeoutBuffer", Quiet: true, Label: "Keep-alive timeout buffer", Unit: "ms", Default: 1_000, Max: MaxTimeoutMs,
		Help: "server.keepAliveTimeoutBuffer: extra time the socket waits beyond keepAliveTimeout, while Keep-Alive: timeout=N still advertises keepAliveTimeout, so that a client reusing the connection at the last advertised moment is not reset. 0: none."},
	{Name: "headersTimeoutMs", Term: "headersTimeout", Label: "Headers timeout", Unit: "ms", Default: 60_000, Max: MaxTimeoutMs,
		Help: "server.headersTimeout: the time to receive a request's complete headers, else 408 and close. Unset, Node takes min(60 s, requestTimeout); it may not exceed requestTimeout."},
	{Name: "requestTimeoutMs", Term: "requestTimeout", Label: "Request timeout", Unit: "ms", Default: 300_000, Max: MaxTimeoutMs,
		Help: "server.requestTimeout: the time to receive a whole request, else 408 and close. 0: off."},
	{Name: "maxRequestsPerSocket", Term: "maxRequestsPerSocket", Quiet: true, Label: "Max requests per socket", Max: MaxRequestsPerSocketLimit,
		Help: "server.maxRequestsPerSocket: after this many requests the response says Connection: close and the socket ends. 0: no limit."},
	{Name: "unrefSockets", Term: "sockets unref'd", Quiet: true, Label: "Unref sockets", Bool: true,
		Help: "Answer 3's pattern: socket.unref() on 'connection', ref() while a request runs, unref() after res.end(), so idle sockets do not keep the process alive."},
	{Name: "idleTimeoutMs", Term: "IdleTimeout", Label: "Idle timeout", Unit: "ms", Max: MaxTimeoutMs,
		Help: "http.Server.IdleTimeout: how long an idle keep-alive connection waits for its next request. 0: fall back to ReadTimeout (0 here), so it waits forever."},
	{Name: "readHeaderTimeoutMs", Term: "ReadHeaderTimeout", Label: "Read header timeout", Unit: "ms", Max: MaxTimeoutMs,
		Help: "http.Server.ReadHeaderTimeout: the time to read a request's headers, else the connection is closed. 0: no limit."},
	{Name: "shutdownTimeoutMs", Term: "Shutdown deadline", Label: "Shutdown timeout", Unit: "ms", Default: 5_000, Max: MaxTimeoutMs,
		Help: "The deadline of the context passed to Shutdown (Go has no default; 5 s is the customary choice): idle connections close at once, active ones get this long before the program calls Close."},
	{Name: "drainMs", Term: "drain period", Quiet: true, Label: "Drain period", Unit: "ms", Default: 1_000, Max: MaxDurationMs,
		Help: "After a route's drain action: how long the readiness routes answer 503 before the actions after drain run (the shutdown), so that the load balancer notices and stops sending first."},
	{Name: "keepAlive", Term: "keep-alive", Quiet: true, Label: "Keep-alive", Bool: true, DefaultOn: true,
		Help: "Go: SetKeepAlivesEnabled(false) answers every request with Connection: close. Node: off makes every response Connection: close."},
}

// knobs copies the named knobs from the catalogue, in that order.
func knobs(names ...string) []Knob {
	out := make([]Knob, len(names))
	for i, n := range names {
		j := slices.IndexFunc(knobCatalogue, func(k Knob) bool { return k.Name == n })
		if j < 0 {
			panic("scenario: no knob " + n)
		}
		out[i] = knobCatalogue[j]
	}
	return out
}

var (
	nodeActions = []Action{
		{ThenNone, "", false},
		{ThenClose, "server.close()", false},
		{ThenCloseIdle, "server.closeIdleConnections()", false},
		{ThenCloseAll, "server.closeAllConnections()", false},
		{ThenDestroy, "req.connection.destroy()", false},
		{ThenExit, "process.exit()", true},
		{ThenDrain, "ready = false; setTimeout(…, drainMs)", false},
	}
	goActions = []Action{
		{ThenNone, "", false},
		{ThenShutdown, "srv.Shutdown(ctx)", false},
		{ThenClose, "srv.Close()", false},
		{ThenDestroy, "panic(http.ErrAbortHandler)", true},
		{ThenExit, "os.Exit(0)", true},
		{ThenDrain, "ready.Store(false); time.AfterFunc(drainPeriod, …)", false},
	}
)

// nodeLine builds the row of one Node release line: what every line
// shares, with its own release, status and switches. Knobs a line lacks
// (keepAliveTimeoutBufferMs before server.keepAliveTimeoutBuffer) are
// left out, so Validate names the lines that have them.
func nodeLine(major, release, support string, b NodeBehaviour) Runtime {
	minor, _, _ := strings.Cut(strings.TrimPrefix(release, major+"."), ".")
	names := []string{"socketTimeoutMs", "keepAliveTimeoutMs"}
	if b.BufferKnob {
		names = append(names, "keepAliveTimeoutBufferMs")
	}
	names = append(names, "headersTimeoutMs", "requestTimeoutMs", "maxRequestsPerSocket", "unrefSockets", "keepAlive", "drainMs")
	closeTitle := "Stop accepting connections; idle keep-alive connections stay open (Node 18 and older)"
	if b.CloseClosesIdle {
		closeTitle = "Stop accepting connections and close the idle ones (Node ≥ 19)"
	}
	note := "Node " + major + "'s http server (" + release + "): keep-alive with a 5 s keepAliveTimeout"
	switch {
	case !b.CloseClosesIdle:
		note += "; server.close() only stops accepting, idle keep-alive connections stay open."
	case b.KeepAliveBufferMs > 0:
		note += " (the socket waits 1 s more); server.close() also closes idle connections."
	default:
		note += "; server.close() also closes idle connections."
	}
	ks := knobs(names...)
	for i := range ks {
		if ks[i].Name == "keepAliveTimeoutBufferMs" {
			ks[i].Default = b.KeepAliveBufferMs
		}
	}
	docs := "https://nodejs.org/docs/v" + release + "/api/http.html"
	rt := Runtime{
		Name:     "node" + major,
		Language: LangNode,
		Release:  release,
		Label:    "Node " + major + "." + minor,
		Support:  support,
		Note:     note,
		Knobs:    ks,
		Actions:  nodeActions,
		Controls: []Control{
			{ThenClose, "server.close()", closeTitle},
			{ThenCloseIdle, "server.closeIdleConnections()", "Close connections with no request in flight (Node ≥ 18.2)"},
			{ThenCloseAll, "server.closeAllConnections()", "Close every connection, even with a request in flight (Node ≥ 18.2)"},
			{ThenExit, "process.exit()", "End the process: the kernel closes every socket"},
		},
		Docs: []Doc{
			{"http.Server", docs + "#class-httpserver"},
			{"server.close()", docs + "#serverclosecallback"},
			{"server.keepAliveTimeout", docs + "#serverkeepalivetimeout"},
		},
		Node: b,
	}
	return rt
}

// runtimeTable is every runtime, in the order the page lists them: the
// newest Node line first (the default), then older lines, then Go.
var runtimeTable = []Runtime{
	nodeLine("26", "26.12.1", "active LTS", NodeBehaviour{
		AgentGlobalKeepAlive: true, AgentHintBufferMs: 1_000, AgentFreeDataGuard: true,
		CloseClosesIdle: true, KeepAliveBufferMs: 1_000, BufferKnob: true, RequireHost: true, IdleBeforeRequest: true,
		ErrorDropsFinish: true, AgentBufferKnob: true,
	}),
	nodeLine("24", "24.22.3", "maintenance LTS", NodeBehaviour{
		AgentGlobalKeepAlive: true, AgentHintBufferMs: 1_000, AgentFreeDataGuard: true,
		CloseClosesIdle: true, KeepAliveBufferMs: 1_000, BufferKnob: true, RequireHost: true,
		ErrorDropsFinish: true, AgentBufferKnob: true,
	}),
	nodeLine("22", "22.23.5", "maintenance LTS", NodeBehaviour{
		AgentGlobalKeepAlive: true, AgentHintBufferMs: 1_000, AgentFreeDataGuard: true,
		CloseClosesIdle: true, KeepAliveBufferMs: 1_000, BufferKnob: true, RequireHost: true,
		AgentBufferKnob: true,
	}),
	nodeLine("20", "20.20.2", "end of life", NodeBehaviour{
		AgentGlobalKeepAlive: true, AgentHintBufferMs: 1_000,
		CloseClosesIdle: true, KeepAliveBufferMs: 1_000, RequireHost: true,
	}),
	nodeLine("18", "18.20.8", "end of life", NodeBehaviour{
		ParserCancelsKeepAlive: true, LLHTTP6: true,
	}),
	{
		Name:     "go",
		Language: LangGo,
		Label:    "Go net/http",
		Support:  "the Go that builds the playground",
		Note:     "Go's net/http.Server: no idle timeout unless set; Shutdown closes idle connections and waits for active ones, Close drops them all.",
		Knobs:    knobs("idleTimeoutMs", "readHeaderTimeoutMs", "shutdownTimeoutMs", "keepAlive", "drainMs"),
		Actions:  goActions,
		Controls: []Control{
			{ThenShutdown, "srv.Shutdown(ctx)", "Stop listening, close idle connections, wait for requests in flight, then return"},
			{ThenClose, "srv.Close()", "Close the listener and every connection at once"},
			{ThenExit, "os.Exit(0)", "End the process: the kernel closes every socket"},
		},
		Docs: []Doc{
			{"http.Server", "https://pkg.go.dev/net/http#Server"},
			{"Server.Shutdown", "https://pkg.go.dev/net/http#Server.Shutdown"},
		},
	},
}

// Runtimes returns every runtime's row, in the order the page lists them.
// The rows are copies: changing them changes nothing else.
func Runtimes() []Runtime {
	out := make([]Runtime, len(runtimeTable))
	for i, rt := range runtimeTable {
		out[i] = rt.clone()
	}
	return out
}

// RuntimeNames is every runtime's name, in table order.
func RuntimeNames() []string {
	names := make([]string, len(runtimeTable))
	for i, rt := range runtimeTable {
		names[i] = rt.Name
	}
	return names
}

// Lookup returns the row of the runtime named name.
func Lookup(name string) (Runtime, bool) {
	if rt := row(name); rt != nil {
		return rt.clone(), true
	}
	return Runtime{}, false
}

// row is the table's own row, for reading without a copy.
func row(name string) *Runtime {
	for i := range runtimeTable {
		if runtimeTable[i].Name == name {
			return &runtimeTable[i]
		}
	}
	return nil
}

// DefaultRuntime is the runtime a new scenario gets: the first row, the
// newest Node LTS line.
func DefaultRuntime() string { return runtimeTable[0].Name }

// RuntimeOf is the name of the first runtime written in lang ("" when
// none is): a part that needs "the Go runtime", such as the Go proxy's
// own front server, asks the table instead of spelling the name.
func RuntimeOf(lang Language) string {
	for _, rt := range runtimeTable {
		if rt.Language == lang {
			return rt.Name
		}
	}
	return ""
}

func (rt Runtime) clone() Runtime {
	rt.Knobs = slices.Clone(rt.Knobs)
	rt.Actions = slices.Clone(rt.Actions)
	rt.Controls = slices.Clone(rt.Controls)
	rt.Docs = slices.Clone(rt.Docs)
	return rt
}

// Knob returns the row's knob named name.
func (rt Runtime) Knob(name string) (Knob, bool) {
	i := slices.IndexFunc(rt.Knobs, func(k Knob) bool { return k.Name == name })
	if i < 0 {
		return Knob{}, false
	}
	return rt.Knobs[i], true
}

// Action returns the row's route action named name.
func (rt Runtime) Action(name string) (Action, bool) {
	i := slices.IndexFunc(rt.Actions, func(a Action) bool { return a.Name == name })
	if i < 0 {
		return Action{}, false
	}
	return rt.Actions[i], true
}

// ActionNames lists the row's route actions by name.
func (rt Runtime) ActionNames() []string {
	names := make([]string, len(rt.Actions))
	for i, a := range rt.Actions {
		names[i] = a.Name
	}
	return names
}

// IsNode reports whether the runtime is one of the Node release lines.
func (rt Runtime) IsNode() bool { return rt.Language == LangNode }

// KnobCatalogue returns every knob any runtime has, in the order forms
// show them; a runtime's row has its own copies, with its defaults.
func KnobCatalogue() []Knob { return slices.Clone(knobCatalogue) }

// Name is how people call the language: "Node", "Go".
func (l Language) Name() string {
	switch l {
	case LangNode:
		return "Node"
	case LangGo:
		return "Go"
	}
	return string(l)
}

// Label names a runtime for people: its row's Label ("Node 24.22"), or
// the name itself for one the table does not have.
func Label(name string) string {
	if rt := row(name); rt != nil && rt.Label != "" {
		return rt.Label
	}
	return name
}
