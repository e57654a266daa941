package client

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/keepalive-playground/playground/scenario"
)

// Unescape turns what a person typed into the raw bytes to send, netcat
// style: the escapes \r \n \t \\ and \xNN are decoded, and when crlf is
// set a bare line feed (Enter) becomes CR LF, as `netcat -C` does. An
// unknown escape is an error that names it.
func Unescape(s string, crlf bool) ([]byte, error) {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n' && crlf:
			b = append(b, '\r', '\n')
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'r':
				b = append(b, '\r')
			case 'n':
				b = append(b, '\n')
			case 't':
				b = append(b, '\t')
			case '\\':
				b = append(b, '\\')
			case 'x':
				if i+2 >= len(s) {
					return nil, fmt.Errorf(`"\x" needs two hex digits`)
				}
				v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
				if err != nil {
					return nil, fmt.Errorf(`"\x%s" is not a byte in hex`, s[i+1:i+3])
				}
				b = append(b, byte(v))
				i += 2
			default:
				return nil, fmt.Errorf(`"\%c" is not an escape; write \\ for a backslash`, s[i])
			}
		default:
			b = append(b, c)
		}
	}
	return b, nil
}

// Part is a run of received bytes as shown: text, or a control byte
// spelled as its escape (\r, \n, \t, \xNN) for the page to style apart.
type Part struct {
	Text string
	Ctl  bool
}

// Visible splits raw bytes for reading: control bytes become escape
// parts (a line feed also ends the line, as it would in a terminal), and
// the rest is text.
func Visible(data string) []Part {
	var parts []Part
	text := func(s string) {
		if n := len(parts); n > 0 && !parts[n-1].Ctl {
			parts[n-1].Text += s
			return
		}
		parts = append(parts, Part{Text: s})
	}
	start := 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c >= 0x20 && c != 0x7f {
			continue
		}
		if start < i {
			text(data[start:i])
		}
		start = i + 1
		switch c {
		case '\r':
			parts = append(parts, Part{Text: `\r`, Ctl: true})
		case '\n':
			parts = append(parts, Part{Text: `\n`, Ctl: true})
			text("\n")
		case '\t':
			parts = append(parts, Part{Text: `\t`, Ctl: true})
		default:
			parts = append(parts, Part{Text: fmt.Sprintf(`\x%02x`, c), Ctl: true})
		}
	}
	if start < len(data) {
		text(data[start:])
	}
	return parts
}

// NextLabel is the first label in A, B, … Z, AA, AB, … not in use.
func NextLabel(used func(string) bool) string {
	for n := 0; ; n++ {
		l := label(n)
		if !used(l) {
			return l
		}
	}
}

func label(n int) string {
	s := ""
	for n++; n > 0; n = (n - 1) / 26 {
		s = string(rune('A'+(n-1)%26)) + s
	}
	return s
}

// Control is one server control button.
type Control struct {
	Label  string // what the program calls: "server.close()"
	Action string // the wire control action
	Title  string // what it does, for the tooltip
}

// Controls lists the server controls of a runtime, as its program would
// call them.
func Controls(runtime string) []Control {
	if runtime == scenario.RuntimeGo {
		return []Control{
			{"srv.Shutdown(ctx)", scenario.ThenShutdown, "Stop listening, close idle connections, wait for requests in flight, then return"},
			{"srv.Close()", scenario.ThenClose, "Close the listener and every connection at once"},
			{"os.Exit(0)", scenario.ThenExit, "End the process: the kernel closes every socket"},
		}
	}
	cs := []Control{
		{"server.close()", scenario.ThenClose, "Stop accepting connections (Node ≥ 19 also closes idle ones)"},
		{"server.closeIdleConnections()", scenario.ThenCloseIdle, "Close connections with no request in flight (Node ≥ 18.2)"},
		{"server.closeAllConnections()", scenario.ThenCloseAll, "Close every connection, even with a request in flight (Node ≥ 18.2)"},
		{"process.exit()", scenario.ThenExit, "End the process: the kernel closes every socket"},
	}
	if runtime == scenario.RuntimeNode18 {
		cs[0].Title = "Stop accepting connections; on Node 18 idle keep-alive connections stay open"
	}
	return cs
}

// Knobs summarises a server's effective settings (defaults applied) in
// one line, the way its program sets them.
func Knobs(s scenario.Server) string {
	ms := func(d time.Duration) string {
		if d == 0 {
			return "off"
		}
		if d%time.Second == 0 {
			return fmt.Sprintf("%d s", d/time.Second)
		}
		return fmt.Sprintf("%d ms", d/time.Millisecond)
	}
	var parts []string
	if s.Runtime == scenario.RuntimeGo {
		parts = append(parts, "IdleTimeout "+ms(s.IdleTimeout()), "ReadHeaderTimeout "+ms(s.ReadHeaderTimeout()),
			"Shutdown deadline "+ms(s.ShutdownTimeout()))
		if !s.KeepAlives() {
			parts = append(parts, "keep-alives off")
		}
		return strings.Join(parts, " · ")
	}
	if d := s.SocketTimeout(); d > 0 {
		parts = append(parts, "socket.setTimeout "+ms(d))
	}
	parts = append(parts, "keepAliveTimeout "+ms(s.KeepAliveTimeout()), "headersTimeout "+ms(s.HeadersTimeout()),
		"requestTimeout "+ms(s.RequestTimeout()))
	if n := s.MaxRequests(); n > 0 {
		parts = append(parts, fmt.Sprintf("maxRequestsPerSocket %d", n))
	}
	if s.Unref() {
		parts = append(parts, "sockets unref'd")
	}
	if !s.KeepAlives() {
		parts = append(parts, "keep-alive off")
	}
	return strings.Join(parts, " · ")
}
