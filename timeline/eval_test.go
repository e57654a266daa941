package timeline

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// story is the timeline of the story's answer 2: A idles into a socket
// timeout while B asks for /end.
var story = []Event{
	{T: 0.5, Conn: "A", Kind: Connect},
	{T: 0.8, Conn: "A", Kind: Accept},
	{T: 1.0, Conn: "A", Kind: Send, Data: "GET /test HTTP/1.1\r\nHost: demo\r\nConnection: keep-alive\r\n\r\n"},
	{T: 1.5, Conn: "A", Kind: Request, Method: "GET", Path: "/test"},
	{T: 2.2, Conn: "A", Kind: Response, Status: 200},
	{T: 2.5, Conn: "A", Kind: Recv, Data: "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\nc\r\nHello World!\r\n0\r\n\r\n"},
	{T: 1000.3, Conn: "B", Kind: Connect},
	{T: 1000.6, Conn: "B", Kind: Accept},
	{T: 1001.0, Conn: "B", Kind: Request, Method: "GET", Path: "/end"},
	{T: 1001.2, Kind: CloseCalled},
	{T: 1001.5, Kind: ListenerClosed},
	{T: 1002.0, Conn: "B", Kind: Response, Status: 200},
	{T: 1002.4, Conn: "B", Kind: Close, By: ByServer, Reason: ReasonServerClose},
	{T: 1500.0, Conn: "C", Kind: Refused, Error: "connect: connection refused"},
	{T: 4003.2, Conn: "A", Kind: Close, By: ByServer, Reason: ReasonSocketTimeout},
	{T: 4003.6, Conn: "A", Kind: Close, By: ByClient, Reason: ReasonClient},
	{T: 4004.0, Kind: Exit},
}

func ip(v int) *int         { return &v }
func fp(v float64) *float64 { return &v }
func since(m Match) *Match  { return &m }
func parse(t *testing.T, js string) Check {
	t.Helper()
	var c Check
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return c
}

func TestEval(t *testing.T) {
	reused := append([]Event{}, story[:6]...)
	reused = append(reused,
		Event{T: 300, Conn: "A", Kind: Request, Method: "GET", Path: "/again"},
		Event{T: 301, Conn: "A", Kind: Response, Status: 404},
		Event{T: 801, Conn: "A", Kind: Close, By: ByServer, Reason: ReasonIdleTimeout},
	)
	tests := []struct {
		name   string
		check  string
		events []Event
		pass   bool
		detail string
	}{
		// The DESIGN.md / check.go examples.
		{"an exit event exists", `{"name":"an exit event exists", "kind":"exit"}`, story, true, "exit at 4004.0 ms"},
		{"no exit", `{"name":"no exit", "kind":"exit", "count":0}`, story, false,
			`expected exactly 0 "exit" events, found 1: exit at 4004.0 ms`},
		{"no exit, passing", `{"kind":"exit", "count":0}`, story[:10], true, `no "exit" event, as expected`},
		{"the second request on A got a response", `{"conn":"A", "kind":"response", "nth":2}`, story, false,
			`wanted the 2nd "conn A response" event, but there is only 1`},
		{"the second request on A got a response, passing", `{"conn":"A", "kind":"response", "nth":2}`, reused, true,
			"conn A response 404 at 301.0 ms"},
		{"A closed 4000–4200 ms after its last response",
			`{"conn":"A", "kind":"close", "by":"server", "since":{"conn":"A","kind":"response"}, "minMs":4000, "maxMs":4200}`, story, true,
			"conn A close by server (socket-timeout) at 4003.2 ms, 4001.0 ms after conn A response 200 at 2.2 ms"},
		{"outside the window",
			`{"conn":"A", "kind":"close", "by":"server", "since":{"kind":"response"}, "minMs":400, "maxMs":900}`, story, false,
			"conn A close by server (socket-timeout) at 4003.2 ms, 4001.0 ms after conn A response 200 at 2.2 ms: outside 400.0–900.0 ms"},
		{"since defaults to the candidate's conn: the last response on A, not B's",
			`{"conn":"A", "kind":"close", "by":"server", "since":{"kind":"response"}, "minMs":4000}`, story, true,
			"4001.0 ms after conn A response 200 at 2.2 ms"},
		{"since on any conn", `{"conn":"A", "kind":"close", "by":"server", "since":{"conn":"*","kind":"response"}, "maxMs":3100}`, story, true,
			"3001.2 ms after conn B response 200 at 1002.0 ms"},
		{"since a server event needs *", `{"conn":"B", "kind":"close", "since":{"kind":"close-called"}}`, story, false,
			`conn B close by server (server-close) at 1002.4 ms, but no "close-called" event before it`},
		{"since a server event, from a conn", `{"conn":"B", "kind":"close", "since":{"conn":"*","kind":"close-called"}, "maxMs":5}`, story, true,
			"1.2 ms after close-called at 1001.2 ms"},
		{"server event since server event", `{"kind":"exit", "since":{"kind":"close-called"}, "minMs":3000}`, story, true,
			"exit at 4004.0 ms, 3002.8 ms after close-called at 1001.2 ms"},
		{"server event since a conn event is never own-conn", `{"kind":"exit", "since":{"kind":"close"}}`, story, false,
			`but no "close" event before it`},
		{"nth -1 is the last", `{"kind":"close", "nth":-1}`, story, true, "conn A close by client at 4003.6 ms"},
		{"nth 1", `{"kind":"close", "nth":1}`, story, true, "conn B close by server (server-close) at 1002.4 ms"},
		{"nth misses the window", `{"kind":"close", "nth":1, "minMs":2000}`, story, false, "at 1002.4 ms: outside at least 2000.0 ms"},
		{"count in a window", `{"kind":"close", "by":"server", "count":1, "maxMs":2000}`, story, true,
			`exactly 1 "close by server" event by 2000.0 ms: conn B close by server (server-close) at 1002.4 ms (1 more outside the window)`},
		{"count wrong", `{"kind":"close", "count":1}`, story, false, `expected exactly 1 "close" event, found 3`},
		{"any in window, first misses", `{"kind":"close", "minMs":4003.5}`, story, true, "conn A close by client at 4003.6 ms"},
		{"none in window", `{"kind":"close", "minMs":5000}`, story, false,
			`none of 3 "close" events at or after 5000.0 ms; the first: conn B close by server (server-close) at 1002.4 ms: outside at least 5000.0 ms`},
		{"max only, inclusive", `{"kind":"exit", "maxMs":4004}`, story, true, "exit at 4004.0 ms"},
		{"min inclusive", `{"kind":"exit", "minMs":4004}`, story, true, "exit at 4004.0 ms"},
		{"no candidates", `{"conn":"Z", "kind":"send"}`, story, false, `no "conn Z send" event`},
		{"contains data", `{"conn":"A", "kind":"recv", "contains":"Transfer-Encoding: chunked"}`, story, true, "conn A recv at 2.5 ms"},
		{"contains misses", `{"conn":"A", "kind":"recv", "contains":"Connection: close"}`, story, false,
			`no "conn A recv containing 'Connection: close'" event`},
		{"a target with a tab shows it", `{"kind":"request", "path":"/a\tb"}`, story, false,
			`no "request /a\tb" event`},
		{"contains CRLF shows it", `{"conn":"A", "kind":"recv", "contains":"close\r\n\r\n"}`, story, false,
			`no "conn A recv containing 'close\r\n\r\n'" event`},
		{"contains error", `{"kind":"refused", "contains":"connection refused"}`, story, true, "conn C refused at 1500.0 ms"},
		{"method and path", `{"kind":"request", "method":"GET", "path":"/end"}`, story, true, "conn B request GET /end at 1001.0 ms"},
		{"status", `{"kind":"response", "status":404}`, story, false, `no "response 404" event`},
		{"reason", `{"kind":"close", "reason":"socket-timeout", "by":"server"}`, story, true, "at 4003.2 ms"},
		{"empty trace", `{"kind":"exit"}`, nil, false, `no "exit" event`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parse(t, tt.check)
			r := c.Eval(tt.events)
			if r.Pass != tt.pass {
				t.Errorf("Pass = %v, want %v (%s)", r.Pass, tt.pass, r.Detail)
			}
			if !strings.Contains(r.Detail, tt.detail) {
				t.Errorf("Detail = %q\nwant it to contain %q", r.Detail, tt.detail)
			}
			if r.Name == "" {
				t.Error("Result.Name is empty")
			}
		})
	}
}

func TestEvalOrder(t *testing.T) {
	// Out of order input is considered in time order; equal times keep
	// their recorded order, so a response recorded before a close at the
	// same instant counts as "before" it.
	evs := []Event{
		{T: 10, Conn: "A", Kind: Close, By: ByServer},
		{T: 10, Conn: "A", Kind: Response, Status: 200},
		{T: 5, Conn: "A", Kind: Response, Status: 201},
	}
	c := Check{Match: Match{Conn: "A", Kind: Close}, Since: &Match{Kind: Response}}
	r := c.Eval(evs)
	if !r.Pass || !strings.Contains(r.Detail, "5.0 ms after conn A response 201 at 5.0 ms") {
		t.Errorf("got %v %q", r.Pass, r.Detail)
	}
	evs[0], evs[1] = evs[1], evs[0]
	r = c.Eval(evs)
	if !strings.Contains(r.Detail, "0.0 ms after conn A response 200 at 10.0 ms") {
		t.Errorf("got %q", r.Detail)
	}
	if evs[0].Kind != Response || evs[2].T != 5 {
		t.Error("Eval reordered its input")
	}
}

func TestEvalAll(t *testing.T) {
	checks := []Check{
		{Name: "exit", Match: Match{Kind: Exit}},
		{Match: Match{Kind: Exit}, Count: ip(0)},
	}
	rs := EvalAll(checks, story)
	if len(rs) != 2 || !rs[0].Pass || rs[1].Pass || rs[0].Name != "exit" || rs[1].Name != `no "exit" event` {
		t.Errorf("EvalAll = %+v", rs)
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		check Check
		want  string
	}{
		{Check{Name: "given", Match: Match{Kind: Exit}}, "given"},
		{Check{Match: Match{Kind: Exit}}, `a "exit" event`},
		{Check{Match: Match{Kind: Exit}, Count: ip(0)}, `no "exit" event`},
		{Check{Match: Match{Kind: Close}, Count: ip(2)}, `exactly 2 "close" events`},
		{Check{Match: Match{Conn: "A", Kind: Response}, Nth: 2}, `the 2nd "conn A response" event`},
		{Check{Match: Match{Kind: Request}, Nth: -1}, `the last "request" event`},
		{Check{Match: Match{Conn: "A", Kind: Close, By: ByServer, Reason: ReasonSocketTimeout},
			Since: since(Match{Kind: Response}), MinMs: fp(4000), MaxMs: fp(4200)},
			`a "conn A close by server (socket-timeout)" event 4000.0–4200.0 ms after the last "response"`},
		{Check{Match: Match{Kind: Close}, Since: since(Match{Conn: AnyConn, Kind: CloseCalled}), MaxMs: fp(500)},
			`a "close" event at most 500.0 ms after the last "close-called on any connection"`},
		{Check{Match: Match{Kind: Exit}, MinMs: fp(1), MaxMs: fp(2)}, `a "exit" event at 1.0–2.0 ms`},
		{Check{Match: Match{Kind: Recv, Contains: "hi"}, Nth: 11}, `the 11th "recv containing 'hi'" event`},
		{Check{Match: Match{Kind: Recv}, Nth: 22}, `the 22nd "recv" event`},
		{Check{Match: Match{Kind: Recv}, Nth: 3}, `the 3rd "recv" event`},
	}
	for _, tt := range tests {
		if got := tt.check.Describe(); got != tt.want {
			t.Errorf("Describe() = %q, want %q", got, tt.want)
		}
	}
}

func TestCheckValidate(t *testing.T) {
	tests := []struct {
		check Check
		want  []string
	}{
		{Check{Match: Match{Kind: Exit}}, nil},
		{Check{}, []string{"kind: missing; one of connect"}},
		{Check{Match: Match{Kind: "exited", By: "kernel", Reason: "tired", Status: 700}},
			[]string{`kind: "exited" is not one of`, `by: "kernel" is not one of server, client`, `reason: "tired" is not one of`, "status: 700 is outside 100..599"}},
		{Check{Match: Match{Kind: Exit}, Nth: -2}, []string{"nth: -2"}},
		{Check{Match: Match{Kind: Exit}, Count: ip(-1)}, []string{"count: -1 is negative"}},
		{Check{Match: Match{Kind: Exit}, Count: ip(1), Nth: 1}, []string{"nth: cannot be combined with count"}},
		{Check{Match: Match{Kind: Exit}, MinMs: fp(-1), MaxMs: fp(5e9)}, []string{"minMs: -1 is outside", "maxMs: 5e+09 is outside"}},
		{Check{Match: Match{Kind: Exit}, MinMs: fp(2), MaxMs: fp(1)}, []string{"maxMs: 1 is less than minMs (2)"}},
		{Check{Match: Match{Kind: Exit}, Since: &Match{}}, []string{"since.kind: missing"}},
		{Check{Match: Match{Kind: Exit}, Since: &Match{Kind: "x"}}, []string{`since.kind: "x" is not one of`}},
		{Check{Match: Match{Kind: Exit, Contains: strings.Repeat("x", MaxContains+1)}}, []string{"contains: 1025 bytes"}},
		{Check{Name: strings.Repeat("x", MaxCheckText+1), Match: Match{Kind: Exit}}, []string{"name: 501 bytes"}},
	}
	for _, tt := range tests {
		err := tt.check.Validate()
		if tt.want == nil {
			if err != nil {
				t.Errorf("%+v: %v", tt.check, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%+v: no error, want %q", tt.check, tt.want)
			continue
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != len(tt.want) {
			t.Errorf("%+v: %d problems, want %d:\n%v", tt.check, len(lines), len(tt.want), err)
			continue
		}
		for i, w := range tt.want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("problem %d = %q, want prefix %q", i, lines[i], w)
			}
		}
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%v: no FieldError inside", err)
		}
	}
}
