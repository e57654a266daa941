package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/run"
	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// TestWebSocketMatchesHeadlessRun plays story scenarios twice: over the
// WebSocket, as the page does, and with `playground run`'s runner. The
// browser must receive the same timeline, live.
func TestWebSocketMatchesHeadlessRun(t *testing.T) {
	for _, name := range []string{"answer2-timeout-node20", "answer3-unref-node18", "go-shutdown"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("..", "..", "scenarios", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			sc, err := scenario.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			headless, err := run.Run(context.Background(), sc, all.Runtimes())
			if err != nil {
				t.Fatal(err)
			}
			live := runOverWebSocket(t, sc, data)
			if got, want := shape(live), shape(headless.Events); got != want {
				t.Errorf("over the WebSocket:\n%s\nheadless:\n%s", got, want)
			}
			for _, r := range timeline.EvalAll(sc.Checks, live) {
				if !r.Pass {
					t.Errorf("live run: FAIL %s: %s", r.Name, r.Detail)
				}
			}
		})
	}
}

// runOverWebSocket loads the scenario in a fresh session, sends its steps
// as the page does, and collects events for the scenario's duration.
func runOverWebSocket(t *testing.T, sc *scenario.Scenario, raw []byte) []timeline.Event {
	t.Helper()
	_, ts := newTestServer(t, Options{Runtimes: all.Runtimes()})
	c := dial(t, ts)
	send(t, c, wire.Msg{Type: wire.Hello, V: wire.Version})
	recvUntil(t, c, "ready", isType(wire.Ready))
	recvUntil(t, c, "the default scenario", isType(wire.Loaded))
	send(t, c, wire.Msg{Type: wire.Load, Scenario: raw})
	loaded := recvUntil(t, c, "the scenario", isType(wire.Loaded))
	if loaded.Program == "" {
		t.Error("loaded carries no code view")
	}
	for _, m := range wire.Steps(sc) {
		send(t, c, m)
	}
	var events []timeline.Event
	end := time.Now().Add(time.Duration(sc.Duration()) + 200*time.Millisecond)
	for time.Now().Before(end) {
		c.SetReadDeadline(end)
		var m wire.Msg
		if err := c.ReadJSON(&m); err != nil {
			break
		}
		if m.Type == wire.Error {
			t.Errorf("error message: %s", m.Message)
		}
		if m.Type == wire.Ev {
			events = append(events, *m.Event)
		}
	}
	return events
}

var dateHeader = regexp.MustCompile(`Date: [^\r]*`)

// shape is a timeline without its times. Per connection it keeps the
// client's events and the server's events as two sequences (how the two
// interleave is up to the scheduler), recv chunks merged, how each close
// happened, each end's lasting TCP states (states that only wait for an
// ACK may or may not be seen), and the bytes received with the Date
// masked; then the server's own events.
func shape(events []timeline.Event) string {
	type lanes struct{ client, server, kernel []string }
	conns := map[string]*lanes{}
	recv := map[string]string{}
	var order []string
	var server []string
	for _, e := range events {
		if e.Conn == "" {
			server = append(server, e.Kind)
			continue
		}
		l := conns[e.Conn]
		if l == nil {
			l = &lanes{}
			conns[e.Conn] = l
			order = append(order, e.Conn)
		}
		switch e.Kind {
		case timeline.Recv:
			recv[e.Conn] += e.Data
			if n := len(l.client); n > 0 && l.client[n-1] == e.Kind {
				continue
			}
			l.client = append(l.client, e.Kind)
		case timeline.Connect, timeline.Send, timeline.Refused:
			l.client = append(l.client, e.Kind)
		case timeline.Close, timeline.Reset:
			l.server = append(l.server, fmt.Sprintf("%s(%s,%s)", e.Kind, e.By, e.Reason))
		case timeline.TCP:
			if !timeline.Transient(e.State) {
				l.kernel = append(l.kernel, e.Side+":"+e.State)
			}
		default:
			l.server = append(l.server, e.Kind)
		}
	}
	var b strings.Builder
	for _, c := range order {
		kernel := map[string][]string{}
		for _, k := range conns[c].kernel {
			side, state, _ := strings.Cut(k, ":")
			kernel[side] = append(kernel[side], state)
		}
		fmt.Fprintf(&b, "%s client: %s\n%s server: %s\n%s kernel: client %s; server %s\n   %q\n", c, strings.Join(conns[c].client, " "),
			c, strings.Join(conns[c].server, " "), c, strings.Join(kernel[timeline.SideClient], " "), strings.Join(kernel[timeline.SideServer], " "),
			dateHeader.ReplaceAllString(recv[c], "Date: *"))
	}
	fmt.Fprintf(&b, "server: %s\n", strings.Join(server, " "))
	return b.String()
}
