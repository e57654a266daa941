package export

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/keepalive-playground/playground/timeline"
)

// The formats that show HTTP (curl, HAR, Mermaid) read the requests and
// responses back out of the bytes the client sent and received, as a
// packet capture tool would: one parser per direction of a connection,
// fed the send and recv events in order.

// message is one HTTP request or response as it crossed the wire.
type message struct {
	// The start line, split: request method, target and version, or
	// response version, status and reason phrase.
	first   [3]string
	status  int
	headers [][2]string
	body    []byte // decoded (without chunk framing)
	// headSize and bodySize are the bytes on the wire: the start line and
	// headers up to and including the blank line, and the body as sent.
	headSize, bodySize int
	// start is the time of the first byte, headDone of the blank line,
	// end of the last byte.
	start, headDone, end float64
	complete             bool
	// pieces are the lines and body data as they arrived, for transcripts.
	pieces []piece
}

func (m *message) header(name string) string {
	for _, h := range m.headers {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

// keepAlive reports whether the message leaves its connection open for
// another exchange, by HTTP/1.x's rules.
func (m *message) keepAlive() bool {
	c := strings.ToLower(m.header("Connection"))
	version := m.first[2]
	if m.status != 0 {
		version = m.first[0]
	}
	if strings.Contains(c, "close") {
		return false
	}
	return version != "HTTP/1.0" || strings.Contains(c, "keep-alive")
}

type pieceKind int

const (
	pLine  pieceKind = iota // a start or header line (text without CR LF)
	pBlank                  // the blank line that ends the head
	pData                   // body bytes (n of them)
)

type piece struct {
	feed int // which call of feed brought it
	t    float64
	kind pieceKind
	text string
	n    int
}

// Parser states.
const (
	sHead = iota
	sLength
	sChunkSize
	sChunkData
	sChunkEnd
	sTrailer
	sUntilClose
)

// maxParsed bounds what a parser keeps of one direction: the session
// bounds what a connection may send and receive; this is a second fence
// for a trace read from a file.
const maxParsed = 8 << 20

// parser splits one direction of a connection into messages.
type parser struct {
	response bool
	// method tells a response parser the method of the nth request (from
	// 0), so that the response to a HEAD is known to have no body; finals
	// counts the final (non-1xx) responses so far.
	method    func(n int) string
	finals    int
	buf       []byte
	state     int
	remaining int
	cur       *message
	msgs      []*message
	total     int
	feeds     int
}

func (p *parser) message(t float64) *message {
	if p.cur == nil {
		p.cur = &message{start: t}
		p.msgs = append(p.msgs, p.cur)
	}
	return p.cur
}

func (p *parser) done(t float64) {
	p.cur.end, p.cur.complete = t, true
	p.cur = nil
	p.state = sHead
}

// feed parses data that arrived at time t.
func (p *parser) feed(t float64, data []byte) {
	if p.total += len(data); p.total > maxParsed {
		return
	}
	p.feeds++
	p.buf = append(p.buf, data...)
	for len(p.buf) > 0 {
		m := p.message(t)
		m.end = t
		switch p.state {
		case sHead, sChunkSize, sChunkEnd, sTrailer:
			i := bytes.IndexByte(p.buf, '\n')
			if i < 0 {
				return
			}
			raw := p.buf[:i+1]
			line := strings.TrimRight(string(raw), "\r\n")
			p.buf = p.buf[i+1:]
			switch p.state {
			case sHead:
				m.headSize += len(raw)
				p.headLine(t, m, line)
			case sChunkSize:
				p.framing(t, m, len(raw))
				size, _, _ := strings.Cut(line, ";")
				n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 32)
				switch {
				case err != nil || n < 0:
					p.state = sUntilClose // not chunked after all: take the rest as is
				case n == 0:
					p.state = sTrailer
				default:
					p.state, p.remaining = sChunkData, int(n)
				}
			case sChunkEnd:
				p.framing(t, m, len(raw))
				p.state = sChunkSize
			case sTrailer:
				p.framing(t, m, len(raw))
				if line == "" {
					p.done(t)
				}
			}
		case sLength, sChunkData:
			n := min(p.remaining, len(p.buf))
			p.data(t, m, p.buf[:n])
			p.buf = p.buf[n:]
			if p.remaining -= n; p.remaining == 0 {
				if p.state == sLength {
					p.done(t)
				} else {
					p.state = sChunkEnd
				}
			}
		case sUntilClose:
			p.data(t, m, p.buf)
			p.buf = nil
		}
	}
}

func (p *parser) data(t float64, m *message, b []byte) {
	m.body = append(m.body, b...)
	p.framing(t, m, len(b))
}

// framing counts n body bytes on the wire (data, or chunk framing): a
// transcript shows the body's bytes per read as they arrived, as curl
// does.
func (p *parser) framing(t float64, m *message, n int) {
	m.bodySize += n
	if k := len(m.pieces); k > 0 && m.pieces[k-1].kind == pData && m.pieces[k-1].feed == p.feeds {
		m.pieces[k-1].n += n // one read is one line
		return
	}
	m.pieces = append(m.pieces, piece{feed: p.feeds, t: t, kind: pData, n: n})
}

func (p *parser) headLine(t float64, m *message, line string) {
	if line == "" {
		if len(m.pieces) == 0 {
			// A blank line between messages, which servers skip.
			p.msgs = p.msgs[:len(p.msgs)-1]
			p.cur = nil
			return
		}
		m.pieces = append(m.pieces, piece{t: t, kind: pBlank})
		m.headDone = t
		p.bodyMode(t, m)
		return
	}
	m.pieces = append(m.pieces, piece{t: t, kind: pLine, text: line})
	if len(m.pieces) == 1 {
		f := strings.SplitN(line, " ", 3)
		copy(m.first[:], f)
		if p.response {
			m.status, _ = strconv.Atoi(m.first[1])
		}
		return
	}
	name, value, _ := strings.Cut(line, ":")
	m.headers = append(m.headers, [2]string{strings.TrimSpace(name), strings.TrimSpace(value)})
}

// bodyMode decides, at the end of a head, how the body is framed.
func (p *parser) bodyMode(t float64, m *message) {
	method := ""
	if p.response {
		method = p.method(p.finals)
		if m.status >= 200 {
			p.finals++ // an interim 1xx answers the same request as what follows
		}
	}
	te := strings.ToLower(m.header("Transfer-Encoding"))
	cl, clErr := strconv.Atoi(m.header("Content-Length"))
	switch {
	case p.response && (method == "HEAD" || m.status < 200 || m.status == 204 || m.status == 304):
		p.done(t)
	case strings.HasSuffix(te, "chunked"):
		p.state = sChunkSize
	case clErr == nil && cl > 0:
		p.state, p.remaining = sLength, cl
	case clErr == nil || !p.response:
		p.done(t)
	default:
		p.state = sUntilClose
	}
}

// eof ends the stream: a body framed by the close is complete.
func (p *parser) eof(t float64) {
	if p.cur != nil && p.state == sUntilClose {
		p.done(t)
	}
}

// conn is one connection read back from the events.
type conn struct {
	label     string
	index     int // in order of the connect events, as curl numbers them
	events    []timeline.Event
	req, resp parser
}

// connections reads the events back into connections, in the order they
// opened.
func connections(events []timeline.Event) []*conn {
	var out []*conn
	by := map[string]*conn{}
	for _, e := range events {
		if e.Conn == "" {
			continue
		}
		c := by[e.Conn]
		if c == nil || e.Kind == timeline.Connect && c.hasConnect() {
			// A label reused after its connection ended is a new connection.
			c = &conn{label: e.Conn, index: len(out)}
			c.resp = parser{response: true, method: c.requestMethod}
			by[e.Conn] = c
			out = append(out, c)
		}
		c.events = append(c.events, e)
		switch e.Kind {
		case timeline.Send:
			c.req.feed(e.T, []byte(e.Data))
		case timeline.Recv:
			c.resp.feed(e.T, []byte(e.Data))
		case timeline.Close, timeline.Reset:
			c.resp.eof(e.T)
		}
	}
	return out
}

func (c *conn) firstHost() string {
	for _, m := range c.req.msgs {
		if v := m.header("Host"); v != "" {
			return v
		}
	}
	return ""
}

// runHost is the first Host header any connection sent.
func runHost(cs []*conn) string {
	for _, c := range cs {
		if h := c.firstHost(); h != "" {
			return h
		}
	}
	return ""
}

func (c *conn) requestMethod(n int) string {
	if n < len(c.req.msgs) {
		return c.req.msgs[n].first[0]
	}
	return ""
}

func (c *conn) hasConnect() bool {
	for _, e := range c.events {
		if e.Kind == timeline.Connect {
			return true
		}
	}
	return false
}

// host is the host and port the connection's requests name (the demo
// server's real address is a private loopback port): its first Host
// header, or the run's (def, the first Host any connection sent), or the
// playground's default.
func (c *conn) host(def string) (string, int) {
	h := cmpOr(c.firstHost(), cmpOr(def, "demo"))
	if i := strings.LastIndexByte(h, ':'); i > 0 && !strings.HasSuffix(h, "]") {
		if port, err := strconv.Atoi(h[i+1:]); err == nil {
			return h[:i], port
		}
	}
	return h, 80
}
