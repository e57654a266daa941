package nodediff

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/keepalive-playground/playground/scenario"
)

// Generated scripts: each is one server (knobs drawn from small values so
// that every timer fires within a few seconds) and a handful of
// connections, each one case over the HTTP/1.x request grammar's corners,
// sent in one of several ways and timed against the server's timers.
const (
	// GenCheckingInterval is connectionsCheckingInterval in generated
	// runs: a headersTimeout or requestTimeout expires at most this long
	// after its deadline, which is within the timing tolerance, so the
	// phase of the check (which differs between the runs, from when each
	// process listened) cannot change an outcome.
	GenCheckingInterval = 200 * time.Millisecond
	// genStartMs shifts every step, so that real Node, which takes a few
	// hundred ms to start, listens before the first one.
	genStartMs = 1500
	// genMargin is how far a step timed "just before" or "just after" a
	// timer is from its edge: more than the timing tolerance and the
	// checking interval together, so each side of the edge is certain.
	genMargin = 450
	// genTail is how long a script runs after its last step: enough for
	// every timer a step can start to fire.
	genTail = 2500
	// genMinConns, genMaxConns bound the connections of one script.
	genMinConns, genMaxConns = 3, 7
	// genSplitGapMs separates two parts of a split send, so that they
	// arrive in separate reads.
	genSplitGapMs = 60
)

// Generate makes the script of seed for runtime rt: the same seed and
// runtime give the same script.
func Generate(seed uint64, rt scenario.Runtime) *scenario.Scenario {
	r := rand.New(rand.NewPCG(seed, 0x6b656570616c6976))
	for {
		sc := generate(r, rt)
		sc.Title = fmt.Sprintf("generated %s seed %d", rt.Name, seed)
		if sc.Validate() == nil {
			return sc
		}
	}
}

type gen struct {
	r  *rand.Rand
	rt scenario.Runtime
	sv *scenario.Server
	// timers are the server's timer edges (ms) a step may be placed
	// around, measured from the step that starts them.
	keepAlive, headers, request, socket int
}

func ptr[T any](v T) *T { return &v }

func (g *gen) pick(n int) int { return g.r.IntN(n) }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func oneOf[T any](g *gen, xs ...T) T { return xs[g.pick(len(xs))] }

func generate(r *rand.Rand, rt scenario.Runtime) *scenario.Scenario {
	g := &gen{r: r, rt: rt}
	sv := scenario.Server{Runtime: rt.Name}
	g.sv = &sv
	ka := oneOf(g, 300, 600, 900, 0)
	sv.KeepAliveTimeoutMs = ptr(ka)
	buffer := rt.Node.KeepAliveBufferMs
	if rt.Node.BufferKnob && g.chance(0.6) {
		buffer = oneOf(g, 0, 200)
		sv.KeepAliveTimeoutBufferMs = ptr(buffer)
	}
	if ka > 0 {
		g.keepAlive = ka + buffer
	}
	switch g.pick(4) {
	case 0: // Node's defaults: 60 s and 300 s, beyond the run
	case 1:
		g.headers, g.request = 700, 1400
	case 2:
		g.headers, g.request = 1000, 1000
	case 3:
		g.headers, g.request = 0, 900
	}
	if g.request > 0 {
		sv.HeadersTimeoutMs, sv.RequestTimeoutMs = ptr(g.headers), ptr(g.request)
		if g.headers == 0 {
			g.headers = g.request // off: Node takes requestTimeout's deadline alone
		}
	}
	if g.chance(0.2) {
		g.socket = oneOf(g, 500, 1100)
		sv.SocketTimeoutMs = ptr(g.socket)
	}
	if g.chance(0.25) {
		sv.MaxRequestsPerSocket = ptr(oneOf(g, 1, 2))
	}
	if g.chance(0.1) {
		sv.KeepAlive = ptr(false)
	}
	sv.Routes = []scenario.Route{
		{Path: "/slow", Body: "slow", DelayMs: 400},
		{Path: "/destroy", Body: "gone", Then: scenario.Then{scenario.ThenDestroy}},
		{Path: "/none", Status: 204, Body: "x"},
		{Path: "/e*", Status: 404, Body: "nope"},
		{Path: "*", Body: "Hello World!"},
	}
	if g.chance(0.08) {
		// A server-wide action from one case reaches every connection.
		sv.Routes = append([]scenario.Route{{Path: "/idle", Body: "bye", Then: scenario.Then{scenario.ThenCloseIdle}}}, sv.Routes...)
	}
	sc := &scenario.Scenario{V: scenario.Version, Server: sv}
	n := genMinConns + g.pick(genMaxConns-genMinConns+1)
	last := 0
	for i := range n {
		label := string(rune('A' + i))
		for _, st := range g.conn(label) {
			st.At += genStartMs
			last = max(last, st.At)
			sc.Client.Steps = append(sc.Client.Steps, st)
		}
	}
	sc.DurationMs = last + genTail
	return sc
}

func send(at int, conn, data string) scenario.Step {
	return scenario.Step{At: at, Conn: conn, Send: ptr(data)}
}

// conn makes one connection's case: its steps, from 0.
func (g *gen) conn(label string) []scenario.Step {
	req, body := g.request_()
	data := req + body
	var steps []scenario.Step
	at := g.pick(200)
	switch g.pick(9) {
	case 0, 1: // whole
		steps = append(steps, send(at, label, data))
	case 2: // split at one position
		k := 1 + g.pick(max(1, len(data)-1))
		steps = append(steps, send(at, label, data[:k]), send(at+genSplitGapMs, label, data[k:]))
	case 3: // a byte at a time, for the head's first bytes
		k := min(len(data), 1+g.pick(6))
		for i := range k {
			steps = append(steps, send(at+i*genSplitGapMs, label, data[i:i+1]))
		}
		steps = append(steps, send(at+k*genSplitGapMs, label, data[k:]))
	case 4: // pipelined: two requests in one write
		req2, body2 := g.request_()
		steps = append(steps, send(at, label, data+req2+body2))
	case 5: // a second request after the answer, or bytes after a close
		next := oneOf(g, "GET / HTTP/1.1\r\nHost: d\r\n\r\n", "\r\n", "GET / HT", "x", "POST / HTTP/1.1\r\nHost: d\r\nContent-Length: 3\r\n\r\nabc")
		steps = append(steps, send(at, label, data), send(at+oneOf(g, 100, 700), label, next))
	case 6: // around a timer
		steps = g.timed(label, at, data)
	case 7: // half-close
		steps = append(steps, send(at, label, data), scenario.Step{At: at + oneOf(g, 0, 50, 600), Conn: label, Close: true})
	case 8: // reset
		steps = append(steps, send(at, label, data), scenario.Step{At: at + oneOf(g, 50, 600), Conn: label, Reset: true})
	}
	if len(steps) > 0 && steps[0].Send != nil && *steps[0].Send == "" {
		steps = steps[1:]
	}
	return dropEmpty(steps)
}

func dropEmpty(steps []scenario.Step) []scenario.Step {
	out := steps[:0]
	for _, st := range steps {
		if st.Send != nil && *st.Send == "" {
			continue
		}
		out = append(out, st)
	}
	return out
}

// timed places a step just before or just after one of the server's
// timers.
func (g *gen) timed(label string, at int, data string) []scenario.Step {
	side := oneOf(g, -genMargin, genMargin)
	edge := func(ms int) int { return max(genSplitGapMs, ms+side) }
	switch {
	case g.headers > 0 && g.chance(0.4):
		// The head completes around headersTimeout (or the body around
		// requestTimeout), counted from its first byte.
		head, rest := data, ""
		if i := strings.Index(data, "\r\n\r\n"); i >= 0 {
			head, rest = data[:i+2], data[i+2:]
		}
		if rest != "" && g.chance(0.5) && g.request > 0 {
			return []scenario.Step{send(at, label, head+"\r\n"), send(at+edge(g.request), label, rest[2:])}
		}
		return []scenario.Step{send(at, label, head), send(at+edge(g.headers), label, rest)}
	case g.keepAlive > 0 && g.chance(0.6):
		// The next request around the keep-alive timeout, counted from the
		// response (the first request is answered at once).
		return []scenario.Step{send(at, label, "GET / HTTP/1.1\r\nHost: d\r\n\r\n"), send(at+edge(g.keepAlive), label, data)}
	case g.socket > 0:
		return []scenario.Step{scenario.Step{At: at, Conn: label, Open: true}, send(at+edge(g.socket), label, data)}
	default:
		// A connection that sends nothing until after the headers timeout
		// (a silent socket counts from accept), or a plain late request.
		wait := 1200
		if g.headers > 0 {
			wait = g.headers
		}
		return []scenario.Step{scenario.Step{At: at, Conn: label, Open: true}, send(at+edge(wait), label, data)}
	}
}

// request_ makes one request's head and body.
func (g *gen) request_() (head, body string) {
	method := oneOf(g, "GET", "GET", "GET", "POST", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "QUERY", "PATCH", "BREW", "get", "M-SEARCH", "CONNECT")
	target := oneOf(g, "/", "/", "/slow", "/destroy", "/none", "/else", "*", "/a?b=c", "/é", "/a\tb", "http://d/x", "", "/%7e")
	version := oneOf(g, "HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/1.0", "HTTP/0.9", "HTTP/2.0", "HTTP/1.2", "http/1.1", "HTTP/1.10", "")
	if g.chance(0.04) {
		target = "/idle"
	}
	line := method + " " + target + " " + version
	if version == "" {
		line = method + " " + target
	}
	if g.chance(0.05) {
		line = strings.Replace(line, " ", "  ", 1)
	}
	var hs []string
	if !(g.chance(0.12)) {
		hs = append(hs, oneOf(g, "Host: d", "Host: d", "host: d", "Host:", "Host: d\r\nHost: e"))
	}
	hs = append(hs, g.connection()...)
	bodyHeaders, b := g.body(method)
	hs = append(hs, bodyHeaders...)
	if g.chance(0.12) {
		hs = append(hs, oneOf(g, "Expect: 100-continue", "Expect: 100-continue", "Expect: nonsense", "TE: chunked", "Upgrade: websocket"))
	}
	if g.chance(0.15) {
		hs = append(hs, g.oddHeader())
	}
	g.r.Shuffle(len(hs), func(i, j int) { hs[i], hs[j] = hs[j], hs[i] })
	eol := "\r\n"
	if g.chance(0.04) {
		eol = oneOf(g, "\n", "\r")
	}
	head = line + eol
	for _, h := range hs {
		head += h + "\r\n"
	}
	head += eol
	return head, b
}

func (g *gen) connection() []string {
	if g.chance(0.55) {
		return nil
	}
	return []string{oneOf(g, "Connection: keep-alive", "Connection: close", "Connection: Keep-Alive", "Connection: close, keep-alive",
		"Connection: keep-alive, close", "Connection: upgrade", "Connection: te", "Connection:", "Connection: keep-alive\r\nConnection: close",
		"Connection: CLOSE", "Keep-Alive: timeout=5", "Proxy-Connection: keep-alive", "Connection: keepalive")}
}

func (g *gen) body(method string) ([]string, string) {
	p := 0.25
	if method == "POST" || method == "PUT" || method == "PATCH" {
		p = 0.85
	}
	if !g.chance(p) {
		return nil, ""
	}
	payload := oneOf(g, "hello", "", "a", strings.Repeat("z", 40))
	n := len(payload)
	switch g.pick(7) {
	case 0, 1:
		return []string{"Content-Length: " + strconv.Itoa(n)}, payload
	case 2: // a Content-Length corner
		cl := oneOf(g, " "+strconv.Itoa(n), "+"+strconv.Itoa(n), strconv.Itoa(n)+", "+strconv.Itoa(n), "-1", "0x5", "", "99999999999999999999", "0"+strconv.Itoa(n), strconv.Itoa(n)+" ")
		return []string{"Content-Length: " + cl}, payload
	case 3: // two Content-Lengths, or one with Transfer-Encoding
		return oneOf(g,
			[]string{"Content-Length: " + strconv.Itoa(n), "Content-Length: " + strconv.Itoa(n)},
			[]string{"Content-Length: " + strconv.Itoa(n), "Content-Length: " + strconv.Itoa(n+1)},
			[]string{"Content-Length: " + strconv.Itoa(n), "Transfer-Encoding: chunked"}), g.chunked(payload)
	case 4: // partial or extra body
		if g.chance(0.5) {
			return []string{"Content-Length: " + strconv.Itoa(n+3)}, payload
		}
		return []string{"Content-Length: " + strconv.Itoa(max(0, n-1))}, payload
	default:
		te := oneOf(g, "chunked", "chunked", "chunked", "Chunked", "gzip, chunked", "chunked, gzip", "identity", " chunked", "chunked\r\nTransfer-Encoding: chunked", "gzip", "chunked, chunked", "x-custom")
		return []string{"Transfer-Encoding: " + te}, g.chunked(payload)
	}
}

// chunked frames payload as a chunked body, sometimes with a corner of
// the chunk syntax.
func (g *gen) chunked(payload string) string {
	size := strconv.FormatInt(int64(len(payload)), 16)
	if payload == "" {
		return oneOf(g, "0\r\n\r\n", "0\r\n\r\n", "0\r\n", "0;x=y\r\n\r\n", "0\r\nTrailer: v\r\n\r\n", "00\r\n\r\n", "0\n\n")
	}
	if !g.chance(0.5) {
		return size + "\r\n" + payload + "\r\n0\r\n\r\n"
	}
	return oneOf(g,
		strings.ToUpper(size)+"\r\n"+payload+"\r\n0\r\n\r\n",
		size+";ext=1\r\n"+payload+"\r\n0\r\n\r\n",
		size+" ;ext\r\n"+payload+"\r\n0\r\n\r\n",
		size+"\r\n"+payload+"0\r\n\r\n", // data not followed by CRLF
		size+"\r\n"+payload+"\n0\r\n\r\n",
		size+"\r\n"+payload+"\r\n0\r\nX-Trailer: 1\r\n\r\n",
		size+"\r\n"+payload+"\r\n0\r\n", // the last CRLF missing
		size+"\r\n"+payload+"\r\n",      // the last chunk missing
		"0x"+size+"\r\n"+payload+"\r\n0\r\n\r\n",
		"g\r\n"+payload+"\r\n0\r\n\r\n",
		"-"+size+"\r\n"+payload+"\r\n0\r\n\r\n",
		size+"\n"+payload+"\n0\n\n",
		"000"+size+"\r\n"+payload+"\r\n0\r\n\r\n",
		size+"\r\n"+payload+"\r\n0\r\n X: folded\r\n\r\n",
		"1\r\n"+payload[:1]+"\r\n"+strconv.FormatInt(int64(len(payload)-1), 16)+"\r\n"+payload[1:]+"\r\n0\r\n\r\n",
	)
}

// oddHeader is a header line at a corner of the grammar.
func (g *gen) oddHeader() string {
	return oneOf(g,
		"X-Folded: a\r\n b",
		"X-Folded: a\r\n\tb",
		"X-Space : v",
		"X Space: v",
		": empty-name",
		"X-Empty:",
		"X-Tab:\tv\t",
		"X-Ctl: a\x01b",
		"X-Del: a\x7fb",
		"X-Utf8: é",
		"X-Bare: a\nX-Next: b",
		"X-CR: a\rb",
		"NoColon",
		"X-Long: "+strings.Repeat("v", 200),
		"x-lower: v",
		"X-Many: 1\r\nX-Many: 2",
	)
}
