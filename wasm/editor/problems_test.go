package editor

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
)

// atTheTop are the problems the editor shows only in its summary at the
// top: the scenario as a whole, and fields the form has no control for.
var atTheTop = []string{"", "v", "lesson"}

// shownAtTheTop reports whether a problem at field is one the summary
// alone shows: atTheTop, or one about the script's pooled clients, which
// the form keeps without showing (the JSON tab edits them).
func shownAtTheTop(field string) bool {
	if slices.Contains(atTheTop, field) {
		return true
	}
	p, _ := scenario.ParsePath(field)
	_, ok := p.Under("client", "pools")
	return ok
}

// TestEveryValidatorProblemMapsToAField runs Validate over scenarios
// broken in every part of the schema — every knob of every runtime and
// proxy kind out of range or not offered, routes, steps of every action,
// requests, checks, the limits on lists — and requires that each problem
// it reports maps, through its Path, to a control of the form, or is one
// the summary at the top shows.
func TestEveryValidatorProblemMapsToAField(t *testing.T) {
	shapes := map[string]bool{}
	n := 0
	for name, sc := range brokenCorpus(t) {
		f := FromScenario(sc)
		keys := f.Keys()
		// The form's own check: its scenario's steps are the form's rows,
		// then the pool steps it keeps, so the indexes are the rows'.
		_, err := f.Check()
		ps, _ := err.(scenario.Problems)
		ps = append(ps, sc.HopWarnings()...)
		for _, p := range ps {
			n++
			shapes[shape(p.Field)] = true
			k := f.Control(p.Path())
			switch {
			case k == "" && shownAtTheTop(p.Field):
			case k == "":
				t.Errorf("%s: problem %q has no place in the form (and is not one the summary shows alone)", name, p)
			case !slices.Contains(keys, k):
				t.Errorf("%s: problem %q maps to %q, which is no control", name, p, k)
			}
		}
	}
	// The corpus must keep reaching the validator's corners: a test over a
	// few problems would pass without saying anything.
	t.Logf("%d problems over %d field shapes", n, len(shapes))
	if n < 300 || len(shapes) < 45 {
		t.Fatalf("the corpus produced %d problems over %d field shapes; want at least 300 over 45:\n%s", n, len(shapes), strings.Join(sortedKeys(shapes), "\n"))
	}
}

// shape is a field with its indexes written [i].
func shape(field string) string {
	p, ok := scenario.ParsePath(field)
	if !ok {
		return field
	}
	for i := range p {
		if p[i].Index >= 0 {
			p[i].Index = 0
		}
	}
	return p.String()
}

func sortedKeys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// brokenCorpus is scenarios each broken in one part of the schema, by
// name, written as JSON so that any knob can be set by its name.
func brokenCorpus(t *testing.T) map[string]scenario.Scenario {
	t.Helper()
	out := map[string]scenario.Scenario{}
	add := func(name string, v map[string]any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var sc scenario.Scenario
		if err := json.Unmarshal(b, &sc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = sc
	}
	base := func(server map[string]any, client []any) map[string]any {
		return map[string]any{"v": 1, "server": server, "client": map[string]any{"steps": client}}
	}
	get := map[string]any{"method": "GET", "path": "/"}
	// Every knob of the catalogue on every runtime: out of range below and
	// above (or a switch on a runtime without it).
	for _, rt := range scenario.RuntimeNames() {
		for _, k := range Knobs {
			vals := []any{k.Min - 1, k.Max + 1}
			if k.Bool {
				vals = []any{true}
			}
			for _, v := range vals {
				add(rt+"/"+k.Name, base(map[string]any{"runtime": rt, k.Name: v}, nil))
			}
		}
		// Routes: bad path, status, body, delay, actions; too many.
		routes := []any{
			map[string]any{"path": "a*b", "status": 1, "body": strings.Repeat("b", scenario.MaxBodyBytes+1), "delayMs": -1, "then": []string{"nope", "shutdown", "closeIdle"}},
			map[string]any{"path": "", "status": 1000, "delayMs": 1 << 30, "then": "exit", "readiness": true},
			map[string]any{"path": "/x", "then": []string{"drain"}},
		}
		add(rt+"/routes", base(map[string]any{"runtime": rt, "routes": routes}, nil))
		many := make([]any, scenario.MaxRoutes+1)
		for i := range many {
			many[i] = map[string]any{"path": "*"}
		}
		add(rt+"/many routes", base(map[string]any{"runtime": rt, "routes": many}, nil))
	}
	add("unknown runtime", base(map[string]any{"runtime": "nope"}, nil))
	add("top", map[string]any{"v": 9, "title": strings.Repeat("t", 500), "lesson": strings.Repeat("l", 500), "durationMs": -1,
		"server": map[string]any{"runtime": "node20"}})
	// Steps: every action, none, several, bad labels and times, bad requests.
	steps := []any{
		map[string]any{"at": -1, "conn": "", "open": true, "close": true},
		map[string]any{"at": 1 << 30, "conn": "A", "send": strings.Repeat("s", scenario.MaxSendBytes+1)},
		map[string]any{"conn": "1bad"},
		map[string]any{"conn": "A", "reset": true, "send": "x"},
		map[string]any{"conn": "A", "request": map[string]any{"method": "(", "path": "a b", "version": "x", "body": strings.Repeat("b", scenario.MaxBodyBytes+1),
			"headers": map[string]string{"a b": "\n", "": "v", "X.Y": "\x00", "Connection": "close", "connection": "close", "Content-Length": "x"}}},
		map[string]any{"conn": "A", "request": map[string]any{"method": "GET", "path": "", "version": "HTTP/2"}},
		map[string]any{"conn": "A", "request": map[string]any{}},
		map[string]any{"conn": "u1", "request": get},
	}
	add("steps", base(map[string]any{"runtime": "node20"}, steps))
	manySteps := make([]any, scenario.MaxSteps+1)
	for i := range manySteps {
		manySteps[i] = map[string]any{"conn": "A", "request": get}
	}
	add("many steps", base(map[string]any{"runtime": "node20"}, manySteps))
	// Proxies: every knob of the list on every kind, out of range.
	for _, kind := range append(slices.Clone(scenario.ProxyKinds), "nope") {
		for _, k := range ProxyKnobs {
			var vals []any
			switch {
			case k.Bool:
				vals = []any{true}
			case k.Words:
				vals = []any{[]string{"bogus", "error"}}
			default:
				vals = []any{k.Min - 1, k.Max + 1}
			}
			for _, v := range vals {
				sc := base(map[string]any{"runtime": "node20", "keepAliveTimeoutMs": 1000}, []any{map[string]any{"conn": "u1", "request": get}})
				sc["proxy"] = map[string]any{"kind": kind, k.Name: v}
				add("proxy "+kind+"/"+k.Name, sc)
			}
		}
	}
	// Pooled clients and steps that send through them, between the
	// form's own steps.
	sc := base(map[string]any{"runtime": "node20"}, []any{
		map[string]any{"conn": "A", "request": get},
		map[string]any{"pool": "nope", "conn": "A", "request": map[string]any{"method": "("}},
		map[string]any{"at": -1, "conn": "B", "request": get},
		map[string]any{"pool": "app", "send": "x"},
	})
	sc["client"].(map[string]any)["pools"] = []any{
		map[string]any{"name": "", "kind": "nope"},
		map[string]any{"name": "pool", "kind": scenario.PoolGo, "idleConnTimeoutMs": -1, "maxIdleConnsPerHost": -1, "keepAliveMsecs": -1},
		map[string]any{"name": "app", "kind": scenario.PoolNodeAgent, "maxSockets": -1, "timeoutMs": -1, "scheduling": "nope", "runtime": "go"},
		map[string]any{"name": "app", "kind": scenario.PoolNodeAgent},
	}
	add("pools", sc)
	// Checks: unknown kinds, bad fields, too many.
	checks := []any{
		map[string]any{"match": map[string]any{"kind": "nope", "conn": "1"}},
		map[string]any{"match": map[string]any{"kind": "close", "by": "nobody", "reason": "nope"}, "within": map[string]any{"min": 5, "max": 1}},
		map[string]any{},
	}
	sc = base(map[string]any{"runtime": "node20"}, nil)
	sc["checks"] = checks
	add("checks", sc)
	manyChecks := make([]any, scenario.MaxChecks+1)
	for i := range manyChecks {
		manyChecks[i] = map[string]any{"match": map[string]any{"kind": "exit"}}
	}
	sc = base(map[string]any{"runtime": "node20"}, nil)
	sc["checks"] = manyChecks
	add("many checks", sc)
	return out
}
