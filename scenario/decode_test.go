package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// examples returns the example scenarios' file names and contents.
func examples(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("../scenarios/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no example scenarios in ../scenarios")
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = b
	}
	return out
}

func TestExamplesDecode(t *testing.T) {
	for name, b := range examples(t) {
		t.Run(name, func(t *testing.T) {
			s, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(s.Checks) == 0 {
				t.Error("an example scenario should say what happens, in checks")
			}
			// The examples run in make test: keep them short (the
			// question on Node 20 needs Node's default 6 s keep-alive).
			if s.DurationMs == 0 || s.DurationMs > 8000 {
				t.Errorf("durationMs = %d; examples run in at most 8 s", s.DurationMs)
			}
			if s.Title == "" {
				t.Error("no title")
			}
			full := s.WithDefaults()
			if err := full.Validate(); err != nil {
				t.Errorf("WithDefaults does not validate: %v", err)
			}
			js, err := Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Decode(js)
			if err != nil {
				t.Fatalf("Decode(Marshal(s)): %v", err)
			}
			if !reflect.DeepEqual(s, again) {
				t.Errorf("round trip changed the scenario:\n%+v\n%+v", s, again)
			}
		})
	}
}

const base = `{"v":1,"server":{"runtime":"node20","routes":[{"path":"*"},{"path":"/x"}]},"client":{"steps":[{"at":0,"conn":"A","open":true}]}}`

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown route field", `{"v":1,"server":{"runtime":"node20","routes":[{"path":"*"},{"path":"/x","thne":"close"}]}}`, "server.routes[1].thne: unknown field"},
		{"unknown top-level field", `{"v":1,"server":{"runtime":"go"},"extra":1}`, "extra: unknown field"},
		{"field names are case-sensitive", `{"v":1,"server":{"runtime":"go","Routes":[]}}`, "server.Routes: unknown field"},
		{"unknown step field", `{"v":1,"server":{"runtime":"go"},"client":{"steps":[{"at":0,"conn":"A","open":true,"wait":1}]}}`, "client.steps[0].wait: unknown field"},
		{"unknown request field", `{"v":1,"server":{"runtime":"go"},"client":{"steps":[{"at":0,"conn":"A","request":{"url":"/"}}]}}`, "client.steps[0].request.url: unknown field"},
		{"unknown since field", `{"v":1,"server":{"runtime":"go"},"checks":[{"kind":"close","since":{"kind":"response","when":1}}]}`, "checks[0].since.when: unknown field"},
		{"duplicate field", `{"v":1,"server":{"runtime":"go","runtime":"node20"}}`, "server.runtime: duplicate field"},
		{"trailing data", base + ` {}`, "data after its closing brace"},
		{"trailing garbage", base + `x`, "data after its closing brace"},
		{"not an object", `[1]`, "must be a JSON object"},
		{"empty", ``, "the scenario is empty"},
		{"syntax", `{"v":1,`, "cut short"},
		{"bad syntax", `{"v":1 "x"}`, "not valid JSON"},
		{"missing v", `{"server":{"runtime":"go"}}`, `v: missing`},
		{"null v", `{"v":null,"server":{"runtime":"go"}}`, `v: missing`},
		{"v 0", `{"v":0,"server":{"runtime":"go"}}`, "v: 0 is not a schema version"},
		{"negative v", `{"v":-3,"server":{"runtime":"go"}}`, "v: -3 is not a schema version"},
		{"string v", `{"v":"1","server":{"runtime":"go"}}`, `v: "1" is not a schema version`},
		{"newer v", `{"v":2,"server":{"runtime":"go"}}`, "this link was made by a newer version of the playground (schema v2); this build reads v1"},
		{"wrong type", `{"v":1,"server":{"runtime":"go"},"durationMs":"long"}`, "durationMs: expected int"},
		{"then a number", `{"v":1,"server":{"runtime":"node26","routes":[{"path":"*","then":3}]}}`, "then: expected an action or a list of actions, got JSON number"},
		{"then a list with a number", `{"v":1,"server":{"runtime":"node26","routes":[{"path":"*","then":["close",3]}]}}`, "then: expected an action or a list of actions, got JSON array with a non-string"},
		{"invalid", `{"v":1,"server":{"runtime":"node21"}}`, `server.runtime: "node21" is not one of node26, node24, node22, node20, node18, go`},
		{"too large", `{"v":1,"title":"` + strings.Repeat("x", MaxScenarioBytes) + `"}`, "the limit is 65536"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("Decode succeeded: %+v", s)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDecodeCanonical(t *testing.T) {
	s, err := Decode([]byte(`{"v":1,"server":{"runtime":"node20","routes":[]},"client":{"steps":[{"at":0,"conn":"A","request":{"headers":{}}}]},"checks":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Server.Routes != nil || s.Checks != nil || s.Client.Steps[0].Request.Headers != nil {
		t.Errorf("empty lists and maps should decode to nil: %+v", s)
	}
}

func TestDecodeProblemsAreInspectable(t *testing.T) {
	_, err := Decode([]byte(`{"v":1,"server":{"runtime":"go","socketTimeoutMs":5,"routes":[{"path":"x"}]}}`))
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T) is not Problems", err, err)
	}
	if len(ps) != 2 {
		t.Errorf("got %d problems, want 2: %v", len(ps), ps)
	}
}

func TestUpgrade(t *testing.T) {
	// A made-up history: v1 called the run length "lengthMs", v2 renamed it
	// to "durationMs". The table runs in order from the document's version.
	table := map[int]migration{
		1: func(doc map[string]json.RawMessage) error {
			if v, ok := doc["lengthMs"]; ok {
				doc["runMs"] = v
				delete(doc, "lengthMs")
			}
			return nil
		},
		2: func(doc map[string]json.RawMessage) error {
			if v, ok := doc["runMs"]; ok {
				doc["durationMs"] = v
				delete(doc, "runMs")
			}
			return nil
		},
	}
	tests := []struct {
		name, in, want, wantErr string
	}{
		{"from v1", `{"v":1,"lengthMs":5}`, `{"durationMs":5,"v":3}`, ""},
		{"from v2", `{"v":2,"runMs":5}`, `{"durationMs":5,"v":3}`, ""},
		{"current", `{"v":3,"durationMs":5}`, `{"v":3,"durationMs":5}`, ""},
		{"newer", `{"v":4}`, "", "schema v4); this build reads v3"},
		{"gap", `{"v":1}`, "", "schema v1 cannot be upgraded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := table
			if tt.name == "gap" {
				tb = map[int]migration{2: table[2]}
			}
			out, err := upgrade([]byte(tt.in), 3, tb)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("got %s, want %s", out, tt.want)
			}
		})
	}
	failing := map[int]migration{1: func(map[string]json.RawMessage) error { return errors.New("boom") }}
	if _, err := upgrade([]byte(`{"v":1}`), 2, failing); err == nil || !strings.Contains(err.Error(), "upgrade schema v1 to v2: boom") {
		t.Errorf("err = %v", err)
	}
}

// designExample is the scenario shown in DESIGN.md, verbatim.
const designExample = `{
  "v": 1,
  "title": "Idle timeout, then /end",
  "server": {
    "runtime": "node20",
    "socketTimeoutMs": 4000,
    "keepAliveTimeoutMs": 5000,
    "headersTimeoutMs": 60000,
    "requestTimeoutMs": 300000,
    "keepAlive": true,
    "unrefSockets": false,
    "routes": [
      {"path": "/end", "body": "Closedown", "then": "close"},
      {"path": "/slow", "body": "late", "delayMs": 1500},
      {"path": "*", "body": "Hello World!"}
    ]
  },
  "client": {
    "steps": [
      {"at": 0,    "conn": "A", "send": "GET /test HTTP/1.1\r\nHost: demo\r\nConnection: keep-alive\r\n\r\n"},
      {"at": 1000, "conn": "B", "send": "GET /end HTTP/1.1\r\nHost: demo\r\nConnection: keep-alive\r\n\r\n"}
    ]
  },
  "durationMs": 10000
}`

func TestDecodeDesignExample(t *testing.T) {
	s, err := Decode([]byte(designExample))
	if err != nil {
		t.Fatal(err)
	}
	if *s.Server.SocketTimeoutMs != 4000 || len(s.Server.Routes) != 3 || s.Server.Routes[1].DelayMs != 1500 ||
		*s.Client.Steps[1].Send != "GET /end HTTP/1.1\r\nHost: demo\r\nConnection: keep-alive\r\n\r\n" {
		t.Errorf("decoded %+v", s)
	}
	if _, err := EncodeLink(s); err != nil {
		t.Error(err)
	}
}

// nested is a scenario whose title is an array nested n deep.
func nested(n int) []byte {
	return []byte(`{"v":1,"server":{"runtime":"node20"},"title":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`)
}

func TestDecodeNestingIsCapped(t *testing.T) {
	if _, err := Decode(nested(MaxDepth - 2)); err == nil || strings.Contains(err.Error(), "nested") {
		t.Errorf("%d levels: %v, want a type error, not a nesting one", MaxDepth-2, err)
	}
	_, err := Decode(nested(5_000))
	want := "title" + strings.Repeat("[0]", MaxDepth-1) + ": nested more than 16 levels deep"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant %s", err, want)
	}
}

// TestDecodeMemoryIsLinear holds Decode to memory in proportion to the
// document's size: a 20 KB title nested 10,000 arrays deep used to cost
// about 150 MB (a path string per level, all of them kept).
func TestDecodeMemoryIsLinear(t *testing.T) {
	for _, n := range []int{100, 1000, 9_000, MaxScenarioBytes/2 - 64} {
		doc := nested(n)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		Decode(doc)
		runtime.ReadMemStats(&after)
		if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(64*len(doc)+256<<10); got > limit {
			t.Errorf("%d levels (%d bytes): Decode allocated %d bytes, more than %d", n, len(doc), got, limit)
		}
	}
}

func TestPathsAreSpelledOnlyForErrors(t *testing.T) {
	key := func(k string) pathElem { return pathElem{key: []byte(k), isKey: true} }
	tests := []struct {
		path []pathElem
		want string
	}{
		{nil, "(top level)"},
		{[]pathElem{key("v")}, "v"},
		{[]pathElem{key("server"), key("routes"), {index: 1}, key("thne")}, "server.routes[1].thne"},
		{[]pathElem{key("title"), {index: 0}}, "title[0]"},
		{[]pathElem{key("client"), key("")}, `client.""`},
	}
	for _, tt := range tests {
		if got := pathString(tt.path); got != tt.want {
			t.Errorf("path = %q, want %q", got, tt.want)
		}
	}
}

// tokenWalk is the key check done with encoding/json's tokens: slower, and
// the reference the byte scanner is held to.
func tokenWalk(dec *json.Decoder, t reflect.Type, depth int) (string, bool) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessage {
		var raw json.RawMessage
		return "", dec.Decode(&raw) == nil
	}
	tok, err := dec.Token()
	if err != nil {
		return "", false
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return "", true
	}
	if depth >= MaxDepth {
		return "nested", true
	}
	switch delim {
	case '{':
		var fields map[string]reflect.Type
		var elem reflect.Type
		if t != nil && t.Kind() == reflect.Struct {
			fields = jsonFields(t)
		} else if t != nil && t.Kind() == reflect.Map {
			elem = t.Elem()
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return "", false
			}
			key := tok.(string)
			if seen[key] {
				return "duplicate", true
			}
			seen[key] = true
			next := elem
			if fields != nil {
				if next, ok = fields[key]; !ok {
					return "unknown", true
				}
			}
			if verdict, ok := tokenWalk(dec, next, depth+1); verdict != "" || !ok {
				return verdict, ok
			}
		}
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if verdict, ok := tokenWalk(dec, elem, depth+1); verdict != "" || !ok {
				return verdict, ok
			}
		}
	}
	_, err = dec.Token()
	return "", err == nil
}

// FuzzCheckFields holds the byte scanner to the token walk on every valid
// JSON document: the same verdict (none, unknown, duplicate, nested).
func FuzzCheckFields(f *testing.F) {
	for _, b := range examples(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"v":1,"server":{"runtime":"go","Routes":[]}}`))
	f.Add([]byte(`{"v":1,"server":{"runtime":"go","runtime":"node20"}}`))
	f.Add([]byte(`{"v":1,"title":"\u0074","server":{"r\u0075ntime":"go"}}`))
	f.Add([]byte(`{"v":1,"client":{"steps":[{"request":{"headers":{"a":"b","a":"c"}}}]}}`))
	f.Add(nested(20))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		want, ok := tokenWalk(dec, reflect.TypeFor[Scenario](), 0)
		if !ok {
			return
		}
		err := checkFields(data, reflect.TypeFor[Scenario]())
		got := ""
		switch {
		case err == nil:
		case strings.HasSuffix(err.Error(), "unknown field"):
			got = "unknown"
		case strings.HasSuffix(err.Error(), "duplicate field"):
			got = "duplicate"
		case strings.Contains(err.Error(), "nested more than"):
			got = "nested"
		default:
			got = err.Error()
		}
		if got != want {
			t.Fatalf("scanner says %q (%v), tokens say %q, of %s", got, err, want, data)
		}
	})
}

// TestThenJSON: one action reads and writes as a string, as links made
// before lists did; a list reads and writes as an array; both decode to
// the same Then.
func TestThenJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Then
		out  string
	}{
		{`"close"`, Then{ThenClose}, `"close"`},
		{`["close"]`, Then{ThenClose}, `"close"`},
		{`["destroy","close"]`, Then{ThenDestroy, ThenClose}, `["destroy","close"]`},
	} {
		doc := `{"v":1,"server":{"runtime":"node26","routes":[{"path":"*","then":` + tc.in + `}]}}`
		sc, err := Decode([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := sc.Server.Routes[0].Then; !slices.Equal(got, tc.want) {
			t.Errorf("%s decodes to %q, want %q", tc.in, got, tc.want)
		}
		out, err := Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		if want := `"then":` + tc.out; !strings.Contains(string(out), want) {
			t.Errorf("%s encodes as %s, want it to hold %s", tc.in, out, want)
		}
	}
	sc, err := Decode([]byte(`{"v":1,"server":{"runtime":"node26","routes":[{"path":"*","then":[]}]}}`))
	if err != nil || sc.Server.Routes[0].Then != nil {
		t.Errorf("an empty list: %v, %#v; want no actions (none)", err, sc)
	}
}
