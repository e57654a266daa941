// Package session is one learner's sandbox: a demo server built from the
// current scenario, the virtual connections that reach it, and one clock
// that stamps every event. One goroutine (Run) owns all of that state;
// everything else (dialers, connection readers and writers, the demo
// server's own goroutines) talks to it through channels.
//
// A session speaks wire messages in both directions, so the WebSocket
// handler and the headless runner drive it in exactly the same way.
package session

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/keepalive-playground/playground/backend/proxy"
	proxyall "github.com/keepalive-playground/playground/backend/proxy/all"
	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/tcpstate"
	"github.com/keepalive-playground/playground/codeview"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// Limits a session enforces. Going over one answers the person with a
// wire error naming the limit; the session itself carries on.
const (
	// MaxConns bounds the virtual connections open at once in a session
	// (a connection reset, or closed at both ends, no longer counts).
	MaxConns = 32
	// MaxConnsPerRun bounds the connections opened since the last load, so
	// a script cannot churn through the kernel's ephemeral ports.
	MaxConnsPerRun = 256
	// MaxBytesPerConn bounds the bytes a client may send on one connection.
	MaxBytesPerConn = 1 << 20
	// MaxBytesPerSession bounds the bytes sent on all connections of a run.
	MaxBytesPerSession = 8 << 20
	// MaxRecvBytesPerConn bounds what is relayed back from the demo server
	// on one connection; the demo servers answer small bodies, so more
	// means something is wrong.
	MaxRecvBytesPerConn = 4 << 20
	// MaxEventsPerRun bounds the events of one run; past it events are
	// dropped and the person is told once.
	MaxEventsPerRun = wire.MaxEventsPerRun
	// MaxPending bounds the scheduled (future `at`) operations; their bytes
	// count against MemoryBudget.
	MaxPending = 1024
	// MaxScheduleAheadMs bounds how far in the future an `at` may be.
	MaxScheduleAheadMs = scenario.MaxDurationMs
	// DialTimeout bounds a connect to the demo server on loopback.
	DialTimeout = 2 * time.Second
	// recvChunk is the read buffer per connection; each read is one recv
	// event, as a person would see it in netcat.
	recvChunk = 16 << 10
	// maxErrorBytes bounds the text of one error message (a scenario's
	// list of problems can run long); what is cut is counted.
	maxErrorBytes = 4 << 10
	// MaxUpstreamConns bounds the upstream connections a scenario's proxy
	// holds open at once; MaxUpstreamConnsPerRun those it opens in a run.
	// A proxy over either limit has its connect refused, as a full
	// backlog would, and the person is told.
	MaxUpstreamConns       = 32
	MaxUpstreamConnsPerRun = 256
)

// Config is what a session needs.
type Config struct {
	// ID names the session in logs and in the ready message.
	ID string
	// Runtimes maps scenario.Server.Runtime to the demo server factory.
	Runtimes map[string]sandbox.Factory
	// Out delivers a message to the browser. It must not block; returning
	// false means the browser cannot keep up, and the session ends.
	Out func(wire.Msg) bool
	// Log receives internals; the person sees wire errors.
	Log *slog.Logger
	// Scenario is the initial scenario; nil loads scenario.Default().
	Scenario *scenario.Scenario
	// Budget, when set, is charged for every message handed to Out until
	// the receiver gives it back (Budget.Sent) once written, so that what
	// waits for the browser counts against MemoryBudget. Without it, Out
	// keeps what it is given (the headless runner) and only what the
	// session itself holds is counted.
	Budget *Budget
	// NoTCPStates leaves out the kernel's TCP states (tcp events), which
	// are on wherever the kernel's socket table can be read (Linux).
	NoTCPStates bool
	// Proxies maps scenario.Proxy.Kind to the proxy factory; nil offers
	// every kind the playground has.
	Proxies map[string]proxy.Factory
	// OpenHop lets any connection through the hop in front of the demo
	// server, for a proxy that cannot dial through its gate (the real
	// nginx of the differential test). Never for a served session.
	OpenHop bool
	// Run makes the initial load a run (wire.Load's Run): it ends with a
	// wire.End at the scenario's durationMs or sooner. The headless runner
	// sets it.
	Run bool
	// Play has the session play the initial scenario's client steps
	// itself (wire.Load's Play). The headless runner sets it.
	Play bool
}

// ErrSlowClient ends a session whose browser does not read its messages.
var ErrSlowClient = errors.New("the browser is not reading its messages")

// Session is one learner's sandbox. Create it with New, feed it with
// Deliver, and run it with Run.
type Session struct {
	// life ends when Run returns (endLife), so that Deliver stops waiting
	// for a session that is gone.
	life    context.Context
	endLife context.CancelFunc

	cfg Config
	in  chan wire.Msg
	// notes carries reports from the goroutines the session started.
	notes chan note
	// demo events are queued without blocking the demo server's goroutines
	// (see emitter), and the owner is woken through demoWake.
	demo     emitter
	demoWake chan struct{}

	// loadSeq is the Seq of the last load message; every loaded (a
	// restart's too) echoes it, so that a page that sent two loads in a
	// row knows which one a loaded answers.
	loadSeq uint64
	// clock is the session clock; the demo server's goroutines read it.
	clock clock

	// Everything below is owned by Run's goroutine.
	lastT float64
	seq   uint64
	sc    scenario.Scenario
	srv   sandbox.Server
	// px and hop are the scenario's proxy and the upstream hop behind it
	// (nil without a proxy).
	px     proxy.Proxy
	hop    *proxy.Hop
	pln    *sandbox.Listener // the proxy's gate, which the tunnel dials
	up     upstreams
	srvGen int // which demo server events belong to; bumped on every load
	exited bool
	conns  map[string]*vconn
	// labels maps a client's local address to its label; the dialing
	// goroutine writes it the moment its connect returns, so the demo
	// server's events for that connection can be labelled at once.
	labels peerLabels
	// last remembers the last scenario decoded and the last code view
	// rendered: a class running a lesson loads the same scenario over and
	// over, and both cost more than the run's events.
	last struct {
		raw, programFor []byte
		sc              scenario.Scenario
		program         string
	}
	// held are events waiting out holdMs so that events stamped on
	// different goroutines go out in time order (see flushEvents).
	held []held
	// closeSent records, per connection, the ends whose close (FIN) is on
	// the timeline: each end closes once, and the two ends' closes are
	// two events (the first carries Open, the end still open).
	closeSent map[string][]string
	// resetSent marks connections a reset has closed at both ends: a
	// close after it is not a half-close.
	resetSent map[string]bool
	flushT    *time.Timer
	pending   map[string][]timeline.Event
	sched     []scheduled // operations waiting for their At, soonest first
	timer     *time.Timer
	opened    int
	sent      int
	events    int
	overflow  bool
	wg        sync.WaitGroup
	// ln is the current demo server's listener (nil when the runtime
	// listens by itself: realnode, a real Node process in tests).
	ln *sandbox.Listener

	// budget counts what the session holds (see MemoryBudget); chargeOut
	// says whether messages handed to Out count until given back.
	budget    *Budget
	chargeOut bool
	// tcp follows the kernel's TCP states of every connection (tcp.go).
	tcp tcpWatch

	// run is the run in progress (runend.go); runT its timer.
	run  runState
	runT *time.Timer

	// dial connects a virtual connection; tests replace it to see every
	// address a session dials.
	dial sandbox.DialFunc
}

// New makes a session; call Run to start it.
func New(cfg Config) *Session {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Proxies == nil {
		cfg.Proxies = proxyall.Kinds()
	}
	s := &Session{
		cfg:       cfg,
		in:        make(chan wire.Msg, 64),
		notes:     make(chan note, 64),
		demoWake:  make(chan struct{}, 1),
		conns:     make(map[string]*vconn),
		labels:    peerLabels{m: make(map[string]string)},
		closeSent: make(map[string][]string),
		pending:   make(map[string][]timeline.Event),
	}
	s.life, s.endLife = context.WithCancel(context.Background())
	s.demo.wake = s.demoWake
	s.dial = sandbox.DialTCP
	s.budget, s.chargeOut = cfg.Budget, cfg.Budget != nil
	if s.budget == nil {
		s.budget = NewBudget()
	}
	if !cfg.NoTCPStates {
		if r, err := tcpstate.Shared(); err == nil {
			s.tcp.init(r)
		} else {
			cfg.Log.Debug("no kernel TCP states", "err", err)
		}
	}
	return s
}

// Deliver hands the session a message from the browser. It blocks while
// the session is busy or its memory budget full (back-pressure on the
// browser's own socket) and returns false once ctx or the session has
// ended.
func (s *Session) Deliver(ctx context.Context, m wire.Msg) bool {
	if s.life.Err() != nil {
		return false
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.life, cancel)
	defer stop()
	n := Size(&m)
	if !s.budget.wait(ctx, n, MemoryBudget) {
		return false
	}
	select {
	case s.in <- m:
		return true
	case <-ctx.Done():
		s.budget.give(n)
		return false
	}
}

// Now reads the session clock in milliseconds, rounded to 0.1 ms.
func (s *Session) now() float64 { return s.clock.now() }

// clock is the session clock. A fresh scenario's clock reads 0 until its
// demo server (and proxy) listen, and starts then: a real Node release
// can take most of a second to start on a loaded machine, and a clock
// that ran meanwhile would squeeze the scenario's first steps together
// (a step at 0 and one at 1000 ms ran 5 ms apart).
type clock struct {
	start atomic.Pointer[time.Time] // nil: held at 0
}

func (c *clock) now() float64 {
	p := c.start.Load()
	if p == nil {
		return 0
	}
	return math.Round(float64(time.Since(*p).Microseconds())/100) / 10
}

// hold stops the clock at 0; run starts it from 0.
func (c *clock) hold() { c.start.Store(nil) }
func (c *clock) run() {
	t := time.Now()
	c.start.Store(&t)
}

// Run owns the session until ctx ends or the browser falls behind. It
// releases everything it started before it returns.
func (s *Session) Run(ctx context.Context) error {
	// From here on Deliver waits for this Run; once it returns, Deliver
	// does not wait at all.
	defer s.endLife()
	s.clock.run()
	s.timer = time.NewTimer(time.Hour)
	s.timer.Stop()
	s.flushT = time.NewTimer(time.Hour)
	s.flushT.Stop()
	defer s.shutdown()
	// What happened before the end is still sent (the headless runner
	// reads it after cancelling).
	defer s.flushEvents(true)

	sc := scenario.Default()
	if s.cfg.Scenario != nil {
		sc = *s.cfg.Scenario
	}
	if !s.out(wire.Msg{Type: wire.Ready, V: wire.Version, Session: s.cfg.ID, Now: s.now()}) {
		return ErrSlowClient
	}
	if err := s.load(sc, true); errors.Is(err, ErrSlowClient) {
		return err
	} else if err != nil {
		s.fail(wire.CodeScenario, "", err)
	} else {
		if s.cfg.Run {
			s.beginRun()
		}
		if s.cfg.Play {
			if err := s.play(sc); err != nil {
				return err
			}
		}
	}
	for {
		s.flushDemo()
		select {
		case <-ctx.Done():
			return nil
		case m := <-s.in:
			// What handle keeps, it charges again.
			s.budget.give(Size(&m))
			if err := s.handle(m); err != nil {
				return err
			}
		case n := <-s.notes:
			if err := s.handleNote(n); err != nil {
				return err
			}
		case <-s.demoWake:
		case <-s.exitedC():
			s.exited = true
			s.tcpTouch("") // the kernel closes what the process still held
		case <-s.tcp.timerC():
			s.tcpLookDue()
		case <-s.timer.C:
			if err := s.runDue(); err != nil {
				return err
			}
		case <-s.runTimerC():
			if err := s.runTimer(); err != nil {
				return err
			}
		case <-s.flushT.C:
		}
		s.flushDemo()
		s.tcpLook()
		if err := s.flushEvents(false); err != nil {
			return err
		}
		s.runCheck()
	}
}

func (s *Session) exitedC() <-chan struct{} {
	if s.srv == nil || s.exited {
		return nil
	}
	return s.srv.Exited()
}

// out sends one message; false means the browser has fallen behind: its
// queue is full, or would take the session past its memory budget.
func (s *Session) out(m wire.Msg) bool {
	if s.chargeOut {
		n := Size(&m)
		if !s.budget.take(n, MemoryBudget) {
			return false
		}
		if !s.cfg.Out(m) {
			s.budget.give(n)
			return false
		}
		return true
	}
	return s.cfg.Out(m)
}

// holdMs is how long an event waits before it is sent. Events are
// stamped where they happen (the demo server's goroutines, the dialer, the
// connection readers) and reach this goroutine by different paths; holding
// each for a few milliseconds lets them go out in the order they happened.
const holdMs = 10

// finWaitMs is how long the events after a FIN our side read wait for
// the demo server's report of it, so that the report (whose close event
// can run, and whose line can travel, after the peer's answer to the
// FIN) goes out in the FIN's place. Only a real release is ever that
// late; a report that never comes stops nothing after this.
const finWaitMs = 100

// held is an event waiting for its turn, or (eof) the wire.EOF message
// for ev.Conn, which must follow the bytes received before the FIN.
// charge is the budget its bytes hold until it is handed to Out.
type held struct {
	ev     timeline.Event
	eof    bool
	charge int64
	// weak marks the demo server's report of the proxy's FIN on an
	// upstream connection: the proxy's own report of that end, when it
	// comes, says why and replaces it.
	weak bool
	// finSeen marks when our side read an end's FIN (the session's own
	// socket, or the hop's relay): never sent, it moves the same end's
	// reported close, if that is held too, back to this instant.
	finSeen bool
}

// emit queues one event; flushEvents sends it in time order.
func (s *Session) emit(ev timeline.Event) {
	s.held = append(s.held, held{ev: ev})
}

// emitEOF queues the eof message for conn, in time order with the events.
func (s *Session) emitEOF(t float64, conn string) {
	s.held = append(s.held, held{ev: timeline.Event{T: t, Conn: conn}, eof: true})
}

// flushEvents sends the held events older than holdMs (all of them with
// all), in time order, numbered, and never earlier than one already sent.
func (s *Session) flushEvents(all bool) error {
	if len(s.held) == 0 {
		return nil
	}
	s.placeFINs()
	slices.SortStableFunc(s.held, func(a, b held) int {
		if c := cmp.Compare(a.ev.T, b.ev.T); c != 0 {
			return c
		}
		// At the same instant, what a program did comes before the TCP
		// state the kernel made of it.
		return cmp.Compare(b2i(a.ev.Kind == timeline.TCP), b2i(b.ev.Kind == timeline.TCP))
	})
	cut := len(s.held)
	waiting := false
	if !all {
		now := s.now()
		cut, _ = slices.BinarySearchFunc(s.held, now-holdMs, func(h held, t float64) int {
			if h.ev.T <= t {
				return -1
			}
			return 1
		})
		for i, h := range s.held[:cut] {
			if h.finSeen && now-h.ev.T < finWaitMs && !s.finReported(h.ev) {
				cut, waiting = i, true
				break
			}
		}
	}
	for i, h := range s.held[:cut] {
		var err error
		switch {
		case h.finSeen:
			// Only a time for the report of this FIN (placeFINs).
		case h.weak && s.strongClose(h.ev):
			// The proxy's own report of this end is here too.
		case h.eof && s.afterEnd():
			// After the run: not part of it.
		case h.eof:
			if !s.out(wire.Msg{Type: wire.EOF, Conn: h.ev.Conn, Now: h.ev.T}) {
				err = ErrSlowClient
			}
		default:
			err = s.send(h.ev)
		}
		s.budget.give(h.charge)
		if err != nil {
			s.held = slices.Delete(s.held, 0, i+1)
			return err
		}
	}
	s.held = slices.Delete(s.held, 0, cut)
	s.flushT.Stop()
	if len(s.held) > 0 {
		due := s.held[0].ev.T + holdMs
		if waiting {
			due = s.held[0].ev.T + finWaitMs // the FIN that waits for its report
		}
		s.flushT.Reset(max(time.Duration((due-s.now())*float64(time.Millisecond)), 0))
	}
	return nil
}

// finReported reports whether the close a finSeen stands for is held or
// already sent.
func (s *Session) finReported(fin timeline.Event) bool {
	if slices.Contains(s.closeSent[fin.Conn], fin.By) {
		return true
	}
	return slices.ContainsFunc(s.held, func(h held) bool { return h.closes(fin) })
}

// placeFINs moves each held close to the instant our side read that FIN,
// when that came first: a real release reports a close when its socket's
// close event runs and through a pipe, a few ms after its FIN went out
// and, on a loaded machine, after the peer's answer to it, which would put
// the half-close the wrong way round.
//
// A close never moves before what the demo server reported of the same
// connection before it (its accept, requests, responses, idle): those
// lines are in the order the program printed them, and a FIN read a
// moment before the response's report, as clocks read it, must not draw
// the socket closed before it answered.
func (s *Session) placeFINs() {
	for _, f := range s.held {
		if !f.finSeen {
			continue
		}
		for i := range s.held {
			h := &s.held[i]
			if !h.closes(f.ev) || f.ev.T >= h.ev.T {
				continue
			}
			t := f.ev.T
			for _, o := range s.held {
				if o.ev.Conn == h.ev.Conn && serverReport(o) && o.ev.T <= h.ev.T {
					t = max(t, o.ev.T)
				}
			}
			h.ev.T = t
		}
	}
}

// serverReport reports whether h is an event only the demo server
// reports: its reading of a connection, not bytes or an end.
func serverReport(h held) bool {
	if h.finSeen || h.eof {
		return false
	}
	switch h.ev.Kind {
	case timeline.Accept, timeline.Request, timeline.Response, timeline.Idle:
		return true
	}
	return false
}

// strongClose reports whether a held close that is not weak is of the
// same end as ev.
func (s *Session) strongClose(ev timeline.Event) bool {
	return slices.ContainsFunc(s.held, func(h held) bool { return !h.weak && h.closes(ev) })
}

// closes reports whether h is a close event (not an eof, not a finSeen
// mark) of the same end as ev: the connection and who closed it.
func (h held) closes(ev timeline.Event) bool {
	return !h.finSeen && !h.eof && h.ev.Kind == timeline.Close && h.ev.Conn == ev.Conn && h.ev.By == ev.By
}

// send numbers and sends one event.
func (s *Session) send(ev timeline.Event) error {
	if s.afterEnd() {
		return nil
	}
	if ev.Kind == timeline.Close {
		ends := s.closeSent[ev.Conn]
		if slices.Contains(ends, ev.By) {
			return nil // the same end's FIN, reported twice (demo and socket)
		}
		s.closeSent[ev.Conn] = append(ends, ev.By)
		ev.Open = ""
		if vc := s.conns[ev.Conn]; len(ends) == 0 && !s.resetSent[ev.Conn] && (vc == nil || !vc.reset) {
			ev.Open = timeline.OtherEnd(ev.By, ev.Hop, s.px != nil)
		}
	}
	if ev.Kind == timeline.Reset {
		if s.resetSent == nil {
			s.resetSent = make(map[string]bool)
		}
		s.resetSent[ev.Conn] = true
	}
	if ev.T < s.lastT {
		// Later than holdMs on its way here (a loaded machine): keep the
		// timeline monotonic, as the contract says.
		ev.T = s.lastT
	}
	s.lastT = ev.T
	s.events++
	if s.events > MaxEventsPerRun {
		if !s.overflow {
			s.overflow = true
			s.fail(wire.CodeLimit, "", fmt.Errorf("this run produced more than %d events; later events are not shown", MaxEventsPerRun))
		}
		return nil
	}
	s.seq++
	e := ev
	if !s.out(wire.Msg{Type: wire.Ev, Seq: s.seq, Event: &e}) {
		return ErrSlowClient
	}
	s.runSent(ev)
	return nil
}

// peerLabels is shared between the owner and the dialing goroutines.
type peerLabels struct {
	mu sync.Mutex
	m  map[string]string
}

func (p *peerLabels) set(peer, label string) {
	p.mu.Lock()
	p.m[peer] = label
	p.mu.Unlock()
}

func (p *peerLabels) get(peer string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.m[peer]
	return l, ok
}

func (p *peerLabels) reset() {
	p.mu.Lock()
	clear(p.m)
	p.mu.Unlock()
}

// fail tells the person what went wrong; the session carries on.
func (s *Session) fail(code, conn string, err error) {
	s.cfg.Log.Debug("session error", "session", s.cfg.ID, "code", code, "conn", conn, "err", err)
	s.out(wire.Msg{Type: wire.Error, Code: code, Conn: conn, Message: capText(err.Error(), maxErrorBytes)})
}

// CapError bounds an error's text for the page as the session's own
// errors are (the server's comparisons use it too).
func CapError(text string) string { return capText(text, maxErrorBytes) }

// capText keeps the whole lines of text that fit in max bytes and says how
// many lines were left out, so that a long list of problems still reaches
// the person, its head in full.
func capText(text string, max int) string {
	if len(text) <= max {
		return text
	}
	const room = 64 // for the count line
	cut := strings.LastIndexByte(text[:max-room], '\n')
	if cut <= 0 {
		// One long line: cut it at a character boundary.
		cut = max - room
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		return text[:cut] + "… (cut short)"
	}
	rest := strings.Count(strings.TrimSuffix(text[cut+1:], "\n"), "\n") + 1
	return fmt.Sprintf("%s\n… and %d more lines", text[:cut], rest)
}

func (s *Session) handle(m wire.Msg) error {
	switch m.Type {
	case wire.Ping:
		// Sent lets the page count what it lost: every event numbered up
		// to it went out before this pong.
		if !s.out(wire.Msg{Type: wire.Pong, Seq: m.Seq, Now: s.now(), Sent: s.seq}) {
			return ErrSlowClient
		}
	case wire.Load:
		sc, err := s.decode(m.Scenario)
		if err != nil {
			s.fail(wire.CodeScenario, "", err)
			return nil
		}
		s.forgetRun()
		s.loadSeq = m.Seq
		if err := s.load(sc, true); errors.Is(err, ErrSlowClient) {
			// The page is not reading: not the scenario's fault, and
			// the session ends.
			return err
		} else if err != nil {
			s.fail(wire.CodeScenario, "", err)
		} else {
			if m.Run {
				s.beginRun()
			}
			if m.Play {
				return s.play(sc)
			}
		}
	case wire.Restart:
		s.forgetRun()
		if err := s.load(s.sc, false); errors.Is(err, ErrSlowClient) {
			return err
		} else if err != nil {
			s.fail(wire.CodeScenario, "", err)
		}
	case wire.Control:
		if s.afterEnd() {
			s.fail(wire.CodeConn, "", errRunEnded)
			return nil
		}
		if s.srv == nil {
			s.fail(wire.CodeConn, "", errors.New("no demo server is running"))
			return nil
		}
		if s.exited {
			s.fail(wire.CodeConn, "", errors.New("the demo server has exited; restart it first"))
			return nil
		}
		if err := controlOf(s.sc.Server.Spec(), m.Action); err != nil {
			s.fail(wire.CodeConn, "", err)
			return nil
		}
		if err := s.srv.Control(m.Action); err != nil {
			s.fail(wire.CodeConn, "", err)
		}
	case wire.Outcome:
		s.outcome(m)
	case wire.Open, wire.Write, wire.Shut, wire.Reset:
		if s.afterEnd() {
			s.fail(wire.CodeConn, m.Conn, errRunEnded)
			return nil
		}
		return s.scheduleOp(m)
	default:
		s.fail(wire.CodeBadMessage, "", fmt.Errorf("a %q message is not expected here", m.Type))
	}
	return nil
}

// play schedules sc's client steps on the clock that has just started,
// as if the page had sent them the moment the demo server listened.
func (s *Session) play(sc scenario.Scenario) error {
	full := sc.WithDefaults()
	for _, m := range wire.Steps(&full) {
		if err := s.scheduleOp(m); err != nil {
			return err
		}
	}
	return nil
}

// controlOf checks a server control against the runtime's row: what
// the page offers for it is what the session accepts.
func controlOf(rt scenario.Runtime, action string) error {
	var offered []string
	for _, c := range rt.Controls {
		if c.Action == action {
			return nil
		}
		offered = append(offered, c.Label)
	}
	return fmt.Errorf("%s has no %q control; it has %s", rt.Label, action, strings.Join(offered, ", "))
}

// load replaces the demo server. A new scenario (fresh) restarts the clock
// so that a run's step times line up with the timeline; a restart keeps it.
func (s *Session) load(sc scenario.Scenario, fresh bool) error {
	s.stopServer()
	for _, p := range s.sched {
		s.budget.giveWrite(p.charge)
	}
	s.sched = nil
	s.timer.Stop()
	if err := s.flushEvents(true); err != nil {
		return err
	}
	if fresh {
		s.clock.hold()
		// Whatever happens below, the clock runs again after it.
		defer s.clock.run()
		s.lastT = 0
		s.events = 0
		s.overflow = false
		s.opened = 0
		s.sent = 0
	}
	full := sc.WithDefaults()
	factory := s.cfg.Runtimes[full.Server.Runtime]
	if factory == nil {
		return fmt.Errorf("the %q runtime is not available on this server", full.Server.Runtime)
	}
	s.srvGen++
	gen := s.srvGen
	ln, err := sandbox.Listen()
	if err != nil {
		return fmt.Errorf("start the demo server: %w", err)
	}
	ln.OnTrouble(func(err error) { s.demo.trouble(gen, err) })
	srv, err := factory(sandbox.Config{
		Server: full.Server,
		Now:    s.now,
		Emit: func(peer string, ev timeline.Event) {
			s.demo.push(gen, peer, ev)
		},
		Listener: ln,
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("start the demo server: %w", err)
	}
	if srv.Addr() != ln.Addr().String() {
		// The runtime listens by itself (realnode): the tunnel dials its
		// address as it is.
		ln.Close()
		ln = nil
	}
	s.sc = sc
	s.srv = srv
	s.ln = ln
	s.exited = false
	if full.Proxy != nil {
		if err := s.startProxy(*full.Proxy, gen); err != nil {
			s.stopServer()
			return fmt.Errorf("start the %s proxy: %w", full.Proxy.Kind, err)
		}
	}
	raw, err := scenario.Marshal(&sc)
	if err != nil {
		return fmt.Errorf("encode scenario: %w", err)
	}
	if s.last.program == "" || !bytes.Equal(s.last.programFor, raw) {
		s.last.program, s.last.programFor = codeview.Program(full), raw
	}
	if !s.out(wire.Msg{Type: wire.Loaded, Scenario: raw, Program: s.last.program, ProxyProgram: codeview.Proxy(full), Now: s.now(), Seq: s.loadSeq}) {
		return ErrSlowClient
	}
	return nil
}

// decode decodes and validates a scenario. A page that runs the same
// scenario again sends the same bytes, so the last one is remembered.
func (s *Session) decode(raw []byte) (scenario.Scenario, error) {
	if s.last.raw != nil && bytes.Equal(raw, s.last.raw) {
		return s.last.sc, nil
	}
	sc, err := scenario.Decode(raw)
	if err != nil {
		return scenario.Scenario{}, err
	}
	s.last.raw, s.last.sc = bytes.Clone(raw), *sc
	return *sc, nil
}

// stopServer ends the demo server and every connection to it.
func (s *Session) stopServer() {
	aborted := make([]*vconn, 0, len(s.conns))
	for label, c := range s.conns {
		c.abort()
		aborted = append(aborted, c)
		delete(s.conns, label)
	}
	s.labels.reset()
	s.tcp.reset()
	clear(s.closeSent)
	clear(s.resetSent)
	clear(s.pending)
	s.stopProxy()
	if s.srv != nil {
		if err := s.srv.Close(); err != nil {
			s.cfg.Log.Debug("close demo server", "session", s.cfg.ID, "err", err)
		}
		s.srv = nil
	}
	if s.ln != nil {
		if n := s.ln.Strangers(); n > 0 {
			s.cfg.Log.Info("the demo server reset connections from outside its session", "session", s.cfg.ID, "count", n)
		}
		s.ln = nil
	}
	// Connection goroutines report to s.notes; drain until they are gone
	// so that none of them outlives the server it talked to.
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	for {
		select {
		case <-done:
			s.demo.take()
			// Writes that never reached a socket give their bytes back.
			for _, c := range aborted {
				c.drop(s.budget)
			}
			return
		case n := <-s.notes:
			s.budget.give(n.charge)
		}
	}
}

func (s *Session) shutdown() {
	s.timer.Stop()
	s.stopRunTimer()
	s.flushT.Stop()
	if s.tcp.timer != nil {
		s.tcp.timer.Stop()
	}
	s.stopServer()
	for _, p := range s.sched {
		s.budget.giveWrite(p.charge)
	}
	s.sched = nil
}

// flushDemo forwards the demo server's queued events.
func (s *Session) flushDemo() {
	for _, d := range s.demo.take() {
		if d.gen != s.srvGen {
			continue
		}
		if d.err != nil {
			s.fail(wire.CodeInternal, "", fmt.Errorf("the playground server is short of resources: %w", d.err))
			continue
		}
		if d.lost > 0 {
			s.fail(wire.CodeInternal, "", fmt.Errorf("the demo server's events came faster than the session could take them: %d were lost, so this timeline is incomplete", d.lost))
			continue
		}
		ev := d.ev
		if d.peer != "" {
			label, ok := s.labels.get(d.peer)
			if !ok {
				// The server accepted before our dial returned: hold the
				// event until the connection has its label.
				s.pending[d.peer] = append(s.pending[d.peer], ev)
				continue
			}
			ev.Conn = label
			if ev.Kind == timeline.Close || ev.Kind == timeline.Reset {
				s.tcpTouch(label)
			}
		} else if ev.Kind == timeline.Exit {
			s.tcpTouch("")
		}
		s.emitDemo(ev)
	}
	if len(s.pending) > 0 && s.px != nil {
		// Upstream connections get their labels from the hop, not from a
		// dial of ours.
		for peer, evs := range s.pending {
			label, ok := s.labels.get(peer)
			if !ok {
				continue
			}
			delete(s.pending, peer)
			for _, ev := range evs {
				ev.Conn = label
				s.emitDemo(ev)
			}
		}
	}
	for _, msg := range s.up.takeErrors() {
		s.fail(wire.CodeLimit, "", errors.New(msg))
	}
}

// emitDemo queues an event from the demo server or the proxy, marking
// those on upstream connections with their hop.
func (s *Session) emitDemo(ev timeline.Event) {
	if s.px != nil && ev.Conn != "" && scenario.IsUpstreamLabel(ev.Conn) {
		ev.Hop = timeline.HopUpstream
		if ev.By == timeline.ByClient {
			// The demo server's peer on an upstream connection is the
			// proxy: its report of the proxy's FIN or reset is the
			// proxy's end, the same end the proxy reports itself, with
			// its reason; this one stands only when the proxy's does not
			// come (a close the proxy does not report).
			ev.By = timeline.ByProxy
			if ev.Kind == timeline.Close {
				ev.Reason = timeline.ReasonUpstreamClosed
				s.held = append(s.held, held{ev: ev, weak: true})
				return
			}
		}
	}
	if ev.Kind == timeline.Close && ev.Reason == proxy.FINSeen {
		s.held = append(s.held, held{ev: ev, finSeen: true})
		return
	}
	if s.hop != nil && ev.Kind == timeline.ListenerClosed && ev.Conn == "" {
		// The demo server stopped listening: the proxy's next connect is
		// refused, as it would be without the hop in between.
		s.hop.StopAccepting()
	}
	s.emit(ev)
}

// demoEvent is one event from the demo server, tagged with the server
// generation so that a replaced server's late events are dropped; or
// trouble the demo server's listener ran into (err); or the count of
// events lost to a full queue (lost).
type demoEvent struct {
	gen  int
	peer string
	ev   timeline.Event
	err  error
	lost int
}

// emitter queues events without ever blocking the demo server: a demo
// server blocked on the session while the session waits for it to close
// would deadlock. The session's owner empties the queue on every turn;
// should it ever fall maxQueued behind, the events past that are counted
// and the person told, not dropped in silence.
type emitter struct {
	mu   sync.Mutex
	q    []demoEvent
	lost map[int]int // by generation, since the last take
	wake chan struct{}
}

// maxQueued bounds undelivered demo events (a few hundred bytes each).
const maxQueued = 4096

func (e *emitter) push(gen int, peer string, ev timeline.Event) {
	e.mu.Lock()
	if len(e.q) < maxQueued {
		e.q = append(e.q, demoEvent{gen: gen, peer: peer, ev: ev})
	} else {
		if e.lost == nil {
			e.lost = map[int]int{}
		}
		e.lost[gen]++
	}
	e.mu.Unlock()
	e.poke()
}

// trouble queues a listener's trouble for the person.
func (e *emitter) trouble(gen int, err error) {
	e.mu.Lock()
	e.q = append(e.q, demoEvent{gen: gen, err: err})
	e.mu.Unlock()
	e.poke()
}

func (e *emitter) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *emitter) take() []demoEvent {
	e.mu.Lock()
	q := e.q
	e.q = nil
	for gen, n := range e.lost {
		q = append(q, demoEvent{gen: gen, lost: n})
	}
	e.lost = nil
	e.mu.Unlock()
	return q
}

// scheduled is an operation waiting for its At, with the budget its bytes
// hold.
type scheduled struct {
	m      wire.Msg
	charge int64
}

func (s *Session) scheduleOp(m wire.Msg) error {
	if m.At == nil || *m.At <= s.now() {
		s.runStep(s.now())
		return s.do(m, 0)
	}
	at := *m.At
	s.runStep(at)
	if at-s.now() > MaxScheduleAheadMs {
		s.fail(wire.CodeLimit, m.Conn, fmt.Errorf("a step may be scheduled at most %d ms ahead", MaxScheduleAheadMs))
		return nil
	}
	if len(s.sched) >= MaxPending {
		s.fail(wire.CodeLimit, m.Conn, fmt.Errorf("at most %d steps may wait for their time", MaxPending))
		return nil
	}
	charge, ok := s.chargeWrite(m)
	if !ok {
		return nil
	}
	// After every operation due no later, so steps at the same ms keep
	// the order they arrived in.
	i := slices.IndexFunc(s.sched, func(o scheduled) bool { return *o.m.At > at })
	if i < 0 {
		i = len(s.sched)
	}
	s.sched = slices.Insert(s.sched, i, scheduled{m: m, charge: charge})
	s.arm()
	return nil
}

// chargeWrite charges a write's bytes to the budget, or tells the person
// why it cannot be held. Other operations cost nothing to hold.
func (s *Session) chargeWrite(m wire.Msg) (int64, bool) {
	if m.Type != wire.Write {
		return 0, true
	}
	n := int64(len(m.Data)) + msgOverhead
	if !s.budget.takeWrite(n) {
		s.fail(wire.CodeLimit, m.Conn, fmt.Errorf("the write to %s was refused: this session already holds %d KiB of writes waiting for their time or their socket, and may hold at most %d KiB (half its %d MiB memory budget)",
			m.Conn, s.budget.writes.Load()>>10, writeShare>>10, MemoryBudget>>20))
		return 0, false
	}
	return n, true
}

func (s *Session) arm() {
	s.timer.Stop()
	if len(s.sched) == 0 {
		return
	}
	d := time.Duration((*s.sched[0].m.At - s.now()) * float64(time.Millisecond))
	s.timer.Reset(max(d, 0))
}

func (s *Session) runDue() error {
	for len(s.sched) > 0 && *s.sched[0].m.At <= s.now()+0.05 {
		p := s.sched[0]
		s.sched = s.sched[1:]
		if err := s.do(p.m, p.charge); err != nil {
			return err
		}
	}
	s.arm()
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
