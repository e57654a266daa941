package scenario

import (
	"slices"
	"strings"
	"time"
)

// Pool kinds (Pool.Kind): the pooled HTTP clients a scenario can script.
const (
	// PoolGo is Go's own net/http client: an http.Transport over the
	// playground's virtual connections.
	PoolGo = "go"
	// PoolNodeAgent is Node's http.Agent of one release line.
	PoolNodeAgent = "node-agent"
)

// PoolKinds lists the kinds a scenario may name.
var PoolKinds = []string{PoolGo, PoolNodeAgent}

// Pool scheduling (Pool.Scheduling), as http.Agent's `scheduling` option.
const (
	SchedulingLIFO = "lifo"
	SchedulingFIFO = "fifo"
)

// Pool limits.
const (
	// MaxPools bounds Client.Pools: a few clients side by side is a
	// lesson; more is noise.
	MaxPools = 4
	// MaxPoolNameLen leaves room for eight digits of a connection number
	// in a connection label (MaxConnLabelLen).
	MaxPoolNameLen = 8
	// MaxPoolSockets bounds the socket counts of a pool (maxSockets,
	// maxTotalSockets, maxIdleConnsPerHost): the session's own limit on
	// connections is lower than what a link could ask for otherwise.
	MaxPoolSockets = 64
	// MaxAgentFreeSockets is http.Agent's own default maxFreeSockets,
	// which is also the most a teaching pool needs.
	MaxAgentFreeSockets = 256
)

// Pool defaults, as the real clients have them.
const (
	// GoIdleConnTimeoutMs is http.DefaultTransport's IdleConnTimeout.
	GoIdleConnTimeoutMs = 90_000
	// AgentKeepAliveMsecs is new http.Agent()'s keepAliveMsecs.
	AgentKeepAliveMsecs = 1_000
	// AgentMaxFreeSockets is new http.Agent()'s maxFreeSockets.
	AgentMaxFreeSockets = 256
)

// ReservedPoolName is the prefix of the page's own pooled client (the
// composer's, pool1, pool2, …): a scenario's pool may not take it.
const ReservedPoolName = "pool"

// ComposerAgentPrefix names the page's own Node client of a release line
// (a "Send on" choice of the composer): "n26-" for new
// http.Agent({ keepAlive: true }), "g26-" for http.globalAgent, whose
// connections are n26-1, n26-2, …; a scenario's pool may not take
// it. "" for a runtime that is not a Node line.
func ComposerAgentPrefix(runtime string, global bool) string {
	rt := row(runtime)
	if rt == nil || !rt.IsNode() {
		return ""
	}
	major, _, _ := strings.Cut(rt.Release, ".")
	if global {
		return "g" + major + "-"
	}
	return "n" + major + "-"
}

// composerPool reports whether name is one of the page's own pooled
// clients' (the composer's Go Transport, its Node agents).
func composerPool(name string) bool {
	if name == ReservedPoolName {
		return true
	}
	for _, rt := range runtimeTable {
		for _, global := range []bool{false, true} {
			if pre := ComposerAgentPrefix(rt.Name, global); pre != "" && name == pre {
				return true
			}
		}
	}
	return false
}

// Pool is one pooled HTTP client of the script (client.pools). Steps
// with "pool" send a request through it; its connections are labelled
// with its name and a number (app1, app2, …). Each knob belongs to one
// kind; a knob of the other kind is an error, so that a link says exactly
// what the client is.
type Pool struct {
	Name string `json:"name"`
	Kind string `json:"kind"`

	// go: http.Transport's IdleConnTimeout (0: no limit).
	IdleConnTimeoutMs *int `json:"idleConnTimeoutMs,omitempty"`
	// go: Transport.MaxIdleConnsPerHost (0: Go's default, 2).
	MaxIdleConnsPerHost *int `json:"maxIdleConnsPerHost,omitempty"`
	// go: Transport.DisableKeepAlives.
	DisableKeepAlives *bool `json:"disableKeepAlives,omitempty"`

	// node-agent: the Node release line whose http.Agent it is (a Node
	// row of the runtime table; unset: the server's, if it is Node, else
	// the newest LTS line).
	Runtime string `json:"runtime,omitempty"`
	// node-agent: http.globalAgent of that line, as it ships (no agent
	// options may be given with it).
	GlobalAgent bool `json:"globalAgent,omitempty"`
	// node-agent: new http.Agent(options)'s options.
	KeepAlive       *bool  `json:"keepAlive,omitempty"`
	KeepAliveMsecs  *int   `json:"keepAliveMsecs,omitempty"`
	MaxSockets      *int   `json:"maxSockets,omitempty"`      // unset: Infinity
	MaxFreeSockets  *int   `json:"maxFreeSockets,omitempty"`  // unset: 256
	MaxTotalSockets *int   `json:"maxTotalSockets,omitempty"` // unset: Infinity
	TimeoutMs       *int   `json:"timeoutMs,omitempty"`       // unset: no timeout option
	Scheduling      string `json:"scheduling,omitempty"`      // unset: lifo
	// node-agent, lines with agentKeepAliveTimeoutBuffer only (the
	// runtime row's Node.AgentBufferKnob): subtracted from the server's
	// Keep-Alive: timeout= hint for the free-socket timeout.
	KeepAliveTimeoutBufferMs *int `json:"keepAliveTimeoutBufferMs,omitempty"`

	// Both kinds: the documented application pattern: an idempotent
	// request that failed on a reused socket (req.reusedSocket; Go's
	// Result.Reused) is sent once more, on whatever socket the pool gives
	// it then. Go's Transport already retries such requests itself when
	// nothing was written; this is the application's own retry.
	RetryReused bool `json:"retryReused,omitempty"`

	// Both kinds: the network between this client and the server's host,
	// as a one-way delay the same both ways (0, unset: loopback). The
	// client reads the server's FIN this much after the server sent it,
	// which is the keep-alive race's window: a request written in it goes
	// out on a connection the server has closed.
	LinkDelayMs *int `json:"linkDelayMs,omitempty"`
}

// MaxLinkDelayMs bounds Pool.LinkDelayMs: a continent away is ~100 ms,
// a satellite hop ~300 ms; a second is enough to see any race.
const MaxLinkDelayMs = 1000

// LinkDelay is the pool's one-way link delay.
func (p Pool) LinkDelay() time.Duration { return ms(p.LinkDelayMs, 0) }

// poolKnob is one knob of a pool kind; set reports whether p sets it.
type poolKnob struct {
	name string
	kind string
	set  func(p *Pool) bool
}

// agentOption reports whether a knob is one of new http.Agent()'s
// options, which the global agent does not take.
func agentOption(name string) bool {
	return name != "runtime" && name != "globalAgent" && name != "retryReused" && name != "linkDelayMs"
}

var poolKnobs = []poolKnob{
	{"idleConnTimeoutMs", PoolGo, func(p *Pool) bool { return p.IdleConnTimeoutMs != nil }},
	{"maxIdleConnsPerHost", PoolGo, func(p *Pool) bool { return p.MaxIdleConnsPerHost != nil }},
	{"disableKeepAlives", PoolGo, func(p *Pool) bool { return p.DisableKeepAlives != nil }},
	{"runtime", PoolNodeAgent, func(p *Pool) bool { return p.Runtime != "" }},
	{"globalAgent", PoolNodeAgent, func(p *Pool) bool { return p.GlobalAgent }},
	{"keepAlive", PoolNodeAgent, func(p *Pool) bool { return p.KeepAlive != nil }},
	{"keepAliveMsecs", PoolNodeAgent, func(p *Pool) bool { return p.KeepAliveMsecs != nil }},
	{"maxSockets", PoolNodeAgent, func(p *Pool) bool { return p.MaxSockets != nil }},
	{"maxFreeSockets", PoolNodeAgent, func(p *Pool) bool { return p.MaxFreeSockets != nil }},
	{"maxTotalSockets", PoolNodeAgent, func(p *Pool) bool { return p.MaxTotalSockets != nil }},
	{"timeoutMs", PoolNodeAgent, func(p *Pool) bool { return p.TimeoutMs != nil }},
	{"scheduling", PoolNodeAgent, func(p *Pool) bool { return p.Scheduling != "" }},
	{"keepAliveTimeoutBufferMs", PoolNodeAgent, func(p *Pool) bool { return p.KeepAliveTimeoutBufferMs != nil }},
}

// PoolKnobs lists the knobs of a pool kind, in schema order (retryReused
// and linkDelayMs, which both kinds have, last).
func PoolKnobs(kind string) []string {
	var out []string
	for _, k := range poolKnobs {
		if k.kind == kind {
			out = append(out, k.name)
		}
	}
	return append(out, "retryReused", "linkDelayMs")
}

// ValidPoolName reports whether name may name a pool: a letter, then up
// to seven letters, digits, '_' or '-', not ending in a digit (so that
// its connections app1, app2, … are its own: pools "a" and "a1" would
// both label a connection "a11").
func ValidPoolName(name string) bool {
	return len(name) <= MaxPoolNameLen && ValidConn(name) && !isASCIIDigit(name[len(name)-1])
}

// PoolOf returns the pool a connection label belongs to (its name, then
// a number from 1 without leading zeros), or "" for none.
func (c Client) PoolOf(label string) string {
	for _, p := range c.Pools {
		rest, ok := strings.CutPrefix(label, p.Name)
		if ok && rest != "" && rest[0] != '0' && allDigits(rest) {
			return p.Name
		}
	}
	return ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			return false
		}
	}
	return true
}

// FindPool returns the pool named name.
func (c Client) FindPool(name string) (Pool, bool) {
	i := slices.IndexFunc(c.Pools, func(p Pool) bool { return p.Name == name })
	if i < 0 {
		return Pool{}, false
	}
	return c.Pools[i], true
}

// AgentRuntime is the release line of a node-agent pool: its runtime, or
// the server's when that is a Node line, else the newest LTS line (the
// default runtime).
func (p Pool) AgentRuntime(server Server) string {
	switch {
	case p.Runtime != "":
		return p.Runtime
	case IsNode(server.Runtime):
		return server.Runtime
	}
	return DefaultRuntime()
}

// GoIdleConnTimeout is a go pool's IdleConnTimeout (0: none).
func (p Pool) GoIdleConnTimeout() time.Duration {
	return ms(p.IdleConnTimeoutMs, GoIdleConnTimeoutMs)
}

// GoMaxIdleConnsPerHost is a go pool's MaxIdleConnsPerHost; 0 is what
// the Transport reads as http.DefaultMaxIdleConnsPerHost (2).
func (p Pool) GoMaxIdleConnsPerHost() int { return intOr(p.MaxIdleConnsPerHost, GoMaxIdleConnsPerHost) }

// GoKeepAlivesDisabled is a go pool's DisableKeepAlives.
func (p Pool) GoKeepAlivesDisabled() bool { return boolOr(p.DisableKeepAlives, false) }

// Idempotent reports whether a method is idempotent (RFC 9110, 9.2.2):
// the requests retryReused sends again after a failure on a reused
// connection.
func Idempotent(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// Duration turns an optional ms knob into an optional duration, as
// nodeagent.Options takes its timeouts.
func Duration(msKnob *int) *time.Duration {
	if msKnob == nil {
		return nil
	}
	d := time.Duration(*msKnob) * time.Millisecond
	return &d
}

func (c *Client) validatePools(ps *Problems, server Server, proxy bool) {
	if len(c.Pools) > MaxPools {
		ps.add(Fields("client", "pools"), "%d pools; the limit is %d", len(c.Pools), MaxPools)
	}
	seen := map[string]bool{}
	for i, p := range c.Pools {
		field := Fields("client", "pools").At(i)
		switch {
		case p.Name == "":
			ps.add(field.Dot("name"), `missing; a name such as "app"`)
		case !ValidPoolName(p.Name):
			ps.add(field.Dot("name"), "%q is not a pool name: a letter, then up to %d letters, digits, '_' or '-', not ending in a digit (its connections are %s1, %s2, …)", p.Name, MaxPoolNameLen-1, p.Name, p.Name)
		case composerPool(p.Name):
			ps.add(field.Dot("name"), "%q is the page's own pooled client (the composer's %s1, %s2, …); give the pool another name", p.Name, p.Name, p.Name)
		case proxy && p.Name == "u":
			ps.add(field.Dot("name"), `"u" would label its connections as the proxy's upstream ones (u1, u2, …); give the pool another name`)
		case seen[p.Name]:
			ps.add(field.Dot("name"), "%q names two pools", p.Name)
		}
		seen[p.Name] = true
		switch {
		case p.Kind == "":
			ps.add(field.Dot("kind"), "missing; one of %s", strings.Join(PoolKinds, ", "))
			continue
		case !slices.Contains(PoolKinds, p.Kind):
			ps.add(field.Dot("kind"), "%q is not one of %s", p.Kind, strings.Join(PoolKinds, ", "))
			continue
		}
		for _, k := range poolKnobs {
			if !k.set(&p) {
				continue
			}
			switch {
			case k.kind != p.Kind:
				ps.add(field.Dot(k.name), "not a knob of the %s pool (it has %s)", p.Kind, strings.Join(PoolKnobs(p.Kind), ", "))
			case p.GlobalAgent && agentOption(k.name):
				ps.add(field.Dot(k.name), "http.globalAgent takes no options: set globalAgent to false for new http.Agent({%s})", k.name)
			}
		}
		checkRange := func(name string, v *int, lo, hi int, unset string) {
			if v != nil && (*v < lo || *v > hi) {
				ps.add(field.Dot(name), "%d is outside %d..%d (unset: %s)", *v, lo, hi, unset)
			}
		}
		checkRange("idleConnTimeoutMs", p.IdleConnTimeoutMs, 0, MaxTimeoutMs, "Go's 90000; 0: no limit")
		checkRange("maxIdleConnsPerHost", p.MaxIdleConnsPerHost, 0, MaxPoolSockets, "or 0: Go's 2")
		checkRange("keepAliveMsecs", p.KeepAliveMsecs, 1, MaxTimeoutMs, "Node's 1000")
		checkRange("maxSockets", p.MaxSockets, 1, MaxPoolSockets, "Infinity")
		checkRange("maxFreeSockets", p.MaxFreeSockets, 1, MaxAgentFreeSockets, "Node's 256")
		checkRange("maxTotalSockets", p.MaxTotalSockets, 1, MaxPoolSockets, "Infinity")
		checkRange("timeoutMs", p.TimeoutMs, 1, MaxTimeoutMs, "no timeout option")
		checkRange("keepAliveTimeoutBufferMs", p.KeepAliveTimeoutBufferMs, 0, MaxTimeoutMs, "the line's 1000")
		checkRange("linkDelayMs", p.LinkDelayMs, 0, MaxLinkDelayMs, "0, loopback")
		if p.Scheduling != "" && p.Scheduling != SchedulingLIFO && p.Scheduling != SchedulingFIFO {
			ps.add(field.Dot("scheduling"), "%q is not one of %s, %s", p.Scheduling, SchedulingLIFO, SchedulingFIFO)
		}
		if p.Kind != PoolNodeAgent {
			continue
		}
		if p.Runtime != "" {
			if rt := row(p.Runtime); rt == nil || !rt.IsNode() {
				ps.add(field.Dot("runtime"), "%q is not a Node release line; one of %s", p.Runtime, strings.Join(nodeLines(), ", "))
				continue
			}
		}
		if rt := row(p.AgentRuntime(server)); rt != nil && p.KeepAliveTimeoutBufferMs != nil && !rt.Node.AgentBufferKnob {
			ps.add(field.Dot("keepAliveTimeoutBufferMs"), "%s's http.Agent has no agentKeepAliveTimeoutBuffer (only %s)", rt.Name, strings.Join(agentBufferLines(), ", "))
		}
	}
}

// nodeLines names the Node rows of the runtime table.
func nodeLines() []string {
	var out []string
	for _, rt := range runtimeTable {
		if rt.IsNode() {
			out = append(out, rt.Name)
		}
	}
	return out
}

func agentBufferLines() []string {
	var out []string
	for _, rt := range runtimeTable {
		if rt.Node.AgentBufferKnob {
			out = append(out, rt.Name)
		}
	}
	return out
}

// validatePoolStep checks a step that sends through a pool: a request
// alone, to a pool the script has.
func (c *Client) validatePoolStep(ps *Problems, field Path, st Step) {
	if _, ok := c.FindPool(st.Pool); !ok {
		var names []string
		for _, p := range c.Pools {
			names = append(names, p.Name)
		}
		if len(names) == 0 {
			ps.add(field.Dot("pool"), "%q: the script has no pools (client.pools)", st.Pool)
		} else {
			ps.add(field.Dot("pool"), "%q is not one of the script's pools (%s)", st.Pool, strings.Join(names, ", "))
		}
	}
	if st.Conn != "" {
		ps.add(field.Dot("conn"), "a pool step has no conn: the pool picks the connection (%s1, %s2, …)", st.Pool, st.Pool)
	}
	if st.Send != nil || st.Open || st.Close || st.Reset || st.Request == nil {
		ps.add(field, "a pool step takes a request alone (no send, open, close or reset)")
	}
	if st.Request != nil && st.Request.Version != "" {
		ps.add(field.Dot("request", "version"), "a pooled client speaks HTTP/1.1 on its own; leave version out")
	}
}

// poolWithDefaults fills the knobs a pool's kind has with their defaults,
// so that unset and default read alike (Diff).
func (p *Pool) withDefaults(server Server) {
	switch p.Kind {
	case PoolGo:
		if p.IdleConnTimeoutMs == nil {
			p.IdleConnTimeoutMs = intp(GoIdleConnTimeoutMs)
		}
		if p.MaxIdleConnsPerHost == nil {
			p.MaxIdleConnsPerHost = intp(GoMaxIdleConnsPerHost)
		}
		if p.DisableKeepAlives == nil {
			p.DisableKeepAlives = boolp(false)
		}
	case PoolNodeAgent:
		p.Runtime = p.AgentRuntime(server)
		if p.GlobalAgent {
			return
		}
		// new http.Agent()'s defaults, the same on every line.
		if p.KeepAlive == nil {
			p.KeepAlive = boolp(false)
		}
		if p.KeepAliveMsecs == nil {
			p.KeepAliveMsecs = intp(AgentKeepAliveMsecs)
		}
		if p.MaxFreeSockets == nil {
			p.MaxFreeSockets = intp(AgentMaxFreeSockets)
		}
		if p.Scheduling == "" {
			p.Scheduling = SchedulingLIFO
		}
	}
}

func (p Pool) clone() Pool {
	for _, q := range []**int{&p.IdleConnTimeoutMs, &p.MaxIdleConnsPerHost, &p.KeepAliveMsecs, &p.MaxSockets, &p.MaxFreeSockets, &p.MaxTotalSockets, &p.TimeoutMs, &p.KeepAliveTimeoutBufferMs} {
		if *q != nil {
			*q = intp(**q)
		}
	}
	for _, q := range []**bool{&p.DisableKeepAlives, &p.KeepAlive} {
		if *q != nil {
			*q = boolp(**q)
		}
	}
	return p
}
