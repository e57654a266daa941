package emulated_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/proxy"
	"github.com/keepalive-playground/playground/backend/proxy/emulated"
	"github.com/keepalive-playground/playground/backend/proxy/realnginx"
	"github.com/keepalive-playground/playground/backend/run"
	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// The differential test holds the nginx emulation to the real nginx:
// every scenario runs twice through the same session, demo server and
// upstream hop, once with the emulation as the proxy and once with
// Debian's nginx 1.22.1 on the configuration codeview renders, and what
// a learner can see must agree: the bytes each client connection
// receives (Date masked), when each one ends and how, each response's
// status, the requests nginx sends upstream and on which connection,
// who closes each upstream connection and when, and nginx's error-log
// lines. The scenarios are hand-picked ones (testdata/diff and the
// lessons' nginx scenarios) and generated ones whose steps are timed
// around every timer of both hops.
const (
	diffMinTolMs = 300
	diffRelTol   = 0.10
	// diffWorkers runs scenarios side by side: they mostly wait on timers.
	diffWorkers = 6
	// generated is how many generated scripts run in make test; set
	// NGINX_DIFF_N for more.
	generated = 28
)

func needNginx(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("differential runs take seconds")
	}
	v, err := realnginx.Version()
	if err != nil {
		t.Skipf("%v: no reference to compare with (make test installs Debian's nginx)", err)
	}
	if v != emulated.NginxVersion {
		t.Fatalf("nginx %s is installed; the emulation follows nginx %s", v, emulated.NginxVersion)
	}
}

// diffRetries is how many more times a case that differed runs alone.
const diffRetries = 2

func TestNginxDifferential(t *testing.T) {
	needNginx(t)
	type named struct {
		name string
		sc   *scenario.Scenario
	}
	var cases []named
	files, _ := filepath.Glob("testdata/diff/*.json")
	lessons, _ := filepath.Glob("../../../lessons/*.json")
	for _, f := range append(files, lessons...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := scenario.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if sc.Proxy == nil || sc.Proxy.Kind != scenario.ProxyNginx {
			continue
		}
		cases = append(cases, named{strings.TrimSuffix(filepath.Base(f), ".json"), sc})
	}
	n := generated
	if v := os.Getenv("NGINX_DIFF_N"); v != "" {
		fmt.Sscan(v, &n)
	}
	for seed := range n {
		sc := generate(uint64(seed))
		cases = append(cases, named{fmt.Sprintf("gen%02d", seed), sc})
	}
	if only := os.Getenv("NGINX_DIFF_ONLY"); only != "" {
		cases = slices.DeleteFunc(cases, func(c named) bool { return !slices.Contains(strings.Split(only, ","), c.name) })
	}
	type result struct {
		name      string
		diffs     []string
		emu, real string
	}
	results := make([]result, len(cases))
	one := func(c named) result {
		emu, err1 := runWith(c.sc, emulated.NewNginx, false)
		real, err2 := runWith(c.sc, realnginx.New, true)
		r := result{name: c.name}
		switch {
		case err1 != nil || err2 != nil:
			r.diffs = []string{fmt.Sprintf("run: emulation %v, real %v", err1, err2)}
		default:
			r.diffs = compare(normalize(emu), normalize(real))
			r.emu, r.real = dump(emu), dump(real)
		}
		return r
	}
	var wg sync.WaitGroup
	work := make(chan int)
	for range diffWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = one(cases[i])
			}
		}()
	}
	for i := range cases {
		work <- i
	}
	close(work)
	wg.Wait()
	// A stall of the loaded machine (make test runs this beside the
	// race-enabled suite and Chromium) can delay one side's events by
	// hundreds of ms. A wrong emulation differs on every run; a stall
	// seldom hits the same case twice. So a case that differs runs again
	// alone, up to diffRetries times, and fails only when every run
	// differs. Each attempt that differed is logged.
	for i := range results {
		for try := 0; try < diffRetries && len(results[i].diffs) > 0; try++ {
			t.Logf("%s differed (attempt %d), running it again alone:\n%s", results[i].name, try+1, strings.Join(results[i].diffs, "\n"))
			results[i] = one(cases[i])
		}
	}
	for i, r := range results {
		sc, _ := json.Marshal(cases[i].sc)
		t.Run(r.name, func(t *testing.T) {
			if len(r.diffs) > 0 {
				t.Errorf("emulation and real nginx differ:\n%s\nscenario: %s\nemulation:\n%s\nreal nginx:\n%s",
					strings.Join(r.diffs, "\n"), sc, r.emu, r.real)
			}
		})
	}
}

// runWith runs sc with f as its nginx; the real one listens by itself and
// reaches the hop without its gate (open).
func runWith(sc *scenario.Scenario, f proxy.Factory, open bool) (*run.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return run.RunWith(ctx, sc, all.Runtimes(), run.Options{Proxies: map[string]proxy.Factory{scenario.ProxyNginx: f}, OpenHop: open})
}

// generate makes a scenario for seed: an nginx in front of a demo server
// (node20, whose idle close comes keepAliveTimeout + 1 s after a
// response, or go, IdleTimeout after it), and two to four requests on one
// or two client connections. Each request is placed against the timers
// the ones before it started — the demo server's idle close, nginx's
// upstream keepalive_timeout, its client keepalive_timeout — either
// clear of all of them by a margin (so the outcome does not depend on
// scheduling), or inside the race window after the server's close, where
// nginx forwards the request before the server's FIN has crossed the hop.
func generate(seed uint64) *scenario.Scenario {
	rng := rand.New(rand.NewPCG(seed, 0x6e67696e78))
	pick := func(vals ...int) int { return vals[rng.IntN(len(vals))] }
	n := func(v int) *int { return &v }
	latency := pick(0, 80, 120)
	p := &scenario.Proxy{
		Kind:                  scenario.ProxyNginx,
		Keepalive:             n(pick(0, 1, 2, 2)),
		UpstreamIdleTimeoutMs: n(pick(700, 1100, 1600)),
		ClientIdleTimeoutMs:   n(pick(900, 1400, 2500)),
		UpstreamLatencyMs:     n(latency),
	}
	if rng.IntN(4) == 0 {
		p.UpstreamMaxRequests = n(pick(1, 2))
	}
	switch rng.IntN(4) {
	case 0:
		p.NextUpstream = []string{"error", "timeout", "non_idempotent"}
	case 1:
		p.NextUpstream = []string{"off"}
	}
	sv := scenario.Server{Runtime: "node20"}
	serverIdle := 0
	if rng.IntN(3) == 0 {
		sv = scenario.Server{Runtime: "go", IdleTimeoutMs: n(pick(500, 900, 1300))}
		serverIdle = *sv.IdleTimeoutMs
	} else {
		sv.KeepAliveTimeoutMs = n(pick(0, 100, 400))
		if *sv.KeepAliveTimeoutMs > 0 {
			serverIdle = *sv.KeepAliveTimeoutMs + 1000 // node20's keepAliveTimeoutBuffer
		}
	}
	// Clear of a timer by this much, the outcome does not depend on how
	// busy the machine is. Two idle timers on one connection that fire
	// together would race: nginx's upstream keepalive_timeout is kept
	// clear of the server's.
	const margin = 450
	for try := 0; serverIdle > 0 && abs(serverIdle-*p.UpstreamIdleTimeoutMs) < margin && try < 10; try++ {
		p.UpstreamIdleTimeoutMs = n(pick(700, 1100, 1600, 2300))
	}
	slow := rng.IntN(5) == 0
	delay := 0
	if slow {
		// Well inside proxy_read_timeout with both crossings of the hop,
		// or well past it.
		p.ReadTimeoutMs = n(500)
		delay = pick(max(500-2*latency-300, 50), 900)
		sv.Routes = []scenario.Route{{Path: "/slow", Body: "late", DelayMs: delay}, {Path: "*", Body: "Hello World!"}}
	}
	sc := &scenario.Scenario{V: scenario.Version, Title: fmt.Sprintf("generated %d", seed), Server: sv, Proxy: p}
	conns := []string{"A", "B"}[:1+rng.IntN(2)]
	var points []int // when timers started by earlier requests fire
	clear := func(t int) bool {
		for _, pt := range points {
			if t > pt-margin && t < pt+margin {
				return false
			}
		}
		return true
	}
	at, lastServerClose := 100, 0
	steps := 2 + rng.IntN(3)
	for i := range steps {
		conn := conns[rng.IntN(len(conns))]
		method := "GET"
		if rng.IntN(2) == 0 {
			method = "POST"
		}
		req := &scenario.Request{Method: method, Path: fmt.Sprintf("/r%d", i)}
		if method == "POST" {
			req.Body = "x"
		}
		took := 0
		if slow && rng.IntN(2) == 0 {
			req.Path = "/slow"
			took = delay
		}
		switch rng.IntN(10) {
		case 0:
			req.Headers = map[string]string{"Connection": "close"}
		case 1:
			req.Version = "HTTP/1.0"
		}
		sc.Client.Steps = append(sc.Client.Steps, scenario.Step{At: at, Conn: conn, Request: req})
		// The timers this request starts, on the session clock: the
		// response leaves the server latency after the forward and reaches
		// nginx latency later.
		served := at + latency + took
		done := served + latency
		if took >= 500 {
			done = at + 500 // proxy_read_timeout: a 504
		}
		// The response itself is a point too: a request close to it could
		// come before or after it (pipelined or not).
		points = append(points, done, done+*p.ClientIdleTimeoutMs, done+*p.UpstreamIdleTimeoutMs)
		if serverIdle > 0 {
			lastServerClose = served + serverIdle
			points = append(points, lastServerClose)
		}
		// The next request: in the race window, or clear of every timer.
		next := -1
		if lastServerClose > 0 && latency > 0 && rng.IntN(3) == 0 {
			// Forwarded within latency of the server's close, either side:
			// it reaches the server after the close and leaves nginx before
			// the FIN arrives.
			t := lastServerClose
			ok := true
			for _, pt := range points {
				if pt != lastServerClose && t > pt-margin && t < pt+margin {
					ok = false
				}
			}
			if ok {
				next = t
			}
		}
		for try := 0; next < 0 && try < 40; try++ {
			t := at + 150 + rng.IntN(3000)
			if clear(t) {
				next = t
			}
		}
		if next < 0 {
			next = slices.Max(points) + margin
		}
		at = max(next, at+150)
	}
	if rng.IntN(3) == 0 {
		sc.Client.Steps = append(sc.Client.Steps, scenario.Step{At: at - 100, Conn: conns[0], Close: true})
	}
	sc.DurationMs = at + 2200
	return sc
}

func abs(v int) int { return max(v, -v) }

// withResponseMs is how close to an upstream response a close counts as
// coming with it, and how close two events of two processes count as
// simultaneous (a busy machine delays a reaction by a few ms).
const withResponseMs = 50

// norm is one run reduced to what must agree.
type norm struct {
	conns map[string]*connTL
}

type timed struct {
	key string
	t   float64 // the delay compared: from the connection's previous event
	at  float64 // when it happened, for ordering same-instant events
}

type connTL struct {
	events []timed // errors, EOFs, resets, upstream requests and closes, in order
	// responses are the statuses answered and whether nginx answered
	// itself. Real nginx reports them from its access log, which it writes
	// when a request is freed (after a lingering close: up to 5 s late,
	// or after the run), so their order and times are not compared.
	responses []string
	data      string // received (client connections) or sent upstream (upstream ones), Date masked
	recv      string // upstream connections: what the demo server sent
}

var (
	dateHeader = regexp.MustCompile(`Date: [^\r]*\r\n`)
	port       = regexp.MustCompile(`127\.0\.0\.1:\d+`)
)

// normalize keeps what must agree. Times become delays from the
// connection's previous event (a client connection's first from its
// first send), as in the Node differential test: a whole run may lag on
// a loaded machine; delays between cause and effect do not.
func normalize(res *run.Result) norm {
	n := norm{conns: map[string]*connTL{}}
	prev := map[string]float64{}
	get := func(label string, t float64) *connTL {
		c := n.conns[label]
		if c == nil {
			c = &connTL{}
			n.conns[label] = c
			prev[label] = t
		}
		return c
	}
	add := func(label, key string, t float64) {
		c := get(label, t)
		c.events = append(c.events, timed{key, t - prev[label], t})
		prev[label] = t
	}
	evs := slices.Clone(res.Events)
	for _, e := range res.EOFs {
		evs = append(evs, timeline.Event{T: e.T, Conn: e.Conn, Kind: "eof"})
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].T < evs[j].T })
	// The emulation stamps its close of an upstream connection as it
	// closes; bytes it wrote just before reach the hop a moment later and
	// are stamped there. Within a millisecond, the bytes went first.
	for i := 0; i < len(evs); i++ {
		e := evs[i]
		if e.Kind != timeline.Close || e.Hop != timeline.HopUpstream {
			continue
		}
		for j := i + 1; j < len(evs) && evs[j].T-e.T < 1; j++ {
			if evs[j].Conn == e.Conn && evs[j].Kind == timeline.Send {
				e.T = evs[j].T
				copy(evs[i:j], evs[i+1:j+1])
				evs[j] = e
				i--
				break
			}
		}
	}
	closed := map[string]bool{}
	resps := map[string][]float64{} // upstream responses' times
	for _, e := range evs {
		if e.Hop == timeline.HopUpstream && e.Kind == timeline.Response {
			resps[e.Conn] = append(resps[e.Conn], e.T)
		}
	}
	withResponse := func(conn string, t float64) bool {
		for _, r := range resps[conn] {
			if math.Abs(t-r) < withResponseMs {
				return true
			}
		}
		return false
	}
	for _, e := range evs {
		if e.Conn == "" {
			continue
		}
		up := e.Hop == timeline.HopUpstream
		switch e.Kind {
		case timeline.Send:
			c := get(e.Conn, e.T)
			if up {
				c.data += e.Data
			}
			prev[e.Conn] = e.T
		case timeline.Recv:
			c := get(e.Conn, e.T)
			if up {
				c.recv += dateHeader.ReplaceAllString(e.Data, "Date: *\r\n")
			} else {
				c.data += dateHeader.ReplaceAllString(e.Data, "Date: *\r\n")
			}
		case timeline.Response:
			if !up {
				c := get(e.Conn, e.T)
				c.responses = append(c.responses, fmt.Sprintf("%d %s", e.Status, e.By))
			}
		case timeline.ProxyError:
			add(e.Conn, "error "+port.ReplaceAllString(e.Error, "127.0.0.1:*"), e.T)
		case "eof":
			add(e.Conn, "eof", e.T)
		case timeline.Reset:
			add(e.Conn, "reset by "+e.By, e.T)
		case timeline.Close:
			// The client's own closes are its script; upstream, who closed
			// first matters (the proxy, or the demo server) — but not when
			// both close as the response completes (Connection: close, or
			// the app's close with its answer): then either may be first.
			if up && !closed[e.Conn] {
				closed[e.Conn] = true
				key := "close by " + e.By
				if withResponse(e.Conn, e.T) {
					key = "close with the response"
				}
				add(e.Conn, key, e.T)
			}
		case timeline.Accept, timeline.Request:
			if up {
				add(e.Conn, e.Kind+" "+e.Method+" "+e.Path, e.T)
			}
		}
	}
	return n
}

func tol(t float64) float64 { return math.Max(diffMinTolMs, diffRelTol*t) }

func keys(ts []timed) []string {
	var k []string
	for _, t := range ts {
		k = append(k, t.key)
	}
	return k
}

// order puts events that can happen in the same instant from two
// processes (the client's EOF and nginx's error line, which the real
// nginx's log delivers a poll later; the app parsing a request as nginx
// gives it up) in one order.
func order(ts []timed) []timed {
	out := slices.Clone(ts)
	for i := 1; i < len(out); i++ {
		if out[i].at-out[i-1].at < withResponseMs && out[i].key < out[i-1].key {
			// b came within moments of a: b now comes first, after a's delay.
			a, b := out[i-1], out[i]
			out[i-1], out[i] = timed{b.key, a.t + (b.at - a.at), b.at}, timed{a.key, 0, a.at}
		}
	}
	return out
}

func compare(emu, real norm) []string {
	var diffs []string
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
		ee, re := order(e.events), order(r.events)
		if !slices.Equal(keys(ee), keys(re)) {
			diffs = append(diffs, fmt.Sprintf("conn %s:\n  emulation %q\n  real      %q", l, keys(ee), keys(re)))
		} else {
			for i := range ee {
				if d := math.Abs(ee[i].t - re[i].t); d > tol(re[i].t) {
					diffs = append(diffs, fmt.Sprintf("conn %s: %q after %.1f ms, real nginx after %.1f ms", l, ee[i].key, ee[i].t, re[i].t))
				}
			}
		}
		if len(r.responses) > len(e.responses) || !slices.Equal(e.responses[:len(r.responses)], r.responses) {
			diffs = append(diffs, fmt.Sprintf("conn %s responses: emulation %q, real %q", l, e.responses, r.responses))
		}
		if e.data != r.data {
			diffs = append(diffs, fmt.Sprintf("conn %s bytes:\n  emulation %q\n  real      %q", l, e.data, r.data))
		}
		if e.recv != r.recv {
			diffs = append(diffs, fmt.Sprintf("conn %s upstream answered:\n  emulation %q\n  real      %q", l, e.recv, r.recv))
		}
	}
	return diffs
}

func dump(res *run.Result) string {
	var b strings.Builder
	for _, e := range res.Events {
		fmt.Fprintf(&b, "  %7.1f %-3s %-8s %-11s %s %s %s %s %d %s %q\n", e.T, e.Conn, e.Hop, e.Kind, e.By, e.Reason, e.Method, e.Path, e.Status, e.Error, e.Data)
	}
	for _, e := range res.EOFs {
		fmt.Fprintf(&b, "  %7.1f %-3s eof\n", e.T, e.Conn)
	}
	return b.String()
}
