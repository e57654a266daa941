// Package nodediff holds the Node emulation (package node) to the real
// release of each Node line (package realnode): it runs one scenario on
// both, side by side, and compares their timelines reduced to what must
// agree. The hand-written diff set (package node's TestDifferential) and
// the generated client scripts of this package's tests share it.
//
// What must agree, per connection: the server's events (accept, request,
// response, idle, close with its by and reason) in order, each delay from
// the one before within timeline.SameTiming, every byte received (the
// Date header masked), and the client's own connect/refused/reset; and
// the server's own events in order.
package nodediff

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keepalive-playground/playground/backend/run"
	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/sandbox/node"
	"github.com/keepalive-playground/playground/backend/sandbox/realnode"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// runTimeout bounds one run of one side.
const runTimeout = 30 * time.Second

// Pair is one scenario on one Node line: the emulation's run and the real
// release's, and how they differ.
type Pair struct {
	Name string
	SC   *scenario.Scenario
	// CheckingInterval is Node's connectionsCheckingInterval in both runs
	// (0: Node's 30 s).
	CheckingInterval time.Duration

	Emu, Ref []timeline.Event
	Err      error
	Diffs    []string
}

// Differs reports whether the pair ran and the runs disagree.
func (p *Pair) Differs() bool { return p.Err == nil && len(p.Diffs) > 0 }

// Run runs the pair's emulation and real Node side by side and compares
// them.
func (p *Pair) Run() {
	var wg sync.WaitGroup
	var emuErr, refErr error
	wg.Add(2)
	go func() { defer wg.Done(); p.Emu, emuErr = runWith(p.SC, p.factory(node.New)) }()
	go func() { defer wg.Done(); p.Ref, refErr = runWith(p.SC, p.factory(realnode.New)) }()
	wg.Wait()
	p.Err = errors.Join(emuErr, refErr)
	p.Diffs = nil
	if p.Err == nil {
		p.Diffs = Compare(Normalize(p.Emu), Normalize(p.Ref))
	}
}

func (p *Pair) factory(f sandbox.Factory) sandbox.Factory {
	return func(cfg sandbox.Config) (sandbox.Server, error) {
		cfg.CheckingInterval = p.CheckingInterval
		return f(cfg)
	}
}

// Report is the pair's differences and both timelines, for a failure.
func (p *Pair) Report() string {
	return fmt.Sprintf("%s\nemulation:\n%s\nreal node %s:\n%s", strings.Join(p.Diffs, "\n"),
		Dump(p.Emu), p.SC.Server.Spec().Release, Dump(p.Ref))
}

// RunPairs runs the pairs, n at a time.
func RunPairs(pairs []*Pair, n int) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, p := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			p.Run()
		}()
	}
	wg.Wait()
}

// Retry runs every pair that differs again, alone, up to retries times: a
// behaviour the emulation gets wrong differs every time, while a
// scheduling stall of a loaded machine seldom hits the same pair twice.
// A pair whose last runs differed while stalled (Inconclusive) gets up to
// stalledRetries more, each after stallPause: on CI's loaded machine a
// stall lasted a pair's every retry. logf sees every attempt that
// differed, so flakes stay visible.
func Retry(pairs []*Pair, retries int, logf func(format string, args ...any)) {
	for attempt := 1; attempt <= retries+stalledRetries; attempt++ {
		var again []*Pair
		for _, p := range pairs {
			if !p.Differs() || attempt > retries && !p.Inconclusive() {
				continue
			}
			stall := ""
			if p.Inconclusive() {
				stall = fmt.Sprintf(" (a server acted %.0f ms late: stalled)", p.Stall())
			}
			logf("%s differed on attempt %d%s; running it again alone:\n%s", p.Name, attempt, stall, strings.Join(p.Diffs, "\n"))
			again = append(again, p)
		}
		if len(again) == 0 {
			return
		}
		if attempt > retries {
			time.Sleep(stallPause)
		}
		RunPairs(again, 1)
	}
}

const (
	// maxServerLagMs is how late a server may act on what reached it
	// (accept a connection, start a request) for its run to be a fair
	// comparison: both the emulation and real Node take a millisecond or
	// two on a quiet machine, and the scenarios space steps 100 ms apart
	// and more. CI's loaded machine saw real Node 270 ms late.
	maxServerLagMs = 50
	// stalledRetries and stallPause bound the extra runs of a pair whose
	// runs stalled.
	stalledRetries = 3
	stallPause     = time.Second
)

// Stall is how late the later of the pair's servers acted on a
// connection's first bytes, in ms: its accept after the client's
// connect, its first request after the send that completed it.
func (p *Pair) Stall() float64 { return max(serverLag(p.Emu), serverLag(p.Ref)) }

// Inconclusive reports whether the pair's last runs differ while one of
// its servers stalled past maxServerLagMs: the difference may be the
// machine's, not the emulation's.
func (p *Pair) Inconclusive() bool { return p.Differs() && p.Stall() > maxServerLagMs }

// TooUnfair fails a test whose pairs ended inconclusive more than one
// in maxUnfair: a differential test that could compare little proves
// little. The others say so one by one (Inconclusive).
func TooUnfair(pairs []*Pair) error {
	var names []string
	for _, p := range pairs {
		if p.Inconclusive() {
			names = append(names, p.Name)
		}
	}
	if len(names)*maxUnfair > len(pairs) {
		return fmt.Errorf("%d of %d pairs stalled on every run, too many to trust the comparison: %s",
			len(names), len(pairs), strings.Join(names, ", "))
	}
	return nil
}

// maxUnfair: at most one pair in this many may end inconclusive.
const maxUnfair = 10

func serverLag(evs []timeline.Event) float64 {
	order := timeline.TimeOrder(evs)
	connect, send := map[string]float64{}, map[string]float64{}
	accepted, requested := map[string]bool{}, map[string]bool{}
	lag := 0.0
	for _, i := range order {
		e := evs[i]
		switch e.Kind {
		case timeline.Connect:
			connect[e.Conn] = e.T
		case timeline.Send:
			send[e.Conn] = e.T
		case timeline.Accept:
			if c, ok := connect[e.Conn]; ok && !accepted[e.Conn] {
				lag = max(lag, e.T-c)
			}
			accepted[e.Conn] = true
		case timeline.Request:
			if s, ok := send[e.Conn]; ok && !requested[e.Conn] {
				lag = max(lag, e.T-s)
			}
			requested[e.Conn] = true
		}
	}
	return lag
}

func runWith(sc *scenario.Scenario, f sandbox.Factory) ([]timeline.Event, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	res, err := run.Run(ctx, sc, map[string]sandbox.Factory{sc.Server.Runtime: f})
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	return res.Events, nil
}

// Dump lists events one a line.
func Dump(evs []timeline.Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "  %7.1f %-3s %-10s %s %s %s %s %d %q\n", e.T, e.Conn, e.Kind, e.By, e.Reason, e.Method, e.Path, e.Status, e.Data)
	}
	return b.String()
}

var dateHeader = regexp.MustCompile(`Date: [^\r]*\r\n`)

// Norm is one run reduced to what must agree.
type Norm struct {
	server []timed            // server event kinds in order
	conns  map[string]*connTL // per connection label
}

type timed struct {
	key string
	t   float64
}

type connTL struct {
	events []timed // accept/request/response/idle and closes, in order
	recv   string  // everything received, Date masked
	client []string
}

// serverSide are the connection kinds the demo server reports.
var serverSide = []string{timeline.Accept, timeline.Request, timeline.Response, timeline.Idle}

// Normalize keeps what must agree. Times become delays: a connection
// event is measured from the one before it on that connection (the first
// from the client's first step there), a server event from the latest
// client send before it. On a loaded machine a whole run may lag, and a
// scripted step may fire late; delays between cause and effect do not.
func Normalize(evs []timeline.Event) Norm {
	n := Norm{conns: map[string]*connTL{}}
	prev := map[string]float64{}
	lastSend := 0.0
	for _, e := range evs {
		if e.Conn == "" {
			rel := e.T - lastSend
			if e.Kind == timeline.Listen {
				rel = 0 // before the script starts, whenever the runtime is up
			}
			n.server = append(n.server, timed{e.Kind, rel})
			continue
		}
		c := n.conns[e.Conn]
		if c == nil {
			c = &connTL{}
			n.conns[e.Conn] = c
			prev[e.Conn] = e.T
		}
		rel := e.T - prev[e.Conn]
		switch {
		case e.Kind == timeline.Recv:
			c.recv += dateHeader.ReplaceAllString(e.Data, "Date: *\r\n")
		case e.Kind == timeline.Close:
			c.events = append(c.events, timed{"close " + e.By + " " + e.Reason, rel})
			prev[e.Conn] = e.T
		case slices.Contains(serverSide, e.Kind):
			c.events = append(c.events, timed{fmt.Sprintf("%s %s %s %d", e.Kind, e.Method, e.Path, e.Status), rel})
			prev[e.Conn] = e.T
		case e.Kind == timeline.Send:
			lastSend = e.T
			prev[e.Conn] = e.T
		case e.Kind == timeline.Connect || e.Kind == timeline.Refused || e.Kind == timeline.Reset:
			c.client = append(c.client, e.Kind)
		}
	}
	// Same-instant events from the two sides may interleave either way:
	// closes are compared as a sorted list after the others.
	for _, c := range n.conns {
		slices.SortStableFunc(c.events, func(a, b timed) int {
			ac, bc := strings.HasPrefix(a.key, "close"), strings.HasPrefix(b.key, "close")
			switch {
			case ac && !bc:
				return 1
			case !ac && bc:
				return -1
			case ac && bc:
				return strings.Compare(a.key, b.key)
			}
			return 0
		})
	}
	return n
}

func compareTimed(what string, emu, real []timed) []string {
	var out []string
	if len(emu) != len(real) {
		return []string{fmt.Sprintf("%s: emulation %v, real %v", what, keys(emu), keys(real))}
	}
	for i := range emu {
		if emu[i].key != real[i].key {
			return []string{fmt.Sprintf("%s: emulation %v, real %v", what, keys(emu), keys(real))}
		}
		if !timeline.SameTiming(emu[i].t, real[i].t) {
			out = append(out, fmt.Sprintf("%s: %q at %.1f ms, real Node at %.1f ms", what, emu[i].key, emu[i].t, real[i].t))
		}
	}
	return out
}

func keys(ts []timed) []string {
	var k []string
	for _, t := range ts {
		k = append(k, t.key)
	}
	return k
}

// Compare lists how the emulation's run differs from real Node's.
func Compare(emu, real Norm) []string {
	diffs := compareTimed("server", emu.server, real.server)
	labels := map[string]bool{}
	for l := range emu.conns {
		labels[l] = true
	}
	for l := range real.conns {
		labels[l] = true
	}
	for _, l := range slices.Sorted(func(yield func(string) bool) {
		for l := range labels {
			if !yield(l) {
				return
			}
		}
	}) {
		e, r := emu.conns[l], real.conns[l]
		if e == nil || r == nil {
			diffs = append(diffs, fmt.Sprintf("conn %s: only in one run", l))
			continue
		}
		diffs = append(diffs, compareTimed("conn "+l, e.events, r.events)...)
		if e.recv != r.recv {
			diffs = append(diffs, fmt.Sprintf("conn %s received:\n  emulation %q\n  real      %q", l, e.recv, r.recv))
		}
		if !slices.Equal(e.client, r.client) {
			diffs = append(diffs, fmt.Sprintf("conn %s client: emulation %v, real %v", l, e.client, r.client))
		}
	}
	return diffs
}
