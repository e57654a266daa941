package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

const (
	testIndex = "<!doctype html><title>t</title><script src=/assets/main-ABCD2345.js></script>"
	testJS    = "console.log('hi')"
	testWasm  = "\x00asm\x01\x00\x00\x00"
)

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// builtFS is a dist as the build leaves it. The .br contents are fake: the
// handler never decodes them, and a marker makes the chosen file visible.
func builtFS(t testing.TB) fstest.MapFS {
	return fstest.MapFS{
		".keep":                        {Data: []byte("placeholder")},
		"index.html":                   {Data: []byte(testIndex)},
		"index.html.gz":                {Data: gz(t, testIndex)},
		"index.html.br":                {Data: []byte("BR:index")},
		"manifest.json":                {Data: []byte(`{"main.js":"/assets/main-ABCD2345.js"}`)},
		"assets/main-ABCD2345.js":      {Data: []byte(testJS)},
		"assets/main-ABCD2345.js.gz":   {Data: gz(t, testJS)},
		"assets/main-ABCD2345.js.br":   {Data: []byte("BR:main.js")},
		"assets/app-QRST4567.css":      {Data: []byte("body{margin:0}")},
		"assets/app-QRST4567.css.gz":   {Data: gz(t, "body{margin:0}")},
		"assets/main-WXYZ2345.wasm":    {Data: []byte(testWasm)},
		"assets/main-WXYZ2345.wasm.br": {Data: []byte("BR:wasm")},
		"assets/plain.txt":             {Data: []byte("no hash in my name")},
		"lessons/index.html":           {Data: []byte("<p>lessons</p>")},
		"lessons/01.json":              {Data: []byte(`{"title":"one"}`)},
	}
}

func do(t testing.TB, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerFiles(t *testing.T) {
	h := NewHandler(builtFS(t))
	tests := []struct {
		name, target string
		code         int
		ctype        string
		cache        string
		body         string
	}{
		{"root", "/", 200, "text/html; charset=utf-8", "no-cache", testIndex},
		{"index by name", "/index.html", 200, "text/html; charset=utf-8", "no-cache", testIndex},
		{"script", "/assets/main-ABCD2345.js", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", testJS},
		{"style", "/assets/app-QRST4567.css", 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable", "body{margin:0}"},
		{"wasm", "/assets/main-WXYZ2345.wasm", 200, "application/wasm", "public, max-age=31536000, immutable", testWasm},
		{"manifest", "/manifest.json", 200, "application/json", "no-cache", `{"main.js":"/assets/main-ABCD2345.js"}`},
		{"unhashed asset revalidates", "/assets/plain.txt", 200, "text/plain; charset=utf-8", "no-cache", "no hash in my name"},
		{"lesson content", "/lessons/01.json", 200, "application/json", "no-cache", `{"title":"one"}`},
		{"directory index", "/lessons/", 200, "text/html; charset=utf-8", "no-cache", "<p>lessons</p>"},
		{"cleaned path", "/lessons/../assets/main-ABCD2345.js", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", testJS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, h, "GET", tt.target, nil)
			if rec.Code != tt.code {
				t.Fatalf("status = %d, want %d; body %q", rec.Code, tt.code, rec.Body)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type = %q, want %q", got, tt.ctype)
			}
			if got := rec.Header().Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.cache)
			}
			if got := rec.Body.String(); got != tt.body {
				t.Errorf("body = %q, want %q", got, tt.body)
			}
			if got := rec.Header().Get("Content-Encoding"); got != "" {
				t.Errorf("Content-Encoding = %q without Accept-Encoding", got)
			}
			if rec.Header().Get("ETag") == "" {
				t.Error("no ETag")
			}
		})
	}
}

func TestHandlerNotFound(t *testing.T) {
	h := NewHandler(builtFS(t))
	for _, target := range []string{
		"/missing",
		"/assets/main-ABCD2345.js.br", // siblings are not assets of their own
		"/assets/main-ABCD2345.js.gz",
		"/index.html.gz",
		"/.keep",
		"/assets/.hidden",
		"/assets",  // a directory: never listed
		"/assets/", // no index there
		"/lessons", // a directory without the slash
		"/index.html/",
	} {
		t.Run(target, func(t *testing.T) {
			rec := do(t, h, "GET", target, map[string]string{"Accept-Encoding": "br, gzip"})
			if rec.Code != http.StatusNotFound {
				t.Fatalf("status = %d, want 404", rec.Code)
			}
			if body := rec.Body.String(); body == "" || len(body) > 100 {
				t.Errorf("body = %q, want a short text", body)
			}
			if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/plain") {
				t.Errorf("Content-Type = %q, want text/plain", got)
			}
		})
	}
}

func TestHandlerEncoding(t *testing.T) {
	h := NewHandler(builtFS(t))
	tests := []struct {
		name, target, accept string
		wantEncoding         string
	}{
		{"brotli preferred", "/assets/main-ABCD2345.js", "gzip, deflate, br, zstd", "br"},
		{"gzip only", "/assets/main-ABCD2345.js", "gzip", "gzip"},
		{"x-gzip alias", "/assets/main-ABCD2345.js", "x-gzip", "gzip"},
		{"case and spaces", "/assets/main-ABCD2345.js", " GZip ;Q=1 ", "gzip"},
		{"no header", "/assets/main-ABCD2345.js", "", ""},
		{"identity only", "/assets/main-ABCD2345.js", "identity", ""},
		{"br excluded", "/assets/main-ABCD2345.js", "br;q=0, gzip", "gzip"},
		{"all excluded", "/assets/main-ABCD2345.js", "br;q=0, gzip;q=0", ""},
		{"gzip ranked higher", "/assets/main-ABCD2345.js", "br;q=0.5, gzip;q=0.8", "gzip"},
		{"tie goes to br", "/assets/main-ABCD2345.js", "gzip;q=0.5, br;q=0.5", "br"},
		{"wildcard", "/assets/main-ABCD2345.js", "*", "br"},
		{"wildcard minus br", "/assets/main-ABCD2345.js", "*;q=0.3, br;q=0", "gzip"},
		{"wildcard zero", "/assets/main-ABCD2345.js", "*;q=0", ""},
		{"identity ranked higher", "/assets/main-ABCD2345.js", "br;q=0.2, identity;q=0.9", ""},
		{"malformed q ignored", "/assets/main-ABCD2345.js", "br;q=x, gzip", "gzip"},
		{"q out of range ignored", "/assets/main-ABCD2345.js", "br;q=2, gzip;q=0.1", "gzip"},
		{"only gz sibling", "/assets/app-QRST4567.css", "br, gzip", "gzip"},
		{"only br sibling, gzip asked", "/assets/main-WXYZ2345.wasm", "gzip", ""},
		{"only br sibling", "/assets/main-WXYZ2345.wasm", "gzip, br", "br"},
		{"no siblings", "/manifest.json", "br, gzip", ""},
		{"index", "/", "br", "br"},
	}
	files := builtFS(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, h, "GET", tt.target, map[string]string{"Accept-Encoding": tt.accept})
			if rec.Code != 200 {
				t.Fatalf("status = %d", rec.Code)
			}
			if got := rec.Header().Get("Content-Encoding"); got != tt.wantEncoding {
				t.Fatalf("Content-Encoding = %q, want %q", got, tt.wantEncoding)
			}
			name, _ := fileName(tt.target)
			hasSibling := files[name+".br"] != nil || files[name+".gz"] != nil
			if got := rec.Header().Get("Vary"); (got == "Accept-Encoding") != hasSibling {
				t.Errorf("Vary = %q with siblings %v", got, hasSibling)
			}
			want := files[name].Data
			switch tt.wantEncoding {
			case "br":
				want = files[name+".br"].Data
			case "gzip":
				zr, err := gzip.NewReader(rec.Body)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(zr)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("decoded body = %q, want %q", got, want)
				}
				return
			}
			if !bytes.Equal(rec.Body.Bytes(), want) {
				t.Fatalf("body = %q, want %q", rec.Body, want)
			}
		})
	}
}

func TestHandlerConditional(t *testing.T) {
	h := NewHandler(builtFS(t))
	for _, tc := range []struct {
		name, target, accept string
	}{
		{"asset identity", "/assets/main-ABCD2345.js", ""},
		{"asset br", "/assets/main-ABCD2345.js", "br"},
		{"index gzip", "/", "gzip"},
		{"lesson", "/lessons/01.json", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := do(t, h, "GET", tc.target, map[string]string{"Accept-Encoding": tc.accept})
			etag := first.Header().Get("ETag")
			if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 4 {
				t.Fatalf("ETag = %q, want a quoted strong tag", etag)
			}
			for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
				rec := do(t, h, "GET", tc.target, map[string]string{"Accept-Encoding": tc.accept, "If-None-Match": inm})
				if rec.Code != http.StatusNotModified {
					t.Errorf("If-None-Match %s: status = %d, want 304", inm, rec.Code)
				}
				if rec.Body.Len() != 0 {
					t.Errorf("If-None-Match %s: 304 with a body", inm)
				}
				if rec.Header().Get("ETag") != etag {
					t.Errorf("If-None-Match %s: 304 ETag = %q, want %q", inm, rec.Header().Get("ETag"), etag)
				}
			}
			rec := do(t, h, "GET", tc.target, map[string]string{"Accept-Encoding": tc.accept, "If-None-Match": `"stale"`})
			if rec.Code != 200 {
				t.Errorf("stale tag: status = %d, want 200", rec.Code)
			}
		})
	}

	// Variants are different representations and must not share a tag.
	plain := do(t, h, "GET", "/assets/main-ABCD2345.js", nil).Header().Get("ETag")
	br := do(t, h, "GET", "/assets/main-ABCD2345.js", map[string]string{"Accept-Encoding": "br"}).Header().Get("ETag")
	gzipped := do(t, h, "GET", "/assets/main-ABCD2345.js", map[string]string{"Accept-Encoding": "gzip"}).Header().Get("ETag")
	if plain != `"ABCD2345"` {
		t.Errorf("asset ETag = %s, want the name's hash", plain)
	}
	if plain == br || plain == gzipped || br == gzipped {
		t.Errorf("variant tags collide: %s %s %s", plain, br, gzipped)
	}
}

func TestHandlerIndexETagFollowsContent(t *testing.T) {
	files := builtFS(t)
	h := NewHandler(files)
	before := do(t, h, "GET", "/", nil).Header().Get("ETag")
	files["index.html"] = &fstest.MapFile{Data: []byte(testIndex + "<!-- rebuilt -->")}
	after := do(t, h, "GET", "/", nil)
	if after.Header().Get("ETag") == before {
		t.Errorf("ETag %s unchanged after index.html changed", before)
	}
	if !strings.Contains(after.Body.String(), "rebuilt") {
		t.Errorf("handler served a stale index: %q", after.Body)
	}
	if rec := do(t, h, "GET", "/", map[string]string{"If-None-Match": before}); rec.Code != 200 {
		t.Errorf("old tag: status = %d, want 200", rec.Code)
	}
}

func TestHandlerHead(t *testing.T) {
	h := NewHandler(builtFS(t))
	get := do(t, h, "GET", "/assets/main-ABCD2345.js", map[string]string{"Accept-Encoding": "gzip"})
	head := do(t, h, "HEAD", "/assets/main-ABCD2345.js", map[string]string{"Accept-Encoding": "gzip"})
	if head.Code != 200 {
		t.Fatalf("HEAD status = %d", head.Code)
	}
	if head.Body.Len() != 0 {
		t.Errorf("HEAD body = %q, want none", head.Body)
	}
	for _, k := range []string{"Content-Type", "Content-Encoding", "Content-Length", "ETag", "Cache-Control", "Vary"} {
		if got, want := head.Header().Get(k), get.Header().Get(k); got != want || got == "" {
			t.Errorf("HEAD %s = %q, GET has %q", k, got, want)
		}
	}
	if want := len(builtFS(t)["assets/main-ABCD2345.js.gz"].Data); head.Header().Get("Content-Length") != strconv.Itoa(want) {
		t.Errorf("Content-Length = %s, want %d (the encoded size)", head.Header().Get("Content-Length"), want)
	}
}

func TestHandlerMethods(t *testing.T) {
	h := NewHandler(builtFS(t))
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS"} {
		rec := do(t, h, m, "/", nil)
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s: status = %d, want 405", m, rec.Code)
		}
		if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
			t.Errorf("%s: Allow = %q", m, got)
		}
	}
}

func TestHandlerNotBuilt(t *testing.T) {
	h := NewHandler(fstest.MapFS{".keep": {Data: []byte("placeholder")}})
	for _, target := range []string{"/", "/index.html"} {
		for _, method := range []string{"GET", "HEAD"} {
			rec := do(t, h, method, target, map[string]string{"Accept-Encoding": "br"})
			if rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("%s %s: status = %d, want 503", method, target, rec.Code)
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if method == "GET" && !strings.Contains(rec.Body.String(), "run `make build` (or `go run ./build`)") {
				t.Errorf("body = %q, want build instructions", rec.Body)
			}
		}
	}
	if rec := do(t, h, "GET", "/assets/main-ABCD2345.js", nil); rec.Code != http.StatusNotFound {
		t.Errorf("asset in unbuilt dist: status = %d, want 404", rec.Code)
	}
	// A built dist with a missing sub-page is a plain 404, not "not built".
	if rec := do(t, NewHandler(builtFS(t)), "GET", "/assets/index.html", nil); rec.Code != http.StatusNotFound {
		t.Errorf("status = %d, want 404", rec.Code)
	}
}

// TestHandlerDirFS is the backend's -dev mode: the handler reads the
// directory on every request, so a rebuild shows without a restart.
func TestHandlerDirFS(t *testing.T) {
	dir := t.TempDir()
	h := NewHandler(os.DirFS(dir))
	if rec := do(t, h, "GET", "/", nil); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("empty dir: status = %d, want 503", rec.Code)
	}
	for name, f := range builtFS(t) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rec := do(t, h, "GET", "/", nil)
	if rec.Code != 200 || rec.Body.String() != testIndex {
		t.Fatalf("built dir: status %d body %q", rec.Code, rec.Body)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rec := do(t, h, "GET", "/", nil); rec.Body.String() != "v2" {
		t.Errorf("after rewrite: body %q, want v2", rec.Body)
	}
	rec = do(t, h, "GET", "/assets/main-ABCD2345.js", map[string]string{"Accept-Encoding": "gzip"})
	if rec.Code != 200 || rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Content-Length") == "" {
		t.Errorf("asset from DirFS: status %d, headers %v", rec.Code, rec.Header())
	}
}

func TestDist(t *testing.T) {
	fsys := Dist()
	if _, err := fs.Stat(fsys, ".keep"); err != nil {
		t.Fatalf("Dist is not rooted at dist/: %v", err)
	}
	// Whether or not the build ran before this test, the page is either
	// served or explained.
	rec := do(t, NewHandler(fsys), "GET", "/", nil)
	if rec.Code != 200 && rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 200 or 503", rec.Code)
	}
}

func TestFileName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"/", "index.html", true},
		{"", "index.html", true},
		{"/index.html", "index.html", true},
		{"/a/b/", "a/b/index.html", true},
		{"/../../etc/passwd", "etc/passwd", true},
		{"/assets/x.js.br", "", false},
		{"/assets/x.js.gz", "", false},
		{"/.git/config", "", false},
		{"/a/.b", "", false},
	}
	for _, tt := range tests {
		got, ok := fileName(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("fileName(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"", "br", "gzip, deflate, br", "br;q=0, gzip;q=0.5", "*;q=0", "identity;q=1, br;q=0.1", ";;;,,q=", "gzip;q=1.0;level=9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got := negotiate(header, encodings)
		if got == nil {
			return
		}
		// Whatever is chosen must be acceptable: the element that names
		// it last (or the wildcard) gives it a positive weight.
		w := lastWeight(header, got.token)
		if w < 0 {
			w = lastWeight(header, "*")
		}
		if w <= 0 {
			t.Fatalf("negotiate(%q) chose %s, which the header does not accept", header, got.token)
		}
	})
}

func FuzzFileName(f *testing.F) {
	for _, s := range []string{"/", "/index.html", "/assets/main-ABCD2345.js", "/a/../../b", "/.keep", "/x.br", "//a//b/", "/a/./b/.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, urlPath string) {
		name, ok := fileName(urlPath)
		if !ok {
			return
		}
		if !fs.ValidPath(name) || name == "." {
			t.Fatalf("fileName(%q) = %q: not a valid FS name", urlPath, name)
		}
		for _, seg := range strings.Split(name, "/") {
			if strings.HasPrefix(seg, ".") {
				t.Fatalf("fileName(%q) = %q: dot segment", urlPath, name)
			}
		}
		if strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, ".br") {
			t.Fatalf("fileName(%q) = %q: a compressed sibling", urlPath, name)
		}
	})
}

// lastWeight is the weight the last valid element for coding gives.
func lastWeight(header, coding string) float64 {
	w := -1.0
	for _, elem := range strings.Split(header, ",") {
		c, params, _ := strings.Cut(elem, ";")
		c = strings.ToLower(strings.TrimSpace(c))
		if c == "x-gzip" {
			c = "gzip"
		}
		if c == coding {
			if q, ok := qValue(params); ok {
				w = q
			}
		}
	}
	return w
}
