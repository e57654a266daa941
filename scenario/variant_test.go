package scenario

import (
	"strings"
	"testing"
)

func TestOnRuntime(t *testing.T) {
	node := Scenario{V: 1, Server: Server{
		Runtime:            "node18",
		SocketTimeoutMs:    intp(4000),
		KeepAliveTimeoutMs: intp(3000),
		Routes:             []Route{{Path: "/end", Then: Then{ThenClose}}, {Path: "*"}},
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
			in:   node, rt: "node20",
			check: func(t *testing.T, s Scenario) {
				if *s.Server.SocketTimeoutMs != 4000 || s.Server.Routes[0].Then[0] != ThenClose {
					t.Errorf("server %+v", s.Server)
				}
			},
		},
		{
			name: "node to go: counterparts and left-outs",
			in:   node, rt: "go",
			wantNotes: "go: keepAliveTimeoutMs 3000 becomes idleTimeoutMs 3000\n" +
				"go: socketTimeoutMs 4000 has no counterpart there; left out\n" +
				"go: route /end: then close becomes shutdown",
			check: func(t *testing.T, s Scenario) {
				if s.Server.SocketTimeoutMs != nil || *s.Server.IdleTimeoutMs != 3000 || s.Server.Routes[0].Then[0] != ThenShutdown {
					t.Errorf("server %+v", s.Server)
				}
			},
		},
		{
			name:    "an action without a counterpart",
			in:      Scenario{V: 1, Server: Server{Runtime: "node20", Routes: []Route{{Path: "*", Then: Then{ThenCloseIdle}}}}},
			rt:      "go",
			wantErr: `go: route *: then "closeIdle" has no counterpart there`,
		},
		{
			name: "go to node",
			in:   Scenario{V: 1, Server: Server{Runtime: "go", IdleTimeoutMs: intp(2000), Routes: []Route{{Path: "*", Then: Then{ThenClose}}}}},
			rt:   "node20",
			wantNotes: "node20: idleTimeoutMs 2000 becomes keepAliveTimeoutMs 2000\n" +
				"node20: route *: then close becomes closeAll",
		},
		{
			name:      "a knob the older line lacks",
			in:        Scenario{V: 1, Server: Server{Runtime: "node26", KeepAliveTimeoutMs: intp(1000), KeepAliveTimeoutBufferMs: intp(0)}},
			rt:        "node20",
			wantNotes: "node20: keepAliveTimeoutBufferMs 0 has no counterpart there; left out",
			check: func(t *testing.T, s Scenario) {
				if s.Server.KeepAliveTimeoutBufferMs != nil || *s.Server.KeepAliveTimeoutMs != 1000 {
					t.Errorf("server %+v", s.Server)
				}
			},
		},
		{
			name:      "a list of actions, each its counterpart",
			in:        Scenario{V: 1, Server: Server{Runtime: "node26", Routes: []Route{{Path: "*", Then: Then{ThenCloseAll, ThenExit}}}}},
			rt:        "go",
			wantNotes: "go: route *: then closeAll becomes close",
			check: func(t *testing.T, s Scenario) {
				if got := s.Server.Routes[0].Then; len(got) != 2 || got[0] != ThenClose || got[1] != ThenExit {
					t.Errorf("then %q", got)
				}
			},
		},
		{
			name:    "a list Go cannot run",
			in:      Scenario{V: 1, Server: Server{Runtime: "node26", Routes: []Route{{Path: "*", Then: Then{ThenDestroy, ThenClose}}}}},
			rt:      "go",
			wantErr: `nothing runs after "destroy" (panic(http.ErrAbortHandler))`,
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

func TestVariants(t *testing.T) {
	base := `{"v":1,"server":{"runtime":"node20","socketTimeoutMs":400},"client":{"steps":[{"at":0,"conn":"A","open":true}]}`
	tests := []struct {
		name    string
		compare string
		want    []string // variant names
		wantErr string
	}{
		{"runtimes", `{"runtimes":["node18","node20","go"]}`, []string{"node18", "node20", "go"}, ""},
		{"a knob's values", `{"knob":"socketTimeoutMs","values":[1000, 4000]}`, []string{"socketTimeoutMs=1000", "socketTimeoutMs=4000"}, ""},
		{"a boolean knob", `{"knob":"keepAlive","values":[true,false]}`, []string{"keepAlive=true", "keepAlive=false"}, ""},
		{"one run is no comparison", `{"runtimes":["node20"]}`, nil, "a comparison runs 2 to 4"},
		{"five is too many", `{"knob":"socketTimeoutMs","values":[1,2,3,4,5]}`, nil, "a comparison runs 2 to 4"},
		{"both", `{"runtimes":["node18","node20"],"knob":"socketTimeoutMs","values":[1,2]}`, nil, "not both"},
		{"neither", `{}`, nil, "name runtimes, or a knob"},
		{"an unknown knob", `{"knob":"timeout","values":[1,2]}`, nil, `"timeout" is not one of`},
		{"a value out of range", `{"knob":"socketTimeoutMs","values":[1,-5]}`, nil, "server.socketTimeoutMs"},
		{"a value of the wrong type", `{"knob":"socketTimeoutMs","values":[1,"x"]}`, nil, "compare.values[1]"},
		{"a knob of the other language", `{"knob":"idleTimeoutMs","values":[1,2]}`, nil, "only for the go runtime"},
		{"the same value twice", `{"knob":"socketTimeoutMs","values":[1,1]}`, nil, "named twice"},
		{"an unknown field", `{"runtimes":["node18","node20"],"bogus":1}`, nil, "compare.bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := Decode([]byte(base + `,"compare":` + tt.compare + `}`))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			vs, err := sc.Variants()
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, v := range vs {
				names = append(names, v.Name)
				if v.Scenario.Compare != nil {
					t.Errorf("%s still asks for a comparison", v.Name)
				}
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Errorf("variants %v, want %v", names, tt.want)
			}
			// A link carries the comparison.
			link, err := EncodeLink(sc)
			if err != nil {
				t.Fatal(err)
			}
			back, err := DecodeLink(link)
			if err != nil || back.Compare == nil {
				t.Fatalf("the link lost the comparison: %v", err)
			}
		})
	}
	sc, _ := Decode([]byte(base + `,"compare":{"knob":"socketTimeoutMs","values":[1000,4000]}}`))
	vs, _ := sc.Variants()
	if *vs[0].Scenario.Server.SocketTimeoutMs != 1000 || *vs[1].Scenario.Server.SocketTimeoutMs != 4000 || *sc.Server.SocketTimeoutMs != 400 {
		t.Errorf("knob values %d %d, base %d", *vs[0].Scenario.Server.SocketTimeoutMs, *vs[1].Scenario.Server.SocketTimeoutMs, *sc.Server.SocketTimeoutMs)
	}
}
