package export

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

const (
	get1 = "GET /a HTTP/1.1\r\nHost: demo\r\n\r\n"
	get2 = "GET /b?x=1&y=two%20words HTTP/1.1\r\nHost: demo\r\n\r\n"
	resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nc\r\nHello World!\r\n0\r\n\r\n"
)

// keepAlive is two requests on one connection, the second answered in
// two reads, then the server's idle close; and a second connection
// refused.
func keepAlive() []timeline.Event {
	return []timeline.Event{
		{T: 0, Kind: timeline.Listen},
		{T: 1, Conn: "A", Kind: timeline.Connect},
		{T: 1, Conn: "A", Kind: timeline.Send, Data: get1},
		{T: 1.2, Conn: "A", Kind: timeline.Accept},
		{T: 1.3, Conn: "A", Kind: timeline.Request, Method: "GET", Path: "/a"},
		{T: 1.5, Conn: "A", Kind: timeline.Response, Status: 200},
		{T: 1.6, Conn: "A", Kind: timeline.Recv, Data: resp},
		{T: 100, Conn: "A", Kind: timeline.Send, Data: get2},
		{T: 100.2, Conn: "A", Kind: timeline.Request, Method: "GET", Path: "/b"},
		{T: 100.4, Conn: "A", Kind: timeline.Recv, Data: resp[:60]},
		{T: 100.5, Conn: "A", Kind: timeline.Recv, Data: resp[60:]},
		{T: 5100, Conn: "A", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonKeepAliveTimeout},
		{T: 5100.1, Conn: "A", Kind: timeline.TCP, Side: timeline.SideServer, State: timeline.StateFinWait2},
		{T: 6000, Conn: "B", Kind: timeline.Refused, Error: "connect: connection refused"},
	}
}

func TestCurl(t *testing.T) {
	var b bytes.Buffer
	if err := Curl(&b, &Run{Events: keepAlive()}); err != nil {
		t.Fatal(err)
	}
	want := `00:00:00.001000 *   Trying 127.0.0.1:80...
00:00:00.001000 * Connected to demo (127.0.0.1) port 80 (#0)
00:00:00.001000 > GET /a HTTP/1.1
00:00:00.001000 > Host: demo
00:00:00.001000 > 
00:00:00.001600 < HTTP/1.1 200 OK
00:00:00.001600 < Content-Type: text/plain
00:00:00.001600 < Transfer-Encoding: chunked
00:00:00.001600 < 
00:00:00.001600 { [22 bytes data]
00:00:00.001600 * Connection #0 to host demo left intact
00:00:00.100000 * Re-using existing connection #0 with host demo
00:00:00.100000 > GET /b?x=1&y=two%20words HTTP/1.1
00:00:00.100000 > Host: demo
00:00:00.100000 > 
00:00:00.100400 < HTTP/1.1 200 OK
00:00:00.100400 < Content-Type: text/plain
00:00:00.100500 < Transfer-Encoding: chunked
00:00:00.100500 < 
00:00:00.100500 { [22 bytes data]
00:00:00.100500 * Connection #0 to host demo left intact
00:00:05.100000 * playground: the server closed connection #0 (keepalive-timeout)

00:00:06.000000 *   Trying 127.0.0.1:80...
00:00:06.000000 * connect to 127.0.0.1 port 80 failed: Connection refused
00:00:06.000000 * Failed to connect to demo port 80 after 0 ms: Couldn't connect to server
00:00:06.000000 * Closing connection 1
curl: (7) Failed to connect to demo port 80 after 0 ms: Couldn't connect to server
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestCurlEnds covers curl's lines for the ways a connection ends with a
// request outstanding or a Connection: close answer.
func TestCurlEnds(t *testing.T) {
	req := "GET / HTTP/1.1\r\nHost: demo:8080\r\n\r\n"
	tests := []struct {
		name   string
		events []timeline.Event
		want   []string // lines, after the time
	}{
		{"empty reply", []timeline.Event{
			{T: 1, Conn: "A", Kind: timeline.Connect},
			{T: 1, Conn: "A", Kind: timeline.Send, Data: req},
			{T: 2, Conn: "A", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonDestroy},
		}, []string{"* Empty reply from server", "* Closing connection 0", "curl: (52) Empty reply from server"}},
		{"Connection: close", []timeline.Event{
			{T: 1, Conn: "A", Kind: timeline.Connect},
			{T: 1, Conn: "A", Kind: timeline.Send, Data: req},
			{T: 2, Conn: "A", Kind: timeline.Recv, Data: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"},
			{T: 3, Conn: "A", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonConnectionClose},
		}, []string{"{ [2 bytes data]", "* Closing connection 0"}},
		{"HTTP/1.0 body until close", []timeline.Event{
			{T: 1, Conn: "A", Kind: timeline.Connect},
			{T: 1, Conn: "A", Kind: timeline.Send, Data: req},
			{T: 2, Conn: "A", Kind: timeline.Recv, Data: "HTTP/1.0 200 OK\r\n\r\nhello"},
			{T: 3, Conn: "A", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonConnectionClose},
		}, []string{"{ [5 bytes data]", "* Closing connection 0"}},
		{"reset", []timeline.Event{
			{T: 1, Conn: "A", Kind: timeline.Connect},
			{T: 1, Conn: "A", Kind: timeline.Send, Data: req},
			{T: 2, Conn: "A", Kind: timeline.Reset, By: timeline.ByServer, Error: "read: connection reset by peer"},
		}, []string{"* Recv failure: Connection reset by peer", "* Closing connection 0", "curl: (56) Recv failure: Connection reset by peer"}},
		{"port from Host", []timeline.Event{
			{T: 1, Conn: "A", Kind: timeline.Connect},
			{T: 1, Conn: "A", Kind: timeline.Send, Data: req},
		}, []string{"* Connected to demo (127.0.0.1) port 8080 (#0)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Curl(&b, &Run{Events: tt.events}); err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
				if len(l) > 16 && l[2] == ':' && l[15] == ' ' {
					l = l[16:]
				}
				lines = append(lines, l)
			}
			got := strings.Join(lines, "\n")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("no %q in:\n%s", w, got)
				}
			}
		})
	}
}

func TestMermaid(t *testing.T) {
	sc := &scenario.Scenario{Title: `A "title"; with #marks`, Server: scenario.Server{Runtime: "node20"}}
	evs := append(keepAlive(), timeline.Event{T: 7000, Conn: "C", Kind: timeline.Reset, By: timeline.ByClient})
	var b bytes.Buffer
	if err := Mermaid(&b, &Run{Scenario: sc, Events: evs}); err != nil {
		t.Fatal(err)
	}
	want := "**A \"title\"; with #marks**\n\n```mermaid\n" + `sequenceDiagram
    participant C as Client
    participant S as Server (node20)
    Note over S: listen (0.0 ms)
    Note over C,S: A: connected (1.0 ms)
    C->>S: A: GET /a (1.3 ms)
    S-->>C: A: 200 (1.5 ms)
    C->>S: A: GET /b (100.2 ms)
    S-)C: A: FIN (keepalive-timeout) (5100.0 ms)
    Note right of S: A: server end FIN_WAIT2 (5100.1 ms)
    Note over C,S: B: connect refused (6000.0 ms)
    C-xS: C: RST (7000.0 ms)
` + "```\n"
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := mermaidText("GET /#x;<b>"); got != "GET /#35;x#59;#lt;b#gt;" {
		t.Errorf("mermaidText = %q", got)
	}
}

func TestHAR(t *testing.T) {
	var b bytes.Buffer
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	if err := HAR(&b, &Run{Events: keepAlive(), Start: start, Link: "#s=abc", ToolVersion: "test"}); err != nil {
		t.Fatal(err)
	}
	var f harFile
	if err := json.Unmarshal(b.Bytes(), &f); err != nil {
		t.Fatal(err)
	}
	es := f.Log.Entries
	if len(es) != 2 {
		t.Fatalf("%d entries; want 2 (B was refused before it sent anything)", len(es))
	}
	if es[0].ConnectionID != "1" || es[1].ConnectionID != "1" || es[0].Connection != "80" {
		t.Errorf("connection ids %q %q, port %q", es[0].ConnectionID, es[1].ConnectionID, es[0].Connection)
	}
	if es[0].StartedDateTime != "2026-12-02T10:00:00.001Z" || es[1].StartedDateTime != "2026-12-02T10:00:00.100Z" {
		t.Errorf("times %s %s", es[0].StartedDateTime, es[1].StartedDateTime)
	}
	e := es[1]
	if e.Request.URL != "http://demo/b?x=1&y=two%20words" || len(e.Request.QueryString) != 2 || e.Request.QueryString[1].Value != "two words" {
		t.Errorf("request %+v", e.Request)
	}
	if e.Response.Status != 200 || e.Response.Content.Text != "Hello World!" || e.Response.Content.Size != 12 || e.Response.BodySize != len(resp)-len("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n") {
		t.Errorf("response %+v", e.Response)
	}
	if e.Timings.Wait != 0.4 || e.Timings.Receive != 0.1 {
		t.Errorf("timings %+v", e.Timings)
	}
	if f.Log.Comment != "#s=abc" {
		t.Errorf("comment %q", f.Log.Comment)
	}
}

func TestHARRequestWithoutResponse(t *testing.T) {
	evs := []timeline.Event{
		{T: 1, Conn: "A", Kind: timeline.Connect},
		{T: 1, Conn: "A", Kind: timeline.Send, Data: "POST /x HTTP/1.1\r\nHost: demo\r\nContent-Length: 2\r\n\r\nhi"},
		{T: 3, Conn: "A", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonDestroy},
	}
	var b bytes.Buffer
	if err := HAR(&b, &Run{Events: evs}); err != nil {
		t.Fatal(err)
	}
	var f harFile
	json.Unmarshal(b.Bytes(), &f)
	if len(f.Log.Entries) != 1 {
		t.Fatalf("entries %d", len(f.Log.Entries))
	}
	e := f.Log.Entries[0]
	if e.Response.Status != 0 || e.Response.Error != "net::ERR_EMPTY_RESPONSE" || e.Request.PostData == nil || e.Request.PostData.Text != "hi" {
		t.Errorf("entry %+v", e)
	}
}

func TestFormats(t *testing.T) {
	for _, f := range Formats {
		var b bytes.Buffer
		if err := Write(&b, f, &Run{Events: keepAlive()}); err != nil || b.Len() == 0 {
			t.Errorf("%s: %v, %d bytes", f, err, b.Len())
		}
	}
	if err := Write(new(bytes.Buffer), "xml", &Run{}); err == nil {
		t.Error("an unknown format was accepted")
	}
}

func testPNG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImageLinks(t *testing.T) {
	link := "http://localhost:8080/#s=q1bKL8pMUbJSMlTSUcrJT0_OLEkJLkkscVGyMlBKLCpJLUpVsqo2qK0FAA&lesson=a<b>"
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" data-x="a>b"><rect width="5" height="5"/></svg>`)
	withLink, err := SVGWithLink(svg, link)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := LinkFromImage(withLink); err != nil || got != link {
		t.Errorf("SVG link = %q, %v", got, err)
	}
	if !bytes.Contains(withLink, []byte(`data-x="a>b"><metadata id="playground-scenario">`)) {
		t.Errorf("metadata not after the root tag: %s", withLink)
	}
	// A tool that rewrote the file with other quotes and spacing.
	rewritten := bytes.ReplaceAll(withLink, []byte(`<metadata id="playground-scenario">`), []byte("<metadata class='x' id='playground-scenario'>\n  "))
	if got, err := LinkFromImage(rewritten); err != nil || got != link {
		t.Errorf("rewritten SVG link = %q, %v", got, err)
	}
	if _, err := LinkFromImage(svg); err == nil || !strings.Contains(err.Error(), "no scenario link") {
		t.Errorf("an SVG without a link: %v", err)
	}

	p := testPNG(t)
	withLink, err = PNGWithLink(p, link)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := LinkFromImage(withLink); err != nil || got != link {
		t.Errorf("PNG link = %q, %v", got, err)
	}
	if _, err := png.Decode(bytes.NewReader(withLink)); err != nil {
		t.Errorf("the PNG with its link no longer decodes: %v", err)
	}
	if _, err := LinkFromImage(p); err == nil {
		t.Error("a PNG without a link gave one")
	}
	damaged := bytes.Clone(withLink)
	damaged[len(damaged)/2] ^= 0xff
	if _, err := LinkFromImage(damaged); err == nil {
		t.Error("a damaged PNG gave a link")
	}
	if _, err := PNGWithLink(p, "bad\nlink"); err == nil {
		t.Error("a link with a newline went into a PNG")
	}
	for _, bad := range [][]byte{nil, []byte("hello"), p[:20], []byte("<svg")} {
		if _, err := LinkFromImage(bad); err == nil {
			t.Errorf("LinkFromImage(%q) gave a link", bad)
		}
	}
}

func FuzzLinkFromImage(f *testing.F) {
	p := testPNG(f)
	withLink, _ := PNGWithLink(p, "#s=abc")
	f.Add(withLink)
	f.Add([]byte(`<svg><metadata id="playground-scenario">#s=a&amp;b&#65;&#x42;</metadata></svg>`))
	f.Add([]byte(`<svg><metadata id='playground-scenario'>&bogus;</metadata>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		link, err := LinkFromImage(data)
		if err == nil && link == "" {
			t.Error("an empty link without an error")
		}
	})
}

// FuzzExports feeds every format arbitrary bytes as a connection's
// traffic: a trace can come from a file, so no input may crash one.
func FuzzExports(f *testing.F) {
	f.Add([]byte(get1), []byte(resp))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"), []byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No\r\n\r\n"))
	f.Add([]byte("HEAD / HTTP/1.1\r\n\r\n"), []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"))
	f.Fuzz(func(t *testing.T, sent, recvd []byte) {
		evs := []timeline.Event{
			{T: 1, Conn: "A", Kind: timeline.Connect},
			{T: 1, Conn: "A", Kind: timeline.Send, Data: string(sent)},
			{T: 2, Conn: "A", Kind: timeline.Recv, Data: string(recvd)},
			{T: 3, Conn: "A", Kind: timeline.Recv, Data: string(recvd)},
			{T: 4, Conn: "A", Kind: timeline.Close, By: timeline.ByServer},
		}
		for _, format := range Formats {
			var b bytes.Buffer
			if err := Write(&b, format, &Run{Events: evs}); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			if format == "har" && !json.Valid(b.Bytes()) {
				t.Fatalf("invalid JSON: %s", b.Bytes())
			}
		}
	})
}

// TestAbortIsOneRST: a program's close that the kernel carried out as a
// reset is drawn once, as the RST, with the close's reason.
func TestAbortIsOneRST(t *testing.T) {
	evs := []timeline.Event{
		{T: 1, Conn: "A", Kind: timeline.Connect},
		{T: 1, Conn: "A", Kind: timeline.Send, Data: "GET / HTTP/1.1\r\n\r\n"},
		{T: 5, Conn: "A", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonDestroy},
		{T: 5.1, Conn: "A", Kind: timeline.Reset, By: timeline.ByServer, Error: "read: connection reset by peer"},
		{T: 9, Conn: "B", Kind: timeline.Connect},
		{T: 10, Conn: "B", Kind: timeline.Close, By: timeline.ByClient, Reason: timeline.ReasonClient},
		{T: 10, Conn: "B", Kind: timeline.Reset, By: timeline.ByClient},
	}
	var m bytes.Buffer
	Mermaid(&m, &Run{Events: evs})
	if s := m.String(); strings.Contains(s, "FIN") || !strings.Contains(s, "S-xC: A: RST (destroy) (5.1 ms)") || !strings.Contains(s, "C-xS: B: RST (10.0 ms)") {
		t.Errorf("diagram:\n%s", s)
	}
	var c bytes.Buffer
	Curl(&c, &Run{Events: evs})
	if s := c.String(); strings.Contains(s, "FIN") || !strings.Contains(s, "Recv failure: Connection reset by peer") || !strings.Contains(s, "the client reset connection #1 (RST)") {
		t.Errorf("transcript:\n%s", s)
	}
}

func TestTableLastingStates(t *testing.T) {
	var b bytes.Buffer
	if err := Table(&b, &Run{Events: keepAlive()}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "The kernel's TCP states at the end:\n  A  server end  FIN_WAIT2  since 5100.1 ms\n") {
		t.Errorf("table:\n%s", b.String())
	}
}

func TestTableSaysWhenTheRunEnded(t *testing.T) {
	for _, tt := range []struct{ reason, want string }{
		{"duration", "The run ended at 2500.0 ms: its durationMs had passed"},
		{"finished", "The run ended at 812.5 ms: nothing more could happen"},
	} {
		t.Run(tt.reason, func(t *testing.T) {
			end := 2500.0
			if tt.reason == "finished" {
				end = 812.5
			}
			var b strings.Builder
			if err := Table(&b, &Run{EndMs: end, EndReason: tt.reason}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tt.want) {
				t.Errorf("table lacks %q:\n%s", tt.want, b.String())
			}
		})
	}
}
