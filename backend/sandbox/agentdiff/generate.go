package agentdiff

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// Timers is what a generated schedule is timed against: the demo
// server's and the agent's.
type Timers struct {
	// SlowMs is the delay of the server's slow path (SlowPath).
	SlowMs int
	// ServerKeepAliveMs is the server's keepAliveTimeout; it advertises
	// Keep-Alive: timeout=ServerKeepAliveMs/1000.
	ServerKeepAliveMs int
	// ServerSocketTimeoutMs is the server's socket timeout (0: none): it
	// closes a socket idle that long, free or waiting for an answer.
	ServerSocketTimeoutMs int
	// SlowPath is the path the server answers after SlowMs.
	SlowPath string
}

// Generation bounds.
const (
	// genMaxRequests is the most requests of one generated case.
	genMaxRequests = 4
	// genMaxAtMs is the latest a generated request is sent, which bounds
	// a schedule's length (and the test's wall time).
	genMaxAtMs = 4000
	// genTailMs is how long a generated case runs past its last request,
	// so that closes after it are compared.
	genTailMs = 1500
	// genEdgeMs is how far a generated request is placed before or after
	// an edge: more than the timing tolerance's floor, so that the edge
	// decides the same way on both sides.
	genEdgeMs = timeline.TimingTolMinMs + 50
)

// Generate returns n cases for a Node line, each a random agent and
// requests placed genEdgeMs before or after one of the timers of both
// sides, counted from the previous request's answer: the response delay,
// the agent's timeout, the server's hint less the agent's buffer, the
// server's keep-alive timeout with its own buffer; or sent while the
// previous request is in flight (queueing under maxSockets, a second
// socket otherwise).
func Generate(seed uint64, n int, b scenario.NodeBehaviour, tm Timers) []Case {
	r := rand.New(rand.NewPCG(seed, 0x6167656e74))
	cases := make([]Case, 0, n)
	for i := range n {
		c := Case{Name: fmt.Sprintf("gen%d-%d", seed, i), Generated: true}
		a := &c.Agent
		a.KeepAlive = r.IntN(5) > 0
		if r.IntN(3) == 0 {
			a.MaxSockets = ptr(1 + r.IntN(2))
		}
		if r.IntN(4) == 0 {
			a.MaxFreeSockets = ptr(1)
		}
		if r.IntN(6) == 0 {
			a.MaxTotalSockets = ptr(1 + r.IntN(2))
		}
		if r.IntN(3) == 0 {
			a.Scheduling = FIFO
		}
		if r.IntN(4) > 0 {
			a.TimeoutMs = ptr([]int{700, 1500, 5000}[r.IntN(3)])
		}
		if b.AgentBufferKnob && r.IntN(3) == 0 {
			a.AgentKeepAliveTimeoutBuffer = ptr([]int{0, 500, 1500}[r.IntN(3)])
		}
		// The timers a request is placed around, counted from the
		// previous request's outcome (0: right after it).
		timers := []int{0, tm.ServerKeepAliveMs + b.KeepAliveBufferMs}
		if tm.ServerSocketTimeoutMs > 0 {
			timers = append(timers, tm.ServerSocketTimeoutMs)
		}
		if a.TimeoutMs != nil {
			timers = append(timers, *a.TimeoutMs)
			if b.AgentHintBufferMs > 0 {
				buf := b.AgentHintBufferMs
				if a.AgentKeepAliveTimeoutBuffer != nil {
					buf = *a.AgentKeepAliveTimeoutBuffer
				}
				if h := tm.ServerKeepAliveMs - buf; h > 0 {
					timers = append(timers, h)
				}
			}
		}
		path := func() string {
			if r.IntN(3) == 0 {
				return tm.SlowPath
			}
			return "/"
		}
		// length estimates when the case's last outcome comes.
		length := 0
		first := Req{At: 0, Method: "GET", Path: path()}
		c.Requests = append(c.Requests, first)
		if first.Path == tm.SlowPath {
			length = tm.SlowMs
		}
		if r.IntN(4) == 0 {
			// A second request while the first is in flight: queued
			// under maxSockets, a second socket otherwise.
			c.Requests = append(c.Requests, Req{At: genEdgeMs, Method: "GET", Path: "/"})
			length = max(length, genEdgeMs)
		}
		for k := len(c.Requests); k < 1+r.IntN(genMaxRequests) && length < genMaxAtMs; k++ {
			t := timers[r.IntN(len(timers))]
			d := genEdgeMs
			if t > genEdgeMs && r.IntN(2) == 0 {
				d = -genEdgeMs
			}
			after := k - 1
			q := Req{At: t + d, After: &after, Method: "GET", Path: path()}
			c.Requests = append(c.Requests, q)
			length += q.At
			if q.Path == tm.SlowPath {
				length += tm.SlowMs
			}
		}
		c.EndMs = length + genTailMs
		cases = append(cases, c)
	}
	return cases
}

// FIFO is the scheduling option's other value.
const FIFO = "fifo"

func ptr(v int) *int { return &v }

// coinFlipMs is the window around an edge of the real run within which a
// request's side of the edge is decided by scheduling noise (a loaded
// machine delays a timer by tens of ms), not by the Agent's rules.
const coinFlipMs = 100

// CoinFlip reports whether case ci of the real run (ref) sent a request
// within coinFlipMs of one of the run's edges (another request's answer,
// which frees a socket, or a socket's close other than the request's own
// socket's): which way it went was then a race on real Node too, and the
// runs are not compared. Only the reference's edges count, so an
// emulation that moves an edge is still caught.
func CoinFlip(c Case, ci int, ref []Outcome) (bool, string) {
	own := map[int]int{}      // request → its socket
	sent := map[int]float64{} // request → when it was sent
	for _, o := range ref {
		if o.C == ci && o.Ev != "close" {
			sent[o.Req] = o.Sent
			if o.Sock != nil {
				own[o.Req] = *o.Sock
			}
		}
	}
	for _, o := range ref {
		if o.C != ci {
			continue
		}
		for ri, at := range sent {
			if o.Ev != "close" && o.Req == ri {
				continue
			}
			if s, ok := own[ri]; ok && o.Ev == "close" && o.Sock != nil && *o.Sock == s && o.T > at {
				continue // its own socket closing after it was sent
			}
			if d := math.Abs(o.T - at); d < coinFlipMs {
				return true, fmt.Sprintf("request %d sent at %.0f ms is %.0f ms from a %s at %.0f ms", ri, at, d, o.Ev, o.T)
			}
		}
	}
	return false, ""
}
