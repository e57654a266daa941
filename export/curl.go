package export

import (
	"fmt"
	"io"
	"strings"

	"github.com/keepalive-playground/playground/timeline"
)

// CurlVersion is the curl whose wording Curl follows: 7.88.1, the curl of
// Debian 12 and of the machines this project is tested on (lib/url.c,
// lib/multi.c, lib/connect.c and lib/cf-socket.c at curl-7_88_1). Later
// curls reword two lines: 8.x drops the connection number from
// "Re-using existing connection" and "Closing connection".
const CurlVersion = "7.88.1"

// Curl writes a `curl -v --trace-time` style transcript of each
// connection, one block per connection in the order they opened: the
// bytes sent (">" lines) and received ("<" lines, body data as "{ [N
// bytes data]"), with curl's own connection lines at the moments curl
// prints them — "Trying", "Connected to", "Re-using existing connection
// #N", "Connection #N to host … left intact", "Closing connection N" and
// curl's errors ("Empty reply from server", "Recv failure: Connection
// reset by peer"). Times are the session clock as --trace-time prints a
// wall clock (00:00:04.003200 is 4003.2 ms). What curl cannot see (the
// server closing a connection curl holds idle, the client's own
// half-close) is said in lines that start "* playground:".
func Curl(w io.Writer, r *Run) error {
	ew := &errWriter{w: w}
	cs := connections(r.Events)
	def := runHost(cs)
	for i, c := range cs {
		if i > 0 {
			ew.printf("\n")
		}
		curlConn(ew, c, def)
	}
	return ew.err
}

// traceTime renders session-clock milliseconds as curl's --trace-time
// prints the time of day.
func traceTime(ms float64) string {
	us := int64(ms*1000 + 0.5)
	return fmt.Sprintf("%02d:%02d:%02d.%06d", us/3_600_000_000, us/60_000_000%60, us/1_000_000%60, us%1_000_000)
}

func curlConn(ew *errWriter, c *conn, defHost string) {
	host, port := c.host(defHost)
	n := c.index
	line := func(t float64, format string, args ...any) {
		ew.printf("%s %s\n", traceTime(t), fmt.Sprintf(format, args...))
	}
	// Parse again, event by event, to print each piece as it arrives.
	req := parser{}
	resp := parser{response: true, method: func(k int) string {
		if k < len(req.msgs) {
			return req.msgs[k].first[0]
		}
		return ""
	}}
	var (
		reqPrinted, respPrinted cursor
		answered                int  // responses completed
		pooled                  bool // curl would hold the connection idle, "left intact"
		closing                 bool // curl has closed it: nothing more is shown
		hangup                  *timeline.Event
	)
	echo := resetEchoes(c.events)
	for i, e := range c.events {
		if closing {
			break
		}
		if echo.at(i) {
			continue // an abort: the reset says it
		}
		switch e.Kind {
		case timeline.Connect:
			line(e.T, "*   Trying 127.0.0.1:%d...", port)
			line(e.T, "* Connected to %s (127.0.0.1) port %d (#%d)", host, port, n)
		case timeline.Refused:
			line(e.T, "*   Trying 127.0.0.1:%d...", port)
			line(e.T, "* connect to 127.0.0.1 port %d failed: Connection refused", port)
			line(e.T, "* Failed to connect to %s port %d after 0 ms: Couldn't connect to server", host, port)
			line(e.T, "* Closing connection %d", n)
			ew.printf("curl: (7) Failed to connect to %s port %d after 0 ms: Couldn't connect to server\n", host, port)
			closing = true
		case timeline.Send:
			before := len(req.msgs)
			req.feed(e.T, []byte(e.Data))
			if answered > 0 && before < len(req.msgs) && pooled {
				line(e.T, "* Re-using existing connection #%d with host %s", n, host)
			}
			pooled = false
			reqPrinted.print(ew, req.msgs, ">", "}")
		case timeline.Recv:
			resp.feed(e.T, []byte(e.Data))
			for _, done := range respPrinted.print(ew, resp.msgs, "<", "{") {
				answered++
				if done.keepAlive() && reqKeepAlive(req.msgs, answered-1) {
					line(done.end, "* Connection #%d to host %s left intact", n, host)
					pooled = true
				} else {
					line(done.end, "* Closing connection %d", n)
					closing = true
				}
			}
		case timeline.Close:
			resp.eof(e.T)
			for range respPrinted.print(ew, resp.msgs, "<", "{") {
				answered++
				line(e.T, "* Closing connection %d", n)
				closing = true
			}
			if closing {
				break
			}
			if e.By == timeline.ByClient {
				line(e.T, "* playground: the client closed its end of connection #%d (FIN)", n)
				continue
			}
			if len(req.msgs) > answered {
				// A request is outstanding: the response may still be on its
				// way (the server stamps its close before the client reads),
				// so curl's verdict waits for the rest of the events.
				hangup = &e
				continue
			}
			line(e.T, "* playground: the server closed connection #%d (%s)", n, e.Reason)
		case timeline.Reset:
			if e.By == timeline.ByClient {
				line(e.T, "* playground: the client reset connection #%d (RST)", n)
				closing = true
				continue
			}
			what, code := "Recv failure: Connection reset by peer", 56
			if strings.Contains(e.Error, "broken pipe") {
				what, code = "Send failure: Broken pipe", 55
			}
			line(e.T, "* %s", what)
			line(e.T, "* Closing connection %d", n)
			ew.printf("curl: (%d) %s\n", code, what)
			closing = true
		}
	}
	if hangup != nil && !closing && len(req.msgs) > answered {
		// The server hung up on an outstanding request.
		if len(resp.msgs) > answered {
			line(hangup.T, "* transfer closed with outstanding read data remaining")
			line(hangup.T, "* Closing connection %d", n)
			ew.printf("curl: (18) transfer closed with outstanding read data remaining\n")
		} else {
			line(hangup.T, "* Empty reply from server")
			line(hangup.T, "* Closing connection %d", n)
			ew.printf("curl: (52) Empty reply from server\n")
		}
	} else if hangup != nil && !closing {
		line(hangup.T, "* playground: the server closed connection #%d (%s)", n, hangup.Reason)
	}
}

// reqKeepAlive reports whether the kth request let its connection stay
// open (it did not ask for Connection: close).
func reqKeepAlive(reqs []*message, k int) bool {
	return k >= len(reqs) || reqs[k].keepAlive()
}

// cursor remembers how much of a parser's messages was printed.
type cursor struct{ msg, piece int }

// print writes the pieces not printed yet, with the line prefix (">" or
// "<") and the data prefix ("}" or "{"), and returns the messages that
// completed since the last call.
func (cur *cursor) print(ew *errWriter, msgs []*message, prefix, data string) []*message {
	var done []*message
	for ; cur.msg < len(msgs); cur.msg, cur.piece = cur.msg+1, 0 {
		m := msgs[cur.msg]
		for ; cur.piece < len(m.pieces); cur.piece++ {
			pc := m.pieces[cur.piece]
			switch pc.kind {
			case pLine:
				ew.printf("%s %s %s\n", traceTime(pc.t), prefix, pc.text)
			case pBlank:
				ew.printf("%s %s \n", traceTime(pc.t), prefix)
			case pData:
				ew.printf("%s %s [%d bytes data]\n", traceTime(pc.t), data, pc.n)
			}
		}
		if !m.complete {
			return done // more of it may come
		}
		done = append(done, m)
	}
	return done
}
