package editor

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keepalive-playground/playground/scenario"
)

// ProxyKnob is one knob of the scenario's proxy as the form shows it.
type ProxyKnob struct {
	Name  string // JSON name under "proxy"
	Label string
	Unit  string // "ms", or "" for a count, a switch or a word list
	Bool  bool
	Words bool // a list of words (nginx's proxy_next_upstream)
	Kinds []string
	Min   int
	Max   int
	Help  string

	intp  func(*scenario.Proxy) **int
	boolp func(*scenario.Proxy) **bool
	value func(scenario.Proxy) string
}

func proxyMs(f func(scenario.Proxy) time.Duration) func(scenario.Proxy) string {
	return func(p scenario.Proxy) string { return strconv.FormatInt(f(p).Milliseconds(), 10) }
}

// ProxyKinds are the proxy select's choices; "" is no proxy.
var ProxyKinds = append([]string{""}, scenario.ProxyKinds...)

// ProxyKindLabel names a proxy kind in the select.
func ProxyKindLabel(kind string) string {
	switch kind {
	case "":
		return "none: the client talks to the app"
	case scenario.ProxyNginx:
		return "nginx 1.22 (proxy_pass to an upstream block)"
	case scenario.ProxyGo:
		return "Go httputil.ReverseProxy"
	case scenario.ProxyALB:
		return "AWS Application Load Balancer (modelled)"
	}
	return kind + " (unknown)"
}

// ProxyNote explains a proxy kind in one line.
func ProxyNote(kind string) string {
	switch kind {
	case scenario.ProxyNginx:
		return "An emulation of nginx 1.22.1, held to the real nginx by a differential test: the Code tab shows its configuration."
	case scenario.ProxyGo:
		return "A real httputil.ReverseProxy with its own http.Transport: the Code tab shows the program."
	case scenario.ProxyALB:
		return "Modelled from AWS's documentation (an ALB cannot run here): the Code tab links the pages it follows."
	}
	return "Put a reverse proxy or load balancer between the client and the app: client connections end at it, and it opens its own upstream connections u1, u2, …"
}

// ProxyKnobs lists the proxy knobs in the order the form shows them.
var ProxyKnobs = []ProxyKnob{
	{Name: "keepalive", Label: "Upstream keepalive connections", Kinds: []string{scenario.ProxyNginx}, Max: scenario.MaxKeepalive,
		Help:  "keepalive N in the upstream block: idle connections to the app kept per worker. 0: nginx's default, HTTP/1.0 and Connection: close, a new connection per request.",
		intp:  func(p *scenario.Proxy) **int { return &p.Keepalive },
		value: func(p scenario.Proxy) string { return strconv.Itoa(p.KeepaliveConns()) }},
	{Name: "upstreamIdleTimeoutMs", Label: "Upstream idle timeout", Unit: "ms", Kinds: []string{scenario.ProxyNginx, scenario.ProxyGo}, Max: scenario.MaxTimeoutMs,
		Help:  "nginx: keepalive_timeout in the upstream block. Go: Transport.IdleConnTimeout (0: never). How long the proxy keeps an idle connection to the app.",
		intp:  func(p *scenario.Proxy) **int { return &p.UpstreamIdleTimeoutMs },
		value: proxyMs(scenario.Proxy.UpstreamIdleTimeout)},
	{Name: "upstreamMaxRequests", Label: "Upstream requests per connection", Kinds: []string{scenario.ProxyNginx}, Min: 1, Max: scenario.MaxProxyRequests,
		Help:  "keepalive_requests in the upstream block: after this many requests nginx closes the connection instead of keeping it.",
		intp:  func(p *scenario.Proxy) **int { return &p.UpstreamMaxRequests },
		value: func(p scenario.Proxy) string { return strconv.Itoa(p.UpstreamRequests()) }},
	{Name: "clientIdleTimeoutMs", Label: "Client idle timeout", Unit: "ms", Kinds: []string{scenario.ProxyNginx, scenario.ProxyGo}, Max: scenario.MaxTimeoutMs,
		Help:  "nginx: keepalive_timeout in the server (0: no keep-alive with clients). Go: the front http.Server's IdleTimeout (0: none).",
		intp:  func(p *scenario.Proxy) **int { return &p.ClientIdleTimeoutMs },
		value: proxyMs(scenario.Proxy.ClientIdleTimeout)},
	{Name: "clientMaxRequests", Label: "Client requests per connection", Kinds: []string{scenario.ProxyNginx}, Min: 1, Max: scenario.MaxProxyRequests,
		Help:  "keepalive_requests in the server: the response to the last one says Connection: close.",
		intp:  func(p *scenario.Proxy) **int { return &p.ClientMaxRequests },
		value: func(p scenario.Proxy) string { return strconv.Itoa(p.ClientRequests()) }},
	{Name: "nextUpstream", Label: "proxy_next_upstream", Words: true, Kinds: []string{scenario.ProxyNginx},
		Help:  "When nginx may send a request again: words such as error timeout non_idempotent, or off. Without non_idempotent a POST that was sent is never retried.",
		value: func(p scenario.Proxy) string { return strings.Join(p.NextUpstreamList(), " ") }},
	{Name: "readTimeoutMs", Label: "Read timeout", Unit: "ms", Kinds: []string{scenario.ProxyNginx}, Min: 1, Max: scenario.MaxTimeoutMs,
		Help:  "proxy_read_timeout: how long nginx waits for the app's answer before 504.",
		intp:  func(p *scenario.Proxy) **int { return &p.ReadTimeoutMs },
		value: proxyMs(scenario.Proxy.ReadTimeout)},
	{Name: "maxIdleConnsPerHost", Label: "Max idle connections", Kinds: []string{scenario.ProxyGo}, Max: scenario.MaxKeepalive,
		Help:  "Transport.MaxIdleConnsPerHost: idle connections kept to the app (0: Go's default, 2); one more is closed when it comes back.",
		intp:  func(p *scenario.Proxy) **int { return &p.MaxIdleConnsPerHost },
		value: func(p scenario.Proxy) string { return strconv.Itoa(p.IdleConnsPerHost()) }},
	{Name: "disableKeepAlives", Label: "Disable keep-alives", Bool: true, Kinds: []string{scenario.ProxyGo},
		Help:  "Transport.DisableKeepAlives: every request to the app on a new connection, with Connection: close.",
		boolp: func(p *scenario.Proxy) **bool { return &p.DisableKeepAlives },
		value: func(p scenario.Proxy) string { return onOff(p.KeepAlivesDisabled()) }},
	{Name: "idleTimeoutMs", Label: "Idle timeout", Unit: "ms", Kinds: []string{scenario.ProxyALB}, Min: scenario.MinALBIdleTimeoutMs, Max: scenario.MaxTimeoutMs,
		Help:  "The connection idle timeout (AWS default 60 s): a client or target connection with no data for this long is closed.",
		intp:  func(p *scenario.Proxy) **int { return &p.IdleTimeoutMs },
		value: proxyMs(scenario.Proxy.IdleTimeout)},
	{Name: "clientKeepAliveMs", Label: "Client keep-alive duration", Unit: "ms", Kinds: []string{scenario.ProxyALB}, Min: scenario.MinALBClientKeepAliveMs, Max: scenario.MaxALBClientKeepAliveMs,
		Help:  "The HTTP client keepalive duration (AWS default 3600 s): after it, the next response says Connection: close.",
		intp:  func(p *scenario.Proxy) **int { return &p.ClientKeepAliveMs },
		value: proxyMs(scenario.Proxy.ClientKeepAlive)},
	{Name: "upstreamLatencyMs", Label: "Upstream network delay", Unit: "ms", Kinds: scenario.ProxyKinds, Max: scenario.MaxUpstreamLatencyMs,
		Help:  "One-way delay between the proxy and the app. On loopback a request that meets the app's close is luck; with a delay, one the proxy forwards within this many ms of the close meets it every run.",
		intp:  func(p *scenario.Proxy) **int { return &p.UpstreamLatencyMs },
		value: proxyMs(scenario.Proxy.UpstreamLatency)},
}

// Applies reports whether the knob belongs to the proxy kind.
func (k ProxyKnob) Applies(kind string) bool { return slices.Contains(k.Kinds, kind) }

// Default is the knob's value for kind when left empty.
func (k ProxyKnob) Default(kind string) string { return k.value(scenario.Proxy{Kind: kind}) }

// Hint is the caption under an empty knob.
func (k ProxyKnob) Hint(kind string) string {
	d := k.Default(kind)
	if k.Unit != "" {
		d += " " + k.Unit
	}
	return "empty = default (" + d + ")"
}
