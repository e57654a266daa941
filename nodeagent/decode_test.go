package nodeagent

import (
	"errors"
	"strings"
	"testing"
)

// decodeAll feeds in pieces of size step (0: whole) and returns the
// response, how many bytes it took, whether it completed (after EOF when
// eof), and the error.
func decodeAll(method, in string, step int, eof bool) (*Response, int, bool, error) {
	d := NewDecoder(method)
	used := 0
	b := []byte(in)
	if step <= 0 {
		step = len(b) + 1
	}
	for i := 0; i < len(b) && !d.Done(); i += step {
		j := min(i+step, len(b))
		n, err := d.Feed(b[i:j])
		used += n
		if err != nil {
			return d.Response(), used, false, err
		}
	}
	done := d.Done()
	if !done && eof {
		done = d.EOF()
	}
	return d.Response(), used, done, nil
}

func TestDecoder(t *testing.T) {
	tests := []struct {
		name, method, in string
		eof              bool
		status           int
		body             string
		keepAlive        bool
		rest             int // bytes left unconsumed
		incomplete       bool
		code             string // ParseError code
	}{
		{name: "content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", status: 200, body: "hello", keepAlive: true},
		{name: "chunked", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nc\r\nHello World!\r\n0\r\n\r\n", status: 200, body: "Hello World!", keepAlive: true},
		{name: "chunked with extension and trailer", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", status: 200, body: "hello", keepAlive: true},
		{name: "connection close", in: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi", status: 200, body: "hi"},
		{name: "http/1.0 default close", in: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", status: 200, body: "hi"},
		{name: "http/1.0 keep-alive", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi", status: 200, body: "hi", keepAlive: true},
		{name: "close-delimited at eof", in: "HTTP/1.1 200 OK\r\n\r\nuntil the end", eof: true, status: 200, body: "until the end"},
		{name: "close-delimited before eof", in: "HTTP/1.1 200 OK\r\n\r\nuntil", status: 200, body: "until", incomplete: true},
		{name: "head with length keeps", method: "HEAD", in: "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", status: 200, keepAlive: true},
		{name: "head without length not kept", method: "HEAD", in: "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n", status: 200},
		{name: "204 no body", in: "HTTP/1.1 204 No Content\r\n\r\n", status: 204, keepAlive: true},
		{name: "304 no body", in: "HTTP/1.1 304 Not Modified\r\n\r\n", status: 304, keepAlive: true},
		{name: "interim 100 skipped", in: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", status: 200, body: "x", keepAlive: true},
		{name: "103 skipped", in: "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", status: 201, keepAlive: true},
		{name: "leading CRLF", in: "\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", status: 200, keepAlive: true},
		{name: "bare LF", in: "HTTP/1.1 200 OK\nContent-Length: 1\n\nx", status: 200, body: "x", keepAlive: true},
		{name: "no reason", in: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", status: 200, keepAlive: true},
		{name: "bytes after the response", in: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1", status: 200, body: "x", keepAlive: true, rest: 8},
		{name: "truncated head", in: "HTTP/1.1 200 OK\r\nContent-Le", eof: true, incomplete: true},
		{name: "truncated body", in: "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", eof: true, status: 200, body: "abc", keepAlive: true, incomplete: true},
		{name: "not http", in: "SSH-2.0-OpenSSH\r\n\r\n", code: "HPE_INVALID_CONSTANT"},
		{name: "bad status", in: "HTTP/1.1 2x0 OK\r\n\r\n", code: "HPE_INVALID_STATUS"},
		{name: "bad header token", in: "HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", code: "HPE_INVALID_HEADER_TOKEN"},
		{name: "bad content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", code: "HPE_INVALID_CONTENT_LENGTH"},
		{name: "conflicting content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", code: "HPE_UNEXPECTED_CONTENT_LENGTH"},
		{name: "bad chunk size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", code: "HPE_INVALID_CHUNK_SIZE"},
		{name: "header overflow", in: "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", maxHeadBytes) + "\r\n\r\n", code: "HPE_HEADER_OVERFLOW"},
	}
	for _, tt := range tests {
		for _, step := range []int{0, 1, 3} {
			t.Run(tt.name, func(t *testing.T) {
				method := tt.method
				if method == "" {
					method = "GET"
				}
				r, used, done, err := decodeAll(method, tt.in, step, tt.eof)
				var pe *ParseError
				if tt.code != "" {
					if !errors.As(err, &pe) || pe.Code != tt.code {
						t.Fatalf("step %d: error %v, want code %s", step, err, tt.code)
					}
					return
				}
				if err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				if done == tt.incomplete {
					t.Fatalf("step %d: complete %v, want %v", step, done, !tt.incomplete)
				}
				if r.Status != tt.status || string(r.Body) != tt.body {
					t.Errorf("step %d: %d %q, want %d %q", step, r.Status, r.Body, tt.status, tt.body)
				}
				if done && r.KeepAlive != tt.keepAlive {
					t.Errorf("step %d: keep-alive %v, want %v", step, r.KeepAlive, tt.keepAlive)
				}
				if !tt.incomplete && len(tt.in)-used != tt.rest {
					t.Errorf("step %d: %d bytes left, want %d", step, len(tt.in)-used, tt.rest)
				}
			})
		}
	}
}

// FuzzDecoder: any bytes, split anywhere, decode to the same outcome as
// whole, never consume more than given, and never panic.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nc\r\nHello World!\r\n0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\nbody",
		"HTTP/1.1 204 No Content\r\nKeep-Alive: timeout=5\r\n\r\n",
		"\r\n\r\nHTTP/1.1 200\nTransfer-Encoding: gzip, chunked\n\n0\n\n",
	} {
		f.Add(s, uint8(1))
		f.Add(s, uint8(7))
	}
	f.Fuzz(func(t *testing.T, in string, step uint8) {
		whole, wu, wd, we := decodeAll("GET", in, 0, true)
		split, su, sd, se := decodeAll("GET", in, int(step), true)
		if (we == nil) != (se == nil) {
			t.Fatalf("whole error %v, split (%d) error %v", we, step, se)
		}
		if wu > len(in) || su > len(in) {
			t.Fatalf("consumed %d/%d of %d bytes", wu, su, len(in))
		}
		if we != nil {
			return
		}
		if wd != sd || wu != su || whole.Status != split.Status || string(whole.Body) != string(split.Body) || whole.KeepAlive != split.KeepAlive {
			t.Fatalf("whole (%v %d %d %q %v) and split by %d (%v %d %d %q %v) differ",
				wd, wu, whole.Status, whole.Body, whole.KeepAlive, step, sd, su, split.Status, split.Body, split.KeepAlive)
		}
	})
}
