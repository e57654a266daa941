package scenario

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/keepalive-playground/playground/timeline"
)

// Problem is one thing wrong with a scenario, named by its JSON path.
type Problem struct {
	Field string // JSON path, e.g. server.routes[2].then
	Msg   string
	// Where is Field as parts, as Validate built it (nil for a problem
	// made with a Field alone; Path reads that back).
	Where Path `json:"-"`
}

func (p Problem) String() string {
	if p.Field == "" {
		return p.Msg
	}
	return p.Field + ": " + p.Msg
}

// Problems is every problem Validate found, in field order. Showing them
// all at once saves a person editing JSON by hand a round trip per typo.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// add notes a problem at the field at (nil: the scenario as a whole).
func (ps *Problems) add(at Path, format string, args ...any) {
	*ps = append(*ps, Problem{Field: at.String(), Msg: fmt.Sprintf(format, args...), Where: at})
}

// Thens returns the route actions a runtime offers, by name (nil for an
// unknown runtime).
func Thens(runtime string) []string {
	if rt := row(runtime); rt != nil {
		return rt.ActionNames()
	}
	return nil
}

// IsNode reports whether the runtime is one of the Node release lines.
func IsNode(runtime string) bool {
	rt := row(runtime)
	return rt != nil && rt.IsNode()
}

// ValidConn reports whether label may name a connection: a letter, then
// up to 15 letters, digits, '_' or '-'. Labels show on the timeline and in
// messages, so they stay short and printable.
//
// It matches the same language as `^[A-Za-z][A-Za-z0-9_-]{0,15}$`, written
// out by hand so that package regexp stays out of the browser's wasm.
func ValidConn(label string) bool {
	if len(label) == 0 || len(label) > 16 || !isASCIILetter(label[0]) {
		return false
	}
	for i := 1; i < len(label); i++ {
		c := label[i]
		if !isASCIILetter(c) && !isASCIIDigit(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

// token is RFC 9110's token, the form of methods and header names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Validate reports every problem with the scenario as Problems, or nil.
func (s *Scenario) Validate() error {
	var ps Problems
	if s.V != Version {
		ps.add(Fields("v"), "must be %d, the schema version this build writes (got %d)", Version, s.V)
	}
	if n := utf8.RuneCountInString(s.Title); n > MaxTitleChars {
		ps.add(Fields("title"), "%d characters; the limit is %d", n, MaxTitleChars)
	}
	if n := utf8.RuneCountInString(s.Lesson); n > MaxLessonChars {
		ps.add(Fields("lesson"), "%d characters; the limit is %d", n, MaxLessonChars)
	}
	s.Server.validate(&ps)
	if s.Proxy != nil {
		s.Proxy.validate(&ps)
	}
	duration := s.DurationMs
	if duration == 0 {
		duration = DefaultDurationMs
	}
	if s.DurationMs < 0 || s.DurationMs > MaxDurationMs {
		ps.add(Fields("durationMs"), "%d is outside 1..%d (0 or unset means %d)", s.DurationMs, MaxDurationMs, DefaultDurationMs)
	}
	s.Client.validate(&ps, duration)
	s.Client.validatePools(&ps, s.Server, s.Proxy != nil)
	if s.Proxy != nil {
		for i, st := range s.Client.Steps {
			if IsUpstreamLabel(st.Conn) {
				ps.add(Fields("client", "steps").At(i).Dot("conn"), "%q names one of the proxy's upstream connections (u1, u2, …); give the client's connection another label", st.Conn)
			}
		}
	}
	if len(s.Checks) > MaxChecks {
		ps.add(Fields("checks"), "%d checks; the limit is %d", len(s.Checks), MaxChecks)
	}
	for i, c := range s.Checks {
		field := Fields("checks").At(i)
		if err := c.Validate(); err != nil {
			addCheckProblems(&ps, field, err)
		}
		if c.Conn != "" && !ValidConn(c.Conn) {
			ps.add(field.Dot("conn"), "%q is not a connection label", c.Conn)
		}
		if c.Since != nil && c.Since.Conn != "" && c.Since.Conn != timeline.AnyConn && !ValidConn(c.Since.Conn) {
			ps.add(field.Dot("since", "conn"), "%q is not a connection label", c.Since.Conn)
		}
	}
	if s.Compare != nil && len(ps) == 0 {
		if _, err := s.Variants(); err != nil {
			ps.add(nil, "%s", err)
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// addCheckProblems lifts a check's field errors under the check's path.
func addCheckProblems(ps *Problems, field Path, err error) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var fe *timeline.FieldError
		if errors.As(e, &fe) {
			// A check's own fields come from package timeline as text.
			if sub, ok := ParsePath(fe.Field); ok {
				ps.add(append(field.Dot(), sub...), "%s", fe.Msg)
			} else {
				ps.add(field.Dot(fe.Field), "%s", fe.Msg)
			}
		} else {
			ps.add(field, "%s", e.Error())
		}
	}
}

func checkMs(ps *Problems, field Path, p *int, max int) {
	if p != nil && (*p < 0 || *p > max) {
		ps.add(field, "%d is outside 0..%d", *p, max)
	}
}

func (sv *Server) validate(ps *Problems) {
	names := strings.Join(RuntimeNames(), ", ")
	rt := row(sv.Runtime)
	switch {
	case sv.Runtime == "":
		ps.add(Fields("server", "runtime"), "missing; one of %s", names)
	case rt == nil:
		ps.add(Fields("server", "runtime"), "%q is not one of %s", sv.Runtime, names)
	}
	for _, k := range knobCatalogue {
		field := Fields("server", k.Name)
		set := false
		if p := sv.BoolKnob(k.Name); p != nil {
			set = *p != nil
		} else if p := sv.IntKnob(k.Name); *p != nil {
			set = true
			own := k
			if rt != nil {
				if rk, ok := rt.Knob(k.Name); ok {
					own = rk
				}
			}
			if v := **p; v < own.Min || v > own.Max {
				ps.add(field, "%d is outside %d..%d", v, own.Min, own.Max)
			}
		}
		if set && rt != nil {
			if _, ok := rt.Knob(k.Name); !ok {
				ps.add(field, "%s", notOffered(k.Name, rt))
			}
		}
	}
	if rt != nil && rt.IsNode() {
		// Node's http.Server constructor throws ERR_OUT_OF_RANGE for this
		// combination; the playground says so before starting anything.
		if h, r := sv.HeadersTimeout(), sv.RequestTimeout(); r > 0 && h > 0 && h > r {
			ps.add(Fields("server", "headersTimeoutMs"), "%d must be <= requestTimeoutMs (%d), as Node requires", h.Milliseconds(), r.Milliseconds())
		}
	}

	if len(sv.Routes) > MaxRoutes {
		ps.add(Fields("server", "routes"), "%d routes; the limit is %d", len(sv.Routes), MaxRoutes)
	}
	for i, r := range sv.Routes {
		field := Fields("server", "routes").At(i)
		if err := checkRoutePath(r.Path); err != nil {
			ps.add(field.Dot("path"), "%s", err)
		}
		if r.Status != 0 && (r.Status < 100 || r.Status > 599) {
			ps.add(field.Dot("status"), "%d is outside 100..599", r.Status)
		}
		if len(r.Body) > MaxBodyBytes {
			ps.add(field.Dot("body"), "%d bytes; the limit is %d", len(r.Body), MaxBodyBytes)
		}
		if r.DelayMs < 0 || r.DelayMs > MaxDelayMs {
			ps.add(field.Dot("delayMs"), "%d is outside 0..%d", r.DelayMs, MaxDelayMs)
		}
		if rt != nil {
			checkThen(ps, field.Dot("then"), r.Then, rt)
		}
	}
}

// CheckThen reports what is wrong with a route's actions on a runtime
// (nil when nothing is), as Validate words it: the editor offers only
// lists that pass.
func CheckThen(runtime string, then Then) error {
	rt := row(runtime)
	if rt == nil {
		return fmt.Errorf("%q is not a runtime", runtime)
	}
	var ps Problems
	checkThen(&ps, Fields("then"), then, rt)
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// checkThen checks a route's actions against its runtime: each one it
// offers, "none" alone, none twice, and one that ends the handler only
// last.
func checkThen(ps *Problems, field Path, then Then, rt *Runtime) {
	if len(then) > MaxThenActions {
		ps.add(field, "%d actions; the limit is %d", len(then), MaxThenActions)
		return
	}
	where := func(i int) string {
		if len(then) == 1 {
			return ""
		}
		return fmt.Sprintf("action %d: ", i+1)
	}
	for i, name := range then {
		a, ok := rt.Action(name)
		switch {
		case !ok:
			ps.add(field, "%s%q is not one of %s", where(i), name, strings.Join(rt.ActionNames(), ", "))
		case name == ThenNone && len(then) > 1:
			ps.add(field, "%s%q means no action; it cannot be listed with others", where(i), name)
		case slices.Contains(then[:i], name):
			ps.add(field, "%s%q is listed twice", where(i), name)
		case a.Ends && i < len(then)-1:
			ps.add(field, "%snothing runs after %q (%s): it can only be the last action", where(i), name, a.Call)
		case name == ThenDestroy && a.Ends && slices.Contains(then[:i], ThenDrain):
			// Go's destroy is a panic that aborts the handler; the actions
			// after drain run when the handler has long returned.
			ps.add(field, "%s%q (%s) aborts the handler, which has returned when the drain period ends: it cannot follow %q", where(i), name, a.Call, ThenDrain)
		}
	}
}

// notOffered says which runtimes have a knob that rt lacks: "only for the
// node runtimes" or "only for the go runtime" when a whole language has
// it, else the release lines that have it by name.
func notOffered(knob string, rt *Runtime) string {
	var have []string
	langs := map[Language]int{} // runtimes per language that have it
	for _, other := range runtimeTable {
		if _, ok := other.Knob(knob); ok {
			have = append(have, other.Name)
			langs[other.Language]++
		}
	}
	if len(langs) == 1 {
		for l, n := range langs {
			if n == countLanguage(l) {
				if n == 1 {
					return fmt.Sprintf("only for the %s runtime", l)
				}
				return fmt.Sprintf("only for the %s runtimes", l)
			}
		}
	}
	return fmt.Sprintf("only for %s; %s does not have it", strings.Join(have, ", "), rt.Name)
}

func countLanguage(l Language) int {
	n := 0
	for _, rt := range runtimeTable {
		if rt.Language == l {
			n++
		}
	}
	return n
}

func checkRoutePath(p string) error {
	switch {
	case p == "":
		return errors.New(`missing; "*", an exact path like "/end" or a prefix like "/end*"`)
	case p == "*":
		return nil
	case len(p) > MaxTargetBytes:
		return fmt.Errorf("%d bytes; the limit is %d", len(p), MaxTargetBytes)
	case p[0] != '/':
		return fmt.Errorf(`%q must start with "/" (or be "*")`, p)
	case strings.Contains(strings.TrimSuffix(p, "*"), "*"):
		return fmt.Errorf(`%q: "*" may only end a prefix`, p)
	}
	for _, c := range []byte(p) {
		if c <= ' ' || c == 0x7f {
			return fmt.Errorf("%q has a space or control character", p)
		}
	}
	return nil
}

func (c *Client) validate(ps *Problems, durationMs int) {
	if len(c.Steps) > MaxSteps {
		ps.add(Fields("client", "steps"), "%d steps; the limit is %d", len(c.Steps), MaxSteps)
	}
	conns := map[string]bool{}
	for i, st := range c.Steps {
		field := Fields("client", "steps").At(i)
		if st.At < 0 || st.At > durationMs {
			ps.add(field.Dot("at"), "%d is outside 0..%d (durationMs)", st.At, durationMs)
		}
		if st.Pool != "" {
			c.validatePoolStep(ps, field, st)
			if st.Request != nil {
				st.Request.validate(ps, field.Dot("request"))
			}
			continue
		}
		switch {
		case st.Conn == "":
			ps.add(field.Dot("conn"), "missing; a label such as \"A\"")
		case !ValidConn(st.Conn):
			ps.add(field.Dot("conn"), "%q is not a label: a letter, then up to %d letters, digits, '_' or '-'", st.Conn, MaxConnLabelLen-1)
		case c.PoolOf(st.Conn) != "":
			ps.add(field.Dot("conn"), "%q is a connection of pool %q; give the step's connection another label", st.Conn, c.PoolOf(st.Conn))
		case !conns[st.Conn]:
			conns[st.Conn] = true
			if len(conns) == MaxConns+1 {
				ps.add(field.Dot("conn"), "more than %d connections", MaxConns)
			}
		}
		actions := 0
		for _, set := range []bool{st.Send != nil, st.Request != nil, st.Open, st.Close, st.Reset} {
			if set {
				actions++
			}
		}
		if actions != 1 {
			ps.add(field, "needs exactly one of send, request, open, close, reset (has %d)", actions)
		}
		if st.Send != nil && len(*st.Send) > MaxSendBytes {
			ps.add(field.Dot("send"), "%d bytes; the limit is %d", len(*st.Send), MaxSendBytes)
		}
		if st.Request != nil {
			st.Request.validate(ps, field.Dot("request"))
		}
	}
}

// Validate checks one request on its own, as a step's request is checked
// in a scenario: the page's request composer builds requests outside any
// scenario and shows the same sentences. Problems name fields of the
// request itself (method, headers.Host, …).
func (r *Request) Validate() error {
	var ps Problems
	r.validate(&ps, nil)
	if len(ps) > 0 {
		return ps
	}
	return nil
}

func (r *Request) validate(ps *Problems, field Path) {
	if r.Method != "" && !isToken(r.Method) {
		ps.add(field.Dot("method"), "%q is not an HTTP method token", r.Method)
	}
	if r.Path != "" {
		if len(r.Path) > MaxTargetBytes {
			ps.add(field.Dot("path"), "%d bytes; the limit is %d", len(r.Path), MaxTargetBytes)
		}
		if strings.ContainsAny(r.Path, " \t\r\n") {
			ps.add(field.Dot("path"), "%q has whitespace; it would break the request line", r.Path)
		}
	}
	if r.Version != "" && r.Version != "HTTP/1.0" && r.Version != "HTTP/1.1" {
		ps.add(field.Dot("version"), "%q is not one of HTTP/1.0, HTTP/1.1", r.Version)
	}
	if len(r.Headers) > MaxHeaders {
		ps.add(field.Dot("headers"), "%d headers; the limit is %d", len(r.Headers), MaxHeaders)
	}
	lower := map[string]string{}
	for _, name := range sortedKeys(r.Headers) {
		hf := field.Dot("headers", name)
		if !isToken(name) {
			ps.add(hf, "%q is not a header name token", name)
		}
		if strings.ContainsAny(r.Headers[name], "\r\n\x00") {
			ps.add(hf, "the value has CR, LF or NUL")
		}
		if prev, dup := lower[strings.ToLower(name)]; dup {
			ps.add(hf, "duplicates %q (header names ignore case)", prev)
		}
		lower[strings.ToLower(name)] = name
	}
	if len(r.Body) > MaxBodyBytes {
		ps.add(field.Dot("body"), "%d bytes; the limit is %d", len(r.Body), MaxBodyBytes)
	}
	if n := len(r.Bytes()); n > MaxSendBytes {
		ps.add(field, "renders to %d bytes; the limit is %d", n, MaxSendBytes)
	}
}
