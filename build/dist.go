package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/keepalive-playground/playground/lessons"
	"github.com/keepalive-playground/playground/scenario"
)

// assetsDir is where every content-hashed file goes, inside the output and
// in URLs; web.NewHandler caches it for good.
const assetsDir = "assets"

// hashLen is the length of a content hash in a file name. It matches
// esbuild's [hash] (8 upper-case base32 characters, 40 bits), so every file
// under assets/ has the same "name-HASH.ext" form whichever tool named it;
// 40 bits is plenty to tell one build of a file from the next.
const hashLen = 8

// keepName is the committed placeholder that makes `//go:embed all:dist`
// match in a fresh clone; builds never remove it.
const keepName = ".keep"

// Precompression settings. Brotli's top quality takes about ten seconds
// for the wasm but saves a seventh of its transfer over quality 5; a
// release build pays that once. -watch uses the fast quality so that a Go
// edit shows in the browser in a second or two, and caches results by
// content so a CSS edit never recompresses the wasm.
const (
	gzipLevel          = gzip.BestCompression
	brotliQuality      = 11
	watchBrotliQuality = 5
)

// asset is one content-hashed output file.
type asset struct {
	Logical string // the name index.html asks for: "main.js"
	Name    string // the file name under assets/: "main-ABCD2345.js"
	Data    []byte
}

// URL is where the page finds the asset.
func (a asset) URL() string { return "/" + assetsDir + "/" + a.Name }

var hashEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// hashedName gives logical a content-hashed name: "main.wasm" becomes
// "main-ABCD2345.wasm". The hash goes before the first dot so that
// "wasm_exec.js" and "x.min.js" keep their whole extension.
func hashedName(logical string, data []byte) string {
	sum := sha256.Sum256(data)
	hash := hashEncoding.EncodeToString(sum[:])[:hashLen]
	stem, ext, dotted := strings.Cut(logical, ".")
	if dotted {
		ext = "." + ext
	}
	return stem + "-" + hash + ext
}

// logicalName undoes hashedName (and esbuild's "[name]-[hash]"):
// "main-ABCD2345.js" gives "main.js". It reports false when name carries no
// hash in that form.
func logicalName(name string) (string, bool) {
	stem, ext, dotted := strings.Cut(name, ".")
	dash := strings.LastIndexByte(stem, '-')
	if dash < 1 || !isHash(stem[dash+1:]) {
		return "", false
	}
	if dotted {
		ext = "." + ext
	}
	return stem[:dash] + ext, true
}

func isHash(s string) bool {
	if len(s) != hashLen {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// manifest maps logical names to URLs. It is written as manifest.json for
// the page's scripts and is what the index template's asset func reads.
type manifest map[string]string

func newManifest(assets []asset) (manifest, error) {
	m := manifest{}
	for _, a := range assets {
		if prev, ok := m[a.Logical]; ok {
			return nil, fmt.Errorf("two assets named %q: %s and %s", a.Logical, prev, a.URL())
		}
		m[a.Logical] = a.URL()
	}
	return m, nil
}

func (m manifest) JSON() ([]byte, error) {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(data, '\n'), nil
}

// renderIndex executes web/src/index.html as an html/template in which
// {{asset "main.js"}} is the hashed URL and {{defaultRuntime}} the row of
// the default scenario's runtime (the server bar names it before the
// program runs). An unknown name fails the build rather than leaving the
// page with a dead link.
func renderIndex(src []byte, m manifest, c *lessons.Course) ([]byte, error) {
	funcs := template.FuncMap{
		"lessons": func() []previewLesson { return previewOf(c) },
		"defaultRuntime": func() scenario.Runtime {
			rt, _ := scenario.Lookup(scenario.Default().Server.Runtime)
			return rt
		},
		"asset": func(logical string) (string, error) {
			url, ok := m[logical]
			if !ok {
				names := make([]string, 0, len(m))
				for k := range m {
					names = append(names, k)
				}
				sort.Strings(names)
				return "", fmt.Errorf("no asset %q (have %s)", logical, strings.Join(names, ", "))
			}
			return url, nil
		},
	}
	t, err := template.New("index.html").Funcs(funcs).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("parse index.html template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, nil); err != nil {
		return nil, fmt.Errorf("render index.html: %w", err)
	}
	return buf.Bytes(), nil
}

// variants are the precompressed forms of one file; nil when not smaller
// than the original, in which case no sibling is written.
type variants struct {
	gz, br []byte
}

func gzipBytes(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzipLevel)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func brotliBytes(data []byte, quality int) ([]byte, error) {
	var buf bytes.Buffer
	bw := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: quality})
	if _, err := bw.Write(data); err != nil {
		return nil, err
	}
	if err := bw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// compressor precompresses files, all cores at once, and remembers results
// by content so that a watch rebuild recompresses only what changed.
type compressor struct {
	brQuality int

	mu    sync.Mutex
	cache map[[sha256.Size]byte]variants
}

func newCompressor(brQuality int) *compressor {
	return &compressor{brQuality: brQuality, cache: map[[sha256.Size]byte]variants{}}
}

// compress returns the variants of each input, in order.
func (c *compressor) compress(inputs [][]byte) ([]variants, error) {
	out := make([]variants, len(inputs))
	keys := make([][sha256.Size]byte, len(inputs))
	type job struct {
		i  int
		br bool
	}
	var jobs []job
	c.mu.Lock()
	for i, data := range inputs {
		keys[i] = sha256.Sum256(data)
		if v, ok := c.cache[keys[i]]; ok {
			out[i] = v
			continue
		}
		jobs = append(jobs, job{i, false}, job{i, true})
	}
	c.mu.Unlock()

	// Biggest first, so the wasm does not start last on a busy core.
	sort.SliceStable(jobs, func(a, b int) bool { return len(inputs[jobs[a].i]) > len(inputs[jobs[b].i]) })
	results := make([][2][]byte, len(inputs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for n, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var z []byte
			var err error
			if j.br {
				z, err = brotliBytes(inputs[j.i], c.brQuality)
			} else {
				z, err = gzipBytes(inputs[j.i])
			}
			if err != nil {
				errs[n] = err
				return
			}
			if len(z) >= len(inputs[j.i]) {
				z = nil // not worth a sibling
			}
			if j.br {
				results[j.i][1] = z
			} else {
				results[j.i][0] = z
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("precompress: %w", err)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	for _, j := range jobs {
		v := variants{gz: results[j.i][0], br: results[j.i][1]}
		out[j.i] = v
		c.cache[keys[j.i]] = v
	}
	return out, nil
}

// writeTree writes files (slash-separated names relative to dir) and their
// variants as name.gz and name.br.
func writeTree(dir string, files map[string][]byte, vars map[string]variants) error {
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
		v := vars[name]
		if v.gz != nil {
			if err := os.WriteFile(p+".gz", v.gz, 0o644); err != nil {
				return err
			}
		}
		if v.br != nil {
			if err := os.WriteFile(p+".br", v.br, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// swapInto moves the staged tree into out, replacing what a previous build
// left there. Each file lands by rename (atomic on one file system, and the
// stage sits beside out), in an order that keeps a server running on out
// (the backend's -dev mode) consistent: hashed assets first, then other
// files, the root index.html last, so the page never names an asset that
// is not there yet. Files of the previous build are removed afterwards;
// out/.keep stays.
func swapInto(stage, out string) error {
	var names []string
	err := filepath.WalkDir(stage, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(stage, p)
			if err != nil {
				return err
			}
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list staged files: %w", err)
	}
	rank := func(name string) int {
		switch {
		case strings.HasPrefix(name, assetsDir+"/"):
			return 0
		case strings.HasPrefix(name, "index.html"):
			return 2
		default:
			return 1
		}
	}
	slices.SortStableFunc(names, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		// Compressed siblings before their file: a stale sibling must not
		// outlive the file it was made from.
		return strings.Compare(b, a)
	})

	keep := map[string]bool{keepName: true}
	for _, name := range names {
		keep[name] = true
	}
	// Drop stale siblings of files being replaced before the new file
	// lands, so a client never gets an old .br for a new page.
	for _, name := range names {
		for _, suffix := range []string{".gz", ".br"} {
			if !keep[name+suffix] {
				if err := os.Remove(filepath.Join(out, filepath.FromSlash(name+suffix))); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("remove stale variant: %w", err)
				}
			}
		}
	}
	for _, name := range names {
		dst := filepath.Join(out, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("create output directory: %w", err)
		}
		if info, err := os.Lstat(dst); err == nil && info.IsDir() {
			if err := os.RemoveAll(dst); err != nil {
				return fmt.Errorf("replace directory %s: %w", name, err)
			}
		}
		if err := os.Rename(filepath.Join(stage, filepath.FromSlash(name)), dst); err != nil {
			return fmt.Errorf("move %s into %s: %w", name, out, err)
		}
	}
	return prune(out, keep)
}

// prune removes from out every file not in keep, then the directories it
// leaves empty.
func prune(out string, keep map[string]bool) error {
	var dirs []string
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(out, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." {
				dirs = append(dirs, p)
			}
			return nil
		}
		if !keep[rel] {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove files of the previous build: %w", err)
	}
	// Deepest first; a directory that still holds files stays.
	slices.Reverse(dirs)
	for _, d := range dirs {
		if entries, err := os.ReadDir(d); err == nil && len(entries) == 0 {
			os.Remove(d)
		}
	}
	return nil
}

// outputPaths lists the files of a build's tree with their variants, for
// the verbose listing.
func outputPaths(files map[string][]byte, vars map[string]variants) []string {
	var out []string
	for name := range files {
		out = append(out, name)
		if vars[name].gz != nil {
			out = append(out, name+".gz")
		}
		if vars[name].br != nil {
			out = append(out, name+".br")
		}
	}
	sort.Strings(out)
	return out
}
