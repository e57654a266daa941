package lanes

import (
	"regexp"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// TestEventText: the live announcement words a close as the mark's label
// does, says who closed once, and gives every time in one unit.
func TestEventText(t *testing.T) {
	node, golang := scenario.DefaultRuntime(), scenario.RuntimeOf(scenario.LangGo)
	tests := []struct {
		name    string
		ev      timeline.Event
		runtime string
		want    string
	}{
		{"the client closes", timeline.Event{T: 2811, Conn: "A", Kind: timeline.Close, By: timeline.ByClient, Reason: timeline.ReasonClient},
			node, "A: closed by the client at 2811 ms."},
		{"a close without a reason", timeline.Event{T: 5, Conn: "A", Kind: timeline.Close, By: timeline.ByClient},
			node, "A: closed by the client at 5 ms."},
		{"a server timeout, late in a run", timeline.Event{T: 34609.6, Conn: "B", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonKeepAliveTimeout},
			node, "B: closed by the server: keepalive-timeout at 34609.6 ms."},
		{"a reset", timeline.Event{T: 12034.56, Conn: "C", Kind: timeline.Reset, By: timeline.ByServer},
			node, "C: reset by the server at 12034.6 ms."},
		{"a request", timeline.Event{T: 1.25, Conn: "A", Kind: timeline.Request, Method: "GET", Path: "/end"},
			node, "A: request GET /end at 1.25 ms."},
		{"Node's server.close()", timeline.Event{T: 1000.4, Kind: timeline.CloseCalled},
			node, "Server: server.close() called at 1000.4 ms."},
		{"Node's closeIdleConnections()", timeline.Event{T: 300, Kind: timeline.CloseIdleCalled},
			node, "Server: server.closeIdleConnections() called at 300 ms."},
		{"Go's srv.Close()", timeline.Event{T: 1000.4, Kind: timeline.CloseCalled},
			golang, "Server: srv.Close() called at 1000.4 ms."},
		{"Go's srv.Shutdown(ctx)", timeline.Event{T: 1000.4, Kind: timeline.ShutdownCalled},
			golang, "Server: srv.Shutdown(ctx) called at 1000.4 ms."},
		{"the process exits", timeline.Event{T: 4004, Kind: timeline.Exit},
			golang, "Server: the process exits at 4004 ms."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EventText(tt.ev, tt.runtime); got != tt.want {
				t.Errorf("EventText = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCardsOneUnit: every time and length on every card of a run, event
// or span, is in milliseconds (a card said "34.6096 s" beside "2811 ms",
// and "socket.setTimeout 4 s → socket-timeout at 4002.5 ms"), and none
// says "so far" once the run has ended.
func TestCardsOneUnit(t *testing.T) {
	seconds := regexp.MustCompile(`\d s\b`)
	late := []ev{
		{T: 0.5, Kind: timeline.Listen},
		{T: 2811, Conn: "A", Kind: timeline.Accept},
		{T: 2811.2, Conn: "A", Kind: timeline.Connect},
		{T: 2811.3, Conn: "A", Kind: timeline.Send, Data: "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"},
		{T: 2812, Conn: "A", Kind: timeline.Request, Method: "GET", Path: "/"},
		{T: 2812.5, Conn: "A", Kind: timeline.Response, Status: 200},
		{T: 34609.6, Conn: "B", Kind: timeline.Accept},
		{T: 34609.7, Conn: "B", Kind: timeline.Connect},
	}
	tests := []struct {
		name  string
		cfg   Config
		evs   []ev
		now   float64
		ended bool
	}{
		{"node, live", ConfigOf(sc("node20", `"socketTimeoutMs": 40000, "keepAliveTimeoutMs": 5000`)), late, 36000, false},
		{"node, ended", ConfigOf(sc("node20", `"socketTimeoutMs": 40000, "keepAliveTimeoutMs": 5000`)), late, 36000, true},
		{"go, ended", ConfigOf(sc("go", `"idleTimeoutMs": 12000, "readHeaderTimeoutMs": 30000`)), late, 36000, true},
		{"the process exited", ConfigOf(sc("node20", `"socketTimeoutMs": 40000`)),
			append(append([]ev{}, late...), ev{T: 35000, Kind: timeline.Exit}), 35000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := build(tt.cfg, tt.evs)
			cards, timers := 0, 0
			for id := range m.Events {
				for _, span := range []bool{false, true} {
					title, fields, _ := m.Card(id, span, tt.now, tt.ended)
					cards++
					for _, f := range fields {
						if f.Name == "timeout" {
							timers++
						}
						if seconds.MatchString(f.Value) {
							t.Errorf("%s card of %s: %s: %q is not in ms", title, m.Events[id].Kind, f.Name, f.Value)
						}
						final := tt.ended || m.Exited >= 0
						if final && strings.Contains(f.Value, "so far") {
							t.Errorf("%s card after the end: %s: %q", title, f.Name, f.Value)
						}
					}
				}
			}
			if cards == 0 || timers == 0 {
				t.Fatalf("%d cards, %d with a timeout: the test sees no timer", cards, timers)
			}
		})
	}
}

// TestCardNamesTheCall: a server call's card says the call as the
// runtime's program writes it, from the runtime table.
func TestCardNamesTheCall(t *testing.T) {
	node, golang := scenario.DefaultRuntime(), scenario.RuntimeOf(scenario.LangGo)
	tests := []struct {
		name    string
		runtime string
		kind    string
		want    string
	}{
		{"Node's close()", node, timeline.CloseCalled, "server.close()"},
		{"Node's closeAllConnections()", node, timeline.CloseAllCalled, "server.closeAllConnections()"},
		{"Go's Close()", golang, timeline.CloseCalled, "srv.Close()"},
		{"Go's Shutdown()", golang, timeline.ShutdownCalled, "srv.Shutdown(ctx)"},
		{"not a call", golang, timeline.Exit, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := build(Config{Runtime: tt.runtime}, []ev{{T: 0.5, Kind: timeline.Listen}, {T: 1000, Kind: tt.kind}})
			_, fields, _ := m.Card(1, false, 1000, false)
			got := ""
			for _, f := range fields {
				if f.Name == "call" {
					got = f.Value
				}
			}
			if got != tt.want {
				t.Errorf("call %q, want %q (fields %v)", got, tt.want, fields)
			}
		})
	}
}
