package scenario_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

func ip(v int) *int       { return &v }
func bp(v bool) *bool     { return &v }
func sp(s string) *string { return &s }

const get = "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"

// base is a small Node scenario that the cases change.
func base() scenario.Scenario {
	return scenario.Scenario{
		V:     1,
		Title: "base",
		Server: scenario.Server{
			Runtime:         "node26",
			SocketTimeoutMs: ip(4000),
			Routes: []scenario.Route{
				{Path: "/end", Body: "Closedown", Then: scenario.Then{"close"}},
				{Path: "*", Body: "Hello World!"},
			},
		},
		Client: scenario.Client{Steps: []scenario.Step{
			{At: 0, Conn: "A", Send: sp(get)},
			{At: 1000, Conn: "B", Send: sp("GET /end HTTP/1.1\r\nHost: demo\r\n\r\n")},
		}},
		DurationMs: 6000,
	}
}

func lines(cs []scenario.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return out
}

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(s *scenario.Scenario)
		want []string
	}{
		{"same", func(s *scenario.Scenario) {}, nil},
		{"title and lesson are names, not differences", func(s *scenario.Scenario) {
			s.Title, s.Lesson = "another", "destroy"
		}, nil},
		{"an explicit default is the default", func(s *scenario.Scenario) {
			s.Server.KeepAliveTimeoutMs = ip(5000)
			s.Server.UnrefSockets = bp(false)
		}, nil},
		{"the run's length left to its default", func(s *scenario.Scenario) {
			s.DurationMs = 0
		}, []string{"durationMs: 6000 ms → 10000 ms (the default)"}},
		{"a knob set from its default", func(s *scenario.Scenario) {
			s.Server.KeepAliveTimeoutMs = ip(65000)
		}, []string{"server.keepAliveTimeoutMs: 5000 ms (the default) → 65000 ms"}},
		{"zero says what it means", func(s *scenario.Scenario) {
			s.Server.KeepAliveTimeoutMs = ip(0)
			s.Server.SocketTimeoutMs = nil
		}, []string{
			"server.socketTimeoutMs: 4000 ms → 0 ms (never) (the default)",
			"server.keepAliveTimeoutMs: 5000 ms (the default) → 0 ms (off)",
		}},
		{"a switch", func(s *scenario.Scenario) {
			s.Server.UnrefSockets = bp(true)
		}, []string{"server.unrefSockets: off (the default) → on"}},
		{"another runtime", func(s *scenario.Scenario) {
			s.Server.Runtime = "node20"
		}, []string{
			"server.runtime: Node 26.12 (node26) → Node 20.20 (node20)",
			"server.keepAliveTimeoutBufferMs: 1000 ms (the default) → unset (Node 20.20 has no such knob)",
		}},
		{"a route added in front", func(s *scenario.Scenario) {
			s.Server.Routes = slices.Insert(s.Server.Routes, 0, scenario.Route{Path: "/slow", Body: "late", DelayMs: 1500})
		}, []string{`server.routes["/slow"] added: /slow answers 200 "late" after 1500 ms`}},
		{"a route removed", func(s *scenario.Scenario) {
			s.Server.Routes = s.Server.Routes[1:]
		}, []string{`server.routes["/end"] removed: /end answers 200 "Closedown", then close`}},
		{"a route's answer and actions", func(s *scenario.Scenario) {
			s.Server.Routes[0].Then = scenario.Then{"destroy", "close"}
			s.Server.Routes[0].Status = 503
			s.Server.Routes[0].Body = "bye"
		}, []string{
			`server.routes["/end"].status: 200 → 503`,
			`server.routes["/end"].body: "Closedown" → "bye"`,
			`server.routes["/end"].then: close → destroy, close`,
		}},
		{"a route moved: the order decides which answers", func(s *scenario.Scenario) {
			s.Server.Routes[0], s.Server.Routes[1] = s.Server.Routes[1], s.Server.Routes[0]
		}, []string{`server.routes["/end"] (order): /end answers 200 "Closedown", then close → /end answers 200 "Closedown", then close`}},
		{"no routes is the default route", func(s *scenario.Scenario) {
			s.Server.Routes = nil
		}, []string{`server.routes["/end"] removed: /end answers 200 "Closedown", then close`}},
		{"a step moved in time is one change", func(s *scenario.Scenario) {
			s.Client.Steps[1].At = 1400
		}, []string{"client.steps[1].at: 1000 ms → 1400 ms"}},
		{"a step added in the middle", func(s *scenario.Scenario) {
			s.Client.Steps = slices.Insert(s.Client.Steps, 1, scenario.Step{At: 500, Conn: "C", Open: true})
		}, []string{"client.steps[1] added: at 500 ms, C opens"}},
		{"a step removed", func(s *scenario.Scenario) {
			s.Client.Steps = s.Client.Steps[:1]
		}, []string{`client.steps[1] removed: at 1000 ms, B sends "GET /end HTTP/1.1" …`}},
		{"a step's bytes, CR LF visible", func(s *scenario.Scenario) {
			s.Client.Steps[0].Send = sp("GET / HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n")
		}, []string{`client.steps[0].send: "GET / HTTP/1.1\r\nHost: demo\r\n\r\n" → "GET / HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n"`}},
		{"a step of another kind is another step", func(s *scenario.Scenario) {
			s.Client.Steps[1] = scenario.Step{At: 1000, Conn: "B", Reset: true}
		}, []string{
			`client.steps[1] removed: at 1000 ms, B sends "GET /end HTTP/1.1" …`,
			"client.steps[1] added: at 1000 ms, B resets (RST)",
		}},
		{"a request step's fields", func(s *scenario.Scenario) {
			s.Client.Steps[0] = scenario.Step{Conn: "A", Request: &scenario.Request{Method: "POST", Path: "/c"}}
		}, []string{
			`client.steps[0] removed: at 0 ms, A sends "GET / HTTP/1.1" …`,
			"client.steps[0] added: at 0 ms, A requests POST /c",
		}},
		{"a proxy added", func(s *scenario.Scenario) {
			s.Proxy = &scenario.Proxy{Kind: "nginx", Keepalive: ip(2)}
		}, []string{`proxy added: {"kind":"nginx","keepalive":2}`}},
		{"checks compared as JSON", func(s *scenario.Scenario) {
			s.Checks = []timeline.Check{{Name: "A closed"}}
		}, []string{`checks added: [{"name":"A closed"}]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := base(), base()
			tc.edit(&b)
			got := lines(scenario.Diff(a, b))
			if !slices.Equal(got, tc.want) {
				t.Errorf("Diff =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tc.want, "\n\t"))
			}
		})
	}
}

// TestDiffRequestField: a request step that only changes a field is one
// change at that field's path.
func TestDiffRequestField(t *testing.T) {
	a, b := base(), base()
	a.Client.Steps[0] = scenario.Step{Conn: "A", Request: &scenario.Request{Method: "GET", Path: "/a"}}
	b.Client.Steps[0] = scenario.Step{Conn: "A", Request: &scenario.Request{Method: "POST", Path: "/a"}}
	got := lines(scenario.Diff(a, b))
	want := []string{`client.steps[0].request.method: "GET" → "POST"`}
	if !slices.Equal(got, want) {
		t.Errorf("Diff = %q, want %q", got, want)
	}
}

// TestDiffProxyKnobs: unset proxy knobs are their defaults.
func TestDiffProxyKnobs(t *testing.T) {
	a, b := base(), base()
	a.Proxy = &scenario.Proxy{Kind: "nginx"}
	b.Proxy = &scenario.Proxy{Kind: "nginx", Keepalive: ip(2), UpstreamIdleTimeoutMs: ip(60000)}
	got := scenario.Diff(a, b)
	if want := []string{"proxy.keepalive: 0 → 2"}; !slices.Equal(lines(got), want) {
		t.Fatalf("Diff = %q, want %q", lines(got), want)
	}
	if got[0].What != "the proxy's keepalive" {
		t.Errorf("What = %q", got[0].What)
	}
}

// TestDiffBothWays: what one direction adds, the other removes, and a
// scenario does not differ from itself.
func TestDiffBothWays(t *testing.T) {
	for _, sc := range lessonPairs(t) {
		if d := scenario.Diff(sc[0], sc[0]); len(d) != 0 {
			t.Errorf("%s differs from itself: %q", sc[0].Title, lines(d))
		}
		ab, ba := scenario.Diff(sc[0], sc[1]), scenario.Diff(sc[1], sc[0])
		if len(ab) != len(ba) {
			t.Errorf("%s: %d changes one way, %d the other", sc[0].Title, len(ab), len(ba))
			continue
		}
		for i := range ab {
			op := map[scenario.DiffOp]scenario.DiffOp{scenario.DiffAdded: scenario.DiffRemoved,
				scenario.DiffRemoved: scenario.DiffAdded, scenario.DiffChanged: scenario.DiffChanged}[ab[i].Op]
			if j := slices.IndexFunc(ba, func(c scenario.Change) bool {
				return c.Op == op && c.From == ab[i].To && c.To == ab[i].From
			}); j < 0 {
				t.Errorf("%s: %s has no reverse in %q", sc[0].Title, ab[i], lines(ba))
			}
		}
	}
}

// TestLessonSolutionsDiffer: every lesson's solution differs from its
// start, so that Compare with the solution always has something to say,
// and every change names its part in words.
func TestLessonSolutionsDiffer(t *testing.T) {
	for _, sc := range lessonPairs(t) {
		d := scenario.Diff(sc[0], sc[1])
		if len(d) == 0 {
			t.Errorf("%s: the solution is the start", sc[0].Title)
		}
		for _, c := range d {
			if c.What == "" || c.Path == "" {
				t.Errorf("%s: %+v lacks words", sc[0].Title, c)
			}
		}
	}
}

// lessonPairs reads every lesson's start and solution.
func lessonPairs(t *testing.T) [][2]scenario.Scenario {
	t.Helper()
	starts, err := filepath.Glob(filepath.Join("..", "lessons", "*.start.json"))
	if err != nil || len(starts) == 0 {
		t.Fatalf("no lessons: %v", err)
	}
	var out [][2]scenario.Scenario
	for _, f := range starts {
		var pair [2]scenario.Scenario
		for i, name := range []string{f, strings.TrimSuffix(f, "start.json") + "solution.json"} {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := scenario.Decode(data)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			pair[i] = *sc
		}
		out = append(out, pair)
	}
	return out
}

func TestDiffLines(t *testing.T) {
	for _, tc := range []struct {
		name    string
		a, b    string
		context int
		want    string
	}{
		{"same", "a\nb\n", "a\nb\n", 1, "~2 unchanged lines"},
		{"both empty", "", "", 1, ""},
		{"one changed line", "a\nb\nc\n", "a\nB\nc\n", 1, " a|-b|+B| c"},
		{"folded far from the change", "1\n2\n3\n4\n5\n6\n", "1\n2\n3\n4\n5\nsix\n", 1,
			"~4 unchanged lines| 5|-6|+six"},
		{"one folded line", "x\n1\n2\n3\ny\n", "X\n1\n2\n3\nY\n", 1,
			"-x|+X| 1|~1 unchanged line| 3|-y|+Y"},
		{"added at the end", "a\n", "a\nb\n", 0, "~1 unchanged line|+b"},
		{"everything new", "", "a\nb", 3, "+a|+b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var parts []string
			for _, l := range scenario.DiffLines(tc.a, tc.b, tc.context) {
				parts = append(parts, string(l.Op)+l.Text)
			}
			if got := strings.Join(parts, "|"); got != tc.want {
				t.Errorf("DiffLines = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestIndentedDiff: the line-level diff of a lesson's start and solution
// shows the changed knob on a line of its own.
func TestIndentedDiff(t *testing.T) {
	a, b := base(), base()
	b.Server.KeepAliveTimeoutMs = ip(0)
	x, err := scenario.Indented(&a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := scenario.Indented(&b)
	if err != nil {
		t.Fatal(err)
	}
	var added []string
	for _, l := range scenario.DiffLines(x, y, 2) {
		if l.Op == scenario.LineAdded {
			added = append(added, strings.TrimSpace(l.Text))
		}
		if l.Op == scenario.LineRemoved {
			t.Errorf("removed %q", l.Text)
		}
	}
	if want := []string{`"keepAliveTimeoutMs": 0,`}; !slices.Equal(added, want) {
		t.Errorf("added %q, want %q", added, want)
	}
	var back scenario.Scenario
	if err := json.Unmarshal([]byte(y), &back); err != nil {
		t.Errorf("Indented is not JSON: %v", err)
	}
}

// FuzzDiffLines: the diff's lines, folds aside, rebuild both texts.
func FuzzDiffLines(f *testing.F) {
	f.Add("a\nb\nc", "a\nc\nd")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 4096 || len(b) > 4096 {
			return
		}
		norm := func(s string) string { return strings.TrimSuffix(s, "\n") }
		if norm(a) == norm(b) {
			return // folded whole, as it should
		}
		var ra, rb []string
		for _, l := range scenario.DiffLines(a, b, 1<<20) {
			switch l.Op {
			case scenario.LineSame:
				ra, rb = append(ra, l.Text), append(rb, l.Text)
			case scenario.LineRemoved:
				ra = append(ra, l.Text)
			case scenario.LineAdded:
				rb = append(rb, l.Text)
			default:
				t.Fatalf("a fold with unlimited context: %q", l.Text)
			}
		}
		if got := strings.Join(ra, "\n"); got != norm(a) {
			t.Errorf("a rebuilt as %q, want %q", got, norm(a))
		}
		if got := strings.Join(rb, "\n"); got != norm(b) {
			t.Errorf("b rebuilt as %q, want %q", got, norm(b))
		}
	})
}
