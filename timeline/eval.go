package timeline

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Kinds lists every event kind of the contract, connection kinds first.
var Kinds = []string{
	Connect, Accept, Send, Request, Response, Recv, Idle, Close, Reset, Refused, TCP,
	Forward, ProxyError, Outcome,
	Listen, CloseCalled, CloseIdleCalled, CloseAllCalled, ShutdownCalled,
	ListenerClosed, BeforeExit, Exit,
}

// Reasons lists every close reason, the DESIGN.md ones and this project's
// extensions.
var Reasons = []string{
	ReasonSocketTimeout, ReasonKeepAliveTimeout, ReasonHeadersTimeout,
	ReasonRequestTimeout, ReasonIdleTimeout, ReasonServerClose,
	ReasonCloseIdle, ReasonCloseAll, ReasonDestroy, ReasonConnectionClose,
	ReasonShutdown, ReasonMaxRequests,
	ReasonBadRequest, ReasonExit, ReasonClient,
	ReasonProxyIdleTimeout, ReasonUpstreamIdleTimeout, ReasonUpstreamClosed,
	ReasonUpstreamMaxRequests, ReasonUpstreamPoolFull, ReasonClientKeepAlive,
	ReasonUpstreamTimeout,
}

// Bys lists who may close a connection or answer a request.
var Bys = []string{ByServer, ByClient, ByProxy}

// AnyConn as Since.Conn measures from a matching event on any connection
// (or none). An empty Since.Conn means the candidate event's own
// connection, which is what "after its last response" needs.
const AnyConn = "*"

// Limits on a check's text and numbers.
const (
	// MaxCheckText bounds Name and Hint, which lessons show as prose.
	MaxCheckText = 500
	// MaxContains bounds Match.Contains.
	MaxContains = 1024
	// MaxCheckMs bounds MinMs and MaxMs (one hour, well past any run).
	MaxCheckMs = 3_600_000
)

// FieldError is one problem with a check, naming the field by its JSON
// path relative to the check ("since.kind").
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Result is the outcome of one check.
type Result struct {
	Name   string `json:"name"` // the check's Name, or its Describe()
	Pass   bool   `json:"pass"`
	Detail string `json:"detail"` // what matched, or why nothing did
}

// Validate reports every problem with the check, joined (errors.Join) from
// *FieldError values, or nil.
func (c Check) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if len(c.Name) > MaxCheckText {
		add("name", "%d bytes; the limit is %d", len(c.Name), MaxCheckText)
	}
	if len(c.Hint) > MaxCheckText {
		add("hint", "%d bytes; the limit is %d", len(c.Hint), MaxCheckText)
	}
	validateMatch(c.Match, "", add)
	if c.Nth < -1 {
		add("nth", "%d: use 1 for the first, -1 for the last, 0 for any", c.Nth)
	}
	if c.Count != nil {
		if *c.Count < 0 {
			add("count", "%d is negative", *c.Count)
		}
		if c.Nth != 0 {
			add("nth", "cannot be combined with count")
		}
	}
	if c.Since != nil {
		validateMatch(*c.Since, "since.", add)
	}
	for _, b := range []struct {
		name string
		v    *float64
	}{{"minMs", c.MinMs}, {"maxMs", c.MaxMs}} {
		if b.v != nil && (math.IsNaN(*b.v) || *b.v < 0 || *b.v > MaxCheckMs) {
			add(b.name, "%v is outside 0..%d", *b.v, MaxCheckMs)
		}
	}
	if c.MinMs != nil && c.MaxMs != nil && *c.MinMs > *c.MaxMs {
		add("maxMs", "%v is less than minMs (%v)", *c.MaxMs, *c.MinMs)
	}
	return errors.Join(errs...)
}

func validateMatch(m Match, prefix string, add func(field, format string, args ...any)) {
	switch {
	case m.Kind == "":
		add(prefix+"kind", "missing; one of %s", strings.Join(Kinds, ", "))
	case !slices.Contains(Kinds, m.Kind):
		add(prefix+"kind", "%q is not one of %s", m.Kind, strings.Join(Kinds, ", "))
	}
	if m.By != "" && !slices.Contains(Bys, m.By) {
		add(prefix+"by", "%q is not one of %s", m.By, strings.Join(Bys, ", "))
	}
	if m.Hop != "" && m.Hop != HopUpstream {
		add(prefix+"hop", "%q is not %q (the only hop a check can name)", m.Hop, HopUpstream)
	}
	if len(m.Upstream) > 64 {
		add(prefix+"upstream", "too long")
	}
	if m.Reason != "" && !slices.Contains(Reasons, m.Reason) {
		add(prefix+"reason", "%q is not one of %s", m.Reason, strings.Join(Reasons, ", "))
	}
	if m.Side != "" && m.Side != SideClient && m.Side != SideServer {
		add(prefix+"side", "%q is not one of %s, %s", m.Side, SideClient, SideServer)
	}
	if m.State != "" && !slices.Contains(States, m.State) {
		add(prefix+"state", "%q is not one of %s", m.State, strings.Join(States, ", "))
	}
	if m.Status != 0 && (m.Status < 100 || m.Status > 599) {
		add(prefix+"status", "%d is outside 100..599", m.Status)
	}
	if len(m.Contains) > MaxContains {
		add(prefix+"contains", "%d bytes; the limit is %d", len(m.Contains), MaxContains)
	}
	if len(m.Pool) > 64 {
		add(prefix+"pool", "too long")
	}
	if len(m.Conn) > 64 || len(m.Method) > 64 || len(m.Path) > MaxContains {
		add(prefix+"conn", "conn, method or path is too long")
	}
}

// Matches reports whether e has every field m sets.
func (m Match) Matches(e Event) bool {
	return (m.Conn == "" || m.Conn == e.Conn) &&
		(m.Kind == "" || m.Kind == e.Kind) &&
		(m.By == "" || m.By == e.By) &&
		(m.Reason == "" || m.Reason == e.Reason) &&
		(m.Method == "" || m.Method == e.Method) &&
		(m.Path == "" || m.Path == e.Path) &&
		(m.Status == 0 || m.Status == e.Status) &&
		(m.Side == "" || m.Side == e.Side) &&
		(m.State == "" || m.State == e.State) &&
		(m.Hop == "" || m.Hop == e.Hop) &&
		(m.Upstream == "" || m.Upstream == e.Upstream) &&
		(m.Pool == "" || m.Pool == e.Pool) &&
		(m.Reused == nil || *m.Reused == e.Reused) &&
		(m.Retried == nil || *m.Retried == e.Retried) &&
		(m.Contains == "" || strings.Contains(e.Data, m.Contains) || strings.Contains(e.Error, m.Contains))
}

// sinceMatches applies Since to a reference event for a candidate: an
// empty Since.Conn stands for the candidate's own connection.
func sinceMatches(since Match, cand, ref Event) bool {
	switch since.Conn {
	case "":
		since.Conn = cand.Conn
		if cand.Conn == "" {
			since.Conn = ""
			if ref.Conn != "" {
				return false
			}
		}
	case AnyConn:
		since.Conn = ""
	}
	return since.Matches(ref)
}

// Eval evaluates the check over a run's events. Events are considered in
// time order (a stable sort by T, so events with equal times keep the
// order they were recorded in).
//
// The events matching the check's Match are its candidates. A candidate's
// measured time is its T, or with Since, T minus the T of the last event
// before it (in that order; the candidate itself never counts) that
// matches Since; a candidate without such an event has no measured time
// and never falls in a window. MinMs and MaxMs bound the measured time,
// inclusive. Then:
//
//   - Count set: pass when exactly Count candidates fall in the window.
//   - Nth set: the Nth candidate (1-based; -1 the last), counted before the
//     window, must exist and fall in the window.
//   - otherwise: pass when any candidate falls in the window.
func (c Check) Eval(events []Event) Result {
	res := Result{Name: c.Name}
	if res.Name == "" {
		res.Name = c.Describe()
	}
	evs := slices.Clone(events)
	slices.SortStableFunc(evs, func(a, b Event) int { return cmp.Compare(a.T, b.T) })

	var cands []int
	for i, e := range evs {
		if c.Match.Matches(e) {
			cands = append(cands, i)
		}
	}
	subject := quote(describeMatch(c.Match))

	switch {
	case c.Count != nil:
		var in []string
		out := 0
		for _, i := range cands {
			m := c.measure(evs, i)
			if m.inWindow {
				in = append(in, m.String())
			} else {
				out++
			}
		}
		res.Pass = len(in) == *c.Count
		switch {
		case res.Pass && len(in) == 0:
			res.Detail = fmt.Sprintf("no %s event%s, as expected", subject, c.windowPhrase())
		case res.Pass:
			res.Detail = fmt.Sprintf("exactly %d %s event%s%s: %s", len(in), subject, plural(len(in)), c.windowPhrase(), list(in))
		default:
			res.Detail = fmt.Sprintf("expected exactly %d %s event%s%s, found %d", *c.Count, subject, plural(*c.Count), c.windowPhrase(), len(in))
			if len(in) > 0 {
				res.Detail += ": " + list(in)
			}
		}
		if out > 0 && c.windowed() {
			res.Detail += fmt.Sprintf(" (%d more outside the window)", out)
		}
		return res

	case c.Nth != 0:
		if len(cands) == 0 {
			res.Detail = fmt.Sprintf("no %s event", subject)
			return res
		}
		k := c.Nth - 1
		if c.Nth == -1 {
			k = len(cands) - 1
		}
		if k >= len(cands) {
			res.Detail = fmt.Sprintf("wanted the %s %s event, but there %s only %d", ordinal(c.Nth), subject, isAre(len(cands)), len(cands))
			return res
		}
		m := c.measure(evs, cands[k])
		res.Pass = m.inWindow
		res.Detail = m.verdict()
		return res
	}

	if len(cands) == 0 {
		res.Detail = fmt.Sprintf("no %s event", subject)
		return res
	}
	var first measured
	for n, i := range cands {
		m := c.measure(evs, i)
		if m.inWindow {
			res.Pass = true
			res.Detail = m.String()
			return res
		}
		if n == 0 {
			first = m
		}
	}
	if len(cands) == 1 {
		res.Detail = first.verdict()
	} else {
		res.Detail = fmt.Sprintf("none of %d %s events%s; the first: %s", len(cands), subject, c.windowPhrase(), first.verdict())
	}
	return res
}

// EvalAll evaluates every check.
func EvalAll(checks []Check, events []Event) []Result {
	out := make([]Result, len(checks))
	for i, c := range checks {
		out[i] = c.Eval(events)
	}
	return out
}

type measured struct {
	c        *Check
	ev       Event
	ref      *Event // the Since event, if any
	ms       float64
	hasTime  bool
	inWindow bool
}

func (c *Check) measure(evs []Event, i int) measured {
	m := measured{c: c, ev: evs[i]}
	if c.Since == nil {
		m.ms, m.hasTime = evs[i].T, true
	} else {
		for j := i - 1; j >= 0; j-- {
			if sinceMatches(*c.Since, evs[i], evs[j]) {
				m.ref = &evs[j]
				m.ms, m.hasTime = evs[i].T-evs[j].T, true
				break
			}
		}
	}
	m.inWindow = m.hasTime &&
		(c.MinMs == nil || m.ms >= *c.MinMs) &&
		(c.MaxMs == nil || m.ms <= *c.MaxMs)
	return m
}

// String says what the measured event is and when it happened.
func (m measured) String() string {
	s := fmt.Sprintf("%s at %s ms", describeEvent(m.ev), fmtMs(m.ev.T))
	if m.ref != nil {
		s += fmt.Sprintf(", %s ms after %s at %s ms", fmtMs(m.ms), describeEvent(*m.ref), fmtMs(m.ref.T))
	}
	return s
}

// verdict is String plus, when the event misses the window, why.
func (m measured) verdict() string {
	switch {
	case !m.hasTime:
		return fmt.Sprintf("%s at %s ms, but no %s event before it", describeEvent(m.ev), fmtMs(m.ev.T), quote(describeSince(*m.c.Since)))
	case !m.inWindow:
		return m.String() + ": outside " + m.c.rangePhrase()
	}
	return m.String()
}

func (c Check) windowed() bool { return c.MinMs != nil || c.MaxMs != nil }

// rangePhrase renders the window: "4000–4200 ms", "at least 10 ms", "at
// most 200 ms".
func (c Check) rangePhrase() string {
	switch {
	case c.MinMs != nil && c.MaxMs != nil:
		return fmtMs(*c.MinMs) + "–" + fmtMs(*c.MaxMs) + " ms"
	case c.MinMs != nil:
		return "at least " + fmtMs(*c.MinMs) + " ms"
	case c.MaxMs != nil:
		return "at most " + fmtMs(*c.MaxMs) + " ms"
	}
	return "any time"
}

// windowPhrase is " 4000–4200 ms after the last "response"", or "".
func (c Check) windowPhrase() string {
	if !c.windowed() {
		if c.Since != nil {
			return " after a " + quote(describeSince(*c.Since))
		}
		return ""
	}
	if c.Since != nil {
		return " " + c.rangePhrase() + " after the last " + quote(describeSince(*c.Since))
	}
	switch {
	case c.MinMs != nil && c.MaxMs != nil:
		return " at " + c.rangePhrase()
	case c.MinMs != nil:
		return " at or after " + fmtMs(*c.MinMs) + " ms"
	default:
		return " by " + fmtMs(*c.MaxMs) + " ms"
	}
}

// Describe renders the check as a sentence: its Name when set, otherwise
// one made from its fields, e.g. `"conn A close by server (socket-timeout)"
// 4000–4200 ms after the last "response"`.
func (c Check) Describe() string {
	if c.Name != "" {
		return c.Name
	}
	subject := quote(describeMatch(c.Match))
	var s string
	switch {
	case c.Count != nil && *c.Count == 0:
		s = "no " + subject + " event"
	case c.Count != nil:
		s = fmt.Sprintf("exactly %d %s event%s", *c.Count, subject, plural(*c.Count))
	case c.Nth == -1:
		s = "the last " + subject + " event"
	case c.Nth > 0:
		s = "the " + ordinal(c.Nth) + " " + subject + " event"
	default:
		s = "a " + subject + " event"
	}
	return s + c.windowPhrase()
}

func describeSince(m Match) string {
	if m.Conn == AnyConn {
		m.Conn = ""
		return describeMatch(m) + " on any connection"
	}
	return describeMatch(m)
}

// describeMatch renders a match like an event: "conn A close by server
// (socket-timeout)".
func describeMatch(m Match) string {
	var parts []string
	if m.Conn != "" {
		parts = append(parts, "conn "+m.Conn)
	}
	if m.Kind != "" {
		parts = append(parts, m.Kind)
	} else {
		parts = append(parts, "any")
	}
	// A method or target may hold the bytes a lesson about parsing sends
	// (a tab, a bare CR): shown as escapes, as contains is.
	if m.Method != "" {
		parts = append(parts, escapeBytes(m.Method))
	}
	if m.Path != "" {
		parts = append(parts, escapeBytes(m.Path))
	}
	if m.Status != 0 {
		parts = append(parts, strconv.Itoa(m.Status))
	}
	if m.By != "" {
		parts = append(parts, "by "+m.By)
	}
	if m.Reason != "" && m.Reason != m.By {
		// "close by client (client)" would say it twice.
		parts = append(parts, "("+m.Reason+")")
	}
	if m.Side != "" {
		parts = append(parts, m.Side+" end")
	}
	if m.State != "" {
		parts = append(parts, m.State)
	}
	if m.Upstream != "" {
		parts = append(parts, "via "+m.Upstream)
	}
	if m.Hop != "" {
		parts = append(parts, "on the "+m.Hop+" hop")
	}
	if m.Pool != "" {
		parts = append(parts, "of pool "+m.Pool)
	}
	if m.Reused != nil {
		parts = append(parts, map[bool]string{true: "on a reused connection", false: "on a new connection"}[*m.Reused])
	}
	if m.Retried != nil {
		parts = append(parts, map[bool]string{true: "retried", false: "not retried"}[*m.Retried])
	}
	if m.Contains != "" {
		parts = append(parts, "containing '"+escapeBytes(m.Contains)+"'")
	}
	return strings.Join(parts, " ")
}

// describeEvent renders an event for a Detail: "conn A close by server
// (socket-timeout)", "conn B request GET /end", "exit".
func describeEvent(e Event) string {
	return describeMatch(Match{Conn: e.Conn, Kind: e.Kind, By: e.By, Reason: e.Reason,
		Method: e.Method, Path: e.Path, Status: e.Status, Side: e.Side, State: e.State, Upstream: e.Upstream, Pool: e.Pool})
}

// escapeBytes shows CR, LF and other control bytes as Go escapes (\r\n):
// in a check's detail, a page would render them as spaces, and the
// difference between "\r\n" and "\n" is often the point.
func escapeBytes(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

func fmtMs(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func quote(s string) string { return `"` + s + `"` }

func list(items []string) string {
	const shown = 3
	if len(items) <= shown {
		return strings.Join(items, "; ")
	}
	return strings.Join(items[:shown], "; ") + fmt.Sprintf("; and %d more", len(items)-shown)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}
