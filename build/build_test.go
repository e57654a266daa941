package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"go.uber.org/goleak"

	"github.com/keepalive-playground/playground/web"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var hashedRE = regexp.MustCompile(`^[a-z_]+-[A-Z2-7]{8}\.[a-z.]+$`)

func TestHashedName(t *testing.T) {
	tests := []struct {
		logical string
		data    string
	}{
		{"main.wasm", "\x00asm"},
		{"wasm_exec.js", "globalThis.Go = class {}"},
		{"x.min.js", "1"},
		{"app.css", ""},
	}
	for _, tt := range tests {
		t.Run(tt.logical, func(t *testing.T) {
			name := hashedName(tt.logical, []byte(tt.data))
			if !hashedRE.MatchString(name) {
				t.Fatalf("hashedName = %q, not name-HASH.ext", name)
			}
			if got, ok := logicalName(name); !ok || got != tt.logical {
				t.Errorf("logicalName(%q) = %q, %v; want %q", name, got, ok, tt.logical)
			}
			if again := hashedName(tt.logical, []byte(tt.data)); again != name {
				t.Errorf("not deterministic: %q then %q", name, again)
			}
			if other := hashedName(tt.logical, []byte(tt.data+" ")); other == name {
				t.Errorf("content change kept the name %q", name)
			}
		})
	}
}

func TestLogicalName(t *testing.T) {
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"main-ABCD2345.js", "main.js", true},
		{"wasm_exec-ABCD2345.js", "wasm_exec.js", true},
		{"my-font-ABCD2345.woff2", "my-font.woff2", true},
		{"main-ABCD2345", "main", true},
		{"main.js", "", false},
		{"main-abcd2345.js", "", false}, // lower case: not a hash
		{"main-ABCD1890.js", "", false}, // 0, 1, 8, 9 are not base32
		{"main-ABC.js", "", false},
		{"-ABCD2345.js", "", false},
	}
	for _, tt := range tests {
		got, ok := logicalName(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("logicalName(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzLogicalName(f *testing.F) {
	for _, s := range []string{"main.js", "wasm_exec.js", "a-b.c.d", "a.", "x", "-.js", ".keep", "main-ABCD2345.js"} {
		f.Add(s, []byte("data"))
	}
	f.Fuzz(func(t *testing.T, logical string, data []byte) {
		name := hashedName(logical, data)
		got, ok := logicalName(name)
		stem, _, _ := strings.Cut(logical, ".")
		if stem == "" {
			if ok {
				t.Fatalf("logicalName(%q) = %q for a name without a stem", name, got)
			}
			return
		}
		if !ok || got != logical {
			t.Fatalf("logicalName(hashedName(%q)) = %q, %v", logical, got, ok)
		}
		// Whatever logicalName accepts, it strips exactly one hash.
		if back, ok := logicalName(logical); ok && len(back) != len(logical)-hashLen-1 {
			t.Fatalf("logicalName(%q) = %q", logical, back)
		}
	})
}

func fakeAssets() []asset {
	var out []asset
	for logical, data := range map[string]string{
		"main.wasm":    "\x00asm\x01\x00\x00\x00",
		"wasm_exec.js": "globalThis.Go = class {};",
		"main.js":      "console.log(1)",
		"app.css":      "body{margin:0}",
	} {
		out = append(out, asset{Logical: logical, Name: hashedName(logical, []byte(data)), Data: []byte(data)})
	}
	return out
}

func TestDistFiles(t *testing.T) {
	assets := fakeAssets()
	const page = `<!doctype html><html data-wasm="{{asset "main.wasm"}}"><link rel=stylesheet href="{{asset "app.css"}}">` +
		`<script src="{{asset "wasm_exec.js"}}"></script><script src="{{asset "main.js"}}"></script>`
	files, err := distFiles(assets, []byte(page), nil)
	if err != nil {
		t.Fatal(err)
	}

	var m map[string]string
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(m) != len(assets) {
		t.Errorf("manifest has %d entries, want %d: %v", len(m), len(assets), m)
	}
	index := string(files["index.html"])
	for _, a := range assets {
		url := m[a.Logical]
		if url != "/assets/"+a.Name {
			t.Errorf("manifest[%q] = %q, want /assets/%s", a.Logical, url, a.Name)
		}
		if !bytes.Equal(files["assets/"+a.Name], a.Data) {
			t.Errorf("assets/%s does not hold %s's content", a.Name, a.Logical)
		}
		if !strings.Contains(index, `"`+url+`"`) {
			t.Errorf("index.html does not reference %s:\n%s", url, index)
		}
	}
	if strings.Contains(index, "{{") {
		t.Errorf("template left unrendered:\n%s", index)
	}
	if want := len(assets) + 2; len(files) != want {
		t.Errorf("%d files, want %d", len(files), want)
	}
}

func TestRenderIndexErrors(t *testing.T) {
	m := manifest{"main.js": "/assets/main-ABCD2345.js"}
	tests := []struct {
		name, src, want string
	}{
		{"unknown asset", `<script src="{{asset "nope.js"}}"></script>`, `no asset "nope.js" (have main.js)`},
		{"bad syntax", `{{asset "main.js"`, "parse index.html template"},
		{"unknown func", `{{hash "main.js"}}`, "parse index.html template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderIndex([]byte(tt.src), m, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	dup := append(fakeAssets(), asset{Logical: "main.js", Name: "main-ZZZZ2345.js"})
	if _, err := newManifest(dup); err == nil {
		t.Error("two assets with one logical name: no error")
	}
}

func TestBundle(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"src/main.js": `// a comment that minification drops
import { greet } from "./greet.js";
import "./extra.css";
let settings = globalThis.settings;
settings ||= { name: "world" }; // ES2021: must be lowered for es2020
document.title = greet(settings.name);
`,
		"src/greet.js":  "export function greet(who) {\n  return `hello ${who}`;\n}\n",
		"src/extra.css": ".extra {\n  color: red;\n}\n",
		"src/app.css":   "/* page styles */\nbody {\n  margin: 0;\n}\n",
	})
	entries := []string{filepath.Join(dir, "src", "main.js"), filepath.Join(dir, "src", "app.css")}
	assets, warnings, err := bundle(dir, entries)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings: %q", warnings)
	}
	got := map[string]asset{}
	for _, a := range assets {
		if !hashedRE.MatchString(a.Name) {
			t.Errorf("output %q is not name-HASH.ext", a.Name)
		}
		got[a.Logical] = a
	}
	for _, want := range []string{"main.js", "main.css", "app.css"} {
		if _, ok := got[want]; !ok {
			t.Errorf("no %s among the outputs %v", want, assets)
		}
	}
	js := string(got["main.js"].Data)
	for _, bad := range []string{"a comment", "||=", "import ", "\n  "} {
		if strings.Contains(js, bad) {
			t.Errorf("main.js contains %q: not bundled, minified and lowered:\n%s", bad, js)
		}
	}
	if !strings.Contains(js, "hello ") {
		t.Errorf("main.js lacks the imported module:\n%s", js)
	}
	if css := string(got["main.css"].Data); !strings.Contains(css, ".extra{color:red}") {
		t.Errorf("main.css = %q, want the imported CSS minified", css)
	}
	if css := string(got["app.css"].Data); css != "body{margin:0}\n" {
		t.Errorf("app.css = %q", css)
	}

	// The hash follows the content.
	writeFiles(t, dir, map[string]string{"src/greet.js": "export function greet(who) { return `hi ${who}`; }\n"})
	again, _, err := bundle(dir, entries)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range again {
		if a.Logical == "main.js" && a.Name == got["main.js"].Name {
			t.Errorf("main.js changed but kept the name %s", a.Name)
		}
		if a.Logical == "app.css" && a.Name != got["app.css"].Name {
			t.Errorf("app.css did not change but was renamed %s -> %s", got["app.css"].Name, a.Name)
		}
	}
}

func TestBundleErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"syntax", "let a = 1;\nlet x = ;\n", []string{"1 error(s)", "Unexpected \";\"", "src/main.js:2:8"}},
		{"missing imports", "import \"./missing.js\";\nimport \"./gone.css\";\n", []string{"2 error(s)", "src/main.js:1:", "./missing.js", "src/main.js:2:", "./gone.css"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"src/main.js": tt.src})
			_, _, err := bundle(dir, []string{filepath.Join(dir, "src", "main.js")})
			if err == nil {
				t.Fatal("no error for a broken entry")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

func TestCompress(t *testing.T) {
	text := bytes.Repeat([]byte("keep-alive keeps the connection open. "), 200)
	noise := make([]byte, 4096)
	rand.Read(noise)
	tiny := []byte("x")

	c := newCompressor(watchBrotliQuality)
	vs, err := c.compress([][]byte{text, noise, tiny})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("gzip decodes to the original", func(t *testing.T) {
		zr, err := gzip.NewReader(bytes.NewReader(vs[0].gz))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, text) {
			t.Fatalf("gunzip: %d bytes, err %v; want the %d original bytes", len(got), err, len(text))
		}
	})
	t.Run("brotli decodes to the original", func(t *testing.T) {
		got, err := io.ReadAll(brotli.NewReader(bytes.NewReader(vs[0].br)))
		if err != nil || !bytes.Equal(got, text) {
			t.Fatalf("brotli: %d bytes, err %v; want the %d original bytes", len(got), err, len(text))
		}
	})
	t.Run("variants that are not smaller are skipped", func(t *testing.T) {
		for i, v := range vs[1:] {
			if v.gz != nil || v.br != nil {
				t.Errorf("input %d: variants of %d and %d bytes kept", i+1, len(v.gz), len(v.br))
			}
		}
		if len(vs[0].gz) >= len(text) || len(vs[0].br) >= len(text) {
			t.Error("compressible text lost a variant")
		}
	})
	t.Run("results are cached by content", func(t *testing.T) {
		c.mu.Lock()
		n := len(c.cache)
		c.mu.Unlock()
		again, err := c.compress([][]byte{append([]byte(nil), text...)})
		if err != nil {
			t.Fatal(err)
		}
		if &again[0].br[0] != &vs[0].br[0] {
			t.Error("same content compressed again")
		}
		if len(c.cache) != n {
			t.Errorf("cache grew from %d to %d", n, len(c.cache))
		}
	})
}

func TestPublish(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "dist")
	writeFiles(t, out, map[string]string{
		".keep":                      "placeholder",
		"index.html":                 "old page",
		"index.html.br":              "old page, brotli",
		"assets/main-OLDOLD22.js":    "old script",
		"assets/main-OLDOLD22.js.gz": "old script, gzip",
		"lessons/old/01.json":        "{}",
	})
	files := map[string][]byte{
		"index.html":              []byte("new page"),
		"manifest.json":           []byte("{}"),
		"assets/main-NEWNEW22.js": []byte("new script"),
	}
	vars := map[string]variants{
		"assets/main-NEWNEW22.js": {gz: []byte("gz"), br: []byte("br")},
		"index.html":              {gz: []byte("page gz")}, // brotli was not smaller
	}
	if err := publish(out, files, vars); err != nil {
		t.Fatal(err)
	}

	var got []string
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	want := []string{".keep", "assets/main-NEWNEW22.js", "assets/main-NEWNEW22.js.br", "assets/main-NEWNEW22.js.gz", "index.html", "index.html.gz", "manifest.json"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("output files:\n got %v\nwant %v", got, want)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "index.html")); string(data) != "new page" {
		t.Errorf("index.html = %q", data)
	}
	if data, _ := os.ReadFile(filepath.Join(out, ".keep")); string(data) != "placeholder" {
		t.Errorf(".keep = %q, want it untouched", data)
	}
	if _, err := os.Stat(filepath.Join(out, "lessons")); !os.IsNotExist(err) {
		t.Errorf("empty directories of the old build remain: %v", err)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("stage left beside the output: %v", entries)
	}
}

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"wasm/main.go": "package main", "wasm/main_test.go": "package main"})
	dirs := []string{"wasm", "absent"}
	before := fingerprint(dir, dirs)
	writeFiles(t, dir, map[string]string{"wasm/main_test.go": "package main // edited"})
	if fingerprint(dir, dirs) != before {
		t.Error("a test file changed the fingerprint")
	}
	writeFiles(t, dir, map[string]string{"wasm/main.go": "package main // edited"})
	if fingerprint(dir, dirs) == before {
		t.Error("an edit left the fingerprint unchanged")
	}
}

// TestBuild runs the whole pipeline on a tiny module, including the real
// compiler (a few seconds for a hello-world wasm), and serves the result
// with web.NewHandler, as the backend's -dev mode does.
func TestBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a wasm binary")
	}
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"go.mod":       "module example.com/tiny\n\ngo 1.21\n",
		"wasm/main.go": "package main\n\nfunc main() { println(\"hello from wasm\") }\n",
		"web/src/index.html": `<!doctype html><html data-wasm="{{asset "main.wasm"}}"><title>tiny</title>` +
			`<link rel=stylesheet href="{{asset "app.css"}}"><script src="{{asset "wasm_exec.js"}}"></script>` +
			`<script src="{{asset "main.js"}}"></script>`,
		"web/src/main.js": "const url = document.documentElement.dataset.wasm;\nconsole.log(url);\n",
		"web/src/app.css": "html { color: black; }\n",
		"web/dist/.keep":  "placeholder",
	})
	cfg := defaultConfig(root)
	cfg.BrotliQuality = watchBrotliQuality
	cfg.Log = io.Discard
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tc, err := findToolchain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := newBuilder(cfg, tc)
	rep, err := b.build(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	printReport(&sb, cfg, rep)
	if !regexp.MustCompile(`main\.wasm \d+ B raw / \d+ B gzip / \d+ B brotli`).MatchString(sb.String()) {
		t.Errorf("report lacks the wasm sizes: %q", sb.String())
	}

	h := web.NewHandler(os.DirFS(cfg.Out))
	get := func(target, accept string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("Accept-Encoding", accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	page := get("/", "")
	if page.Code != 200 {
		t.Fatalf("GET / = %d", page.Code)
	}
	var m map[string]string
	if err := json.Unmarshal(get("/manifest.json", "").Body.Bytes(), &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	for _, logical := range []string{"main.wasm", "wasm_exec.js", "main.js", "app.css"} {
		url := m[logical]
		if !strings.Contains(page.Body.String(), url) {
			t.Errorf("page does not reference %s (%q)", logical, url)
		}
		rec := get(url, "br")
		if rec.Code != 200 || rec.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: %d, Cache-Control %q", url, rec.Code, rec.Header().Get("Cache-Control"))
		}
	}
	wasm := get(m["main.wasm"], "gzip")
	if wasm.Header().Get("Content-Type") != "application/wasm" || wasm.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("wasm headers: %v", wasm.Header())
	}
	zr, err := gzip.NewReader(wasm.Body)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := io.ReadAll(zr)
	if err != nil || !bytes.HasPrefix(bin, []byte("\x00asm")) {
		t.Fatalf("main.wasm is not WebAssembly (err %v)", err)
	}
	execJS, err := tc.wasmExecJS()
	if err != nil {
		t.Fatal(err)
	}
	if got := get(m["wasm_exec.js"], "").Body.Bytes(); !bytes.Equal(got, execJS) {
		t.Error("wasm_exec.js is not the toolchain's own")
	}

	// A second build with the same Go sources reuses the wasm; a changed
	// stylesheet renames app.css and the old file goes.
	writeFiles(t, root, map[string]string{"web/src/app.css": "html { color: navy; }\n"})
	goFP := fingerprint(root, goSources)
	if _, err := b.build(ctx, goFP); err != nil {
		t.Fatal(err)
	}
	rep2, err := b.build(ctx, goFP)
	if err != nil {
		t.Fatal(err)
	}
	if !rep2.WasmCached {
		t.Error("unchanged Go sources recompiled")
	}
	if rec := get(m["app.css"], ""); rec.Code != http.StatusNotFound {
		t.Errorf("stale %s still served: %d", m["app.css"], rec.Code)
	}
	if rec := get(m["main.wasm"], ""); rec.Code != 200 {
		t.Errorf("unchanged %s gone: %d", m["main.wasm"], rec.Code)
	}
}

func TestCompileWasmError(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"go.mod":       "module example.com/broken\n\ngo 1.21\n",
		"wasm/main.go": "package main\n\nfunc main() { undefined() }\n",
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tc, err := findToolchain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tc.compileWasm(ctx, root, "./wasm")
	if err == nil {
		t.Fatal("no error for a broken package")
	}
	for _, want := range []string{"compile ./wasm (GOOS=js GOARCH=wasm)", "undefined: undefined"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
