package main

import (
	"github.com/keepalive-playground/playground/scenario"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/lessons"
)

// regexpClockLinger bounds the wait for chroma's regexp engine
// (dlclark/regexp2) to stop the clock goroutine it runs for match
// timeouts: it stops about 1.35 s after the last match, and goleak checks
// for leftover goroutines when the tests end.
const regexpClockLinger = 5 * time.Second

// awaitRegexpClock waits, at the end of a test that highlighted code,
// until regexp2's clock goroutine has ended.
func awaitRegexpClock(t *testing.T) {
	t.Cleanup(func() {
		deadline := time.Now().Add(regexpClockLinger)
		buf := make([]byte, 1<<20)
		for time.Now().Before(deadline) {
			if !strings.Contains(string(buf[:runtime.Stack(buf, true)]), "regexp2/v2.runClock") {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Errorf("regexp2's clock goroutine still runs after %v", regexpClockLinger)
	})
}

var hrefRE = regexp.MustCompile(`<a href="([^"]*)"([^>]*)>`)

// TestLessonsRender renders the real course, as the build does, and checks
// every lesson's HTML: no broken link, no script, external links safe.
func TestLessonsRender(t *testing.T) {
	awaitRegexpClock(t)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := moduleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	data, err := renderCourse(filepath.Join(root, lessonsDir))
	if err != nil {
		t.Fatal(err)
	}
	course, err := lessons.DecodeCourse(data)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, e := range course.Lessons {
		ids[e.ID] = true
	}
	for _, e := range course.Lessons {
		t.Run(e.ID, func(t *testing.T) {
			if !strings.Contains(e.HTML, "<p>") {
				t.Errorf("no paragraphs in the HTML:\n%s", e.HTML)
			}
			if err := checkHTML(e.HTML); err != nil {
				t.Error(err)
			}
			if strings.Contains(e.HTML, "<pre") && !strings.Contains(e.HTML, `<pre class="chroma">`) {
				t.Errorf("a code block is not highlighted with classes")
			}
			if strings.Contains(e.HTML, "raw HTML omitted") {
				t.Errorf("raw HTML in the lesson")
			}
			html := e.HTML
			for _, task := range e.Tasks {
				html += task.TextHTML + task.HintHTML
				if strings.HasPrefix(task.TextHTML, "<p>") || task.TextHTML == "" {
					t.Errorf("task text HTML %q is not inline", task.TextHTML)
				}
			}
			for _, m := range hrefRE.FindAllStringSubmatch(html, -1) {
				href, attrs := m[1], m[2]
				if id, ok := strings.CutPrefix(href, "#lesson="); ok {
					id, _, _ = strings.Cut(id, "/")
					if !ids[id] {
						t.Errorf("link %q: no such lesson", href)
					}
					continue
				}
				if strings.HasPrefix(href, scenario.CompareLinkPrefix) {
					if _, err := scenario.ParseCompareLink(href); err != nil {
						t.Errorf("link %q: %v", href, err)
					}
					continue
				}
				if !strings.HasPrefix(href, "https://") {
					t.Errorf("link %q is neither a lesson nor https", href)
				}
				if !strings.Contains(attrs, `target="_blank"`) || !strings.Contains(attrs, `rel="noopener noreferrer"`) {
					t.Errorf("external link %q lacks target/rel: %q", href, attrs)
				}
			}
			if len(e.Docs) == 0 {
				t.Error("no docs links")
			}
		})
	}
}

func TestLessonRendererRejects(t *testing.T) {
	awaitRegexpClock(t)
	r := newLessonRenderer(nil)
	r.tasks = map[string]int{"one": 2}
	tests := []struct {
		name, src, want string
	}{
		{"raw html block", "<div>x</div>\n", "raw HTML"},
		{"inline html", "a <b onclick=\"x()\">b</b>\n", "raw HTML"},
		{"script", "<script>alert(1)</script>\n", "raw HTML"},
		{"image", "![x](https://nodejs.org/x.png)\n", "lessons have no images"},
		{"javascript link", "[x](javascript:alert(1))\n", "external links are https"},
		{"http link", "[x](http://nodejs.org/)\n", "external links are https"},
		{"unknown host", "[x](https://example.com/)\n", "example.com is not a documentation site"},
		{"userinfo", "[x](https://user@nodejs.org/)\n", "not a plain https URL"},
		{"missing lesson", "[x](#lesson=two)\n", `no lesson "two"`},
		{"missing task", "[x](#lesson=one/3)\n", "lesson one has 2 tasks"},
		{"other fragment", "[x](#top)\n", "an internal link is #lesson=ID"},
		{"relative", "[x](other.md)\n", "external links are https"},
		{"autolink", "see https://example.org/x\n", "example.org is not a documentation site"},
		{"checkbox", "- [ ] do it\n", "task-list checkboxes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.render([]byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}

	good := "See [close](https://nodejs.org/api/http.html#serverclosecallback), " +
		"[lesson one](#lesson=one), [its task](#lesson=one/2) and <https://go.dev/doc/>.\n\n```js\nserver.close();\n```\n"
	h, err := r.render([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<a href="https://nodejs.org/api/http.html#serverclosecallback" target="_blank" rel="noopener noreferrer">`,
		`<a href="#lesson=one">`,
		`<a href="https://go.dev/doc/" target="_blank" rel="noopener noreferrer">`,
		`<pre class="chroma"><code>`,
		`<span class="nx">server</span>`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %s:\n%s", want, h)
		}
	}
	if _, err := r.renderInline("two\n\nparagraphs"); err == nil {
		t.Error("renderInline accepted two paragraphs")
	}
	if got, err := r.renderInline("use `close()`"); err != nil || got != "use <code>close()</code>" {
		t.Errorf("renderInline = %q, %v", got, err)
	}
}

func TestCheckHTML(t *testing.T) {
	tests := []struct {
		html string
		ok   bool
	}{
		{`<p>one = 1, on= fine in text, style= too</p>`, true},
		{`<a href="https://nodejs.org/" target="_blank">x</a>`, true},
		{`<p onclick="x()">`, false},
		{`<span style="color:red">`, false},
		{`<script src="x.js">`, false},
		{`<a href="javascript:alert(1)">`, false},
		{`<a href="data:text/html,x">`, false},
		{`<img src="x">`, false},
	}
	for _, tt := range tests {
		if err := checkHTML(tt.html); (err == nil) != tt.ok {
			t.Errorf("checkHTML(%q) = %v, want ok=%v", tt.html, err, tt.ok)
		}
	}
}
