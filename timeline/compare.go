package timeline

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// The timing rule for two runs of one script: how far apart the same
// event may be and still count as the same. The differential tests (an
// emulation against the real binary of its release) and the comparison of
// runtimes (`playground run --runtime`, the page's compare view) share it,
// so "they agree" means the same everywhere.
//
// Times are compared as delays, each event measured from the one before
// it on its connection (a server event from the latest client send before
// it): on a loaded machine a whole run may lag, and a step may fire late,
// but the delay between a cause and its effect does not move much. Loopback
// runs on a loaded 2-core machine delay real Node's accepts and callbacks
// by up to ~100 ms; a real difference in this domain is a timeout that
// fires or not (a different sequence of events, compared exactly) or fires
// at another time (300 ms and up).
const (
	// TimingTolMinMs is the smallest tolerance, for short delays.
	TimingTolMinMs = 250
	// TimingTolRel is the tolerance as a share of a long delay.
	TimingTolRel = 0.15
)

// MinStateMs is how long an end must sit in FIN_WAIT2 or CLOSE_WAIT for
// runs to be compared on it.
const MinStateMs = 10

// TimingTolerance is how far a delay may be from ref, the same delay in
// the reference run.
func TimingTolerance(ref float64) float64 {
	return math.Max(TimingTolMinMs, TimingTolRel*ref)
}

// SameTiming reports whether delay d agrees with ref, the same delay in
// the reference run.
func SameTiming(d, ref float64) bool { return math.Abs(d-ref) <= TimingTolerance(ref) }

// Run is one run's events under a name: a runtime ("node18"), or a knob's
// value ("socketTimeoutMs=4000").
type Run struct {
	Name   string
	Events []Event
	// EndMs is when the run was cut off (its durationMs), or 0. Events
	// within the tolerance of the cut are left out of the comparison in
	// every run: one run may see an event that the cut takes from another.
	EndMs float64
}

// Parting is the first point where the runs' timelines part on one
// connection (or on the server, Conn ""): an event present in some runs
// only, a different event, or the same event at a time beyond the
// tolerance.
type Parting struct {
	Conn string `json:"conn,omitempty"`
	// T is when the timelines part on the session clock: the earliest
	// event at the parting point.
	T float64 `json:"t"`
	// Timing is set when every run has the same event there and only its
	// time differs.
	Timing bool `json:"timing,omitempty"`
	// Sides group the runs that agree at the point, in the order of the
	// runs given.
	Sides []PartingSide `json:"sides"`
	// Sentence explains the parting: "node18: A stays open; node26:
	// close() also closed idle A at 12 ms".
	Sentence string `json:"sentence"`
}

// PartingSide is what a group of runs did at a parting point.
type PartingSide struct {
	Runs []string `json:"runs"`
	// Event is what these runs did there; nil when nothing more happened
	// on that lane in these runs.
	Event *Event `json:"event,omitempty"`
	// Phrase is this side's half of the sentence, without the run names.
	Phrase string `json:"phrase"`
}

// step is one comparable event and its delay from its cause.
type step struct {
	key   string
	ev    Event
	delay float64
}

// lanes are one run's comparable events by lane: "" is the server; a
// connection has its main lane (the label itself: what the server did
// with it and how it closed), its client lane (label+"/client": connect,
// refused, reset) and one lane per end's TCP states (label+"/tcp/server").
// Each lane comes from one source, so its order does not depend on which
// goroutine reported first.
type lanes map[string][]step

// laneConn is the connection a lane belongs to ("" for the server).
func laneConn(lane string) string {
	conn, _, _ := strings.Cut(lane, "/")
	return conn
}

// comparable reduces a run to its lanes. Sends and received bytes are
// the script's and the server's wording, not the behaviour compared; the
// client's own sends anchor the delays.
func comparable(events []Event, endMs float64) lanes {
	ls := lanes{}
	evs := slices.Clone(events)
	slices.SortStableFunc(evs, func(a, b Event) int { return cmp.Compare(a.T, b.T) })
	prev := map[string]float64{}
	lastSend := 0.0
	// An end's states are compared where they are certain to be seen: a
	// state that only waits for an ACK, or a half-closed one that the
	// other end ended within moments (a FIN_WAIT2 cut short by Node's
	// answering FIN, a CLOSE_WAIT by its close), is seen or not by chance;
	// every end is read as it opens, and TIME_WAIT lasts a minute.
	lasting := map[Event]bool{}
	for _, sp := range StateSpans(evs) {
		halfClosed := sp.State == StateFinWait2 || sp.State == StateCloseWait
		if !Transient(sp.State) && (!halfClosed || sp.Lasting() || sp.End-sp.Start >= MinStateMs) {
			lasting[Event{T: sp.Start, Conn: sp.Conn, Kind: TCP, Side: sp.Side, State: sp.State}] = true
		}
	}
	for _, e := range evs {
		if endMs > 0 && e.T > endMs-TimingTolMinMs {
			break
		}
		if e.Conn == "" {
			d := e.T - lastSend
			if e.Kind == Listen {
				d = 0 // before the script starts, whenever the runtime is up
			}
			ls[""] = append(ls[""], step{e.Kind, e, d})
			continue
		}
		p, seen := prev[e.Conn]
		if !seen {
			p = e.T
		}
		lane := e.Conn
		key := e.Kind
		switch e.Kind {
		case Send:
			lastSend = e.T
			prev[e.Conn] = e.T
			continue
		case Recv:
			continue
		case Request:
			key += " " + e.Method + " " + e.Path
		case Response:
			key += fmt.Sprintf(" %d", e.Status)
		case Close:
			key += " " + e.By + " " + e.Reason
		case Connect, Refused:
			lane += "/client"
		case Reset:
			lane += "/client"
			key += " " + e.By
		case TCP:
			if !lasting[e] && e.State != StateClosed {
				continue
			}
			lane += "/tcp/" + e.Side
			key += " " + e.Side + " " + e.State
		case Accept, Idle:
		default:
			key += " " + e.By + " " + e.Reason
		}
		ls[lane] = append(ls[lane], step{key, e, e.T - p})
		if e.Kind != TCP || !seen {
			// A state is measured from what caused it, never from
			// another state.
			prev[e.Conn] = e.T
		}
	}
	return ls
}

// Compare finds, for the server and for each connection, the first point
// where the runs part, and explains it. The first run is the reference
// for timing. No partings means the runs agree.
func Compare(runs []Run) []Parting {
	if len(runs) < 2 {
		return nil
	}
	all := make([]lanes, len(runs))
	names := map[string]bool{}
	end := 0.0
	for _, r := range runs {
		if r.EndMs > 0 && (end == 0 || r.EndMs < end) {
			end = r.EndMs
		}
	}
	for i, r := range runs {
		all[i] = comparable(r.Events, end)
		for l := range all[i] {
			names[l] = true
		}
	}
	// The first parting of each connection is the earliest of its lanes'.
	first := map[string]*Parting{}
	for _, lane := range slices.Sorted(mapKeys(names)) {
		p := partLane(runs, all, lane)
		if p == nil {
			continue
		}
		conn := laneConn(lane)
		if q := first[conn]; q == nil || p.T < q.T {
			first[conn] = p
		}
	}
	var out []Parting
	for _, p := range first {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Parting) int {
		if c := cmp.Compare(a.T, b.T); c != 0 {
			return c
		}
		return cmp.Compare(a.Conn, b.Conn)
	})
	return out
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// partLane walks one lane in every run and returns its first parting.
func partLane(runs []Run, all []lanes, lane string) *Parting {
	n := 0
	for _, ls := range all {
		n = max(n, len(ls[lane]))
	}
	for i := range n {
		at := make([]*step, len(runs))
		same, timing := true, true
		for r, ls := range all {
			if i < len(ls[lane]) {
				at[r] = &ls[lane][i]
			}
			if at[r] == nil || at[0] == nil || at[r].key != at[0].key {
				same, timing = false, false
			} else if !SameTiming(at[r].delay, at[0].delay) {
				same = false
			}
		}
		if same {
			continue
		}
		return explain(runs, all, lane, at, timing)
	}
	return nil
}

func explain(runs []Run, all []lanes, lane string, at []*step, timing bool) *Parting {
	p := &Parting{Conn: laneConn(lane), T: math.Inf(1), Timing: timing}
	// Group the runs that did the same there (same event, agreeing times),
	// in run order.
	group := make([]int, len(runs))
	for r := range group {
		group[r] = -1
	}
	for r := range runs {
		if group[r] >= 0 {
			continue
		}
		group[r] = len(p.Sides)
		side := PartingSide{Runs: []string{runs[r].Name}}
		for o := r + 1; o < len(runs); o++ {
			if group[o] < 0 && sameStep(at[r], at[o]) {
				group[o] = group[r]
				side.Runs = append(side.Runs, runs[o].Name)
			}
		}
		if at[r] != nil {
			e := at[r].ev
			side.Event = &e
			p.T = math.Min(p.T, e.T)
		}
		p.Sides = append(p.Sides, side)
	}
	if math.IsInf(p.T, 1) {
		p.T = 0
	}
	parts := make([]string, len(p.Sides))
	for g := range p.Sides {
		side := &p.Sides[g]
		r := slices.Index(group, g)
		switch {
		case side.Event == nil:
			side.Phrase = nothingMore(lane, all[r])
		case timing && g > 0:
			first := p.Sides[0].Event
			side.Phrase = fmt.Sprintf("the same at %s ms (%s ms %s)", fmtWhole(side.Event.T),
				fmtWhole(math.Abs(side.Event.T-first.T)), laterEarlier(side.Event.T-first.T))
		default:
			side.Phrase = Phrase(*side.Event)
		}
		parts[g] = strings.Join(side.Runs, ", ") + ": " + side.Phrase
	}
	p.Sentence = strings.Join(parts, "; ")
	return p
}

func sameStep(a, b *step) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.key == b.key && SameTiming(b.delay, a.delay)
}

func laterEarlier(d float64) string {
	if d < 0 {
		return "earlier"
	}
	return "later"
}

// nothingMore says what a run did where another had one more event on
// the lane: it kept the state it was in.
func nothingMore(lane string, ls lanes) string {
	conn := laneConn(lane)
	steps := ls[lane]
	var last *Event
	if len(steps) > 0 {
		last = &steps[len(steps)-1].ev
	}
	switch {
	case conn == "":
		for _, s := range steps {
			if s.ev.Kind == Exit {
				return "nothing more happened on the server"
			}
		}
		return "the process did not exit"
	case strings.Contains(lane, "/tcp/"):
		end := conn + "'s " + lane[strings.LastIndex(lane, "/")+1:] + " end"
		if last == nil {
			return "the kernel reported no state for " + end
		}
		return end + " stayed in " + last.State
	case strings.HasSuffix(lane, "/client"):
		return "nothing more happened to " + conn + " at the client"
	}
	for _, s := range ls[lane] {
		if s.ev.Kind == Close {
			return conn + " stayed closed"
		}
	}
	for _, s := range ls[conn+"/client"] {
		if s.ev.Kind == Reset || s.ev.Kind == Refused {
			return "nothing more happened on " + conn
		}
	}
	return conn + " stayed open"
}

// closePhrases say who closed a connection for each reason, with %s for
// the connection.
var closePhrases = map[string]string{
	ReasonSocketTimeout:    "the socket timeout closed %s",
	ReasonKeepAliveTimeout: "the keep-alive timeout closed %s",
	ReasonHeadersTimeout:   "the headers timeout closed %s",
	ReasonRequestTimeout:   "the request timeout closed %s",
	ReasonIdleTimeout:      "the idle timeout closed %s",
	ReasonServerClose:      "close() also closed idle %s",
	ReasonCloseIdle:        "closeIdleConnections() closed idle %s",
	ReasonCloseAll:         "closeAllConnections() closed %s",
	ReasonDestroy:          "the handler destroyed %s",
	ReasonConnectionClose:  "the server closed %s after answering Connection: close",
	ReasonShutdown:         "Shutdown closed idle %s",
	ReasonMaxRequests:      "maxRequestsPerSocket closed %s",
	ReasonBadRequest:       "the server answered 400 and closed %s",
	ReasonExit:             "the process exited and the kernel closed %s",
}

var serverPhrases = map[string]string{
	Listen:          "the server listened",
	CloseCalled:     "close() was called",
	CloseIdleCalled: "closeIdleConnections() was called",
	CloseAllCalled:  "closeAllConnections() was called",
	ShutdownCalled:  "Shutdown was called",
	ListenerClosed:  "the listener closed",
	BeforeExit:      "beforeExit fired",
	Exit:            "the process exited",
}

// Phrase says what one event was, in the past tense, with its time:
// "close() also closed idle A at 12 ms".
func Phrase(e Event) string {
	var s string
	c := e.Conn
	switch e.Kind {
	case Connect:
		s = c + " connected"
	case Refused:
		s = c + "'s connect was refused"
	case Accept:
		s = "the server accepted " + c
	case Request:
		s = fmt.Sprintf("the server read %s %s on %s", e.Method, e.Path, c)
	case Response:
		s = fmt.Sprintf("the server answered %d on %s", e.Status, c)
	case Idle:
		s = c + " went idle"
	case Close:
		switch {
		case e.By == ByClient:
			s = "the client closed " + c
		case closePhrases[e.Reason] != "":
			s = fmt.Sprintf(closePhrases[e.Reason], c)
		case e.Reason != "":
			s = fmt.Sprintf("the %s closed %s (%s)", e.By, c, e.Reason)
		default:
			s = fmt.Sprintf("the %s closed %s", e.By, c)
		}
	case Reset:
		s = c + " was reset by the " + cmp.Or(e.By, "peer")
	case TCP:
		s = fmt.Sprintf("%s's %s end went to %s", c, e.Side, e.State)
	default:
		if p := serverPhrases[e.Kind]; p != "" && c == "" {
			s = p
		} else if c != "" {
			s = c + ": " + e.Kind
		} else {
			s = e.Kind
		}
	}
	return s + " at " + fmtWhole(e.T) + " ms"
}

// fmtWhole renders milliseconds without a fraction, as a person reads a
// timeline ("12", not "12.3").
func fmtWhole(ms float64) string { return fmt.Sprintf("%.0f", ms) }
