package emulated

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
)

// maxHeadBytes bounds a request or response head: nginx's
// large_client_header_buffers (4 × 8k) and proxy_buffer_size (4k, one
// page) are both smaller than this; the personalities enforce their own.
const maxHeadBytes = 32 << 10

// request is one client request as the proxy parsed it.
type request struct {
	method, target   string
	major, minor     int
	line             string      // the request line as sent, without CRLF
	headers          [][2]string // in arrival order
	body             []byte      // the whole body (proxies here buffer it)
	contentLength    int64       // -1: none
	chunked          bool
	keepAliveAsked   bool // HTTP/1.1 without Connection: close, or 1.0 with keep-alive
	connectionClosed bool // Connection: close
}

func (r *request) header(name string) (string, bool) {
	for _, h := range r.headers {
		if strings.EqualFold(h[0], name) {
			return h[1], true
		}
	}
	return "", false
}

// errIncomplete: more bytes are needed.
var errIncomplete = errors.New("incomplete")

// badRequest is a request the proxy answers itself (400, 414, 501, 505…).
type badRequest struct {
	status int
	why    string // the proxy's log text (info level for nginx)
	// parsed is how much of the buffer the parser had taken when it gave
	// up (the whole head for a head that parsed but is refused); what is
	// left is unread, which makes nginx linger before closing.
	parsed int
}

func (b *badRequest) Error() string { return b.why }

// cutLine returns the first line of data (without its CRLF or LF) and the
// rest; nginx and the ALB both take a bare LF as a line end.
func cutLine(data []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		return nil, data, false
	}
	line = data[:i]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, data[i+1:], true
}

// parseRequest parses one request from buf with nginx's rules (the ones
// that show on the wire): a request line METHOD SP URI SP HTTP/x.y with an
// upper-case method, headers "name: value" (a line without a colon is an
// invalid header nginx ignores), a Host header in HTTP/1.1, Content-Length
// or chunked bodies (never both). It returns the request and how many
// bytes of buf it used, errIncomplete, or a *badRequest.
func parseRequest(buf []byte) (*request, int, error) {
	// nginx skips empty lines before a request line.
	used := 0
	for {
		if len(buf[used:]) >= 2 && buf[used] == '\r' && buf[used+1] == '\n' {
			used += 2
			continue
		}
		if len(buf[used:]) >= 1 && buf[used] == '\n' {
			used++
			continue
		}
		break
	}
	rest := buf[used:]
	end := headEnd(rest)
	if end < 0 {
		if len(rest) > maxHeadBytes {
			return nil, 0, &badRequest{400, "client sent too large request", 0}
		}
		if line, _, ok := cutLine(rest); ok {
			if _, err := parseRequestLine(string(line)); err != nil {
				return nil, 0, err
			}
		}
		return nil, 0, errIncomplete
	}
	head := rest[:end]
	line, hrest, _ := cutLine(head)
	r, err := parseRequestLine(string(line))
	if err != nil {
		return nil, 0, err
	}
	r.contentLength = -1
	for len(hrest) > 0 {
		var l []byte
		l, hrest, _ = cutLine(hrest)
		if len(l) == 0 {
			break
		}
		name, value, ok := strings.Cut(string(l), ":")
		if !ok || name == "" || !validHeaderName(name) {
			continue // nginx: "client sent invalid header line", ignored
		}
		r.headers = append(r.headers, [2]string{name, strings.Trim(value, " \t")})
	}
	headDone := used + end
	if r.major == 1 && r.minor >= 1 {
		if _, ok := r.header("Host"); !ok {
			return nil, 0, &badRequest{400, `client sent HTTP/1.1 request without "Host" header`, headDone}
		}
	}
	if conn, ok := r.header("Connection"); ok {
		for _, tok := range strings.Split(conn, ",") {
			switch strings.ToLower(strings.TrimSpace(tok)) {
			case "close":
				r.connectionClosed = true
			case "keep-alive":
				if r.minor == 0 {
					r.keepAliveAsked = true
				}
			}
		}
	}
	if r.minor >= 1 && !r.connectionClosed {
		r.keepAliveAsked = true
	}
	if r.connectionClosed {
		r.keepAliveAsked = false
	}
	te, hasTE := r.header("Transfer-Encoding")
	cl, hasCL := r.header("Content-Length")
	switch {
	case hasTE && hasCL:
		return nil, 0, &badRequest{400, `client sent "Content-Length" and "Transfer-Encoding" headers at the same time`, headDone}
	case hasTE && r.minor == 0:
		return nil, 0, &badRequest{400, `client sent HTTP/1.0 request with "Transfer-Encoding" header`, headDone}
	case hasTE && strings.EqualFold(te, "chunked"):
		r.chunked = true
	case hasTE:
		return nil, 0, &badRequest{501, `client sent unknown "Transfer-Encoding": "` + te + `"`, headDone}
	case hasCL:
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 {
			return nil, 0, &badRequest{400, `client sent invalid "Content-Length" header: "` + cl + `"`, headDone}
		}
		r.contentLength = n
	}
	n := used + end
	body := buf[n:]
	switch {
	case r.chunked:
		data, m, err := dechunk(body)
		if err != nil {
			return nil, 0, &badRequest{400, "client sent invalid chunked body", headDone}
		}
		if m < 0 {
			return nil, 0, errIncomplete
		}
		r.body, n = data, n+m
	case r.contentLength > 0:
		if int64(len(body)) < r.contentLength {
			return nil, 0, errIncomplete
		}
		r.body = append([]byte(nil), body[:r.contentLength]...)
		n += int(r.contentLength)
	}
	return r, n, nil
}

// headEnd returns the index just past the blank line ending a head, or -1.
func headEnd(b []byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		if i+1 < len(b) && b[i+1] == '\n' {
			return i + 2
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			return i + 3
		}
	}
	return -1
}

func parseRequestLine(line string) (*request, error) {
	bad := &badRequest{400, "client sent invalid request", 0}
	parts := strings.Split(line, " ")
	if len(parts) == 2 {
		// HTTP/0.9 ("GET /"): nginx answers with a bare body; treated as
		// a bad request here (no teaching scenario uses it).
		return nil, bad
	}
	if len(parts) != 3 {
		return nil, bad
	}
	method, target, version := parts[0], parts[1], parts[2]
	if method == "" {
		return nil, bad
	}
	for i := 0; i < len(method); i++ {
		c := method[i]
		if !(c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return nil, bad
		}
	}
	if target == "" || (target[0] != '/' && !strings.HasPrefix(strings.ToLower(target), "http://")) {
		return nil, bad
	}
	for i := 0; i < len(target); i++ {
		if target[i] < 0x20 || target[i] == 0x7f {
			return nil, bad
		}
	}
	v, ok := strings.CutPrefix(version, "HTTP/")
	if !ok {
		return nil, bad
	}
	maj, min, ok := strings.Cut(v, ".")
	major, err1 := strconv.Atoi(maj)
	minor, err2 := strconv.Atoi(min)
	if !ok || err1 != nil || err2 != nil || major < 1 || minor < 0 || minor > 99 || major > 99 {
		return nil, bad
	}
	if major > 1 {
		return nil, &badRequest{505, "client sent invalid version", 0}
	}
	return &request{method: method, target: target, major: major, minor: minor, line: line}, nil
}

// validHeaderName is nginx's rule with underscores_in_headers off: a
// header whose name has anything but letters, digits and '-' is invalid
// and ignored (not passed upstream).
func validHeaderName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
		default:
			return false
		}
	}
	return true
}

// dechunk decodes a chunked body at the start of b: the data and the
// bytes used, or m < 0 when it is not complete yet.
func dechunk(b []byte) (data []byte, m int, err error) {
	pos := 0
	for {
		line, _, ok := cutLine(b[pos:])
		if !ok {
			return nil, -1, nil
		}
		lineLen := bytes.IndexByte(b[pos:], '\n') + 1
		sizeText, _, _ := strings.Cut(string(line), ";")
		size, perr := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 64)
		if perr != nil || size < 0 || size > 1<<24 {
			return nil, 0, errors.New("bad chunk size")
		}
		pos += lineLen
		if size == 0 {
			// Trailers until a blank line.
			for {
				tl, _, ok := cutLine(b[pos:])
				if !ok {
					return nil, -1, nil
				}
				pos += bytes.IndexByte(b[pos:], '\n') + 1
				if len(tl) == 0 {
					return data, pos, nil
				}
			}
		}
		if int64(len(b)-pos) < size {
			return nil, -1, nil
		}
		data = append(data, b[pos:pos+int(size)]...)
		pos += int(size)
		_, _, ok = cutLine(b[pos:])
		if !ok {
			return nil, -1, nil
		}
		pos += bytes.IndexByte(b[pos:], '\n') + 1
	}
}

// response is an upstream response head.
type response struct {
	major, minor  int
	status        int
	statusLine    string // "200 OK"
	headers       [][2]string
	contentLength int64 // -1: none
	chunked       bool
	closes        bool // Connection: close, or HTTP/1.0 without keep-alive
}

func (r *response) header(name string) (string, bool) {
	for _, h := range r.headers {
		if strings.EqualFold(h[0], name) {
			return h[1], true
		}
	}
	return "", false
}

// errInvalidHeader: the upstream's head is not HTTP.
var errInvalidHeader = errors.New("upstream sent invalid header")

// parseResponse parses an upstream response head at the start of buf.
func parseResponse(buf []byte) (*response, int, error) {
	end := headEnd(buf)
	if end < 0 {
		if len(buf) >= 4 && !bytes.HasPrefix(buf, []byte("HTTP/")) && !bytes.HasPrefix([]byte("HTTP/"), buf[:min(len(buf), 5)]) {
			return nil, 0, errInvalidHeader
		}
		return nil, 0, errIncomplete
	}
	line, rest, _ := cutLine(buf[:end])
	s := string(line)
	v, after, ok := strings.Cut(s, " ")
	if !ok || !strings.HasPrefix(v, "HTTP/") || len(after) < 3 {
		return nil, 0, errInvalidHeader
	}
	maj, min, _ := strings.Cut(strings.TrimPrefix(v, "HTTP/"), ".")
	r := &response{contentLength: -1}
	r.major, _ = strconv.Atoi(maj)
	r.minor, _ = strconv.Atoi(min)
	code, err := strconv.Atoi(after[:3])
	if err != nil || code < 100 || code > 999 {
		return nil, 0, errInvalidHeader
	}
	r.status, r.statusLine = code, after
	for len(rest) > 0 {
		var l []byte
		l, rest, _ = cutLine(rest)
		if len(l) == 0 {
			break
		}
		name, value, ok := strings.Cut(string(l), ":")
		if !ok || name == "" {
			return nil, 0, errInvalidHeader
		}
		r.headers = append(r.headers, [2]string{name, strings.Trim(value, " \t")})
	}
	keepAlive := r.minor >= 1
	if c, ok := r.header("Connection"); ok {
		for _, tok := range strings.Split(c, ",") {
			switch strings.ToLower(strings.TrimSpace(tok)) {
			case "close":
				keepAlive = false
			case "keep-alive":
				if r.minor == 0 {
					keepAlive = true
				}
			}
		}
	}
	r.closes = !keepAlive
	if te, ok := r.header("Transfer-Encoding"); ok && strings.EqualFold(te, "chunked") && r.minor >= 1 {
		r.chunked = true
	} else if cl, ok := r.header("Content-Length"); ok {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 {
			return nil, 0, errInvalidHeader
		}
		r.contentLength = n
	}
	return r, end, nil
}

// bodyless reports whether a response to method with status has no body.
func bodyless(method string, status int) bool {
	return method == "HEAD" || status < 200 || status == 204 || status == 304
}
