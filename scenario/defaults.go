package scenario

import (
	"slices"
	"strings"
	"time"
)

// DefaultBody is what the default route answers, as the story's servers do.
const DefaultBody = "Hello World!"

// DefaultRoutes is the route table of a server that declares none.
func DefaultRoutes() []Route {
	return []Route{{Path: "*", Status: 200, Body: DefaultBody, Then: Then{ThenNone}}}
}

// Request defaults.
const (
	DefaultMethod  = "GET"
	DefaultPath    = "/"
	DefaultVersion = "HTTP/1.1"
	DefaultHost    = "demo"
)

// The getters below return a knob's value or, when it is unset, the
// default in the runtime's row, so that runtimes never dereference a nil
// pointer. A knob that the server's runtime lacks reads as the
// catalogue's default.

// IntKnob is the field of the number knob named name (nil for a name
// that is not one): the one place that maps a knob's JSON name to Server.
func (s *Server) IntKnob(name string) **int {
	switch name {
	case "socketTimeoutMs":
		return &s.SocketTimeoutMs
	case "keepAliveTimeoutMs":
		return &s.KeepAliveTimeoutMs
	case "keepAliveTimeoutBufferMs":
		return &s.KeepAliveTimeoutBufferMs
	case "headersTimeoutMs":
		return &s.HeadersTimeoutMs
	case "requestTimeoutMs":
		return &s.RequestTimeoutMs
	case "maxRequestsPerSocket":
		return &s.MaxRequestsPerSocket
	case "idleTimeoutMs":
		return &s.IdleTimeoutMs
	case "readHeaderTimeoutMs":
		return &s.ReadHeaderTimeoutMs
	case "shutdownTimeoutMs":
		return &s.ShutdownTimeoutMs
	case "drainMs":
		return &s.DrainMs
	}
	return nil
}

// BoolKnob is the field of the switch named name (nil for a name that is
// not one).
func (s *Server) BoolKnob(name string) **bool {
	switch name {
	case "unrefSockets":
		return &s.UnrefSockets
	case "keepAlive":
		return &s.KeepAlive
	}
	return nil
}

// knob is the named knob as the server's runtime has it, or as the
// catalogue has it when the runtime lacks it.
func (s Server) knob(name string) Knob {
	if rt := row(s.Runtime); rt != nil {
		if k, ok := rt.Knob(name); ok {
			return k
		}
	}
	k, _ := catalogueKnob(name)
	return k
}

func catalogueKnob(name string) (Knob, bool) {
	i := slices.IndexFunc(knobCatalogue, func(k Knob) bool { return k.Name == name })
	if i < 0 {
		return Knob{}, false
	}
	return knobCatalogue[i], true
}

// Int is the effective value of the number knob named name: its own, or
// the runtime's default. headersTimeoutMs defaults as Node's does, to
// min(60 s, requestTimeout).
func (s Server) Int(name string) int {
	if p := s.IntKnob(name); p != nil && *p != nil {
		return **p
	}
	def := s.knob(name).Default
	if name == "headersTimeoutMs" {
		def = min(def, s.Int("requestTimeoutMs"))
	}
	return def
}

// Bool is the effective value of the switch named name.
func (s Server) Bool(name string) bool {
	if p := s.BoolKnob(name); p != nil && *p != nil {
		return **p
	}
	return s.knob(name).DefaultOn
}

func (s Server) ms(name string) time.Duration { return time.Duration(s.Int(name)) * time.Millisecond }

// Spec is the row of the server's runtime (the zero Runtime for a name
// the table does not have).
func (s Server) Spec() Runtime {
	rt, _ := Lookup(s.Runtime)
	return rt
}

// Behaviour is the switches of the server's Node line (zero for go and
// unknown names).
func (s Server) Behaviour() NodeBehaviour {
	if rt := row(s.Runtime); rt != nil {
		return rt.Node
	}
	return NodeBehaviour{}
}

// SocketTimeout is Node's per-socket setTimeout (0: none).
func (s Server) SocketTimeout() time.Duration { return s.ms("socketTimeoutMs") }

// KeepAliveTimeout is Node's server.keepAliveTimeout (0: off).
func (s Server) KeepAliveTimeout() time.Duration { return s.ms("keepAliveTimeoutMs") }

// KeepAliveBuffer is what Node adds to keepAliveTimeout for the socket's
// own timeout: server.keepAliveTimeoutBuffer where the line has it, else
// the line's built-in buffer (none before Node 20.18).
func (s Server) KeepAliveBuffer() time.Duration {
	if s.KeepAliveTimeoutBufferMs != nil && s.Behaviour().BufferKnob {
		return s.ms("keepAliveTimeoutBufferMs")
	}
	return time.Duration(s.Behaviour().KeepAliveBufferMs) * time.Millisecond
}

// RequestTimeout is Node's server.requestTimeout (0: off).
func (s Server) RequestTimeout() time.Duration { return s.ms("requestTimeoutMs") }

// HeadersTimeout is Node's server.headersTimeout; unset, Node takes
// min(60 s, requestTimeout).
func (s Server) HeadersTimeout() time.Duration { return s.ms("headersTimeoutMs") }

// MaxRequests is Node's server.maxRequestsPerSocket (0: no limit).
func (s Server) MaxRequests() int { return s.Int("maxRequestsPerSocket") }

// Unref reports whether the program unrefs idle sockets (answer 3's pattern).
func (s Server) Unref() bool { return s.Bool("unrefSockets") }

// IdleTimeout is Go's Server.IdleTimeout (0: none).
func (s Server) IdleTimeout() time.Duration { return s.ms("idleTimeoutMs") }

// ReadHeaderTimeout is Go's Server.ReadHeaderTimeout (0: none).
func (s Server) ReadHeaderTimeout() time.Duration { return s.ms("readHeaderTimeoutMs") }

// ShutdownTimeout bounds Go's Shutdown before the program gives up and
// calls Close.
func (s Server) ShutdownTimeout() time.Duration { return s.ms("shutdownTimeoutMs") }

// Drain is the drain period: from the drain action to the actions after
// it.
func (s Server) Drain() time.Duration { return s.ms("drainMs") }

// Drains reports whether a route's actions drain the server, so that the
// program needs its readiness flag.
func (s Server) Drains() bool {
	for _, r := range s.Routes {
		if r.Readiness || slices.Contains(r.Then, ThenDrain) {
			return true
		}
	}
	return false
}

// Answer is the status and body the route answers with: its own, or for
// a readiness route once the server drains, ReadinessDrainingStatus and
// ReadinessDrainingBody.
func (r Route) Answer(draining bool) (int, string) {
	if r.Readiness && draining {
		return ReadinessDrainingStatus, ReadinessDrainingBody
	}
	return r.Code(), r.Body
}

// SplitDrain splits a route's actions at its drain action: those the
// handler runs (the drain included), and those that run after the drain
// period (nil when there is no drain, or nothing after it).
func SplitDrain(then Then) (now, later Then) {
	i := slices.Index(then, ThenDrain)
	if i < 0 {
		return then, nil
	}
	return then[:i+1], then[i+1:]
}

// KeepAlives reports whether keep-alive is on (Go: SetKeepAlivesEnabled;
// Node: false makes every response Connection: close).
func (s Server) KeepAlives() bool { return s.Bool("keepAlive") }

// Duration is the run's length.
func (s Scenario) Duration() time.Duration {
	if s.DurationMs == 0 {
		return DefaultDurationMs * time.Millisecond
	}
	return time.Duration(s.DurationMs) * time.Millisecond
}

// Code is the route's status (200 when unset).
func (r Route) Code() int {
	if r.Status == 0 {
		return 200
	}
	return r.Status
}

// Actions is the route's Then: the actions the handler runs after
// responding, in order ([none] when unset).
func (r Route) Actions() Then {
	if len(r.Then) == 0 {
		return Then{ThenNone}
	}
	return r.Then
}

// Delay is how long the route holds its response.
func (r Route) Delay() time.Duration { return time.Duration(r.DelayMs) * time.Millisecond }

func intp(v int) *int    { return &v }
func boolp(v bool) *bool { return &v }

// WithDefaults returns a deep copy with every unset knob of the server's
// runtime (its row's Knobs) filled with the runtime's default, the default
// route table when none is given, DurationMs, each route's Status and
// Then, and each request step's method, path, version and Host. Knobs the
// runtime lacks stay unset, so the result still validates. The receiver is
// not modified.
func (s Scenario) WithDefaults() Scenario {
	out := s.clone()
	if out.DurationMs == 0 {
		out.DurationMs = DefaultDurationMs
	}
	sv := &out.Server
	if rt := row(sv.Runtime); rt != nil {
		for _, k := range rt.Knobs {
			if p := sv.BoolKnob(k.Name); p != nil {
				if *p == nil {
					*p = boolp(sv.Bool(k.Name))
				}
			} else if p := sv.IntKnob(k.Name); *p == nil {
				*p = intp(sv.Int(k.Name))
			}
		}
	}
	if out.Proxy != nil {
		out.Proxy.withDefaults()
	}
	if len(sv.Routes) == 0 {
		sv.Routes = DefaultRoutes()
	}
	for i := range sv.Routes {
		sv.Routes[i].Status = sv.Routes[i].Code()
		sv.Routes[i].Then = slices.Clone(sv.Routes[i].Actions())
	}
	for i := range out.Client.Pools {
		out.Client.Pools[i].withDefaults(out.Server)
	}
	for i := range out.Client.Steps {
		r := out.Client.Steps[i].Request
		if r == nil {
			continue
		}
		if r.Method == "" {
			r.Method = DefaultMethod
		}
		if r.Path == "" {
			r.Path = DefaultPath
		}
		if out.Client.Steps[i].Pool != "" {
			// The pooled client writes its own version and Host.
			continue
		}
		if r.Version == "" {
			r.Version = DefaultVersion
		}
		if _, ok := r.header("Host"); !ok {
			if r.Headers == nil {
				r.Headers = map[string]string{}
			}
			r.Headers["Host"] = DefaultHost
		}
	}
	return out
}

// clone copies every pointer, slice and map, so that the copy and the
// original can be changed independently.
func (s *Scenario) clone() Scenario {
	out := *s
	sv := &out.Server
	for _, k := range knobCatalogue {
		if p := sv.BoolKnob(k.Name); p != nil {
			if *p != nil {
				*p = boolp(**p)
			}
		} else if p := sv.IntKnob(k.Name); *p != nil {
			*p = intp(**p)
		}
	}
	sv.Routes = slices.Clone(sv.Routes)
	if out.Compare != nil {
		c := *out.Compare
		c.Runtimes = slices.Clone(c.Runtimes)
		c.Values = slices.Clone(c.Values)
		out.Compare = &c
	}
	for i := range sv.Routes {
		sv.Routes[i].Then = slices.Clone(sv.Routes[i].Then)
	}
	if out.Proxy != nil {
		out.Proxy = out.Proxy.clone()
	}
	out.Client.Pools = slices.Clone(out.Client.Pools)
	for i := range out.Client.Pools {
		out.Client.Pools[i] = out.Client.Pools[i].clone()
	}
	out.Client.Steps = slices.Clone(out.Client.Steps)
	for i := range out.Client.Steps {
		st := &out.Client.Steps[i]
		if st.Send != nil {
			v := *st.Send
			st.Send = &v
		}
		if st.Request != nil {
			r := *st.Request
			if r.Headers != nil {
				h := make(map[string]string, len(r.Headers))
				for k, v := range r.Headers {
					h[k] = v
				}
				r.Headers = h
			}
			st.Request = &r
		}
	}
	out.Checks = slices.Clone(out.Checks)
	for i := range out.Checks {
		c := &out.Checks[i]
		if c.Count != nil {
			v := *c.Count
			c.Count = &v
		}
		if c.Since != nil {
			v := *c.Since
			c.Since = &v
		}
		if c.MinMs != nil {
			v := *c.MinMs
			c.MinMs = &v
		}
		for _, b := range []**bool{&c.Reused, &c.Retried} {
			if *b != nil {
				*b = boolp(**b)
			}
		}
		if c.MaxMs != nil {
			v := *c.MaxMs
			c.MaxMs = &v
		}
	}
	return out
}

// Route returns the route that answers a request for target, the first
// match in order (the default table when Routes is empty), with Status and
// Then defaulted. Matching ignores the query string: "/end" matches
// "/end?now=1". A path ending in "*" matches by prefix ("/end*" matches
// "/end", "/endless" and "/end/x"); "*" matches everything.
func (s Server) Route(target string) (Route, bool) {
	path, _, _ := strings.Cut(target, "?")
	routes := s.Routes
	if len(routes) == 0 {
		routes = DefaultRoutes()
	}
	for _, r := range routes {
		if matchRoute(r.Path, path) {
			r.Status = r.Code()
			r.Then = r.Actions()
			return r, true
		}
	}
	return Route{}, false
}

func matchRoute(pattern, path string) bool {
	if pattern == "*" {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return pattern == path
}
