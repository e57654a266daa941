package lanes

import (
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// xmlEscape is what esc replaced; the tests hold esc to it.
func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func TestEsc(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain", "conn A: 200 OK", "conn A: 200 OK"},
		{"font list", `system-ui, "Segoe UI", sans-serif`, "system-ui, &#34;Segoe UI&#34;, sans-serif"},
		{"apostrophe", "don't", "don&#39;t"},
		{"ampersand", "a&b", "a&amp;b"},
		{"already escaped stays literal", "&amp;", "&amp;amp;"},
		{"tag", "<script>", "&lt;script&gt;"},
		{"CDATA end", "]]>", "]]&gt;"},
		{"tab", "a\tb", "a&#x9;b"},
		{"newline", "a\nb", "a&#xA;b"},
		{"carriage return", "a\r\n", "a&#xD;&#xA;"},
		{"only escapes", `"'&<>`, "&#34;&#39;&amp;&lt;&gt;"},
		{"NUL", "a\x00b", "a\uFFFDb"},
		{"other control", "\x01\x1f", "\uFFFD\uFFFD"},
		{"DEL is allowed", "\x7f", "\x7f"},
		{"non-ASCII", "café → ✓", "café → ✓"},
		{"emoji", "😀", "😀"},
		{"real U+FFFD kept", "\uFFFD", "\uFFFD"},
		{"U+FFFE", "\uFFFE", "\uFFFD"},
		{"U+FFFF", "\uFFFF", "\uFFFD"},
		{"last BMP char before surrogates", "\uD7FF", "\uD7FF"},
		{"first char after surrogates", "\uE000", "\uE000"},
		{"first astral", "\U00010000", "\U00010000"},
		{"last rune", "\U0010FFFF", "\U0010FFFF"},
		{"invalid byte", "a\xffb", "a\uFFFDb"},
		{"each invalid byte replaced", "\xff\xfe", "\uFFFD\uFFFD"},
		{"encoded surrogate", "\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"truncated sequence", "\xe2\x9c", "\uFFFD\uFFFD"},
		{"overlong slash", "\xc0\xaf", "\uFFFD\uFFFD"},
		{"escape at both ends", "<a>", "&lt;a&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := esc(tt.in); got != tt.want {
				t.Errorf("esc(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if x := xmlEscape(tt.in); x != tt.want {
				t.Errorf("xml.EscapeText gives %q for %q; the case is wrong", x, tt.in)
			}
		})
	}
}

// TestEscMatchesXML compares esc with xml.EscapeText on every rune, alone
// and between other text, and on every one- and two-byte string, which
// covers each way UTF-8 can be invalid at the start of a sequence.
func TestEscMatchesXML(t *testing.T) {
	check := func(s string) {
		if got, want := esc(s), xmlEscape(s); got != want {
			t.Fatalf("esc(%q) = %q, xml.EscapeText gives %q", s, got, want)
		}
	}
	for r := rune(0); r <= utf8.MaxRune; r++ {
		s := string(r)
		check(s)
		if r < 0x100 || 0xD780 <= r && r < 0xE080 || 0xFF00 <= r && r < 0x10100 || r > 0x10FF00 {
			check("a" + s + "<" + s + "b")
		}
	}
	for i := range 1 << 16 {
		check(string([]byte{byte(i >> 8), byte(i)}))
	}
	for _, s := range []string{"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf0\x8f\xbf\xbf", "\xef\xbf\xbe", "\xef\xbf\xbd"} {
		check(s)
		check("x" + s + "&")
	}
}

func FuzzEsc(f *testing.F) {
	for _, s := range []string{"", "plain", `"'&<>`, "\t\n\r", "a\x00b", "\xff", "\uFFFD", "\uFFFE", "\xed\xa0\x80", "😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := esc(s), xmlEscape(s); got != want {
			t.Fatalf("esc(%q) = %q, xml.EscapeText gives %q", s, got, want)
		}
	})
}

func TestMarkLabelSaysWhoOnce(t *testing.T) {
	node, golang := scenario.DefaultRuntime(), scenario.RuntimeOf(scenario.LangGo)
	tests := []struct {
		name    string
		ev      timeline.Event
		runtime string
		want    string
	}{
		{"Node's close()", timeline.Event{Kind: timeline.CloseCalled}, node, "close()"},
		{"Node's closeIdleConnections()", timeline.Event{Kind: timeline.CloseIdleCalled}, node, "closeIdleConnections()"},
		{"Node's closeAllConnections()", timeline.Event{Kind: timeline.CloseAllCalled}, node, "closeAllConnections()"},
		{"Go's srv.Close()", timeline.Event{Kind: timeline.CloseCalled}, golang, "Close()"},
		{"Go's srv.Shutdown(ctx)", timeline.Event{Kind: timeline.ShutdownCalled}, golang, "Shutdown()"},
		{"a recording without a runtime", timeline.Event{Kind: timeline.CloseCalled}, "", "close()"},
		{"reason names the closer", timeline.Event{Kind: timeline.Close, By: "client", Reason: "client"}, node, "closed by the client"},
		{"no reason", timeline.Event{Kind: timeline.Close, By: "client"}, node, "closed by the client"},
		{"a server timeout", timeline.Event{Kind: timeline.Close, By: "server", Reason: "keepalive-timeout"}, node, "closed by the server: keepalive-timeout"},
		{"Go's Close() closes a connection", timeline.Event{Kind: timeline.Close, By: "server", Reason: "server-close"}, golang, "closed by the server: server-close"},
		{"a reset", timeline.Event{Kind: timeline.Reset, By: "client"}, node, "reset by the client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := markLabel(&tt.ev, tt.runtime); got != tt.want {
				t.Errorf("markLabel = %q, want %q", got, tt.want)
			}
		})
	}
}
