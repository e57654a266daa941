package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/yuin/goldmark"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"github.com/keepalive-playground/playground/lessons"
	"github.com/keepalive-playground/playground/scenario"
)

// lessonsDir is the course's directory under the module root.
const lessonsDir = "lessons"

// courseFile is the rendered course in the output.
const courseFile = "lessons.json"

// docHosts are the sites lessons may link to: the documentation a lesson
// rests on. Anything else is a mistake or a link that will rot.
var docHosts = map[string]bool{
	"nodejs.org":            true,
	"undici.nodejs.org":     true,
	"pkg.go.dev":            true,
	"go.dev":                true,
	"developer.mozilla.org": true,
	"www.rfc-editor.org":    true,
	"datatracker.ietf.org":  true,
	"httpwg.org":            true,
	"github.com":            true, // the runtimes' own source
	"nginx.org":             true, // the proxy lessons
	"docs.aws.amazon.com":   true, // the ALB the alb proxy models
	"kubernetes.io":         true, // where graceful shutdown behind a proxy is usually met
}

// lessonLinkRE is an internal link: a lesson, optionally one of its tasks.
var lessonLinkRE = regexp.MustCompile(`^#lesson=([a-z0-9-]+)(?:/([1-9]))?$`)

// courseOf renders root/lessons into lessons.json. A module without a
// lessons directory has no course: nil, and no file.
func courseOf(root string) ([]byte, error) {
	dir := filepath.Join(root, lessonsDir)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, nil
	}
	data, err := renderCourse(dir)
	if err != nil {
		return nil, fmt.Errorf("render lessons: %w", err)
	}
	return data, nil
}

// renderCourse loads the lessons in dir, renders their Markdown and
// returns lessons.json.
func renderCourse(dir string) ([]byte, error) {
	ls, err := lessons.Load(os.DirFS(dir), ".")
	if err != nil {
		return nil, err
	}
	r := newLessonRenderer(ls)
	course := lessons.Course{V: lessons.CourseVersion}
	for _, l := range ls {
		e, err := r.entry(l)
		if err != nil {
			return nil, err
		}
		course.Lessons = append(course.Lessons, e)
	}
	data, err := json.Marshal(course)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", courseFile, err)
	}
	// What the page will decode must decode: the same strict reader.
	if _, err := lessons.DecodeCourse(data); err != nil {
		return nil, err
	}
	return data, nil
}

// lessonRenderer turns lesson Markdown into HTML the page can insert as
// is: GitHub-flavoured Markdown, code highlighted with CSS classes (the
// page's CSP allows no inline style), no raw HTML, no images, and only
// links to other lessons or to the documentation sites in docHosts, the
// latter opening in a new tab.
type lessonRenderer struct {
	md    goldmark.Markdown
	tasks map[string]int // lesson id -> number of tasks
}

func newLessonRenderer(ls []*lessons.Lesson) *lessonRenderer {
	r := &lessonRenderer{tasks: map[string]int{}}
	for _, l := range ls {
		r.tasks[l.ID] = len(l.Tasks)
	}
	r.md = goldmark.New(
		goldmark.WithExtensions(
			extension.GFM,
			highlighting.NewHighlighting(
				highlighting.WithFormatOptions(chromahtml.WithClasses(true)),
				highlighting.WithGuessLanguage(false),
			),
		),
	)
	return r
}

func (r *lessonRenderer) entry(l *lessons.Lesson) (lessons.Entry, error) {
	body, err := r.render(l.Body)
	if err != nil {
		return lessons.Entry{}, fmt.Errorf("%s: %w", l.File, err)
	}
	for _, d := range l.Docs {
		if err := r.checkLink(d.URL); err != nil {
			return lessons.Entry{}, fmt.Errorf("%s: docs: %w", l.File, err)
		}
	}
	var tasks [][2]string
	for i, t := range l.Tasks {
		var pair [2]string
		for j, src := range []string{t.Text, t.Hint} {
			h, err := r.renderInline(src)
			if err != nil {
				return lessons.Entry{}, fmt.Errorf("%s: task %d: %w", l.File, i+1, err)
			}
			pair[j] = h
		}
		tasks = append(tasks, pair)
	}
	return lessons.NewEntry(l, body, tasks)
}

// render converts Markdown to checked HTML.
func (r *lessonRenderer) render(src []byte) (string, error) {
	doc := r.md.Parser().Parse(text.NewReader(src))
	if err := r.vet(doc, src); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := r.md.Renderer().Render(&buf, src, doc); err != nil {
		return "", fmt.Errorf("render: %w", err)
	}
	out := buf.String()
	if err := checkHTML(out); err != nil {
		return "", err
	}
	return out, nil
}

// renderInline renders a one-paragraph text (a task, a hint) without its
// <p> wrapper.
func (r *lessonRenderer) renderInline(src string) (string, error) {
	doc := r.md.Parser().Parse(text.NewReader([]byte(src)))
	if doc.ChildCount() != 1 || doc.FirstChild().Kind() != ast.KindParagraph {
		return "", fmt.Errorf("%q: a task's text and hint are one paragraph of inline Markdown", src)
	}
	h, err := r.render([]byte(src))
	if err != nil {
		return "", err
	}
	h = strings.TrimSuffix(strings.TrimSpace(h), "</p>")
	return strings.TrimPrefix(h, "<p>"), nil
}

// vet walks the document: raw HTML and images are refused, links are
// checked, and links that leave the page open in a new tab without
// handing it window.opener.
func (r *lessonRenderer) vet(doc ast.Node, src []byte) error {
	var errs []error
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		var dest string
		switch n := n.(type) {
		case *ast.RawHTML, *ast.HTMLBlock:
			errs = append(errs, fmt.Errorf("line %d: raw HTML is not allowed in a lesson", lineOf(n, src)))
		case *ast.Image:
			errs = append(errs, fmt.Errorf("image %q: lessons have no images", n.Destination))
		case *ast.Link:
			dest = string(n.Destination)
		case *ast.AutoLink:
			dest = string(n.URL(src))
		case *extast.TaskCheckBox:
			errs = append(errs, errors.New("task-list checkboxes are not allowed; tasks live in the front matter"))
		}
		if dest == "" {
			return ast.WalkContinue, nil
		}
		if err := r.checkLink(dest); err != nil {
			errs = append(errs, err)
			return ast.WalkContinue, nil
		}
		if !strings.HasPrefix(dest, "#") {
			n.SetAttributeString("target", "_blank")
			n.SetAttributeString("rel", "noopener noreferrer")
		}
		return ast.WalkContinue, nil
	})
	return errors.Join(errs...)
}

func lineOf(n ast.Node, src []byte) int {
	var start int
	switch {
	case n.Type() == ast.TypeBlock && n.Lines().Len() > 0:
		start = n.Lines().At(0).Start
	case n.Kind() == ast.KindRawHTML:
		if segs := n.(*ast.RawHTML).Segments; segs.Len() > 0 {
			start = segs.At(0).Start
		}
	}
	return bytes.Count(src[:start], []byte("\n")) + 1
}

// checkLink accepts a link to a lesson (and task) that exists, or a
// well-formed https URL on a documentation site. Nothing is fetched.
func (r *lessonRenderer) checkLink(dest string) error {
	if strings.HasPrefix(dest, scenario.CompareLinkPrefix) {
		// Compares the lesson's scenario on screen: the runs must exist.
		if _, err := scenario.ParseCompareLink(dest); err != nil {
			return fmt.Errorf("link %q: %v", dest, err)
		}
		return nil
	}
	if strings.HasPrefix(dest, "#") {
		m := lessonLinkRE.FindStringSubmatch(dest)
		if m == nil {
			return fmt.Errorf("link %q: an internal link is #lesson=ID, #lesson=ID/TASK or #compare=RUNS", dest)
		}
		n, ok := r.tasks[m[1]]
		if !ok {
			return fmt.Errorf("link %q: there is no lesson %q", dest, m[1])
		}
		if m[2] != "" {
			if k, _ := strconv.Atoi(m[2]); k > n {
				return fmt.Errorf("link %q: lesson %s has %d tasks", dest, m[1], n)
			}
		}
		return nil
	}
	u, err := url.Parse(dest)
	if err != nil {
		return fmt.Errorf("link %q: %w", dest, err)
	}
	switch {
	case u.Scheme != "https":
		return fmt.Errorf("link %q: external links are https", dest)
	case u.User != nil || u.Port() != "" || u.Opaque != "":
		return fmt.Errorf("link %q: not a plain https URL", dest)
	case !docHosts[u.Host]:
		return fmt.Errorf("link %q: %s is not a documentation site lessons link to (see docHosts)", dest, u.Host)
	case strings.ContainsAny(dest, " <>\"'`"):
		return fmt.Errorf("link %q: characters that need escaping", dest)
	}
	return nil
}

// htmlTag is an opening tag, for checkHTML.
var htmlTag = regexp.MustCompile(`<[a-zA-Z][^>]*>`)

// unsafeTag finds what must never reach the page inside a tag: the page
// inserts lesson HTML as is, and its CSP would block (and report) scripts
// and inline styles anyway.
var unsafeTag = regexp.MustCompile(`(?i)^<(script|style|iframe|object|embed|form|img|svg|link|meta|base)\b|\son[a-z]+\s*=|\sstyle\s*=|=\s*"?\s*(javascript|vbscript|data):`)

// checkHTML is the last line of defence behind vet: it inspects every tag
// goldmark wrote.
func checkHTML(h string) error {
	for _, tag := range htmlTag.FindAllString(h, -1) {
		if unsafeTag.MatchString(tag) {
			return fmt.Errorf("rendered HTML contains the tag %q", tag)
		}
	}
	return nil
}
