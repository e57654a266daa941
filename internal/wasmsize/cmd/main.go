// Command wasmsize prints what a Go wasm program spends its bytes on, by
// package: `make wasm-size` builds the page's program with its name
// section (the served one is stripped; its code is the same) and runs
// this on it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/keepalive-playground/playground/internal/wasmsize"
)

func main() {
	top := flag.Int("top", 30, "how many packages to list")
	pkg := flag.String("pkg", "./wasm", "the Go package the program was built from, for its package list")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: wasmsize [-top N] FILE.wasm")
		os.Exit(2)
	}
	data, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The program's packages name its functions (the name section alone
	// is ambiguous: '/' and '_' are both written '_').
	cmd := exec.Command("go", "list", "-deps", *pkg)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go list -deps %s: %v\n", *pkg, err)
		os.Exit(1)
	}
	r, err := wasmsize.Parse(data, strings.Fields(string(out)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
	if r.Names == 0 {
		fmt.Fprintln(os.Stderr, "no name section (built with -ldflags=-s?): every function is \"?\"")
	}
	kib := func(n int) string { return fmt.Sprintf("%7.0f KiB", float64(n)/1024) }
	named := r.Total - r.Names
	fmt.Printf("%s  the program without its name section\n", kib(named))
	fmt.Printf("%s  code\n%s  data (read-only data, type information, strings)\n", kib(r.Code), kib(r.Data))
	fmt.Println()
	groups := map[string]int{}
	for _, p := range r.Parts {
		groups[wasmsize.Group(p.Package)] += p.Bytes
	}
	for _, g := range wasmsize.Groups {
		fmt.Printf("%s  %4.1f%%  %s\n", kib(groups[g]), 100*float64(groups[g])/float64(r.Code), g)
	}
	fmt.Println()
	for i, p := range r.Parts {
		if i == *top {
			break
		}
		fmt.Printf("%s  %4.1f%%  %5d funcs  %s\n", kib(p.Bytes), 100*float64(p.Bytes)/float64(r.Code), p.Funcs,
			strings.TrimPrefix(p.Package, wasmsize.Playground+"_"))
	}
}
