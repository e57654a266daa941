package wire

import (
	"reflect"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

func TestOutcomeMessage(t *testing.T) {
	ok := []Msg{
		{Type: Outcome, Event: &timeline.Event{Kind: timeline.Outcome, Conn: "app1", Pool: "app", Method: "GET", Path: "/", Status: 200, Reused: true}},
		{Type: Outcome, Event: &timeline.Event{Kind: timeline.Outcome, Conn: "web1", Pool: "web", Method: "POST", Path: "/b", Error: "socket hang up", Reused: true}},
		{Type: Outcome, Event: &timeline.Event{Kind: timeline.Outcome, Pool: "app", Method: "GET", Path: "/", Error: `Get "http://demo/": dial tcp demo:80: connect: connection refused`}},
		{Type: Outcome, Event: &timeline.Event{Kind: timeline.Outcome, Conn: "app2", Pool: "app", Method: "GET", Path: "/", Status: 200, Retried: true}},
	}
	for _, m := range ok {
		b, err := Encode(m)
		if err != nil {
			t.Errorf("Encode(%+v): %v", *m.Event, err)
			continue
		}
		got, err := Decode(b)
		if err != nil || !reflect.DeepEqual(got, m) {
			t.Errorf("round trip of %s: %+v, %v", b, got.Event, err)
		}
		if Limit(m.Type) != MaxMessageBytes {
			t.Errorf("an outcome is bounded as the browser's messages are")
		}
	}
	tests := []struct{ name, in, want string }{
		{"no event", `{"type":"outcome"}`, `a outcome message needs "event"`},
		{"another kind", `{"type":"outcome","event":{"t":0,"kind":"close","pool":"app","status":200}}`, `event.kind: "close"; an outcome message carries an "outcome" event`},
		{"a time", `{"type":"outcome","event":{"t":5,"kind":"outcome","pool":"app","status":200}}`, "event.t: set; the session stamps"},
		{"no pool", `{"type":"outcome","event":{"t":0,"kind":"outcome","status":200}}`, `event.pool: "" is not a pool's name`},
		{"status and error", `{"type":"outcome","event":{"t":0,"kind":"outcome","pool":"app","status":200,"error":"EOF"}}`, "not both or neither"},
		{"neither", `{"type":"outcome","event":{"t":0,"kind":"outcome","pool":"app"}}`, "not both or neither"},
		{"bad status", `{"type":"outcome","event":{"t":0,"kind":"outcome","pool":"app","status":1000}}`, "event.status: 1000 is outside 100..599"},
		{"bad conn", `{"type":"outcome","event":{"t":0,"kind":"outcome","pool":"app","conn":"1x","status":200}}`, `event.conn: "1x" is not a connection label`},
		{"long error", `{"type":"outcome","event":{"t":0,"kind":"outcome","pool":"app","error":"` + strings.Repeat("x", MaxOutcomeErrorBytes+1) + `"}}`, "event.error: 513 bytes; the limit is 512"},
		{"other fields", `{"type":"outcome","event":{"t":0,"kind":"outcome","pool":"app","status":200,"data":"x"}}`, "an outcome carries conn, method, path, pool"},
		{"conn on the message", `{"type":"outcome","conn":"A","event":{"t":0,"kind":"outcome","pool":"app","status":200}}`, `a outcome message has no "conn" field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestStepsLeavePoolStepsOut(t *testing.T) {
	raw := "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"
	sc := &scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "go"}, Client: scenario.Client{
		Pools: []scenario.Pool{{Name: "app", Kind: scenario.PoolGo}},
		Steps: []scenario.Step{
			{At: 500, Pool: "app", Request: &scenario.Request{Path: "/late"}},
			{At: 100, Conn: "A", Send: &raw},
			{At: 0, Pool: "app", Request: &scenario.Request{Path: "/first"}},
			{At: 500, Pool: "app", Request: &scenario.Request{Path: "/late2"}},
		},
	}}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"steps: the connection's alone", len(Steps(sc)), 1},
		{"steps: its conn", Steps(sc)[0].Conn, "A"},
		{"pool steps in time order, ties in order", func() []string {
			var out []string
			for _, st := range PoolSteps(sc) {
				out = append(out, st.Request.Path)
			}
			return out
		}(), []string{"/first", "/late", "/late2"}},
		{"no pool steps", PoolSteps(&scenario.Scenario{}), []scenario.Step(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}
