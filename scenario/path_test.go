package scenario

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	n, x := member, item
	tests := []struct {
		name, in string
		want     Path
	}{
		{"member", "title", Path{n("title")}},
		{"nested", "server.headersTimeoutMs", Path{n("server"), n("headersTimeoutMs")}},
		{"list item field", "server.routes[2].then", Path{n("server"), n("routes"), x(2), n("then")}},
		{"item", "client.steps[10]", Path{n("client"), n("steps"), x(10)}},
		{"index of index", "server.routes[0].then[1]", Path{n("server"), n("routes"), x(0), n("then"), x(1)}},
		{"header", "client.steps[0].request.headers.Connection",
			Path{n("client"), n("steps"), x(0), n("request"), n("headers"), n("Connection")}},
		{"header with dots", "client.steps[0].request.headers.X.Y",
			Path{n("client"), n("steps"), x(0), n("request"), n("headers"), n("X.Y")}},
		{"header name in brackets", "client.steps[0].request.headers.[x]",
			Path{n("client"), n("steps"), x(0), n("request"), n("headers"), n("[x]")}},
		{"header with a bracket", "client.steps[0].request.headers.a[1]",
			Path{n("client"), n("steps"), x(0), n("request"), n("headers"), n("a[1]")}},
		{"check field", "checks[3].since.conn", Path{n("checks"), x(3), n("since"), n("conn")}},
		{"empty", "", nil},
		{"starts with an index", "[0]", nil},
		{"empty member", "server..x", nil},
		{"trailing dot", "server.", nil},
		{"trailing dot after index", "server.routes[0].", nil},
		{"no index", "server.routes[]", nil},
		{"leading zero", "server.routes[01]", nil},
		{"sign", "server.routes[+1]", nil},
		{"negative", "server.routes[-1]", nil},
		{"too large", "server.routes[99999999999999999999]", nil},
		{"unclosed", "server.routes[0", nil},
		{"text after index", "server.routes[0]x", nil},
		{"empty header name", "client.steps[0].request.headers.", Path{n("client"), n("steps"), x(0), n("request"), n("headers"), n("")}},
		{"no header name", "client.steps[0].request.headers", Path{n("client"), n("steps"), x(0), n("request"), n("headers")}},
		{"newline in header name", "client.steps[0].request.headers.a\nb", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParsePath(tt.in)
			if !reflect.DeepEqual(got, tt.want) || ok != (tt.want != nil) {
				t.Fatalf("ParsePath(%q) = %#v, %v; want %#v", tt.in, got, ok, tt.want)
			}
			if ok && got.String() != tt.in {
				t.Errorf("ParsePath(%q).String() = %q", tt.in, got.String())
			}
		})
	}
}

func TestPathMatchers(t *testing.T) {
	p, _ := ParsePath("client.steps[4].request.method")
	if i, rest, ok := p.Item("client", "steps"); !ok || i != 4 || !rest.Is("request", "method") {
		t.Errorf("Item = %d, %v, %v", i, rest, ok)
	}
	if _, _, ok := p.Item("client"); ok {
		t.Error("Item(client) matched a member, not an index")
	}
	if _, ok := p.Under("server"); ok {
		t.Error("Under(server) matched client.…")
	}
	if p.Is("client", "steps") {
		t.Error("Is matched a prefix")
	}
}

// TestEveryProblemHasItsPath: each problem Validate writes carries the
// path it was built with (Where, what Path returns, no parsing), its
// Field is that path's text, and the text reads back to the same parts.
func TestEveryProblemHasItsPath(t *testing.T) {
	n := 0
	for _, sc := range brokenScenarios() {
		err := sc.Validate()
		ps, _ := err.(Problems)
		for _, p := range ps {
			n++
			if p.Field == "" {
				if p.Where != nil {
					t.Errorf("problem %q about the whole scenario has the path %#v", p, p.Where)
				}
				continue
			}
			if p.Where == nil {
				t.Errorf("problem %q: no path built", p)
				continue
			}
			if got := p.Where.String(); got != p.Field {
				t.Errorf("problem %q: its path writes %q", p, got)
			}
			if parsed, ok := ParsePath(p.Field); !ok || !reflect.DeepEqual(parsed, p.Where) {
				t.Errorf("problem %q: built %#v, its text parses to %#v", p, p.Where, parsed)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d problems: the broken scenarios are not broken enough", n)
	}
}

func TestPathBuilders(t *testing.T) {
	n, x := member, item
	base := Fields("client", "steps").At(2)
	tests := []struct {
		name string
		got  Path
		want Path
	}{
		{"fields", Fields("server", "routes"), Path{n("server"), n("routes")}},
		{"item", base, Path{n("client"), n("steps"), x(2)}},
		{"dot", base.Dot("request", "headers", "X.Y"), Path{n("client"), n("steps"), x(2), n("request"), n("headers"), n("X.Y")}},
		{"base untouched", base.Dot("conn")[:3], base},
		{"none", Fields(), Path{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
	// Two paths made from one base do not write over each other.
	a, b := base.Dot("conn"), base.Dot("at")
	if a.String() != "client.steps[2].conn" || b.String() != "client.steps[2].at" {
		t.Errorf("paths from one base: %q, %q", a, b)
	}
}

// brokenScenarios are scenarios with many problems each, over every part
// of the schema.
func brokenScenarios() []Scenario {
	neg := -1
	big := 1 << 30
	sp := func(s string) *string { return &s }
	return []Scenario{
		{V: 9, Title: strings.Repeat("t", 500), DurationMs: -1,
			Server: Server{Runtime: "node20", HeadersTimeoutMs: &big, SocketTimeoutMs: &neg, IdleTimeoutMs: &neg,
				Routes: []Route{{Path: "a*b", Status: 1, DelayMs: -1, Then: Then{"shutdown", "nope"}}}},
			Client: Client{Steps: []Step{
				{At: -1, Open: true, Close: true},
				{Conn: "u1", Send: sp("")},
				{Conn: "A", Request: &Request{Method: "(", Path: "a b", Version: "x",
					Headers: map[string]string{"X.Y": "a\nb", "": "v", "Connection": "\x00"}}},
			}}},
		{V: 1, Server: Server{Runtime: "go", KeepAliveTimeoutMs: &neg},
			Proxy: &Proxy{Kind: "nginx", Keepalive: &neg, NextUpstream: []string{"bogus"}}},
		{V: 1, Server: Server{Runtime: "nope"}},
	}
}

// FuzzParsePath: whatever ParsePath accepts writes back to the same text,
// and what it writes parses to the same path.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"title", "server.routes[2].then", "client.steps[0].request.headers.X.Y",
		"client.steps[0].request.headers.", "checks[3].since.conn", "a[0][1]", "[0]", "a..b", "a[01]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := ParsePath(s)
		if !ok {
			if p != nil {
				t.Fatalf("ParsePath(%q) = %v, false", s, p)
			}
			return
		}
		if p.String() != s {
			t.Fatalf("ParsePath(%q).String() = %q", s, p.String())
		}
		q, ok := ParsePath(p.String())
		if !ok || !reflect.DeepEqual(p, q) {
			t.Fatalf("ParsePath(%q) = %#v, then %#v", s, p, q)
		}
	})
}
