package export

import (
	"bytes"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

func TestTranscript(t *testing.T) {
	var b bytes.Buffer
	if err := Transcript(&b, &Run{Events: keepAlive()}); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"== connection A (client → server) ==\n",
		"   1.0 ms  *  connection to the server succeeded\n",
		"   1.0 ms  →  GET /a HTTP/1.1\\r\\n\n           →  Host: demo\\r\\n\n",
		"   1.6 ms  ←  HTTP/1.1 200 OK\\r\\n\n",
		"5100.0 ms  *  closed by the server (keepalive-timeout)\n",
		"\n\n== connection B (client → server) ==\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	// The server's reading of the bytes (request, response) is not the
	// bytes: a transcript shows what went over the wire.
	if strings.Contains(got, "GET /b\n") || strings.Contains(got, "response") {
		t.Errorf("server events in the transcript:\n%s", got)
	}
	if i, j := strings.Index(got, "GET /a"), strings.Index(got, "GET /b"); i < 0 || j < i {
		t.Errorf("bytes out of order:\n%s", got)
	}
}

// TestTranscriptProxied: behind a proxy the client's connections end at
// the proxy, and the app's connections follow them, however they
// interleave in time.
func TestTranscriptProxied(t *testing.T) {
	sc := &scenario.Scenario{Proxy: &scenario.Proxy{Kind: "nginx"}}
	events := []timeline.Event{
		{T: 1, Conn: "A", Kind: timeline.Connect},
		{T: 1, Conn: "A", Kind: timeline.Send, Data: "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"},
		{T: 2, Conn: "u1", Hop: timeline.HopUpstream, Kind: timeline.Connect},
		{T: 2, Conn: "u1", Hop: timeline.HopUpstream, Kind: timeline.Send, Data: "GET / HTTP/1.0\r\nHost: app\r\n\r\n"},
		{T: 5, Conn: "B", Kind: timeline.Connect},
	}
	var b bytes.Buffer
	if err := Transcript(&b, &Run{Scenario: sc, Events: events}); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	a, bb, u := strings.Index(got, "== connection A (client → proxy)"), strings.Index(got, "== connection B (client → proxy)"), strings.Index(got, "== connection u1 (proxy → server)")
	if a < 0 || bb < 0 || u < 0 || !(a < bb && bb < u) {
		t.Errorf("want A, B, then u1, each between the right ends:\n%s", got)
	}
}
