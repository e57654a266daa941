package node

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// parseAll feeds data in pieces of size n (all at once for n <= 0) and
// returns the requests parsed, the completed-message count and the error.
func parseAll(data []byte, n int) ([]request, int, error) {
	return parseWith(parser{}, data, n)
}

func parseWith(p parser, data []byte, n int) ([]request, int, error) {
	var reqs []request
	done := 0
	cb := callbacks{
		begin:    func() {},
		headers:  func(r *request) error { reqs = append(reqs, *r); return nil },
		complete: func() { done++ },
	}
	if n <= 0 {
		n = len(data) + 1
	}
	for len(data) > 0 {
		k := min(n, len(data))
		if err := p.feed(data[:k], cb); err != nil {
			return reqs, done, err
		}
		data = data[k:]
	}
	return reqs, done, nil
}

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		requests int
		complete int
		err      error
	}{
		{"simple", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1, 1, nil},
		{"pipelined with stray CRLF", "GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET /b HTTP/1.0\r\n\r\n", 2, 2, nil},
		{"content-length body", "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 1, 1, nil},
		{"partial body", "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab", 1, 0, nil},
		{"chunked with trailer", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n", 1, 1, nil},
		{"HTTP/2.0 accepted as llhttp does", "GET / HTTP/2.0\r\n\r\n", 1, 1, nil},
		{"bad method", "BREW / HTTP/1.1\r\n\r\n", 0, 0, errBadRequest},
		{"bad method prefix", "GEX", 0, 0, errBadRequest},
		{"bare LF", "GET / HTTP/1.1\n", 0, 0, errBadRequest},
		{"double spaces, as llhttp skips them", "GET  /  HTTP/1.1\r\n\r\n", 1, 1, nil},
		{"space after the version", "GET / HTTP/1.1 \r\n\r\n", 0, 0, errBadRequest},
		{"space in name", "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 0, 0, errBadRequest},
		{"folding", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 0, 0, errBadRequest},
		{"CL and TE", "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 0, errBadRequest},
		{"duplicate CL", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 0, 0, errBadRequest},
		{"bad CL", "POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 0, 0, errBadRequest},
		{"bad chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 1, 0, errBadRequest},
		{"header limit - 1", "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", maxHeaderSize-3) + "\r\n\r\n", 1, 1, nil},
		{"header limit", "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", maxHeaderSize-2) + "\r\n\r\n", 0, 0, errHeaderOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, n := range []int{0, 1, 7} {
				reqs, done, err := parseAll([]byte(tt.in), n)
				if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
					t.Fatalf("piece %d: err %v, want %v", n, err, tt.err)
				}
				if len(reqs) != tt.requests || done != tt.complete {
					t.Errorf("piece %d: %d requests, %d complete; want %d, %d", n, len(reqs), done, tt.requests, tt.complete)
				}
			}
		})
	}
}

// Header names as Node 18.20.8 and Node 20.20.2 took them (each answered
// over a real socket): Node 18's llhttp allows spaces in a name, and an
// empty name.
func TestHeaderNamesByNode(t *testing.T) {
	tests := []struct {
		line   string
		node18 bool // accepted
		name18 string
		node20 bool
	}{
		{"Bad Name: x", true, "Bad Name", false},
		{"Name : x", true, "Name ", false},
		{": x", true, "", false},
		{"Name:x", true, "Name", true},
		{"Bad\tName: x", false, "", false},
		{"Na(me: x", false, "", false},
		{"Bad@Name: x", false, "", false},
		{"Na\"me: x", false, "", false},
		{"Name\x7f: x", false, "", false},
		{"N\xc3\xa4me: x", false, "", false},
		{" Name: x", false, "", false}, // folds into Host (a first header line may start with a space)
		{"Name x", false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			in := []byte("GET / HTTP/1.1\r\nHost: demo\r\n" + tt.line + "\r\n\r\n")
			for _, n := range []int{0, 1, 5} {
				reqs, _, err := parseWith(parser{llhttp6: true}, in, n)
				if ok := err == nil; ok != tt.node18 {
					t.Errorf("node18, pieces of %d: err %v, want accepted %v", n, err, tt.node18)
				} else if ok && (len(reqs) != 1 || reqs[0].Headers[1][0] != tt.name18) {
					t.Errorf("node18: requests %+v, want the name %q", reqs, tt.name18)
				}
				if _, _, err := parseWith(parser{}, in, n); (err == nil) != tt.node20 {
					t.Errorf("node20, pieces of %d: err %v, want accepted %v", n, err, tt.node20)
				}
			}
		})
	}
}

// TestRequestsByParser holds the llhttp 6 (Node 18) and llhttp 9 (Node 20
// on) rules beyond header names to what the real 18.20.8 and 20.20.2 to
// 26.12.1 answered to the same bytes over a real socket (the
// release-lines differential scenario replays them on every line).
func TestRequestsByParser(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		node18 bool // accepted
		url18  string
		node20 bool
	}{
		{"bare LF ends the request line", "GET / HTTP/1.1\nHost: d\r\n\r\n", true, "/", false},
		{"bare LF ends the head", "GET / HTTP/1.1\r\nHost: d\r\n\n", true, "/", false},
		{"bare LF ends a head without headers", "GET / HTTP/1.1\r\n\n", true, "/", false},
		{"bare LF ends a header line", "GET / HTTP/1.1\r\nHost: d\nX: 1\r\n\r\n", false, "", false},
		{"first header line starts with a space", "GET / HTTP/1.1\r\n Host: d\r\n\r\n", true, "/", false},
		{"first header line starts with a tab", "GET / HTTP/1.1\r\n\tHost: d\r\n\r\n", false, "", false},
		{"a later line folds", "GET / HTTP/1.1\r\nHost: d\r\n X: 1\r\n\r\n", false, "", false},
		{"tab in the target", "GET /a\tb HTTP/1.1\r\nHost: d\r\n\r\n", true, "/a\tb", false},
		{"UTF-8 in the target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: d\r\n\r\n", true, "/\xc3\xa9", false},
		{"0xff in the query", "GET /a?\xff HTTP/1.1\r\nHost: d\r\n\r\n", true, "/a?\xff", false},
		{"control byte in the target", "GET /a\x01b HTTP/1.1\r\nHost: d\r\n\r\n", false, "", false},
		{"DEL in the target", "GET /a\x7fb HTTP/1.1\r\nHost: d\r\n\r\n", false, "", false},
		{"QUERY", "QUERY / HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n", false, "", true},
		{"PURGE", "PURGE / HTTP/1.1\r\nHost: d\r\n\r\n", true, "/", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, n := range []int{0, 1, 3} {
				reqs, _, err := parseWith(parser{llhttp6: true}, []byte(tt.in), n)
				if ok := err == nil; ok != tt.node18 {
					t.Errorf("node18, pieces of %d: err %v, want accepted %v", n, err, tt.node18)
				} else if ok && (len(reqs) != 1 || reqs[0].Target != tt.url18) {
					t.Errorf("node18: requests %+v, want the target %q", reqs, tt.url18)
				}
				if _, _, err := parseWith(parser{}, []byte(tt.in), n); (err == nil) != tt.node20 {
					t.Errorf("node20, pieces of %d: err %v, want accepted %v", n, err, tt.node20)
				}
			}
		})
	}
	if got := latin1("/\xc3\xa9"); got != "/Ã©" {
		t.Errorf("latin1 = %q, want req.url's /Ã©", got)
	}
}

// FuzzParse checks that the parser never panics and that how the bytes
// are split across reads never changes what it parses.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.0\r\n\r\n",
		"GARBAGE\r\n\r\n",
		"GET / HTTP/1.1\nHost: a\n\n",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Add([]byte("GET / HTTP/1.1\r\nBad Name : x\r\n: y\r\n\r\n"), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		// Node 20's rules, and Node 18's header names.
		for _, lenient := range []bool{false, true} {
			whole, wdone, werr := parseWith(parser{llhttp6: lenient}, data, 0)
			parts, pdone, perr := parseWith(parser{llhttp6: lenient}, data, int(split%16)+1)
			if (werr == nil) != (perr == nil) || !errors.Is(perr, errHeaderOverflow) && errors.Is(werr, errHeaderOverflow) {
				t.Fatalf("llhttp6 %v: whole: %v; split: %v", lenient, werr, perr)
			}
			if werr == nil && (!reflect.DeepEqual(whole, parts) || wdone != pdone) {
				t.Fatalf("llhttp6 %v: whole %+v (%d); split %+v (%d)", lenient, whole, wdone, parts, pdone)
			}
		}
	})
}

// TestParseFoundByDiff holds the parser to real Node on cases the
// generated differential test (package nodediff) found, on both llhttp
// generations, fed whole and a byte at a time.
func TestParseFoundByDiff(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		llhttp6  bool
		requests int
		complete int
		err      error
	}{
		{"no version is HTTP/0.9", "GET /\r\n\r\n", false, 1, 1, nil},
		{"HTTP/0.9 with headers", "GET /\r\nHost: d\r\n\r\n", false, 1, 1, nil},
		{"bytes after HTTP/0.9", "GET /\r\n\r\nzz", false, 1, 1, errBadRequest},
		{"bytes after HTTP/0.9, llhttp 6", "GET /\r\n\r\nzz", true, 1, 1, nil},
		{"a request after HTTP/1.0", "GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nHost: d\r\n\r\n", false, 1, 1, errBadRequest},
		{"a request after HTTP/1.0, llhttp 6", "GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nHost: d\r\n\r\n", true, 1, 1, nil},
		{"bytes after Connection: close", "GET / HTTP/1.1\r\nConnection: close\r\n\r\nzz", false, 1, 1, errBadRequest},
		{"CRLF after Connection: close", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n\r\n\r\n", false, 1, 1, nil},
		{"a tab in a partial target", "PUT /a\tb", false, 0, 0, errBadRequest},
		{"a tab in a partial target, llhttp 6", "PUT /a\tb", true, 0, 0, nil},
		{"a version too long, partial", "GET / HTTP/1.10", false, 0, 0, errBadRequest},
		{"Transfer-Encoding without chunked, after the head", "POST / HTTP/1.0\r\nTransfer-Encoding: x\r\n\r\n", false, 1, 0, errBadRequest},
		{"no target: the version is no URL", "GET  HTTP/1.1\r\nHost: d\r\n\r\n", false, 0, 0, errBadRequest},
		{"an absolute target", "GET http://d/x HTTP/1.1\r\nHost: d\r\n\r\n", false, 1, 1, nil},
		{"bytes after a body without keep-alive are ignored", "POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: 1\r\n\r\nazz", false, 1, 1, nil},
		{"bytes after an empty body without keep-alive", "POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\nzz", false, 1, 1, errBadRequest},
		{"chunked before another coding", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", false, 0, 0, errBadRequest},
		{"bad chunk framing after body bytes without keep-alive", "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nzzz0\r\n\r\n", false, 1, 0, nil},
		{"bad chunk framing after body bytes with keep-alive", "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nzzz0\r\n\r\n", false, 1, 0, errBadRequest},
		{"HTTP/1.0 keep-alive goes on", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n", false, 2, 2, nil},
	}
	for _, tt := range tests {
		for _, n := range []int{0, 1} {
			t.Run(tt.name, func(t *testing.T) {
				reqs, done, err := parseWith(parser{llhttp6: tt.llhttp6}, []byte(tt.in), n)
				if len(reqs) != tt.requests || done != tt.complete || !errors.Is(err, tt.err) {
					t.Errorf("piece %d: %d requests, %d complete, err %v; want %d, %d, %v", n, len(reqs), done, err, tt.requests, tt.complete, tt.err)
				}
			})
		}
	}
}
