package timeline_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/client"
)

const (
	get  = "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"
	resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
)

// line is an entry as the tests compare it.
type line struct {
	t    float64
	dir  string
	text string // Visible(data) for bytes, the note for notes
}

func lines(es []timeline.TranscriptEntry) []line {
	var out []line
	for _, e := range es {
		l := line{t: e.T, dir: e.Dir, text: e.Note}
		if e.Dir != timeline.DirNote {
			l.text = timeline.Visible(e.Data)
		}
		out = append(out, l)
	}
	return out
}

func TestTranscriptOf(t *testing.T) {
	tests := []struct {
		name    string
		conn    string
		proxied bool
		events  []timeline.Event
		want    []line
	}{
		{
			name: "two requests on one connection, then the server's idle timeout",
			conn: "A",
			events: []timeline.Event{
				{T: 0.4, Conn: "A", Kind: timeline.Connect},
				{T: 0.5, Conn: "A", Kind: timeline.Accept},
				{T: 1, Conn: "A", Kind: timeline.Send, Data: get},
				{T: 1.3, Conn: "A", Kind: timeline.Request, Method: "GET", Path: "/"},
				{T: 2, Conn: "B", Kind: timeline.Send, Data: "other connection"},
				{T: 2.5, Conn: "A", Kind: timeline.Response, Status: 200},
				{T: 2.6, Conn: "A", Kind: timeline.Recv, Data: resp},
				{T: 1000, Conn: "A", Kind: timeline.Send, Data: get},
				{T: 1002, Conn: "A", Kind: timeline.Recv, Data: resp},
				{T: 1002.1, Conn: "A", Kind: timeline.Idle},
				{T: 5002, Conn: "A", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonKeepAliveTimeout, Open: timeline.ByClient},
				{T: 5002.2, Conn: "A", Kind: timeline.TCP, Side: timeline.SideClient, State: timeline.StateCloseWait},
				{T: 5003, Conn: "A", Kind: timeline.Close, By: timeline.ByClient, Reason: timeline.ReasonPeerFin},
			},
			want: []line{
				{0.4, timeline.DirNote, "connection to the server succeeded"},
				{1, timeline.DirSent, "GET / HTTP/1.1\\r\\n\nHost: demo\\r\\n\n\\r\\n\n"},
				{2.6, timeline.DirRecv, "HTTP/1.1 200 OK\\r\\n\nContent-Length: 2\\r\\n\n\\r\\n\nhi"},
				{1000, timeline.DirSent, "GET / HTTP/1.1\\r\\n\nHost: demo\\r\\n\n\\r\\n\n"},
				{1002, timeline.DirRecv, "HTTP/1.1 200 OK\\r\\n\nContent-Length: 2\\r\\n\n\\r\\n\nhi"},
				{5002, timeline.DirNote, "the server sent FIN (keepalive-timeout): its end is closed, the client's end is still open"},
				{5002.2, timeline.DirNote, "tcp: the client's end is CLOSE_WAIT"},
				{5003, timeline.DirNote, "the client closed its end too (peer-fin), after the server's FIN: both ends are closed"},
			},
		},
		{
			name: "events recorded out of time order read in time order",
			conn: "A",
			events: []timeline.Event{
				{T: 3, Conn: "A", Kind: timeline.Recv, Data: "b"},
				{T: 1, Conn: "A", Kind: timeline.Connect},
				{T: 2, Conn: "A", Kind: timeline.Send, Data: "a"},
				{T: 3, Conn: "A", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonDestroy},
			},
			want: []line{
				{1, timeline.DirNote, "connection to the server succeeded"},
				{2, timeline.DirSent, "a"},
				{3, timeline.DirRecv, "b"},
				{3, timeline.DirNote, "closed by the server (destroy)"},
			},
		},
		{
			name:    "a proxied client connection: the proxy answers and closes",
			conn:    "A",
			proxied: true,
			events: []timeline.Event{
				{T: 1, Conn: "A", Kind: timeline.Connect},
				{T: 2, Conn: "A", Kind: timeline.Send, Data: "GET /\r\n"},
				{T: 9, Conn: "A", Kind: timeline.Recv, Data: "HTTP/1.1 502 Bad Gateway\r\n"},
				{T: 9, Conn: "A", Kind: timeline.Close, By: timeline.ByProxy, Reason: timeline.ReasonUpstreamClosed},
			},
			want: []line{
				{1, timeline.DirNote, "connection to the proxy succeeded"},
				{2, timeline.DirSent, "GET /\\r\\n\n"},
				{9, timeline.DirRecv, "HTTP/1.1 502 Bad Gateway\\r\\n\n"},
				{9, timeline.DirNote, "closed by the proxy (upstream-closed)"},
			},
		},
		{
			name:    "an upstream connection: the proxy is its client",
			conn:    "u1",
			proxied: true,
			events: []timeline.Event{
				{T: 1, Conn: "u1", Hop: timeline.HopUpstream, Kind: timeline.Connect},
				{T: 2, Conn: "u1", Hop: timeline.HopUpstream, Kind: timeline.Send, Data: "x"},
				{T: 4, Conn: "u1", Hop: timeline.HopUpstream, Kind: timeline.TCP, Side: timeline.SideClient, State: timeline.StateTimeWait},
				{T: 3, Conn: "u1", Hop: timeline.HopUpstream, Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonServerClose},
			},
			want: []line{
				{1, timeline.DirNote, "the proxy's connection to the server succeeded"},
				{2, timeline.DirSent, "x"},
				{3, timeline.DirNote, "closed by the server (server-close)"},
				{4, timeline.DirNote, "tcp: the proxy's end is TIME_WAIT"},
			},
		},
		{
			name: "refused",
			conn: "C",
			events: []timeline.Event{
				{T: 7, Conn: "C", Kind: timeline.Refused, Error: "connect: connection refused"},
			},
			want: []line{{7, timeline.DirNote, "connection refused: connect: connection refused"}},
		},
		{
			name: "a reset by the server, and the close after it says nothing new",
			conn: "A",
			events: []timeline.Event{
				{T: 1, Conn: "A", Kind: timeline.Connect},
				{T: 2, Conn: "A", Kind: timeline.Reset, By: timeline.ByServer, Error: "read: connection reset by peer"},
				{T: 2, Conn: "A", Kind: timeline.Close, By: timeline.ByServer},
			},
			want: []line{
				{1, timeline.DirNote, "connection to the server succeeded"},
				{2, timeline.DirNote, "reset (RST) by the server: read: connection reset by peer"},
			},
		},
		{
			name: "the client's own reset and a plain client close",
			conn: "B",
			events: []timeline.Event{
				{T: 1, Conn: "B", Kind: timeline.Close, By: timeline.ByClient, Reason: timeline.ReasonClient},
				{T: 2, Conn: "B", Kind: timeline.Reset},
			},
			want: []line{
				{1, timeline.DirNote, "closed by the client"},
				{2, timeline.DirNote, "reset (RST) by the client"},
			},
		},
		{
			name: "control bytes, a backslash and bytes that are not UTF-8 are escaped",
			conn: "A",
			events: []timeline.Event{
				{T: 1, Conn: "A", Kind: timeline.Send, Data: "a\tb\x00c\\d\x7fé\xff\r"},
			},
			want: []line{{1, timeline.DirSent, `a\tb\x00c\\d\x7fé\xff\r`}},
		},
		{name: "no events on the connection", conn: "Z", events: []timeline.Event{{T: 1, Conn: "A", Kind: timeline.Connect}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := lines(timeline.TranscriptOf(tc.events, tc.conn, tc.proxied))
			if len(got) != len(tc.want) {
				t.Fatalf("got %d entries, want %d:\n%+v", len(got), len(tc.want), got)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestTranscriptFoldAndCut(t *testing.T) {
	body := strings.Repeat("x", 3000)
	head := "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n"
	tests := []struct {
		name     string
		data     []string
		wantFold []int
		wantCut  []int
	}{
		{"short: whole", []string{"hi"}, []int{0}, []int{0}},
		{"exactly the fold size: whole", []string{strings.Repeat("y", timeline.TranscriptFoldBytes)}, []int{0}, []int{0}},
		{"headers above a long body: folded after the blank line", []string{head + body}, []int{len(head)}, []int{0}},
		{"no line end: folded at the size", []string{body}, []int{timeline.TranscriptFoldBytes}, []int{0}},
		{"not inside a character", []string{"a" + strings.Repeat("é", 1000)}, []int{timeline.TranscriptFoldBytes - 1}, []int{0}},
		{
			"past the transcript's bound: cut, and later bytes not kept",
			[]string{strings.Repeat("z", timeline.TranscriptMaxBytes-10), strings.Repeat("w", 30), "more"},
			[]int{timeline.TranscriptFoldBytes, 0, 0}, []int{0, 20, 4},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var evs []timeline.Event
			for i, d := range tc.data {
				evs = append(evs, timeline.Event{T: float64(i), Conn: "A", Kind: timeline.Recv, Data: d})
			}
			es := timeline.TranscriptOf(evs, "A", false)
			for i, e := range es {
				if e.Fold != tc.wantFold[i] || e.Cut != tc.wantCut[i] {
					t.Errorf("entry %d: fold %d cut %d, want fold %d cut %d", i, e.Fold, e.Cut, tc.wantFold[i], tc.wantCut[i])
				}
				if e.Fold > 0 && !utf8.ValidString(e.Data[:e.Fold]) {
					t.Errorf("entry %d folds inside a character", i)
				}
				if len(e.Data)+e.Cut != len(tc.data[i]) {
					t.Errorf("entry %d keeps %d + cuts %d of %d bytes", i, len(e.Data), e.Cut, len(tc.data[i]))
				}
			}
			if txt := timeline.TranscriptText(es); tc.wantCut[len(tc.wantCut)-1] > 0 && !strings.Contains(txt, "more bytes not kept") {
				t.Errorf("the text does not say bytes were not kept:\n%.200s", txt)
			}
		})
	}
}

func TestTranscriptText(t *testing.T) {
	es := timeline.TranscriptOf([]timeline.Event{
		{T: 0.4, Conn: "A", Kind: timeline.Connect},
		{T: 1.25, Conn: "A", Kind: timeline.Send, Data: get},
		{T: 12.5, Conn: "A", Kind: timeline.Recv, Data: resp},
		{T: 4012.5, Conn: "A", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonSocketTimeout},
	}, "A", false)
	want := "" +
		"   0.4 ms  *  connection to the server succeeded\n" +
		"   1.2 ms  →  GET / HTTP/1.1\\r\\n\n" +
		"           →  Host: demo\\r\\n\n" +
		"           →  \\r\\n\n" +
		"  12.5 ms  ←  HTTP/1.1 200 OK\\r\\n\n" +
		"           ←  Content-Length: 2\\r\\n\n" +
		"           ←  \\r\\n\n" +
		"           ←  hi\n" +
		"4012.5 ms  *  closed by the server (socket-timeout)\n"
	if got := timeline.TranscriptText(es); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := timeline.TranscriptText(nil); got != "" {
		t.Errorf("an empty transcript's text is %q", got)
	}
}

// FuzzTranscriptVisible holds the escaping to what a card's input reads
// back: whatever the bytes, what a transcript shows is valid UTF-8, its
// only line breaks follow a \n escape, and typed back into a card it is
// the same bytes.
func FuzzTranscriptVisible(f *testing.F) {
	for _, s := range []string{get, resp, "a\tb\x00c\\d\x7fé\xff\r", "\xe2\x82", "\\x41", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		v := timeline.Visible(data)
		if !utf8.ValidString(v) {
			t.Fatalf("Visible(%q) = %q is not UTF-8", data, v)
		}
		if strings.Count(v, "\n") != strings.Count(data, "\n") || strings.Contains(strings.ReplaceAll(v, "\\n\n", ""), "\n") {
			t.Fatalf("Visible(%q) = %q breaks lines elsewhere than after \\n", data, v)
		}
		back, err := client.Unescape(strings.ReplaceAll(v, "\\n\n", "\\n"), false)
		if err != nil || string(back) != data {
			t.Fatalf("Visible(%q) = %q reads back as %q, %v", data, v, back, err)
		}
		es := timeline.TranscriptOf([]timeline.Event{{Conn: "A", Kind: timeline.Recv, Data: data}}, "A", false)
		if len(es) != 1 || es[0].Data != data || es[0].Fold < 0 || es[0].Fold > len(data) {
			t.Fatalf("TranscriptOf(%q) = %+v", data, es)
		}
		if txt := timeline.TranscriptText(es); !utf8.ValidString(txt) {
			t.Fatalf("TranscriptText is not UTF-8: %q", txt)
		}
	})
}
