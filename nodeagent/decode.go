package nodeagent

import (
	"bytes"
	"strconv"
	"strings"
)

// maxHeadBytes is Node's --max-http-header-size default (16 KiB): a
// response head longer than this is llhttp's HPE_HEADER_OVERFLOW.
const maxHeadBytes = 16 * 1024

// maxChunkLineBytes bounds a chunk-size line (with extensions): a peer that
// never ends one must not grow the buffer without limit.
const maxChunkLineBytes = 4 * 1024

// ParseError is a response llhttp refuses, worded as Node's client reports
// it: err.message "Parse Error: <reason>", err.code "HPE_...".
type ParseError struct {
	Code   string
	Reason string
}

func (e *ParseError) Error() string { return "Parse Error: " + e.Reason }

// Response is one decoded response.
type Response struct {
	Major, Minor int
	Status       int
	Reason       string
	Header       [][2]string
	Body         []byte
	// KeepAlive is llhttp's should-keep-alive for the message: HTTP/1.1
	// without Connection: close, HTTP/1.0 with Connection: keep-alive, and
	// never a body delimited by the connection's end.
	KeepAlive bool
}

// Get returns the first value of header name (case-insensitive).
func (r *Response) Get(name string) string {
	for _, h := range r.Header {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

type decState int

const (
	stHead decState = iota
	stBodyLength
	stChunkSize
	stChunkData
	stChunkDataEnd
	stTrailers
	stBodyClose
	stDone
)

// Decoder reads one HTTP/1.x response incrementally: bytes arrive in any
// split. Interim 1xx responses (other than 101) are skipped, as Node's
// client emits them as 'information' and goes on reading the same message.
type Decoder struct {
	method string
	// llhttp6: the line's parser is llhttp 6 (Node 18; the runtime
	// table's LLHTTP6), which words two errors otherwise and takes header
	// names holding spaces.
	llhttp6 bool
	st      decState
	buf     []byte // unconsumed bytes of the head, a chunk line or trailers
	resp    Response
	left    int64 // body bytes left (Content-Length or current chunk)
	// Interim counts the 1xx responses skipped.
	Interim int
}

// NewDecoder returns a decoder for the response to a request with method
// (a HEAD response has no body).
func NewDecoder(method string) *Decoder { return &Decoder{method: method} }

// NewDecoderLLHTTP6 is NewDecoder for a line whose parser is llhttp 6.
func NewDecoderLLHTTP6(method string) *Decoder { return &Decoder{method: method, llhttp6: true} }

// Done reports whether the whole response has been read.
func (d *Decoder) Done() bool { return d.st == stDone }

// HeadDone reports whether the response head (a final status) has been read.
func (d *Decoder) HeadDone() bool { return d.st != stHead }

// Response is the message so far (complete once Done).
func (d *Decoder) Response() *Response { return &d.resp }

// Feed consumes bytes of the stream and returns how many belong to this
// response: once the response is Done, the rest of p is not consumed (it is
// the start of whatever the peer sent next).
func (d *Decoder) Feed(p []byte) (int, error) {
	n := 0
	for n < len(p) && d.st != stDone {
		switch d.st {
		case stHead, stChunkSize, stChunkDataEnd, stTrailers:
			i := bytes.IndexByte(p[n:], '\n')
			if i < 0 {
				d.buf = append(d.buf, p[n:]...)
				n = len(p)
				if err := d.checkBuf(); err != nil {
					return n, err
				}
				continue
			}
			d.buf = append(d.buf, p[n:n+i+1]...)
			n += i + 1
			if err := d.checkBuf(); err != nil {
				return n, err
			}
			last := d.buf[bytes.LastIndexByte(d.buf[:len(d.buf)-1], '\n')+1:]
			line := strings.TrimSuffix(strings.TrimSuffix(string(last), "\n"), "\r")
			if d.st == stHead {
				if line != "" {
					continue // the head ends at an empty line; keep collecting
				}
				head := d.buf
				d.buf = nil
				if err := d.head(head); err != nil {
					return n, err
				}
				continue
			}
			d.buf = nil
			if err := d.line(line); err != nil {
				return n, err
			}
		case stBodyLength, stChunkData:
			k := int64(len(p) - n)
			if k > d.left {
				k = d.left
			}
			d.resp.Body = append(d.resp.Body, p[n:n+int(k)]...)
			n += int(k)
			d.left -= k
			if d.left == 0 {
				if d.st == stBodyLength {
					d.st = stDone
				} else {
					d.st = stChunkDataEnd
				}
			}
		case stBodyClose:
			d.resp.Body = append(d.resp.Body, p[n:]...)
			n = len(p)
		}
	}
	return n, nil
}

// EOF is the connection's end: it completes a body delimited by it, and
// reports whether the response was complete (false: the peer closed
// before the response ended).
func (d *Decoder) EOF() bool {
	if d.st == stBodyClose {
		d.st = stDone
	}
	return d.st == stDone
}

func (d *Decoder) checkBuf() error {
	if d.st == stHead && len(d.buf) > maxHeadBytes {
		return &ParseError{Code: "HPE_HEADER_OVERFLOW", Reason: "Header overflow"}
	}
	if d.st == stHead {
		// llhttp fails at the first byte that cannot start a status
		// line (after the CR LFs it skips), not at the line's end.
		start := bytes.TrimLeft(d.buf, "\r\n")
		k := min(len(start), len("HTTP/"))
		if !bytes.Equal(start[:k], []byte("HTTP/")[:k]) {
			return d.constantError()
		}
	}
	if d.st != stHead && len(d.buf) > maxChunkLineBytes {
		return &ParseError{Code: "HPE_INVALID_CHUNK_SIZE", Reason: "Invalid character in chunk size"}
	}
	return nil
}

// head parses a complete head (status line, header lines, empty line).
func (d *Decoder) head(head []byte) error {
	lines := strings.Split(strings.TrimRight(string(head), "\r\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\r")
	}
	// llhttp skips empty lines before a response's status line.
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	if len(lines) == 0 {
		return nil // only CR LF so far: still waiting for a status line
	}
	r := Response{}
	sl := lines[0]
	if !strings.HasPrefix(sl, "HTTP/") {
		return d.constantError()
	}
	if len(sl) < len("HTTP/1.1 200") {
		return &ParseError{Code: "HPE_INVALID_VERSION", Reason: "Invalid major version"}
	}
	if sl[5] < '0' || sl[5] > '9' || sl[6] != '.' || sl[7] < '0' || sl[7] > '9' {
		return &ParseError{Code: "HPE_INVALID_VERSION", Reason: "Invalid major version"}
	}
	r.Major, r.Minor = int(sl[5]-'0'), int(sl[7]-'0')
	if sl[8] != ' ' {
		return &ParseError{Code: "HPE_INVALID_VERSION", Reason: "Expected space after version"}
	}
	code := sl[9:]
	reason := ""
	if sp := strings.IndexByte(code, ' '); sp >= 0 {
		code, reason = code[:sp], code[sp+1:]
	}
	st, err := strconv.Atoi(code)
	if err != nil || len(code) != 3 || code[0] < '1' {
		if d.llhttp6 {
			return &ParseError{Code: "HPE_INVALID_STATUS", Reason: "Invalid response status"}
		}
		return &ParseError{Code: "HPE_INVALID_STATUS", Reason: "Invalid status code"}
	}
	r.Status, r.Reason = st, reason
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			return &ParseError{Code: "HPE_INVALID_HEADER_TOKEN", Reason: "Invalid header value char"}
		}
		c := strings.IndexByte(l, ':')
		if c <= 0 || !token(l[:c]) && !(d.llhttp6 && token(strings.ReplaceAll(l[:c], " ", ""))) {
			return &ParseError{Code: "HPE_INVALID_HEADER_TOKEN", Reason: "Invalid header token"}
		}
		r.Header = append(r.Header, [2]string{l[:c], strings.Trim(l[c+1:], " \t")})
	}
	if r.Status >= 100 && r.Status < 200 && r.Status != 101 {
		d.Interim++
		return nil // an interim response: the final one follows
	}
	d.resp = r
	return d.framing()
}

func (d *Decoder) constantError() error {
	if d.llhttp6 {
		return &ParseError{Code: "HPE_INVALID_CONSTANT", Reason: "Expected HTTP/"}
	}
	return &ParseError{Code: "HPE_INVALID_CONSTANT", Reason: "Expected HTTP/, RTSP/ or ICE/"}
}

// framing decides how the body is delimited (RFC 9112 section 6.3, as
// llhttp applies it to responses).
func (d *Decoder) framing() error {
	r := &d.resp
	conn := strings.ToLower(r.Get("Connection"))
	if r.Major == 1 && r.Minor >= 1 {
		r.KeepAlive = !hasToken(conn, "close")
	} else {
		r.KeepAlive = hasToken(conn, "keep-alive")
	}
	if r.Status == 204 || r.Status == 304 || r.Status == 101 {
		d.st = stDone
		return nil
	}
	te := strings.ToLower(r.Get("Transfer-Encoding"))
	if d.method == "HEAD" {
		// Node's client reads should-keep-alive in on_headers_complete,
		// before it tells llhttp to skip a HEAD response's body: a HEAD
		// response with neither Content-Length nor chunked framing looks
		// delimited by the close, so the socket is not kept.
		if !hasLastToken(te, "chunked") && r.Get("Content-Length") == "" {
			r.KeepAlive = false
		}
		d.st = stDone
		return nil
	}
	cl := ""
	ncl := 0
	for _, h := range r.Header {
		if strings.EqualFold(h[0], "Content-Length") {
			if ncl > 0 && h[1] != cl {
				return &ParseError{Code: "HPE_UNEXPECTED_CONTENT_LENGTH", Reason: "Duplicate Content-Length"}
			}
			cl = h[1]
			ncl++
		}
	}
	switch {
	case te != "" && hasLastToken(te, "chunked"):
		if ncl > 0 {
			return &ParseError{Code: "HPE_UNEXPECTED_CONTENT_LENGTH", Reason: "Content-Length can't be present with Transfer-Encoding"}
		}
		d.st = stChunkSize
	case te != "":
		d.st = stBodyClose // a non-chunked coding: the body runs to the close
		r.KeepAlive = false
	case ncl > 0:
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 || strings.TrimLeft(cl, "0123456789") != "" {
			return &ParseError{Code: "HPE_INVALID_CONTENT_LENGTH", Reason: "Invalid character in Content-Length"}
		}
		d.left = n
		d.st = stBodyLength
		if n == 0 {
			d.st = stDone
		}
	default:
		d.st = stBodyClose
		r.KeepAlive = false
	}
	return nil
}

// line handles one line of chunked framing.
func (d *Decoder) line(l string) error {
	switch d.st {
	case stChunkSize:
		size := l
		if i := strings.IndexAny(size, "; \t"); i >= 0 {
			size = size[:i]
		}
		n, err := strconv.ParseUint(size, 16, 62)
		if err != nil || size == "" {
			return &ParseError{Code: "HPE_INVALID_CHUNK_SIZE", Reason: "Invalid character in chunk size"}
		}
		if n == 0 {
			d.st = stTrailers
			return nil
		}
		d.left = int64(n)
		d.st = stChunkData
	case stChunkDataEnd:
		if l != "" {
			return &ParseError{Code: "HPE_STRICT", Reason: "Expected LF after chunk data"}
		}
		d.st = stChunkSize
	case stTrailers:
		if l == "" {
			d.st = stDone
		}
	}
	return nil
}

func token(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// hasToken reports whether the comma-separated list v holds tok.
func hasToken(v, tok string) bool {
	for _, t := range strings.Split(v, ",") {
		if strings.TrimSpace(t) == tok {
			return true
		}
	}
	return false
}

func hasLastToken(v, tok string) bool {
	ts := strings.Split(v, ",")
	return strings.TrimSpace(ts[len(ts)-1]) == tok
}
