// Package wasmsize tells what a Go-compiled WebAssembly program is made
// of: the bytes of each function's code, by the Go package the wasm
// name section says it belongs to, and the data segments beside them.
// It answers "what does main.wasm spend its 6 MB on" (`make wasm-size`).
package wasmsize

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Part is one package's share of a program.
type Part struct {
	Package string
	Bytes   int // code bytes of its functions
	Funcs   int
}

// Report is a program's size, in parts.
type Report struct {
	Total int // the file's size
	Code  int // the code section
	Data  int // the data section (Go's read-only data, type info, strings)
	Names int // the name section itself
	// Parts are the code by package, largest first. Functions without a
	// name are under "?".
	Parts []Part
}

// Limits that keep a hostile or broken file from costing more than its
// size: no count may exceed the bytes left to hold it.
var (
	errTruncated = errors.New("truncated")
	errNotWasm   = errors.New("not a WebAssembly module")
)

type reader struct {
	b   []byte
	off int
}

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errTruncated
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) uleb() (int, error) {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if v > uint64(len(r.b)) {
				// Every count and size here is bounded by the file.
				return 0, fmt.Errorf("value %d at offset %d: %w", v, r.off, errTruncated)
			}
			return int(v), nil
		}
	}
	return 0, fmt.Errorf("LEB128 at offset %d is too long", r.off)
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.off {
		return nil, errTruncated
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s, nil
}

func (r *reader) name() (string, error) {
	n, err := r.uleb()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(n)
	return string(b), err
}

// Parse reads a module's sections and adds up its code by package (pkgs
// as for Package). It reads only what it needs: import counts, code body
// sizes and function names.
func Parse(data []byte, pkgs []string) (*Report, error) {
	if len(data) < 8 || string(data[:4]) != "\x00asm" {
		return nil, errNotWasm
	}
	rep := &Report{Total: len(data)}
	r := &reader{b: data, off: 8}
	var (
		imported int
		bodies   []int
		names    = map[int]string{}
	)
	for r.off < len(data) {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.uleb()
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		body, err := r.bytes(size)
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		s := &reader{b: body}
		switch id {
		case 0: // custom
			n, err := s.name()
			if err != nil {
				return nil, fmt.Errorf("custom section: %w", err)
			}
			if n == "name" {
				rep.Names = size
				if err := readNames(s, names); err != nil {
					return nil, fmt.Errorf("name section: %w", err)
				}
			}
		case 2: // import
			if imported, err = countFuncImports(s); err != nil {
				return nil, fmt.Errorf("import section: %w", err)
			}
		case 10: // code
			rep.Code = size
			if bodies, err = bodySizes(s); err != nil {
				return nil, fmt.Errorf("code section: %w", err)
			}
		case 11: // data
			rep.Data = size
		}
	}
	parts := map[string]*Part{}
	for i, n := range bodies {
		pkg := "?"
		if name, ok := names[imported+i]; ok {
			pkg = Package(name, pkgs)
		}
		p := parts[pkg]
		if p == nil {
			p = &Part{Package: pkg}
			parts[pkg] = p
		}
		p.Bytes += n
		p.Funcs++
	}
	for _, p := range parts {
		rep.Parts = append(rep.Parts, *p)
	}
	slices.SortFunc(rep.Parts, func(a, b Part) int {
		if a.Bytes != b.Bytes {
			return b.Bytes - a.Bytes
		}
		return strings.Compare(a.Package, b.Package)
	})
	return rep, nil
}

func countFuncImports(s *reader) (int, error) {
	n, err := s.uleb()
	if err != nil {
		return 0, err
	}
	funcs := 0
	for range n {
		if _, err := s.name(); err != nil { // module
			return 0, err
		}
		if _, err := s.name(); err != nil { // field
			return 0, err
		}
		kind, err := s.byte()
		if err != nil {
			return 0, err
		}
		switch kind {
		case 0: // func: type index
			funcs++
			_, err = s.uleb()
		case 1: // table: reftype, limits
			if _, err = s.byte(); err == nil {
				err = skipLimits(s)
			}
		case 2: // memory: limits
			err = skipLimits(s)
		case 3: // global: valtype, mutability
			if _, err = s.byte(); err == nil {
				_, err = s.byte()
			}
		default:
			return 0, fmt.Errorf("import kind %d", kind)
		}
		if err != nil {
			return 0, err
		}
	}
	return funcs, nil
}

func skipLimits(s *reader) error {
	flags, err := s.byte()
	if err != nil {
		return err
	}
	if _, err := s.uleb(); err != nil {
		return err
	}
	if flags&1 != 0 {
		_, err = s.uleb()
	}
	return err
}

func bodySizes(s *reader) ([]int, error) {
	n, err := s.uleb()
	if err != nil {
		return nil, err
	}
	sizes := make([]int, 0, min(n, len(s.b)))
	for range n {
		size, err := s.uleb()
		if err != nil {
			return nil, err
		}
		if _, err := s.bytes(size); err != nil {
			return nil, err
		}
		sizes = append(sizes, size)
	}
	return sizes, nil
}

// readNames reads the function names subsection (1) into names.
func readNames(s *reader, names map[int]string) error {
	for s.off < len(s.b) {
		id, err := s.byte()
		if err != nil {
			return err
		}
		size, err := s.uleb()
		if err != nil {
			return err
		}
		sub, err := s.bytes(size)
		if err != nil {
			return err
		}
		if id != 1 {
			continue
		}
		f := &reader{b: sub}
		n, err := f.uleb()
		if err != nil {
			return err
		}
		for range n {
			idx, err := f.uleb()
			if err != nil {
				return err
			}
			name, err := f.name()
			if err != nil {
				return err
			}
			names[idx] = name
		}
	}
	return nil
}

// Package is the Go package of a function's symbol name, one of pkgs
// (import paths, as `go list -deps` prints them) when it can tell. Go's
// wasm name section writes a path with '_' for '/', '-' and ':', and
// "__T_" for "(*T)"
// ("github.com_x_y_wasm_lanes.__View_.draw"), which is ambiguous on its
// own; the longest of pkgs that the name starts with, followed by '.',
// is the package. Without a match, it is what comes before the first
// '.' or ':' after the last '/'.
func Package(sym string, pkgs []string) string {
	best := ""
	for _, p := range pkgs {
		m := mangle(p)
		if len(m) > len(best) && len(sym) > len(m) && strings.HasPrefix(sym, m) && (sym[len(m)] == '.' || sym[len(m)] == ':') {
			best = m
		}
	}
	if best != "" {
		return best
	}
	start := strings.LastIndexByte(sym, '/') + 1
	if i := strings.IndexAny(sym[start:], ".:"); i >= 0 {
		return sym[:start+i]
	}
	return sym
}

// mangle writes an import path as Go's wasm name section does.
func mangle(path string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '_'
	}, path)
}

// Playground is the playground's module path as the name section writes it.
const Playground = "github.com_keepalive_playground_playground"

// Groups are the kinds of package Group sorts code into, in the order a
// report lists them.
var Groups = []string{"the playground", "Go's runtime", "Go's standard library", "other modules", "compiler-generated"}

// Group says what kind of package pkg is: the playground's own, Go's
// runtime (runtime and internal/…), the rest of the standard library,
// another module, or code the compiler generates (type:, go:).
func Group(pkg string) string {
	switch {
	case pkg == "main" || strings.HasPrefix(pkg, Playground) || strings.HasPrefix(pkg, "github.com/keepalive-playground/playground"):
		return Groups[0]
	case pkg == "runtime" || strings.HasPrefix(pkg, "runtime_") || strings.HasPrefix(pkg, "internal_") ||
		strings.HasPrefix(pkg, "runtime/") || strings.HasPrefix(pkg, "internal/"):
		return Groups[1]
	case pkg == "type_" || pkg == "go_" || pkg == "?":
		return Groups[4]
	case !strings.Contains(strings.SplitN(pkg, "/", 2)[0], "."):
		return Groups[2]
	}
	return Groups[3]
}
