// Package browsertest drives the real page in headless Chromium, as a
// person would, against the real backend. It needs the built page (make
// build) and Debian's chromium; make test provides both.
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/backend/server"
	"github.com/keepalive-playground/playground/web"
)

// Timeouts for what a person waits for in the page on a loaded 2-core
// machine; they bound failures, they are not measurements.
const (
	readyTimeout = 30 * time.Second
	stepTimeout  = 15 * time.Second
	// runTimeout bounds a wait for a run's end or for its tasks to pass:
	// the lessons' runs are seconds long, and CI's loaded machine ran
	// them twice as slowly as a quiet one.
	runTimeout = 30 * time.Second
)

// artifacts is where screenshots go, for a person to look at.
var artifacts = filepath.Join("..", "..", "artifacts", "browser")

// page is one browser tab on a running playground.
type page struct {
	t   testing.TB
	ctx context.Context
	url string

	mu       sync.Mutex
	problems []string // console errors, exceptions, failed loads
}

// dist returns the built page, or stops the test with what to run.
func dist(t testing.TB) fs.FS {
	t.Helper()
	d := web.Dist()
	if _, err := fs.Stat(d, "index.html"); err != nil {
		msg := "the page is not built: run `make build` (or go run ./build) before the browser tests"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return d
}

func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium is not installed: make test installs Debian's chromium package"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// playground is a running backend on a loopback port that a test can stop
// and start again at the same address.
type playground struct {
	t    testing.TB
	addr string
	pg   *server.Server
	hs   *http.Server
	done chan struct{}
}

func startPlayground(t testing.TB, addr string) *playground {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	p := &playground{t: t, addr: ln.Addr().String(), done: make(chan struct{})}
	p.pg = server.New(server.Options{Assets: dist(t), Runtimes: all.Runtimes()})
	p.hs = &http.Server{Handler: p.pg}
	go func() {
		defer close(p.done)
		p.hs.Serve(ln)
	}()
	t.Cleanup(p.stop)
	return p
}

func (p *playground) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := errors.Join(p.pg.Shutdown(ctx), p.hs.Shutdown(ctx)); err != nil {
		p.t.Errorf("shutdown: %v", err)
	}
	<-p.done
}

// sessions is the playground's session count, from its health endpoint.
func (p *playground) sessions(t testing.TB) int {
	t.Helper()
	resp, err := http.Get("http://" + p.addr + "/healthz")
	if err != nil {
		t.Fatalf("healthz: %v", err)
	}
	defer resp.Body.Close()
	var h struct{ Sessions int }
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatalf("healthz: %v", err)
	}
	return h.Sessions
}

func (p *playground) URL() string { return "http://" + p.addr + "/" }

// newPage starts a fresh headless Chromium (own profile) with one tab.
func newPage(t testing.TB, url string) *page {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); acancel() })
	p := &page{t: t, ctx: ctx, url: url}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enable log: %v", err)
	}
	if err := chromedp.Listen(ctx, p.watch); err != nil {
		t.Fatalf("listen: %v", err)
	}
	return p
}

// goCrash matches the lines the Go runtime prints as it dies: the panic
// or fatal error, the stack's goroutine headers and its file:line frames.
var goCrash = regexp.MustCompile(`(?m)^(panic: |fatal error: |goroutine \d+ \[|\t\S+\.go:\d+)`)

// watch records anything the page reports as an error.
func (p *page) watch(ev any) {
	var problem string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			var str string
			if json.Unmarshal(a.Value, &str) == nil {
				args = append(args, str)
			} else {
				args = append(args, string(a.Value)+a.Description)
			}
		}
		text := strings.Join(args, " ")
		switch {
		case ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert:
			problem = "console." + string(ev.Type) + ": " + text
		case goCrash.MatchString(text):
			// wasm_exec prints the Go program's stderr with console.log:
			// a panic's message and stack come this way, line by line.
			problem = "the Go program: " + text
		}
	case *runtime.EventExceptionThrown:
		problem = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			problem += " " + ev.ExceptionDetails.Exception.Description
		}
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError {
			problem = "log: " + ev.Entry.Text + " " + ev.Entry.URL
		}
	}
	if problem != "" {
		p.mu.Lock()
		p.problems = append(p.problems, problem)
		p.mu.Unlock()
	}
}

// problemsExcept returns the recorded problems that contain none of allow.
func (p *page) problemsExcept(allow ...string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
next:
	for _, pr := range p.problems {
		for _, a := range allow {
			if strings.Contains(pr, a) {
				continue next
			}
		}
		out = append(out, pr)
	}
	return out
}

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
}

// waitJS waits until the expression is truthy.
// onEveryDocument runs src in every document the tab loads from now on,
// before the page's own scripts.
func (p *page) onEveryDocument(src string) {
	p.t.Helper()
	if _, err := chromedp.Call(p.ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
		p.t.Fatalf("add a script to every document: %v", err)
	}
}

func (p *page) waitJS(what, expr string, timeout time.Duration) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		state, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.documentElement.dataset.state + " | " + (document.getElementById("conn-status")||{}).textContent + " | " + (document.getElementById("error-text")||{}).textContent`))
		p.screenshot("failed-" + strings.ReplaceAll(p.t.Name(), "/", "-"))
		p.t.Fatalf("waiting for %s: %v (page: %s; problems: %v)", what, err, state, p.problemsExcept())
	}
}

func evalJS[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// nextFrame returns once the page has drawn the frame after this call:
// what the page invalidated before it is on screen.
func (p *page) nextFrame() {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](
		`new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))`, chromedp.EvalAwaitPromise)); err != nil {
		p.t.Fatalf("wait for a frame: %v", err)
	}
}

// screenshot saves the whole page as artifacts/browser/NAME.png.
func (p *page) screenshot(name string) string {
	p.t.Helper()
	return p.save(name, chromedp.FullScreenshot(100))
}

// viewShot saves what fits in the window, as a person sees it first.
func (p *page) viewShot(name string) string {
	p.t.Helper()
	return p.save(name, chromedp.CaptureScreenshot())
}

func (p *page) save(name string, shot chromedp.Action[[]byte]) string {
	p.t.Helper()
	buf, err := chromedp.Run(p.ctx, shot)
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		p.t.Logf("screenshot: %v", err)
		return ""
	}
	path := filepath.Join(artifacts, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Logf("screenshot: %v", err)
	}
	p.t.Logf("screenshot: %s", path)
	return path
}

func TestPageStartsAndConnects(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.do(chromedp.Navigate(p.url))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	// The client pings once it is ready: a full WebSocket round trip.
	p.waitJS("a WebSocket round trip", `document.getElementById("conn-status").dataset.rtt !== undefined`, stepTimeout)
	status := evalJS[string](p, `document.getElementById("conn-status").textContent`)
	if !strings.HasPrefix(status, "Connected") {
		t.Errorf("status = %q, want Connected…", status)
	}
	if sid := evalJS[string](p, `document.getElementById("conn-session").textContent`); len(sid) != 16 {
		t.Errorf("session id shown = %q, want 16 hex digits", sid)
	}
	// main.js opens the socket while the program loads, and the program
	// takes it over: one page, one session, one open mark.
	if n := pg.sessions(t); n != 1 {
		t.Errorf("the page holds %d sessions, want 1", n)
	}
	if n := evalJS[int](p, `performance.getEntriesByName("kap:ws-open").length`); n != 1 {
		t.Errorf("%d WebSocket opens, want 1", n)
	}
	p.screenshot("ready")
	// The same page in the dark theme and on a phone-sized screen.
	if _, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	p.viewShot("ready-dark")
	p.do(chromedp.EmulateViewport(390, 844))
	p.viewShot("narrow-dark")
	if w := evalJS[int](p, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the page is %d px wide on a 390 px screen: it scrolls sideways", w)
	}
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

func TestPageReconnectsAfterBackendRestart(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.do(chromedp.Navigate(p.url))
	p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
	first := evalJS[string](p, `document.getElementById("conn-session").textContent`)

	pg.stop()
	// The page says so: the server's bye shows as a notice, and the status
	// line says it is restarting (then retrying, then connecting).
	p.waitJS("the page to say the playground is restarting", `document.getElementById("notice").textContent.includes("restarting") ||
		/restarting|Retrying/.test(document.getElementById("conn-status").textContent)`, stepTimeout)
	p.waitJS("the page to notice the restart", `document.getElementById("conn-status").dataset.conn !== "connected"`, stepTimeout)
	p.screenshot("reconnecting")

	startPlayground(t, pg.addr)
	p.waitJS("the page to reconnect", fmt.Sprintf(`document.getElementById("conn-status").dataset.conn === "connected" && document.getElementById("conn-session").textContent !== %q`, first), readyTimeout)
	// While the backend was away the browser logs failed WebSocket
	// connects; that is expected here and nothing else is.
	if probs := p.problemsExcept("WebSocket", "ERR_CONNECTION_REFUSED"); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
