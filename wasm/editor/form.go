package editor

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// Form is a scenario as the editor's inputs hold it: every edited value is
// the string its input shows, so that half-typed text survives until the
// person fixes it. FromScenario and Form.Scenario convert both ways;
// Set then read gives back the same scenario (see the package tests).
type Form struct {
	// Carried through unedited: the schema version, the lesson slug and
	// the checks (the lessons panel evaluates those).
	V      int
	Lesson string
	Checks []timeline.Check
	// Compare is the scenario's comparison, kept as it is: the compare
	// view edits it, not the form.
	Compare *scenario.Compare

	Title      string
	Runtime    string
	Knobs      map[string]string // by Knob.Name; "" leaves the knob unset; switches hold "true"/"false"
	DurationMs string
	Routes     []RouteForm
	Steps      []StepForm

	// Pools and PoolSteps are the script's pooled clients and the steps
	// that send through them, kept as they are: the JSON tab edits them,
	// not the form. PoolSteps come after the form's steps.
	Pools     []scenario.Pool
	PoolSteps []scenario.Step

	// ProxyKind is "" for no proxy; ProxyKnobs holds its knobs by
	// ProxyKnob.Name as typed (nextUpstream: words separated by spaces).
	ProxyKind  string
	ProxyKnobs map[string]string

	// BadInput lists the fields whose number input the browser could not
	// read (its value then reads as ""); each is a problem.
	BadInput []string
}

// RouteForm is one route as typed.
type RouteForm struct {
	Path    string
	Status  string // "" is unset (200)
	Body    string // byte convention (EncodeBytes)
	DelayMs string
	Then    string // "" is unset (none)
	// Readiness is "true" for a readiness check (503 once draining), ""
	// otherwise.
	Readiness string
}

// ReadinessValues are the readiness select's choices: "" (an ordinary
// route) and "true".
var ReadinessValues = []string{"", "true"}

// Step actions, as the action select names them.
const (
	ActSend    = "send"
	ActRequest = "request"
	ActOpen    = "open"
	ActClose   = "close"
	ActReset   = "reset"
)

// Actions lists the step actions in the schema's order.
var Actions = []string{ActSend, ActRequest, ActOpen, ActClose, ActReset}

// StepForm is one client step as typed. The send and request fields are
// kept side by side, so switching the action back and forth loses nothing;
// only the chosen action's fields reach the scenario.
type StepForm struct {
	At     string
	Conn   string
	Action string // one of Actions; "" when the step has none (invalid)

	Send string // byte convention

	Method     string
	Path       string
	Version    string
	Connection string // the Connection header: "", "keep-alive" or "close"
	Headers    string // the other headers, EncodeHeaders' format
	Body       string // byte convention
}

// ConnectionValues are the Connection header's choices in the request form.
var ConnectionValues = []string{"", "keep-alive", "close"}

// Versions are the HTTP versions a request step may name ("" is unset).
var Versions = []string{"", "HTTP/1.1", "HTTP/1.0"}

// FromScenario fills a form from sc. A step with more than one action
// (which Validate rejects) keeps only the first in Actions order.
func FromScenario(sc scenario.Scenario) Form {
	f := Form{
		V:          sc.V,
		Lesson:     sc.Lesson,
		Checks:     slices.Clone(sc.Checks),
		Compare:    sc.Compare,
		Title:      sc.Title,
		Runtime:    sc.Server.Runtime,
		Knobs:      map[string]string{},
		ProxyKnobs: map[string]string{},
		DurationMs: optInt(sc.DurationMs),
	}
	if p := sc.Proxy; p != nil {
		f.ProxyKind = p.Kind
		for _, k := range ProxyKnobs {
			switch {
			case k.intp != nil:
				if v := *k.intp(p); v != nil {
					f.ProxyKnobs[k.Name] = strconv.Itoa(*v)
				}
			case k.boolp != nil:
				if v := *k.boolp(p); v != nil {
					f.ProxyKnobs[k.Name] = strconv.FormatBool(*v)
				}
			case k.Words && p.NextUpstream != nil:
				f.ProxyKnobs[k.Name] = strings.Join(p.NextUpstream, " ")
			}
		}
	}
	sv := sc.Server
	for _, k := range Knobs {
		if k.Bool {
			if p := *sv.BoolKnob(k.Name); p != nil {
				f.Knobs[k.Name] = strconv.FormatBool(*p)
			}
		} else if p := *sv.IntKnob(k.Name); p != nil {
			f.Knobs[k.Name] = strconv.Itoa(*p)
		}
	}
	for _, r := range sv.Routes {
		f.Routes = append(f.Routes, RouteForm{
			Path: r.Path, Status: optInt(r.Status), Body: EncodeBytes(r.Body),
			DelayMs: optInt(r.DelayMs), Then: JoinThen(r.Then),
			Readiness: optBool(r.Readiness),
		})
	}
	f.Pools = slices.Clone(sc.Client.Pools)
	for _, st := range sc.Client.Steps {
		if st.Pool != "" {
			f.PoolSteps = append(f.PoolSteps, st)
			continue
		}
		f.Steps = append(f.Steps, stepForm(st))
	}
	return f
}

func stepForm(st scenario.Step) StepForm {
	sf := StepForm{At: strconv.Itoa(st.At), Conn: st.Conn}
	switch {
	case st.Send != nil:
		sf.Action = ActSend
		sf.Send = EncodeBytes(*st.Send)
	case st.Request != nil:
		sf.Action = ActRequest
		r := st.Request
		sf.Method, sf.Path, sf.Version = r.Method, r.Path, r.Version
		sf.Body = EncodeBytes(r.Body)
		var skip []string
		if v, ok := r.Headers["Connection"]; ok && (v == "keep-alive" || v == "close") {
			sf.Connection = v
			skip = append(skip, "Connection")
		}
		sf.Headers = EncodeHeaders(r.Headers, skip...)
	case st.Open:
		sf.Action = ActOpen
	case st.Close:
		sf.Action = ActClose
	case st.Reset:
		sf.Action = ActReset
	}
	return sf
}

// optInt shows an int whose zero means "unset" as an empty input.
func optInt(v int) string {
	if v == 0 {
		return ""
	}
	return strconv.Itoa(v)
}

// parseInt reads an integer as a number input gives it: "1e3" is 1000 (a
// browser accepts it), "1.5" is not a whole number.
func parseInt(s string) (int, error) {
	s = strings.TrimSpace(s)
	if v, err := strconv.Atoi(s); err == nil {
		return v, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int(f), nil
	}
	return 0, fmt.Errorf("%q is not a whole number", s)
}

// Scenario converts the form to a scenario. The problems are the form's
// own, text no scenario can hold (a number that is not one, a bad escape);
// the field they name reads as unset.
func (f Form) Scenario() (scenario.Scenario, scenario.Problems) {
	var ps scenario.Problems
	bad := func(field string, err error) { ps = append(ps, scenario.Problem{Field: field, Msg: err.Error()}) }
	badInput := func(field string) bool {
		if slices.Contains(f.BadInput, field) {
			ps = append(ps, scenario.Problem{Field: field, Msg: "not a number"})
			return true
		}
		return false
	}
	num := func(field, s string) int {
		if badInput(field) || strings.TrimSpace(s) == "" {
			return 0
		}
		v, err := parseInt(s)
		if err != nil {
			bad(field, err)
		}
		return v
	}
	text := func(field, s string) string {
		v, err := DecodeBytes(s)
		if err != nil {
			bad(field, err)
		}
		return v
	}

	sc := scenario.Scenario{
		V:          f.V,
		Title:      f.Title,
		Lesson:     f.Lesson,
		Checks:     slices.Clone(f.Checks),
		Compare:    f.Compare,
		DurationMs: num("durationMs", f.DurationMs),
	}
	sv := &sc.Server
	sv.Runtime = f.Runtime
	for _, k := range Knobs {
		field := "server." + k.Name
		s := strings.TrimSpace(f.Knobs[k.Name])
		if badInput(field) || s == "" {
			continue
		}
		if k.Bool {
			b, err := strconv.ParseBool(s)
			if err != nil {
				bad(field, fmt.Errorf("%q is neither true nor false", s))
				continue
			}
			*sv.BoolKnob(k.Name) = &b
			continue
		}
		v, err := parseInt(s)
		if err != nil {
			bad(field, err)
			continue
		}
		*sv.IntKnob(k.Name) = &v
	}
	if f.ProxyKind != "" {
		sc.Proxy = f.proxy(bad, badInput)
	}
	for i, rf := range f.Routes {
		sv.Routes = append(sv.Routes, scenario.Route{
			Path:      rf.Path,
			Status:    num(RouteKey(i, "status"), rf.Status),
			Body:      text(RouteKey(i, "body"), rf.Body),
			DelayMs:   num(RouteKey(i, "delayMs"), rf.DelayMs),
			Then:      SplitThen(rf.Then),
			Readiness: rf.Readiness == "true",
		})
	}
	for i, sf := range f.Steps {
		st := scenario.Step{At: num(StepKey(i, "at"), sf.At), Conn: sf.Conn}
		switch sf.Action {
		case ActSend:
			s := text(StepKey(i, "send"), sf.Send)
			st.Send = &s
		case ActRequest:
			r := &scenario.Request{
				Method: sf.Method, Path: sf.Path, Version: sf.Version,
				Body: text(StepKey(i, "request.body"), sf.Body),
			}
			h, err := DecodeHeaders(sf.Headers)
			if err != nil {
				bad(StepKey(i, "request.headers"), err)
			}
			if sf.Connection != "" {
				if _, dup := h["Connection"]; dup {
					bad(StepKey(i, "request.headers"), fmt.Errorf(`"Connection" is also chosen above`))
				} else {
					if h == nil {
						h = map[string]string{}
					}
					h["Connection"] = sf.Connection
				}
			}
			r.Headers = h
			st.Request = r
		case ActOpen:
			st.Open = true
		case ActClose:
			st.Close = true
		case ActReset:
			st.Reset = true
		}
		sc.Client.Steps = append(sc.Client.Steps, st)
	}
	sc.Client.Pools = slices.Clone(f.Pools)
	sc.Client.Steps = append(sc.Client.Steps, f.PoolSteps...)
	return sc, ps
}

// proxy reads the proxy's knobs as typed.
func (f Form) proxy(bad func(string, error), badInput func(string) bool) *scenario.Proxy {
	p := &scenario.Proxy{Kind: f.ProxyKind}
	for _, k := range ProxyKnobs {
		field := "proxy." + k.Name
		s := strings.TrimSpace(f.ProxyKnobs[k.Name])
		if badInput(field) || s == "" {
			continue
		}
		switch {
		case k.Words:
			p.NextUpstream = strings.Fields(s)
		case k.Bool:
			b, err := strconv.ParseBool(s)
			if err != nil {
				bad(field, fmt.Errorf("%q is neither true nor false", s))
				continue
			}
			*k.boolp(p) = &b
		default:
			v, err := parseInt(s)
			if err != nil {
				bad(field, err)
				continue
			}
			*k.intp(p) = &v
		}
	}
	return p
}

// Check converts and validates: the form's own problems come first, then
// Validate's, whose messages are shown exactly as the backend gives them.
// The error is nil or a scenario.Problems.
func (f Form) Check() (scenario.Scenario, error) {
	sc, ps := f.Scenario()
	if err := sc.Validate(); err != nil {
		vps, ok := err.(scenario.Problems)
		if !ok {
			vps = scenario.Problems{{Msg: err.Error()}}
		}
		ps = append(ps, vps...)
	}
	if len(ps) == 0 {
		return sc, nil
	}
	return sc, ps
}

// Row fields: the controls of a route and of a step, by their key suffix.
var (
	RouteFields = []string{"path", "status", "body", "delayMs", "then", "readiness"}
	StepFields  = []string{"at", "conn", "action", "send",
		"request.method", "request.path", "request.version", "request.connection",
		"request.headers", "request.body"}
)

// Section keys: where a problem about a list as a whole is shown.
const (
	KeyRoutes = "server.routes"
	KeySteps  = "client.steps"
	KeyChecks = "checks"
)

// RouteKey is the key of field of route i ("server.routes[2].then"); ""
// for the route as a whole. StepKey is the same for step i. They are the
// one place a row's key is written; Control finds them from a problem's
// scenario.Path.
func RouteKey(i int, field string) string { return rowKeyOf(KeyRoutes, i, field) }

// StepKey: see RouteKey.
func StepKey(i int, field string) string { return rowKeyOf(KeySteps, i, field) }

func rowKeyOf(list string, i int, field string) string {
	k := list + "[" + strconv.Itoa(i) + "]"
	if field != "" {
		k += "." + field
	}
	return k
}

// Keys lists the key of every control and section of the form. A key is
// the JSON path of the value the control edits (server.routes[2].then),
// except client.steps[i].action (the action select) and
// client.steps[i].request.connection (the Connection header select).
func (f Form) Keys() []string {
	keys := []string{"title", "server.runtime"}
	for _, k := range Knobs {
		keys = append(keys, "server."+k.Name)
	}
	keys = append(keys, "proxy.kind")
	for _, k := range ProxyKnobs {
		keys = append(keys, "proxy."+k.Name)
	}
	keys = append(keys, KeyRoutes)
	for i := range f.Routes {
		for _, s := range RouteFields {
			keys = append(keys, RouteKey(i, s))
		}
	}
	keys = append(keys, KeySteps)
	for i := range f.Steps {
		for _, s := range StepFields {
			keys = append(keys, StepKey(i, s))
		}
	}
	return append(keys, "durationMs", KeyChecks)
}

// Control returns the key of the control that shows a problem at path
// (a Problem's Path), or "" when only the summary can (v, lesson, or a
// problem about the scenario as a whole).
func (f Form) Control(path scenario.Path) string {
	// A step past the form's rows is one the form keeps without showing
	// (a pool step): its problems go to the steps section.
	if i, rest, ok := path.Item("client", "steps"); ok && i < len(f.Steps) {
		if name, ok := rest.Under("request", "headers"); ok && len(name) == 1 {
			if name[0].Name == "Connection" && f.Steps[i].Connection != "" {
				return StepKey(i, "request.connection")
			}
			return StepKey(i, "request.headers")
		}
		if len(rest) == 0 || rest.Is("request") {
			// "needs exactly one action", "renders to N bytes".
			return StepKey(i, "action")
		}
	}
	if _, ok := path.Under(KeyChecks); ok {
		return KeyChecks
	}
	for n := len(path); n > 0; n-- {
		if f.isKey(path[:n]) {
			return path[:n].String()
		}
	}
	return ""
}

// isKey reports whether path is one of f.Keys(), without building them.
func (f Form) isKey(path scenario.Path) bool {
	for _, k := range []string{"title", "durationMs", KeyChecks} {
		if path.Is(k) {
			return true
		}
	}
	if path.Is("server", "runtime") || path.Is("server", "routes") || path.Is("client", "steps") || path.Is("proxy", "kind") {
		return true
	}
	if name, ok := path.Under("proxy"); ok && len(name) == 1 {
		return slices.ContainsFunc(ProxyKnobs, func(k ProxyKnob) bool { return name.Is(k.Name) })
	}
	if name, ok := path.Under("server"); ok && len(name) == 1 {
		return slices.ContainsFunc(Knobs, func(k Knob) bool { return name.Is(k.Name) })
	}
	if i, rest, ok := path.Item("server", "routes"); ok {
		return i < len(f.Routes) && slices.ContainsFunc(RouteFields, func(s string) bool { return rest.Is(strings.Split(s, ".")...) })
	}
	if i, rest, ok := path.Item("client", "steps"); ok {
		return i < len(f.Steps) && slices.ContainsFunc(StepFields, func(s string) bool { return rest.Is(strings.Split(s, ".")...) })
	}
	return false
}

// ElementID turns a control key into an HTML id:
// "server.routes[2].then" is "ed-server-routes-2-then".
func ElementID(key string) string {
	var b strings.Builder
	b.WriteString("ed-")
	dash := false
	for _, c := range key {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !ok {
			if !dash {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		b.WriteRune(c)
		dash = false
	}
	return strings.TrimSuffix(b.String(), "-")
}

// SortedOrder returns the order that sorts steps by their at value,
// stably; a step whose at is not a number keeps its place relative to
// its neighbours by sorting as if it were the previous step's time.
func SortedOrder(ats []string) []int {
	keys := make([]int, len(ats))
	prev := 0
	for i, a := range ats {
		if v, err := parseInt(a); err == nil && strings.TrimSpace(a) != "" {
			prev = v
		} else if strings.TrimSpace(a) == "" {
			prev = 0
		}
		keys[i] = prev
	}
	order := make([]int, len(ats))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return keys[a] - keys[b] })
	return order
}

// Options returns a select's values: the allowed ones, plus current when
// it is not among them, so that a value the form cannot offer (a typo in a
// shared link) stays visible with Validate's message instead of vanishing.
func Options(allowed []string, current string) []string {
	out := slices.Clone(allowed)
	if !slices.Contains(out, current) {
		out = append(out, current)
	}
	return out
}

// ThenOptions are the route action select's values for a runtime: "" (the
// default, none) first, then each action, then each pair of actions run
// one after the other ("destroy, close") that the runtime allows.
func ThenOptions(runtime, current string) []string {
	opts := []string{""}
	rt, ok := scenario.Lookup(runtime)
	if ok {
		opts = append(opts, rt.ActionNames()...)
		for _, a := range rt.Actions {
			if a.Name == scenario.ThenNone || a.Ends {
				continue
			}
			for _, b := range rt.Actions {
				pair := scenario.Then{a.Name, b.Name}
				if b.Name != scenario.ThenNone && b.Name != a.Name && scenario.CheckThen(runtime, pair) == nil {
					opts = append(opts, JoinThen(pair))
				}
			}
		}
	}
	return Options(opts, current)
}

// JoinThen is a route's actions as the form holds them: "destroy, close";
// "" for none given.
func JoinThen(t scenario.Then) string { return strings.Join(t, ", ") }

// SplitThen reads the form's actions back: comma-separated names, spaces
// ignored; nil for "".
func SplitThen(s string) scenario.Then {
	var t scenario.Then
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			t = append(t, a)
		}
	}
	return t
}

// NewStep is the step "Add step" appends after last (nil for the first):
// a keep-alive request on the same connection half a second later.
func NewStep(last *StepForm, durationMs int) StepForm {
	st := StepForm{At: "0", Conn: "A", Action: ActRequest, Connection: "keep-alive"}
	if last != nil {
		if at, err := parseInt(last.At); err == nil {
			st.At = strconv.Itoa(min(at+500, max(durationMs, at)))
		}
		if last.Conn != "" {
			st.Conn = last.Conn
		}
	}
	return st
}

// optBool is a flag as the form holds it: "true", or "" when off.
func optBool(b bool) string {
	if b {
		return "true"
	}
	return ""
}

// ReadinessLabel names a readiness choice in the route's select.
func ReadinessLabel(v string) string {
	if v == "true" {
		return "readiness check: " + strconv.Itoa(scenario.ReadinessDrainingStatus) + " " + scenario.ReadinessDrainingBody + " once drained"
	}
	return "no"
}

// PoolNote says what the form keeps without showing it: the script's
// pooled clients (client.pools) and the steps that send through them,
// which the JSON tab edits; "" when there are none.
func (f Form) PoolNote() string {
	if len(f.Pools) == 0 && len(f.PoolSteps) == 0 {
		return ""
	}
	names := make([]string, len(f.Pools))
	for i, p := range f.Pools {
		names[i] = p.Name
	}
	clients := fmt.Sprintf("%d pooled clients (%s)", len(f.Pools), strings.Join(names, ", "))
	if len(f.Pools) == 1 {
		clients = "1 pooled client (" + names[0] + ")"
	}
	steps := fmt.Sprintf("%d steps that send through them", len(f.PoolSteps))
	if len(f.PoolSteps) == 1 {
		steps = "1 step that sends through them"
	}
	return "The script also has " + clients + " and " + steps + ", kept as they are: edit them in the JSON tab."
}
