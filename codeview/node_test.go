package codeview

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func intp(v int) *int    { return &v }
func boolp(v bool) *bool { return &v }

// nodeCases are the story's programs and a knob-heavy one.
var nodeCases = []struct {
	name string
	s    scenario.Scenario
}{
	{"answer2", scenario.Scenario{Title: "Idle timeout, then /end", Server: scenario.Server{
		Runtime: "node20", SocketTimeoutMs: intp(4000),
		Routes: []scenario.Route{{Path: "/end", Body: "Closedown", Then: scenario.Then{scenario.ThenClose}}, {Path: "*", Body: "Hello World!"}}}}},
	{"answer3", scenario.Scenario{Title: "Graceful: unref idle sockets", Server: scenario.Server{
		Runtime: "node18", UnrefSockets: boolp(true),
		Routes: []scenario.Route{{Path: "/end*", Body: "bye", Then: scenario.Then{scenario.ThenClose}}, {Path: "/slow", Body: "late 'n' slow", DelayMs: 1500}}}}},
	{"knobs", scenario.Scenario{Server: scenario.Server{
		Runtime: "node20", KeepAliveTimeoutMs: intp(0), HeadersTimeoutMs: intp(2000),
		RequestTimeoutMs: intp(5000), MaxRequestsPerSocket: intp(3), KeepAlive: boolp(false),
		Routes: []scenario.Route{{Path: "/x", Status: 503, Body: "a\nb", Then: scenario.Then{scenario.ThenDestroy}}, {Path: "/q", Then: scenario.Then{scenario.ThenExit}}}}}},
	{"answer1-applied", scenario.Scenario{Title: "Answer 1 in the question's program", Server: scenario.Server{
		Runtime: "node26", KeepAliveTimeoutBufferMs: intp(0),
		Routes: []scenario.Route{{Path: "*", Body: "hi", Then: scenario.Then{scenario.ThenDestroy, scenario.ThenClose}}}}}},
	{"drain", scenario.Scenario{Title: "Readiness 503, then close", Server: scenario.Server{
		Runtime: "node26", DrainMs: intp(400), UnrefSockets: boolp(true),
		Routes: []scenario.Route{{Path: "/ready", Body: "ok", Readiness: true},
			{Path: "/deploy", Body: "bye", DelayMs: 10, Then: scenario.Then{scenario.ThenDrain, scenario.ThenCloseIdle, scenario.ThenClose}},
			{Path: "/flip", Then: scenario.Then{scenario.ThenDrain}}}}}},
}

func TestNodeGolden(t *testing.T) {
	for _, tc := range nodeCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Node(tc.s, NodeOptions{})
			file := filepath.Join("testdata", tc.name+".js")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("Node(%s) differs from %s (go test -update rewrites it):\n%s", tc.name, file, got)
			}
			if strings.Contains(got, "diagnostics_channel") {
				t.Error("the plain program carries the instrumentation")
			}
			inst := Node(tc.s, NodeOptions{Instrument: true, Port: 0})
			if !strings.HasPrefix(inst, strings.Replace(got, "server.listen(1088,", "server.listen(0,", 1)) {
				t.Error("the instrumented program is not the plain program plus a block")
			}
		})
	}
}

// TestNodeCheck has real node parse every rendered program.
func TestNodeCheck(t *testing.T) {
	bin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	dir := t.TempDir()
	for _, tc := range nodeCases {
		for _, inst := range []bool{false, true} {
			file := filepath.Join(dir, tc.name+".js")
			if err := os.WriteFile(file, []byte(Node(tc.s, NodeOptions{Instrument: inst})), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(bin, "--check", file).CombinedOutput(); err != nil {
				t.Errorf("%s (instrumented %v): node --check: %v\n%s", tc.name, inst, err, out)
			}
		}
	}
}

func TestJSString(t *testing.T) {
	for in, want := range map[string]string{
		"Hello World!": `'Hello World!'`,
		"it's":         `'it\'s'`,
		"a\\b\r\n":     `'a\\b\r\n'`,
		"\x00\u2028":   `'\u0000\u2028'`,
	} {
		if got := jsString(in); got != want {
			t.Errorf("jsString(%q) = %s, want %s", in, got, want)
		}
	}
}
