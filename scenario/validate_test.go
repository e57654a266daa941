package scenario

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/timeline"
)

func valid() Scenario {
	send := "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"
	return Scenario{
		V:      Version,
		Server: Server{Runtime: "node20", Routes: []Route{{Path: "/end", Then: Then{ThenClose}}, {Path: "/a*"}, {Path: "*"}}},
		Client: Client{Steps: []Step{{At: 0, Conn: "A", Send: &send}, {At: 100, Conn: "A", Close: true}}},
	}
}

func TestValidateProblems(t *testing.T) {
	n := func(v int) *int { return &v }
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name   string
		mutate func(s *Scenario)
		want   []string // every line of the error, in order
	}{
		{"valid", func(*Scenario) {}, nil},
		{"then typo", func(s *Scenario) { s.Server.Routes[2].Then = Then{"closeIdel"} },
			[]string{`server.routes[2].then: "closeIdel" is not one of none, close, closeIdle, closeAll, destroy, exit, drain`}},
		{"go then", func(s *Scenario) { s.Server.Runtime = "go"; s.Server.Routes[0].Then = Then{ThenCloseIdle} },
			[]string{`server.routes[0].then: "closeIdle" is not one of none, shutdown, close, destroy, exit, drain`}},
		{"node has no shutdown", func(s *Scenario) { s.Server.Routes[0].Then = Then{ThenShutdown} },
			[]string{`server.routes[0].then: "shutdown" is not one of none, close, closeIdle, closeAll, destroy, exit, drain`}},
		{"then list", func(s *Scenario) { s.Server.Routes[0].Then = Then{ThenDestroy, ThenClose} }, nil},
		{"then list with a typo", func(s *Scenario) { s.Server.Routes[0].Then = Then{ThenDestroy, "clsoe"} },
			[]string{`server.routes[0].then: action 2: "clsoe" is not one of none, close, closeIdle, closeAll, destroy, exit, drain`}},
		{"then none with others", func(s *Scenario) { s.Server.Routes[0].Then = Then{ThenClose, ThenNone} },
			[]string{`server.routes[0].then: action 2: "none" means no action; it cannot be listed with others`}},
		{"then twice", func(s *Scenario) { s.Server.Routes[0].Then = Then{ThenClose, ThenCloseAll, ThenClose} },
			[]string{`server.routes[0].then: action 3: "close" is listed twice`}},
		{"node exit ends the handler", func(s *Scenario) { s.Server.Routes[0].Then = Then{ThenExit, ThenClose} },
			[]string{`server.routes[0].then: action 1: nothing runs after "exit" (process.exit()): it can only be the last action`}},
		{"go destroy ends the handler", func(s *Scenario) { s.Server.Runtime = "go"; s.Server.Routes[0].Then = Then{ThenDestroy, ThenShutdown} },
			[]string{`server.routes[0].then: action 1: nothing runs after "destroy" (panic(http.ErrAbortHandler)): it can only be the last action`}},
		{"node drain then close", func(s *Scenario) { s.Server.Routes[0].Then = Then{ThenDrain, ThenClose}; s.Server.DrainMs = n(500) }, nil},
		{"node drain then destroy", func(s *Scenario) { s.Server.Routes[0].Then = Then{ThenDrain, ThenDestroy} }, nil},
		{"drain alone", func(s *Scenario) { s.Server.Routes[0].Then = Then{ThenDrain} }, nil},
		{"go drain then shutdown", func(s *Scenario) {
			s.Server.Runtime = "go"
			s.Server.Routes[0].Then = Then{ThenDrain, ThenShutdown}
			s.Server.Routes[1].Readiness = true
		}, nil},
		{"go drain then exit", func(s *Scenario) { s.Server.Runtime = "go"; s.Server.Routes[0].Then = Then{ThenDrain, ThenExit} }, nil},
		{"go destroy cannot follow drain", func(s *Scenario) { s.Server.Runtime = "go"; s.Server.Routes[0].Then = Then{ThenDrain, ThenDestroy} },
			[]string{`server.routes[0].then: action 2: "destroy" (panic(http.ErrAbortHandler)) aborts the handler, which has returned when the drain period ends: it cannot follow "drain"`}},
		{"drain twice", func(s *Scenario) { s.Server.Routes[0].Then = Then{ThenDrain, ThenClose, ThenDrain} },
			[]string{`server.routes[0].then: action 3: "drain" is listed twice`}},
		{"drain period range", func(s *Scenario) { s.Server.DrainMs = n(-1) },
			[]string{"server.drainMs: -1 is outside 0..120000"}},
		{"drain period too long", func(s *Scenario) { s.Server.Runtime = "go"; s.Server.DrainMs = n(MaxDurationMs + 1) },
			[]string{"server.drainMs: 120001 is outside 0..120000"}},
		{"readiness route", func(s *Scenario) { s.Server.Routes[1].Readiness = true }, nil},
		{"go shutdown then close", func(s *Scenario) { s.Server.Runtime = "go"; s.Server.Routes[0].Then = Then{ThenShutdown, ThenClose} }, nil},
		{"too many actions", func(s *Scenario) {
			s.Server.Routes[0].Then = Then{ThenCloseIdle, ThenCloseAll, ThenClose, ThenDestroy, ThenExit}
		},
			[]string{`server.routes[0].then: 5 actions; the limit is 4`}},
		{"buffer knob on node20", func(s *Scenario) { s.Server.KeepAliveTimeoutBufferMs = n(0) },
			[]string{"server.keepAliveTimeoutBufferMs: only for node26, node24, node22; node20 does not have it"}},
		{"buffer knob on node24", func(s *Scenario) { s.Server.Runtime = "node24"; s.Server.KeepAliveTimeoutBufferMs = n(0) }, nil},
		{"buffer knob range", func(s *Scenario) { s.Server.Runtime = "node26"; s.Server.KeepAliveTimeoutBufferMs = n(-1) },
			[]string{"server.keepAliveTimeoutBufferMs: -1 is outside 0..600000"}},
		{"buffer knob on go", func(s *Scenario) { s.Server.Runtime = "go"; s.Server.KeepAliveTimeoutBufferMs = n(5) },
			[]string{"server.keepAliveTimeoutBufferMs: only for node26, node24, node22; go does not have it"}},
		{"go knob on node", func(s *Scenario) { s.Server.IdleTimeoutMs = n(5) },
			[]string{"server.idleTimeoutMs: only for the go runtime"}},
		{"node knobs on go", func(s *Scenario) {
			s.Server.Runtime = "go"
			s.Server.SocketTimeoutMs = n(5)
			s.Server.UnrefSockets = new(bool)
		}, []string{"server.socketTimeoutMs: only for the node runtimes", "server.unrefSockets: only for the node runtimes"}},
		{"missing runtime", func(s *Scenario) { s.Server.Runtime = "" }, []string{"server.runtime: missing; one of node26, node24, node22, node20, node18, go"}},
		{"version", func(s *Scenario) { s.V = 0 }, []string{"v: must be 1, the schema version this build writes (got 0)"}},
		{"timeout range", func(s *Scenario) { s.Server.SocketTimeoutMs = n(-1); s.Server.KeepAliveTimeoutMs = n(MaxTimeoutMs + 1) },
			[]string{"server.socketTimeoutMs: -1 is outside 0..600000", "server.keepAliveTimeoutMs: 600001 is outside 0..600000"}},
		{"headers > request timeout", func(s *Scenario) { s.Server.HeadersTimeoutMs = n(2000); s.Server.RequestTimeoutMs = n(1000) },
			[]string{"server.headersTimeoutMs: 2000 must be <= requestTimeoutMs (1000), as Node requires"}},
		{"request timeout below default headers timeout is fine", func(s *Scenario) { s.Server.RequestTimeoutMs = n(1000) }, nil},
		{"route path", func(s *Scenario) {
			s.Server.Routes[0].Path = "end"
			s.Server.Routes[1].Path = "/a*b"
			s.Server.Routes[2].Path = ""
		}, []string{
			`server.routes[0].path: "end" must start with "/" (or be "*")`,
			`server.routes[1].path: "/a*b": "*" may only end a prefix`,
			`server.routes[2].path: missing; "*", an exact path like "/end" or a prefix like "/end*"`,
		}},
		{"route path space", func(s *Scenario) { s.Server.Routes[0].Path = "/a b" }, []string{`server.routes[0].path: "/a b" has a space or control character`}},
		{"status", func(s *Scenario) { s.Server.Routes[0].Status = 99; s.Server.Routes[1].Status = 600 },
			[]string{"server.routes[0].status: 99 is outside 100..599", "server.routes[1].status: 600 is outside 100..599"}},
		{"body and delay", func(s *Scenario) {
			s.Server.Routes[0].Body = strings.Repeat("x", MaxBodyBytes+1)
			s.Server.Routes[0].DelayMs = -1
		}, []string{"server.routes[0].body: 4097 bytes; the limit is 4096", "server.routes[0].delayMs: -1 is outside 0..120000"}},
		{"too many routes", func(s *Scenario) { s.Server.Routes = make([]Route, MaxRoutes+1); fillRoutes(s.Server.Routes) },
			[]string{"server.routes: 33 routes; the limit is 32"}},
		{"duration", func(s *Scenario) { s.DurationMs = MaxDurationMs + 1 },
			[]string{"durationMs: 120001 is outside 1..120000 (0 or unset means 10000)"}},
		{"step after the end", func(s *Scenario) { s.DurationMs = 50 }, []string{"client.steps[1].at: 100 is outside 0..50 (durationMs)"}},
		{"step at default end", func(s *Scenario) { s.Client.Steps[1].At = DefaultDurationMs }, nil},
		{"conn label", func(s *Scenario) { s.Client.Steps[0].Conn = "1A"; s.Client.Steps[1].Conn = "" },
			[]string{`client.steps[0].conn: "1A" is not a label: a letter, then up to 15 letters, digits, '_' or '-'`, `client.steps[1].conn: missing; a label such as "A"`}},
		{"two actions", func(s *Scenario) { s.Client.Steps[1].Reset = true },
			[]string{"client.steps[1]: needs exactly one of send, request, open, close, reset (has 2)"}},
		{"no action", func(s *Scenario) { s.Client.Steps[1].Close = false },
			[]string{"client.steps[1]: needs exactly one of send, request, open, close, reset (has 0)"}},
		{"send too large", func(s *Scenario) { b := strings.Repeat("x", MaxSendBytes+1); s.Client.Steps[0].Send = &b },
			[]string{"client.steps[0].send: 16385 bytes; the limit is 16384"}},
		{"request", func(s *Scenario) {
			s.Client.Steps[0].Send = nil
			s.Client.Steps[0].Request = &Request{Method: "G T", Path: "/a b", Version: "HTTP/2", Headers: map[string]string{
				"X Y": "1", "Host": "a\r\nb", "host": "c",
			}}
		}, []string{
			`client.steps[0].request.method: "G T" is not an HTTP method token`,
			`client.steps[0].request.path: "/a b" has whitespace; it would break the request line`,
			`client.steps[0].request.version: "HTTP/2" is not one of HTTP/1.0, HTTP/1.1`,
			`client.steps[0].request.headers.Host: the value has CR, LF or NUL`,
			`client.steps[0].request.headers.X Y: "X Y" is not a header name token`,
			`client.steps[0].request.headers.host: duplicates "Host" (header names ignore case)`,
		}},
		{"too many conns", func(s *Scenario) {
			s.Client.Steps = nil
			for i := range MaxConns + 1 {
				s.Client.Steps = append(s.Client.Steps, Step{Conn: fmt.Sprintf("C%d", i), Open: true})
			}
		}, []string{"client.steps[26].conn: more than 26 connections"}},
		{"too many steps", func(s *Scenario) {
			s.Client.Steps = make([]Step, MaxSteps+1)
			for i := range s.Client.Steps {
				s.Client.Steps[i] = Step{Conn: "A", Open: true}
			}
		}, []string{"client.steps: 201 steps; the limit is 200"}},
		{"title", func(s *Scenario) { s.Title = strings.Repeat("é", MaxTitleChars+1) }, []string{"title: 121 characters; the limit is 120"}},
		{"title at the limit", func(s *Scenario) { s.Title = strings.Repeat("é", MaxTitleChars) }, nil},
		{"checks", func(s *Scenario) {
			s.Checks = []timeline.Check{
				{Match: timeline.Match{Kind: "exit"}},
				{Match: timeline.Match{Kind: "closed", Conn: "1"}, Nth: -2, MinMs: f(5), MaxMs: f(1)},
				{Match: timeline.Match{Kind: "close"}, Since: &timeline.Match{Kind: "response", Conn: "*"}},
				{Match: timeline.Match{Kind: "close"}, Since: &timeline.Match{Kind: "response", Conn: "no way"}},
			}
		}, []string{
			`checks[1].kind: "closed" is not one of ` + strings.Join(timeline.Kinds, ", "),
			"checks[1].nth: -2: use 1 for the first, -1 for the last, 0 for any",
			"checks[1].maxMs: 1 is less than minMs (5)",
			`checks[1].conn: "1" is not a connection label`,
			`checks[3].since.conn: "no way" is not a connection label`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := valid()
			tt.mutate(&s)
			err := s.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected problems:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no problems; want %q", tt.want)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func fillRoutes(rs []Route) {
	for i := range rs {
		rs[i].Path = "*"
	}
}

func TestValidConn(t *testing.T) {
	for _, ok := range []string{"A", "z", "Aa0_-", "A123456789abcdef"} {
		if !ValidConn(ok) {
			t.Errorf("ValidConn(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "0", "_a", "-", "A123456789abcdefg", "A B", "Ä", "A\n", "*"} {
		if ValidConn(bad) {
			t.Errorf("ValidConn(%q) = true", bad)
		}
	}
}
