package editor

import (
	"reflect"
	"strings"
	"testing"
)

func TestEncodeBytes(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"request", "GET / HTTP/1.1\r\nHost: demo\r\n\r\n", "GET / HTTP/1.1\\r\\n\nHost: demo\\r\\n\n\\r\\n\n"},
		{"lone LF", "a\nb", "a\\n\nb"},
		{"lone CR", "a\rb", `a\rb`},
		{"backslash", `C:\dir`, `C:\\dir`},
		{"tab", "a\tb", `a\tb`},
		{"NUL and DEL", "\x00\x7f", `\x00\x7F`},
		{"invalid UTF-8", "\xff\xfe", `\xFF\xFE`},
		{"printable UTF-8", "héllo ✓", "héllo ✓"},
		{"non-printing rune", "a\u200bb", `a\xE2\x80\x8Bb`},
		{"no-break space", "a\u00a0b", `a\xC2\xA0b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EncodeBytes(tt.in); got != tt.want {
				t.Errorf("EncodeBytes(%q) = %q, want %q", tt.in, got, tt.want)
			}
			back, err := DecodeBytes(tt.want)
			if err != nil || back != tt.in {
				t.Errorf("DecodeBytes(%q) = %q, %v; want %q", tt.want, back, err, tt.in)
			}
		})
	}
}

func TestDecodeBytes(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{"typed line breaks are CRLF", "GET / HTTP/1.1\nHost: demo\n\n", "GET / HTTP/1.1\r\nHost: demo\r\n\r\n", ""},
		{"pasted CRLF is one break", "a\r\nb", "a\r\nb", ""},
		{"lone typed CR is a break", "a\rb", "a\r\nb", ""},
		{"break after \\n is layout", "a\\r\\n\nb", "a\r\nb", ""},
		{"second break after \\n counts", "a\\n\n\nb", "a\n\r\nb", ""},
		{"break after \\r counts", "a\\r\nb", "a\r\r\nb", ""},
		{"escapes mixed with text", `x\ty\\z\x41`, "x\ty\\zA", ""},
		{"lower-case hex", `\xff`, "\xff", ""},
		{"lone backslash", `abc\`, "", `lone "\"`},
		{"unknown escape", `a\qb`, "", `"\\q" is not an escape`},
		{"unknown escape, multibyte", `\é`, "", `"\\é" is not an escape`},
		{"short hex", `\x4`, "", `two hex digits`},
		{"bad hex", `\xZZ`, "", `two hex digits`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeBytes(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("DecodeBytes(%q) error = %v, want one containing %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("DecodeBytes(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name string
		h    map[string]string
		skip []string
		text string
	}{
		{"none", nil, nil, ""},
		{"sorted", map[string]string{"X-B": "2", "Accept": "*/*"}, nil, "Accept: */*\nX-B: 2"},
		{"skip", map[string]string{"Connection": "close", "X": "1"}, []string{"Connection"}, "X: 1"},
		{"edge spaces", map[string]string{"X": "  a b "}, nil, `X: \x20\x20a b\x20`},
		{"empty value", map[string]string{"X": ""}, nil, "X: "},
		{"CRLF in value", map[string]string{"X": "a\r\nb"}, nil, `X: a\r\nb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := EncodeHeaders(tt.h, tt.skip...)
			if text != tt.text {
				t.Fatalf("EncodeHeaders = %q, want %q", text, tt.text)
			}
			want := map[string]string{}
			for k, v := range tt.h {
				if !contains(tt.skip, k) {
					want[k] = v
				}
			}
			if len(want) == 0 {
				want = nil
			}
			got, err := DecodeHeaders(text)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("DecodeHeaders(%q) = %v, %v; want %v", text, got, err, want)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestDecodeHeadersErrors(t *testing.T) {
	tests := []struct {
		name, text, err string
	}{
		{"no colon", "X: 1\nbogus", `line 2: "bogus" has no ":"`},
		{"twice", "X: 1\n\nX: 2", `line 3: "X" is listed twice`},
		{"bad escape", `X: \q`, `line 1: "\\q" is not an escape`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeHeaders(tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("DecodeHeaders(%q) error = %v, want one containing %q", tt.text, err, tt.err)
			}
		})
	}
}

// FuzzBytes checks that the convention is lossless for any bytes, and
// that decoding any text the person types is stable: what it decodes to
// encodes and decodes back to itself.
func FuzzBytes(f *testing.F) {
	for _, s := range []string{"", "GET / HTTP/1.1\r\nHost: demo\r\n\r\n", "a\\n\nb", `\x00\xff`, "\xff\r\r\n\n\t\\", "é\u200b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, err := DecodeBytes(EncodeBytes(s)); err != nil || got != s {
			t.Fatalf("DecodeBytes(EncodeBytes(%q)) = %q, %v", s, got, err)
		}
		if got, err := DecodeBytes(encodeValue(s)); err != nil || got != s {
			t.Fatalf("DecodeBytes(encodeValue(%q)) = %q, %v", s, got, err)
		}
		if strings.ContainsAny(encodeValue(s), "\r\n") {
			t.Fatalf("encodeValue(%q) has a line break", s)
		}
		d, err := DecodeBytes(s)
		if err != nil {
			return
		}
		if again, err := DecodeBytes(EncodeBytes(d)); err != nil || again != d {
			t.Fatalf("text %q decodes to %q, which does not round-trip (%q, %v)", s, d, again, err)
		}
	})
}

// FuzzHeaders checks that any headers EncodeHeaders writes decode back,
// given names without ":" and edge spaces (a form never holds others).
func FuzzHeaders(f *testing.F) {
	f.Add("X-A", " v ", "Accept", "a\r\nb")
	f.Add("Connection", "keep-alive", "Host", "")
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2 string) {
		h := map[string]string{}
		for _, kv := range [][2]string{{n1, v1}, {n2, v2}} {
			n := kv[0]
			if n == "" || strings.ContainsAny(n, ":\r\n") || strings.TrimSpace(n) != n {
				return
			}
			h[n] = kv[1]
		}
		got, err := DecodeHeaders(EncodeHeaders(h))
		if err != nil || !reflect.DeepEqual(got, h) {
			t.Fatalf("DecodeHeaders(EncodeHeaders(%q)) = %q, %v", h, got, err)
		}
	})
}
