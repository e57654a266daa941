package scenario

import (
	"strings"
	"testing"
)

func TestOnRuntime(t *testing.T) {
	node := Scenario{V: 1, Server: Server{
		Runtime:            RuntimeNode18,
		SocketTimeoutMs:    intp(4000),
		KeepAliveTimeoutMs: intp(3000),
		Routes:             []Route{{Path: "/end", Then: ThenClose}, {Path: "*"}},
	}}
	tests := []struct {
		name      string
		in        Scenario
		rt        string
		wantNotes string
		wantErr   string
		check     func(t *testing.T, s Scenario)
	}{
		{
			name: "node to node keeps everything",
			in:   node, rt: RuntimeNode20,
			check: func(t *testing.T, s Scenario) {
				if *s.Server.SocketTimeoutMs != 4000 || s.Server.Routes[0].Then != ThenClose {
					t.Errorf("server %+v", s.Server)
				}
			},
		},
		{
			name: "node to go: counterparts and left-outs",
			in:   node, rt: RuntimeGo,
			wantNotes: "go: keepAliveTimeoutMs 3000 becomes idleTimeoutMs 3000\n" +
				"go: socketTimeoutMs 4000 has no counterpart there; left out\n" +
				"go: route /end: then close becomes shutdown",
			check: func(t *testing.T, s Scenario) {
				if s.Server.SocketTimeoutMs != nil || *s.Server.IdleTimeoutMs != 3000 || s.Server.Routes[0].Then != ThenShutdown {
					t.Errorf("server %+v", s.Server)
				}
			},
		},
		{
			name:    "an action without a counterpart",
			in:      Scenario{V: 1, Server: Server{Runtime: RuntimeNode20, Routes: []Route{{Path: "*", Then: ThenCloseIdle}}}},
			rt:      RuntimeGo,
			wantErr: `go: route *: then "closeIdle" has no counterpart there`,
		},
		{
			name: "go to node",
			in:   Scenario{V: 1, Server: Server{Runtime: RuntimeGo, IdleTimeoutMs: intp(2000), Routes: []Route{{Path: "*", Then: ThenClose}}}},
			rt:   RuntimeNode20,
			wantNotes: "node20: idleTimeoutMs 2000 becomes keepAliveTimeoutMs 2000\n" +
				"node20: route *: then close becomes closeAll",
		},
		{name: "unknown runtime", in: node, rt: "node99", wantErr: `"node99" is not a runtime`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := Marshal(&tt.in)
			got, notes, err := tt.in.OnRuntime(tt.rt)
			if after, _ := Marshal(&tt.in); string(after) != string(before) {
				t.Errorf("the receiver changed:\n%s\n%s", before, after)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Server.Runtime != tt.rt {
				t.Errorf("runtime %q", got.Server.Runtime)
			}
			if n := strings.Join(notes, "\n"); n != tt.wantNotes {
				t.Errorf("notes:\n%s\nwant:\n%s", n, tt.wantNotes)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}
