package codeview

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/keepalive-playground/playground/scenario"
)

// DefaultNodePort is the port the rendered program listens on when
// NodeOptions.Port is 0 and the program is not instrumented: the story's
// netcat examples talk to localhost:1088.
const DefaultNodePort = 1088

// NodeOptions tunes the rendered Node program.
type NodeOptions struct {
	// Instrument appends a block that prints one JSON line per socket and
	// server event on stdout and obeys control lines ("close",
	// "closeIdle", "closeAll", "exit") on stdin without keeping the
	// process alive. The backend runs this variant under real Node as the
	// reference the emulation is tested against.
	Instrument bool
	// Port to listen on; 0 means DefaultNodePort, or an ephemeral port
	// when instrumented (the listen line says which).
	Port int
	// CheckingIntervalMs sets server.connectionsCheckingInterval in the
	// instrumented program (0: Node's 30 s), as the differential tests do
	// in the emulation too (sandbox.Config.CheckingInterval).
	CheckingIntervalMs int
}

// Node renders the Node program that the scenario's server stands for:
// the story's http.createServer handler with the scenario's routes and
// knobs, listening on 127.0.0.1.
func Node(s scenario.Scenario, opt NodeOptions) string {
	sv := s.Server
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	title := s.Title
	if title == "" {
		title = "Keep-Alive Playground demo server"
	}
	w("// %s\n", oneLine(title))
	rt := sv.Spec()
	if rt.Node.CloseClosesIdle {
		w("// Runs as on Node %s: server.close() also closes idle keep-alive\n", rt.Release)
		w("// connections (Node >= 19).\n")
	} else {
		w("// Runs as on Node %s: server.close() only stops accepting; idle\n", rt.Release)
		w("// keep-alive connections stay open and may serve more requests.\n")
	}
	w("'use strict';\n\n")
	w("const http = require('http');\n\n")

	if sv.Drains() {
		w("// The readiness flag: once it is false, the readiness check answers\n")
		w("// 503, so that the load balancer stops sending new requests here.\n")
		w("let ready = true;\n")
		if drainsLater(sv) {
			w("// The drain period: how long the readiness check answers 503 before\n")
			w("// the shutdown; longer than the balancer takes to notice.\n")
			w("const drainMs = %d;\n", sv.Drain().Milliseconds())
		}
		w("\n")
	}

	unref := sv.Unref()
	w("const server = http.createServer((req, res) => {\n")
	if unref {
		w("  // A request is in flight: keep the process alive until it is answered.\n")
		w("  req.connection.ref();\n")
	}
	w("  const path = req.url.split('?')[0];\n")
	routes := sv.Routes
	if len(routes) == 0 {
		routes = scenario.DefaultRoutes()
	}
	catchAll := false
	for i, r := range routes {
		cond := routeCond(r.Path)
		switch {
		case cond == "":
			catchAll = true
			if i == 0 {
				w("  {\n")
			} else {
				w("  } else {\n")
			}
		case i == 0:
			w("  if (%s) {\n", cond)
		default:
			w("  } else if (%s) {\n", cond)
		}
		writeRoute(&b, sv, r)
		if catchAll {
			break
		}
	}
	if !catchAll {
		w("  } else {\n")
		writeRoute(&b, sv, scenario.Route{Path: "*", Status: 404, Body: "Not Found"})
	}
	w("  }\n")
	w("});\n\n")

	writeKnobs(&b, sv)

	if st := sv.SocketTimeout().Milliseconds(); st > 0 || unref {
		w("server.on('connection', (socket) => {\n")
		if st > 0 {
			w("  // Destroy a socket after %d ms without traffic. Node replaces this\n", st)
			w("  // timeout with keepAliveTimeout once a response completes.\n")
			w("  socket.setTimeout(%d);\n", st)
		}
		if unref {
			w("  // An idle socket alone must not keep the process alive.\n")
			w("  socket.unref();\n")
		}
		w("});\n\n")
	}
	if unref {
		w("process.on('beforeExit', () => {\n")
		w("  // Nothing keeps the loop busy any more: last chance to clean up.\n")
		w("  console.error('beforeExit: shutting down');\n")
		w("});\n\n")
	}

	port := opt.Port
	if port == 0 && !opt.Instrument {
		port = DefaultNodePort
	}
	w("server.listen(%d, '127.0.0.1', () => {\n", port)
	w("  console.error(`listening on 127.0.0.1:${server.address().port}`);\n")
	w("});\n")

	if opt.Instrument {
		b.WriteString(nodeInstrumentation)
		if opt.CheckingIntervalMs > 0 {
			// Read by the 'listening' handler that starts the check.
			w("server.connectionsCheckingInterval = %d;\n", opt.CheckingIntervalMs)
		}
	}
	return b.String()
}

// routeCond is the JavaScript condition that matches a route's path the
// way scenario.Server.Route does; "" for the catch-all.
func routeCond(p string) string {
	if p == "*" {
		return ""
	}
	if prefix, ok := strings.CutSuffix(p, "*"); ok {
		return fmt.Sprintf("path.startsWith(%s)", jsString(prefix))
	}
	return fmt.Sprintf("path === %s", jsString(p))
}

func writeRoute(b *strings.Builder, sv scenario.Server, r scenario.Route) {
	indent := "    "
	if r.DelayMs > 0 {
		fmt.Fprintf(b, "    setTimeout(() => {\n")
		indent = "      "
	}
	headers := "{ 'Content-Type': 'text/plain' }"
	if !sv.KeepAlives() {
		headers = "{ 'Content-Type': 'text/plain', 'Connection': 'close' }"
	}
	status, body := strconv.Itoa(r.Code()), jsString(r.Body)
	if r.Readiness {
		fmt.Fprintf(b, "%s// The readiness check: %d while ready, %d once draining.\n", indent, r.Code(), scenario.ReadinessDrainingStatus)
		status = fmt.Sprintf("ready ? %s : %d", status, scenario.ReadinessDrainingStatus)
		body = fmt.Sprintf("ready ? %s : %s", body, jsString(scenario.ReadinessDrainingBody))
	}
	fmt.Fprintf(b, "%sres.writeHead(%s, %s);\n", indent, status, headers)
	if sv.Unref() {
		fmt.Fprintf(b, "%s// Answered: the socket may idle without holding the process.\n", indent)
		fmt.Fprintf(b, "%sres.end(%s, () => req.connection.unref());\n", indent, body)
	} else {
		fmt.Fprintf(b, "%sres.end(%s);\n", indent, body)
	}
	writeNodeActions(b, indent, r.Actions())
	if r.DelayMs > 0 {
		fmt.Fprintf(b, "    }, %d);\n", r.DelayMs)
	}
}

// drainsLater reports whether a route runs actions after a drain, which
// wait for the drain period.
func drainsLater(sv scenario.Server) bool {
	for _, r := range sv.Routes {
		if _, later := scenario.SplitDrain(r.Then); len(later) > 0 {
			return true
		}
	}
	return false
}

// writeNodeActions writes the handler's calls after res.end(); the ones
// after a drain go in the drain period's setTimeout.
func writeNodeActions(b *strings.Builder, indent string, actions scenario.Then) {
	for i, then := range actions {
		switch then {
		case scenario.ThenDrain:
			fmt.Fprintf(b, "%s// Drain: the readiness check answers 503 from now on, while the\n", indent)
			fmt.Fprintf(b, "%s// server still serves what arrives until the balancer notices.\n", indent)
			fmt.Fprintf(b, "%sready = false;\n", indent)
			if rest := actions[i+1:]; len(rest) > 0 {
				fmt.Fprintf(b, "%ssetTimeout(() => {\n", indent)
				writeNodeActions(b, indent+"  ", rest)
				fmt.Fprintf(b, "%s}, drainMs);\n", indent)
			}
			return
		case scenario.ThenClose:
			fmt.Fprintf(b, "%s// Stop accepting connections.\n", indent)
			fmt.Fprintf(b, "%sserver.close();\n", indent)
		case scenario.ThenCloseIdle:
			fmt.Fprintf(b, "%sserver.closeIdleConnections();\n", indent)
		case scenario.ThenCloseAll:
			fmt.Fprintf(b, "%s// Destroys every connection, in-flight requests included.\n", indent)
			fmt.Fprintf(b, "%sserver.closeAllConnections();\n", indent)
		case scenario.ThenDestroy:
			fmt.Fprintf(b, "%sreq.connection.destroy();\n", indent)
		case scenario.ThenExit:
			fmt.Fprintf(b, "%sprocess.exit();\n", indent)
		}
	}
}

// nodeProperties are the server properties the program sets for its
// knobs, by knob name, with why each matters.
var nodeProperties = []struct{ knob, property, why string }{
	{"keepAliveTimeoutMs", "keepAliveTimeout", "How long an idle keep-alive connection may wait for its next request."},
	{"keepAliveTimeoutBufferMs", "keepAliveTimeoutBuffer", "Extra time the socket waits beyond keepAliveTimeout (the header still says keepAliveTimeout)."},
	{"headersTimeoutMs", "headersTimeout", "Time allowed to receive a request's headers (checked every 30 s)."},
	{"requestTimeoutMs", "requestTimeout", "Time allowed to receive a whole request (checked every 30 s)."},
	{"maxRequestsPerSocket", "maxRequestsPerSocket", "Requests one connection may carry before Node answers Connection: close."},
}

// writeKnobs sets each property whose knob differs from what Node has by
// default: the value the knob takes when unset, given the rest.
func writeKnobs(b *strings.Builder, sv scenario.Server) {
	any := false
	rt := sv.Spec()
	for _, p := range nodeProperties {
		if _, ok := rt.Knob(p.knob); !ok {
			continue
		}
		// Against the property's value on a new server (the knob's
		// default), not the schema's derived default: unset,
		// headersTimeoutMs is min(60 s, requestTimeout) as createServer's
		// options would make it, but setting server.requestTimeout later
		// leaves server.headersTimeout at 60 s.
		k, _ := rt.Knob(p.knob)
		got := sv.Int(p.knob)
		if got == k.Default {
			continue
		}
		fmt.Fprintf(b, "// %s\n", p.why)
		fmt.Fprintf(b, "server.%s = %d;\n", p.property, got)
		any = true
	}
	if any {
		b.WriteString("\n")
	}
}

// jsString quotes s as a single-quoted JavaScript string literal.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r == '\'' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, s)
}

// NodeEventVersion tags the instrumentation's line protocol.
const NodeEventVersion = 1

// nodeInstrumentation observes the program from outside its handler, so
// the code above stays the program a learner reads. Request and response
// events come from Node's diagnostics channels, which also see the
// responses Node writes without calling the handler (400 for a missing
// Host, 503 past maxRequestsPerSocket). The parser's own callbacks
// (message begin, headers complete, message complete) tell where each
// connection's parser is, as Node's ConnectionsList sees it. A close's
// reason is decided by whichever cause reaches the socket first: a
// timeout (a 'timeout' listener running before Node's own, telling the
// keep-alive timer from the program's setTimeout by whether a response
// completed since the last request), a parser error, the 408 of the
// connections check (headers-timeout while the parser had not completed
// the head for longer than headersTimeout, checkConnections' first test,
// else request-timeout), a Connection: close response, a server.close*()
// call in progress, the client's FIN or RST, or else the program's own
// destroy(). "idle" is a connection entering the set
// closeIdleConnections() closes: its parser between messages and no
// response unfinished. A close caused by process exit is not seen here
// (the runner reports it).
var nodeInstrumentation = `
// ---- Instrumentation (the playground's reference run) ----------------
// One JSON line per event on stdout; control commands on stdin.
const dc = require('diagnostics_channel');
const { HTTPParser } = require('_http_common');
// wall: when it happened, on the clock the runner reads too (ms since
// the epoch, fractional), so the pipe's delay is not in the timeline.
const emit = (kind, fields) =>
  process.stdout.write(JSON.stringify({ v: ` + strconv.Itoa(NodeEventVersion) + `, kind, wall: performance.timeOrigin + performance.now(), ...fields }) + '\n');
const sockets = new Set();
let closing = null; // the reason for sockets a server.close*() call destroys

server.on('listening', () => emit('listen', { port: server.address().port }));

server.prependListener('connection', (socket) => {
  const pg = { peer: socket.remoteAddress + ':' + socket.remotePort,
               by: 'server', reason: '', keepAlive: false, pending: 0,
               headersDone: false, mid: false, start: performance.now() };
  socket.pg = pg;
  sockets.add(socket);
  emit('accept', { peer: pg.peer });
  const because = (reason, by = 'server') => {
    if (!pg.reason) { pg.reason = reason; pg.by = by; }
  };
  socket.prependListener('timeout', () =>
    because(pg.keepAlive ? 'keepalive-timeout' : 'socket-timeout'));
  socket.prependListener('end', () => because('client', 'client'));
  const destroy = socket.destroy;
  socket.destroy = function (err) {
    if (err && err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      // checkConnections' tests, with its swap of a headersTimeout
      // above requestTimeout.
      let h = server.headersTimeout;
      const r = server.requestTimeout;
      if (r > 0 && h > r) h = r;
      const headers = !pg.headersDone && h > 0 && performance.now() - pg.start > h;
      because(headers ? 'headers-timeout' : 'request-timeout');
    } else if (err && /^HPE_/.test(err.code || '')) {
      because('bad-request');
    } else if (err && err.code === 'ECONNRESET') {
      because('client', 'client');
    } else {
      because(closing || 'destroy');
    }
    return destroy.apply(this, arguments);
  };
  socket.on('close', () => {
    sockets.delete(socket);
    emit('close', { peer: pg.peer, by: pg.by, reason: pg.reason || 'client' });
  });
});

// After Node's connection listener, which gave the socket its parser.
// Parsers are reused: the callbacks are wrapped once, and find the
// connection's state through parser.socket.
const wrapped = Symbol('pg');
server.on('connection', (socket) => {
  const parser = socket.parser;
  if (!parser) return;
  parser[HTTPParser.kOnMessageBegin] = function () {
    const pg = this.socket && this.socket.pg;
    if (pg) { pg.headersDone = false; pg.mid = true; pg.finished = false; pg.start = performance.now(); }
  };
  if (parser[wrapped]) return;
  parser[wrapped] = true;
  const headers = parser[HTTPParser.kOnHeadersComplete];
  parser[HTTPParser.kOnHeadersComplete] = function (...args) {
    const pg = this.socket && this.socket.pg;
    if (pg) pg.headersDone = true;
    return headers.apply(this, args);
  };
  const complete = parser[HTTPParser.kOnMessageComplete];
  parser[HTTPParser.kOnMessageComplete] = function (...args) {
    const socket = this.socket;
    const ret = complete.apply(this, args);
    const pg = socket && socket.pg;
    if (pg) {
      pg.mid = false;
      // A body that completes after its response was answered: the
      // connection becomes idle now (not after a CONNECT, which has no
      // response, nor once a Connection: close response is ending it).
      if (pg.pending === 0 && pg.finished && !pg.reason && !socket.destroyed) emit('idle', { peer: pg.peer });
    }
    return ret;
  };
});

dc.subscribe('http.server.request.start', ({ request, socket }) => {
  socket.pg.pending++;
  socket.pg.keepAlive = false;
  emit('request', { peer: socket.pg.peer, method: request.method, path: request.url });
});

dc.subscribe('http.server.response.finish', ({ response, socket }) => {
  const pg = socket.pg;
  pg.pending--;
  emit('response', { peer: pg.peer, status: response.statusCode });
  pg.finished = true;
  if (response._last) {
    pg.reason = pg.reason || 'connection-close';
  } else if (pg.pending === 0 && !socket.destroyed) {
    pg.keepAlive = server.keepAliveTimeout > 0;
    if (!pg.mid) emit('idle', { peer: pg.peer });
  }
});

// Wrap the server's shutdown calls so their kind and the reason for the
// sockets they destroy are recorded, whether the handler or stdin calls.
for (const [name, kind, reason] of [
  ['close', 'close-called', 'server-close'],
  ['closeIdleConnections', 'closeIdle-called', 'close-idle'],
  ['closeAllConnections', 'closeAll-called', 'close-all'],
]) {
  const call = server[name];
  server[name] = function (...args) {
    if (closing) return call.apply(this, args); // close() calls closeIdleConnections()
    emit(kind);
    const wasListening = server.listening;
    closing = reason;
    try {
      return call.apply(this, args);
    } finally {
      closing = null;
      if (name === 'close' && wasListening) emit('listener-closed');
    }
  };
}

process.on('beforeExit', () => emit('before-exit'));
process.on('exit', () => emit('exit'));

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  input += chunk;
  let nl;
  while ((nl = input.indexOf('\n')) >= 0) {
    const cmd = input.slice(0, nl).trim();
    input = input.slice(nl + 1);
    if (cmd === 'close') server.close();
    else if (cmd === 'closeIdle') server.closeIdleConnections();
    else if (cmd === 'closeAll') server.closeAllConnections();
    else if (cmd === 'exit') process.exit();
  }
});
// Reading commands must not keep the process alive: its lifetime is
// what the playground observes.
process.stdin.unref();
`
