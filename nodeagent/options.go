// Package nodeagent is Node's http.Agent, the pooled client of Node's http
// module, as each pinned release line has it (lib/_http_agent.js and the
// parts of lib/_http_client.js that decide a socket's fate): which socket a
// request takes, when a free socket is kept, timed out or destroyed, the
// request queue under maxSockets, req.reusedSocket, no retry, and the
// errors worded as Node words them. It speaks HTTP/1.1 over any net.Conn a
// Dialer returns, so the same code runs over loopback TCP in the backend
// and over the page's virtual connections in the browser; it is held to the
// real Agent of every pinned release by backend/sandbox/agentdiff.
package nodeagent

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/keepalive-playground/playground/scenario"
)

// Node's defaults (lib/_http_agent.js).
const (
	// defaultKeepAliveMsecs is `this.options.keepAliveMsecs || 1000`.
	defaultKeepAliveMsecs = 1000
	// defaultMaxFreeSockets is `this.options.maxFreeSockets || 256`.
	defaultMaxFreeSockets = 256
	// globalAgentTimeout is the global agent's `timeout: 5000` (Node >= 19).
	globalAgentTimeout = 5000 * time.Millisecond
)

// maxOption bounds the numeric options here, where Node takes any number:
// a schedule that needs more than this many sockets is not a lesson.
const maxOption = 10_000

// maxTimeout bounds the timeout options (a day): Node's timers take up to
// 2^31-1 ms.
const maxTimeout = 24 * time.Hour

// Scheduling values (validateOneOf(this.scheduling, 'scheduling', ['fifo', 'lifo'])).
const (
	LIFO = "lifo"
	FIFO = "fifo"
)

// Options are new http.Agent(options) of one release line (or its
// http.globalAgent, see GlobalAgent).
type Options struct {
	// Release is a Node runtime name of the runtime table (scenario).
	Release         string
	KeepAlive       bool
	KeepAliveMsecs  int // 0 → Node's default 1000 (TCP keep-alive probes; recorded, not visible)
	MaxSockets      int // 0 → Infinity
	MaxFreeSockets  int // 0 → 256
	MaxTotalSockets int // 0 → Infinity
	// Timeout is the `timeout` option; nil: none, and so no free-socket
	// timer at all (the server's hint only ever lowers a timeout).
	Timeout *time.Duration
	// Scheduling is "lifo" (the default when empty) or "fifo".
	Scheduling string
	// KeepAliveTimeoutBuffer is agentKeepAliveTimeoutBuffer (lines with
	// AgentBufferKnob); nil → the line's default. An error elsewhere.
	KeepAliveTimeoutBuffer *time.Duration
	// Host is the Host header's value; "" → "demo".
	Host string
}

// GlobalAgent returns the options of http.globalAgent of a release line.
func GlobalAgent(release string) (Options, error) {
	b, err := behaviour(release)
	if err != nil {
		return Options{}, err
	}
	o := Options{Release: release}
	if b.AgentGlobalKeepAlive {
		t := globalAgentTimeout
		o.KeepAlive, o.Scheduling, o.Timeout = true, LIFO, &t
	}
	return o, nil
}

func behaviour(release string) (scenario.NodeBehaviour, error) {
	rt, ok := scenario.Lookup(release)
	if !ok || !rt.IsNode() {
		return scenario.NodeBehaviour{}, fmt.Errorf("%q is not a Node runtime", release)
	}
	return rt.Node, nil
}

// Validate checks the options against what the release line accepts.
func (o Options) Validate() error {
	b, err := behaviour(o.Release)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	var errs []error
	for _, n := range []struct {
		name string
		v    int
	}{{"keepAliveMsecs", o.KeepAliveMsecs}, {"maxSockets", o.MaxSockets}, {"maxFreeSockets", o.MaxFreeSockets}, {"maxTotalSockets", o.MaxTotalSockets}} {
		if n.v < 0 || n.v > maxOption {
			errs = append(errs, fmt.Errorf("agent %s must be between 0 (Node's default) and %d, not %d", n.name, maxOption, n.v))
		}
	}
	if o.Scheduling != "" && o.Scheduling != LIFO && o.Scheduling != FIFO {
		errs = append(errs, fmt.Errorf("agent scheduling must be %q or %q, not %q", LIFO, FIFO, o.Scheduling))
	}
	if o.Timeout != nil && (*o.Timeout < 0 || *o.Timeout > maxTimeout) {
		errs = append(errs, fmt.Errorf("agent timeout must be between 0 and %s, not %s", maxTimeout, *o.Timeout))
	}
	if o.KeepAliveTimeoutBuffer != nil {
		switch {
		case !b.AgentBufferKnob:
			errs = append(errs, fmt.Errorf("agentKeepAliveTimeoutBuffer is an option of Node 22 and later, not of %s", o.Release))
		case *o.KeepAliveTimeoutBuffer < 0 || *o.KeepAliveTimeoutBuffer > maxTimeout:
			errs = append(errs, fmt.Errorf("agentKeepAliveTimeoutBuffer must be between 0 and %s, not %s", maxTimeout, *o.KeepAliveTimeoutBuffer))
		}
	}
	return errors.Join(errs...)
}

// settings are the options as the Agent constructor normalises them.
type settings struct {
	b              scenario.NodeBehaviour
	keepAlive      bool
	maxSockets     int // math.MaxInt for Infinity
	maxFree        int
	maxTotal       int
	timeout        time.Duration // 0: none
	lifo           bool
	hintBuffer     time.Duration
	host           string
	keepAliveMsecs int
}

func (o Options) settings(b scenario.NodeBehaviour) settings {
	s := settings{b: b, keepAlive: o.KeepAlive, maxSockets: o.MaxSockets, maxFree: o.MaxFreeSockets,
		maxTotal: o.MaxTotalSockets, lifo: o.Scheduling != FIFO, host: o.Host, keepAliveMsecs: o.KeepAliveMsecs}
	if s.maxSockets == 0 {
		s.maxSockets = math.MaxInt
	}
	if s.maxTotal == 0 {
		s.maxTotal = math.MaxInt
	}
	if s.maxFree == 0 {
		s.maxFree = defaultMaxFreeSockets
	}
	if s.keepAliveMsecs == 0 {
		s.keepAliveMsecs = defaultKeepAliveMsecs
	}
	if o.Timeout != nil {
		s.timeout = *o.Timeout
	}
	s.hintBuffer = time.Duration(b.AgentHintBufferMs) * time.Millisecond
	if b.AgentBufferKnob && o.KeepAliveTimeoutBuffer != nil {
		s.hintBuffer = *o.KeepAliveTimeoutBuffer
	}
	if s.host == "" {
		s.host = "demo"
	}
	return s
}

// reqKeepAlive is ClientRequest's shouldKeepAlive with an agent: "if it's
// not a keepAlive agent, and the maxSockets==Infinity, then there's never
// a case where this socket will actually be reused".
func (s settings) reqKeepAlive() bool { return s.keepAlive || s.maxSockets != math.MaxInt }
