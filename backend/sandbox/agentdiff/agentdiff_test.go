package agentdiff

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/sandbox/realnode"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// The demo servers the schedules run against, real Node of the line.
const (
	// hintServerKeepAliveMs is the keep-alive server's keepAliveTimeout:
	// it answers Keep-Alive: timeout=2, so a free socket of an agent with
	// a timeout above 1 s closes at 2 s less the agent's 1 s buffer (Node
	// >= 20), while the server itself closes at 2 s + its own 1 s buffer
	// (Node >= 20; 2 s on 18).
	hintServerKeepAliveMs = 2000
	// slowMs is the keep-alive server's /slow delay.
	slowMs = 600
	// hangupSocketTimeoutMs is the hang-up server's socket timeout: it
	// destroys a new socket whose first answer, /slow (hangupSlowMs), is
	// still due (on a socket that has answered, keepAliveTimeout has
	// replaced it).
	hangupSocketTimeoutMs = 800
	hangupSlowMs          = 1500
	// hangupMaxRequests is the hang-up server's maxRequestsPerSocket: its
	// answer to the second request on a socket says Connection: close.
	hangupMaxRequests = 2
)

func keepAliveServer(rt string) scenario.Server {
	return scenario.Server{Runtime: rt, KeepAliveTimeoutMs: ptr(hintServerKeepAliveMs), Routes: []scenario.Route{
		{Path: "/slow", Body: "late", DelayMs: slowMs},
		{Path: "*", Body: "Hello World!"},
	}}
}

func hangupServer(rt string) scenario.Server {
	return scenario.Server{Runtime: rt, SocketTimeoutMs: ptr(hangupSocketTimeoutMs), MaxRequestsPerSocket: ptr(hangupMaxRequests), Routes: []scenario.Route{
		{Path: "/slow", Body: "late", DelayMs: hangupSlowMs},
		{Path: "*", Body: "Hello World!"},
	}}
}

var (
	genSeed  = flag.Uint64("agentdiff.seed", 1, "the seed of the generated cases")
	genCases = flag.Int("agentdiff.cases", 8, "generated cases per Node line")
)

func get(at int, path string) Req { return Req{At: at, Method: "GET", Path: path} }

// handCases are the hand-picked cases against the keep-alive server. Each
// request is timed away from every edge of both sides by at least 250 ms
// (the response, the agent's free timer, the hint less the buffer, the
// server's keep-alive timeout with its buffer), so that no case is a
// coin flip.
func handCases(b scenario.NodeBehaviour) []Case {
	cs := []Case{
		{Name: "keepalive-timeout5000", Agent: AgentOptions{KeepAlive: true, TimeoutMs: ptr(5000)},
			Requests: []Req{get(0, "/"), get(300, "/"), get(1700, "/")}, EndMs: 4200},
		{Name: "keepalive-no-timeout", Agent: AgentOptions{KeepAlive: true},
			Requests: []Req{get(0, "/"), get(1500, "/"), get(2600, "/")}, EndMs: 4200},
		{Name: "no-keepalive", Agent: AgentOptions{},
			Requests: []Req{get(0, "/"), get(300, "/")}, EndMs: 1500},
		{Name: "no-keepalive-maxsockets1", Agent: AgentOptions{MaxSockets: ptr(1)},
			Requests: []Req{get(0, "/slow"), get(100, "/"), get(1000, "/")}, EndMs: 2000},
		{Name: "maxsockets1-queue", Agent: AgentOptions{KeepAlive: true, MaxSockets: ptr(1), TimeoutMs: ptr(5000)},
			Requests: []Req{get(0, "/slow"), get(100, "/"), get(200, "/slow"), get(1600, "/")}, EndMs: 3500},
		{Name: "maxtotalsockets1-queue", Agent: AgentOptions{KeepAlive: true, MaxTotalSockets: ptr(1)},
			Requests: []Req{get(0, "/slow"), get(100, "/")}, EndMs: 2000},
		{Name: "lifo", Agent: AgentOptions{KeepAlive: true, TimeoutMs: ptr(5000)},
			Requests: []Req{get(0, "/slow"), get(0, "/"), get(900, "/")}, EndMs: 2500},
		{Name: "fifo", Agent: AgentOptions{KeepAlive: true, TimeoutMs: ptr(5000), Scheduling: "fifo"},
			Requests: []Req{get(0, "/slow"), get(0, "/"), get(900, "/")}, EndMs: 2500},
		{Name: "maxfreesockets1", Agent: AgentOptions{KeepAlive: true, MaxFreeSockets: ptr(1), TimeoutMs: ptr(5000)},
			Requests: []Req{get(0, "/slow"), get(0, "/"), get(900, "/")}, EndMs: 2500},
		{Name: "timeout700", Agent: AgentOptions{KeepAlive: true, TimeoutMs: ptr(700)},
			Requests: []Req{get(0, "/"), get(300, "/"), get(1400, "/")}, EndMs: 2500},
		{Name: "post", Agent: AgentOptions{KeepAlive: true, TimeoutMs: ptr(5000)},
			Requests: []Req{{At: 0, Method: "POST", Path: "/", Body: "a=1"}, {At: 300, Method: "POST", Path: "/"}, {At: 600, Method: "HEAD", Path: "/"}}, EndMs: 2000},
		{Name: "global", Global: true,
			Requests: []Req{get(0, "/"), get(500, "/"), get(1900, "/")}, EndMs: 3500},
	}
	if b.AgentBufferKnob {
		cs = append(cs,
			Case{Name: "buffer1500", Agent: AgentOptions{KeepAlive: true, TimeoutMs: ptr(5000), AgentKeepAliveTimeoutBuffer: ptr(1500)},
				Requests: []Req{get(0, "/"), get(200, "/"), get(1100, "/")}, EndMs: 2000},
			Case{Name: "buffer2000-not-kept", Agent: AgentOptions{KeepAlive: true, TimeoutMs: ptr(5000), AgentKeepAliveTimeoutBuffer: ptr(2000)},
				Requests: []Req{get(0, "/"), get(400, "/")}, EndMs: 1200})
	}
	return cs
}

// hangupCases run against the hang-up server.
func hangupCases() []Case {
	return []Case{
		{Name: "hangup", Agent: AgentOptions{KeepAlive: true, TimeoutMs: ptr(5000)},
			Requests: []Req{get(0, "/slow"), get(1200, "/")}, EndMs: 2000},
		{Name: "slow-on-a-reused-socket", Agent: AgentOptions{KeepAlive: true, TimeoutMs: ptr(5000)},
			Requests: []Req{get(0, "/"), get(200, "/slow"), get(1400, "/")}, EndMs: 2600},
		// The server's Connection: close ends the socket instead of
		// pooling it; the next request takes a new one.
		{Name: "connection-close", Agent: AgentOptions{KeepAlive: true, TimeoutMs: ptr(5000)},
			Requests: []Req{get(0, "/"), get(300, "/"), get(600, "/")}, EndMs: 1500},
		// The server's socket timeout closes a free socket the agent
		// would have kept for 1 s (its hint is Node's default 5 s).
		{Name: "server-socket-timeout", Agent: AgentOptions{KeepAlive: true, TimeoutMs: ptr(5000)},
			Requests: []Req{get(0, "/"), get(1300, "/")}, EndMs: 2500},
	}
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// startServer starts the real demo server of srv's line.
func startServer(t *testing.T, srv scenario.Server) (addr string, port int) {
	t.Helper()
	start := time.Now()
	s, err := realnode.New(sandbox.Config{Server: srv,
		Now:  func() float64 { return float64(time.Since(start).Microseconds()) / 1000 },
		Emit: func(string, timeline.Event) {}})
	if err != nil {
		t.Fatalf("real demo server: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	_, p, _ := net.SplitHostPort(s.Addr())
	port, _ = strconv.Atoi(p)
	return s.Addr(), port
}

// retries is how many times a differing case runs again, alone, before
// it counts: a loaded machine may stall one run past the tolerance.
const retries = 3

// concurrent bounds the schedules running at once (each is two node
// processes, the real client and the server, beside the emulation): on
// two loaded cores more of them stall each other's timers.
var concurrent = make(chan struct{}, 4)

// diff runs sched on both sides (at once) against the server at addr and
// fails on any case whose difference persists over retries.
func diff(t *testing.T, rt string, sched Schedule, addr string) (skipped int) {
	t.Helper()
	for try := 0; ; try++ {
		emu, ref := runBoth(t, rt, sched, addr)
		if try == 0 {
			t.Logf("real Node: %s", summary(ref))
		}
		var failing []Case
		var report []string
		for ci, c := range sched.Cases {
			if flip, why := CoinFlip(c, ci, ref); c.Generated && flip {
				t.Logf("case %s not compared: %s", c.Name, why)
				skipped++
				continue
			}
			one := Schedule{Port: sched.Port, Cases: []Case{c}}
			if d := Compare(one, only(emu, ci), only(ref, ci)); len(d) > 0 {
				failing = append(failing, c)
				report = append(report, d...)
			}
		}
		if len(failing) == 0 {
			return skipped
		}
		if try == retries {
			t.Errorf("%s: the emulation differs from real Node's http.Agent:\n%s", rt, strings.Join(report, "\n"))
			return skipped
		}
		t.Logf("try %d differs (run again alone):\n%s", try, strings.Join(report, "\n"))
		sched.Cases = failing
	}
}

// summary counts a run's outcomes by kind, to show what a schedule reached.
func summary(outs []Outcome) string {
	n := map[string]int{}
	for _, o := range outs {
		switch {
		case o.Ev == "close":
			n["closes"]++
		case o.Msg != "":
			n[o.Msg]++
		case o.Reused:
			n["reused"]++
		default:
			n["new socket"]++
		}
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(n)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, n[k]))
	}
	return strings.Join(parts, ", ")
}

// only is case ci's outcomes, renumbered as case 0.
func only(outs []Outcome, ci int) []Outcome {
	var o []Outcome
	for _, x := range outs {
		if x.C == ci {
			x.C = 0
			o = append(o, x)
		}
	}
	return o
}

func runBoth(t *testing.T, rt string, sched Schedule, addr string) (emu, ref []Outcome) {
	t.Helper()
	concurrent <- struct{}{}
	defer func() { <-concurrent }()
	var emuErr, refErr error
	var wg sync.WaitGroup
	wg.Add(2)
	// The emulation starts when the real program's clock does, so that
	// both load the shared server alike.
	started := make(chan struct{})
	go func() {
		defer wg.Done()
		ref, refErr = RunReal(context.Background(), rt, sched, func() { close(started) })
	}()
	go func() { defer wg.Done(); <-started; emu, emuErr = RunEmu(context.Background(), rt, sched, addr) }()
	wg.Wait()
	if refErr != nil || emuErr != nil {
		t.Fatalf("run: real %v; emulation %v", refErr, emuErr)
	}
	return emu, ref
}

// hangupSeedOffset draws the hang-up server's generated cases from
// another seed than the keep-alive server's.
const hangupSeedOffset = 1000

// defaultKeepAliveMs is Node's keepAliveTimeout, which the hang-up server
// keeps.
const defaultKeepAliveMs = 5000

// generated diffs a schedule and fails when most of its generated cases
// were coin flips.
func generated(t *testing.T, rt string, sched Schedule, addr string) {
	t.Helper()
	n := 0
	for _, c := range sched.Cases {
		if c.Generated {
			n++
		}
	}
	// A case run again alone is judged again, so skips are counted over
	// the whole run.
	if skipped := diff(t, rt, sched, addr); skipped > n/2 {
		t.Errorf("%d of %d generated cases were coin flips: the generator no longer keeps clear of the edges", skipped, n)
	}
}

// nodeLines is every Node runtime (realnode.Require skips one whose
// release is missing, and fails under CI).
func nodeLines(t *testing.T) []scenario.Runtime {
	var out []scenario.Runtime
	for _, rt := range scenario.Runtimes() {
		if rt.IsNode() {
			realnode.Require(t, rt.Name)
			out = append(out, rt)
		}
	}
	return out
}

// TestAgentDifferential holds nodeagent to the real http.Agent of every
// pinned Node line on the hand-picked cases (all lines in parallel).
func TestAgentDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("differential runs take seconds")
	}
	t.Parallel() // the schedules of both tests share the concurrent slots
	for _, rt := range nodeLines(t) {
		t.Run(rt.Name, func(t *testing.T) {
			t.Parallel()
			// One schedule per demo server: its hand-picked cases, then
			// generated ones timed against its timers.
			t.Run("keepalive-server", func(t *testing.T) {
				t.Parallel()
				addr, port := startServer(t, keepAliveServer(rt.Name))
				cases := handCases(rt.Node)
				cases = append(cases, Case{Name: "refused", Agent: AgentOptions{KeepAlive: true},
					Port: closedPort(t), Requests: []Req{get(0, "/")}, EndMs: 500})
				cases = append(cases, Generate(*genSeed, *genCases, rt.Node,
					Timers{SlowMs: slowMs, ServerKeepAliveMs: hintServerKeepAliveMs, SlowPath: "/slow"})...)
				generated(t, rt.Name, stagger(Schedule{Port: port, Cases: cases}), addr)
			})
			t.Run("hangup-server", func(t *testing.T) {
				t.Parallel()
				addr, port := startServer(t, hangupServer(rt.Name))
				cases := append(hangupCases(), Generate(*genSeed+hangupSeedOffset, *genCases/2, rt.Node, Timers{SlowMs: hangupSlowMs,
					ServerKeepAliveMs: defaultKeepAliveMs, ServerSocketTimeoutMs: hangupSocketTimeoutMs, SlowPath: "/slow"})...)
				generated(t, rt.Name, stagger(Schedule{Port: port, Cases: cases}), addr)
			})
		})
	}
}

// staggerMs spreads the cases' starts: a real node that starts twenty
// agents in one instant stalls its first answers past the tolerance on
// two loaded cores.
const staggerMs = 30

// stagger starts case i staggerMs*i later (its requests timed from the
// start, and its end).
func stagger(s Schedule) Schedule {
	for i := range s.Cases {
		c := &s.Cases[i]
		reqs := slices.Clone(c.Requests)
		for k := range reqs {
			if reqs[k].After == nil {
				reqs[k].At += i * staggerMs
			}
		}
		c.Requests = reqs
		c.EndMs += i * staggerMs
	}
	return s
}
