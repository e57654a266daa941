package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

func at(v float64) *float64 { return &v }

// valid holds one well-formed message of every type.
var valid = []Msg{
	{Type: Hello, V: Version},
	{Type: Ping, Seq: 7},
	{Type: Ping},
	{Type: Open, Conn: "A"},
	{Type: Open, Conn: "A", At: at(0)},
	{Type: Write, Conn: "A", Data: []byte("GET / HTTP/1.1\r\nHost: demo\r\n\r\n"), At: at(1000.5)},
	{Type: Shut, Conn: "A"},
	{Type: Reset, Conn: "B_2", At: at(3)},
	{Type: Load, Scenario: json.RawMessage(`{"v":1,"server":{"runtime":"go"}}`)},
	{Type: Control, Action: "closeIdle"},
	{Type: Restart},
	{Type: Ready, V: Version, Session: "s1", Now: 0.25},
	{Type: Pong, Seq: 7, Now: 12},
	{Type: Pong, Seq: 8, Now: 13, Sent: 40},
	{Type: Ev, Seq: 1, Event: &timeline.Event{T: 4003.2, Conn: "A", Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonSocketTimeout}},
	{Type: Loaded, Scenario: json.RawMessage(`{"v":1}`), Program: "const http = require('http');", Now: 3},
	{Type: Error, Code: CodeConn, Message: "no such connection", Conn: "Z"},
	{Type: Bye, Message: "the server is shutting down"},
}

func TestRoundTrip(t *testing.T) {
	for _, m := range valid {
		b, err := Encode(m)
		if err != nil {
			t.Errorf("Encode(%+v): %v", m, err)
			continue
		}
		got, err := Decode(b)
		if err != nil {
			t.Errorf("Decode(%s): %v", b, err)
			continue
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"unknown field", `{"type":"ping","sek":1}`, `unknown field "sek"`},
		{"unknown event field", `{"type":"event","event":{"t":1,"kind":"exit","x":1}}`, `unknown field "x"`},
		{"no type", `{"seq":1}`, `the message has no "type"`},
		{"unknown type", `{"type":"pong2"}`, `unknown message type "pong2"`},
		{"write without data", `{"type":"write","conn":"A"}`, `a write message needs "data"`},
		{"write with empty data", `{"type":"write","conn":"A","data":""}`, `a write message needs "data"`},
		{"write without conn", `{"type":"write","data":"aGk="}`, `a write message needs "conn"`},
		{"bad conn", `{"type":"open","conn":"1A"}`, `conn: "1A" is not a connection label`},
		{"forbidden field", `{"type":"ping","conn":"A"}`, `a ping message has no "conn" field`},
		{"hello without v", `{"type":"hello"}`, `a hello message needs "v"`},
		{"negative at", `{"type":"open","conn":"A","at":-1}`, "at: -1 is not a time"},
		{"negative now", `{"type":"pong","now":-1}`, "now: -1 is not a time"},
		{"bad action", `{"type":"control","action":"kill"}`, `action: "kill" is not one of close, closeIdle, closeAll, exit, shutdown`},
		{"scenario not object", `{"type":"load","scenario":[1]}`, "scenario: must be a JSON object"},
		{"null scenario", `{"type":"load","scenario":null}`, `a load message needs "scenario"`},
		{"bad event", `{"type":"event","event":{"t":1}}`, "event.kind: missing"},
		{"trailing", `{"type":"ping"} {}`, "data after its end"},
		{"not json", `ping`, "not valid"},
		{"bad base64", `{"type":"write","conn":"A","data":"!!"}`, "not valid"},
		{"too large from the browser", `{"type":"load","scenario":{"v":1,"title":"` + strings.Repeat("x", MaxMessageBytes) + `"}}`, "the limit is 65536"},
		{"too large from the server", `{"type":"bye","message":"` + strings.Repeat("x", MaxServerMessageBytes) + `"}`, "the limit is 1048576"},
		{"key in another case", `{"type":"open","conn":"B","CONN":"C"}`, "CONN: unknown field"},
		{"type in another case", `{"Type":"ping"}`, "Type: unknown field"},
		{"duplicate key", `{"type":"open","conn":"B","conn":"C"}`, "conn: duplicate field"},
		{"duplicate type", `{"type":"ping","type":"restart"}`, "type: duplicate field"},
		{"event key in another case", `{"type":"event","event":{"t":1,"kind":"exit","Kind":"listen"}}`, "event.Kind: unknown field"},
		{"data too large", `{"type":"write","conn":"A","data":"` + strings.Repeat("QUFB", MaxWriteBytes/3+1) + `"}`, "one write carries at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("Decode succeeded: a %s message", m.Type)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// TestDeepScenarioIsTheScenarioDecodersToJudge: a load's scenario is any
// JSON object to the wire; the session decodes it as a scenario and
// answers its problems (nesting too deep among them) in a sentence, and
// the session goes on.
func TestDeepScenarioIsTheScenarioDecodersToJudge(t *testing.T) {
	raw := `{"type":"load","scenario":{"v":1,"title":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}}`
	m, err := Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scenario.Decode(m.Scenario); err == nil || !strings.Contains(err.Error(), "nested more than 16 levels deep") {
		t.Errorf("scenario.Decode: %v", err)
	}
}

func TestEncodeChecks(t *testing.T) {
	if _, err := Encode(Msg{Type: Write, Conn: "A"}); err == nil {
		t.Error("Encode accepted a write without data")
	}
	big := Msg{Type: Ev, Event: &timeline.Event{T: 1, Kind: timeline.Recv, Data: strings.Repeat("x", MaxServerMessageBytes)}}
	if _, err := Encode(big); err == nil || !strings.Contains(err.Error(), "the limit is") {
		t.Errorf("Encode of an oversized message: %v", err)
	}
	b, err := Encode(Msg{Type: Ev, Event: &timeline.Event{T: 1, Kind: timeline.Recv, Data: "<html>&"}})
	if err != nil || !bytes.Contains(b, []byte("<html>&")) {
		t.Errorf("HTML should not be escaped: %s, %v", b, err)
	}
}

func TestLimitsFit(t *testing.T) {
	// Any scenario step must fit one write, and a full write one message.
	if MaxWriteBytes < scenario.MaxSendBytes {
		t.Errorf("MaxWriteBytes %d < scenario.MaxSendBytes %d", MaxWriteBytes, scenario.MaxSendBytes)
	}
	b, err := Encode(Msg{Type: Write, Conn: "A123456789abcdef", Data: bytes.Repeat([]byte{0xff}, MaxWriteBytes), At: at(1e15)})
	if err != nil {
		t.Fatalf("a full write does not fit a message: %v", err)
	}
	if len(b) > MaxMessageBytes {
		t.Errorf("%d bytes", len(b))
	}
}

func FuzzDecode(f *testing.F) {
	for _, m := range valid {
		b, err := Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"load","scenario":{ "v" : 1 }}`))
	f.Add([]byte(`{"type":"outcome","event":{"t":0,"kind":"outcome","conn":"web1","pool":"web","method":"GET","path":"/","error":"socket hang up","reused":true}}`))
	f.Add([]byte(`{"type":"outcome","event":{"t":0,"kind":"outcome","pool":"app","status":200,"retried":true}}`))
	f.Add([]byte(`{"type":"write","conn":"A","data":"","at":1e308}`))
	f.Add([]byte(`{"type":"event","event":{"t":0,"kind":"recv","data":"\u003c"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			return
		}
		b, err := Encode(m)
		if err != nil {
			t.Fatalf("Encode of a decoded message: %v", err)
		}
		again, err := Decode(b)
		if err != nil {
			t.Fatalf("a decoded message does not decode again: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", m, again)
		}
	})
}

// The messages a session sends with a proxy in the scenario encode and
// decode: loaded with the proxy's code view, eof with its time.
func TestProxyMessages(t *testing.T) {
	for _, m := range []Msg{
		{Type: Loaded, Scenario: []byte(`{"v":1}`), Program: "p", ProxyProgram: "upstream app {}", Now: 1.5},
		{Type: EOF, Conn: "A", Now: 12.5},
	} {
		data, err := Encode(m)
		if err != nil {
			t.Fatalf("encode %s: %v", m.Type, err)
		}
		got, err := Decode(data)
		if err != nil || got.ProxyProgram != m.ProxyProgram || got.Now != m.Now {
			t.Errorf("%s: %+v %v", m.Type, got, err)
		}
	}
}
