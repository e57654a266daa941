// Command build turns the sources into the page that package web embeds:
// it compiles ./wasm for GOOS=js GOARCH=wasm, copies wasm_exec.js from the
// same toolchain, bundles web/src with esbuild, gives every asset a
// content-hashed name under assets/, writes manifest.json, renders
// web/src/index.html (an html/template in which {{asset "main.js"}} is the
// hashed URL) and precompresses everything as .gz and .br.
//
// Usage, from anywhere in the repository:
//
//	go run ./build [-out DIR] [-watch] [-v]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// pollInterval is how often -watch looks at source modification times:
// short enough that a rebuild starts before one switches to the browser,
// long enough to cost nothing measurable.
const pollInterval = 300 * time.Millisecond

// goSources are the paths whose change requires recompiling the wasm: the
// client and the shared packages it imports (docs/ARCHITECTURE.md,
// "Where each thing lives").
var goSources = []string{"wasm", "timeline", "scenario", "wire", "codeview", "fragment", "lessons", "go.mod", "go.sum"}

// webSources are the paths esbuild, the page template and the lesson
// renderer (lessons/*.md and their scenarios, into lessons.json) read.
var webSources = []string{filepath.Join("web", "src"), "lessons"}

func main() {
	out := flag.String("out", "", "output `directory` (default web/dist in the module root)")
	watch := flag.Bool("watch", false, "rebuild whenever a source changes")
	verbose := flag.Bool("v", false, "list every output file")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./build [-out DIR] [-watch] [-v]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *out, *watch, *verbose); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out string, watch, verbose bool) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := moduleRoot(wd)
	if err != nil {
		return err
	}
	cfg := defaultConfig(root)
	if out != "" {
		if cfg.Out, err = filepath.Abs(out); err != nil {
			return err
		}
	}
	cfg.Verbose = verbose
	if watch {
		cfg.BrotliQuality = watchBrotliQuality
	}
	tc, err := findToolchain(ctx)
	if err != nil {
		return err
	}
	if verbose {
		fmt.Fprintf(cfg.Log, "toolchain %s (GOROOT %s)\n", tc.Go, tc.GOROOT)
	}
	b := newBuilder(cfg, tc)
	if !watch {
		rep, err := b.build(ctx, "")
		if err != nil {
			return err
		}
		printReport(cfg.Log, cfg, rep)
		return nil
	}
	return b.watch(ctx)
}

// watch builds, then polls the sources and rebuilds on every change until
// ctx ends. A failed build is reported and waited out, not fatal.
func (b *builder) watch(ctx context.Context) error {
	fmt.Fprintf(b.cfg.Log, "watching %s and %s (Ctrl-C stops)\n",
		strings.Join(goSources, ", "), strings.Join(webSources, ", "))
	var lastGo, lastWeb string
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for first := true; ; first = false {
		if !first {
			select {
			case <-ctx.Done():
				return nil
			case <-ticker.C:
			}
		}
		// Fingerprints taken before the build: an edit made while it runs
		// triggers the next one.
		goFP := fingerprint(b.cfg.Root, goSources)
		webFP := fingerprint(b.cfg.Root, webSources)
		if goFP == lastGo && webFP == lastWeb {
			continue
		}
		lastGo, lastWeb = goFP, webFP
		rep, err := b.build(ctx, goFP)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			fmt.Fprintf(b.cfg.Log, "%s build failed: %v\n", time.Now().Format(time.TimeOnly), err)
			continue
		}
		printReport(b.cfg.Log, b.cfg, rep)
	}
}

// printReport prints one line per build (timings, the wasm's raw, gzip and
// brotli sizes, the bundles' sizes), any esbuild warnings, and with -v
// every output file.
func printReport(w io.Writer, cfg config, rep *report) {
	for _, warning := range rep.Warnings {
		fmt.Fprint(w, warning)
	}
	wasmTime := rep.Wasm.Round(time.Millisecond).String()
	if rep.WasmCached {
		wasmTime = "unchanged"
	}
	var sizes []string
	for _, a := range rep.Assets {
		v := rep.Variants[assetsDir+"/"+a.Name]
		if a.Logical == "main.wasm" {
			sizes = append([]string{fmt.Sprintf("main.wasm %d B raw / %d B gzip / %d B brotli",
				len(a.Data), orRaw(v.gz, a.Data), orRaw(v.br, a.Data))}, sizes...)
			continue
		}
		if a.Logical == "wasm_exec.js" {
			continue
		}
		sizes = append(sizes, fmt.Sprintf("%s %s", a.Logical, formatSize(len(a.Data))))
	}
	fmt.Fprintf(w, "%s built %s in %s (wasm %s, bundle %s, compress %s): %s\n",
		time.Now().Format(time.TimeOnly), displayPath(cfg.Root, cfg.Out),
		rep.Total.Round(time.Millisecond), wasmTime,
		rep.Bundle.Round(time.Millisecond), rep.Compress.Round(time.Millisecond),
		strings.Join(sizes, ", "))
	if !cfg.Verbose {
		return
	}
	for _, p := range outputPaths(rep.Files, rep.Variants) {
		fmt.Fprintf(w, "  %-40s %10d\n", p, fileSize(rep, p))
	}
}

// orRaw is the size a client gets when no smaller variant was written.
func orRaw(z, raw []byte) int {
	if z == nil {
		return len(raw)
	}
	return len(z)
}

func fileSize(rep *report, p string) int {
	if data, ok := rep.Files[p]; ok {
		return len(data)
	}
	if base, ok := strings.CutSuffix(p, ".gz"); ok {
		return len(rep.Variants[base].gz)
	}
	base := strings.TrimSuffix(p, ".br")
	return len(rep.Variants[base].br)
}

func formatSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}

func displayPath(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return p
}
