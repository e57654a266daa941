package codeview

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/keepalive-playground/playground/scenario"
)

// DefaultGoPort is the port the rendered Go program listens on, the one
// the story's netcat examples talk to.
const DefaultGoPort = 1088

// Go renders the Go program that a go-runtime scenario's server stands
// for: a net/http.Server with the scenario's IdleTimeout,
// ReadHeaderTimeout and keep-alive setting, one handler that answers with
// the first matching route, Shutdown with a deadline (then Close) on a
// route or Ctrl-C, and a ConnState hook that logs each connection's life.
// The output is gofmt-formatted and compiles as it is; it is the program
// the go runtime runs (see backend/sandbox/gort).
func Go(s scenario.Scenario) string {
	sv := s.Server
	routes := sv.Routes
	if len(routes) == 0 {
		routes = scenario.DefaultRoutes()
	}
	// Routes after a catch-all never answer; they are not shown.
	for i, r := range routes {
		if r.Path == "*" {
			routes = routes[:i+1]
			break
		}
	}
	uses := func(pred func(scenario.Route) bool) bool {
		for _, r := range routes {
			if pred(r) {
				return true
			}
		}
		return false
	}
	needsStrconv := uses(func(r scenario.Route) bool { return abrupt(r.Actions()) })
	needsStrings := uses(func(r scenario.Route) bool { return r.Path != "*" && strings.HasSuffix(r.Path, "*") })
	needsIO := uses(func(r scenario.Route) bool { return r.Body != "" || r.Readiness })
	drains := sv.Drains()

	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	title := goDocTitle(s.Title)
	if title == "" {
		title = "Keep-Alive Playground demo server"
	}
	w("// %s\n", title)
	w("//\n")
	w("// The demo server as a Go program: a net/http.Server with the scenario's\n")
	w("// knobs. Run it with `go run main.go` and talk to it with netcat:\n")
	w("//\n")
	w("//\tprintf 'GET /test HTTP/1.1\\r\\nHost: demo\\r\\n\\r\\n' | nc -q -1 127.0.0.1 %d\n", DefaultGoPort)
	w("package main\n\n")

	w("import (\n")
	w("\t\"context\"\n")
	w("\t\"errors\"\n")
	if needsIO {
		w("\t\"io\"\n")
	}
	w("\t\"log\"\n")
	w("\t\"net\"\n")
	w("\t\"net/http\"\n")
	w("\t\"os\"\n")
	w("\t\"os/signal\"\n")
	if needsStrconv {
		w("\t\"strconv\"\n")
	}
	if needsStrings {
		w("\t\"strings\"\n")
	}
	w("\t\"sync\"\n")
	if drains {
		w("\t\"sync/atomic\"\n")
	}
	w("\t\"time\"\n")
	w(")\n\n")

	w("const (\n")
	if d := sv.IdleTimeout(); d > 0 {
		w("\t// idleTimeout closes a keep-alive connection that has waited this\n")
		w("\t// long for its next request.\n")
		w("\tidleTimeout = %s\n", goDuration(d))
	} else {
		w("\t// idleTimeout 0: Go falls back to ReadTimeout, also 0, so an idle\n")
		w("\t// keep-alive connection may wait for its next request forever.\n")
		w("\tidleTimeout = 0\n")
	}
	if d := sv.ReadHeaderTimeout(); d > 0 {
		w("\t// readHeaderTimeout closes a connection whose request headers have\n")
		w("\t// not all arrived this long after its first bytes (or after it\n")
		w("\t// opened). Go answers nothing; it just closes.\n")
		w("\treadHeaderTimeout = %s\n", goDuration(d))
	} else {
		w("\t// readHeaderTimeout 0: no limit on how slowly headers may arrive.\n")
		w("\treadHeaderTimeout = 0\n")
	}
	if d := sv.ShutdownTimeout(); d > 0 {
		w("\t// shutdownTimeout is how long Shutdown waits for requests in flight\n")
		w("\t// before the program gives up and cuts them off with Close.\n")
		w("\tshutdownTimeout = %s\n", goDuration(d))
	} else {
		w("\t// shutdownTimeout 0: no grace; Shutdown closes what is idle, gives\n")
		w("\t// up at once, and Close cuts off requests in flight.\n")
		w("\tshutdownTimeout time.Duration = 0\n")
	}
	if drainsLater(sv) {
		w("\t// drainPeriod is how long the readiness check answers 503 before\n")
		w("\t// the shutdown: longer than the load balancer takes to notice.\n")
		w("\tdrainPeriod = %s\n", goDuration(sv.Drain()))
	}
	w(")\n\n")

	w("var srv = &http.Server{\n")
	w("\tAddr:              \"127.0.0.1:%d\",\n", DefaultGoPort)
	w("\tIdleTimeout:       idleTimeout,\n")
	w("\tReadHeaderTimeout: readHeaderTimeout,\n")
	w("\t// Log each connection's life: new, active, idle, ..., closed.\n")
	w("\tConnState: func(c net.Conn, state http.ConnState) {\n")
	w("\t\tlog.Printf(\"%%s %%s\", c.RemoteAddr(), state)\n")
	w("\t},\n")
	w("}\n\n")

	w("// stopped is closed once Shutdown or Close has returned: then main\n")
	w("// returns and the process ends.\n")
	w("var (\n")
	w("\tstopped  = make(chan struct{})\n")
	w("\tstopOnce sync.Once\n")
	w(")\n\n")
	w("func stop() { stopOnce.Do(func() { close(stopped) }) }\n\n")
	if drains {
		w("// ready is the readiness flag: main sets it before serving, a drain\n")
		w("// clears it, and the readiness check answers 503 once it is clear, so\n")
		w("// that the load balancer stops sending new requests here.\n")
		w("var ready atomic.Bool\n\n")
	}

	w("// handle answers with the first route that matches the path.\n")
	w("func handle(w http.ResponseWriter, r *http.Request) {\n")
	w("\tswitch {\n")
	catchAll := false
	for _, r := range routes {
		switch {
		case r.Path == "*":
			catchAll = true
			w("\tdefault:\n")
		case strings.HasSuffix(r.Path, "*"):
			w("\tcase strings.HasPrefix(r.URL.Path, %s):\n", strconv.Quote(strings.TrimSuffix(r.Path, "*")))
		default:
			w("\tcase r.URL.Path == %s:\n", strconv.Quote(r.Path))
		}
		writeGoRoute(&b, r)
	}
	if !catchAll {
		w("\tdefault:\n")
		w("\t\thttp.NotFound(w, r)\n")
	}
	w("\t}\n")
	w("}\n\n")

	w("// shutdown stops the server gracefully: it closes the listener and the\n")
	w("// idle connections at once, then waits for requests in flight, each\n")
	w("// connection closing after its response. After shutdownTimeout it\n")
	w("// gives up, and Close cuts off whatever still runs.\n")
	w("func shutdown() {\n")
	w("\tctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)\n")
	w("\tdefer cancel()\n")
	w("\tif err := srv.Shutdown(ctx); err != nil {\n")
	w("\t\tlog.Printf(\"shutdown: %%v; closing the rest\", err)\n")
	w("\t\tsrv.Close()\n")
	w("\t}\n")
	w("\tstop()\n")
	w("}\n\n")

	w("func main() {\n")
	w("\tsrv.Handler = http.HandlerFunc(handle)\n")
	if drains {
		w("\tready.Store(true)\n")
	}
	if !sv.KeepAlives() {
		w("\t// No keep-alive: every response says Connection: close, and the\n")
		w("\t// connection closes after it.\n")
		w("\tsrv.SetKeepAlivesEnabled(false)\n")
	}
	w("\n")
	w("\t// Ctrl-C shuts down gracefully too.\n")
	w("\tgo func() {\n")
	w("\t\tsig := make(chan os.Signal, 1)\n")
	w("\t\tsignal.Notify(sig, os.Interrupt)\n")
	w("\t\t<-sig\n")
	w("\t\tshutdown()\n")
	w("\t}()\n\n")
	w("\tlog.Printf(\"listening on %%s\", srv.Addr)\n")
	w("\t// ListenAndServe returns as soon as Shutdown or Close is called, before\n")
	w("\t// they are done: wait for them, or in-flight requests die with main.\n")
	w("\tif err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {\n")
	w("\t\tlog.Fatal(err)\n")
	w("\t}\n")
	w("\t<-stopped\n")
	w("}\n")
	return b.String()
}

// abrupt reports whether a route's actions end the connection or the
// server right after the response, so that the handler must flush it
// first.
func abrupt(then scenario.Then) bool {
	return len(then) > 0 && (len(then) > 1 || then[0] != scenario.ThenNone)
}

func writeGoRoute(b *strings.Builder, r scenario.Route) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	then := r.Actions()
	if d := r.Delay(); d > 0 {
		w("\t\t// Hold the answer; give up if the client leaves or the server\n")
		w("\t\t// closes the connection meanwhile.\n")
		w("\t\tselect {\n")
		w("\t\tcase <-time.After(%s):\n", goDuration(d))
		w("\t\tcase <-r.Context().Done():\n")
		w("\t\t\treturn\n")
		w("\t\t}\n")
	}
	status := goStatus(r.Code())
	if r.Readiness {
		w("\t\t// The readiness check: %d while ready, %d once draining.\n", r.Code(), scenario.ReadinessDrainingStatus)
		w("\t\tstatus, body := %s, %s\n", status, strconv.Quote(r.Body))
		w("\t\tif !ready.Load() {\n")
		w("\t\t\tstatus, body = %s, %s\n", goStatus(scenario.ReadinessDrainingStatus), strconv.Quote(scenario.ReadinessDrainingBody))
		w("\t\t}\n")
		status = "status"
	} else {
		w("\t\tconst body = %s\n", strconv.Quote(r.Body))
	}
	w("\t\tw.Header().Set(\"Content-Type\", \"text/plain\")\n")
	if abrupt(then) {
		w("\t\t// A Content-Length keeps the flushed answer below a complete\n")
		w("\t\t// message rather than an unfinished chunked one.\n")
		w("\t\tw.Header().Set(\"Content-Length\", strconv.Itoa(len(body)))\n")
	}
	w("\t\tw.WriteHeader(%s)\n", status)
	if r.Body != "" || r.Readiness {
		w("\t\tio.WriteString(w, body)\n")
	}
	if !abrupt(then) {
		return
	}
	// One flush before the first action, with the reason that action
	// gives; the actions after it find the answer already sent.
	switch then[0] {
	case scenario.ThenShutdown:
		w("\t\t// Put the answer on the wire first: otherwise whether it still\n")
		w("\t\t// says keep-alive depends on which goroutine runs first.\n")
	case scenario.ThenClose:
		w("\t\t// Put the answer on the wire first: Close closes this connection\n")
		w("\t\t// too, and what is still buffered is lost.\n")
	case scenario.ThenDestroy:
		w("\t\t// Put the answer on the wire first: the abort discards what is\n")
		w("\t\t// still buffered.\n")
	case scenario.ThenExit:
		w("\t\t// Put the answer on the wire first: the exit discards what is\n")
		w("\t\t// still buffered.\n")
	case scenario.ThenDrain:
		w("\t\t// Put the answer on the wire first, before the shutdown that\n")
		w("\t\t// follows the drain can reach this connection.\n")
	}
	w("\t\thttp.NewResponseController(w).Flush()\n")
	writeGoActions(b, "\t\t", then, false)
}

// writeGoActions writes a handler's actions; those after a drain go in
// the drain period's time.AfterFunc, whose function runs in its own
// goroutine (inFunc), outside the handler.
func writeGoActions(b *strings.Builder, indent string, then scenario.Then, inFunc bool) {
	w := func(format string, args ...any) { fmt.Fprintf(b, indent+format, args...) }
	for i, a := range then {
		switch a {
		case scenario.ThenDrain:
			w("// Drain: the readiness check answers 503 from now on, while the\n")
			w("// server still serves what arrives until the balancer notices.\n")
			w("ready.Store(false)\n")
			if rest := then[i+1:]; len(rest) > 0 {
				w("// The rest runs once the drain period is over; this handler\n")
				w("// returns now.\n")
				w("time.AfterFunc(drainPeriod, func() {\n")
				writeGoActions(b, indent+"\t", rest, true)
				w("})\n")
			}
			return
		case scenario.ThenShutdown:
			if inFunc {
				w("shutdown()\n")
				continue
			}
			w("// Shutdown waits for this very handler to return: run it in a\n")
			w("// goroutine.\n")
			w("go shutdown()\n")
		case scenario.ThenClose:
			w("// Close closes the listener and every connection at once, idle or\n")
			w("// busy: requests in flight get no answer.\n")
			w("srv.Close()\n")
			w("stop()\n")
		case scenario.ThenDestroy:
			w("// Abort the handler: net/http closes this connection at once (Node's\n")
			w("// req.connection.destroy()). ErrAbortHandler keeps the panic out of\n")
			w("// the server's log.\n")
			w("panic(http.ErrAbortHandler)\n")
		case scenario.ThenExit:
			w("// The process ends here: the kernel closes the listener and every\n")
			w("// connection, and no deferred code runs.\n")
			w("os.Exit(0)\n")
		default:
			// A node-only action: the go runtime does not run this
			// scenario, but the code view still shows something that
			// compiles.
			w("// %q has no Go counterpart; the program does nothing more.\n", a)
		}
	}
}

// goDuration writes d as a Go duration expression: 4 * time.Second.
func goDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d%time.Second == 0:
		return fmt.Sprintf("%d * time.Second", d/time.Second)
	case d%time.Millisecond == 0:
		return fmt.Sprintf("%d * time.Millisecond", d/time.Millisecond)
	}
	return fmt.Sprintf("%d", int64(d))
}

// goStatus writes a status code as net/http's constant when it has a
// common one, and as a number otherwise.
func goStatus(code int) string {
	names := map[int]string{
		200: "http.StatusOK",
		201: "http.StatusCreated",
		204: "http.StatusNoContent",
		301: "http.StatusMovedPermanently",
		302: "http.StatusFound",
		400: "http.StatusBadRequest",
		403: "http.StatusForbidden",
		404: "http.StatusNotFound",
		418: "http.StatusTeapot",
		500: "http.StatusInternalServerError",
		503: "http.StatusServiceUnavailable",
	}
	if n, ok := names[code]; ok {
		return n
	}
	return strconv.Itoa(code)
}

// goDocTitle makes s the first line of the program's doc comment, as
// gofmt prints it: gofmt reformats doc comments, so a title it reads as
// a heading ("#  x") gets the one space gofmt puts after the '#', and one
// it reads as a link definition ("[x]: http://y", which gofmt moves to
// the comment's end) loses the space after its colon, so that it stays
// the first line.
func goDocTitle(s string) string {
	t := goComment(s)
	if rest, ok := strings.CutPrefix(t, "#"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		return "# " + strings.TrimLeft(rest, " \t")
	}
	if i := strings.Index(t, "]:"); strings.HasPrefix(t, "[") && i > 0 {
		if after := t[i+2:]; after != "" && (after[0] == ' ' || after[0] == '\t') {
			return t[:i+2] + strings.TrimLeft(after, " \t")
		}
	}
	return t
}

// goComment makes s safe as the text of one // comment line.
func goComment(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, s))
}
