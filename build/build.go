package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/keepalive-playground/playground/lessons"
)

// config says where a build reads and writes. Paths are absolute.
type config struct {
	Root    string // the module root: the go command runs here
	WasmPkg string // the wasm client's package, relative to Root ("./wasm")
	// Lazy are further wasm programs the page loads only when a person
	// needs them (the pooled net/http client), so that the first load
	// stays small. A package that does not exist is skipped.
	Lazy []wasmTarget
	Src  string // the page sources (web/src)
	Out  string // the output directory (web/dist)

	BrotliQuality int
	Verbose       bool
	Log           io.Writer
}

// defaultConfig lays out the repository as docs/ARCHITECTURE.md describes it.
func defaultConfig(root string) config {
	return config{
		Root:          root,
		WasmPkg:       "./wasm",
		Lazy:          []wasmTarget{{Logical: "pool.wasm", Pkg: "./wasm/poolwasm"}},
		Src:           filepath.Join(root, "web", "src"),
		Out:           filepath.Join(root, "web", "dist"),
		BrotliQuality: brotliQuality,
		Log:           os.Stdout,
	}
}

// entryPoints are esbuild's inputs: main.js, which may import other
// scripts and CSS, app.css when it exists (main.js may import its CSS
// instead), and preview.js when it exists (the body's script that opens
// the linked lesson before the program runs). Looked up per build, so
// -watch notices a new file.
func (c config) entryPoints() []string {
	entries := []string{filepath.Join(c.Src, "main.js")}
	for _, name := range []string{"app.css", "preview.js"} {
		if f := filepath.Join(c.Src, name); isFile(f) {
			entries = append(entries, f)
		}
	}
	return entries
}

// toolchain is the go command the build compiles with, and its GOROOT,
// whose wasm_exec.js must match the compiled wasm exactly.
type toolchain struct {
	Go     string
	GOROOT string
}

// findToolchain prefers the toolchain that built this program (the one
// `go run ./build` used), then whatever go is on PATH, and asks it for its
// own GOROOT so the two never disagree (GOTOOLCHAIN may switch versions).
func findToolchain(ctx context.Context) (toolchain, error) {
	var goBin string
	exe := "go"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	if root := runtime.GOROOT(); root != "" {
		if p := filepath.Join(root, "bin", exe); isFile(p) {
			goBin = p
		}
	}
	if goBin == "" {
		p, err := exec.LookPath("go")
		if err != nil {
			return toolchain{}, fmt.Errorf("find the go command: %w", err)
		}
		goBin = p
	}
	out, err := exec.CommandContext(ctx, goBin, "env", "GOROOT").Output()
	if err != nil {
		return toolchain{}, fmt.Errorf("%s env GOROOT: %w", goBin, err)
	}
	return toolchain{Go: goBin, GOROOT: strings.TrimSpace(string(out))}, nil
}

func isFile(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// wasmExecJS reads the JS support file of the same toolchain; a committed
// copy would silently drift from the compiler that made main.wasm. Go 1.24
// moved it from misc/wasm to lib/wasm.
func (tc toolchain) wasmExecJS() ([]byte, error) {
	var errs []error
	for _, dir := range []string{"lib/wasm", "misc/wasm"} {
		data, err := os.ReadFile(filepath.Join(tc.GOROOT, filepath.FromSlash(dir), "wasm_exec.js"))
		if err == nil {
			return data, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("wasm_exec.js in GOROOT %s: %w", tc.GOROOT, errors.Join(errs...))
}

// compileWasm builds pkg for the browser and returns the binary. Symbols
// and DWARF are stripped (-s -w) and paths trimmed: the browser needs
// neither and they are most of the size.
func (tc toolchain) compileWasm(ctx context.Context, root, pkg string) ([]byte, error) {
	tmp, err := os.CreateTemp("", "playground-*.wasm")
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", pkg, err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())

	cmd := exec.CommandContext(ctx, tc.Go, "build", "-trimpath", "-ldflags=-s -w", "-o", tmp.Name(), pkg)
	cmd.Dir = root
	// Later entries win in exec.Cmd, so these override the caller's.
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("compile %s (GOOS=js GOARCH=wasm): %w\n%s", pkg, err, strings.TrimRight(stderr.String(), "\n"))
	}
	data, err := os.ReadFile(tmp.Name())
	if err != nil {
		return nil, fmt.Errorf("read compiled wasm: %w", err)
	}
	return data, nil
}

// builder runs builds; in watch mode one builder lives across rebuilds and
// reuses what did not change.
type builder struct {
	cfg  config
	tc   toolchain
	comp *compressor

	// The last compiled wasm and the fingerprint of the Go sources it came
	// from, so that a change to web/src alone skips the Go compiler.
	wasm   []byte
	lazy   map[string][]byte
	wasmFP string
}

// wasmTarget is one more wasm program: its logical asset name and package.
type wasmTarget struct {
	Logical string // "pool.wasm"
	Pkg     string // relative to Root, "./wasm/poolwasm"
}

func newBuilder(cfg config, tc toolchain) *builder {
	return &builder{cfg: cfg, tc: tc, comp: newCompressor(cfg.BrotliQuality)}
}

// report is what one build made and how long it took.
type report struct {
	Assets   []asset
	Files    map[string][]byte
	Variants map[string]variants
	Warnings []string

	Wasm, Bundle, Compress, Total time.Duration
	WasmCached                    bool
}

// build makes the whole output. goFP fingerprints the Go sources; an empty
// one always compiles.
func (b *builder) build(ctx context.Context, goFP string) (*report, error) {
	start := time.Now()
	rep := &report{}

	t := time.Now()
	wasm := b.wasm
	if goFP == "" || goFP != b.wasmFP || wasm == nil {
		var err error
		wasm, err = b.tc.compileWasm(ctx, b.cfg.Root, b.cfg.WasmPkg)
		if err != nil {
			return nil, err
		}
		lazy := map[string][]byte{}
		for _, t := range b.cfg.Lazy {
			if _, err := os.Stat(filepath.Join(b.cfg.Root, filepath.FromSlash(t.Pkg))); err != nil {
				continue
			}
			data, err := b.tc.compileWasm(ctx, b.cfg.Root, t.Pkg)
			if err != nil {
				return nil, err
			}
			lazy[t.Logical] = data
		}
		b.wasm, b.lazy, b.wasmFP = wasm, lazy, goFP
	} else {
		rep.WasmCached = true
	}
	rep.Wasm = time.Since(t)

	execJS, err := b.tc.wasmExecJS()
	if err != nil {
		return nil, err
	}

	t = time.Now()
	entries := b.cfg.entryPoints()
	bundled, warnings, err := bundle(b.cfg.Root, entries)
	rep.Warnings = warnings
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", strings.Join(relPaths(b.cfg.Root, entries), ", "), err)
	}
	rep.Bundle = time.Since(t)

	assets := []asset{
		{Logical: "main.wasm", Name: hashedName("main.wasm", wasm), Data: wasm},
		{Logical: "wasm_exec.js", Name: hashedName("wasm_exec.js", execJS), Data: execJS},
	}
	for _, t := range b.cfg.Lazy {
		if data, ok := b.lazy[t.Logical]; ok {
			assets = append(assets, asset{Logical: t.Logical, Name: hashedName(t.Logical, data), Data: data})
		}
	}
	assets = append(assets, bundled...)
	rep.Assets = assets

	src, err := os.ReadFile(filepath.Join(b.cfg.Src, "index.html"))
	if err != nil {
		return nil, fmt.Errorf("read page template: %w", err)
	}
	courseJSON, err := courseOf(b.cfg.Root)
	if err != nil {
		return nil, err
	}
	files, err := distFiles(assets, src, courseJSON)
	if err != nil {
		return nil, err
	}
	rep.Files = files

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t = time.Now()
	names := make([]string, 0, len(files))
	inputs := make([][]byte, 0, len(files))
	for name, data := range files {
		names = append(names, name)
		inputs = append(inputs, data)
	}
	vs, err := b.comp.compress(inputs)
	if err != nil {
		return nil, err
	}
	rep.Variants = map[string]variants{}
	for i, name := range names {
		rep.Variants[name] = vs[i]
	}
	rep.Compress = time.Since(t)

	// An interrupted build leaves the previous output alone.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := publish(b.cfg.Out, files, rep.Variants); err != nil {
		return nil, err
	}
	rep.Total = time.Since(start)
	return rep, nil
}

// distFiles lays out the output tree: every asset under assets/, the
// manifest, the course (courseJSON, lessons.json; nil for none) and the
// rendered page, which shows the course before the program runs.
func distFiles(assets []asset, indexSrc, courseJSON []byte) (map[string][]byte, error) {
	m, err := newManifest(assets)
	if err != nil {
		return nil, err
	}
	mjson, err := m.JSON()
	if err != nil {
		return nil, err
	}
	var c *lessons.Course
	if courseJSON != nil {
		if c, err = lessons.DecodeCourse(courseJSON); err != nil {
			return nil, err
		}
	}
	index, err := renderIndex(indexSrc, m, c)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		"manifest.json": mjson,
		"index.html":    index,
	}
	if courseJSON != nil {
		files[courseFile] = courseJSON
	}
	for _, a := range assets {
		files[assetsDir+"/"+a.Name] = a.Data
	}
	return files, nil
}

// publish writes the tree into a stage directory beside out and swaps it
// in, so that out never holds a half-written build.
func publish(out string, files map[string][]byte, vars map[string]variants) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("create output parent: %w", err)
	}
	stage, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+"-build-*")
	if err != nil {
		return fmt.Errorf("create stage directory: %w", err)
	}
	defer os.RemoveAll(stage)
	if err := writeTree(stage, files, vars); err != nil {
		return fmt.Errorf("write stage: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	return swapInto(stage, out)
}

func relPaths(root string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if r, err := filepath.Rel(root, p); err == nil {
			p = r
		}
		out[i] = filepath.ToSlash(p)
	}
	return out
}

// moduleRoot finds the directory holding go.mod, from dir upwards.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		if isFile(filepath.Join(d, "go.mod")) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod in %s or any parent: run the build inside the repository", dir)
		}
		d = parent
	}
}

// fingerprint summarizes the names, sizes and modification times of the
// files under dirs (relative to root; missing ones are skipped). Test files
// and dot-directories do not count: they never reach the page.
func fingerprint(root string, dirs []string) string {
	b := sha256.New()
	for _, dir := range dirs {
		filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if strings.HasPrefix(d.Name(), ".") && p != filepath.Join(root, dir) {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(d.Name(), "_test.go") {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			fmt.Fprintf(b, "%s\x00%d\x00%d\n", p, info.Size(), info.ModTime().UnixNano())
			return nil
		})
	}
	return hex.EncodeToString(b.Sum(nil))
}
