package scenario

import (
	"slices"
	"strings"
	"time"
)

// Runtime defaults, as the real servers have them. Node values are Node
// 20's http.Server defaults (lib/_http_server.js); Go values are a zero
// net/http.Server's.
const (
	// NodeKeepAliveTimeoutMs: server.keepAliveTimeout, 5 s in Node 20 and 18.
	NodeKeepAliveTimeoutMs = 5_000
	// NodeHeadersTimeoutMs: server.headersTimeout is min(60 s, requestTimeout).
	NodeHeadersTimeoutMs = 60_000
	// NodeRequestTimeoutMs: server.requestTimeout, 300 s since Node 18.
	NodeRequestTimeoutMs = 300_000
	// NodeSocketTimeoutMs: no per-socket setTimeout unless the program calls it.
	NodeSocketTimeoutMs = 0
	// NodeMaxRequestsPerSocket: 0, no limit.
	NodeMaxRequestsPerSocket = 0

	// GoIdleTimeoutMs: 0, so Go falls back to ReadTimeout, also 0: an idle
	// keep-alive connection waits forever.
	GoIdleTimeoutMs = 0
	// GoReadHeaderTimeoutMs: 0, no limit (Go then uses ReadTimeout, 0).
	GoReadHeaderTimeoutMs = 0
	// GoShutdownTimeoutMs bounds the context the demo program passes to
	// Shutdown; Go has no default, 5 s is the customary choice.
	GoShutdownTimeoutMs = 5_000
)

// DefaultBody is what the default route answers, as the story's servers do.
const DefaultBody = "Hello World!"

// DefaultRoutes is the route table of a server that declares none.
func DefaultRoutes() []Route {
	return []Route{{Path: "*", Status: 200, Body: DefaultBody, Then: ThenNone}}
}

// Request defaults.
const (
	DefaultMethod  = "GET"
	DefaultPath    = "/"
	DefaultVersion = "HTTP/1.1"
	DefaultHost    = "demo"
)

// The getters below return a knob's value or, when it is unset, the
// runtime's default, so that runtimes never dereference a nil pointer. A
// knob that does not apply to the server's runtime reads as its default.

func ms(p *int, def int) time.Duration {
	if p != nil {
		return time.Duration(*p) * time.Millisecond
	}
	return time.Duration(def) * time.Millisecond
}

func boolOr(p *bool, def bool) bool {
	if p != nil {
		return *p
	}
	return def
}

// SocketTimeout is Node's per-socket setTimeout (0: none).
func (s Server) SocketTimeout() time.Duration { return ms(s.SocketTimeoutMs, NodeSocketTimeoutMs) }

// KeepAliveTimeout is Node's server.keepAliveTimeout (0: off).
func (s Server) KeepAliveTimeout() time.Duration {
	return ms(s.KeepAliveTimeoutMs, NodeKeepAliveTimeoutMs)
}

// RequestTimeout is Node's server.requestTimeout (0: off).
func (s Server) RequestTimeout() time.Duration {
	return ms(s.RequestTimeoutMs, NodeRequestTimeoutMs)
}

// HeadersTimeout is Node's server.headersTimeout; unset, Node takes
// min(60 s, requestTimeout).
func (s Server) HeadersTimeout() time.Duration {
	if s.HeadersTimeoutMs != nil {
		return ms(s.HeadersTimeoutMs, 0)
	}
	return min(ms(nil, NodeHeadersTimeoutMs), s.RequestTimeout())
}

// MaxRequests is Node's server.maxRequestsPerSocket (0: no limit).
func (s Server) MaxRequests() int {
	if s.MaxRequestsPerSocket != nil {
		return *s.MaxRequestsPerSocket
	}
	return NodeMaxRequestsPerSocket
}

// Unref reports whether the program unrefs idle sockets (answer 3's pattern).
func (s Server) Unref() bool { return boolOr(s.UnrefSockets, false) }

// IdleTimeout is Go's Server.IdleTimeout (0: none).
func (s Server) IdleTimeout() time.Duration { return ms(s.IdleTimeoutMs, GoIdleTimeoutMs) }

// ReadHeaderTimeout is Go's Server.ReadHeaderTimeout (0: none).
func (s Server) ReadHeaderTimeout() time.Duration {
	return ms(s.ReadHeaderTimeoutMs, GoReadHeaderTimeoutMs)
}

// ShutdownTimeout bounds Go's Shutdown before the program gives up and
// calls Close.
func (s Server) ShutdownTimeout() time.Duration {
	return ms(s.ShutdownTimeoutMs, GoShutdownTimeoutMs)
}

// KeepAlives reports whether keep-alive is on (Go: SetKeepAlivesEnabled;
// Node: false makes every response Connection: close).
func (s Server) KeepAlives() bool { return boolOr(s.KeepAlive, true) }

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

// Action is the route's Then ("none" when unset).
func (r Route) Action() string {
	if r.Then == "" {
		return ThenNone
	}
	return r.Then
}

// Delay is how long the route holds its response.
func (r Route) Delay() time.Duration { return time.Duration(r.DelayMs) * time.Millisecond }

func intp(v int) *int    { return &v }
func boolp(v bool) *bool { return &v }

// WithDefaults returns a deep copy with every unset knob of the server's
// runtime filled with the runtime's default, the default route table when
// none is given, DurationMs, each route's Status and Then, and each
// request step's method, path, version and Host. Knobs of the other
// runtime stay unset, so the result still validates. The receiver is not
// modified.
func (s Scenario) WithDefaults() Scenario {
	out := s.clone()
	if out.DurationMs == 0 {
		out.DurationMs = DefaultDurationMs
	}
	sv := &out.Server
	fill := func(p **int, v time.Duration) {
		if *p == nil {
			*p = intp(int(v.Milliseconds()))
		}
	}
	switch {
	case IsNode(sv.Runtime):
		fill(&sv.SocketTimeoutMs, sv.SocketTimeout())
		fill(&sv.KeepAliveTimeoutMs, sv.KeepAliveTimeout())
		fill(&sv.HeadersTimeoutMs, sv.HeadersTimeout())
		fill(&sv.RequestTimeoutMs, sv.RequestTimeout())
		if sv.MaxRequestsPerSocket == nil {
			sv.MaxRequestsPerSocket = intp(sv.MaxRequests())
		}
		if sv.UnrefSockets == nil {
			sv.UnrefSockets = boolp(false)
		}
	case sv.Runtime == RuntimeGo:
		fill(&sv.IdleTimeoutMs, sv.IdleTimeout())
		fill(&sv.ReadHeaderTimeoutMs, sv.ReadHeaderTimeout())
		fill(&sv.ShutdownTimeoutMs, sv.ShutdownTimeout())
	}
	if sv.KeepAlive == nil {
		sv.KeepAlive = boolp(true)
	}
	if out.Proxy != nil {
		out.Proxy.withDefaults()
	}
	if len(sv.Routes) == 0 {
		sv.Routes = DefaultRoutes()
	}
	for i := range sv.Routes {
		sv.Routes[i].Status = sv.Routes[i].Code()
		sv.Routes[i].Then = sv.Routes[i].Action()
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
	for _, p := range []**int{&sv.SocketTimeoutMs, &sv.KeepAliveTimeoutMs, &sv.HeadersTimeoutMs,
		&sv.RequestTimeoutMs, &sv.MaxRequestsPerSocket, &sv.IdleTimeoutMs,
		&sv.ReadHeaderTimeoutMs, &sv.ShutdownTimeoutMs} {
		if *p != nil {
			*p = intp(**p)
		}
	}
	for _, p := range []**bool{&sv.UnrefSockets, &sv.KeepAlive} {
		if *p != nil {
			*p = boolp(**p)
		}
	}
	sv.Routes = slices.Clone(sv.Routes)
	if out.Compare != nil {
		c := *out.Compare
		c.Runtimes = slices.Clone(c.Runtimes)
		c.Values = slices.Clone(c.Values)
		out.Compare = &c
	}
	if out.Proxy != nil {
		out.Proxy = out.Proxy.clone()
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
			r.Then = r.Action()
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
