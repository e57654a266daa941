package lanes

import (
	"strconv"
	"strings"
	"testing"
)

// showBytesOld is ShowBytes as it was before it joined client.Visible;
// the tests hold the new one to it.
func showBytesOld(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\n':
			b.WriteString("\\n\n")
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(c)|0x100, 16)[1:])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func TestShowBytes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"GET / HTTP/1.1\r\n\x01", "GET / HTTP/1.1\\r\\n\n\\x01"},
		{"", ""},
		{"plain", "plain"},
		{"a\tb", `a\tb`},
		{"\n\n", "\\n\n\\n\n"},
		{"\x00\x1f\x7f", `\x00\x1f\x7f`},
		{"\x1b[0m", `\x1b[0m`},
		{"café \xff\x80", "café \xff\x80"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "HTTP/1.1 200 OK\\r\\n\nContent-Length: 2\\r\\n\n\\r\\n\nok"},
	}
	for _, tt := range tests {
		if got := ShowBytes(tt.in); got != tt.want {
			t.Errorf("ShowBytes(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if old := showBytesOld(tt.in); old != tt.want {
			t.Errorf("the old ShowBytes gives %q for %q; the case is wrong", old, tt.in)
		}
	}
}

// TestShowBytesUnchanged compares ShowBytes with the old code on every
// one- and two-byte string.
func TestShowBytesUnchanged(t *testing.T) {
	for i := range 1 << 16 {
		for _, s := range []string{string([]byte{byte(i)}), string([]byte{byte(i >> 8), byte(i)})} {
			if got, want := ShowBytes(s), showBytesOld(s); got != want {
				t.Fatalf("ShowBytes(%q) = %q, the old code gives %q", s, got, want)
			}
		}
	}
}
