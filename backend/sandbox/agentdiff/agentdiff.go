// Package agentdiff holds package nodeagent, the emulation of Node's
// http.Agent, to the real Agent of each pinned Node release: one schedule
// (agent options, requests at times) runs through the real Agent in the
// release's own node (client.js) and through nodeagent over real loopback
// TCP, both against the same real demo server of that release, and the
// outcomes are compared: per request the socket it took (named by the
// first request that used it), req.reusedSocket, the status and body or
// Node's err.message and err.code, and when (timeline.SameTiming); per
// socket when it closed.
package agentdiff

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox/realnode"
	"github.com/keepalive-playground/playground/nodeagent"
	"github.com/keepalive-playground/playground/timeline"
)

//go:embed client.js
var clientJS string

// runSlack bounds a run past its last case's end.
const runSlack = 10 * time.Second

// AgentOptions are new http.Agent(options) as JSON for client.js; nil
// fields are left out (Node's defaults).
type AgentOptions struct {
	KeepAlive                   bool   `json:"keepAlive"`
	MaxSockets                  *int   `json:"maxSockets,omitempty"`
	MaxFreeSockets              *int   `json:"maxFreeSockets,omitempty"`
	MaxTotalSockets             *int   `json:"maxTotalSockets,omitempty"`
	TimeoutMs                   *int   `json:"timeout,omitempty"`
	Scheduling                  string `json:"scheduling,omitempty"`
	AgentKeepAliveTimeoutBuffer *int   `json:"agentKeepAliveTimeoutBuffer,omitempty"`
}

// Req is one request of a case, sent At ms after the start, or, with
// After, At ms after the outcome of request After (Node's timers run from
// a response's end, so a request timed against one is timed from there).
type Req struct {
	At     int    `json:"at"`
	After  *int   `json:"after,omitempty"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   string `json:"body,omitempty"`
}

// Case is one agent and its requests; at EndMs the agent is destroyed and
// nothing after counts.
type Case struct {
	Name string `json:"name"`
	// Global: http.globalAgent of the line (at most one case per schedule).
	Global   bool         `json:"global,omitempty"`
	Agent    AgentOptions `json:"agent"`
	Requests []Req        `json:"requests"`
	EndMs    int          `json:"endMs"`
	// Port, when set, is dialed instead of the schedule's (a closed port:
	// connections refused).
	Port int `json:"port,omitempty"`
	// Generated cases are not compared when CoinFlip says so.
	Generated bool `json:"-"`
}

// Schedule is the cases run at once against one server.
type Schedule struct {
	Port  int    `json:"port"`
	Cases []Case `json:"cases"`
}

// Outcome is one line of a run: a request's outcome (Ev "res" or "err")
// or a socket's close (Ev "close").
type Outcome struct {
	C      int    `json:"c"`
	Ev     string `json:"ev"`
	Req    int    `json:"req"`
	Sock   *int   `json:"sock"`
	Reused bool   `json:"reused"`
	Status int    `json:"status"`
	Body   string `json:"body"`
	Msg    string `json:"msg"`
	Code   string `json:"code"`
	// Sent is when the request was sent, T when its outcome came.
	Sent float64 `json:"sent"`
	T    float64 `json:"t"`
}

// RunReal runs the schedule through the real Agent of runtime's release.
// started (if not nil) is called when the program's clock starts, after
// its warm-up request.
func RunReal(ctx context.Context, runtime string, s Schedule, started func()) ([]Outcome, error) {
	bin, err := realnode.Binary(runtime)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "agentdiff-")
	if err != nil {
		return nil, fmt.Errorf("agentdiff: temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	prog, file := filepath.Join(dir, "client.js"), filepath.Join(dir, "schedule.json")
	js, _ := json.Marshal(s)
	if err := os.WriteFile(prog, []byte(clientJS), 0o600); err != nil {
		return nil, fmt.Errorf("agentdiff: write program: %w", err)
	}
	if err := os.WriteFile(file, js, 0o600); err != nil {
		return nil, fmt.Errorf("agentdiff: write schedule: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(s.end())*time.Millisecond+runSlack)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, prog, file)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("agentdiff: stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("agentdiff: start node: %w", err)
	}
	var out []Outcome
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var o Outcome
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			return nil, fmt.Errorf("agentdiff: node printed %q: %w", sc.Text(), err)
		}
		if o.Ev == "start" {
			if started != nil {
				started()
				started = nil
			}
			continue
		}
		out = append(out, o)
	}
	if started != nil {
		started() // the program ended before its clock started: let the other side go
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("agentdiff: node %s: %w: %s", runtime, err, stderr.String())
	}
	return out, nil
}

func (s Schedule) end() int {
	end := 0
	for _, c := range s.Cases {
		end = max(end, c.EndMs)
	}
	return end
}

// Options are the nodeagent options a case stands for on runtime.
func (c Case) Options(runtime string) (nodeagent.Options, error) {
	if c.Global {
		return nodeagent.GlobalAgent(runtime)
	}
	a := c.Agent
	o := nodeagent.Options{Release: runtime, KeepAlive: a.KeepAlive, Scheduling: a.Scheduling, Host: "127.0.0.1"}
	deref := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	o.MaxSockets, o.MaxFreeSockets, o.MaxTotalSockets = deref(a.MaxSockets), deref(a.MaxFreeSockets), deref(a.MaxTotalSockets)
	if a.TimeoutMs != nil {
		d := time.Duration(*a.TimeoutMs) * time.Millisecond
		o.Timeout = &d
	}
	if a.AgentKeepAliveTimeoutBuffer != nil {
		d := time.Duration(*a.AgentKeepAliveTimeoutBuffer) * time.Millisecond
		o.KeepAliveTimeoutBuffer = &d
	}
	return o, nil
}

// RunEmu runs the schedule through nodeagent, dialing addr over loopback.
func RunEmu(ctx context.Context, runtime string, s Schedule, addr string) ([]Outcome, error) {
	start := time.Now()
	since := func(t time.Time) float64 { return float64(t.Sub(start).Microseconds()) / 1000 }
	var mu sync.Mutex
	var out []Outcome
	var wg sync.WaitGroup
	errs := make([]error, len(s.Cases))
	for ci, c := range s.Cases {
		opts, err := c.Options(runtime)
		if err != nil {
			return nil, err
		}
		var d net.Dialer
		to := addr
		if c.Port != 0 {
			to = fmt.Sprintf("127.0.0.1:%d", c.Port)
		}
		a, err := nodeagent.New(opts, func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", to) })
		if err != nil {
			return nil, fmt.Errorf("agentdiff: case %s: %w", c.Name, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := map[string]int{}
			var rw sync.WaitGroup
			var cmu sync.Mutex
			// One goroutine issues the case's requests in order of their
			// due times (ties in the case's order), as client.js's timers
			// fire.
			end := start.Add(time.Duration(c.EndMs) * time.Millisecond)
			n := len(c.Requests)
			due := make([]time.Time, n) // zero: not known yet
			sent := make([]bool, n)
			finished := make(chan int, n)
			doneAt := make([]time.Time, n)
			for ri, r := range c.Requests {
				if r.After == nil {
					due[ri] = start.Add(time.Duration(r.At) * time.Millisecond)
				}
			}
			endTimer := time.NewTimer(time.Until(end))
			defer endTimer.Stop()
		dispatch:
			for {
				next := -1
				for i := range due {
					if !sent[i] && !due[i].IsZero() && (next < 0 || due[i].Before(due[next])) {
						next = i
					}
				}
				var timer <-chan time.Time
				if next >= 0 {
					timer = time.After(time.Until(due[next]))
				}
				select {
				case <-endTimer.C:
					break dispatch
				case j := <-finished:
					for k, r := range c.Requests {
						if r.After != nil && *r.After == j {
							due[k] = doneAt[j].Add(time.Duration(r.At) * time.Millisecond)
						}
					}
					continue
				case <-timer:
				}
				ri, r := next, c.Requests[next]
				sent[ri] = true
				sentAt := since(time.Now())
				done := a.Go(ctx, nodeagent.Request{Method: r.Method, Path: r.Path, Body: r.Body})
				rw.Add(1)
				go func() {
					defer rw.Done()
					res := <-done
					now := time.Now()
					o := Outcome{C: ci, Ev: "res", Req: ri, Reused: res.Reused, Status: res.Status, Body: res.Body, Sent: sentAt, T: since(now)}
					if res.Err != "" {
						o.Ev, o.Msg, o.Code, o.Body = "err", res.Err, res.Code, ""
					}
					if res.Conn != "" {
						cmu.Lock()
						id, ok := ids[res.Conn]
						if !ok {
							id = len(ids)
							ids[res.Conn] = id
						}
						cmu.Unlock()
						o.Sock = &id
					}
					mu.Lock()
					out = append(out, o)
					mu.Unlock()
					doneAt[ri] = now
					finished <- ri
				}()
			}
			socks := a.Sockets()
			a.Destroy()
			rw.Wait()
			cmu.Lock()
			defer cmu.Unlock()
			for _, si := range socks {
				id, ok := ids[si.Label]
				if si.State != nodeagent.StateClosed || si.Label == "" || !si.ClosedAt.Before(end) {
					continue
				}
				if !ok {
					id = len(ids)
					ids[si.Label] = id
				}
				mu.Lock()
				out = append(out, Outcome{C: ci, Ev: "close", Sock: &id, T: since(si.ClosedAt)})
				mu.Unlock()
			}
			if len(ids) > 1000 {
				errs[ci] = errors.New("agentdiff: too many sockets")
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// Compare lists how the emulation's outcomes (emu) differ from the real
// Agent's (ref). Sockets are named by the first request (in the case's
// order) that took them; a socket no request took is named by its close.
func Compare(s Schedule, emu, ref []Outcome) []string {
	var diffs []string
	for ci, c := range s.Cases {
		e, r := canon(ci, emu), canon(ci, ref)
		for ri := range c.Requests {
			eo, eok := e.reqs[ri]
			ro, rok := r.reqs[ri]
			where := fmt.Sprintf("case %s: request %d (%s %s at %d ms)", c.Name, ri, c.Requests[ri].Method, c.Requests[ri].Path, c.Requests[ri].At)
			switch {
			case !eok && !rok:
				continue
			case !eok:
				diffs = append(diffs, fmt.Sprintf("%s: no outcome in the emulation; real: %s", where, ro))
				continue
			case !rok:
				diffs = append(diffs, fmt.Sprintf("%s: %s in the emulation; no outcome in real Node", where, eo))
				continue
			}
			if eo.String() != ro.String() {
				diffs = append(diffs, fmt.Sprintf("%s: emulation %s; real %s", where, eo, ro))
			} else if !timeline.SameTiming(eo.T, ro.T) {
				diffs = append(diffs, fmt.Sprintf("%s: %s at %.0f ms in the emulation, %.0f ms in real Node", where, ro, eo.T, ro.T))
			}
		}
		names := map[string]bool{}
		for n := range e.closes {
			names[n] = true
		}
		for n := range r.closes {
			names[n] = true
		}
		sorted := slices.Sorted(func(yield func(string) bool) {
			for n := range names {
				if !yield(n) {
					return
				}
			}
		})
		for _, n := range sorted {
			et, eok := e.closes[n]
			rt, rok := r.closes[n]
			// A close within the tolerance of the case's end may fall
			// on either side of it.
			atEnd := func(t float64) bool { return timeline.SameTiming(t, float64(c.EndMs)) }
			switch {
			case !eok && atEnd(rt), !rok && atEnd(et):
			case !eok:
				diffs = append(diffs, fmt.Sprintf("case %s: socket %s closed at %.0f ms in real Node, not before %d ms in the emulation", c.Name, n, rt, c.EndMs))
			case !rok:
				diffs = append(diffs, fmt.Sprintf("case %s: socket %s closed at %.0f ms in the emulation, not before %d ms in real Node", c.Name, n, et, c.EndMs))
			case !timeline.SameTiming(et, rt):
				diffs = append(diffs, fmt.Sprintf("case %s: socket %s closed at %.0f ms in the emulation, %.0f ms in real Node", c.Name, n, et, rt))
			}
		}
	}
	return diffs
}

// outcome is one request's outcome with its socket named.
type outcome struct {
	Sock   string
	Reused bool
	Status int
	Body   string
	Msg    string
	Code   string
	T      float64
}

func (o outcome) String() string {
	s := "on socket " + o.Sock
	if o.Sock == "" {
		s = "on no socket"
	}
	if o.Reused {
		s += " (reused)"
	}
	if o.Msg != "" {
		s += fmt.Sprintf(": error %q (%s)", o.Msg, o.Code)
		if o.Status != 0 {
			s += fmt.Sprintf(" after status %d", o.Status)
		}
		return s
	}
	return s + fmt.Sprintf(": %d %q", o.Status, o.Body)
}

type canonRun struct {
	reqs   map[int]outcome
	closes map[string]float64
}

// canon names each socket of case ci's outcomes by its first request
// ("r0" = the socket request 0 took).
func canon(ci int, outs []Outcome) canonRun {
	var mine []Outcome
	for _, o := range outs {
		if o.C == ci {
			mine = append(mine, o)
		}
	}
	name := map[int]string{}
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].Req < mine[j].Req })
	for _, o := range mine {
		if o.Ev != "close" && o.Sock != nil {
			if _, ok := name[*o.Sock]; !ok {
				name[*o.Sock] = fmt.Sprintf("r%d", o.Req)
			}
		}
	}
	run := canonRun{reqs: map[int]outcome{}, closes: map[string]float64{}}
	for _, o := range mine {
		sock := ""
		if o.Sock != nil {
			sock = name[*o.Sock]
		}
		if o.Ev == "close" {
			if sock == "" {
				continue // a socket no request took (removeSocket's spare): client.js never sees it
			}
			if t, ok := run.closes[sock]; !ok || o.T < t {
				run.closes[sock] = o.T
			}
			continue
		}
		run.reqs[o.Req] = outcome{Sock: sock, Reused: o.Reused, Status: o.Status, Body: o.Body, Msg: o.Msg, Code: o.Code, T: o.T}
	}
	return run
}
