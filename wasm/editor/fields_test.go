package editor

import (
	"regexp"
	"testing"

	"github.com/keepalive-playground/playground/internal/strgen"
)

// The patterns the hand-written field matchers replaced; the tests hold
// each matcher to its pattern.
var (
	stepHeaderRE = regexp.MustCompile(`^client\.steps\[(\d+)\]\.request\.headers\.(.+)$`)
	stepWholeRE  = regexp.MustCompile(`^client\.steps\[(\d+)\](\.request)?$`)
)

// reHeader and reWhole return what the patterns' FindStringSubmatch does,
// in the matchers' shape.
func reHeader(s string) (digits, name string, ok bool) {
	m := stepHeaderRE.FindStringSubmatch(s)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

func reWhole(s string) (digits string, ok bool) {
	m := stepWholeRE.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	return m[1], true
}

func TestStepHeaderField(t *testing.T) {
	tests := []struct {
		name, field, digits, header string
		ok                          bool
	}{
		{"header", "client.steps[0].request.headers.Connection", "0", "Connection", true},
		{"many digits", "client.steps[1234].request.headers.X", "1234", "X", true},
		{"leading zeros kept", "client.steps[007].request.headers.X", "007", "X", true},
		{"digits past int", "client.steps[99999999999999999999].request.headers.X", "99999999999999999999", "X", true},
		{"dots in name", "client.steps[0].request.headers.X.Y", "0", "X.Y", true},
		{"one-byte name", "client.steps[0].request.headers..", "0", ".", true},
		{"space in name", "client.steps[0].request.headers.a b", "0", "a b", true},
		{"non-ASCII name", "client.steps[0].request.headers.é", "0", "é", true},
		{"invalid UTF-8 name", "client.steps[0].request.headers.\xff", "0", "\xff", true},
		{"carriage return in name", "client.steps[0].request.headers.a\r", "0", "a\r", true},
		{"empty", "", "", "", false},
		{"no name", "client.steps[0].request.headers.", "", "", false},
		{"no dot before name", "client.steps[0].request.headers", "", "", false},
		{"newline in name", "client.steps[0].request.headers.a\nb", "", "", false},
		{"trailing newline", "client.steps[0].request.headers.a\n", "", "", false},
		{"no digits", "client.steps[].request.headers.X", "", "", false},
		{"negative", "client.steps[-1].request.headers.X", "", "", false},
		{"letter for digit", "client.steps[a].request.headers.X", "", "", false},
		{"non-ASCII digit", "client.steps[٣].request.headers.X", "", "", false},
		{"unclosed", "client.steps[0.request.headers.X", "", "", false},
		{"route", "server.routes[0].request.headers.X", "", "", false},
		{"prefix", "x.client.steps[0].request.headers.X", "", "", false},
		{"header in other part", "client.steps[0].response.headers.X", "", "", false},
		{"method", "client.steps[0].request.method", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			digits, header, ok := stepHeaderField(tt.field)
			if digits != tt.digits || header != tt.header || ok != tt.ok {
				t.Errorf("stepHeaderField(%q) = %q, %q, %v, want %q, %q, %v", tt.field, digits, header, ok, tt.digits, tt.header, tt.ok)
			}
			if rd, rh, rok := reHeader(tt.field); rd != tt.digits || rh != tt.header || rok != tt.ok {
				t.Errorf("the old pattern says %q, %q, %v for %q; the case is wrong", rd, rh, rok, tt.field)
			}
		})
	}
}

func TestStepWholeField(t *testing.T) {
	tests := []struct {
		name, field, digits string
		ok                  bool
	}{
		{"step", "client.steps[1]", "1", true},
		{"request", "client.steps[0].request", "0", true},
		{"leading zeros kept", "client.steps[00]", "00", true},
		{"many digits", "client.steps[123456789012345678901234567890]", "123456789012345678901234567890", true},
		{"empty", "", "", false},
		{"steps", "client.steps", "", false},
		{"no digits", "client.steps[]", "", false},
		{"unclosed", "client.steps[1", "", false},
		{"letter for digit", "client.steps[x]", "", false},
		{"trailing dot", "client.steps[1].", "", false},
		{"request twice", "client.steps[1].request.request", "", false},
		{"request field", "client.steps[1].request.method", "", false},
		{"request prefix", "client.steps[1].req", "", false},
		{"request without dot", "client.steps[1]request", "", false},
		{"other field", "client.steps[1].at", "", false},
		{"trailing newline", "client.steps[1]\n", "", false},
		{"request and newline", "client.steps[1].request\n", "", false},
		{"route", "server.routes[1]", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			digits, ok := stepWholeField(tt.field)
			if digits != tt.digits || ok != tt.ok {
				t.Errorf("stepWholeField(%q) = %q, %v, want %q, %v", tt.field, digits, ok, tt.digits, tt.ok)
			}
			if rd, rok := reWhole(tt.field); rd != tt.digits || rok != tt.ok {
				t.Errorf("the old pattern says %q, %v for %q; the case is wrong", rd, rok, tt.field)
			}
		})
	}
}

// TestStepFieldsMatchRegexp compares both matchers with their old
// patterns on every short string over an alphabet of pieces that the
// patterns tell apart.
func TestStepFieldsMatchRegexp(t *testing.T) {
	alphabet := []string{"client.steps[", "0", "9", "]", ".request", ".headers.", "X", "\n", ".", "["}
	strgen.Each(alphabet, 5, func(s string) {
		compareStepHeaderField(t, s)
		compareStepWholeField(t, s)
	})
}

func compareStepHeaderField(t *testing.T, s string) {
	t.Helper()
	d, h, ok := stepHeaderField(s)
	if rd, rh, rok := reHeader(s); d != rd || h != rh || ok != rok {
		t.Fatalf("stepHeaderField(%q) = %q, %q, %v, the pattern says %q, %q, %v", s, d, h, ok, rd, rh, rok)
	}
}

func compareStepWholeField(t *testing.T, s string) {
	t.Helper()
	d, ok := stepWholeField(s)
	if rd, rok := reWhole(s); d != rd || ok != rok {
		t.Fatalf("stepWholeField(%q) = %q, %v, the pattern says %q, %v", s, d, ok, rd, rok)
	}
}

// fieldSeeds are near the edges of both patterns.
var fieldSeeds = []string{
	"", "client.steps[0]", "client.steps[12].request", "client.steps[3].request.headers.Connection",
	"client.steps[3].request.headers.", "client.steps[3].request.headers.a\nb", "client.steps[].request", "client.steps[1].at",
}

func FuzzStepHeaderField(f *testing.F) {
	for _, s := range fieldSeeds {
		f.Add(s)
	}
	f.Fuzz(compareStepHeaderField)
}

func FuzzStepWholeField(f *testing.F) {
	for _, s := range fieldSeeds {
		f.Add(s)
	}
	f.Fuzz(compareStepWholeField)
}
