package wasmsize

import (
	"testing"
)

func uleb(v int) []byte {
	var out []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			out = append(out, c|0x80)
			continue
		}
		return append(out, c)
	}
}

func str(s string) []byte { return append(uleb(len(s)), s...) }

func section(id byte, body []byte) []byte {
	return append(append([]byte{id}, uleb(len(body))...), body...)
}

// module builds a wasm module with one imported function, the given code
// bodies (of these sizes) and their names.
func module(sizes []int, names []string) []byte {
	b := []byte("\x00asm\x01\x00\x00\x00")
	imp := append(uleb(1), str("go")...)
	imp = append(imp, str("debug")...)
	imp = append(imp, 0, 0) // func, type 0
	b = append(b, section(2, imp)...)
	code := uleb(len(sizes))
	for _, n := range sizes {
		code = append(code, uleb(n)...)
		code = append(code, make([]byte, n)...)
	}
	b = append(b, section(10, code)...)
	b = append(b, section(11, make([]byte, 7))...)
	fn := uleb(len(names))
	for i, n := range names {
		fn = append(fn, uleb(i+1)...) // after the import
		fn = append(fn, str(n)...)
	}
	name := append(str("name"), 1)
	name = append(name, uleb(len(fn))...)
	name = append(name, fn...)
	return append(b, section(0, name)...)
}

func TestParse(t *testing.T) {
	pkgs := []string{"runtime", "github.com/keepalive-playground/playground/wasm/lanes", "github.com/keepalive-playground/playground/wasm", "encoding/json"}
	data := module([]int{10, 20, 300, 5},
		[]string{"runtime.mexit", "github.com_keepalive_playground_playground_wasm_lanes.__View_.draw", "github.com_keepalive_playground_playground_wasm_lanes.layout", "encoding_json.Marshal"})
	r, err := Parse(data, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != len(data) || r.Data == 0 || r.Code == 0 || r.Names == 0 {
		t.Errorf("sizes %+v", r)
	}
	want := []Part{
		{"github.com_keepalive_playground_playground_wasm_lanes", 320, 2},
		{"runtime", 10, 1},
		{"encoding_json", 5, 1},
	}
	if len(r.Parts) != len(want) {
		t.Fatalf("parts %+v, want %+v", r.Parts, want)
	}
	for i := range want {
		if r.Parts[i] != want[i] {
			t.Errorf("part %d: %+v, want %+v", i, r.Parts[i], want[i])
		}
	}
}

func TestPackage(t *testing.T) {
	pkgs := []string{"main", "fmt", "internal/strconv", "github.com/keepalive-playground/playground/wasm", "github.com/keepalive-playground/playground/wasm/lanes", "github.com/chromedp/cdproto"}
	tests := []struct{ name, sym, want string }{
		{"runtime, not listed", "runtime.mexit", "runtime"},
		{"a method of main", "main.__chrome_.notice", "main"},
		{"a method in the standard library", "fmt.__pp_.doPrintf", "fmt"},
		{"an internal package", "internal_strconv.ParseInt", "internal_strconv"},
		{"the longest package wins", "github.com_keepalive_playground_playground_wasm_lanes.__View_.build.func2", "github.com_keepalive_playground_playground_wasm_lanes"},
		{"the parent package", "github.com_keepalive_playground_playground_wasm.main", "github.com_keepalive_playground_playground_wasm"},
		{"a module with a dash", "github.com_chromedp_cdproto.Foo", "github.com_chromedp_cdproto"},
		{"compiler-generated", "type_.eq.[2]interface {}", "type_"},
		{"as Go writes it elsewhere", "a/b/c.F", "a/b/c"},
		{"no dot", "nodot", "nodot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Package(tt.sym, pkgs); got != tt.want {
				t.Errorf("Package(%q) = %q, want %q", tt.sym, got, tt.want)
			}
		})
	}
}

func TestGroup(t *testing.T) {
	tests := []struct{ pkg, want string }{
		{"main", "the playground"},
		{Playground + "_wasm_lanes", "the playground"},
		{"runtime", "Go's runtime"},
		{"internal_strconv", "Go's runtime"},
		{"encoding_json", "Go's standard library"},
		{"github.com_chromedp_cdproto", "other modules"},
		{"type_", "compiler-generated"},
		{"?", "compiler-generated"},
	}
	for _, tt := range tests {
		if got := Group(tt.pkg); got != tt.want {
			t.Errorf("Group(%q) = %q, want %q", tt.pkg, got, tt.want)
		}
	}
}

func TestParseRefusesBrokenModules(t *testing.T) {
	good := module([]int{4}, []string{"runtime.x"})
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not wasm", []byte("\x7fELF\x02\x01\x01\x00")},
		{"truncated", good[:len(good)-3]},
		{"a section longer than the file", append([]byte("\x00asm\x01\x00\x00\x00\x0a"), uleb(1<<30)...)},
		{"a LEB128 that never ends", []byte("\x00asm\x01\x00\x00\x00\x0a\xff\xff\xff\xff\xff\xff")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(tt.data, nil); err == nil {
				t.Error("no error")
			}
		})
	}
}

// FuzzParse: any bytes are refused or read, never a panic or a count
// larger than the input allows.
func FuzzParse(f *testing.F) {
	f.Add(module([]int{3, 1}, []string{"runtime.a", "fmt.b"}))
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data, []string{"runtime", "fmt"})
		if err != nil {
			return
		}
		sum := 0
		for _, p := range r.Parts {
			sum += p.Bytes
		}
		if sum > len(data) {
			t.Errorf("parts add up to %d bytes of a %d-byte file", sum, len(data))
		}
	})
}
