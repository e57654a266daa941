package exporttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepalive-playground/playground/backend/run"
	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/export"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

var (
	root      = filepath.Join("..", "..")
	npmTools  = filepath.Join(root, "tools", "npm")
	artifacts = filepath.Join(root, "artifacts", "exports")
)

// need stops the test when a consumer is missing: a failure in CI, where
// make test installs them, a skip elsewhere.
func need(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("%s is missing (%v): make test installs it", what, err)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func needNpmTools(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(npmTools, "node_modules", "mermaid"))
	}
	need(t, "tools/npm (make deps-npm)", err)
}

// runs are the story's scenarios and every lesson's solution, run once
// for all the tests here, plus one whose text goes out of its way to
// break a diagram.
var (
	runsOnce sync.Once
	runs     map[string]*export.Run
	runsErr  error
)

const awkward = `{"v":1,"title":"Quotes \" ; # <b> & a title: with colons","server":{"runtime":"go",
 "routes":[{"path":"*","body":"x"}]},
 "client":{"steps":[
  {"at":0,"conn":"A","send":"GET /a;b#c<d>%20e?q=1&r=end HTTP/1.1\r\nHost: demo\r\n\r\n"},
  {"at":100,"conn":"A","send":"POST /end HTTP/1.1\r\nHost: demo\r\nContent-Length: 3\r\n\r\nabc"},
  {"at":200,"conn":"B","send":"not http at all\r\n\r\n"},
  {"at":300,"conn":"A","reset":true}]},
 "durationMs":600}`

func allRuns(t *testing.T) map[string]*export.Run {
	t.Helper()
	runsOnce.Do(func() {
		files, _ := filepath.Glob(filepath.Join(root, "scenarios", "*.json"))
		lessons, _ := filepath.Glob(filepath.Join(root, "lessons", "*.solution.json"))
		files = append(files, lessons...)
		inputs := map[string][]byte{"awkward": []byte(awkward)}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				runsErr = err
				return
			}
			inputs[strings.TrimSuffix(filepath.Base(f), ".json")] = data
		}
		runs = map[string]*export.Run{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		// A few at a time: the suite runs beside timing-sensitive tests.
		slots := make(chan struct{}, 4)
		for name, data := range inputs {
			wg.Go(func() {
				slots <- struct{}{}
				defer func() { <-slots }()
				sc, err := scenario.Decode(data)
				var res *run.Result
				if err == nil {
					res, err = run.Run(context.Background(), sc, all.Runtimes())
				}
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					runsErr = errors.Join(runsErr, fmt.Errorf("%s: %w", name, err))
					return
				}
				link, _ := scenario.EncodeLink(sc)
				runs[name] = &export.Run{Scenario: sc, Events: res.Events, Checks: res.Checks,
					Start: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC), Link: "http://localhost:8080/" + link, Tool: "Keep-Alive Playground", ToolVersion: "test"}
			})
		}
		wg.Wait()
	})
	if runsErr != nil {
		t.Fatal(runsErr)
	}
	return runs
}

// writeAll renders every run in format into dir, one file each.
func writeAll(t *testing.T, format, ext string) (dir string, files map[string]string) {
	t.Helper()
	dir = t.TempDir()
	files = map[string]string{}
	for name, r := range allRuns(t) {
		var b bytes.Buffer
		if err := export.Write(&b, format, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		path := filepath.Join(dir, name+ext)
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files[name] = path
	}
	return dir, files
}

func node(t *testing.T, script string, args ...string) string {
	t.Helper()
	cmd := exec.Command("node", append([]string{filepath.Join(npmTools, script)}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return string(out)
}

// checkAll renders every run in format and has the npm checker script
// read them all; each file it accepts, it reports with ok in its line.
func checkAll(t *testing.T, format, ext, script, ok string) {
	t.Helper()
	needNpmTools(t)
	_, files := writeAll(t, format, ext)
	var paths []string
	for _, p := range files {
		paths = append(paths, p)
	}
	out := node(t, script, paths...)
	if n := strings.Count(out, ok); n != len(paths) {
		t.Errorf("%s accepted %d of %d:\n%s", script, n, len(paths), out)
	}
}

// TestMermaidParses holds every diagram to Mermaid's own parser.
func TestMermaidParses(t *testing.T) {
	checkAll(t, "mermaid", ".md", "check-mermaid.mjs", ": sequence")
}

// TestHARValidates holds every HAR to the HAR 1.2 JSON schema.
func TestHARValidates(t *testing.T) {
	checkAll(t, "har", ".har", "check-har.js", "valid HAR 1.2")
	// The validator is no rubber stamp.
	bad := filepath.Join(t.TempDir(), "bad.har")
	os.WriteFile(bad, []byte(`{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[{"startedDateTime":"now"}]}}`), 0o644)
	if err := exec.Command("node", filepath.Join(npmTools, "check-har.js"), bad).Run(); err == nil {
		t.Error("check-har.js accepted an invalid HAR")
	}
}

// chromium starts a headless Chromium for one test.
func chromium(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		need(t, "chromium", errors.New("not on PATH"))
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.NoFirstRun, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 900),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, tcancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { tcancel(); cancel(); acancel() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// imported is what DevTools made of one HAR entry.
type imported struct {
	URL, Method, ConnectionID, StatusText, Remote string
	Status                                        int
}

// TestHARImportsIntoDevTools opens every HAR in Chromium's own DevTools
// HAR import (the code behind the Network panel's "Import HAR file"):
// HARRoot checks the file's shape as DevTools reads it, and
// requestsFromHARLog turns each entry into the request the panel lists.
func TestHARImportsIntoDevTools(t *testing.T) {
	ctx := chromium(t)
	if _, err := chromedp.Run(ctx, chromedp.Navigate("devtools://devtools/bundled/devtools_app.html")); err != nil {
		t.Fatalf("open DevTools' front end: %v", err)
	}
	for name, r := range allRuns(t) {
		var b bytes.Buffer
		if err := export.HAR(&b, r); err != nil {
			t.Fatal(err)
		}
		var file struct {
			Log struct {
				Entries []struct {
					Request struct {
						Method string `json:"method"`
						URL    string `json:"url"`
					} `json:"request"`
					Response struct {
						Status int `json:"status"`
					} `json:"response"`
					Conn string `json:"_conn"`
				} `json:"entries"`
			} `json:"log"`
		}
		json.Unmarshal(b.Bytes(), &file)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]imported](fmt.Sprintf(`(async () => {
			const har = await import('./models/har/har.js');
			const root = new har.HARFormat.HARRoot(JSON.parse(%q));
			return har.Importer.Importer.requestsFromHARLog(root.log).map(r => ({
				URL: r.url(), Method: r.requestMethod, Status: r.statusCode, StatusText: r.statusText,
				ConnectionID: r.connectionId, Remote: r.remoteAddress()}));
		})()`, b.String()), chromedp.EvalAwaitPromise))
		if err != nil {
			t.Errorf("%s: DevTools did not import it: %v", name, err)
			continue
		}
		if len(got) != len(file.Log.Entries) {
			t.Errorf("%s: DevTools imported %d requests of %d", name, len(got), len(file.Log.Entries))
			continue
		}
		ids := map[string]string{} // connection label → DevTools' connection id
		for i, g := range got {
			e := file.Log.Entries[i]
			if g.URL != e.Request.URL || g.Method != e.Request.Method || g.Status != e.Response.Status {
				t.Errorf("%s: entry %d imported as %+v; the file says %s %s → %d", name, i, g, e.Request.Method, e.Request.URL, e.Response.Status)
			}
			if id, ok := ids[e.Conn]; ok && id != g.ConnectionID {
				t.Errorf("%s: connection %s has DevTools ids %s and %s", name, e.Conn, id, g.ConnectionID)
			}
			ids[e.Conn] = g.ConnectionID
		}
		seen := map[string]bool{}
		for conn, id := range ids {
			if id == "" || seen[id] {
				t.Errorf("%s: connection %s has DevTools id %q, not one of its own", name, conn, id)
			}
			seen[id] = true
		}
	}
}

// TestMermaidRenders draws diagrams with Mermaid in Chromium, as GitHub
// does, and keeps a screenshot of each to look at.
func TestMermaidRenders(t *testing.T) {
	needNpmTools(t)
	ctx := chromium(t)
	dist := http.FileServer(http.Dir(filepath.Join(npmTools, "node_modules", "mermaid", "dist")))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><body style="margin:16px;font-family:sans-serif"><div id="out"></div><script src="/mermaid.min.js"></script>`)
			return
		}
		dist.ServeHTTP(w, r)
	}))
	defer srv.Close()
	if _, err := chromedp.Run(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(artifacts, 0o755)
	fence := regexp.MustCompile("(?s)\n?```mermaid\n(.*)\n```\n$")
	for _, name := range []string{"question-node20", "answer2-keepalive-node20", "awkward", "09-go-shutdown.solution"} {
		r := allRuns(t)[name]
		if r == nil {
			t.Fatalf("no run %s", name)
		}
		var b bytes.Buffer
		export.Mermaid(&b, r)
		m := fence.FindStringSubmatch(b.String())
		if m == nil {
			t.Fatalf("%s: not one fenced block:\n%s", name, b.String())
		}
		texts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`(async () => {
			mermaid.initialize({startOnLoad: false});
			const {svg} = await mermaid.render('d%d', %q);
			document.getElementById('out').innerHTML = svg;
			return [...document.querySelectorAll('#out text')].map(t => t.textContent);
		})()`, time.Now().UnixNano(), m[1]), chromedp.EvalAwaitPromise))
		if err != nil {
			t.Errorf("%s: Mermaid did not render it: %v\n%s", name, err, m[1])
			continue
		}
		all := strings.Join(texts, "\n")
		for _, want := range []string{"Client", "Server"} {
			if !strings.Contains(all, want) {
				t.Errorf("%s: the drawing has no %q: %q", name, want, texts)
			}
		}
		for _, e := range r.Events {
			if e.Kind == timeline.Request && !strings.Contains(all, e.Method+" "+e.Path) {
				t.Errorf("%s: the drawing lacks the request %s %s", name, e.Method, e.Path)
			}
		}
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			path := filepath.Join(artifacts, "mermaid-"+name+".png")
			os.WriteFile(path, shot, 0o644)
			t.Logf("screenshot: %s", path)
		}
	}
}

// sandboxServer starts a demo server of the runtime outside any session,
// for curl to talk to.
func sandboxServer(t *testing.T, rt string) string {
	t.Helper()
	sc := scenario.Scenario{V: 1, Server: scenario.Server{Runtime: rt}}
	full := sc.WithDefaults()
	start := time.Now()
	srv, err := all.Runtimes()[rt](sandbox.Config{
		Server: full.Server,
		Now:    func() float64 { return float64(time.Since(start).Microseconds()) / 1000 },
		Emit:   func(string, timeline.Event) {},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.Addr()
}

var (
	traceTime = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{6} `)
	ports     = regexp.MustCompile(`(127\.0\.0\.1:|port )\d+`)
	afterMs   = regexp.MustCompile(`after \d+ ms`)
	// The lines the transcript claims to share with curl -v.
	curlLines = regexp.MustCompile(`^(\*   Trying |\* Connected to |> |< |\{ \[|\} \[|\* Connection #|\* Re-using existing connection|\* Closing connection|\* Empty reply|\* connect to |\* Failed to connect|curl: \()`)
)

// normalize keeps the lines both sides have, without times, ports and
// dates.
func normalize(transcript string) []string {
	var out []string
	for _, l := range strings.Split(transcript, "\n") {
		l = traceTime.ReplaceAllString(strings.TrimRight(l, "\r"), "")
		if !curlLines.MatchString(l) {
			continue
		}
		l = ports.ReplaceAllString(l, "${1}PORT")
		l = afterMs.ReplaceAllString(l, "after N ms")
		if strings.HasPrefix(l, "< Date: ") {
			l = "< Date: *"
		}
		out = append(out, l)
	}
	return out
}

// TestCurlTranscriptMatchesCurl has curl itself talk to a demo server and
// holds the transcript of the same exchange, made by the playground, to
// curl's own -v --trace-time output, line for line: two requests on one
// kept-alive connection, a Connection: close answer, and a refused
// connect.
func TestCurlTranscriptMatchesCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	need(t, "curl", err)
	out, err := exec.Command(curl, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	version := strings.Fields(string(out))[1]
	if version != export.CurlVersion {
		t.Skipf("curl %s is installed; the transcript follows curl %s's wording", version, export.CurlVersion)
	}
	head := func(path string, extra string) string {
		return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/" + version + "\r\nAccept: */*\r\n" + extra + "\r\n"
	}
	for _, rt := range []string{"go", "node20"} {
		cases := []struct {
			name  string
			args  func(addr string) []string
			steps []scenario.Step
			conn  string // the connection whose block is compared
			after func(sc *scenario.Scenario)
		}{
			{
				name: "reuse",
				args: func(a string) []string {
					return []string{"http://" + a + "/a", "http://" + a + "/b", "-o", os.DevNull, "-o", os.DevNull}
				},
				steps: []scenario.Step{send(0, "A", head("/a", "")), send(200, "A", head("/b", ""))},
				conn:  "A",
			},
			{
				name: "connection close",
				args: func(a string) []string {
					return []string{"-H", "Connection: close", "http://" + a + "/a", "-o", os.DevNull}
				},
				steps: []scenario.Step{send(0, "A", head("/a", "Connection: close\r\n"))},
				conn:  "A",
			},
			{
				// curl's second connection, #1, as the scenario's B.
				name: "refused",
				args: func(a string) []string {
					return []string{"http://" + a + "/a", "http://127.0.0.1:1/", "-o", os.DevNull, "-o", os.DevNull}
				},
				steps: []scenario.Step{send(0, "A", head("/a", "")),
					{At: 300, Conn: "B", Open: true}},
				conn: "B",
				after: func(sc *scenario.Scenario) {
					then := scenario.ThenClose
					if rt == "go" {
						then = scenario.ThenShutdown
					}
					sc.Server.Routes = []scenario.Route{{Path: "*", Body: "bye", Then: scenario.Then{then}}}
				},
			},
		}
		for _, c := range cases {
			t.Run(rt+"/"+c.name, func(t *testing.T) {
				addr := sandboxServer(t, rt)
				cmd := exec.Command(curl, append([]string{"-sSv", "--trace-time"}, c.args(addr)...)...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				cmd.Run() // the refused case exits 7; what it printed is what counts
				want := normalize(stderr.String())
				if c.conn == "B" {
					// curl's lines from its second connect on.
					for i := 1; i < len(want); i++ {
						if strings.HasPrefix(want[i], "*   Trying") {
							want = want[i:]
							break
						}
					}
				}

				sc := &scenario.Scenario{V: 1, Server: scenario.Server{Runtime: rt}, Client: scenario.Client{Steps: c.steps}, DurationMs: 800}
				if c.after != nil {
					c.after(sc)
				}
				if err := sc.Validate(); err != nil {
					t.Fatal(err)
				}
				res, err := run.Run(context.Background(), sc, all.Runtimes())
				if err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				export.Curl(&b, &export.Run{Events: res.Events})
				// One block per connection, in the order they opened.
				blocks := strings.Split(b.String(), "\n\n")
				got := normalize(blocks[strings.Index("ABCDEFGH", c.conn)])
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("the playground's transcript:\n%s\n\ncurl %s's:\n%s\n\n(raw curl output:\n%s)", strings.Join(got, "\n"), version, strings.Join(want, "\n"), stderr.String())
				}
			})
		}
	}
}

func send(at int, conn, data string) scenario.Step {
	return scenario.Step{At: at, Conn: conn, Send: &data}
}
