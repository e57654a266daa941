package lessons

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// Under GOOS=js the runtime keeps an event-handler goroutine of its own.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("runtime.handleEvent"))
}

const goodFront = `---
id: sample
title: "A sample: lesson"
runtime: node20
start: 01-sample.start.json
solution: 01-sample.solution.json
docs:
  - [server.close()](https://nodejs.org/api/http.html#serverclosecallback)
tasks:
  - text: Make it exit.
    hint: Call close().
    checks:
      - {"kind": "exit"}
      - {"kind": "close-called", "name": "close() runs"}
  # a comment
  - text: Second task.
    hint: Something.
    checks:
      - {"conn": "A", "kind": "response", "nth": 2}
---
Body text.
`

func TestParse(t *testing.T) {
	l, err := Parse("01-sample.md", []byte(goodFront))
	if err != nil {
		t.Fatal(err)
	}
	if l.ID != "sample" || l.Title != "A sample: lesson" || l.Runtime != "node20" {
		t.Errorf("got id %q title %q runtime %q", l.ID, l.Title, l.Runtime)
	}
	if len(l.Docs) != 1 || l.Docs[0].URL != "https://nodejs.org/api/http.html#serverclosecallback" || l.Docs[0].Title != "server.close()" {
		t.Errorf("docs = %+v", l.Docs)
	}
	if len(l.Tasks) != 2 || len(l.Tasks[0].Checks) != 2 || l.Tasks[1].Checks[0].Nth != 2 || l.Tasks[0].Hint != "Call close()." {
		t.Errorf("tasks = %+v", l.Tasks)
	}
	if got := strings.TrimSpace(string(l.Body)); got != "Body text." {
		t.Errorf("body = %q", got)
	}
	if l.BodyLine != 21 {
		t.Errorf("body line = %d, want 21", l.BodyLine)
	}
	if n := len(l.Checks()); n != 3 {
		t.Errorf("Checks() has %d, want 3", n)
	}
}

func TestParseErrors(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(goodFront, old) {
			t.Fatalf("test bug: %q not in the sample", old)
		}
		return strings.Replace(goodFront, old, new, 1)
	}
	tests := []struct {
		name, src, want string
	}{
		{"no front matter", "# Title\n", "01-sample.md:1: a lesson starts with a front matter block"},
		{"unterminated", strings.TrimSuffix(goodFront, "---\nBody text.\n"), "the front matter never ends"},
		{"unknown key", replace("runtime: node20", "runtme: node20"), ":4: runtme: unknown key"},
		{"duplicate key", replace("runtime: node20", "runtime: node20\nruntime: go"), ":5: runtime: duplicate key"},
		{"tab", replace("  - [server", "\t- [server"), "a tab"},
		{"trailing space", replace("id: sample", "id: sample "), "trailing space"},
		{"no space after colon", replace("id: sample", "id:sample"), "put a space after the colon"},
		{"bad quoted", replace(`title: "A sample: lesson"`, `title: "A sample`), "a quoted value is a JSON string"},
		{"bad doc", replace("[server.close()](https://nodejs.org/api/http.html#serverclosecallback)", "http://x"), "is not a [title](https://…) link"},
		{"http doc", replace("(https://nodejs.org", "(http://nodejs.org"), "is not a [title](https://…) link"},
		{"bad indent", replace("    hint: Call close().", "   hint: Call close()."), "unexpected indentation (3 spaces)"},
		{"task without text", replace("  - text: Make it exit.", "  - hint: Make it exit."), "a task starts with its text"},
		{"unknown check field", replace(`{"kind": "exit"}`, `{"kind": "exit", "knd": 1}`), `unknown field "knd"`},
		{"invalid check", replace(`{"kind": "exit"}`, `{"kind": "exitt"}`), `kind: "exitt" is not one of`},
		{"check trailing data", replace(`{"kind": "exit"}`, `{"kind": "exit"} {}`), "data after the check"},
		{"task without checks", replace("    checks:\n      - {\"conn\"", "    hint2: x\n      - {\"conn\""), "hint2: unknown task key"},
		{"no checks at end", replace("    checks:\n      - {\"conn\": \"A\", \"kind\": \"response\", \"nth\": 2}\n", ""), "the last task has no checks"},
		{"bad id", replace("id: sample", "id: Sample_1"), `id "Sample_1"`},
		{"bad runtime", replace("runtime: node20", "runtime: node16"), `runtime "node16" is not one of`},
		{"missing hint", replace("    hint: Call close().\n", ""), "task 1: hint of 1 to"},
		{"same scenario", replace("solution: 01-sample.solution.json", "solution: 01-sample.start.json"), "start and solution are the same file"},
		{"path in scenario", replace("start: 01-sample.start.json", "start: ../01-sample.start.json"), `start "../01-sample.start.json"`},
		{"no body", strings.TrimSuffix(goodFront, "Body text.\n"), "no text after its front matter"},
		{"docs value", replace("docs:\n", "docs: x\n"), "docs: a list follows"},
		{"empty value", replace("title: \"A sample: lesson\"", "title:"), "title: missing value"},
		{"four tasks", replace("---\nBody", "  - text: 3\n    hint: h\n    checks:\n      - {\"kind\": \"exit\"}\n  - text: 4\n    hint: h\n    checks:\n      - {\"kind\": \"exit\"}\n---\nBody"), "tasks: 1 to 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("01-sample.md", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseLineError(t *testing.T) {
	_, err := Parse("x.md", []byte("---\nid: a\nfoo: b\n---\n"))
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 || le.File != "x.md" {
		t.Fatalf("err = %#v, want a LineError at x.md:3", err)
	}
}

const scen = `{"v": 1, "server": {"runtime": "node20"}, "client": {"steps": [{"at": 0, "conn": "A", "open": true}]}, "durationMs": 500}`

func sampleFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{
		"l/01-sample.md":            {Data: []byte(goodFront)},
		"l/01-sample.start.json":    {Data: []byte(scen)},
		"l/01-sample.solution.json": {Data: []byte(scen)},
	}
	for name, data := range files {
		if data == "" {
			delete(fsys, name)
			continue
		}
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"bad file name", map[string]string{"l/1-sample.md": goodFront}, "a lesson file is named NN-ID.md"},
		{"id mismatch", map[string]string{"l/02-other.md": goodFront}, `id "sample" does not match the file name`},
		{"duplicate number", map[string]string{"l/01-other.md": strings.Replace(goodFront, "id: sample", "id: other", 1)}, "number 01 is taken"},
		{"missing scenario", map[string]string{"l/01-sample.start.json": ""}, "read scenario"},
		{"bad scenario", map[string]string{"l/01-sample.start.json": `{"v": 1, "server": {"runtime": "node20"}, "extra": 1}`}, "extra: unknown field"},
		{"stale scenario", map[string]string{"l/02-gone.start.json": scen}, "scenario files no lesson names: 02-gone.start.json"},
		{"scenario with checks", map[string]string{"l/01-sample.solution.json": strings.Replace(scen, `"durationMs"`, `"checks": [{"kind": "exit"}], "durationMs"`, 1)}, "they belong in the tasks"},
		{"runtime mismatch", map[string]string{"l/01-sample.start.json": strings.Replace(scen, "node20", "go", 1)}, "runtime go, but the lesson says node20"},
		{"no lessons", map[string]string{"l/01-sample.md": "", "l/01-sample.start.json": "", "l/01-sample.solution.json": "", "l/README.txt": "x"}, "no lessons"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(sampleFS(tt.files), "l")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if ls, err := Load(sampleFS(nil), "l"); err != nil || len(ls) != 1 || ls[0].Start == nil {
		t.Errorf("Load(sample) = %v, %v", ls, err)
	}
}

// TestCourseRoundTrip builds entries from the real lessons and decodes
// the course the way the page does.
func TestCourseRoundTrip(t *testing.T) {
	ls, err := Load(os.DirFS("."), ".")
	if err != nil {
		t.Fatal(err)
	}
	c := Course{V: CourseVersion}
	for _, l := range ls {
		th := make([][2]string, len(l.Tasks))
		e, err := NewEntry(l, "<p>x</p>", th)
		if err != nil {
			t.Fatal(err)
		}
		c.Lessons = append(c.Lessons, e)
	}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeCourse(data)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range got.Lessons {
		start, sol, err := e.Scenarios()
		if err != nil {
			t.Fatal(err)
		}
		if start.Lesson != ls[i].ID || sol.Lesson != ls[i].ID {
			t.Errorf("%s: scenarios carry lesson %q and %q", ls[i].ID, start.Lesson, sol.Lesson)
		}
		if got.Index(e.ID) != i {
			t.Errorf("Index(%q) = %d, want %d", e.ID, got.Index(e.ID), i)
		}
	}
	if got.Index("nope") != -1 {
		t.Error("Index of a missing lesson is not -1")
	}
}

func TestDecodeCourseErrors(t *testing.T) {
	entry := `{"id":"a","title":"A","runtime":"node20","html":"","docs":[],"tasks":[{"text":"t","hint":"h","checks":[{"kind":"exit"}],"textHTML":"","hintHTML":""}],"start":` + scen + `,"solution":` + scen + `}`
	tests := []struct {
		name, src, want string
	}{
		{"not json", "nope", "lessons.json"},
		{"version", `{"v": 2, "lessons": [` + entry + `]}`, "version 2"},
		{"no lessons", `{"v": 1, "lessons": []}`, "no lessons"},
		{"unknown field", `{"v": 1, "lessons": [], "x": 1}`, `unknown field "x"`},
		{"trailing", `{"v": 1, "lessons": [` + entry + `]} {}`, "data after the course"},
		{"duplicate id", `{"v": 1, "lessons": [` + entry + `,` + entry + `]}`, `lesson id "a" twice`},
		{"bad id", `{"v": 1, "lessons": [` + strings.Replace(entry, `"id":"a"`, `"id":"A!"`, 1) + `]}`, `bad id "A!"`},
		{"bad check", `{"v": 1, "lessons": [` + strings.Replace(entry, `"kind":"exit"`, `"kind":"nope"`, 1) + `]}`, "task 1"},
		{"no scenario", `{"v": 1, "lessons": [` + strings.Replace(entry, `"start":`+scen+`,`, ``, 1) + `]}`, "no start or solution"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeCourse([]byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := DecodeCourse([]byte(`{"v": 1, "lessons": [` + entry + `]}`)); err != nil {
		t.Errorf("a good course: %v", err)
	}
	// A bad scenario is found when the lesson loads it.
	c, err := DecodeCourse([]byte(`{"v": 1, "lessons": [` + strings.Replace(entry, `"start":{"v": 1`, `"start":{"v": 9`, 1) + `]}`))
	if err != nil {
		t.Fatalf("the course itself is good: %v", err)
	}
	if _, _, err := c.Lessons[0].Scenarios(); err == nil || !strings.Contains(err.Error(), "newer version") {
		t.Errorf("Scenarios of a newer-version start: err = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(goodFront))
	f.Add([]byte("---\nid: a\n---\n"))
	f.Add([]byte("---\ntasks:\n  - text: x\n    checks:\n      - {}\n---\n"))
	for _, name := range []string{"01-close-in-handler.md", "07-node-timeouts.md"} {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse("01-x.md", data)
		if err != nil {
			return
		}
		// Whatever parses is valid.
		if err := l.validate(); err != nil {
			t.Fatalf("Parse accepted an invalid lesson: %v", err)
		}
		for _, task := range l.Tasks {
			for _, c := range task.Checks {
				if err := c.Validate(); err != nil {
					t.Fatalf("Parse accepted an invalid check: %v", err)
				}
			}
		}
	})
}

func FuzzDecodeCourse(f *testing.F) {
	f.Add([]byte(`{"v": 1, "lessons": [{"id":"a","title":"A","runtime":"node20","html":"","docs":[],"tasks":[{"text":"t","hint":"h","checks":[{"kind":"exit"}],"textHTML":"","hintHTML":""}],"start":` + scen + `,"solution":` + scen + `}]}`))
	f.Add([]byte(`{"v": 1, "lessons": []}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCourse(data)
		if err != nil {
			return
		}
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeCourse(again); err != nil {
			t.Fatalf("a decoded course does not decode again: %v", err)
		}
	})
}
