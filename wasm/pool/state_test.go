package pool

import (
	"strings"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/nodeagent"
	"github.com/keepalive-playground/playground/timeline"
)

// TestState: Go's pool reports its sockets as the page's pool panel
// shows them: free with IdleConnTimeout's deadline, then closed by the
// client.
func TestState(t *testing.T) {
	b := startBridge(t, demo("go", 5000), Options{IdleConnTimeout: time.Second}, 0)
	if r := b.get("/"); r.Err != "" {
		t.Fatal(r.Err)
	}
	st := b.p.State("app")
	if st.Name != "app" || len(st.Sockets) != 1 {
		t.Fatalf("state %+v, want app with one socket", st)
	}
	s := st.Sockets[0]
	if s.Label != "P1" || s.State != SockFree || s.Requests != 1 || s.DeadlineMs-s.FreeSinceMs != 1000 || !strings.Contains(s.Timer, "IdleConnTimeout (1s)") {
		t.Errorf("P1 %+v, want free for IdleConnTimeout's 1000 ms", s)
	}
	b.p.CloseIdle()
	deadline := time.Now().Add(2 * time.Second)
	for b.p.State("app").Sockets[0].State != SockClosed && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s := b.p.State("app").Sockets[0]; s.State != SockClosed || s.ClosedBy != timeline.ByClient || s.Note != "CloseIdleConnections" || s.DeadlineMs != 0 {
		t.Errorf("P1 after CloseIdle %+v, want closed by the client", s)
	}
}

func TestAgentState(t *testing.T) {
	since := time.UnixMilli(1_000_000)
	tests := []struct {
		name string
		in   nodeagent.SocketInfo
		want SocketView
	}{
		{"active", nodeagent.SocketInfo{Label: "a1", State: nodeagent.StateActive, Requests: 1},
			SocketView{Label: "a1", State: SockActive, Requests: 1}},
		{"free with a timer", nodeagent.SocketInfo{Label: "a1", State: nodeagent.StateFree, Requests: 2, FreeSince: since, FreeDeadline: since.Add(4 * time.Second), FreeTimer: "hint"},
			SocketView{Label: "a1", State: SockFree, Requests: 2, FreeSinceMs: 1_000_000, DeadlineMs: 1_004_000, Timer: "hint"}},
		{"free without", nodeagent.SocketInfo{Label: "a1", State: nodeagent.StateFree, FreeSince: since},
			SocketView{Label: "a1", State: SockFree, FreeSinceMs: 1_000_000}},
		{"closed by the server", nodeagent.SocketInfo{Label: "a1", State: nodeagent.StateClosed, ClosedBy: nodeagent.ClosedByServer, Note: "closed by the server"},
			SocketView{Label: "a1", State: SockClosed, ClosedBy: timeline.ByServer, Note: "closed by the server"}},
		{"closed by the agent", nodeagent.SocketInfo{Label: "a1", State: nodeagent.StateClosed, ClosedBy: nodeagent.ClosedByAgent, Note: "free socket timeout"},
			SocketView{Label: "a1", State: SockClosed, ClosedBy: timeline.ByClient, Note: "free socket timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := AgentState("a", []nodeagent.SocketInfo{tt.in})
			if st.Name != "a" || len(st.Sockets) != 1 || st.Sockets[0] != tt.want {
				t.Errorf("AgentState = %+v, want %+v", st, tt.want)
			}
		})
	}
}
