// Package lessons holds the guided course: one Markdown file per lesson in
// this directory, each with a small front matter, a starting scenario and a
// reference solution beside it. The package parses and validates all of it
// for the build (which renders the Markdown into lessons.json), for the
// content test (which runs every solution) and, through Course, for the
// browser. It is platform-neutral: it builds for GOOS=js as well.
//
// A lesson file is named NN-ID.md (NN orders the course) and starts with a
// front matter block in a small, strict subset of YAML:
//
//	---
//	id: close-in-handler
//	title: The shortest web server
//	runtime: node18
//	start: 01-close-in-handler.start.json
//	solution: 01-close-in-handler.solution.json
//	docs:
//	  - [server.close()](https://nodejs.org/api/http.html#serverclosecallback)
//	tasks:
//	  - text: Send a second request on `A` after close() and get an answer.
//	    hint: Add a step on conn A at 1000 ms.
//	    checks:
//	      - {"conn": "A", "kind": "response", "nth": 2}
//	---
//	Markdown body…
//
// Values are plain text to the end of the line, or a double-quoted JSON
// string; checks are timeline.Check
// JSON, one per line. Indentation is exactly two spaces per level, tabs
// and unknown keys are errors, and every error names its line.
package lessons

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// Limits on a lesson. Lessons are our own content, but the course is
// shipped to every browser, so a runaway file should fail the build rather
// than bloat the page.
const (
	// MaxLessonBytes bounds one Markdown file.
	MaxLessonBytes = 64 << 10
	// MaxTasks is the most tasks a lesson asks for: the issue wants one to
	// three, so that a lesson stays one idea.
	MaxTasks = 3
	// MaxChecksPerTask bounds a task's checks.
	MaxChecksPerTask = 8
	// MaxDocs bounds a lesson's documentation links.
	MaxDocs = 8
	// MaxTitleChars bounds a lesson title (it is also the scenario title).
	MaxTitleChars = scenario.MaxTitleChars
	// MaxTextChars bounds a task's text and hint (prose, not essays).
	MaxTextChars = timeline.MaxCheckText
)

// Lesson is one lesson as its files declare it.
type Lesson struct {
	ID      string
	Title   string
	Runtime string
	// File is the Markdown file's name; StartFile and SolutionFile are the
	// scenario files beside it.
	File, StartFile, SolutionFile string
	Docs                          []Doc
	Tasks                         []Task
	// Body is the Markdown after the front matter.
	Body []byte
	// BodyLine is the line of the file Body starts at, for error messages.
	BodyLine int

	Start, Solution *scenario.Scenario
}

// Doc is a documentation page a lesson rests on.
type Doc struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Task is one thing a lesson asks the learner to make happen; it is done
// when every check passes over one run's events.
type Task struct {
	Text   string           `json:"text"`
	Hint   string           `json:"hint"`
	Checks []timeline.Check `json:"checks"`
}

// Eval evaluates the task's checks over a run's events.
func (t Task) Eval(events []timeline.Event) (pass bool, results []timeline.Result) {
	results = timeline.EvalAll(t.Checks, events)
	pass = true
	for _, r := range results {
		pass = pass && r.Pass
	}
	return pass, results
}

// The name checks below are written out by hand rather than as regular
// expressions: this package is compiled into the browser's wasm, and
// package regexp (with its Unicode tables, built at start-up) would cost
// more there than these few patterns are worth. Each matches exactly the
// language of the pattern its comment quotes; the tests hold them to it.

// ValidID reports whether id is lower-case letters and digits in words
// joined by single hyphens ("close-in-handler"), the form of a lesson id.
// It does not bound the length; ValidLessonID does.
//
// It matches the same language as `^[a-z0-9]+(?:-[a-z0-9]+)*$`.
func ValidID(id string) bool {
	if id == "" || id[0] == '-' || id[len(id)-1] == '-' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c == '-' {
			if id[i-1] == '-' {
				return false
			}
			continue
		}
		if !isLowerAlnum(c) {
			return false
		}
	}
	return true
}

// parseLessonFileName splits a lesson file name "NN-ID.md" into its number
// and id.
//
// It matches the same language as
// `^([0-9]{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$`, and num and id are that
// pattern's two submatches.
func parseLessonFileName(name string) (num, id string, ok bool) {
	rest, ok := strings.CutSuffix(name, ".md")
	if !ok || len(rest) < 3 || !isDigit(rest[0]) || !isDigit(rest[1]) || rest[2] != '-' || !ValidID(rest[3:]) {
		return "", "", false
	}
	return rest[:2], rest[3:], true
}

// validScenarioFileName reports whether name has the form of a lesson's
// scenario file, "NN-ID.KIND.json".
//
// It matches the same language as `^[0-9]{2}-[a-z0-9-]+\.[a-z]+\.json$`:
// neither the ID nor the KIND part may hold a '.', so the one dot left
// once ".json" is cut must split them.
func validScenarioFileName(name string) bool {
	rest, ok := strings.CutSuffix(name, ".json")
	if !ok || len(rest) < 3 || !isDigit(rest[0]) || !isDigit(rest[1]) || rest[2] != '-' {
		return false
	}
	id, kind, ok := strings.Cut(rest[3:], ".")
	if !ok || id == "" || kind == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !isLowerAlnum(id[i]) && id[i] != '-' {
			return false
		}
	}
	for i := 0; i < len(kind); i++ {
		if c := kind[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// parseDocLink splits a docs item "[title](https://…)" into its title and
// URL.
//
// It matches the same language as
// `^\[([^\[\]]+)\]\((https://[^\s()]+)\)$`, where \s is Go's
// [\t\n\f\r ], and title and url are that pattern's two submatches.
// Every byte it looks for is ASCII, which never occurs inside a multi-byte
// UTF-8 sequence, so testing bytes rather than runes is exact.
func parseDocLink(item string) (title, url string, ok bool) {
	rest, ok := strings.CutPrefix(item, "[")
	if !ok {
		return "", "", false
	}
	end := strings.IndexAny(rest, "[]")
	if end <= 0 || rest[end] != ']' {
		return "", "", false
	}
	title, rest = rest[:end], rest[end+1:]
	rest, ok = strings.CutPrefix(rest, "(")
	if !ok {
		return "", "", false
	}
	url, ok = strings.CutSuffix(rest, ")")
	if !ok || len(url) <= len("https://") || !strings.HasPrefix(url, "https://") || strings.ContainsAny(url, "\t\n\f\r ()") {
		return "", "", false
	}
	return title, url, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || isDigit(c) }

// LineError is a problem at a line of a lesson file.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Parse reads one lesson file's front matter and body. The scenarios it
// names are not read: Load does that.
func Parse(file string, data []byte) (*Lesson, error) {
	if len(data) > MaxLessonBytes {
		return nil, fmt.Errorf("%s: %d bytes; the limit is %d", file, len(data), MaxLessonBytes)
	}
	p := &parser{file: file}
	l, err := p.parse(data)
	if err != nil {
		return nil, err
	}
	l.File = file
	if err := l.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return l, nil
}

type parser struct {
	file string
	line int
}

func (p *parser) errorf(format string, args ...any) error {
	return &LineError{File: p.file, Line: p.line, Msg: fmt.Sprintf(format, args...)}
}

// section is where in the front matter the parser is.
type section int

const (
	inTop section = iota
	inDocs
	inTasks
	inChecks
)

func (p *parser) parse(data []byte) (*Lesson, error) {
	if !bytes.HasPrefix(data, []byte("---\n")) {
		p.line = 1
		return nil, p.errorf("a lesson starts with a front matter block: a line ---")
	}
	lines := strings.Split(string(data), "\n")
	l := &Lesson{}
	seen := map[string]bool{}
	sec := inTop
	var task *Task
	for i := 1; i < len(lines); i++ {
		p.line = i + 1
		line := lines[i]
		if line == "---" {
			if task != nil && task.Checks == nil && sec != inChecks {
				return nil, p.errorf("the last task has no checks")
			}
			l.Body = []byte(strings.Join(lines[i+1:], "\n"))
			l.BodyLine = i + 2
			return l, nil
		}
		if strings.ContainsRune(line, '\t') {
			return nil, p.errorf("a tab: indent with spaces")
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if line != strings.TrimRight(line, " \r") {
			return nil, p.errorf("trailing space")
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		text := line[indent:]
		switch {
		case indent == 0:
			key, val, err := p.keyValue(text)
			if err != nil {
				return nil, err
			}
			if seen[key] {
				return nil, p.errorf("%s: duplicate key", key)
			}
			seen[key] = true
			sec = inTop
			switch key {
			case "id":
				l.ID = val
			case "title":
				l.Title = val
			case "runtime":
				l.Runtime = val
			case "start":
				l.StartFile = val
			case "solution":
				l.SolutionFile = val
			case "docs", "tasks":
				if val != "" {
					return nil, p.errorf("%s: a list follows on the next lines, not a value", key)
				}
				sec = map[string]section{"docs": inDocs, "tasks": inTasks}[key]
			default:
				return nil, p.errorf("%s: unknown key (want id, title, runtime, start, solution, docs or tasks)", key)
			}
			if sec == inTop && val == "" {
				return nil, p.errorf("%s: missing value", key)
			}
		case indent == 2 && sec == inDocs:
			item, ok := strings.CutPrefix(text, "- ")
			if !ok {
				return nil, p.errorf("a docs item is a line `  - [title](https://…)`")
			}
			title, url, ok := parseDocLink(item)
			if !ok {
				return nil, p.errorf("%q is not a [title](https://…) link", item)
			}
			l.Docs = append(l.Docs, Doc{Title: title, URL: url})
		case indent == 2 && (sec == inTasks || sec == inChecks):
			item, ok := strings.CutPrefix(text, "- ")
			if !ok {
				return nil, p.errorf("a task starts with a line `  - text: …`")
			}
			key, val, err := p.keyValue(item)
			if err != nil {
				return nil, err
			}
			if key != "text" {
				return nil, p.errorf("a task starts with its text (`- text: …`), not %s", key)
			}
			if task != nil && task.Checks == nil {
				return nil, p.errorf("the task before this one has no checks")
			}
			l.Tasks = append(l.Tasks, Task{Text: val})
			task = &l.Tasks[len(l.Tasks)-1]
			sec = inTasks
		case indent == 4 && task != nil && (sec == inTasks || sec == inChecks):
			key, val, err := p.keyValue(text)
			if err != nil {
				return nil, err
			}
			switch key {
			case "hint":
				if task.Hint != "" {
					return nil, p.errorf("hint: duplicate key")
				}
				task.Hint = val
				sec = inTasks
			case "checks":
				if val != "" {
					return nil, p.errorf("checks: a list follows on the next lines, not a value")
				}
				if task.Checks != nil {
					return nil, p.errorf("checks: duplicate key")
				}
				task.Checks = []timeline.Check{}
				sec = inChecks
			default:
				return nil, p.errorf("%s: unknown task key (want hint or checks)", key)
			}
			if key == "hint" && val == "" {
				return nil, p.errorf("hint: missing value")
			}
		case indent == 6 && sec == inChecks:
			item, ok := strings.CutPrefix(text, "- ")
			if !ok {
				return nil, p.errorf("a check is a line `      - {…JSON…}`")
			}
			c, err := decodeCheck([]byte(item))
			if err != nil {
				return nil, p.errorf("check: %v", err)
			}
			task.Checks = append(task.Checks, c)
		default:
			return nil, p.errorf("unexpected indentation (%d spaces) here", indent)
		}
	}
	return nil, p.errorf("the front matter never ends: add a line ---")
}

// keyValue splits "key: value" (or "key:" with the value on later lines).
func (p *parser) keyValue(text string) (key, val string, err error) {
	key, val, ok := strings.Cut(text, ":")
	if !ok || key == "" || strings.ContainsAny(key, " \"'") {
		return "", "", p.errorf("%q is not a `key: value` line", text)
	}
	if val != "" && val[0] != ' ' {
		return "", "", p.errorf("%s: put a space after the colon", key)
	}
	val = strings.TrimSpace(val)
	if strings.HasPrefix(val, `"`) {
		// A double-quoted value, for text that starts with a quote or
		// holds ": " where a YAML reader would stumble; JSON string
		// syntax, which YAML's double-quoted style accepts.
		var s string
		if err := json.Unmarshal([]byte(val), &s); err != nil {
			return "", "", p.errorf("%s: a quoted value is a JSON string: %v", key, err)
		}
		val = s
	}
	return key, val, nil
}

// decodeCheck reads one check strictly: unknown fields and trailing data
// are errors, and the check must validate.
func decodeCheck(data []byte) (timeline.Check, error) {
	var c timeline.Check
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("not a check: %w", err)
	}
	if dec.More() {
		return c, errors.New("data after the check's closing brace")
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// ValidLessonID reports whether id can be a lesson's id: ValidID, and at
// most scenario.MaxLessonChars long (bytes and characters are the same
// here, since ValidID allows only ASCII).
func ValidLessonID(id string) bool {
	return ValidID(id) && len(id) <= scenario.MaxLessonChars
}

func (l *Lesson) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !ValidLessonID(l.ID) {
		add("id %q: use lower-case words joined by '-', at most %d characters", l.ID, scenario.MaxLessonChars)
	}
	if l.Title == "" || len([]rune(l.Title)) > MaxTitleChars {
		add("title: 1 to %d characters", MaxTitleChars)
	}
	if !slices.Contains(scenario.RuntimeNames(), l.Runtime) {
		add("runtime %q is not one of %s", l.Runtime, strings.Join(scenario.RuntimeNames(), ", "))
	}
	for _, f := range []struct{ key, name string }{{"start", l.StartFile}, {"solution", l.SolutionFile}} {
		if !validScenarioFileName(f.name) {
			add("%s %q: a scenario file beside the lesson, named NN-ID.KIND.json", f.key, f.name)
		}
	}
	if l.StartFile == l.SolutionFile {
		add("start and solution are the same file")
	}
	if len(l.Docs) == 0 || len(l.Docs) > MaxDocs {
		add("docs: 1 to %d links to the documentation the lesson rests on", MaxDocs)
	}
	if len(l.Tasks) == 0 || len(l.Tasks) > MaxTasks {
		add("tasks: 1 to %d", MaxTasks)
	}
	for i, t := range l.Tasks {
		switch {
		case t.Text == "" || len(t.Text) > MaxTextChars:
			add("task %d: text of 1 to %d bytes", i+1, MaxTextChars)
		case t.Hint == "" || len(t.Hint) > MaxTextChars:
			add("task %d: hint of 1 to %d bytes", i+1, MaxTextChars)
		case len(t.Checks) == 0 || len(t.Checks) > MaxChecksPerTask:
			add("task %d: 1 to %d checks", i+1, MaxChecksPerTask)
		}
	}
	if len(bytes.TrimSpace(l.Body)) == 0 {
		add("the lesson has no text after its front matter")
	}
	return errors.Join(errs...)
}

// Load reads every lesson in dir of fsys, in file-name order, with its
// scenarios. Every .md file must be a lesson (NN-ID.md, the id matching its
// front matter) and every .json file must belong to one, so that a renamed
// lesson cannot leave a stale scenario behind.
func Load(fsys fs.FS, dir string) ([]*Lesson, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read lessons: %w", err)
	}
	var out []*Lesson
	jsonFiles := map[string]bool{}
	ids := map[string]string{}
	orders := map[string]string{}
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir() || strings.HasSuffix(name, ".go"):
			continue
		case strings.HasSuffix(name, ".json"):
			jsonFiles[name] = true
			continue
		case !strings.HasSuffix(name, ".md"):
			continue
		}
		num, fileID, ok := parseLessonFileName(name)
		if !ok {
			return nil, fmt.Errorf("%s: a lesson file is named NN-ID.md", name)
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read lesson: %w", err)
		}
		l, err := Parse(name, data)
		if err != nil {
			return nil, err
		}
		if l.ID != fileID {
			return nil, fmt.Errorf("%s: id %q does not match the file name", name, l.ID)
		}
		if prev, ok := ids[l.ID]; ok {
			return nil, fmt.Errorf("%s: id %q is taken by %s", name, l.ID, prev)
		}
		ids[l.ID] = name
		if prev, ok := orders[num]; ok {
			return nil, fmt.Errorf("%s: number %s is taken by %s", name, num, prev)
		}
		orders[num] = name
		for _, s := range []struct {
			file string
			dst  **scenario.Scenario
		}{{l.StartFile, &l.Start}, {l.SolutionFile, &l.Solution}} {
			raw, err := fs.ReadFile(fsys, path.Join(dir, s.file))
			if err != nil {
				return nil, fmt.Errorf("%s: read scenario: %w", name, err)
			}
			sc, err := scenario.Decode(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", name, s.file, err)
			}
			*s.dst = sc
		}
		if err := l.validateScenarios(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, l)
	}
	for _, l := range out {
		delete(jsonFiles, l.StartFile)
		delete(jsonFiles, l.SolutionFile)
	}
	if len(jsonFiles) > 0 {
		return nil, fmt.Errorf("scenario files no lesson names: %s", strings.Join(slices.Sorted(maps.Keys(jsonFiles)), ", "))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no lessons in %s", dir)
	}
	return out, nil
}

// validateScenarios ties the scenarios to the lesson: the lesson's
// checks live in its tasks, not in the scenario (one source of truth), and
// the start runs the runtime the lesson names.
func (l *Lesson) validateScenarios() error {
	var errs []error
	for _, s := range []struct {
		file string
		sc   *scenario.Scenario
	}{{l.StartFile, l.Start}, {l.SolutionFile, l.Solution}} {
		if len(s.sc.Checks) > 0 {
			errs = append(errs, fmt.Errorf("%s: a lesson scenario has no checks of its own; they belong in the tasks", s.file))
		}
		if s.sc.Lesson != "" && s.sc.Lesson != l.ID {
			errs = append(errs, fmt.Errorf("%s: lesson %q is not this lesson (%q)", s.file, s.sc.Lesson, l.ID))
		}
	}
	if l.Start.Server.Runtime != l.Runtime {
		errs = append(errs, fmt.Errorf("%s: runtime %s, but the lesson says %s", l.StartFile, l.Start.Server.Runtime, l.Runtime))
	}
	return errors.Join(errs...)
}

// Checks is every check of every task, in order.
func (l *Lesson) Checks() []timeline.Check {
	var out []timeline.Check
	for _, t := range l.Tasks {
		out = append(out, t.Checks...)
	}
	return out
}
