package codeview

import (
	"flag"
	"go/format"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
)

// updateGo rewrites the golden files (the flag is named for this file so
// that other renderers' tests may have their own).
var updateGo = flag.Bool("update-go", false, "rewrite testdata/go-*.golden")

func goInt(v int) *int    { return &v }
func goBool(v bool) *bool { return &v }

// goScenarios cover every branch of the Go rendering: each route action,
// delays, prefix and exact paths, a missing catch-all, keep-alive off,
// zero and non-zero timeouts.
var goScenarios = []struct {
	name string
	s    scenario.Scenario
}{
	{"answer2", scenario.Scenario{
		Title: "Idle timeout, then /end",
		Server: scenario.Server{
			Runtime:       "go",
			IdleTimeoutMs: goInt(4000),
			Routes: []scenario.Route{
				{Path: "/end", Body: "Closedown", Then: scenario.Then{scenario.ThenShutdown}},
				{Path: "*", Body: "Hello World!"},
			},
		},
	}},
	{"no-keepalive", scenario.Scenario{
		Title: "Keep-alive off, slow requests, Close",
		Server: scenario.Server{
			Runtime:             "go",
			ReadHeaderTimeoutMs: goInt(250),
			ShutdownTimeoutMs:   goInt(1500),
			KeepAlive:           goBool(false),
			Routes: []scenario.Route{
				{Path: "/slow*", Body: "late", DelayMs: 1500},
				{Path: "/close", Body: "bye", Then: scenario.Then{scenario.ThenClose}},
				{Path: "/teapot", Status: 418, Body: "short and stout"},
			},
		},
	}},
	{"destroy-exit", scenario.Scenario{
		Server: scenario.Server{
			Runtime:           "go",
			ShutdownTimeoutMs: goInt(0),
			Routes: []scenario.Route{
				{Path: "/destroy", Status: 204, Then: scenario.Then{scenario.ThenDestroy}},
				{Path: "/exit", Body: "gone \"now\"\n", Then: scenario.Then{scenario.ThenExit}, DelayMs: 10},
				{Path: "*", Body: "Hello World!"},
				{Path: "/unreachable", Body: "after the catch-all"},
			},
		},
	}},
	{"defaults", scenario.Scenario{Server: scenario.Server{Runtime: "go"}}},
	{"shutdown-then-close", scenario.Scenario{Server: scenario.Server{
		Runtime: "go",
		Routes:  []scenario.Route{{Path: "*", Body: "bye", Then: scenario.Then{scenario.ThenShutdown, scenario.ThenClose}}},
	}}},
	{"drain", scenario.Scenario{Title: "Readiness 503, then Shutdown", Server: scenario.Server{
		Runtime: "go",
		DrainMs: goInt(1500),
		Routes: []scenario.Route{
			{Path: "/ready", Body: "ok", Readiness: true},
			{Path: "/deploy", Body: "bye", Then: scenario.Then{scenario.ThenDrain, scenario.ThenShutdown}},
			{Path: "/stop", Then: scenario.Then{scenario.ThenDrain, scenario.ThenClose}},
			{Path: "/exit", Then: scenario.Then{scenario.ThenDrain, scenario.ThenExit}},
			{Path: "/flip", Status: 202, Then: scenario.Then{scenario.ThenDrain}},
		},
	}}},
}

func TestGoGolden(t *testing.T) {
	for _, tt := range goScenarios {
		t.Run(tt.name, func(t *testing.T) {
			got := Go(tt.s)
			golden := filepath.Join("testdata", "go-"+tt.name+".golden")
			if *updateGo {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update-go to create it)", err)
			}
			if got != string(want) {
				t.Errorf("Go(%s) differs from %s:\n%s", tt.name, golden, got)
			}
			if formatted, err := format.Source([]byte(got)); err != nil {
				t.Errorf("not Go: %v", err)
			} else if string(formatted) != got {
				t.Errorf("not gofmt-formatted")
			}
		})
	}
}

// TestGoContents checks the knobs and actions in the rendered program.
func TestGoContents(t *testing.T) {
	tests := []struct {
		name      string
		s         scenario.Scenario
		want, not []string
	}{
		{"idle timeout and shutdown", goScenarios[0].s,
			[]string{"idleTimeout = 4 * time.Second", "readHeaderTimeout = 0", "shutdownTimeout = 5 * time.Second",
				`case r.URL.Path == "/end":`, "go shutdown()", "default:\n\t\tconst body = \"Hello World!\""},
			[]string{"SetKeepAlivesEnabled", "http.NotFound", `"strings"`}},
		{"keep-alive off", goScenarios[1].s,
			[]string{"srv.SetKeepAlivesEnabled(false)", "readHeaderTimeout = 250 * time.Millisecond",
				"shutdownTimeout = 1500 * time.Millisecond", `strings.HasPrefix(r.URL.Path, "/slow")`,
				"time.After(1500 * time.Millisecond)", "srv.Close()\n\t\tstop()", "w.WriteHeader(http.StatusTeapot)",
				"http.NotFound(w, r)"},
			[]string{"go shutdown()\n", "panic(", "os.Exit"}},
		{"destroy and exit", goScenarios[2].s,
			[]string{"panic(http.ErrAbortHandler)", "os.Exit(0)", `const body = "gone \"now\"\n"`,
				"shutdownTimeout time.Duration = 0", "w.WriteHeader(http.StatusNoContent)"},
			[]string{"/unreachable", "http.NotFound"}},
		{"title is one comment line", scenario.Scenario{Title: "two\nlines */ // x",
			Server: scenario.Server{Runtime: "go"}},
			[]string{"// two lines */ // x\n"}, nil},
		// gofmt reformats doc comments: a title it reads as a heading or
		// a link definition is written as gofmt would print it, first.
		{"title gofmt reads as a heading", scenario.Scenario{Title: "#\t 000000",
			Server: scenario.Server{Runtime: "go"}},
			[]string{"// # 000000\n//\n"}, nil},
		{"title gofmt reads as a link definition", scenario.Scenario{Title: "[x]:  http://a",
			Server: scenario.Server{Runtime: "go"}},
			[]string{"// [x]:http://a\n//\n"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Go(tt.s)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("unexpected %q", n)
				}
			}
			if t.Failed() {
				t.Logf("program:\n%s", got)
			}
		})
	}
}

// FuzzGo: whatever the titles, paths and bodies, the program is valid,
// gofmt-formatted Go.
func FuzzGo(f *testing.F) {
	f.Add("Idle timeout", "/end", "Closedown", 0, 4000, 0, true)
	f.Add("", "/slow*", "late\n", 1500, 0, 200, false)
	f.Add("a\x00b\u2028", "*", "\xff\"`", 0, 1, 3, true)
	f.Add("#  000000", "*", "", 0, 0, 0, true)
	f.Add("[x]: http://a", "*", "", 0, 0, 0, true)
	f.Fuzz(func(t *testing.T, title, path, body string, delay, idle, header int, keepAlive bool) {
		abs := func(v int) int {
			if v < 0 {
				return -(v % scenario.MaxTimeoutMs)
			}
			return v % scenario.MaxTimeoutMs
		}
		s := scenario.Scenario{Title: title, Server: scenario.Server{
			Runtime:             "go",
			IdleTimeoutMs:       goInt(abs(idle)),
			ReadHeaderTimeoutMs: goInt(abs(header)),
			KeepAlive:           goBool(keepAlive),
			Routes: []scenario.Route{
				{Path: path, Body: body, DelayMs: abs(delay), Then: scenario.Then{scenario.ThenShutdown}},
				{Path: path + "x*", Body: body, Then: scenario.Then{scenario.ThenDestroy}},
			},
		}}
		got := Go(s)
		formatted, err := format.Source([]byte(got))
		if err != nil {
			t.Fatalf("not Go: %v\n%s", err, got)
		}
		if string(formatted) != got {
			t.Fatalf("not gofmt-formatted:\n%s", got)
		}
	})
}
