package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// Cache policies. Files under assets/ carry a content hash in their name
// (the build guarantees it), so a URL never changes meaning and browsers may
// keep it for a year without asking again. Everything else, index.html
// first, has a stable URL whose content changes with every build: browsers
// must revalidate it (cheaply, through the ETag) on every use.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// assetsDir is the directory of content-hashed files.
const assetsDir = "assets/"

// indexName is the page itself, served for "/" and for "dir/".
const indexName = "index.html"

// notBuiltMessage is the body of the 503 answer when dist/ holds only the
// placeholder: the binary was built without running the build first.
const notBuiltMessage = "The page has not been built: run `make build` (or `go run ./build`), then rebuild or restart the server.\n"

// encoding is a precompressed variant that the build may leave next to a
// file, in order of preference: brotli is smaller than gzip for the same
// content, so it wins a tie in the client's preferences.
type encoding struct {
	token  string // the Content-Encoding value
	suffix string // the sibling file's extension
}

var encodings = []encoding{
	{token: "br", suffix: ".br"},
	{token: "gzip", suffix: ".gz"},
}

// contentTypes fixes the types the page depends on, whatever the host's
// mime tables say: a .wasm must be application/wasm for
// WebAssembly.instantiateStreaming, and scripts must not be sniffed.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".wasm":  "application/wasm",
	".json":  "application/json",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
	".md":    "text/markdown; charset=utf-8",
}

// NewHandler serves a built dist directory: the page at "/" (and
// "/index.html"), content-hashed files under "/assets/", and any other
// file (lesson content) with revalidation. It picks a precompressed .br or
// .gz sibling when the client accepts it, answers conditional requests
// with 304, never lists directories and never serves dotfiles or the
// compressed siblings by their own names.
//
// It reads fsys on every request and keeps nothing in memory, so
// NewHandler(os.DirFS("web/dist")) follows rebuilds as they land.
// Security headers (CSP and the like) are the caller's business.
func NewHandler(fsys fs.FS) http.Handler {
	return &handler{fsys: fsys}
}

type handler struct {
	fsys fs.FS
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := fileName(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if err := h.serveFile(w, r, name); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if name == indexName && !h.built() {
				notBuilt(w)
				return
			}
			http.NotFound(w, r)
			return
		}
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
	}
}

// fileName maps a URL path to a name in the FS. It reports false for names
// that are never served: dotfiles (dist/.keep), the compressed siblings,
// and anything fs.ValidPath rejects.
func fileName(urlPath string) (string, bool) {
	if !strings.HasPrefix(urlPath, "/") {
		urlPath = "/" + urlPath
	}
	name := strings.TrimPrefix(path.Clean(urlPath), "/")
	if strings.HasSuffix(urlPath, "/") {
		// A directory is served by its index page, never by a listing.
		name = path.Join(name, indexName)
	}
	if !fs.ValidPath(name) || name == "." {
		return "", false
	}
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return "", false
		}
	}
	for _, enc := range encodings {
		if strings.HasSuffix(name, enc.suffix) {
			return "", false
		}
	}
	return name, true
}

// built reports whether the build has run: the placeholder-only dist has
// no index page.
func (h *handler) built() bool {
	_, err := fs.Stat(h.fsys, indexName)
	return err == nil
}

func notBuilt(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusServiceUnavailable)
	io.WriteString(w, notBuiltMessage)
}

// serveFile serves name or its best precompressed sibling. It returns an
// error wrapping fs.ErrNotExist when name is missing or not a regular file.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name string) error {
	info, err := fs.Stat(h.fsys, name)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fs.ErrNotExist
	}

	var available []encoding
	for _, enc := range encodings {
		if info, err := fs.Stat(h.fsys, name+enc.suffix); err == nil && info.Mode().IsRegular() {
			available = append(available, enc)
		}
	}
	chosen := negotiate(r.Header.Get("Accept-Encoding"), available)

	served := name
	if chosen != nil {
		served = name + chosen.suffix
	}
	f, err := h.fsys.Open(served)
	if err != nil {
		return err
	}
	defer f.Close()

	hdr := w.Header()
	hdr.Set("Content-Type", contentType(name))
	if len(available) > 0 {
		// Caches must key on Accept-Encoding whichever variant this
		// client got, or a gzip-less client may be handed brotli.
		hdr.Add("Vary", "Accept-Encoding")
	}
	if chosen != nil {
		hdr.Set("Content-Encoding", chosen.token)
	}

	var content io.ReadSeeker
	hash, immutable := nameHash(name)
	if immutable {
		hdr.Set("Cache-Control", cacheImmutable)
		if rs, ok := f.(io.ReadSeeker); ok {
			content = rs
		}
	} else {
		hdr.Set("Cache-Control", cacheRevalidate)
	}
	if content == nil {
		data, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		content = bytes.NewReader(data)
		if !immutable {
			hash = contentHash(data)
		}
	}
	// Each variant is its own representation, so each gets its own tag.
	tag := hash
	if chosen != nil {
		tag += "-" + chosen.token
	}
	hdr.Set("ETag", strconv.Quote(tag))

	if chosen != nil && r.Header.Get("Range") == "" {
		// ServeContent leaves the length out for encoded content; the
		// variant's size is exact, and it lets the browser show progress
		// while the wasm downloads.
		if st, err := f.Stat(); err == nil {
			hdr.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
		}
	}

	// The ETag is the only validator: embedded files have no modification
	// time and a DirFS time says nothing a content hash does not.
	http.ServeContent(w, r, name, time.Time{}, content)
	return nil
}

// negotiate picks the variant to serve from the Accept-Encoding header
// (RFC 9110, section 12.5.3), or nil for the identity encoding. A missing
// header asks for identity; "q=0" excludes a coding; "*" covers codings not
// named; identity wins only when the client ranks it above every coding.
func negotiate(header string, available []encoding) *encoding {
	if header == "" || len(available) == 0 {
		return nil
	}
	q := map[string]float64{}
	for _, elem := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(elem, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding == "" {
			continue
		}
		if coding == "x-gzip" {
			coding = "gzip"
		}
		weight, ok := qValue(params)
		if !ok {
			continue
		}
		q[coding] = weight
	}
	weightOf := func(coding string) float64 {
		if w, ok := q[coding]; ok {
			return w
		}
		return q["*"] // zero when absent: a coding not named is not acceptable
	}

	var best *encoding
	bestQ := 0.0
	for i := range available {
		if w := weightOf(available[i].token); w > bestQ {
			best, bestQ = &available[i], w
		}
	}
	if best == nil {
		return nil
	}
	if w, ok := q["identity"]; ok && w > bestQ {
		return nil
	}
	return best
}

// qValue reads the weight from an Accept-Encoding element's parameters:
// 1 when absent, ok false when malformed (the element is then ignored).
func qValue(params string) (float64, bool) {
	weight := 1.0
	for _, p := range strings.Split(params, ";") {
		k, v, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found {
			if strings.TrimSpace(p) != "" {
				return 0, false
			}
			continue
		}
		if !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1 {
			return 0, false
		}
		weight = f
	}
	return weight, true
}

// nameHash returns the content hash that the build put into a file name
// under assets/ ("assets/main-ABCD2345.js" gives "ABCD2345"). Such a file
// never changes, so the hash is its ETag and it may be cached for good.
func nameHash(name string) (string, bool) {
	if !strings.HasPrefix(name, assetsDir) {
		return "", false
	}
	base := path.Base(name)
	dash := strings.LastIndexByte(base, '-')
	if dash < 0 {
		return "", false
	}
	hash, _, _ := strings.Cut(base[dash+1:], ".")
	if !isHash(hash) {
		return "", false
	}
	return hash, true
}

// minHashLen is the shortest hash the build writes (esbuild's [hash] is 8
// base32 characters; the build uses the same form for its own files).
const minHashLen = 8

// isHash reports whether s looks like an upper-case base32 content hash.
func isHash(s string) bool {
	if len(s) < minHashLen {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// contentHash is the ETag of a file whose name carries no hash.
func contentHash(data []byte) string {
	sum := sha256.Sum256(data)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10])
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}
