package node

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxHeaderSize is Node's default --max-http-header-size (16 KiB). Node's
// parser binding counts the bytes of the request target, the header names
// and the header values (not the method, version, separators or line
// ends) and fails with HPE_HEADER_OVERFLOW, answered with 431, once the
// sum reaches the limit; real Node 20 accepts 16383 such bytes and rejects
// 16384.
const maxHeaderSize = 16 * 1024

// maxLineBytes bounds one line the parser buffers while waiting for its
// end. The header-size limit catches oversized heads first; this only
// stops a chunk-size or trailer line from growing without end.
const maxLineBytes = maxHeaderSize + 1024

// Parse errors. errHeaderOverflow is answered with 431, every other error
// with 400, as Node's socketOnError does.
var (
	errHeaderOverflow = errors.New("HPE_HEADER_OVERFLOW: header overflow")
	errBadRequest     = errors.New("HPE_INVALID: malformed request")
)

// methods are the request methods llhttp 9 knows; any other is
// HPE_INVALID_METHOD. llhttp 6 (Node 18) knows all but QUERY.
var methods = []string{
	"DELETE", "GET", "HEAD", "POST", "PUT", "CONNECT", "OPTIONS", "TRACE",
	"COPY", "LOCK", "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH",
	"UNLOCK", "BIND", "REBIND", "UNBIND", "ACL", "REPORT", "MKACTIVITY",
	"CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE",
	"PATCH", "PURGE", "MKCALENDAR", "LINK", "UNLINK", "SOURCE", "QUERY",
}

// request is one parsed request head.
type request struct {
	Method  string
	Target  string
	Major   int
	Minor   int
	Headers [][2]string // in arrival order, names as sent
	// KeepAlive is llhttp's should_keep_alive: HTTP/1.1 without
	// "Connection: close", or HTTP/1.0 with "Connection: keep-alive".
	KeepAlive bool
	// BodyBytes counts the body received so far (chunk data, not its
	// framing).
	BodyBytes int64
}

// header returns the first value of the named header and whether it was present.
func (r *request) header(name string) (string, bool) {
	for _, h := range r.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1], true
		}
	}
	return "", false
}

// parser states.
const (
	stIdle    = iota // between messages
	stHead           // reading the request line and headers
	stBody           // reading a Content-Length body
	stChunkSz        // reading a chunk-size line
	stChunk          // reading chunk data
	stChunkLF        // reading the CRLF after chunk data
	stTrailer        // reading trailer lines
	stDead           // after an error
	// stClosed: after a message that does not keep the connection
	// alive. llhttp skips CR and LF there; any other byte is
	// HPE_CLOSED_CONNECTION on llhttp 9, and ignored on llhttp 6.
	stClosed
)

// parser is an incremental HTTP/1.x request parser with llhttp's strict
// rules where they show on the wire: CRLF line ends, a known method, a
// single space between request-line parts, a target of visible ASCII,
// token header names with no space before the colon, no obsolete line
// folding, one valid Content-Length and not together with
// Transfer-Encoding, and chunked as the final transfer coding.
type parser struct {
	// llhttp6 is Node 18's parser (llhttp 6.1.1), measured on the real
	// 18.20.8: a header name may hold spaces or be empty; the first header
	// line may start with a space, which joins its name (a later one
	// still folds, and a tab is still an error); a bare LF may end the
	// request line or the head (not a header line); the target may hold
	// tabs and bytes of 0x80 and above; QUERY is not a method. llhttp 9
	// (Node 20 on) answers 400 to each.
	llhttp6 bool

	state int
	buf   []byte // the unconsumed bytes of the current line or head
	head  []string
	size  int // header bytes counted toward maxHeaderSize
	req   *request
	left  int64 // body bytes left in the current body or chunk
	// badTE: the head just parsed has Transfer-Encoding without chunked.
	badTE bool
}

// callbacks receives what the parser finds, in wire order.
type callbacks struct {
	begin    func()                 // first byte of a message
	headers  func(r *request) error // head complete; an error stops parsing
	complete func()                 // message complete (body included)
}

// midMessage reports whether a message has begun and not completed.
func (p *parser) midMessage() bool {
	return p.state != stIdle && p.state != stDead && p.state != stClosed
}

// done ends a message: the parser waits for the next one, or for nothing
// when the request did not keep the connection alive.
func (p *parser) done() {
	p.state = stIdle
	if p.req != nil && !p.req.KeepAlive {
		p.state = stClosed
	}
}

// feed parses data; it returns the first parse error. Measured on every
// line: once a request that does not keep the connection alive has had
// body bytes, a malformed rest (chunk framing included) is no error; what
// follows is dropped.
func (p *parser) feed(data []byte, cb callbacks) error {
	err := p.parse(data, cb)
	if err != nil && p.req != nil && !p.req.KeepAlive && p.req.BodyBytes > 0 && !errors.Is(err, errStop) {
		p.state = stClosed
		return nil
	}
	return err
}

func (p *parser) parse(data []byte, cb callbacks) error {
	for len(data) > 0 {
		switch p.state {
		case stDead:
			return errBadRequest
		case stClosed:
			if data[0] == '\r' || data[0] == '\n' || p.llhttp6 || p.req.BodyBytes > 0 {
				// Measured on every line: after a request whose body had
				// bytes, what follows is ignored rather than an error.
				data = data[1:]
				continue
			}
			p.state = stDead
			return fmt.Errorf("data after a message without keep-alive: %w", errBadRequest)
		case stIdle:
			// llhttp skips line ends between messages.
			if data[0] == '\r' || data[0] == '\n' {
				data = data[1:]
				continue
			}
			p.state = stHead
			p.buf, p.head, p.size, p.req = p.buf[:0], p.head[:0], 0, nil
			cb.begin()
		case stHead:
			n, err := p.headBytes(data)
			data = data[n:]
			if err != nil {
				p.state = stDead
				return err
			}
			if p.state == stHead {
				continue // need more bytes
			}
			if err := cb.headers(p.req); err != nil {
				p.state = stDead
				return err
			}
			if p.badTE {
				p.state = stDead
				return fmt.Errorf("Transfer-Encoding without chunked: %w", errBadRequest)
			}
			if p.state == stIdle {
				p.done()
				cb.complete()
			}
		case stBody:
			data = p.takeBody(data)
			if p.left == 0 {
				p.done()
				cb.complete()
			}
		case stChunkSz, stTrailer:
			line, rest, ok, err := p.line(data)
			data = rest
			if err != nil {
				p.state = stDead
				return err
			}
			if !ok {
				continue
			}
			if p.state == stTrailer {
				if line == "" {
					p.done()
					cb.complete()
				} else if err := p.checkHeaderLine(line); err != nil {
					p.state = stDead
					return err
				}
				continue
			}
			size, err := chunkSize(line)
			if err != nil {
				p.state = stDead
				return err
			}
			if size == 0 {
				p.state = stTrailer
			} else {
				p.state, p.left = stChunk, size
			}
		case stChunk:
			data = p.takeBody(data)
			if p.left == 0 {
				p.state = stChunkLF
				p.buf = p.buf[:0]
			}
		case stChunkLF:
			p.buf = append(p.buf, data[0])
			data = data[1:]
			if len(p.buf) == 2 {
				if string(p.buf) != "\r\n" {
					p.state = stDead
					return fmt.Errorf("chunk data: %w", errBadRequest)
				}
				p.buf = p.buf[:0]
				p.state = stChunkSz
			} else if p.buf[0] != '\r' {
				p.state = stDead
				return fmt.Errorf("chunk data: %w", errBadRequest)
			}
		}
	}
	return nil
}

// finish is llhttp_finish at the client's FIN: an unfinished message is
// HPE_INVALID_EOF_STATE.
func (p *parser) finish() error {
	if p.midMessage() {
		p.state = stDead
		return fmt.Errorf("eof mid-message: %w", errBadRequest)
	}
	return nil
}

// line takes one CRLF-terminated line from p.buf+data. A bare LF, or a CR
// not followed by LF, is an error, as in llhttp's strict mode.
func (p *parser) line(data []byte) (line string, rest []byte, ok bool, err error) {
	var prev byte
	if len(p.buf) > 0 {
		prev = p.buf[len(p.buf)-1]
	}
	for i, c := range data {
		switch {
		case c == '\n' && prev != '\r' && p.bareLF(len(p.buf)+i):
			p.buf = append(p.buf, data[:i]...)
			line = string(p.buf)
			p.buf = p.buf[:0]
			return line, data[i+1:], true, nil
		case c == '\n' && prev != '\r':
			return "", nil, false, fmt.Errorf("bare LF: %w", errBadRequest)
		case c != '\n' && prev == '\r':
			return "", nil, false, fmt.Errorf("CR without LF: %w", errBadRequest)
		case c == '\n':
			p.buf = append(p.buf, data[:i+1]...)
			line = string(p.buf[:len(p.buf)-2])
			p.buf = p.buf[:0]
			return line, data[i+1:], true, nil
		}
		prev = c
	}
	p.buf = append(p.buf, data...)
	if len(p.buf) > maxLineBytes {
		return "", nil, false, errHeaderOverflow
	}
	return "", nil, false, nil
}

// bareLF reports whether a bare LF may end the current line, n bytes
// long: on llhttp 6, the request line or the empty line that ends the head.
func (p *parser) bareLF(n int) bool {
	return p.llhttp6 && p.state == stHead && (len(p.head) == 0 || n == 0)
}

// headBytes consumes head lines from data and reports how many bytes it
// used. When the head completes it sets p.req and moves to the body state.
func (p *parser) headBytes(data []byte) (int, error) {
	used := 0
	for used < len(data) {
		line, rest, ok, err := p.line(data[used:])
		if err != nil {
			return used, err
		}
		if !ok {
			// Check the partial line now, as llhttp does byte by byte.
			if err := p.checkPartial(); err != nil {
				return len(data), err
			}
			return len(data), nil
		}
		used = len(data) - len(rest)
		if len(p.head) == 0 {
			if err := p.requestLine(line); err != nil {
				return used, err
			}
			p.head = append(p.head, line)
			continue
		}
		if line == "" {
			return used, p.endHead()
		}
		if err := p.headerLine(line); err != nil {
			return used, err
		}
		p.head = append(p.head, line)
	}
	return used, nil
}

// checkPartial rejects a partial head line as soon as it cannot become
// valid, and counts partial header bytes toward the limit.
func (p *parser) checkPartial() error {
	part := strings.TrimSuffix(string(p.buf), "\r")
	if len(p.head) == 0 {
		method, after, sp := strings.Cut(part, " ")
		if !sp {
			for _, m := range methods {
				if strings.HasPrefix(m, method) && (!p.llhttp6 || m != "QUERY") {
					return nil
				}
			}
			return fmt.Errorf("method %q: %w", method, errBadRequest)
		}
		if !p.knownMethod(method) {
			return fmt.Errorf("method %q: %w", method, errBadRequest)
		}
		target, version, _ := strings.Cut(strings.TrimLeft(after, " "), " ")
		if err := p.checkTarget(target); err != nil {
			return err
		}
		// The version is read byte by byte too: "HTTP/", a digit, a dot
		// and a digit, then only the line's end.
		version = strings.TrimLeft(version, " ")
		if len(version) > len("HTTP/1.1") || !strings.HasPrefix("HTTP/", version[:min(len(version), 5)]) {
			return fmt.Errorf("version %q: %w", version, errBadRequest)
		}
		if p.size+len(target) >= maxHeaderSize {
			return errHeaderOverflow
		}
		return nil
	}
	if part == "" {
		return nil
	}
	if p.folds(part) {
		return fmt.Errorf("obsolete line folding: %w", errBadRequest)
	}
	name, value, colon := strings.Cut(part, ":")
	if !p.validName(name) && (colon || name != "") {
		return fmt.Errorf("header name %q: %w", name, errBadRequest)
	}
	if p.size+len(name)+len(strings.TrimLeft(value, " \t")) >= maxHeaderSize {
		return errHeaderOverflow
	}
	return nil
}

func (p *parser) knownMethod(m string) bool {
	if p.llhttp6 && m == "QUERY" {
		return false
	}
	for _, k := range methods {
		if k == m {
			return true
		}
	}
	return false
}

func (p *parser) requestLine(line string) error {
	// llhttp skips any run of spaces before the target and before the
	// version (measured on every line); with no version it takes the
	// request as HTTP/0.9, whose headers may still follow.
	method, rest, ok := strings.Cut(line, " ")
	if !ok {
		return fmt.Errorf("request line %q: %w", line, errBadRequest)
	}
	target, version, _ := strings.Cut(strings.TrimLeft(rest, " "), " ")
	version = strings.TrimLeft(version, " ")
	if version == "" {
		version = "HTTP/0.9"
	}
	if !p.knownMethod(method) {
		return fmt.Errorf("method %q: %w", method, errBadRequest)
	}
	if target == "" {
		return fmt.Errorf("empty target: %w", errBadRequest)
	}
	if err := p.checkTarget(target); err != nil {
		return err
	}
	if method != "CONNECT" && !urlStart(target) {
		return fmt.Errorf("target %q: %w", target, errBadRequest)
	}
	var major, minor int
	switch version {
	case "HTTP/1.1":
		major, minor = 1, 1
	case "HTTP/1.0":
		major, minor = 1, 0
	case "HTTP/2.0":
		// llhttp accepts these two besides 1.x; Node answers them as 1.0.
		major, minor = 2, 0
	case "HTTP/0.9":
		major, minor = 0, 9
	default:
		return fmt.Errorf("version %q: %w", version, errBadRequest)
	}
	p.size += len(target)
	if p.size >= maxHeaderSize {
		return errHeaderOverflow
	}
	p.req = &request{Method: method, Target: target, Major: major, Minor: minor}
	return nil
}

func (p *parser) headerLine(line string) error {
	if err := p.checkHeaderLine(line); err != nil {
		return err
	}
	name, value, _ := strings.Cut(line, ":")
	value = strings.Trim(value, " \t")
	p.size += len(name) + len(value)
	if p.size >= maxHeaderSize {
		return errHeaderOverflow
	}
	p.req.Headers = append(p.req.Headers, [2]string{name, value})
	return nil
}

// checkTarget rejects a byte the request target may not hold, as llhttp
// does the moment it reads it (a partial target included).
func (p *parser) checkTarget(target string) error {
	for i := 0; i < len(target); i++ {
		c := target[i]
		bad := c <= ' ' || c >= 0x7f
		if p.llhttp6 {
			bad = c < ' ' && c != '\t' || c == ' ' || c == 0x7f
		}
		if bad {
			return fmt.Errorf("target %q: %w", target, errBadRequest)
		}
	}
	return nil
}

// urlStart reports whether target begins as llhttp's URL parser wants:
// a path, an asterisk, or a scheme followed by "://".
func urlStart(target string) bool {
	if strings.HasPrefix(target, "/") || strings.HasPrefix(target, "*") {
		return true
	}
	scheme, _, ok := strings.Cut(target, "://")
	if !ok || scheme == "" {
		return false
	}
	for i := 0; i < len(scheme); i++ {
		if c := scheme[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// validName reports whether name may name a header.
func (p *parser) validName(name string) bool {
	if !p.llhttp6 {
		return isToken(name)
	}
	return name == "" || isToken(strings.ReplaceAll(name, " ", "x"))
}

// folds reports whether a head or trailer line is an obsolete line fold:
// it starts with a space or tab. On llhttp 6 the first header line may
// start with a space, which joins its name: there is no line to fold into.
func (p *parser) folds(line string) bool {
	switch {
	case line == "":
		return false
	case line[0] == '\t':
		return true
	case line[0] == ' ':
		return !(p.llhttp6 && p.state == stHead && len(p.head) == 1)
	}
	return false
}

func (p *parser) checkHeaderLine(line string) error {
	if p.folds(line) {
		return fmt.Errorf("obsolete line folding: %w", errBadRequest)
	}
	name, value, ok := strings.Cut(line, ":")
	if !ok || !p.validName(name) {
		return fmt.Errorf("header line %q: %w", line, errBadRequest)
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return fmt.Errorf("header %q value: %w", name, errBadRequest)
		}
	}
	return nil
}

// endHead decides the body framing and keep-alive as llhttp does.
func (p *parser) endHead() error {
	r := p.req
	var (
		contentLength int64 = -1
		chunked       bool
		hasTE         bool
		connClose     bool
		connKeepAlive bool
	)
	for _, h := range r.Headers {
		switch strings.ToLower(h[0]) {
		case "content-length":
			if contentLength >= 0 {
				return fmt.Errorf("duplicate Content-Length: %w", errBadRequest)
			}
			n, err := strconv.ParseInt(h[1], 10, 64)
			if err != nil || n < 0 || h[1] == "" || strings.ContainsAny(h[1], "+-") {
				return fmt.Errorf("Content-Length %q: %w", h[1], errBadRequest)
			}
			contentLength = n
		case "transfer-encoding":
			hasTE = true
			codings := strings.Split(h[1], ",")
			chunked = strings.EqualFold(strings.TrimSpace(codings[len(codings)-1]), "chunked")
			for _, c := range codings[:len(codings)-1] {
				if strings.EqualFold(strings.TrimSpace(c), "chunked") {
					// chunked before another coding: llhttp rejects the
					// value itself, before the handler runs (every line).
					return fmt.Errorf("Transfer-Encoding %q: %w", h[1], errBadRequest)
				}
			}
		case "connection", "proxy-connection": // llhttp reads both alike
			for _, tok := range strings.Split(h[1], ",") {
				switch strings.ToLower(strings.TrimSpace(tok)) {
				case "close":
					connClose = true
				case "keep-alive":
					connKeepAlive = true
				}
			}
		}
	}
	if hasTE && contentLength >= 0 {
		return fmt.Errorf("Content-Length with Transfer-Encoding: %w", errBadRequest)
	}
	// A request body whose length the server cannot know is an error
	// llhttp finds after its headers-complete callback, so the handler
	// has run (and answered) by then: measured on every line.
	p.badTE = hasTE && !chunked
	if r.Major > 0 && r.Minor > 0 {
		r.KeepAlive = !connClose
	} else {
		r.KeepAlive = connKeepAlive && !connClose
	}
	p.buf = p.buf[:0]
	switch {
	case chunked:
		p.state = stChunkSz
	case contentLength > 0:
		p.state, p.left = stBody, contentLength
	default:
		p.state = stIdle
	}
	return nil
}

// takeBody consumes up to p.left bytes of body (a Content-Length body or
// one chunk's data) and returns the rest of data.
func (p *parser) takeBody(data []byte) []byte {
	n := min(int64(len(data)), p.left)
	p.left -= n
	p.req.BodyBytes += n
	return data[n:]
}

// chunkSize parses a chunk-size line: hex digits, then optional
// extensions after ';'.
func chunkSize(line string) (int64, error) {
	hex, _, _ := strings.Cut(line, ";")
	hex = strings.TrimRight(hex, " \t")
	if hex == "" || len(hex) > 15 {
		return 0, fmt.Errorf("chunk size %q: %w", line, errBadRequest)
	}
	n, err := strconv.ParseInt(hex, 16, 64)
	if err != nil || strings.ContainsAny(hex, "+-xX") {
		return 0, fmt.Errorf("chunk size %q: %w", line, errBadRequest)
	}
	return n, nil
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}
