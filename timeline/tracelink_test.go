package timeline

import (
	"reflect"
	"strings"
	"testing"
)

func TestTraceLinkRoundTrip(t *testing.T) {
	tr := Trace{V: TraceVersion, Scenario: []byte(`{"v":1,"server":{"runtime":"node20"}}`), Events: []Event{
		{T: 0.4, Kind: Listen},
		{T: 1.2, Conn: "A", Kind: Connect},
		{T: 1.3, Conn: "A", Kind: Send, Data: "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"},
		{T: 403.2, Conn: "A", Kind: Close, By: ByServer, Reason: ReasonSocketTimeout},
	}}
	link, err := tr.EncodeLink()
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{link, "http://localhost:8080/" + link, strings.TrimPrefix(link, "#")} {
		got, err := DecodeTraceLink(form)
		if err != nil {
			t.Fatalf("%s: %v", form, err)
		}
		if !reflect.DeepEqual(*got, tr) {
			t.Errorf("round trip: %+v, want %+v", got, tr)
		}
	}
}

func TestTraceLinkErrors(t *testing.T) {
	tests := []struct{ name, link, want string }{
		{"empty", "", "empty"},
		{"scenario link", "http://x/#s=abc", "no t= part"},
		{"not base64", "#t=!!!", "not base64url"},
		{"too long", "#t=" + strings.Repeat("A", MaxTraceLinkChars+1), "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeTraceLink(tt.link)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("DecodeTraceLink(%.40q) = %v, want an error containing %q", tt.link, err, tt.want)
			}
		})
	}
}

func TestTruncatedTraceLinkFails(t *testing.T) {
	tr := Trace{Events: []Event{{T: 1, Kind: Listen}, {T: 2, Conn: "A", Kind: Connect}, {T: 3, Conn: "A", Kind: Send, Data: "GET / HTTP/1.1"}}}
	link, err := tr.EncodeLink()
	if err != nil {
		t.Fatal(err)
	}
	for cut := len(TraceLinkPrefix) + 1; cut < len(link); cut++ {
		if got, err := DecodeTraceLink(link[:cut]); err == nil {
			t.Errorf("a link cut to %d of %d characters opened: %+v", cut, len(link), got)
		}
	}
}

func FuzzDecodeTraceLink(f *testing.F) {
	tr := Trace{Events: []Event{{T: 1, Kind: Listen}}}
	link, _ := tr.EncodeLink()
	f.Add(link)
	f.Add("#t=")
	f.Add("http://h/#x=1&t=abc")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := DecodeTraceLink(s)
		if err != nil {
			return
		}
		again, err := got.EncodeLink()
		if err != nil {
			return // a decoded trace may be longer than a link allows
		}
		if _, err := DecodeTraceLink(again); err != nil {
			t.Fatalf("re-encoded link does not open: %v", err)
		}
	})
}
