// Package client is the browser client's logic that does not touch the
// browser: the connection state machine, reconnect backoff, and what the
// person is told. The wasm main (files *_js.go) feeds it browser events and
// draws what it holds; everything here is tested with plain go test.
package client

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keepalive-playground/playground/wire"
)

// Reconnect backoff: the first retry comes quickly (a backend restart takes
// a second or two), later ones spread out so a fleet of tabs does not
// stampede a server coming back.
const (
	BackoffMin = 500 * time.Millisecond
	BackoffMax = 30 * time.Second
	// BackoffFull is the wait after the server said it is full.
	BackoffFull = 10 * time.Second
)

// PoolPrefix starts the labels of the pooled client's connections (pool1,
// pool2, …), which pool.wasm makes and the page tells apart: scenario
// labels start with a capital letter, so the two never meet.
const PoolPrefix = "pool"

// Close codes the backend sends, as the page compares them (ints, from
// the close event): package wire defines them.
const (
	CloseNormal     = int(wire.CloseNormal)
	CloseGoingAway  = int(wire.CloseGoingAway)
	CloseAbnormal   = int(wire.CloseAbnormal)
	CloseTooBig     = int(wire.CloseTooBig)
	CloseRestart    = int(wire.CloseRestart)
	CloseTryLater   = int(wire.CloseTryLater)
	CloseIdle       = int(wire.CloseIdle)
	CloseLifetime   = int(wire.CloseLifetime)
	CloseBadMessage = int(wire.CloseBadMessage)
	CloseSlow       = int(wire.CloseSlow)
	CloseVersion    = int(wire.CloseVersion)
	CloseRateLimit  = int(wire.CloseRateLimit)
)

// State is the connection state shown to the person.
type State int

const (
	Connecting State = iota
	Connected        // hello sent, ready received
	Waiting          // disconnected, a retry is scheduled
	Stopped          // disconnected, waiting for the person (idle, version…)
)

func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Waiting:
		return "reconnecting"
	case Stopped:
		return "disconnected"
	}
	return "unknown"
}

// Conn is the connection state machine. It is not safe for concurrent
// use: the wasm main's one goroutine owns it.
type Conn struct {
	State   State
	Session string
	// Attempt counts failed connects since the last success.
	Attempt int
	// RetryAt is when the next connect is due (State Waiting).
	RetryAt time.Time
	// Message is the sentence shown next to the state.
	Message string
	// RTT is the WebSocket round trip: the least of the last rttSamples
	// measured. A pong handled while the page was busy (compiling the
	// pooled client as a lesson loads) measures the page, not the link,
	// and only ever adds to it; the least, as ping reports, is the link's.
	RTT      time.Duration
	rtts     [rttSamples]time.Duration
	nrtt     int
	pingSeq  uint64
	pingSent map[uint64]time.Time
	// EverConnected tells a first failure (the page cannot start) from a
	// later one (the backend went away).
	EverConnected bool
}

// rttSamples is how many round trips RTT is the least of: with a ping
// every 30 s and one more after a load, the last minute or so.
const rttSamples = 3

// NewConn starts in Connecting.
func NewConn() *Conn {
	return &Conn{State: Connecting, Message: "Connecting to the playground…", pingSent: map[uint64]time.Time{}}
}

// URL derives the WebSocket URL from the page's URL.
func URL(page string) (string, error) {
	// The fragment is the page's own business (links can hold anything).
	page, _, _ = strings.Cut(page, "#")
	u, err := url.Parse(page)
	if err != nil {
		return "", fmt.Errorf("page address %q: %w", page, err)
	}
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	case "http":
		u.Scheme = "ws"
	default:
		return "", fmt.Errorf("page address %q: the playground needs http or https", page)
	}
	u.Path, u.RawQuery, u.Fragment, u.RawPath = "/ws", "", "", ""
	return u.String(), nil
}

// Hello is the first message on every connection.
func Hello() wire.Msg { return wire.Msg{Type: wire.Hello, V: wire.Version} }

// Opened records that the socket opened; the caller sends Hello.
func (c *Conn) Opened() {
	c.State = Connecting
	c.Message = "Saying hello…"
}

// Received applies a message from the backend. It returns the message the
// person should see for an error, if any.
func (c *Conn) Received(m wire.Msg, now time.Time) {
	switch m.Type {
	case wire.Ready:
		c.State = Connected
		c.Session = m.Session
		c.Attempt = 0
		c.EverConnected = true
		c.Message = "Connected"
		// A new socket, maybe to another backend: its own round trips.
		c.nrtt, c.RTT = 0, 0
	case wire.Pong:
		if t, ok := c.pingSent[m.Seq]; ok {
			c.rtts[c.nrtt%rttSamples] = now.Sub(t)
			c.nrtt++
			c.RTT = slices.Min(c.rtts[:min(c.nrtt, rttSamples)])
			delete(c.pingSent, m.Seq)
		}
	case wire.Bye:
		c.Message = m.Message
	}
}

// Ping makes a ping to measure the round trip.
func (c *Conn) Ping(now time.Time) wire.Msg {
	c.pingSeq++
	if len(c.pingSent) > 16 {
		clear(c.pingSent) // pongs that never came
	}
	c.pingSent[c.pingSeq] = now
	return wire.Msg{Type: wire.Ping, Seq: c.pingSeq}
}

// Closed applies the socket's close (code and reason from the close
// frame; 1006 when the connection just dropped) and decides whether and
// when to reconnect.
func (c *Conn) Closed(code int, reason string, now time.Time) {
	c.Session = ""
	switch code {
	case CloseIdle, CloseLifetime, CloseBadMessage, CloseSlow, CloseRateLimit:
		c.State = Stopped
		c.Message = orDefault(reason, "The session ended.")
		return
	case CloseTooBig:
		c.State = Stopped
		c.Message = "The page sent a message larger than the server accepts (64 KiB); the session was closed."
		return
	case CloseVersion:
		c.State = Stopped
		c.Message = orDefault(reason, "This page is out of date: reload it.")
		return
	}
	wait := Backoff(c.Attempt)
	c.Attempt++
	switch {
	case code == CloseTryLater:
		wait = max(wait, BackoffFull)
		c.Message = orDefault(reason, "The playground is busy.")
	case code == CloseRestart || code == CloseGoingAway:
		c.Message = orDefault(reason, "The playground is restarting.")
	case c.EverConnected:
		c.Message = "Lost the connection to the playground."
	default:
		c.Message = "Cannot reach the playground server."
	}
	c.State = Waiting
	c.RetryAt = now.Add(wait)
}

// Retry moves from Waiting (or Stopped, when the person asks) to
// Connecting.
func (c *Conn) Retry() {
	c.State = Connecting
	c.Message = "Connecting to the playground…"
}

// Status is the sentence for the status line at time now.
func (c *Conn) Status(now time.Time) string {
	switch c.State {
	case Waiting:
		secs := int(c.RetryAt.Sub(now).Round(time.Second) / time.Second)
		return fmt.Sprintf("%s Retrying in %d s…", c.Message, max(secs, 0))
	case Connected:
		if c.RTT > 0 {
			return fmt.Sprintf("Connected · round trip %.1f ms", float64(c.RTT.Microseconds())/1000)
		}
		return "Connected"
	}
	return c.Message
}

// Backoff is the wait before retry number attempt (0-based): exponential
// from BackoffMin to BackoffMax with ±20 % jitter.
func Backoff(attempt int) time.Duration {
	d := BackoffMin
	for i := 0; i < attempt && d < BackoffMax; i++ {
		d *= 2
	}
	d = min(d, BackoffMax)
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
