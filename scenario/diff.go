package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// DiffOp says how one part of two scenarios differs.
type DiffOp string

// Diff operations.
const (
	DiffChanged DiffOp = "changed"
	DiffAdded   DiffOp = "added"   // only the second scenario has it
	DiffRemoved DiffOp = "removed" // only the first scenario has it
)

// Change is one difference between two scenarios, say a learner's attempt
// and a lesson's solution.
type Change struct {
	Op DiffOp
	// Path names the part as the JSON spells it: "server.keepAliveTimeoutMs",
	// `server.routes["/end"].then`, "client.steps[2].at". A step's index
	// is its place in the scenario that has it (the second one's for a
	// changed step).
	Path string
	// From and To are the values as a person reads them, a default named
	// as one ("5000 ms (the default)"); From is empty for an added part,
	// To for a removed one.
	From, To string
	// What names the part in words ("Keep-alive timeout", "route /end",
	// "the step at 1000 ms: A sends GET / HTTP/1.1").
	What string
}

// String is the change in one line: "server.keepAliveTimeoutMs: 5000 ms
// (the default) → 0 ms", "client.steps[1] added: at 1000 ms, A sends …".
func (c Change) String() string {
	switch c.Op {
	case DiffAdded:
		return c.Path + " added: " + c.To
	case DiffRemoved:
		return c.Path + " removed: " + c.From
	}
	return c.Path + ": " + c.From + " → " + c.To
}

// Diff lists how scenario b differs from scenario a, in the scenario's
// order: the runtime, the server's knobs (a knob left unset counts as its
// runtime's default, so unset and an explicit default are the same),
// routes (matched by path, the empty table as the default route),
// the proxy, the client's steps (matched in order, so a step that only
// moved in time is one change), the run's length, then the rest. The
// title and the lesson are left out: they name a scenario and change
// nothing in its run.
func Diff(a, b Scenario) []Change {
	var d differ
	d.server(a.Server, b.Server)
	d.proxy(a.Proxy, b.Proxy)
	d.pools(a, b)
	d.steps(a.Client.Steps, b.Client.Steps)
	if x, y := a.Duration().Milliseconds(), b.Duration().Milliseconds(); x != y {
		d.changed("durationMs", "Run length", msText(int(x), a.DurationMs == 0), msText(int(y), b.DurationMs == 0))
	}
	// What is left, and whatever the schema grows, compared as JSON.
	ra, rb := jsonObject(a), jsonObject(b)
	for _, k := range []string{"v", "title", "lesson", "server", "proxy", "client", "durationMs"} {
		delete(ra, k)
		delete(rb, k)
	}
	d.json("", ra, rb)
	return d.out
}

type differ struct{ out []Change }

func (d *differ) add(c Change) { d.out = append(d.out, c) }

func (d *differ) changed(path, what, from, to string) {
	d.add(Change{Op: DiffChanged, Path: path, What: what, From: from, To: to})
}

func (d *differ) server(a, b Server) {
	if a.Runtime != b.Runtime {
		d.changed("server.runtime", "Runtime", runtimeText(a.Runtime), runtimeText(b.Runtime))
	}
	for _, k := range knobCatalogue {
		x, y := knobText(a, k), knobText(b, k)
		if x.set || y.set {
			if x.value != y.value {
				d.changed("server."+k.Name, k.Label, x.text, y.text)
			}
		}
	}
	d.routes(a.Routes, b.Routes)
	// Server fields the knobs and routes do not cover.
	ra, rb := jsonObject(a), jsonObject(b)
	for _, k := range append([]string{"runtime", "routes"}, knobNames()...) {
		delete(ra, k)
		delete(rb, k)
	}
	d.json("server", ra, rb)
}

func knobNames() []string {
	out := make([]string, len(knobCatalogue))
	for i, k := range knobCatalogue {
		out[i] = k.Name
	}
	return out
}

// knobValue is a knob as one scenario has it: its effective value (for
// comparing) and how a person reads it.
type knobValue struct {
	set   bool // set, or unset with a default the runtime has
	value string
	text  string
}

func knobText(s Server, k Knob) knobValue {
	has := false
	if rt := row(s.Runtime); rt != nil {
		_, has = rt.Knob(k.Name)
	}
	explicit := false
	if p := s.BoolKnob(k.Name); p != nil {
		explicit = *p != nil
	} else if p := s.IntKnob(k.Name); p != nil {
		explicit = *p != nil
	}
	if !explicit && !has {
		return knobValue{value: "unset", text: "unset (" + Label(s.Runtime) + " has no such knob)"}
	}
	var v string
	if k.Bool {
		v = onOff(s.Bool(k.Name))
	} else {
		n := s.Int(k.Name)
		v = strconv.Itoa(n)
		if k.Unit != "" {
			v += " " + k.Unit
		}
		if w := zeroWord(k); n == 0 && w != "" {
			v += " (" + w + ")"
		}
	}
	text := v
	if !explicit {
		text += " (the default)"
	}
	return knobValue{set: true, value: v, text: text}
}

// zeroWord is what 0 means for a number knob, as its help says it in a
// word or two ("0: off."): "off", "never", "no limit".
func zeroWord(k Knob) string {
	_, after, ok := strings.Cut(k.Help, "0: ")
	if !ok {
		return ""
	}
	w, _, _ := strings.Cut(after, ".")
	w, _, _ = strings.Cut(w, ",")
	if len(w) > len("no limit") {
		return ""
	}
	return w
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func runtimeText(name string) string {
	if l := Label(name); l != name {
		return l + " (" + name + ")"
	}
	return strconv.Quote(name)
}

// msText is a duration in ms, noting a default.
func msText(ms int, dflt bool) string {
	s := strconv.Itoa(ms) + " ms"
	if dflt {
		s += " (the default)"
	}
	return s
}

// routes compares route tables by path, in order: the first route that
// matches answers, so a path is what a person knows a route by.
func (d *differ) routes(a, b []Route) {
	if len(a) == 0 {
		a = DefaultRoutes()
	}
	if len(b) == 0 {
		b = DefaultRoutes()
	}
	key := func(r Route) string { return r.Path }
	pairs := align(a, b, func(x, y Route) bool { return key(x) == key(y) })
	for _, p := range pairs {
		switch {
		case p.a < 0:
			r := b[p.b]
			d.add(Change{Op: DiffAdded, Path: routePath(r.Path), What: "route " + r.Path, To: routeText(r)})
		case p.b < 0:
			r := a[p.a]
			d.add(Change{Op: DiffRemoved, Path: routePath(r.Path), What: "route " + r.Path, From: routeText(r)})
		default:
			d.route(a[p.a], b[p.b])
		}
	}
	// A route that moved is removed at one place and added at another:
	// say it moved, since the order decides which route answers.
	d.moved()
}

func routePath(path string) string { return "server.routes[" + strconv.Quote(path) + "]" }

func (d *differ) route(a, b Route) {
	p, what := routePath(b.Path), "route "+b.Path
	if x, y := a.Code(), b.Code(); x != y {
		d.changed(p+".status", what+": status", strconv.Itoa(x), strconv.Itoa(y))
	}
	if a.Body != b.Body {
		d.changed(p+".body", what+": body", strconv.Quote(a.Body), strconv.Quote(b.Body))
	}
	if a.DelayMs != b.DelayMs {
		d.changed(p+".delayMs", what+": delay", msText(a.DelayMs, false), msText(b.DelayMs, false))
	}
	if x, y := thenText(a.Actions()), thenText(b.Actions()); x != y {
		d.changed(p+".then", what+": then", x, y)
	}
	if a.Readiness != b.Readiness {
		d.changed(p+".readiness", what+": readiness check", onOff(a.Readiness), onOff(b.Readiness))
	}
}

func thenText(t Then) string { return strings.Join(t, ", ") }

func routeText(r Route) string {
	s := fmt.Sprintf("%s answers %d %s", r.Path, r.Code(), strconv.Quote(r.Body))
	if r.DelayMs > 0 {
		s += fmt.Sprintf(" after %d ms", r.DelayMs)
	}
	if t := r.Actions(); len(t) > 0 && !(len(t) == 1 && t[0] == ThenNone) {
		s += ", then " + thenText(t)
	}
	if r.Readiness {
		s += " (a readiness check)"
	}
	return s
}

// moved turns a removed route and an added route of the same path into
// one change.
func (d *differ) moved() {
	for i := 0; i < len(d.out); i++ {
		c := d.out[i]
		if c.Op != DiffRemoved || !strings.HasPrefix(c.Path, "server.routes[") || strings.Contains(c.Path, "].") {
			continue
		}
		j := slices.IndexFunc(d.out, func(o Change) bool { return o.Op == DiffAdded && o.Path == c.Path })
		if j < 0 {
			continue
		}
		d.out[i] = Change{Op: DiffChanged, Path: c.Path + " (order)", What: c.What + ": place in the table",
			From: c.From, To: d.out[j].To}
		d.out = slices.Delete(d.out, j, j+1)
	}
}

func (d *differ) proxy(a, b *Proxy) {
	switch {
	case a == nil && b == nil:
		return
	case a == nil:
		d.add(Change{Op: DiffAdded, Path: "proxy", What: "a proxy in front of the server", To: compactJSON(b)})
		return
	case b == nil:
		d.add(Change{Op: DiffRemoved, Path: "proxy", What: "the proxy in front of the server", From: compactJSON(a)})
		return
	}
	if a.Kind != b.Kind {
		d.changed("proxy.kind", "Proxy", a.Kind, b.Kind)
	}
	// Unset knobs as the proxy's defaults, so unset and default agree.
	x, y := a.clone(), b.clone()
	x.withDefaults()
	y.withDefaults()
	ra, rb := jsonObject(x), jsonObject(y)
	delete(ra, "kind")
	delete(rb, "kind")
	start := len(d.out)
	d.json("proxy", ra, rb)
	for i := start; i < len(d.out); i++ {
		d.out[i].What = "the proxy's " + d.out[i].What
	}
}

// steps compares the client's scripts. Equal steps anchor the match;
// between anchors a step of the same connection and action pairs with
// the next one, so that moving a step in time or changing its bytes is
// one change, not a removal and an addition.
func (d *differ) steps(a, b []Step) {
	pairs := align(a, b, func(x, y Step) bool { return compactJSON(x) == compactJSON(y) })
	var gapA, gapB []int
	// seenB counts b's steps before the gap: the gap's place in b.
	seenB := 0
	flush := func() {
		used := make([]bool, len(gapB))
		var out []pair
		for _, i := range gapA {
			k := -1
			for n, j := range gapB {
				if !used[n] && a[i].Conn == b[j].Conn && a[i].Pool == b[j].Pool && stepAction(a[i]) == stepAction(b[j]) {
					k = n
					break
				}
			}
			if k < 0 {
				out = append(out, pair{i, -1})
				continue
			}
			used[k] = true
			out = append(out, pair{i, gapB[k]})
		}
		for k, j := range gapB {
			if !used[k] {
				out = append(out, pair{-1, j})
			}
		}
		// In the order of the run: an added or changed step at its place
		// in b, a removed one before the gap's other steps (what went,
		// then what came).
		order := func(p pair) int {
			if p.b >= 0 {
				return 2 * p.b
			}
			return 2*(seenB-len(gapB)) - 1
		}
		slices.SortStableFunc(out, func(p, q pair) int { return order(p) - order(q) })
		for _, p := range out {
			d.step(a, b, p)
		}
		gapA, gapB = gapA[:0], gapB[:0]
	}
	for _, p := range pairs {
		switch {
		case p.a < 0:
			gapB = append(gapB, p.b)
			seenB++
		case p.b < 0:
			gapA = append(gapA, p.a)
		default:
			flush()
			seenB++
		}
	}
	flush()
}

func (d *differ) step(a, b []Step, p pair) {
	switch {
	case p.a < 0:
		s := b[p.b]
		d.add(Change{Op: DiffAdded, Path: stepPath(p.b), What: "a step of " + stepWho(s), To: stepText(s)})
	case p.b < 0:
		s := a[p.a]
		d.add(Change{Op: DiffRemoved, Path: stepPath(p.a), What: "a step of " + stepWho(s), From: stepText(s)})
	default:
		x, y := a[p.a], b[p.b]
		path, what := stepPath(p.b), "the step where "+stepAct(y)
		if x.At != y.At {
			d.changed(path+".at", what+": when", msText(x.At, false), msText(y.At, false))
		}
		switch {
		case x.Send != nil && y.Send != nil && *x.Send != *y.Send:
			d.changed(path+".send", what+": bytes", strconv.Quote(*x.Send), strconv.Quote(*y.Send))
		case x.Request != nil && y.Request != nil:
			d.json(path+".request", jsonObject(x.Request), jsonObject(y.Request))
		}
	}
}

func stepPath(i int) string { return "client.steps[" + strconv.Itoa(i) + "]" }

// stepAction names a step's action (send, request, open, close, reset).
func stepAction(s Step) string {
	switch {
	case s.Send != nil:
		return "send"
	case s.Request != nil:
		return "request"
	case s.Open:
		return "open"
	case s.Close:
		return "close"
	case s.Reset:
		return "reset"
	}
	return ""
}

// stepText says a step as a person reads it: "at 1000 ms, A sends "GET /
// HTTP/1.1" …".
func stepText(s Step) string { return fmt.Sprintf("at %d ms, %s", s.At, stepAct(s)) }

// stepAct says what a step does: "A sends "GET / HTTP/1.1" …".
func stepAct(s Step) string {
	var act string
	switch stepAction(s) {
	case "send":
		line, rest, _ := strings.Cut(*s.Send, "\n")
		line = strings.TrimSuffix(line, "\r")
		act = "sends " + strconv.Quote(line)
		if rest != "" {
			act += " …"
		}
	case "request":
		r := s.Request
		act = "requests " + or(r.Method, DefaultMethod) + " " + or(r.Path, DefaultPath)
		if v := or(r.Version, DefaultVersion); v != DefaultVersion {
			act += " " + v
		}
	case "open":
		act = "opens"
	case "close":
		act = "half-closes (FIN)"
	case "reset":
		act = "resets (RST)"
	default:
		act = "does nothing"
	}
	if s.Pool != "" {
		return "pool " + s.Pool + " " + act
	}
	return s.Conn + " " + act
}

// stepWho names whose step it is: "connection A", "pool app".
func stepWho(s Step) string {
	if s.Pool != "" {
		return "pool " + s.Pool
	}
	return "connection " + s.Conn
}

// pools compares the script's pooled clients, matched by name: a pool
// added or removed is one change, a pool's knob another (unset knobs as
// the kind's defaults, so unset and default agree).
func (d *differ) pools(a, b Scenario) {
	pa, pb := a.Client.Pools, b.Client.Pools
	for _, x := range pa {
		if _, ok := b.Client.FindPool(x.Name); !ok {
			d.add(Change{Op: DiffRemoved, Path: poolPath(x.Name), What: "the " + poolText(x) + " pool " + x.Name, From: compactJSON(x)})
		}
	}
	for _, y := range pb {
		x, ok := a.Client.FindPool(y.Name)
		if !ok {
			d.add(Change{Op: DiffAdded, Path: poolPath(y.Name), What: "a " + poolText(y) + " pool " + y.Name, To: compactJSON(y)})
			continue
		}
		path := poolPath(y.Name)
		if x.Kind != y.Kind {
			d.changed(path+".kind", "Pool "+y.Name+": client", poolText(x), poolText(y))
			continue
		}
		x, y = x.clone(), y.clone()
		x.withDefaults(a.Server)
		y.withDefaults(b.Server)
		ra, rb := jsonObject(x), jsonObject(y)
		delete(ra, "name")
		delete(rb, "name")
		delete(ra, "kind")
		delete(rb, "kind")
		start := len(d.out)
		d.json(path, ra, rb)
		for i := start; i < len(d.out); i++ {
			d.out[i].What = "pool " + y.Name + "'s " + d.out[i].What
		}
	}
}

func poolPath(name string) string { return "client.pools[" + strconv.Quote(name) + "]" }

// poolText names a pool's client for a person.
func poolText(p Pool) string {
	switch p.Kind {
	case PoolGo:
		return "Go net/http"
	case PoolNodeAgent:
		return "Node http.Agent"
	}
	return p.Kind
}

func or(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

// json compares two JSON objects field by field, lists by place when
// they are as long, else as a whole.
func (d *differ) json(path string, a, b map[string]any) {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	}) {
		p := k
		if path != "" {
			p = path + "." + k
		}
		d.value(p, a[k], b[k], k)
	}
}

func (d *differ) value(path string, a, b any, what string) {
	switch {
	case a == nil && b == nil:
	case a == nil:
		d.add(Change{Op: DiffAdded, Path: path, What: what, To: compactJSON(b)})
	case b == nil:
		d.add(Change{Op: DiffRemoved, Path: path, What: what, From: compactJSON(a)})
	default:
		ma, okA := a.(map[string]any)
		mb, okB := b.(map[string]any)
		if okA && okB {
			d.json(path, ma, mb)
			return
		}
		la, okA := a.([]any)
		lb, okB := b.([]any)
		if okA && okB && len(la) == len(lb) {
			for i := range la {
				d.value(fmt.Sprintf("%s[%d]", path, i), la[i], lb[i], what)
			}
			return
		}
		if x, y := compactJSON(a), compactJSON(b); x != y {
			d.changed(path, what, x, y)
		}
	}
}

// jsonObject is v as a generic JSON object (nil for anything else).
func jsonObject(v any) map[string]any {
	data, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	return m
}

// compactJSON writes v as compact JSON without HTML escaping.
func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// pair matches element a of one list with element b of the other; -1
// for none.
type pair struct{ a, b int }

// maxAlignCells bounds the table align fills (rows × columns): past it,
// the lists' unequal middle is listed as removed, then added.
const maxAlignCells = 4 << 20

// align matches two lists in order by their longest common subsequence,
// after their common start and end: the pairs cover every element of
// both, in order.
func align[T any](a, b []T, eq func(x, y T) bool) []pair {
	var out []pair
	pre := 0
	for pre < len(a) && pre < len(b) && eq(a[pre], b[pre]) {
		out = append(out, pair{pre, pre})
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && eq(a[len(a)-1-suf], b[len(b)-1-suf]) {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	n, m := len(ma), len(mb)
	if n*m > maxAlignCells {
		for i := range ma {
			out = append(out, pair{pre + i, -1})
		}
		for j := range mb {
			out = append(out, pair{-1, pre + j})
		}
	} else {
		// lcs[i][j]: the longest common subsequence of ma[i:] and mb[j:].
		lcs := make([]int32, (n+1)*(m+1))
		at := func(i, j int) *int32 { return &lcs[i*(m+1)+j] }
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if eq(ma[i], mb[j]) {
					*at(i, j) = *at(i+1, j+1) + 1
				} else {
					*at(i, j) = max(*at(i+1, j), *at(i, j+1))
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && eq(ma[i], mb[j]):
				out = append(out, pair{pre + i, pre + j})
				i++
				j++
			case i < n && (j == m || *at(i+1, j) >= *at(i, j+1)):
				// Removals before additions at a tie read better: what
				// went, then what came.
				out = append(out, pair{pre + i, -1})
				i++
			default:
				out = append(out, pair{-1, pre + j})
				j++
			}
		}
	}
	for k := suf; k > 0; k-- {
		out = append(out, pair{len(a) - k, len(b) - k})
	}
	return out
}

// LineOp marks a line of a line-level diff.
type LineOp byte

// Line operations.
const (
	LineSame    LineOp = ' '
	LineRemoved LineOp = '-'
	LineAdded   LineOp = '+'
	// LineFolded stands for unchanged lines left out; Text says how many.
	LineFolded LineOp = '~'
)

// Line is one line of a line-level diff.
type Line struct {
	Op   LineOp
	Text string
}

// DiffLines compares two texts line by line (a unified diff's body),
// folding unchanged runs to context lines around each change.
func DiffLines(a, b string, context int) []Line {
	la, lb := splitLines(a), splitLines(b)
	var all []Line
	for _, p := range align(la, lb, func(x, y string) bool { return x == y }) {
		switch {
		case p.a < 0:
			all = append(all, Line{LineAdded, lb[p.b]})
		case p.b < 0:
			all = append(all, Line{LineRemoved, la[p.a]})
		default:
			all = append(all, Line{LineSame, la[p.a]})
		}
	}
	// Keep the lines within context of a change.
	keep := make([]bool, len(all))
	for i, l := range all {
		if l.Op == LineSame {
			continue
		}
		for k := max(0, i-context); k <= min(len(all)-1, i+context); k++ {
			keep[k] = true
		}
	}
	var out []Line
	for i := 0; i < len(all); {
		if keep[i] {
			out = append(out, all[i])
			i++
			continue
		}
		j := i
		for j < len(all) && !keep[j] {
			j++
		}
		n := j - i
		word := "lines"
		if n == 1 {
			word = "line"
		}
		out = append(out, Line{LineFolded, fmt.Sprintf("%d unchanged %s", n, word)})
		i = j
	}
	return out
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// Indented writes s as indented JSON, one field a line, the form a
// line-level diff of two scenarios reads best in.
func Indented(s *Scenario) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return "", err
	}
	return b.String(), nil
}
