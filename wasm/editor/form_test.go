package editor

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

func ip(v int) *int       { return &v }
func bp(v bool) *bool     { return &v }
func sp(s string) *string { return &s }

// roundTrip is what Set followed by reading the form back does.
func roundTrip(t *testing.T, sc scenario.Scenario) {
	t.Helper()
	got, ps := FromScenario(sc).Scenario()
	if len(ps) != 0 {
		t.Fatalf("form problems: %v", ps)
	}
	if !reflect.DeepEqual(got, sc) {
		t.Fatalf("round trip changed the scenario:\n got %#v\nwant %#v", got, sc)
	}
}

func TestRoundTripExamples(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example scenarios: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := scenario.Decode(data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			roundTrip(t, *sc)
		})
	}
}

func TestRoundTrip(t *testing.T) {
	all := scenario.Scenario{
		V: 1, Title: "every field", Lesson: "keepalive-101",
		Server: scenario.Server{
			Runtime: "node18", SocketTimeoutMs: ip(0), KeepAliveTimeoutMs: ip(1),
			HeadersTimeoutMs: ip(2000), RequestTimeoutMs: ip(3000), MaxRequestsPerSocket: ip(3),
			UnrefSockets: bp(false), KeepAlive: bp(false), DrainMs: ip(250),
			Routes: []scenario.Route{
				{Path: "/slow", Status: 503, Body: "late\r\n\\\x00", DelayMs: 1500, Then: scenario.Then{scenario.ThenCloseIdle}},
				{Path: "/both", Then: scenario.Then{scenario.ThenDestroy, scenario.ThenClose}},
				{Path: "/ready", Body: "ok", Readiness: true},
				{Path: "/deploy", Then: scenario.Then{scenario.ThenDrain, scenario.ThenClose}},
				{Path: "*"},
			},
		},
		Client: scenario.Client{Steps: []scenario.Step{
			{At: 0, Conn: "A", Send: sp("GET / HTTP/1.1\r\nHost: demo\r\n\r\n")},
			{At: 0, Conn: "A", Send: sp("")},
			{At: 10, Conn: "B", Request: &scenario.Request{}},
			{At: 20, Conn: "B", Request: &scenario.Request{Method: "POST", Path: "/x?y=1", Version: "HTTP/1.0",
				Headers: map[string]string{"Connection": "close", "Host": "h", "X-Sp": " a "}, Body: "b\nody"}},
			{At: 30, Conn: "C", Request: &scenario.Request{Headers: map[string]string{"Connection": "Upgrade"}}},
			{At: 31, Conn: "C", Request: &scenario.Request{Headers: map[string]string{"connection": "close"}}},
			{At: 40, Conn: "C", Open: true},
			{At: 50, Conn: "C", Close: true},
			{At: 60, Conn: "D", Reset: true},
		}},
		DurationMs: 2000,
		Checks:     []timeline.Check{{Name: "c", Match: timeline.Match{Kind: "exit"}, Count: ip(0)}},
	}
	tests := []struct {
		name string
		sc   scenario.Scenario
	}{
		{"default", scenario.Default()},
		{"empty", scenario.Scenario{}},
		{"unset knobs node", scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "node20"}}},
		{"unset knobs go", scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "go"}}},
		{"go knobs", scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "go",
			IdleTimeoutMs: ip(0), ReadHeaderTimeoutMs: ip(100), ShutdownTimeoutMs: ip(600000), KeepAlive: bp(true),
			Routes: []scenario.Route{{Path: "/end", Then: scenario.Then{scenario.ThenShutdown}}}}}},
		{"every field", all},
		{"with defaults", all.WithDefaults()},
		// Invalid scenarios round-trip too, so that Validate's messages
		// can point at what arrived.
		{"misplaced knob", scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "go", SocketTimeoutMs: ip(5)}}},
		{"unknown runtime and then", scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "deno",
			Routes: []scenario.Route{{Path: "", Status: 42, DelayMs: -1, Then: scenario.Then{"explode"}}}}}},
		{"step without action", scenario.Scenario{V: 2, Client: scenario.Client{Steps: []scenario.Step{{At: -5, Conn: "bad label"}}}}},
		{"bad request fields", scenario.Scenario{V: 1, Client: scenario.Client{Steps: []scenario.Step{{Conn: "A",
			Request: &scenario.Request{Method: "G T", Path: "/a b", Version: "HTTP/2", Headers: map[string]string{"Bad Name": "v\r\n", "x": "1", "X": "2"}}}}}}},
		{"negative duration", scenario.Scenario{V: 1, DurationMs: -3}},
		// The form keeps the pools and their steps (after its own steps),
		// which the JSON tab edits.
		{"pools kept", scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "go"}, Client: scenario.Client{
			Pools: []scenario.Pool{{Name: "app", Kind: scenario.PoolGo, IdleConnTimeoutMs: ip(100)}, {Name: "web", Kind: scenario.PoolNodeAgent, RetryReused: true}},
			Steps: []scenario.Step{
				{At: 0, Conn: "A", Open: true},
				{At: 5, Pool: "app", Request: &scenario.Request{Path: "/a"}},
				{At: 10, Pool: "web", Request: &scenario.Request{Method: "DELETE"}},
			},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { roundTrip(t, tt.sc) })
	}
}

func TestFormShowsUnsetAsEmpty(t *testing.T) {
	f := FromScenario(scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "node20",
		KeepAliveTimeoutMs: ip(0), Routes: []scenario.Route{{Path: "*"}}}})
	if got := f.Knobs["keepAliveTimeoutMs"]; got != "0" {
		t.Errorf("explicit 0 shows as %q, want \"0\"", got)
	}
	if got, ok := f.Knobs["socketTimeoutMs"]; ok {
		t.Errorf("unset knob shows as %q, want no entry", got)
	}
	if r := f.Routes[0]; r.Status != "" || r.DelayMs != "" || r.Then != "" {
		t.Errorf("unset route fields show as %+v", r)
	}
	if f.DurationMs != "" {
		t.Errorf("unset duration shows as %q", f.DurationMs)
	}
}

func TestFormProblems(t *testing.T) {
	base := func() Form {
		return FromScenario(scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "node20",
			Routes: []scenario.Route{{Path: "*"}}},
			Client: scenario.Client{Steps: []scenario.Step{{Conn: "A", Request: &scenario.Request{}}}}})
	}
	tests := []struct {
		name  string
		edit  func(f *Form)
		field string
		msg   string
	}{
		{"knob not a number", func(f *Form) { f.Knobs["socketTimeoutMs"] = "4s" }, "server.socketTimeoutMs", `"4s" is not a whole number`},
		{"fraction", func(f *Form) { f.Routes[0].DelayMs = "1.5" }, "server.routes[0].delayMs", `"1.5" is not a whole number`},
		{"browser bad input", func(f *Form) { f.BadInput = []string{"durationMs"} }, "durationMs", "not a number"},
		{"bad escape", func(f *Form) { f.Routes[0].Body = `\z` }, "server.routes[0].body", `"\\z" is not an escape; use \r, \n, \t, \\ or \xHH`},
		{"bad header line", func(f *Form) { f.Steps[0].Headers = "nocolon" }, "client.steps[0].request.headers", `line 1: "nocolon" has no ":" between name and value`},
		{"connection twice", func(f *Form) { f.Steps[0].Connection = "close"; f.Steps[0].Headers = "Connection: x" }, "client.steps[0].request.headers", `"Connection" is also chosen above`},
		{"switch", func(f *Form) { f.Knobs["keepAlive"] = "maybe" }, "server.keepAlive", `"maybe" is neither true nor false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base()
			tt.edit(&f)
			_, err := f.Check()
			ps, ok := err.(scenario.Problems)
			if !ok || len(ps) != 1 || ps[0].Field != tt.field || ps[0].Msg != tt.msg {
				t.Errorf("Check() = %v, want exactly %s: %s", err, tt.field, tt.msg)
			}
		})
	}
}

// TestCheckUsesValidateMessages checks that the problems of a form that
// converts cleanly are Validate's, message for message.
func TestCheckUsesValidateMessages(t *testing.T) {
	f := FromScenario(scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "go",
		Routes: []scenario.Route{{Path: "/a"}}},
		Client: scenario.Client{Steps: []scenario.Step{{Conn: "A", Open: true}}}})
	f.Title = strings.Repeat("x", scenario.MaxTitleChars+1)
	f.Knobs["keepAliveTimeoutMs"] = "5"
	f.Knobs["idleTimeoutMs"] = "700000"
	f.Routes[0].Then = scenario.ThenCloseAll
	f.Routes[0].Path = "end"
	f.Steps[0].At = "20000"
	f.Steps[0].Conn = "1x"
	f.Steps[0].Action = ""
	f.DurationMs = "999999"

	sc, err := f.Check()
	if err == nil {
		t.Fatal("Check() = nil, want problems")
	}
	want := sc.Validate()
	if !reflect.DeepEqual(err, want) {
		t.Errorf("Check() = %v\nwant Validate's %v", err, want)
	}
	if n := len(err.(scenario.Problems)); n < 8 {
		t.Errorf("got %d problems, want one per broken field (8):\n%v", n, err)
	}
}

func TestControl(t *testing.T) {
	f := FromScenario(scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "node20",
		Routes: []scenario.Route{{Path: "*"}, {Path: "/"}, {Path: "/x"}}},
		Client: scenario.Client{Steps: []scenario.Step{
			{Conn: "A", Request: &scenario.Request{Headers: map[string]string{"Connection": "close"}}},
			{Conn: "A", Request: &scenario.Request{Headers: map[string]string{"Connection": "Upgrade"}}},
		}}})
	tests := []struct{ field, want string }{
		{"title", "title"},
		{"v", ""},
		{"lesson", ""},
		{"server.runtime", "server.runtime"},
		{"server.headersTimeoutMs", "server.headersTimeoutMs"},
		{"server.routes", KeyRoutes},
		{"server.routes[2].then", "server.routes[2].then"},
		{"server.routes[7].then", KeyRoutes},
		{"durationMs", "durationMs"},
		{"client.steps", KeySteps},
		{"client.steps[1]", "client.steps[1].action"},
		{"client.steps[0].request", "client.steps[0].action"},
		{"client.steps[0].at", "client.steps[0].at"},
		{"client.steps[1].request.method", "client.steps[1].request.method"},
		{"client.steps[0].request.headers", "client.steps[0].request.headers"},
		{"client.steps[0].request.headers.Connection", "client.steps[0].request.connection"},
		{"client.steps[1].request.headers.Connection", "client.steps[1].request.headers"},
		{"client.steps[0].request.headers.X.Y", "client.steps[0].request.headers"},
		{"checks", KeyChecks},
		{"checks[3].since.conn", KeyChecks},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			path, _ := scenario.ParsePath(tt.field)
			if got := f.Control(path); got != tt.want {
				t.Errorf("Control(%q) = %q, want %q", tt.field, got, tt.want)
			}
		})
	}
}

// keysControl is Control as it was written before isKey, which looked
// each candidate up in f.Keys(); keys is the set of f.Keys().
// TestControlAgreesWithKeys holds Control to it.
func keysControl(f Form, keys map[string]bool, path scenario.Path) string {
	if i, rest, ok := path.Item("client", "steps"); ok && i < len(f.Steps) {
		if name, ok := rest.Under("request", "headers"); ok && len(name) == 1 {
			if name[0].Name == "Connection" && f.Steps[i].Connection != "" {
				return "client.steps[" + strconv.Itoa(i) + "].request.connection"
			}
			return "client.steps[" + strconv.Itoa(i) + "].request.headers"
		}
		if len(rest) == 0 || rest.Is("request") {
			return "client.steps[" + strconv.Itoa(i) + "].action"
		}
	}
	if field := path.String(); field == KeyChecks || strings.HasPrefix(field, KeyChecks+"[") {
		return KeyChecks
	}
	for n := len(path); n > 0; n-- {
		if keys[path[:n].String()] {
			return path[:n].String()
		}
	}
	return ""
}

// TestControlAgreesWithKeys checks isKey against f.Keys(), and Control
// against keysControl, for every key of a form at the limits, every
// prefix of those keys, and many near misses, on forms large and small.
func TestControlAgreesWithKeys(t *testing.T) {
	big := scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "node20",
		Routes: make([]scenario.Route, scenario.MaxRoutes)},
		Client: scenario.Client{Steps: make([]scenario.Step, scenario.MaxSteps)}}
	for i := range big.Client.Steps {
		if i%3 == 0 {
			big.Client.Steps[i].Request = &scenario.Request{Headers: map[string]string{"Connection": "close"}}
		}
	}
	small := scenario.Scenario{V: 1, Server: scenario.Server{Routes: make([]scenario.Route, 3)},
		Client: scenario.Client{Steps: make([]scenario.Step, 2)}}
	forms := map[string]Form{"big": FromScenario(big), "small": FromScenario(small), "empty": FromScenario(scenario.Scenario{})}

	cands := map[string]bool{}
	for _, c := range []string{"", "v", "lesson", "server", "server.", ".", "[", "]", "title.x", "server.title",
		"server.routes[", "server.routes[]", "server.routes[].path", "server.routes[0]", "server.routes[0].",
		"server.routes[0]path", "server.routes[0].path.x", "server.routes[00].path", "server.routes[01].path",
		"server.routes[+1].path", "server.routes[-0].path", "server.routes[-1].path", "server.routes[1 ].path",
		"server.routes[99999999999999999999].path", "server.routes[9223372036854775807].path",
		"server.routes[0].request.method", "client.steps[0].path", "client.steps[0].request",
		"client.steps[0].request.headers.Connection", "client.steps[3].request.headers.X",
		"client.steps[007].at", "client.steps[0].at\n", "checks[0]", "checksx", "durationMs.x", "durationms"} {
		cands[c] = true
	}
	for _, k := range forms["big"].Keys() {
		for n := range len(k) + 1 {
			cands[k[:n]] = true
		}
		for _, suf := range []string{"x", ".x", "[0]", ".", "[", "]"} {
			cands[k+suf] = true
		}
		if open, end := strings.IndexByte(k, '['), strings.IndexByte(k, ']'); open >= 0 && end > open {
			d := k[open+1 : end]
			for _, nd := range []string{"0" + d, "+" + d, d + "0", "-" + d, " " + d} {
				cands[k[:open+1]+nd+k[end:]] = true
			}
		}
	}
	for name, f := range forms {
		keys := map[string]bool{}
		for _, k := range f.Keys() {
			keys[k] = true
		}
		for c := range cands {
			path, ok := scenario.ParsePath(c)
			if !ok {
				// Not a path Validate writes: no control, and no key.
				if got := f.Control(path); got != "" || keys[c] {
					t.Errorf("%s: %q does not parse, yet Control = %q, key %v", name, c, got, keys[c])
				}
				continue
			}
			if got, want := f.isKey(path), keys[c]; got != want {
				t.Errorf("%s: isKey(%q) = %v, want %v", name, c, got, want)
			}
			if got, want := f.Control(path), keysControl(f, keys, path); got != want {
				t.Errorf("%s: Control(%q) = %q, want %q", name, c, got, want)
			}
		}
	}
	if n := len(forms["big"].Keys()); n < 2000 {
		t.Fatalf("the big form has %d keys; the test wants thousands", n)
	}
}

// TestEveryProblemHasAPlace checks that every field Validate names in a
// badly broken scenario maps to a control or section of the form.
func TestEveryProblemHasAPlace(t *testing.T) {
	sc := scenario.Scenario{V: 1, Title: strings.Repeat("t", 200), Server: scenario.Server{Runtime: "node20",
		HeadersTimeoutMs: ip(9000), RequestTimeoutMs: ip(10), IdleTimeoutMs: ip(-1), MaxRequestsPerSocket: ip(-1),
		Routes: []scenario.Route{{Path: "a*b", Status: 1, Body: strings.Repeat("b", scenario.MaxBodyBytes+1), DelayMs: -1, Then: scenario.Then{"shutdown"}}}},
		Client: scenario.Client{Steps: []scenario.Step{
			{At: -1, Conn: "", Open: true, Close: true},
			{Conn: "A", Send: sp(strings.Repeat("s", scenario.MaxSendBytes+1))},
			{Conn: "A", Request: &scenario.Request{Method: "(", Path: "a b", Version: "x", Body: strings.Repeat("b", scenario.MaxBodyBytes+1),
				Headers: map[string]string{"a b": "\n", "Connection": "close", "connection": "close"}}},
		}},
		DurationMs: -1,
		Checks:     []timeline.Check{{Match: timeline.Match{Kind: "nope", Conn: "1"}}},
	}
	f := FromScenario(sc)
	keys := f.Keys()
	err := sc.Validate()
	ps, ok := err.(scenario.Problems)
	if !ok || len(ps) < 15 {
		t.Fatalf("Validate() = %v; the test needs a badly broken scenario", err)
	}
	for _, p := range ps {
		k := f.Control(p.Path())
		if !slices.Contains(keys, k) {
			t.Errorf("problem %q maps to %q, which is no control", p, k)
		}
	}
}

func TestElementID(t *testing.T) {
	tests := []struct{ key, want string }{
		{"title", "ed-title"},
		{"server.routes[2].then", "ed-server-routes-2-then"},
		{"client.steps[10].request.headers", "ed-client-steps-10-request-headers"},
	}
	for _, tt := range tests {
		if got := ElementID(tt.key); got != tt.want {
			t.Errorf("ElementID(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
	seen := map[string]string{}
	f := FromScenario(scenario.Scenario{Server: scenario.Server{Routes: make([]scenario.Route, 12)},
		Client: scenario.Client{Steps: make([]scenario.Step, 12)}})
	for _, k := range f.Keys() {
		id := ElementID(k)
		if prev, dup := seen[id]; dup {
			t.Errorf("keys %q and %q share id %q", prev, k, id)
		}
		seen[id] = k
	}
}

func TestSortedOrder(t *testing.T) {
	tests := []struct {
		name string
		ats  []string
		want []int
	}{
		{"sorted", []string{"0", "10", "20"}, []int{0, 1, 2}},
		{"stable", []string{"5", "0", "5", "0"}, []int{1, 3, 0, 2}},
		{"empty is 0", []string{"10", ""}, []int{1, 0}},
		{"junk stays with its predecessor", []string{"30", "10", "x", "20"}, []int{1, 2, 3, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SortedOrder(tt.ats); !slices.Equal(got, tt.want) {
				t.Errorf("SortedOrder(%q) = %v, want %v", tt.ats, got, tt.want)
			}
		})
	}
}

func TestKnobHints(t *testing.T) {
	knob := func(name string) Knob {
		for _, k := range Knobs {
			if k.Name == name {
				return k
			}
		}
		t.Fatalf("no knob %q", name)
		return Knob{}
	}
	node := scenario.Server{Runtime: "node20"}
	tests := []struct {
		name, knob string
		sv         scenario.Server
		want       string
	}{
		{"keep-alive timeout", "keepAliveTimeoutMs", node, "empty = default (5000 ms)"},
		{"own value ignored", "keepAliveTimeoutMs", scenario.Server{KeepAliveTimeoutMs: ip(1)}, "empty = default (5000 ms)"},
		{"headers timeout", "headersTimeoutMs", node, "empty = default (60000 ms)"},
		{"headers follows request", "headersTimeoutMs", scenario.Server{RequestTimeoutMs: ip(30000)}, "empty = default (30000 ms)"},
		{"count has no unit", "maxRequestsPerSocket", node, "empty = default (0)"},
		{"switch", "keepAlive", node, "empty = default (on)"},
		{"unref", "unrefSockets", node, "empty = default (off)"},
		{"go shutdown", "shutdownTimeoutMs", scenario.Server{Runtime: "go"}, "empty = default (5000 ms)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := knob(tt.knob).Hint(tt.sv); got != tt.want {
				t.Errorf("Hint = %q, want %q", got, tt.want)
			}
		})
	}
	// Every knob's Max is its Validate bound: one more is a problem.
	for _, k := range Knobs {
		if k.Bool {
			continue
		}
		for _, rt := range scenario.RuntimeNames() {
			if !k.Applies(rt) {
				continue
			}
			f := FromScenario(scenario.Scenario{V: 1, Server: scenario.Server{Runtime: rt}})
			f.Knobs[k.Name] = "0"
			if _, err := f.Check(); err != nil {
				t.Errorf("%s on %s: 0 gives %v", k.Name, rt, err)
			}
			f.Knobs[k.Name] = strconv.Itoa(k.Max + 1)
			if _, err := f.Check(); err == nil {
				t.Errorf("%s on %s: %d passes, so Max is not the bound", k.Name, rt, k.Max+1)
			}
		}
	}
}

func TestKnobsCoverServer(t *testing.T) {
	// Every knob field of scenario.Server has a Knob, and vice versa.
	var sv scenario.Server
	typ := reflect.TypeOf(sv)
	var fields []string
	for i := 0; i < typ.NumField(); i++ {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name != "runtime" && name != "routes" {
			fields = append(fields, name)
		}
	}
	var names []string
	for _, k := range Knobs {
		names = append(names, k.Name)
		var on []string
		for _, rt := range scenario.RuntimeNames() {
			if k.Applies(rt) {
				on = append(on, rt)
			}
		}
		if len(on) == 0 {
			t.Errorf("%s applies to no runtime", k.Name)
		}
		if k.Applies("go") && k.Applies("node26") && k.Name != "keepAlive" && k.Name != "drainMs" {
			t.Errorf("%s applies to both languages", k.Name)
		}
	}
	slices.Sort(fields)
	slices.Sort(names)
	if !slices.Equal(fields, names) {
		t.Errorf("knobs %v, server fields %v", names, fields)
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name          string
		runtime, then string
		want          []string // the options begin so
		has, hasNot   []string
	}{
		{"node", "node20", "", []string{"", "none", "close", "closeIdle", "closeAll", "destroy", "exit", "drain", "close, closeIdle"},
			[]string{"destroy, close", "closeAll, exit", "drain, close", "drain, destroy"}, []string{"exit, close", "none, close", "close, close", "exit, drain"}},
		{"go", "go", "close", []string{"", "none", "shutdown", "close", "destroy", "exit", "drain", "shutdown, close"},
			[]string{"close, exit", "drain, shutdown", "drain, exit"}, []string{"destroy, close", "exit, close", "closeIdle", "drain, destroy"}},
		{"kept when foreign", "go", "closeIdle", []string{"", "none", "shutdown", "close", "destroy", "exit"}, []string{"closeIdle"}, nil},
		{"unknown runtime", "deno", "x", []string{"", "x"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ThenOptions(tt.runtime, tt.then)
			if len(got) < len(tt.want) || !slices.Equal(got[:len(tt.want)], tt.want) {
				t.Errorf("ThenOptions = %q, want it to begin %q", got, tt.want)
			}
			for _, o := range tt.has {
				if !slices.Contains(got, o) {
					t.Errorf("ThenOptions = %q, want %q among them", got, o)
				}
			}
			for _, o := range tt.hasNot {
				if slices.Contains(got, o) {
					t.Errorf("ThenOptions offers %q", o)
				}
			}
		})
	}
	// Every option the form offers is a route a scenario may have, on
	// every runtime, and reads back as the same list.
	for _, rt := range scenario.RuntimeNames() {
		for _, o := range ThenOptions(rt, "") {
			f := FromScenario(scenario.Scenario{V: 1, Server: scenario.Server{Runtime: rt, Routes: []scenario.Route{{Path: "*"}}}})
			f.Routes[0].Then = o
			sc, err := f.Check()
			if err != nil {
				t.Errorf("%s: then %q: %v", rt, o, err)
				continue
			}
			if got := JoinThen(sc.Server.Routes[0].Then); got != o {
				t.Errorf("%s: then %q reads back as %q", rt, o, got)
			}
		}
	}
	if got := ThenLabel("node26", "destroy, close"); got != "destroy, close: req.connection.destroy(); server.close()" {
		t.Errorf("ThenLabel = %q", got)
	}
}

func TestNewStep(t *testing.T) {
	tests := []struct {
		name     string
		last     *StepForm
		duration int
		want     StepForm
	}{
		{"first", nil, 10000, StepForm{At: "0", Conn: "A", Action: ActRequest, Connection: "keep-alive"}},
		{"after", &StepForm{At: "1000", Conn: "B"}, 10000, StepForm{At: "1500", Conn: "B", Action: ActRequest, Connection: "keep-alive"}},
		{"capped at duration", &StepForm{At: "9800", Conn: "B"}, 10000, StepForm{At: "10000", Conn: "B", Action: ActRequest, Connection: "keep-alive"}},
		{"junk at", &StepForm{At: "x", Conn: ""}, 10000, StepForm{At: "0", Conn: "A", Action: ActRequest, Connection: "keep-alive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewStep(tt.last, tt.duration); got != tt.want {
				t.Errorf("NewStep = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestRowKeysReadBack: the one writer of a row's key and scenario's path
// reader agree: a key is a path, and Control finds it.
func TestRowKeysReadBack(t *testing.T) {
	f := FromScenario(scenario.Scenario{Server: scenario.Server{Routes: make([]scenario.Route, 13)},
		Client: scenario.Client{Steps: make([]scenario.Step, 6)}})
	for _, tt := range []struct {
		key, list, field string
		i                int
	}{
		{RouteKey(0, "then"), KeyRoutes, "then", 0},
		{RouteKey(12, "delayMs"), KeyRoutes, "delayMs", 12},
		{StepKey(3, "request.headers"), KeySteps, "request.headers", 3},
	} {
		path, ok := scenario.ParsePath(tt.key)
		if !ok || path.String() != tt.key {
			t.Fatalf("ParsePath(%q) = %v, %v", tt.key, path, ok)
		}
		i, rest, ok := path.Item(strings.Split(tt.list, ".")...)
		if !ok || i != tt.i || !rest.Is(strings.Split(tt.field, ".")...) {
			t.Errorf("%q: Item = %d, %v, %v; want %d, %q", tt.key, i, rest, ok, tt.i, tt.field)
		}
		if got := f.Control(path); got != tt.key {
			t.Errorf("Control(%q) = %q", tt.key, got)
		}
	}
	if got := StepKey(2, ""); got != "client.steps[2]" {
		t.Errorf("StepKey(2, \"\") = %q", got)
	}
	if path, _ := scenario.ParsePath(StepKey(5, "")); f.Control(path) != StepKey(5, "action") {
		t.Errorf("Control(StepKey(5)) = %q", f.Control(path))
	}
}

func TestPoolNote(t *testing.T) {
	tests := []struct {
		name string
		sc   scenario.Scenario
		want string
	}{
		{"none", scenario.Default(), ""},
		{"one of each", scenario.Scenario{Client: scenario.Client{Pools: []scenario.Pool{{Name: "app"}}, Steps: []scenario.Step{{Pool: "app"}}}},
			"The script also has 1 pooled client (app) and 1 step that sends through them, kept as they are: edit them in the JSON tab."},
		{"two pools", scenario.Scenario{Client: scenario.Client{Pools: []scenario.Pool{{Name: "app"}, {Name: "web"}},
			Steps: []scenario.Step{{Pool: "app"}, {Conn: "A", Open: true}, {Pool: "web"}}}},
			"The script also has 2 pooled clients (app, web) and 2 steps that send through them, kept as they are: edit them in the JSON tab."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromScenario(tt.sc).PoolNote(); got != tt.want {
				t.Errorf("PoolNote = %q, want %q", got, tt.want)
			}
		})
	}
}
