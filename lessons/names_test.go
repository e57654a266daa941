package lessons

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/internal/strgen"
	"github.com/keepalive-playground/playground/scenario"
)

// The patterns the hand-written matchers in lessons.go replaced; the tests
// hold each matcher to its pattern.
var (
	idRE       = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	fileRE     = regexp.MustCompile(`^([0-9]{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$`)
	scenFileRE = regexp.MustCompile(`^[0-9]{2}-[a-z0-9-]+\.[a-z]+\.json$`)
	docRE      = regexp.MustCompile(`^\[([^\[\]]+)\]\((https://[^\s()]+)\)$`)
)

// submatches returns what FindStringSubmatch does, in the matchers' shape.
func submatches(re *regexp.Regexp, s string) (a, b string, ok bool) {
	m := re.FindStringSubmatch(s)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// nameAlphabet has a piece of each class the file-name patterns tell
// apart, and pieces that complete a name in few steps.
var nameAlphabet = []string{"00-", "0", "a", "-", ".", ".md", ".json", "Z"}

func TestValidID(t *testing.T) {
	tests := []struct {
		name, id string
		want     bool
	}{
		{"one letter", "a", true},
		{"one digit", "7", true},
		{"words", "close-in-handler", true},
		{"digits in words", "node20-v2", true},
		{"one-byte words", "a-b-c", true},
		{"long", strings.Repeat("ab-", 50) + "c", true},
		{"empty", "", false},
		{"lone hyphen", "-", false},
		{"leading hyphen", "-a", false},
		{"trailing hyphen", "a-", false},
		{"double hyphen", "a--b", false},
		{"upper case", "Close", false},
		{"underscore", "a_b", false},
		{"dot", "a.b", false},
		{"space", "a b", false},
		{"slash", "a/b", false},
		{"trailing newline", "a\n", false},
		{"non-ASCII", "café", false},
		{"invalid UTF-8", "a\xff", false},
		{"byte just past z", "{", false},
		{"byte just before 0", "/", false},
		{"byte just past 9", ":", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidID(tt.id); got != tt.want {
				t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
			}
			if re := idRE.MatchString(tt.id); re != tt.want {
				t.Errorf("the old pattern says %v for %q; the case is wrong", re, tt.id)
			}
		})
	}
}

func TestValidLessonID(t *testing.T) {
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{"close-in-handler", true},
		{strings.Repeat("a", scenario.MaxLessonChars), true},
		{strings.Repeat("a", scenario.MaxLessonChars+1), false},
		{strings.Repeat("ab-", 50) + "c", false},
		{"", false},
		{"a--b", false},
		{"Close", false},
	} {
		if got := ValidLessonID(tt.id); got != tt.want {
			t.Errorf("ValidLessonID(%q) = %v, want %v", tt.id, got, tt.want)
		}
		if old := ValidID(tt.id) && len(tt.id) <= scenario.MaxLessonChars; old != tt.want {
			t.Errorf("the rule written out says %v for %q; the case is wrong", old, tt.id)
		}
	}
}

func TestParseLessonFileName(t *testing.T) {
	tests := []struct {
		name, file, num, id string
		ok                  bool
	}{
		{"lesson", "01-close-in-handler.md", "01", "close-in-handler", true},
		{"one-byte id", "99-a.md", "99", "a", true},
		{"digit id", "00-0.md", "00", "0", true},
		{"empty", "", "", "", false},
		{"only suffix", ".md", "", "", false},
		{"no id", "01-.md", "", "", false},
		{"no hyphen", "01a.md", "", "", false},
		{"one digit", "1-a.md", "", "", false},
		{"three digits", "001-a.md", "", "", false},
		{"letter for digit", "0a-a.md", "", "", false},
		{"id with leading hyphen", "01--a.md", "", "", false},
		{"id with trailing hyphen", "01-a-.md", "", "", false},
		{"id with double hyphen", "01-a--b.md", "", "", false},
		{"upper-case id", "01-A.md", "", "", false},
		{"dot in id", "01-a.b.md", "", "", false},
		{"scenario file", "01-a.start.json", "", "", false},
		{"upper-case suffix", "01-a.MD", "", "", false},
		{"suffix without dot", "01-amd", "", "", false},
		{"trailing newline", "01-a.md\n", "", "", false},
		{"directory", "x/01-a.md", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			num, id, ok := parseLessonFileName(tt.file)
			if num != tt.num || id != tt.id || ok != tt.ok {
				t.Errorf("parseLessonFileName(%q) = %q, %q, %v, want %q, %q, %v", tt.file, num, id, ok, tt.num, tt.id, tt.ok)
			}
			if rn, rid, rok := submatches(fileRE, tt.file); rn != tt.num || rid != tt.id || rok != tt.ok {
				t.Errorf("the old pattern says %q, %q, %v for %q; the case is wrong", rn, rid, rok, tt.file)
			}
		})
	}
}

func TestValidScenarioFileName(t *testing.T) {
	tests := []struct {
		name, file string
		want       bool
	}{
		{"start", "01-close-in-handler.start.json", true},
		{"solution", "11-connection-close.solution.json", true},
		{"shortest", "00-a.b.json", true},
		{"hyphens anywhere in id", "00---.b.json", true},
		{"digits in id", "00-9.b.json", true},
		{"empty", "", false},
		{"only suffix", ".json", false},
		{"no kind", "01-a.json", false},
		{"empty kind", "01-a..json", false},
		{"empty id", "01-.start.json", false},
		{"two dots in the middle", "01-a.b.c.json", false},
		{"digit in kind", "01-a.start2.json", false},
		{"hyphen in kind", "01-a.st-art.json", false},
		{"upper-case kind", "01-a.Start.json", false},
		{"upper-case id", "01-A.start.json", false},
		{"underscore in id", "01-a_b.start.json", false},
		{"one digit", "1-a.start.json", false},
		{"three digits", "001-a.start.json", false},
		{"no hyphen", "01a.start.json", false},
		{"lesson file", "01-a.md", false},
		{"upper-case suffix", "01-a.start.JSON", false},
		{"trailing newline", "01-a.start.json\n", false},
		{"directory", "../01-a.start.json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validScenarioFileName(tt.file); got != tt.want {
				t.Errorf("validScenarioFileName(%q) = %v, want %v", tt.file, got, tt.want)
			}
			if re := scenFileRE.MatchString(tt.file); re != tt.want {
				t.Errorf("the old pattern says %v for %q; the case is wrong", re, tt.file)
			}
		})
	}
}

func TestParseDocLink(t *testing.T) {
	tests := []struct {
		name, item, title, url string
		ok                     bool
	}{
		{"link", "[net/http Server](https://pkg.go.dev/net/http#Server)", "net/http Server", "https://pkg.go.dev/net/http#Server", true},
		{"shortest", "[a](https://x)", "a", "https://x", true},
		{"title with spaces and parens", "[a (b) c](https://x)", "a (b) c", "https://x", true},
		{"title with newline", "[a\nb](https://x)", "a\nb", "https://x", true},
		{"non-ASCII title", "[café…](https://x/é)", "café…", "https://x/é", true},
		{"vertical tab in URL", "[a](https://x\vy)", "a", "https://x\vy", true},
		{"empty", "", "", "", false},
		{"empty title", "[](https://x)", "", "", false},
		{"bracket in title", "[a[b](https://x)", "", "", false},
		{"closing bracket in title", "[a]b](https://x)", "", "", false},
		{"nothing after https://", "[a](https://)", "", "", false},
		{"http", "[a](http://x)", "", "", false},
		{"upper-case scheme", "[a](HTTPS://x)", "", "", false},
		{"space in URL", "[a](https://x y)", "", "", false},
		{"tab in URL", "[a](https://x\ty)", "", "", false},
		{"newline in URL", "[a](https://x\ny)", "", "", false},
		{"form feed in URL", "[a](https://x\fy)", "", "", false},
		{"carriage return in URL", "[a](https://x\ry)", "", "", false},
		{"paren in URL", "[a](https://x(y)", "", "", false},
		{"closing paren in URL", "[a](https://x)y)", "", "", false},
		{"no closing paren", "[a](https://x", "", "", false},
		{"text after", "[a](https://x) ", "", "", false},
		{"text before", " [a](https://x)", "", "", false},
		{"space between", "[a] (https://x)", "", "", false},
		{"no brackets", "a(https://x)", "", "", false},
		{"bare URL", "https://x", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			title, url, ok := parseDocLink(tt.item)
			if title != tt.title || url != tt.url || ok != tt.ok {
				t.Errorf("parseDocLink(%q) = %q, %q, %v, want %q, %q, %v", tt.item, title, url, ok, tt.title, tt.url, tt.ok)
			}
			if rt, ru, rok := submatches(docRE, tt.item); rt != tt.title || ru != tt.url || rok != tt.ok {
				t.Errorf("the old pattern says %q, %q, %v for %q; the case is wrong", rt, ru, rok, tt.item)
			}
		})
	}
}

// TestNamesMatchRegexp compares each matcher with its old pattern on every
// short string over an alphabet of pieces that the pattern tells apart.
func TestNamesMatchRegexp(t *testing.T) {
	strgen.Each([]string{"a", "0", "-", "A", "."}, 6, func(s string) {
		if got, want := ValidID(s), idRE.MatchString(s); got != want {
			t.Errorf("ValidID(%q) = %v, the pattern says %v", s, got, want)
		}
	})
	strgen.Each(nameAlphabet, 6, func(s string) {
		num, id, ok := parseLessonFileName(s)
		if rn, rid, rok := submatches(fileRE, s); num != rn || id != rid || ok != rok {
			t.Errorf("parseLessonFileName(%q) = %q, %q, %v, the pattern says %q, %q, %v", s, num, id, ok, rn, rid, rok)
		}
		if got, want := validScenarioFileName(s), scenFileRE.MatchString(s); got != want {
			t.Errorf("validScenarioFileName(%q) = %v, the pattern says %v", s, got, want)
		}
	})
	strgen.Each([]string{"[", "]", "(", ")", "](", "https://", "a", "\n"}, 6, func(s string) {
		title, url, ok := parseDocLink(s)
		if rt, ru, rok := submatches(docRE, s); title != rt || url != ru || ok != rok {
			t.Errorf("parseDocLink(%q) = %q, %q, %v, the pattern says %q, %q, %v", s, title, url, ok, rt, ru, rok)
		}
	})
}

// TestContentNamesMatch runs the matchers over the course's own file
// names, the inputs they exist for.
func TestContentNamesMatch(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, ".md") }) {
		t.Fatal("no lesson files")
	}
	for _, n := range names {
		num, id, ok := parseLessonFileName(n)
		if rn, rid, rok := submatches(fileRE, n); num != rn || id != rid || ok != rok {
			t.Errorf("parseLessonFileName(%q) = %q, %q, %v, the pattern says %q, %q, %v", n, num, id, ok, rn, rid, rok)
		}
		if got, want := validScenarioFileName(n), scenFileRE.MatchString(n); got != want {
			t.Errorf("validScenarioFileName(%q) = %v, the pattern says %v", n, got, want)
		}
	}
}

func FuzzValidID(f *testing.F) {
	for _, s := range []string{"", "a", "close-in-handler", "-a", "a-", "a--b", "A", "a_b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidID(s), idRE.MatchString(s); got != want {
			t.Fatalf("ValidID(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}

func FuzzParseLessonFileName(f *testing.F) {
	for _, s := range []string{"", "01-close-in-handler.md", "1-a.md", "01-a-.md", "01-a.start.json", "01-.md"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		num, id, ok := parseLessonFileName(s)
		if rn, rid, rok := submatches(fileRE, s); num != rn || id != rid || ok != rok {
			t.Fatalf("parseLessonFileName(%q) = %q, %q, %v, the pattern says %q, %q, %v", s, num, id, ok, rn, rid, rok)
		}
	})
}

func FuzzValidScenarioFileName(f *testing.F) {
	for _, s := range []string{"", "01-a.start.json", "01-a.json", "01-a.b.c.json", "01---.x.json", "01-a.md"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validScenarioFileName(s), scenFileRE.MatchString(s); got != want {
			t.Fatalf("validScenarioFileName(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}

func FuzzParseDocLink(f *testing.F) {
	for _, s := range []string{"", "[a](https://x)", "[](https://x)", "[a](https://)", "[a\n](https://x y)", "[a]b](https://x)", "[a](https://x))"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		title, url, ok := parseDocLink(s)
		if rt, ru, rok := submatches(docRE, s); title != rt || url != ru || ok != rok {
			t.Fatalf("parseDocLink(%q) = %q, %q, %v, the pattern says %q, %q, %v", s, title, url, ok, rt, ru, rok)
		}
	})
}
