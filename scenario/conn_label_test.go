package scenario

import (
	"regexp"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/internal/strgen"
)

// connLabelRE is the pattern ValidConn replaced; the tests hold the
// hand-written matcher to it.
var connLabelRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,15}$`)

func TestValidConnCases(t *testing.T) {
	tests := []struct {
		name, label string
		want        bool
	}{
		{"one upper letter", "A", true},
		{"one lower letter", "z", true},
		{"every kind of byte", "Aa0_-", true},
		{"ends in hyphen", "A-", true},
		{"ends in underscore", "A_", true},
		{"double hyphen", "A--b", true},
		{"16 bytes, the most", "A" + strings.Repeat("b", 15), true},
		{"15 bytes", "A" + strings.Repeat("9", 14), true},
		{"empty", "", false},
		{"17 bytes, one too many", "A" + strings.Repeat("b", 16), false},
		{"far too long", strings.Repeat("A", 100), false},
		{"starts with digit", "0a", false},
		{"starts with underscore", "_a", false},
		{"starts with hyphen", "-a", false},
		{"space inside", "A B", false},
		{"dot inside", "A.b", false},
		{"non-ASCII letter", "Ä", false},
		{"non-ASCII letter after", "AÄ", false},
		{"trailing newline", "A\n", false},
		{"leading newline", "\nA", false},
		{"NUL", "A\x00", false},
		{"invalid UTF-8", "A\xff", false},
		{"star", "*", false},
		{"letter just past Z", "[", false},
		{"letter just before a", "`", false},
		{"byte just past z", "{", false},
		{"byte just before A", "@", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidConn(tt.label); got != tt.want {
				t.Errorf("ValidConn(%q) = %v, want %v", tt.label, got, tt.want)
			}
			if re := connLabelRE.MatchString(tt.label); re != tt.want {
				t.Errorf("the old pattern says %v for %q; the case is wrong", re, tt.label)
			}
		})
	}
}

// TestValidConnMatchesRegexp compares ValidConn with the old pattern on
// every short string over an alphabet of one byte from each class the
// pattern tells apart, and at the length boundary.
func TestValidConnMatchesRegexp(t *testing.T) {
	alphabet := []string{"A", "z", "0", "_", "-", " ", "é", "\n", "\xff"}
	check := func(s string) {
		if got, want := ValidConn(s), connLabelRE.MatchString(s); got != want {
			t.Errorf("ValidConn(%q) = %v, the pattern says %v", s, got, want)
		}
	}
	strgen.Each(alphabet, 4, check)
	for n := 14; n <= 18; n++ {
		for _, c := range alphabet {
			check("A" + strings.Repeat("b", n-2) + c)
			check(c + strings.Repeat("b", n-1))
		}
	}
}

func FuzzValidConn(f *testing.F) {
	for _, s := range []string{"", "A", "A-_0", "0A", "A" + strings.Repeat("b", 15), "A" + strings.Repeat("b", 16), "A\n", "Ä"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidConn(s), connLabelRE.MatchString(s); got != want {
			t.Fatalf("ValidConn(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}
