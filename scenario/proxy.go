package scenario

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Proxy kinds (Proxy.Kind).
const (
	// ProxyNginx is nginx 1.22's proxy_pass to an upstream block holding
	// the demo server, emulated and held to a real nginx 1.22.1.
	ProxyNginx = "nginx"
	// ProxyGo is a real net/http/httputil.ReverseProxy with its own
	// http.Transport, behind a real net/http.Server.
	ProxyGo = "go"
	// ProxyALB is an AWS Application Load Balancer, modelled from AWS's
	// documentation (it cannot run here).
	ProxyALB = "alb"
)

// ProxyKinds lists the kinds a scenario may name.
var ProxyKinds = []string{ProxyNginx, ProxyGo, ProxyALB}

// Proxy is a reverse proxy or load balancer between the client and the
// demo server (DESIGN.md, "proxy"). Client connections A, B, … end at the
// proxy; it opens its own upstream connections u1, u2, … to the demo
// server. Each knob belongs to one kind or to several (see
// proxyKnobs); a knob of another kind is an error, so that a link says
// exactly what the proxy is.
type Proxy struct {
	Kind string `json:"kind"`

	// nginx: `keepalive N` in the upstream block (0: nginx's default, no
	// cache: HTTP/1.0 and Connection: close upstream).
	Keepalive *int `json:"keepalive,omitempty"`
	// nginx: the upstream block's keepalive_timeout; go: the Transport's
	// IdleConnTimeout (0: no limit).
	UpstreamIdleTimeoutMs *int `json:"upstreamIdleTimeoutMs,omitempty"`
	// nginx: the upstream block's keepalive_requests.
	UpstreamMaxRequests *int `json:"upstreamMaxRequests,omitempty"`
	// nginx: the server's keepalive_timeout (0: no client keep-alive);
	// go: the front http.Server's IdleTimeout (0: none).
	ClientIdleTimeoutMs *int `json:"clientIdleTimeoutMs,omitempty"`
	// nginx: the server's keepalive_requests.
	ClientMaxRequests *int `json:"clientMaxRequests,omitempty"`
	// nginx: proxy_next_upstream, its words in order ("error", "timeout",
	// "non_idempotent", …, or "off" alone).
	NextUpstream []string `json:"nextUpstream,omitempty"`
	// nginx: proxy_read_timeout; alb: the idle timeout plays this part.
	ReadTimeoutMs *int `json:"readTimeoutMs,omitempty"`

	// go: Transport.MaxIdleConnsPerHost (0: Go's default, 2).
	MaxIdleConnsPerHost *int `json:"maxIdleConnsPerHost,omitempty"`
	// go: Transport.DisableKeepAlives.
	DisableKeepAlives *bool `json:"disableKeepAlives,omitempty"`

	// alb: the connection idle timeout, for client and target connections
	// alike.
	IdleTimeoutMs *int `json:"idleTimeoutMs,omitempty"`
	// alb: the HTTP client keepalive duration.
	ClientKeepAliveMs *int `json:"clientKeepAliveMs,omitempty"`

	// All kinds: the one-way network delay between the proxy and the demo
	// server. On loopback the hop takes microseconds, so a request that
	// meets the upstream's close is luck; with a delay, a request the
	// proxy forwards within this many ms of the upstream's close meets it
	// every run (the FIN is still on its way), as on a real network.
	UpstreamLatencyMs *int `json:"upstreamLatencyMs,omitempty"`
}

// Proxy defaults, as the real proxies have them.
const (
	// NginxKeepalive: no `keepalive` directive, no upstream cache.
	NginxKeepalive = 0
	// NginxUpstreamIdleTimeoutMs: the upstream block's keepalive_timeout
	// (ngx_http_upstream_keepalive_module.c: 60000).
	NginxUpstreamIdleTimeoutMs = 60_000
	// NginxUpstreamMaxRequests: the upstream keepalive_requests (1000).
	NginxUpstreamMaxRequests = 1000
	// NginxClientIdleTimeoutMs: http's keepalive_timeout (75 s).
	NginxClientIdleTimeoutMs = 75_000
	// NginxClientMaxRequests: http's keepalive_requests (1000).
	NginxClientMaxRequests = 1000
	// NginxReadTimeoutMs: proxy_read_timeout (60 s).
	NginxReadTimeoutMs = 60_000

	// GoUpstreamIdleTimeoutMs: http.DefaultTransport's IdleConnTimeout.
	GoUpstreamIdleTimeoutMs = 90_000
	// GoMaxIdleConnsPerHost: 0, which Go reads as DefaultMaxIdleConnsPerHost (2).
	GoMaxIdleConnsPerHost = 0
	// GoClientIdleTimeoutMs: a zero http.Server's IdleTimeout (none).
	GoClientIdleTimeoutMs = 0

	// ALBIdleTimeoutMs: the connection idle timeout's default, 60 s.
	ALBIdleTimeoutMs = 60_000
	// ALBClientKeepAliveMs: the HTTP client keepalive duration's default,
	// 3600 s.
	ALBClientKeepAliveMs = 3_600_000
)

// Proxy limits.
const (
	// MaxKeepalive bounds nginx's keepalive: the cache cannot hold more
	// connections than a session may open upstream at once.
	MaxKeepalive = 32
	// MaxProxyRequests bounds the keepalive_requests knobs.
	MaxProxyRequests = 10_000
	// MaxUpstreamLatencyMs bounds UpstreamLatencyMs (1 s each way).
	MaxUpstreamLatencyMs = 1000
	// MinALBIdleTimeoutMs and MaxALBIdleTimeoutMs are AWS's range for
	// the idle timeout (1 s .. 4000 s), cut to what a run can show.
	MinALBIdleTimeoutMs = 1000
	// MinALBClientKeepAliveMs and MaxALBClientKeepAliveMs are AWS's range
	// for the client keepalive duration (60 s .. 7 days).
	MinALBClientKeepAliveMs = 60_000
	MaxALBClientKeepAliveMs = 604_800_000
)

// NextUpstreamWords are the words proxy_next_upstream takes.
var NextUpstreamWords = []string{"error", "timeout", "invalid_header", "http_500", "http_502",
	"http_503", "http_504", "http_403", "http_404", "http_429", "non_idempotent", "off"}

// NginxNextUpstream is proxy_next_upstream's default.
var NginxNextUpstream = []string{"error", "timeout"}

// proxyKnobs says which kinds each knob belongs to, in schema order.
var proxyKnobs = []struct {
	name  string
	kinds []string
	set   func(p *Proxy) bool
}{
	{"keepalive", []string{ProxyNginx}, func(p *Proxy) bool { return p.Keepalive != nil }},
	{"upstreamIdleTimeoutMs", []string{ProxyNginx, ProxyGo}, func(p *Proxy) bool { return p.UpstreamIdleTimeoutMs != nil }},
	{"upstreamMaxRequests", []string{ProxyNginx}, func(p *Proxy) bool { return p.UpstreamMaxRequests != nil }},
	{"clientIdleTimeoutMs", []string{ProxyNginx, ProxyGo}, func(p *Proxy) bool { return p.ClientIdleTimeoutMs != nil }},
	{"clientMaxRequests", []string{ProxyNginx}, func(p *Proxy) bool { return p.ClientMaxRequests != nil }},
	{"nextUpstream", []string{ProxyNginx}, func(p *Proxy) bool { return p.NextUpstream != nil }},
	{"readTimeoutMs", []string{ProxyNginx}, func(p *Proxy) bool { return p.ReadTimeoutMs != nil }},
	{"maxIdleConnsPerHost", []string{ProxyGo}, func(p *Proxy) bool { return p.MaxIdleConnsPerHost != nil }},
	{"disableKeepAlives", []string{ProxyGo}, func(p *Proxy) bool { return p.DisableKeepAlives != nil }},
	{"idleTimeoutMs", []string{ProxyALB}, func(p *Proxy) bool { return p.IdleTimeoutMs != nil }},
	{"clientKeepAliveMs", []string{ProxyALB}, func(p *Proxy) bool { return p.ClientKeepAliveMs != nil }},
	{"upstreamLatencyMs", ProxyKinds, func(p *Proxy) bool { return p.UpstreamLatencyMs != nil }},
}

// ProxyKnobs lists the knobs a proxy kind has, in schema order.
func ProxyKnobs(kind string) []string {
	var out []string
	for _, k := range proxyKnobs {
		if slices.Contains(k.kinds, kind) {
			out = append(out, k.name)
		}
	}
	return out
}

func (p *Proxy) validate(ps *Problems) {
	switch {
	case p.Kind == "":
		ps.add(Fields("proxy", "kind"), "missing; one of %s", strings.Join(ProxyKinds, ", "))
		return
	case !slices.Contains(ProxyKinds, p.Kind):
		ps.add(Fields("proxy", "kind"), "%q is not one of %s", p.Kind, strings.Join(ProxyKinds, ", "))
		return
	}
	for _, k := range proxyKnobs {
		if k.set(p) && !slices.Contains(k.kinds, p.Kind) {
			ps.add(Fields("proxy", k.name), "not a knob of the %s proxy (it has %s)", p.Kind, strings.Join(ProxyKnobs(p.Kind), ", "))
		}
	}
	checkRange := func(name string, v *int, lo, hi int) {
		if v != nil && (*v < lo || *v > hi) {
			ps.add(Fields("proxy", name), "%d is outside %d..%d", *v, lo, hi)
		}
	}
	checkRange("keepalive", p.Keepalive, 0, MaxKeepalive)
	checkRange("upstreamIdleTimeoutMs", p.UpstreamIdleTimeoutMs, 0, MaxTimeoutMs)
	checkRange("upstreamMaxRequests", p.UpstreamMaxRequests, 1, MaxProxyRequests)
	checkRange("clientIdleTimeoutMs", p.ClientIdleTimeoutMs, 0, MaxTimeoutMs)
	checkRange("clientMaxRequests", p.ClientMaxRequests, 1, MaxProxyRequests)
	checkRange("readTimeoutMs", p.ReadTimeoutMs, 1, MaxTimeoutMs)
	checkRange("maxIdleConnsPerHost", p.MaxIdleConnsPerHost, 0, MaxKeepalive)
	checkRange("idleTimeoutMs", p.IdleTimeoutMs, MinALBIdleTimeoutMs, MaxTimeoutMs)
	checkRange("clientKeepAliveMs", p.ClientKeepAliveMs, MinALBClientKeepAliveMs, MaxALBClientKeepAliveMs)
	checkRange("upstreamLatencyMs", p.UpstreamLatencyMs, 0, MaxUpstreamLatencyMs)
	if p.NextUpstream != nil {
		if len(p.NextUpstream) == 0 {
			ps.add(Fields("proxy", "nextUpstream"), `empty; nginx needs at least one word ("off" for none)`)
		}
		seen := map[string]bool{}
		for i, w := range p.NextUpstream {
			field := Fields("proxy", "nextUpstream").At(i)
			switch {
			case !slices.Contains(NextUpstreamWords, w):
				ps.add(field, "%q is not one of %s", w, strings.Join(NextUpstreamWords, ", "))
			case seen[w]:
				ps.add(field, "%q is given twice", w)
			case w == "off" && len(p.NextUpstream) > 1:
				ps.add(field, `"off" cannot be combined with other words (nginx: invalid value)`)
			}
			seen[w] = true
		}
	}
}

// IsUpstreamLabel reports whether label has the form of an upstream
// connection's (u1, u2, …), which client connections may not take when a
// proxy is in place.
func IsUpstreamLabel(label string) bool {
	if len(label) < 2 || label[0] != 'u' {
		return false
	}
	for i := 1; i < len(label); i++ {
		if !isASCIIDigit(label[i]) {
			return false
		}
	}
	return true
}

// Getters: a knob's value, or the kind's default when unset.

// KeepaliveConns is nginx's `keepalive` (0: no cache).
func (p Proxy) KeepaliveConns() int { return intOr(p.Keepalive, NginxKeepalive) }

// UpstreamIdleTimeout is nginx's upstream keepalive_timeout or Go's
// IdleConnTimeout; for the ALB, its idle timeout.
func (p Proxy) UpstreamIdleTimeout() time.Duration {
	switch p.Kind {
	case ProxyGo:
		return ms(p.UpstreamIdleTimeoutMs, GoUpstreamIdleTimeoutMs)
	case ProxyALB:
		return p.IdleTimeout()
	}
	return ms(p.UpstreamIdleTimeoutMs, NginxUpstreamIdleTimeoutMs)
}

// UpstreamRequests is nginx's upstream keepalive_requests.
func (p Proxy) UpstreamRequests() int { return intOr(p.UpstreamMaxRequests, NginxUpstreamMaxRequests) }

// ClientIdleTimeout is nginx's keepalive_timeout or the Go front server's
// IdleTimeout; for the ALB, its idle timeout.
func (p Proxy) ClientIdleTimeout() time.Duration {
	switch p.Kind {
	case ProxyGo:
		return ms(p.ClientIdleTimeoutMs, GoClientIdleTimeoutMs)
	case ProxyALB:
		return p.IdleTimeout()
	}
	return ms(p.ClientIdleTimeoutMs, NginxClientIdleTimeoutMs)
}

// ClientRequests is nginx's keepalive_requests.
func (p Proxy) ClientRequests() int { return intOr(p.ClientMaxRequests, NginxClientMaxRequests) }

// NextUpstreamList is proxy_next_upstream's words.
func (p Proxy) NextUpstreamList() []string {
	if p.NextUpstream == nil {
		return slices.Clone(NginxNextUpstream)
	}
	return slices.Clone(p.NextUpstream)
}

// ReadTimeout is nginx's proxy_read_timeout.
func (p Proxy) ReadTimeout() time.Duration { return ms(p.ReadTimeoutMs, NginxReadTimeoutMs) }

// IdleConnsPerHost is Go's MaxIdleConnsPerHost as the scenario gives it
// (0: Go's default).
func (p Proxy) IdleConnsPerHost() int { return intOr(p.MaxIdleConnsPerHost, GoMaxIdleConnsPerHost) }

// KeepAlivesDisabled is Go's DisableKeepAlives.
func (p Proxy) KeepAlivesDisabled() bool { return boolOr(p.DisableKeepAlives, false) }

// IdleTimeout is the ALB's connection idle timeout.
func (p Proxy) IdleTimeout() time.Duration { return ms(p.IdleTimeoutMs, ALBIdleTimeoutMs) }

// ClientKeepAlive is the ALB's HTTP client keepalive duration.
func (p Proxy) ClientKeepAlive() time.Duration { return ms(p.ClientKeepAliveMs, ALBClientKeepAliveMs) }

// UpstreamLatency is the one-way delay on the upstream hop.
func (p Proxy) UpstreamLatency() time.Duration { return ms(p.UpstreamLatencyMs, 0) }

func ms(p *int, def int) time.Duration {
	return time.Duration(intOr(p, def)) * time.Millisecond
}

func boolOr(p *bool, def bool) bool {
	if p != nil {
		return *p
	}
	return def
}

func intOr(p *int, def int) int {
	if p != nil {
		return *p
	}
	return def
}

// withDefaults fills every knob of the proxy's kind with its default.
func (p *Proxy) withDefaults() {
	fill := func(v **int, d int) {
		if *v == nil {
			*v = intp(d)
		}
	}
	switch p.Kind {
	case ProxyNginx:
		fill(&p.Keepalive, NginxKeepalive)
		fill(&p.UpstreamIdleTimeoutMs, NginxUpstreamIdleTimeoutMs)
		fill(&p.UpstreamMaxRequests, NginxUpstreamMaxRequests)
		fill(&p.ClientIdleTimeoutMs, NginxClientIdleTimeoutMs)
		fill(&p.ClientMaxRequests, NginxClientMaxRequests)
		fill(&p.ReadTimeoutMs, NginxReadTimeoutMs)
		if p.NextUpstream == nil {
			p.NextUpstream = slices.Clone(NginxNextUpstream)
		}
	case ProxyGo:
		fill(&p.UpstreamIdleTimeoutMs, GoUpstreamIdleTimeoutMs)
		fill(&p.ClientIdleTimeoutMs, GoClientIdleTimeoutMs)
		fill(&p.MaxIdleConnsPerHost, GoMaxIdleConnsPerHost)
		if p.DisableKeepAlives == nil {
			p.DisableKeepAlives = boolp(false)
		}
	case ProxyALB:
		fill(&p.IdleTimeoutMs, ALBIdleTimeoutMs)
		fill(&p.ClientKeepAliveMs, ALBClientKeepAliveMs)
	}
	fill(&p.UpstreamLatencyMs, 0)
}

// clone copies every pointer and slice.
func (p *Proxy) clone() *Proxy {
	out := *p
	for _, v := range []**int{&out.Keepalive, &out.UpstreamIdleTimeoutMs, &out.UpstreamMaxRequests,
		&out.ClientIdleTimeoutMs, &out.ClientMaxRequests, &out.ReadTimeoutMs,
		&out.MaxIdleConnsPerHost, &out.IdleTimeoutMs, &out.ClientKeepAliveMs, &out.UpstreamLatencyMs} {
		if *v != nil {
			*v = intp(**v)
		}
	}
	if out.DisableKeepAlives != nil {
		out.DisableKeepAlives = boolp(*out.DisableKeepAlives)
	}
	out.NextUpstream = slices.Clone(out.NextUpstream)
	return &out
}

// Hop is one hop's idle timeouts, for the rule "each hop's idle timeout
// must be longer than the one in front of it".
type Hop struct {
	// Name says what the hop is ("nginx → app", "app (node24)").
	Name string
	// IdleMs is how long the hop keeps an idle connection from the hop in
	// front of it (0: forever).
	IdleMs int
	// Knob is the scenario field that sets it.
	Knob string
}

// HopWarnings checks the rule behind the intermittent 502: a server must
// keep an idle keep-alive connection open longer than the proxy in front
// of it does, or the proxy may reuse a connection at the moment the
// server closes it. It returns one Problem per broken pair (nil without a
// proxy or when the rule holds). They are warnings: such a scenario is
// valid, and is how the lessons show the 502.
func (s *Scenario) HopWarnings() Problems {
	if s.Proxy == nil || !slices.Contains(ProxyKinds, s.Proxy.Kind) {
		return nil
	}
	p := *s.Proxy
	proxyMs := 0 // how long the proxy keeps an idle upstream connection (0: forever)
	reuses := true
	field := "proxy.upstreamIdleTimeoutMs"
	switch p.Kind {
	case ProxyNginx:
		reuses = p.KeepaliveConns() > 0
		proxyMs = int(p.UpstreamIdleTimeout().Milliseconds())
	case ProxyGo:
		reuses = !p.KeepAlivesDisabled()
		proxyMs = int(p.UpstreamIdleTimeout().Milliseconds())
	case ProxyALB:
		proxyMs = int(p.IdleTimeout().Milliseconds())
		field = "proxy.idleTimeoutMs"
	}
	if !reuses {
		return nil
	}
	serverMs, knob := s.Server.idleCloseMs()
	if serverMs == 0 {
		return nil // the server never closes an idle connection
	}
	var ps Problems
	if proxyMs == 0 || serverMs <= proxyMs {
		proxyText := fmt.Sprintf("%d ms", proxyMs)
		if proxyMs == 0 {
			proxyText = "no limit"
		}
		ps.add(knob, "the app closes an idle connection after %d ms, not later than the %s proxy gives up on it (%s: %s): the proxy may send a request on a connection just as the app closes it, and the client gets a 502. Make the app's idle timeout longer than the proxy's.",
			serverMs, p.Kind, field, proxyText)
	}
	return ps
}

// IdleCloseMs is how long the demo server keeps an idle keep-alive
// connection before it closes it (0: forever), as the runtime really
// does it, and the knob that sets it.
func (sv Server) IdleCloseMs() (int, string) {
	ms, knob := sv.idleCloseMs()
	return ms, knob.String()
}

func (sv Server) idleCloseMs() (int, Path) {
	if !sv.KeepAlives() {
		return 0, nil
	}
	if !sv.Spec().IsNode() {
		return int(sv.IdleTimeout().Milliseconds()), Fields("server", "idleTimeoutMs")
	}
	ka := int(sv.KeepAliveTimeout().Milliseconds())
	if ka > 0 {
		ka += int(sv.KeepAliveBuffer().Milliseconds())
	}
	st := int(sv.SocketTimeout().Milliseconds())
	switch {
	case ka == 0:
		return st, Fields("server", "socketTimeoutMs")
	case st > 0 && st < ka:
		return st, Fields("server", "socketTimeoutMs")
	}
	return ka, Fields("server", "keepAliveTimeoutMs")
}
