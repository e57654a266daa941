package emulated

import (
	"errors"
	"testing"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		status int // 0: parses; -1: incomplete
		n      int // bytes used when it parses
		keep   bool
	}{
		{"get", "GET / HTTP/1.1\r\nHost: demo\r\n\r\n", 0, 30, true},
		{"bare LF", "GET / HTTP/1.1\nHost: demo\n\n", 0, 27, true},
		{"empty lines first", "\r\n\r\nGET / HTTP/1.1\r\nHost: d\r\n\r\n", 0, 31, true},
		{"incomplete head", "GET / HTTP/1.1\r\nHost: demo\r\n", -1, 0, false},
		{"incomplete body", "POST / HTTP/1.1\r\nHost: d\r\nContent-Length: 3\r\n\r\nab", -1, 0, false},
		{"body", "POST / HTTP/1.1\r\nHost: d\r\nContent-Length: 3\r\n\r\nabcGET", 0, 50, true},
		{"chunked", "POST / HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 0, 69, true},
		{"no host", "GET / HTTP/1.1\r\n\r\n", 400, 0, false},
		{"http/1.0 without host", "GET / HTTP/1.0\r\n\r\n", 0, 18, false},
		{"http/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, 42, true},
		{"close", "GET / HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n", 0, 46, false},
		{"lower-case method", "get / HTTP/1.1\r\nHost: d\r\n\r\n", 400, 0, false},
		{"bad line seen early", "get / HTTP/1.1\r\n", 400, 0, false},
		{"version 2", "GET / HTTP/2.0\r\nHost: d\r\n\r\n", 505, 0, false},
		{"CL and TE", "POST / HTTP/1.1\r\nHost: d\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, 0, false},
		{"unknown TE", "POST / HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: gzip\r\n\r\n", 501, 0, false},
		{"bad CL", "POST / HTTP/1.1\r\nHost: d\r\nContent-Length: x\r\n\r\n", 400, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, n, err := parseRequest([]byte(tt.in))
			var bad *badRequest
			switch {
			case tt.status == -1:
				if err != errIncomplete {
					t.Errorf("got %v, want incomplete", err)
				}
			case tt.status > 0:
				if !errors.As(err, &bad) || bad.status != tt.status {
					t.Errorf("got %v, want %d", err, tt.status)
				}
			case err != nil:
				t.Errorf("got %v", err)
			case n != tt.n || r.keepAliveAsked != tt.keep:
				t.Errorf("used %d keep %v, want %d %v", n, r.keepAliveAsked, tt.n, tt.keep)
			}
		})
	}
}

func TestUnderscoreHeadersDropped(t *testing.T) {
	r, _, err := parseRequest([]byte("GET / HTTP/1.1\r\nHost: d\r\nX_Y: 1\r\nX-Z: 2\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.header("X_Y"); ok {
		t.Error("nginx ignores a header with an underscore (underscores_in_headers off)")
	}
	if v, _ := r.header("x-z"); v != "2" {
		t.Errorf("X-Z = %q", v)
	}
}

func TestParseResponse(t *testing.T) {
	r, n, err := parseResponse([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"))
	if err != nil || n != 57 || r.status != 200 || r.statusLine != "200 OK" || r.contentLength != 2 || !r.closes {
		t.Fatalf("%+v %d %v", r, n, err)
	}
	r, _, err = parseResponse([]byte("HTTP/1.0 200 OK\r\n\r\n"))
	if err != nil || !r.closes || r.contentLength != -1 {
		t.Fatalf("HTTP/1.0 without keep-alive closes: %+v %v", r, err)
	}
	if _, _, err := parseResponse([]byte("garbage\r\n\r\n")); err != errInvalidHeader {
		t.Errorf("garbage: %v", err)
	}
	if _, _, err := parseResponse([]byte("HTT")); err != errIncomplete {
		t.Errorf("a prefix of HTTP/ is incomplete, got %v", err)
	}
}

func TestNextChunk(t *testing.T) {
	b := []byte("c\r\nHello World!\r\n0\r\n\r\n")
	d, n, last, err := nextChunk(b)
	if err != nil || string(d) != "Hello World!" || n != 17 || last {
		t.Fatalf("%q %d %v %v", d, n, last, err)
	}
	d, n, last, err = nextChunk(b[n:])
	if err != nil || len(d) != 0 || n != 5 || !last {
		t.Fatalf("last chunk: %q %d %v %v", d, n, last, err)
	}
	if _, n, _, _ := nextChunk([]byte("c\r\nHello")); n != 0 {
		t.Errorf("a partial chunk used %d bytes", n)
	}
}

// FuzzParseRequest: any bytes a client sends are parsed without a panic
// into a request, "incomplete" or a bad request, and a request uses no
// more bytes than it was given.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"GET / HTTP/1.1\r\nHost: d\r\n\r\n", "POST / HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"\r\nGET http://x/y HTTP/1.0\n\n", "GET / HTTP/9.9\r\n\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, n, err := parseRequest(b)
		if err == nil && (n > len(b) || n <= 0 || r.method == "") {
			t.Fatalf("parsed %+v using %d of %d bytes", r, n, len(b))
		}
	})
}

// FuzzParseResponse: any bytes an upstream sends are parsed without a
// panic, and the head never reaches past them.
func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HTTP/1.0 502 x\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, n, err := parseResponse(b)
		if err == nil && (n > len(b) || r.status < 100) {
			t.Fatalf("parsed %+v using %d of %d bytes", r, n, len(b))
		}
		for len(b) > 0 {
			_, used, last, err := nextChunk(b)
			if err != nil || used == 0 || last {
				break
			}
			if used > len(b) {
				t.Fatalf("chunk used %d of %d", used, len(b))
			}
			b = b[used:]
		}
	})
}
