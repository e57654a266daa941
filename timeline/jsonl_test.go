package timeline

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestJSONLRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSONL(&b, story); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "\n"); n != len(story) {
		t.Fatalf("%d lines for %d events", n, len(story))
	}
	if strings.Contains(b.String(), `\u003c`) {
		t.Error("HTML escaping makes raw bytes unreadable")
	}
	got, err := ParseJSONL(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, story) {
		t.Error("round trip changed the events")
	}
}

func TestParseJSONL(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		err      string
	}{
		{"design example", `{"t": 4003.2, "conn": "A", "kind": "close", "by": "server", "reason": "socket-timeout"}`, 1, ""},
		{"blank lines and CRLF", "\n{\"t\":1,\"kind\":\"exit\"}\r\n\r\n{\"t\":2,\"kind\":\"exit\"}\n", 2, ""},
		{"empty", "", 0, ""},
		{"unknown field", `{"t":1,"kind":"exit","extra":1}`, 0, `line 1: json: unknown field "extra"`},
		{"no kind", "\n" + `{"t":1}`, 0, "line 2: kind: missing"},
		{"negative time", `{"t":-1,"kind":"exit"}`, 0, "line 1: t: -1 is not a time"},
		{"two on a line", `{"t":1,"kind":"exit"}{"t":2,"kind":"exit"}`, 0, "line 1: data after the event"},
		{"not json", `hello`, 0, "line 1: invalid character"},
		{"too long", `{"t":1,"kind":"recv","data":"` + strings.Repeat("x", MaxEventLineBytes) + `"}`, 0, "a line is longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := ParseJSONL(strings.NewReader(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != tt.n {
				t.Errorf("%d events, want %d", len(evs), tt.n)
			}
		})
	}
}

func TestTrace(t *testing.T) {
	tr := Trace{Scenario: []byte(`{"v":1, "server":{"runtime":"go"}}`), Events: story}
	b, err := tr.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(`{"v":1,"scenario":{"v":1,"server":{"runtime":"go"}},"events":[`)) {
		t.Errorf("encoded: %.80s", b)
	}
	got, err := DecodeTrace(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.V != TraceVersion || !reflect.DeepEqual(got.Events, story) || string(got.Scenario) != `{"v":1,"server":{"runtime":"go"}}` {
		t.Errorf("decoded %+v", got)
	}
	empty, err := Trace{}.Encode()
	if err != nil || string(empty) != `{"v":1,"events":[]}` {
		t.Errorf("empty trace = %s, %v", empty, err)
	}

	tests := []struct{ name, in, err string }{
		{"unknown field", `{"v":1,"events":[],"x":1}`, `unknown field "x"`},
		{"unknown event field", `{"v":1,"events":[{"t":1,"kind":"exit","when":2}]}`, `unknown field "when"`},
		{"no version", `{"events":[]}`, "v: missing"},
		{"newer", `{"v":2,"events":[]}`, "newer version of the playground (trace v2); this build reads v1"},
		{"negative version", `{"v":-1,"events":[]}`, "v: -1 is not a trace version"},
		{"trailing", `{"v":1,"events":[]} x`, "data after its end"},
		{"bad event", `{"v":1,"events":[{"t":1,"kind":"exit"},{"t":1}]}`, "events[1].kind: missing"},
		{"scenario not an object", `{"v":1,"scenario":[1],"events":[]}`, "scenario: must be a JSON object"},
		{"too large", `{"v":1,"events":[],"scenario":{"x":"` + strings.Repeat("x", MaxTraceBytes) + `"}}`, "the limit is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeTrace([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err = %v, want %q", err, tt.err)
			}
		})
	}
}

func FuzzDecodeTrace(f *testing.F) {
	seed, _ := Trace{Scenario: []byte(`{"v":1}`), Events: story}.Encode()
	f.Add(seed)
	f.Add([]byte(`{"v":1,"events":[]}`))
	f.Add([]byte(`{"v":1,"scenario":null,"events":null}`))
	f.Add([]byte(`{"v":1,"scenario":{ "a" : [1, 2] },"events":[{"t":0,"kind":"x","data":"<\u0000>"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := DecodeTrace(data)
		if err != nil {
			return
		}
		b, err := tr.Encode()
		if err != nil {
			t.Fatalf("Encode of a decoded trace: %v", err)
		}
		again, err := DecodeTrace(b)
		if err != nil {
			t.Fatalf("a decoded trace does not decode again: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(tr, again) {
			t.Fatalf("round trip changed the trace:\n%s", b)
		}
	})
}

func FuzzParseJSONL(f *testing.F) {
	var b bytes.Buffer
	WriteJSONL(&b, story)
	f.Add(b.Bytes())
	f.Add([]byte("{\"t\":1,\"kind\":\"exit\"}\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := ParseJSONL(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteJSONL(&out, evs); err != nil {
			t.Fatal(err)
		}
		again, err := ParseJSONL(&out)
		if err != nil || !reflect.DeepEqual(evs, again) {
			t.Fatalf("round trip: %v", err)
		}
		// Any events: evaluating a check over them must not panic.
		c := Check{Match: Match{Kind: Close}, Since: &Match{Conn: AnyConn, Kind: Response}, MaxMs: new(float64)}
		c.Eval(evs)
		c.Describe()
	})
}
