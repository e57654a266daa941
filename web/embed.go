// Package web holds the page shell and serves the built page.
//
// The sources live in src/; `go run ./build` turns them (plus the wasm
// client and the toolchain's wasm_exec.js) into dist/, which this package
// embeds so that the playground binary is self-contained. In a fresh clone
// dist/ holds only a committed placeholder (.keep), and the handler answers
// 503 with instructions instead of a broken page.
package web

import (
	"embed"
	"fmt"
	"io/fs"
)

// The all: prefix keeps the committed dist/.keep in the pattern's match, so
// the package compiles before anything was built.
//
//go:embed all:dist
var dist embed.FS

// Dist returns the embedded build output, rooted at dist/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only for an invalid directory name, a constant here.
		panic(fmt.Sprintf("web: sub-FS of embedded dist: %v", err))
	}
	return sub
}
