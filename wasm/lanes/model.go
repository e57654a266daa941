// Package lanes draws the connection timeline: one lane per connection and
// one for the demo server, built live from the timeline events (DESIGN.md,
// "Timeline events").
//
// The package is split so that everything but the browser glue is tested
// with plain `go test`: the Model turns events into lanes of spans and
// marks, a Viewport maps session time to pixels, and Layout turns both into
// a Display list of shapes that the canvas renderer (render_js.go) and the
// SVG exporter (svg.go) draw alike, so an export is the same picture.
package lanes

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// Open is the End of a span that still lasts.
var Open = math.Inf(1)

// Config is what the model needs of the scenario: the runtime and the
// timeouts that decide when an idle connection will be closed.
type Config struct {
	// Runtime names the runtime's row; NewModel fills Language and Node
	// from it.
	Runtime  string
	Language scenario.Language
	// Node is the Node line's switches (zero for go).
	Node scenario.NodeBehaviour
	// Node.
	SocketTimeoutMs    float64
	KeepAliveTimeoutMs float64
	KeepAliveBufferMs  float64
	// Go.
	IdleTimeoutMs       float64
	ReadHeaderTimeoutMs float64

	// The proxy, when the scenario has one: its idle timeout for client
	// connections (ProxyClientMs, 0: none) and for upstream ones
	// (ProxyUpstreamMs, 0: none; ProxyReuses false when it never keeps
	// one), with the names the timers go by.
	ProxyKind                          string
	ProxyClientMs, ProxyUpstreamMs     float64
	ProxyClientLabel, ProxyUpstreamLbl string
	ProxyReuses                        bool
}

// ConfigOf reads the timeouts of sc (unset knobs read as their defaults).
func ConfigOf(sc scenario.Scenario) Config {
	sv := sc.Server
	c := Config{Runtime: sv.Runtime, Language: sv.Spec().Language, Node: sv.Behaviour()}
	switch c.Language {
	case scenario.LangNode:
		c.SocketTimeoutMs = float64(sv.SocketTimeout().Milliseconds())
		c.KeepAliveTimeoutMs = float64(sv.KeepAliveTimeout().Milliseconds())
		if c.KeepAliveTimeoutMs > 0 {
			// After a response the socket's timeout is keepAliveTimeout
			// plus the line's buffer, while the Keep-Alive header still
			// advertises keepAliveTimeout.
			c.KeepAliveBufferMs = float64(sv.KeepAliveBuffer().Milliseconds())
		}
	case scenario.LangGo:
		c.IdleTimeoutMs = float64(sv.IdleTimeout().Milliseconds())
		c.ReadHeaderTimeoutMs = float64(sv.ReadHeaderTimeout().Milliseconds())
	}
	if sc.Proxy != nil {
		p := sc.WithDefaults().Proxy
		c.ProxyKind = p.Kind
		c.ProxyClientMs = float64(p.ClientIdleTimeout().Milliseconds())
		c.ProxyUpstreamMs = float64(p.UpstreamIdleTimeout().Milliseconds())
		switch p.Kind {
		case scenario.ProxyNginx:
			c.ProxyClientLabel, c.ProxyUpstreamLbl = "nginx keepalive_timeout", "nginx upstream keepalive_timeout"
			c.ProxyReuses = p.KeepaliveConns() > 0
		case scenario.ProxyGo:
			c.ProxyClientLabel, c.ProxyUpstreamLbl = "proxy IdleTimeout", "proxy IdleConnTimeout"
			c.ProxyReuses = !p.KeepAlivesDisabled()
		case scenario.ProxyALB:
			c.ProxyClientLabel, c.ProxyUpstreamLbl = "ALB idle timeout", "ALB idle timeout"
			c.ProxyReuses = true
		}
	}
	return c
}

// SpanKind is a state a connection spends time in.
type SpanKind uint8

// Connection states, in the order a connection usually passes them.
const (
	SpanConnecting SpanKind = iota // connect and accept seen on one side only
	SpanOpen                       // connected, no request in flight
	SpanRequest                    // a request parsed, its response not yet written
	SpanIdle                       // the server marked it idle (keep-alive)
	SpanHalfClosed                 // one side closed, the other end is still open
	// Server lane states.
	SpanListening
	SpanClosing    // close()/Shutdown called, the listener not yet closed
	SpanNotAccepts // the listener is closed; the process still runs
)

var spanNames = [...]string{
	SpanConnecting: "connecting",
	SpanOpen:       "open",
	SpanRequest:    "request in flight",
	SpanIdle:       "idle",
	SpanHalfClosed: "half-closed",
	SpanListening:  "listening",
	SpanClosing:    "closing",
	SpanNotAccepts: "listener closed",
}

func (k SpanKind) String() string { return spanNames[k] }

// Span is a stretch of one state on a lane.
type Span struct {
	Kind       SpanKind
	Start, End float64 // End is Open while the state lasts
	Event      int     // the event that began it (index in Model.Events)
	// Timer is the server timeout that would end this stretch ("keepAliveTimeout
	// 5 s + 1 s buffer"), Deadline when it fires; empty when none applies.
	Timer       string
	TimerReason string
	Deadline    float64
	// Label is the span's text (a request's "GET /slow → 200").
	Label string
}

// Lane is one connection (or the server, Conn "").
type Lane struct {
	Conn  string
	Index int // position among the model's connection lanes
	// Upstream marks a proxy's connection to the demo server (u1, u2, …).
	Upstream bool
	// forwards counts the forwards since the last response: a second one
	// is a retry.
	forwards int
	// Events indexes Model.Events in time order; Times holds their times,
	// never decreasing, for binary search.
	Events []int
	Times  []float64
	Spans  []Span
	// TCP holds each end's kernel states in time order (tcp events).
	TCP []TCPRun

	// Close is the first close event (-1 when none): who closed it and why.
	Close        int
	Refused      bool
	Reset        int // the reset event, -1 when none
	Ended        bool
	Requests     int
	connected    bool
	accepted     bool
	inflight     int
	reqSpan      int // index of the open request span's request event
	keepAliveSet bool
	timer        timer
	// Lines whose parser cancels the keep-alive timeout (Node 18):
	// lastSend is the client's latest bytes, and bodySeen
	// says the request in flight has body bytes (see afterResponse).
	lastSend string
	bodySeen bool
}

// TCPRun is one end of a connection in one TCP state, as the kernel had
// it: from Start to End (Open while it lasts); Event is its tcp event.
type TCPRun struct {
	Side, State string
	Start, End  float64
	Event       int
}

// addTCP ends the side's current run and starts the new state's; CLOSED
// ends the side's last run and starts none (the end is gone).
func (l *Lane) addTCP(i int, t float64, ev timeline.Event) {
	for k := len(l.TCP) - 1; k >= 0; k-- {
		if r := &l.TCP[k]; r.Side == ev.Side {
			if r.End == Open {
				r.End = t
			}
			break
		}
	}
	if ev.State != timeline.StateClosed {
		l.TCP = append(l.TCP, TCPRun{Side: ev.Side, State: ev.State, Start: t, End: Open, Event: i})
	}
}

// timer is the server timeout running on a connection.
type timer struct {
	label, reason string
	ms            float64
	activity      bool // restarted by reads and writes (Node's socket.setTimeout)
	deadline      float64
}

// State names the lane's current state for the accessible view.
func (l *Lane) State() string {
	switch {
	case l.Refused:
		return "refused"
	case l.Reset >= 0:
		return "reset"
	case l.Ended:
		return "closed"
	case len(l.Spans) == 0:
		return "new"
	}
	return l.Spans[len(l.Spans)-1].Kind.String()
}

// Model is every event of a run, arranged in lanes.
type Model struct {
	Config Config
	Events []timeline.Event
	Server Lane
	Lanes  []*Lane
	// Last is the latest event time.
	Last float64
	// Exited is the time of the exit event (-1 before).
	Exited float64
	// Forwards are the proxy's forwards, each a path from a client lane
	// to the upstream lane that carried the request.
	Forwards []Forward
	byConn   map[string]*Lane
}

// Forward is a request the proxy sent upstream.
type Forward struct {
	Event    int // the forward event
	T        float64
	From, To string // client and upstream connection labels
	// Retry: the same request was forwarded before (it failed there).
	Retry bool
}

// NewModel makes an empty model for a run with cfg's timeouts.
func NewModel(cfg Config) *Model {
	if rt, ok := scenario.Lookup(cfg.Runtime); ok && cfg.Language == "" {
		cfg.Language, cfg.Node = rt.Language, rt.Node
	}
	return &Model{Config: cfg, Server: newLane("", -1), Exited: -1, byConn: map[string]*Lane{}}
}

func newLane(conn string, i int) Lane {
	return Lane{Conn: conn, Index: i, Close: -1, Reset: -1, reqSpan: -1}
}

// Lane returns the lane of conn, or nil.
func (m *Model) Lane(conn string) *Lane { return m.byConn[conn] }

// Add appends one event and updates its lane. Events arrive in time order;
// one that arrives a little late is placed at the lane's latest time so that
// spans never run backwards.
func (m *Model) Add(ev timeline.Event) {
	i := len(m.Events)
	m.Events = append(m.Events, ev)
	if ev.T > m.Last {
		m.Last = ev.T
	}
	if ev.Conn == "" {
		m.addServer(i, ev)
		return
	}
	l := m.byConn[ev.Conn]
	if l == nil {
		nl := newLane(ev.Conn, len(m.Lanes))
		nl.Upstream = ev.Hop == timeline.HopUpstream
		l = &nl
		m.Lanes = append(m.Lanes, l)
		m.byConn[ev.Conn] = l
	}
	if ev.Kind == timeline.TCP {
		l.addTCP(i, l.at(i, ev.T), ev)
		return
	}
	m.addConn(l, i, ev)
}

// at appends event i to l and returns its (monotonic) time.
func (l *Lane) at(i int, t float64) float64 {
	if n := len(l.Times); n > 0 && t < l.Times[n-1] {
		t = l.Times[n-1]
	}
	l.Events = append(l.Events, i)
	l.Times = append(l.Times, t)
	return t
}

// begin ends the current span at t and starts one of kind k.
func (l *Lane) begin(k SpanKind, t float64, ev int) *Span {
	l.end(t)
	l.Spans = append(l.Spans, Span{Kind: k, Start: t, End: Open, Event: ev})
	return &l.Spans[len(l.Spans)-1]
}

func (l *Lane) end(t float64) {
	if n := len(l.Spans); n > 0 && l.Spans[n-1].End == Open {
		l.Spans[n-1].End = t
	}
}

// current returns the open span, or nil.
func (l *Lane) current() *Span {
	if n := len(l.Spans); n > 0 && l.Spans[n-1].End == Open {
		return &l.Spans[n-1]
	}
	return nil
}

func (m *Model) addServer(i int, ev timeline.Event) {
	s := &m.Server
	t := s.at(i, ev.T)
	switch ev.Kind {
	case timeline.Listen:
		s.begin(SpanListening, t, i)
	case timeline.CloseCalled, timeline.ShutdownCalled:
		if c := s.current(); c != nil && c.Kind == SpanListening {
			s.begin(SpanClosing, t, i)
		}
	case timeline.ListenerClosed:
		s.begin(SpanNotAccepts, t, i)
	case timeline.Exit:
		s.end(t)
		s.Ended = true
		m.Exited = t
	}
}

func (m *Model) addConn(l *Lane, i int, ev timeline.Event) {
	t := l.at(i, ev.T)
	if l.Ended || l.Close >= 0 && ev.Kind != timeline.Close && ev.Kind != timeline.Reset {
		// Late news (a response written as the socket was destroyed, bytes
		// the client still reads): a mark, no change of state.
		return
	}
	cfg := &m.Config
	switch ev.Kind {
	case timeline.Forward:
		m.Forwards = append(m.Forwards, Forward{Event: i, T: t, From: ev.Conn, To: ev.Upstream, Retry: l.forwards > 0})
		l.forwards++
		return
	case timeline.Connect, timeline.Accept:
		if ev.Kind == timeline.Connect {
			l.connected = true
		} else {
			l.accepted = true
		}
		switch {
		case len(l.Spans) == 0 && !(l.connected && l.accepted):
			l.begin(SpanConnecting, t, i)
			m.startTimer(l, t)
		case l.connected && l.accepted:
			if c := l.current(); c == nil || c.Kind == SpanConnecting {
				if len(l.Spans) == 0 {
					m.startTimer(l, t)
				}
				l.begin(SpanOpen, t, i)
			}
		}
	case timeline.Send:
		l.touch(t)
		if cfg.Node.ParserCancelsKeepAlive {
			switch {
			case l.keepAliveSet:
				// Node 18's onParserExecuteCommon: bytes parsed after a
				// response cancel the keep-alive timeout.
				l.cancelKeepAlive()
			case l.inflight > 0:
				l.bodySeen = true
			}
			l.lastSend = ev.Data
		}
	case timeline.Request:
		l.Requests++
		l.inflight++
		if cfg.Node.ParserCancelsKeepAlive {
			l.bodySeen = declaresBody(l.lastSend)
		}
		if l.keepAliveSet {
			// Node's resetSocketTimeout: back to server.timeout (0), not to
			// the program's own socket.setTimeout.
			l.cancelKeepAlive()
		}
		if cfg.Language == scenario.LangGo {
			l.timer = timer{} // the handler runs without a read deadline
		}
		l.touch(t)
		if l.inflight == 1 {
			s := l.begin(SpanRequest, t, i)
			s.Label = ev.Method + " " + ev.Path
			l.reqSpan = len(l.Spans) - 1
		}
	case timeline.Response:
		l.touch(t)
		l.forwards = 0
		if l.inflight > 0 {
			l.inflight--
		}
		if l.reqSpan >= 0 {
			l.Spans[l.reqSpan].Label += " → " + strconv.Itoa(ev.Status)
		}
		if l.inflight == 0 {
			l.reqSpan = -1
			l.begin(SpanOpen, t, i)
			m.afterResponse(l, t)
		}
	case timeline.Idle:
		if l.inflight == 0 && l.Close < 0 {
			l.begin(SpanIdle, t, i)
		}
	case timeline.Close:
		if l.Close < 0 {
			l.Close = i
			l.inflight, l.reqSpan = 0, -1
			l.timer = timer{}
			s := l.begin(SpanHalfClosed, t, i)
			s.Label = HalfClosedLabel(&ev)
			return
		}
		if ev.By != m.Events[l.Close].By {
			l.finish(t)
		}
	case timeline.Reset:
		l.Reset = i
		l.finish(t)
	case timeline.Refused:
		l.Refused = true
		l.finish(t)
	}
	l.syncTimer()
}

func (l *Lane) finish(t float64) {
	l.end(t)
	l.Ended = true
	l.timer = timer{}
}

// cancelKeepAlive drops the keep-alive timeout and the timer with it.
func (l *Lane) cancelKeepAlive() {
	l.keepAliveSet = false
	l.timer = timer{}
}

// startTimer arms the timeout that guards a new connection before its
// first request: Node's socket.setTimeout from the 'connection' listener,
// Go's ReadHeaderTimeout.
func (m *Model) startTimer(l *Lane, t float64) {
	c := &m.Config
	if c.ProxyKind != "" && !l.Upstream {
		return // the client's connection is the proxy's, not the app's
	}
	switch {
	case c.Language == scenario.LangNode && c.SocketTimeoutMs > 0:
		l.timer = timer{label: "socket.setTimeout " + fmtMs(c.SocketTimeoutMs), reason: timeline.ReasonSocketTimeout,
			ms: c.SocketTimeoutMs, activity: true, deadline: t + c.SocketTimeoutMs}
	case c.Language == scenario.LangGo && c.ReadHeaderTimeoutMs > 0:
		l.timer = timer{label: "ReadHeaderTimeout " + fmtMs(c.ReadHeaderTimeoutMs), reason: timeline.ReasonHeadersTimeout,
			ms: c.ReadHeaderTimeoutMs, deadline: t + c.ReadHeaderTimeoutMs}
	}
}

// afterResponse arms the timeout that guards an idle keep-alive connection.
// With a proxy, a client connection's is the proxy's; on an upstream
// connection the app's and the proxy's both run, and the one that fires
// first is shown.
func (m *Model) afterResponse(l *Lane, t float64) {
	c := &m.Config
	if c.ProxyKind != "" && !l.Upstream {
		if c.ProxyClientMs > 0 {
			l.timer = timer{label: c.ProxyClientLabel + " " + fmtMs(c.ProxyClientMs), reason: timeline.ReasonProxyIdleTimeout,
				ms: c.ProxyClientMs, deadline: t + c.ProxyClientMs}
		}
		return
	}
	defer func() {
		if !l.Upstream || !c.ProxyReuses || c.ProxyUpstreamMs <= 0 {
			return
		}
		if l.timer.label == "" || t+c.ProxyUpstreamMs < l.timer.deadline {
			l.keepAliveSet = false
			l.timer = timer{label: c.ProxyUpstreamLbl + " " + fmtMs(c.ProxyUpstreamMs), reason: timeline.ReasonUpstreamIdleTimeout,
				ms: c.ProxyUpstreamMs, deadline: t + c.ProxyUpstreamMs}
		}
	}()
	switch {
	case c.Language == scenario.LangNode && c.KeepAliveTimeoutMs > 0:
		label := "keepAliveTimeout " + fmtMs(c.KeepAliveTimeoutMs)
		if c.KeepAliveBufferMs > 0 {
			label += " + " + fmtMs(c.KeepAliveBufferMs) + " buffer"
		}
		ms := c.KeepAliveTimeoutMs + c.KeepAliveBufferMs
		l.timer = timer{label: label, reason: timeline.ReasonKeepAliveTimeout, ms: ms, activity: true, deadline: t + ms}
		l.keepAliveSet = true
		if c.Node.ParserCancelsKeepAlive && l.bodySeen {
			// The handler never read the body; dumping it after the
			// response runs Node 18's parser callback, which cancels the
			// timeout just set, and the socket's own with it.
			l.cancelKeepAlive()
		}
	case c.Language == scenario.LangGo && c.IdleTimeoutMs > 0:
		l.timer = timer{label: "IdleTimeout " + fmtMs(c.IdleTimeoutMs), reason: timeline.ReasonIdleTimeout,
			ms: c.IdleTimeoutMs, deadline: t + c.IdleTimeoutMs}
	}
}

// declaresBody reports whether the client bytes that carried a request
// head declare a body with bytes in it: a Content-Length above 0, or
// chunked with a first chunk (in the same bytes) that is not the last.
// A guess from the bytes
// alone (the head may have come in an earlier send), good enough for the
// countdown it decides.
func declaresBody(sent string) bool {
	head, rest, _ := strings.Cut(sent, "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "content-length":
			if n, err := strconv.Atoi(value); err == nil && n > 0 {
				return true
			}
		case "transfer-encoding":
			if strings.Contains(strings.ToLower(value), "chunked") {
				size, _, _ := strings.Cut(rest, "\r\n")
				size, _, _ = strings.Cut(size, ";")
				return strings.Trim(size, " 0") != ""
			}
		}
	}
	return false
}

// touch restarts an inactivity timer: Node restarts socket timeouts on
// every read and write.
func (l *Lane) touch(t float64) {
	if l.timer.activity {
		l.timer.deadline = t + l.timer.ms
	}
}

// syncTimer copies the running timer onto the open span when the span is
// one a timeout can end (a connection waiting for a request).
func (l *Lane) syncTimer() {
	s := l.current()
	if s == nil {
		return
	}
	switch s.Kind {
	case SpanOpen, SpanIdle, SpanConnecting:
		if l.timer.label != "" {
			s.Timer, s.TimerReason, s.Deadline = l.timer.label, l.timer.reason, l.timer.deadline
		} else {
			s.Timer, s.TimerReason, s.Deadline = "", "", 0
		}
	}
}

// Countdown is a timer that runs at now on a lane: it will fire at Deadline
// unless the connection gets a request first.
type Countdown struct {
	Label    string
	Reason   string
	Deadline float64
	Left     float64 // ms from now; <= 0 once due
}

// Countdown returns the lane's running timeout at now, if any.
func (l *Lane) Countdown(now float64) (Countdown, bool) {
	s := l.current()
	if s == nil || s.Timer == "" || l.Ended || l.Close >= 0 {
		return Countdown{}, false
	}
	return Countdown{Label: s.Timer, Reason: s.TimerReason, Deadline: s.Deadline, Left: s.Deadline - now}, true
}

// SpansIn returns the index range [i, j) of l's spans that overlap [t0, t1]
// (an open span lasts until now).
func (l *Lane) SpansIn(t0, t1 float64) (int, int) {
	// Spans follow each other, so their ends never decrease.
	i := sort.Search(len(l.Spans), func(k int) bool { return l.Spans[k].End >= t0 })
	j := sort.Search(len(l.Spans), func(k int) bool { return l.Spans[k].Start > t1 })
	if j < i {
		j = i
	}
	return i, j
}

// EventsIn returns the index range [i, j) of l.Events within [t0, t1].
func (l *Lane) EventsIn(t0, t1 float64) (int, int) {
	i := sort.SearchFloat64s(l.Times, t0)
	j := sort.Search(len(l.Times), func(k int) bool { return l.Times[k] > t1 })
	if j < i {
		j = i
	}
	return i, j
}

// End is the latest time the model shows at now.
func (m *Model) End(now float64) float64 { return math.Max(m.Last, now) }
