// Package load simulates a class: many browsers, each a real WebSocket
// client speaking the playground's wire protocol, each running a scenario
// over and over as a learner would, while it counts what went wrong.
//
// A simulated browser says hello, waits for its session to be ready, and
// waits with the others until every one has connected (so a caller can
// measure idle sessions). Then it runs the scenario repeatedly: load, the
// scenario's steps, and the events until the scenario's duration is over.
// It counts:
//
//   - errors: a failed handshake, an error message from the server, a
//     connection that ends before the browser closes it;
//   - lost events: what the server sent against what the browser got.
//     Every pong carries the seq of the last event the session sent before
//     it (wire.Msg.Sent), and messages arrive in order, so by a pong the
//     browser must have received exactly that many events; each run ends
//     with a ping, so events lost at its end count too (a gap in seq
//     alone would miss those);
//   - failed checks: the scenario's own checks, evaluated on each run;
//   - delivery latency: from the moment an event happened (its t on the
//     session clock) to the moment its frame was read. The session clock
//     is mapped to the browser's with ping/pong after every load (the
//     sample with the smallest round trip wins), as NTP does.
package load

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// DefaultScenario is the story's answer 2 (scenarios/answer2-timeout-node20.json):
// a Node 20 server with a socket timeout and an /end route, two
// connections and a server exit in 2.5 s; a typical lesson step.
//
//go:embed default-scenario.json
var DefaultScenario []byte

// proxyScenario is DefaultScenario behind a proxy (nginx with upstream
// keep-alive): the client's connections end at the proxy, which opens
// its own upstream connections to the app.
//
//go:embed proxy-scenario.json
var proxyScenario []byte

// ProxyScenario returns the proxy load scenario with a proxy of kind
// ("nginx", "go" or "alb") in front of the app.
func ProxyScenario(kind string) ([]byte, error) {
	sc, err := scenario.Decode(proxyScenario)
	if err != nil {
		return nil, fmt.Errorf("proxy scenario: %w", err)
	}
	if kind != scenario.ProxyNginx {
		sc.Proxy = &scenario.Proxy{Kind: kind}
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("proxy %q: %w", kind, err)
	}
	return scenario.Marshal(sc)
}

const (
	// pingsPerRun is the number of clock samples taken after each load;
	// the one with the smallest round trip gives the clock offset.
	pingsPerRun = 3
	// settle is how long a run listens past its scenario's duration for
	// events that happened just before the end.
	settle = 100 * time.Millisecond
	// stepWait bounds the wait for a reply the server owes at once
	// (ready, loaded, the close handshake).
	stepWait = 10 * time.Second
	// maxErrorSamples is how many error texts a report keeps.
	maxErrorSamples = 10
)

// Config says what to simulate.
type Config struct {
	// URL is the playground's base URL: http://host:port.
	URL string
	// Sessions is the number of simulated browsers.
	Sessions int
	// Duration is how long the browsers go on starting runs once all of
	// them are connected; a run started before the end is finished, and
	// every browser runs at least once.
	Duration time.Duration
	// Scenario is the scenario JSON each browser runs; nil runs
	// DefaultScenario.
	Scenario []byte
	// Ramp spreads the connects over this long, as a class arriving does;
	// zero connects them as fast as ConnectConcurrency allows.
	Ramp time.Duration
	// ConnectConcurrency bounds handshakes in flight (0: 64), so a run
	// measures sessions rather than the kernel's accept backlog.
	ConnectConcurrency int
	// Lockstep starts every browser's first run at the same instant, the
	// worst case; otherwise the first runs start spread over one run's
	// length, as a class pressing Run one after another does, and the
	// runs stay spread since each takes as long as the scenario.
	Lockstep bool
	// Idle, when set, is called once every browser is connected with its
	// session ready and the default scenario loaded, before any run.
	Idle func()
	// LoadBeforeIdle has every browser load the run's scenario before the
	// idle sample, so that an idle session holds what that scenario
	// starts (a proxy and its hop beside the demo server).
	LoadBeforeIdle bool
}

// Report is what a load run measured.
type Report struct {
	Sessions  int           // browsers whose session became ready
	Connect   time.Duration // from the first dial to the last ready
	Running   time.Duration // from the start of the runs to the last browser's end
	Runs      int           // scenario runs completed
	Events    int           // events received
	Sent      int           // events the server said it sent, by the last pongs
	Lost      int           // events the server sent that never arrived
	Errors    int
	Samples   []string // the first few errors
	ChecksRun int      // scenario checks evaluated
	Failed    int      // of which failed
	FailedBy  map[string]int
	// FailedRuns shows the first few runs that failed a check: which
	// check, and the events that run received, one per line.
	FailedRuns []string
	// Latency of event delivery (see the package comment).
	P50, P99, Max time.Duration
}

// Run simulates cfg.Sessions browsers and reports what they saw. It
// returns an error only when the load could not start at all.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Sessions <= 0 {
		return nil, errors.New("sessions must be positive")
	}
	raw := cfg.Scenario
	if raw == nil {
		raw = DefaultScenario
	}
	sc, err := scenario.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	wsURL, origin, err := endpoints(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectConcurrency <= 0 {
		cfg.ConnectConcurrency = 64
	}
	full := sc.WithDefaults()
	plan := &plan{
		url:    wsURL,
		origin: origin,
		raw:    raw,
		sc:     sc,
		steps:  wire.Steps(&full),
		length: full.Duration(),
		epoch:  time.Now(),
	}

	var (
		wg        sync.WaitGroup
		connected sync.WaitGroup
		start     = make(chan time.Time)
		slots     = make(chan struct{}, cfg.ConnectConcurrency)
		browsers  = make([]*browser, cfg.Sessions)
	)
	t0 := time.Now()
	connected.Add(cfg.Sessions)
	for i := range browsers {
		b := &browser{plan: plan, id: i}
		browsers[i] = b
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cfg.Ramp > 0 {
				wait := time.Duration(int64(cfg.Ramp) * int64(i) / int64(cfg.Sessions))
				select {
				case <-time.After(wait):
				case <-ctx.Done():
				}
			}
			slots <- struct{}{}
			ok := b.connect(ctx)
			if ok && cfg.LoadBeforeIdle {
				ok = b.loadOnly(ctx)
			}
			<-slots
			connected.Done()
			if !ok {
				b.close()
				return
			}
			until, open := <-start
			if open && !cfg.Lockstep {
				// Evenly by id, so that repeated loads are comparable.
				wait := time.Duration(int64(plan.length+settle) * int64(i) / int64(cfg.Sessions))
				select {
				case <-time.After(wait):
				case <-ctx.Done():
				}
			}
			if open {
				b.runUntil(ctx, until)
			}
			b.close()
		}()
	}
	connected.Wait()
	rep := &Report{Connect: time.Since(t0), FailedBy: map[string]int{}}
	for _, b := range browsers {
		if b.ready {
			rep.Sessions++
		}
	}
	if cfg.Idle != nil && ctx.Err() == nil {
		cfg.Idle()
	}
	t1 := time.Now()
	until := t1.Add(cfg.Duration)
	for range rep.Sessions {
		start <- until
	}
	close(start)
	wg.Wait()
	rep.Running = time.Since(t1)

	var lat []float64
	for _, b := range browsers {
		rep.Runs += b.runs
		rep.Events += b.events
		rep.Sent += int(b.sent)
		rep.Lost += b.lost
		rep.Errors += len(b.errs)
		for _, e := range b.errs {
			if len(rep.Samples) < maxErrorSamples {
				rep.Samples = append(rep.Samples, fmt.Sprintf("session %d: %s", b.id, e))
			}
		}
		rep.ChecksRun += b.checks
		for name, n := range b.failed {
			rep.Failed += n
			rep.FailedBy[name] += n
		}
		for _, r := range b.failedRuns {
			if len(rep.FailedRuns) < maxErrorSamples {
				rep.FailedRuns = append(rep.FailedRuns, fmt.Sprintf("session %d: %s", b.id, r))
			}
		}
		lat = append(lat, b.latency...)
	}
	slices.Sort(lat)
	rep.P50, rep.P99, rep.Max = quantile(lat, 0.50), quantile(lat, 0.99), quantile(lat, 1)
	return rep, nil
}

func quantile(sorted []float64, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := min(int(q*float64(len(sorted))), len(sorted)-1)
	return time.Duration(sorted[i] * float64(time.Millisecond))
}

// endpoints turns the playground's URL into its WebSocket URL and the
// Origin its own page would send.
func endpoints(base string) (ws, origin string, err error) {
	base = strings.TrimSuffix(base, "/")
	switch {
	case strings.HasPrefix(base, "http://"):
		ws = "ws://" + strings.TrimPrefix(base, "http://")
	case strings.HasPrefix(base, "https://"):
		ws = "wss://" + strings.TrimPrefix(base, "https://")
	default:
		return "", "", fmt.Errorf("the playground URL must start with http:// or https://: %q", base)
	}
	return ws + "/ws", base, nil
}

// plan is what every browser shares, read-only.
type plan struct {
	url, origin string
	raw         []byte
	sc          *scenario.Scenario
	steps       []wire.Msg
	length      time.Duration
	epoch       time.Time
}

// frame is one message read by a browser's reader.
type frame struct {
	m   wire.Msg
	at  float64 // ms since plan.epoch
	err error
	// last says the reader has stopped: the connection is over.
	last bool
}

// browser is one simulated page. Its reader goroutine only reads; the
// browser's own goroutine decides and writes.
type browser struct {
	plan   *plan
	id     int
	conn   *websocket.Conn
	frames chan frame
	done   chan struct{}
	ready  bool

	ended   bool // the reader has stopped
	lastSeq uint64
	// lastPong is the seq of the last pong received, sent what the last
	// pong said the session had sent.
	lastPong uint64
	sent     uint64

	// The run in progress.
	run     *runState
	pingSeq uint64

	runs    int
	events  int
	lost    int
	errs    []string
	checks  int
	failed  map[string]int
	latency []float64
	// failedRuns keeps the first failed runs for the report.
	failedRuns []string
}

// runState is one scenario run as the browser sees it.
type runState struct {
	// zero is the session clock's 0 in browser time (ms since epoch),
	// from the best ping so far; rtt is that ping's round trip.
	zero, rtt float64
	pings     int
	sentAt    float64 // when the outstanding ping left
	received  []timeline.Event
	arrivals  []float64
}

func (b *browser) now() float64 {
	return float64(time.Since(b.plan.epoch).Microseconds()) / 1000
}

func (b *browser) fail(format string, args ...any) {
	b.errs = append(b.errs, fmt.Sprintf(format, args...))
}

// connect opens the WebSocket and waits for the session to be ready with
// its default scenario loaded.
func (b *browser) connect(ctx context.Context) bool {
	d := websocket.Dialer{HandshakeTimeout: stepWait, ReadBufferSize: 4096, WriteBufferSize: 4096}
	conn, resp, err := d.DialContext(ctx, b.plan.url, http.Header{"Origin": {b.plan.origin}})
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (HTTP %s)", err, resp.Status)
		}
		b.fail("connect: %v", err)
		return false
	}
	b.conn = conn
	b.frames = make(chan frame, 256)
	b.done = make(chan struct{})
	go b.read()
	if !b.send(wire.Msg{Type: wire.Hello, V: wire.Version}) {
		return false
	}
	deadline := time.After(stepWait)
	gotReady := false
	for {
		select {
		case f := <-b.frames:
			if f.err != nil {
				b.ended = b.ended || f.last
				b.fail("before ready: %v", f.err)
				if f.last {
					return false
				}
				continue
			}
			switch f.m.Type {
			case wire.Ready:
				gotReady = true
			case wire.Loaded:
				if gotReady {
					b.ready = true
					return true
				}
			case wire.Error:
				b.fail("error before ready: %s", f.m.Message)
			}
		case <-deadline:
			b.fail("no ready and loaded within %v", stepWait)
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// read is the one reader. It keeps reading while the browser waits, so
// the server's pings are answered as a real page's would be.
func (b *browser) read() {
	defer close(b.done)
	for {
		typ, data, err := b.conn.ReadMessage()
		at := b.now()
		if err != nil {
			b.frames <- frame{at: at, err: err, last: true}
			return
		}
		if typ != websocket.TextMessage {
			b.frames <- frame{at: at, err: fmt.Errorf("a binary frame from the server")}
			continue
		}
		m, err := wire.Decode(data)
		if err != nil {
			err = fmt.Errorf("a message the protocol does not allow: %w", err)
		}
		b.frames <- frame{m: m, at: at, err: err}
	}
}

func (b *browser) send(m wire.Msg) bool {
	data, err := wire.Encode(m)
	if err != nil {
		b.fail("encode %s: %v", m.Type, err)
		return false
	}
	b.conn.SetWriteDeadline(time.Now().Add(stepWait))
	if err := b.conn.WriteMessage(websocket.TextMessage, data); err != nil {
		// A write fails most often because the server has closed the
		// session (gorilla then says only "close sent"); the reason is in
		// the close frame the reader got, so report that instead.
		if ended, why := b.waitEnd(); ended && why != nil {
			b.fail("send %s: the server closed the session: %v", m.Type, why)
		} else {
			b.fail("send %s: %v", m.Type, err)
		}
		return false
	}
	return true
}

// waitEnd waits up to stepWait for the reader's last frame: ended says
// whether it came, why is the error the reader ended with. Frames read on
// the way are dropped: the browser is giving up or closing.
func (b *browser) waitEnd() (ended bool, why error) {
	t := time.NewTimer(stepWait)
	defer t.Stop()
	for {
		select {
		case f := <-b.frames:
			if f.last {
				b.ended = true
				return true, f.err
			}
		case <-t.C:
			return false, nil
		}
	}
}

// runUntil runs the scenario again and again until the time is up, and
// at least once: a browser whose spread start falls after the end still
// counts as a learner who ran the lesson.
func (b *browser) runUntil(ctx context.Context, until time.Time) {
	for ctx.Err() == nil {
		if !b.runOnce(ctx) || !time.Now().Before(until) {
			return
		}
	}
}

// runOnce loads the scenario, sends its steps and reads until the
// scenario's duration is over.
func (b *browser) runOnce(ctx context.Context) bool {
	if !b.send(wire.Msg{Type: wire.Load, Scenario: b.plan.raw}) {
		return false
	}
	// Up to loaded, late events of the previous run may still arrive.
	deadline := time.NewTimer(stepWait)
	defer deadline.Stop()
	for loaded := false; !loaded; {
		select {
		case f := <-b.frames:
			if !b.handle(f) {
				return false
			}
			loaded = f.m.Type == wire.Loaded
		case <-deadline.C:
			b.fail("no loaded within %v of a load", stepWait)
			return false
		case <-ctx.Done():
			return false
		}
	}
	b.finishRun()
	b.run = &runState{rtt: -1}
	end := time.Now().Add(b.plan.length + settle)
	for _, m := range b.plan.steps {
		if !b.send(m) {
			return false
		}
	}
	if !b.ping() {
		return false
	}
	deadline.Reset(time.Until(end))
	for {
		select {
		case f := <-b.frames:
			if !b.handle(f) {
				return false
			}
		case <-deadline.C:
			if !b.account(ctx) {
				return false
			}
			b.runs++
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// loadOnly loads the run's scenario and waits until it is loaded.
func (b *browser) loadOnly(ctx context.Context) bool {
	if !b.send(wire.Msg{Type: wire.Load, Scenario: b.plan.raw}) {
		return false
	}
	deadline := time.NewTimer(stepWait)
	defer deadline.Stop()
	for {
		select {
		case f := <-b.frames:
			if f.err != nil && f.last {
				b.ended = true
				return false
			}
			switch f.m.Type {
			case wire.Loaded:
				return true
			case wire.Error:
				b.fail("load before idle: %s", f.m.Message)
				return false
			}
		case <-deadline.C:
			b.fail("no loaded within %v of a load", stepWait)
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// account ends a run with a ping and waits for its pong, which says how
// many events the session had sent by then (see handle).
func (b *browser) account(ctx context.Context) bool {
	if !b.ping() {
		return false
	}
	seq := b.pingSeq
	deadline := time.NewTimer(stepWait)
	defer deadline.Stop()
	for b.lastPong < seq {
		select {
		case f := <-b.frames:
			if !b.handle(f) {
				return false
			}
		case <-deadline.C:
			b.fail("no pong within %v of a ping", stepWait)
			return false
		case <-ctx.Done():
			return false
		}
	}
	return true
}

func (b *browser) ping() bool {
	b.pingSeq++
	b.run.sentAt = b.now()
	return b.send(wire.Msg{Type: wire.Ping, Seq: b.pingSeq})
}

// handle takes one frame; false ends the browser.
func (b *browser) handle(f frame) bool {
	if f.err != nil {
		if !f.last {
			b.fail("%v", f.err)
			return true
		}
		b.ended = true
		b.fail("the session ended: %v", f.err)
		return false
	}
	m := f.m
	switch m.Type {
	case wire.Ev:
		if m.Seq <= b.lastSeq {
			b.fail("event seq %d after %d", m.Seq, b.lastSeq)
			return true
		}
		b.events++
		b.lastSeq = m.Seq
		if b.run != nil {
			b.run.received = append(b.run.received, *m.Event)
			b.run.arrivals = append(b.run.arrivals, f.at)
		}
	case wire.Pong:
		b.lastPong = max(b.lastPong, m.Seq)
		b.sent = max(b.sent, m.Sent)
		// Every event numbered up to m.Sent went out before this pong.
		if gone := int(m.Sent) - b.events; gone > b.lost {
			b.lost = gone
		}
		r := b.run
		if r == nil || m.Seq != b.pingSeq {
			return true
		}
		rtt := f.at - r.sentAt
		if r.rtt < 0 || rtt < r.rtt {
			r.rtt = rtt
			r.zero = (r.sentAt+f.at)/2 - m.Now
		}
		if r.pings++; r.pings < pingsPerRun {
			return b.ping()
		}
	case wire.Error:
		b.fail("error %s: %s", m.Code, m.Message)
	case wire.Bye:
		b.fail("bye: %s", m.Message)
	}
	return true
}

// finishRun evaluates the run that just ended: its checks and its
// events' delivery latency.
func (b *browser) finishRun() {
	r := b.run
	if r == nil {
		return
	}
	b.run = nil
	if r.rtt >= 0 {
		for i, ev := range r.received {
			b.latency = append(b.latency, r.arrivals[i]-(r.zero+ev.T))
		}
	}
	for _, res := range timeline.EvalAll(b.plan.sc.Checks, r.received) {
		b.checks++
		if !res.Pass {
			if b.failed == nil {
				b.failed = map[string]int{}
			}
			b.failed[res.Name]++
			if len(b.failedRuns) < maxErrorSamples {
				b.failedRuns = append(b.failedRuns, describeRun(res.Name, r))
			}
		}
	}
}

// describeRun says which check a run failed and what it received, with
// each event's delivery latency when the clock was mapped.
func describeRun(check string, r *runState) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "failed %q; the run received:", check)
	for i, ev := range r.received {
		data, err := json.Marshal(ev)
		if err != nil {
			data = []byte(ev.Kind)
		}
		fmt.Fprintf(&sb, "\n    %s", data)
		if r.rtt >= 0 {
			fmt.Fprintf(&sb, " (+%.1f ms)", r.arrivals[i]-(r.zero+ev.T))
		}
	}
	return sb.String()
}

// close ends the session as a page being closed does, and waits for the
// server's close frame so that nothing is left half-open.
func (b *browser) close() {
	if b.conn == nil {
		return
	}
	b.finishRun()
	if !b.ended {
		b.conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "done"), time.Now().Add(time.Second))
		if ended, _ := b.waitEnd(); !ended {
			b.fail("the server did not close the session within %v", stepWait)
		}
	}
	b.conn.Close()
	for {
		select {
		case <-b.frames:
		case <-b.done:
			return
		}
	}
}
