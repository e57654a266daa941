package scenario

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// poolJSON is a scenario with both kinds of pool and their steps, the
// shape a lesson about the client's side of the keep-alive race has.
const poolJSON = `{
  "v": 1,
  "server": {"runtime": "node22", "keepAliveTimeoutMs": 300},
  "client": {
    "pools": [
      {"name": "app", "kind": "go", "idleConnTimeoutMs": 5000, "maxIdleConnsPerHost": 4},
      {"name": "web", "kind": "node-agent", "keepAlive": true, "timeoutMs": 4000, "scheduling": "fifo",
       "keepAliveTimeoutBufferMs": 500, "retryReused": true},
      {"name": "glob", "kind": "node-agent", "runtime": "node18", "globalAgent": true}
    ],
    "steps": [
      {"at": 0, "pool": "app", "request": {"path": "/a"}},
      {"at": 0, "conn": "A", "send": "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"},
      {"at": 310, "pool": "web", "request": {"method": "POST", "path": "/b", "body": "x=1"}},
      {"at": 320, "pool": "glob", "request": {}}
    ]
  },
  "durationMs": 2000
}`

func poolScenario(t *testing.T) *Scenario {
	t.Helper()
	s, err := Decode([]byte(poolJSON))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return s
}

func TestPoolValidate(t *testing.T) {
	n := func(v int) *int { return &v }
	b := func(v bool) *bool { return &v }
	get := func() *Request { return &Request{Path: "/"} }
	tests := []struct {
		name   string
		mutate func(c *Client, s *Scenario)
		want   []string // every line of the error, in order
	}{
		{"valid", func(*Client, *Scenario) {}, nil},
		{"missing name and kind", func(c *Client, _ *Scenario) { c.Pools = append(c.Pools, Pool{}) }, []string{
			`client.pools[3].name: missing; a name such as "app"`,
			`client.pools[3].kind: missing; one of go, node-agent`,
		}},
		{"name ends in a digit", func(c *Client, _ *Scenario) { c.Pools[0].Name = "app1"; c.Steps[0].Pool = "app1" }, []string{
			`client.pools[0].name: "app1" is not a pool name: a letter, then up to 7 letters, digits, '_' or '-', not ending in a digit (its connections are app11, app12, …)`,
		}},
		{"name too long", func(c *Client, _ *Scenario) { c.Pools[0].Name = "abcdefghi"; c.Steps[0].Pool = "abcdefghi" }, []string{
			`client.pools[0].name: "abcdefghi" is not a pool name: a letter, then up to 7 letters, digits, '_' or '-', not ending in a digit (its connections are abcdefghi1, abcdefghi2, …)`,
		}},
		{"the page's own Node agent", func(c *Client, _ *Scenario) {
			c.Pools[0].Name = ComposerAgentPrefix(DefaultRuntime(), true)
			c.Steps[0].Pool = c.Pools[0].Name
		}, []string{
			`client.pools[0].name: "g26-" is the page's own pooled client (the composer's g26-1, g26-2, …); give the pool another name`,
		}},
		{"the page's own pool", func(c *Client, _ *Scenario) { c.Pools[0].Name = "pool"; c.Steps[0].Pool = "pool" }, []string{
			`client.pools[0].name: "pool" is the page's own pooled client (the composer's pool1, pool2, …); give the pool another name`,
		}},
		{"u behind a proxy", func(c *Client, s *Scenario) {
			s.Proxy = &Proxy{Kind: ProxyNginx}
			c.Pools[0].Name, c.Steps[0].Pool = "u", "u"
		}, []string{
			`client.pools[0].name: "u" would label its connections as the proxy's upstream ones (u1, u2, …); give the pool another name`,
		}},
		{"u without a proxy", func(c *Client, _ *Scenario) { c.Pools[0].Name, c.Steps[0].Pool = "u", "u" }, nil},
		{"two of a name", func(c *Client, _ *Scenario) { c.Pools[1].Name = "app" }, []string{
			`client.steps[2].pool: "web" is not one of the script's pools (app, app, glob)`,
			`client.pools[1].name: "app" names two pools`,
		}},
		{"unknown kind", func(c *Client, _ *Scenario) { c.Pools[0].Kind = "undici" }, []string{
			`client.pools[0].kind: "undici" is not one of go, node-agent`,
		}},
		{"too many pools", func(c *Client, _ *Scenario) {
			c.Pools = append(c.Pools, Pool{Name: "d", Kind: PoolGo}, Pool{Name: "e", Kind: PoolGo})
		}, []string{"client.pools: 5 pools; the limit is 4"}},
		{"node knob on go", func(c *Client, _ *Scenario) { c.Pools[0].MaxSockets = n(2) }, []string{
			"client.pools[0].maxSockets: not a knob of the go pool (it has idleConnTimeoutMs, maxIdleConnsPerHost, disableKeepAlives, retryReused, linkDelayMs)",
		}},
		{"go knob on node", func(c *Client, _ *Scenario) { c.Pools[1].DisableKeepAlives = b(true) }, []string{
			"client.pools[1].disableKeepAlives: not a knob of the node-agent pool (it has runtime, globalAgent, keepAlive, keepAliveMsecs, maxSockets, maxFreeSockets, maxTotalSockets, timeoutMs, scheduling, keepAliveTimeoutBufferMs, retryReused, linkDelayMs)",
		}},
		{"global agent takes no options", func(c *Client, _ *Scenario) { c.Pools[2].KeepAlive = b(true) }, []string{
			"client.pools[2].keepAlive: http.globalAgent takes no options: set globalAgent to false for new http.Agent({keepAlive})",
		}},
		{"global agent with the app's retry", func(c *Client, _ *Scenario) { c.Pools[2].RetryReused = true }, nil},
		{"a link delay on every kind", func(c *Client, _ *Scenario) {
			for i := range c.Pools {
				c.Pools[i].LinkDelayMs = n(100)
			}
		}, nil},
		{"a link delay out of range", func(c *Client, _ *Scenario) { c.Pools[0].LinkDelayMs = n(MaxLinkDelayMs + 1) }, []string{
			"client.pools[0].linkDelayMs: 1001 is outside 0..1000 (unset: 0, loopback)",
		}},
		{"ranges", func(c *Client, _ *Scenario) {
			c.Pools[0].IdleConnTimeoutMs, c.Pools[0].MaxIdleConnsPerHost = n(-1), n(MaxPoolSockets+1)
			p := &c.Pools[1]
			p.KeepAliveMsecs, p.MaxSockets, p.MaxFreeSockets, p.MaxTotalSockets, p.TimeoutMs = n(0), n(0), n(257), n(65), n(0)
		}, []string{
			"client.pools[0].idleConnTimeoutMs: -1 is outside 0..600000 (unset: Go's 90000; 0: no limit)",
			"client.pools[0].maxIdleConnsPerHost: 65 is outside 0..64 (unset: or 0: Go's 2)",
			"client.pools[1].keepAliveMsecs: 0 is outside 1..600000 (unset: Node's 1000)",
			"client.pools[1].maxSockets: 0 is outside 1..64 (unset: Infinity)",
			"client.pools[1].maxFreeSockets: 257 is outside 1..256 (unset: Node's 256)",
			"client.pools[1].maxTotalSockets: 65 is outside 1..64 (unset: Infinity)",
			"client.pools[1].timeoutMs: 0 is outside 1..600000 (unset: no timeout option)",
		}},
		{"scheduling", func(c *Client, _ *Scenario) { c.Pools[1].Scheduling = "random" }, []string{
			`client.pools[1].scheduling: "random" is not one of lifo, fifo`,
		}},
		{"runtime is not node", func(c *Client, _ *Scenario) { c.Pools[1].Runtime = "go" }, []string{
			`client.pools[1].runtime: "go" is not a Node release line; one of node26, node24, node22, node20, node18`,
		}},
		{"buffer on a line without it", func(c *Client, _ *Scenario) { c.Pools[1].Runtime = "node20" }, []string{
			"client.pools[1].keepAliveTimeoutBufferMs: node20's http.Agent has no agentKeepAliveTimeoutBuffer (only node26, node24, node22)",
		}},
		{"buffer follows the server's line", func(_ *Client, s *Scenario) { s.Server.Runtime = "node18" }, []string{
			"client.pools[1].keepAliveTimeoutBufferMs: node18's http.Agent has no agentKeepAliveTimeoutBuffer (only node26, node24, node22)",
		}},
		{"buffer on go's server takes the newest LTS line", func(_ *Client, s *Scenario) {
			s.Server = Server{Runtime: "go"}
		}, nil},
		{"step names no pool", func(c *Client, _ *Scenario) { c.Steps[0].Pool = "ap" }, []string{
			`client.steps[0].pool: "ap" is not one of the script's pools (app, web, glob)`,
		}},
		{"step and no pools", func(c *Client, _ *Scenario) { c.Pools = nil; c.Steps = c.Steps[:1] }, []string{
			`client.steps[0].pool: "app": the script has no pools (client.pools)`,
		}},
		{"pool step with conn", func(c *Client, _ *Scenario) { c.Steps[0].Conn = "A" }, []string{
			"client.steps[0].conn: a pool step has no conn: the pool picks the connection (app1, app2, …)",
		}},
		{"pool step with send", func(c *Client, _ *Scenario) {
			raw := "x"
			c.Steps[0].Request, c.Steps[0].Send = nil, &raw
		}, []string{"client.steps[0]: a pool step takes a request alone (no send, open, close or reset)"}},
		{"pool step open", func(c *Client, _ *Scenario) { c.Steps[0].Request, c.Steps[0].Open = nil, true }, []string{
			"client.steps[0]: a pool step takes a request alone (no send, open, close or reset)",
		}},
		{"pool step version", func(c *Client, _ *Scenario) { c.Steps[0].Request = &Request{Version: "HTTP/1.0"} }, []string{
			"client.steps[0].request.version: a pooled client speaks HTTP/1.1 on its own; leave version out",
		}},
		{"pool step bad request", func(c *Client, _ *Scenario) { c.Steps[0].Request = &Request{Method: "GE T", Path: "/a b"} }, []string{
			`client.steps[0].request.method: "GE T" is not an HTTP method token`,
			`client.steps[0].request.path: "/a b" has whitespace; it would break the request line`,
		}},
		{"step takes a pool's label", func(c *Client, _ *Scenario) { c.Steps[1].Conn = "app2" }, []string{
			`client.steps[1].conn: "app2" is a connection of pool "app"; give the step's connection another label`,
		}},
		{"labels like a pool's but not one", func(c *Client, _ *Scenario) { c.Steps[1].Conn = "app02" }, nil},
		{"pool step outside the run", func(c *Client, _ *Scenario) { c.Steps[0].At = 2001 }, []string{
			"client.steps[0].at: 2001 is outside 0..2000 (durationMs)",
		}},
		{"pool steps are no connections", func(c *Client, _ *Scenario) {
			for range MaxConns {
				c.Steps = append(c.Steps, Step{At: 1, Pool: "app", Request: get()})
			}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := poolScenario(t)
			tt.mutate(&s.Client, s)
			err := s.Validate()
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Validate:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestPoolDecodeUnknownField(t *testing.T) {
	for _, tt := range []struct{ name, js, want string }{
		{"pool field", `{"v":1,"server":{"runtime":"go"},"client":{"pools":[{"name":"app","kind":"go","idleTimeoutMs":1}]}}`, "client.pools[0].idleTimeoutMs"},
		{"step field", `{"v":1,"server":{"runtime":"go"},"client":{"pools":[{"name":"app","kind":"go"}],"steps":[{"at":0,"pool":"app","request":{},"via":"x"}]}}`, "client.steps[0].via"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.js))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode: %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestPoolDefaults(t *testing.T) {
	s := poolScenario(t)
	full := s.WithDefaults()
	if err := full.Validate(); err != nil {
		t.Fatalf("WithDefaults made an invalid scenario: %v", err)
	}
	app, web, glob := full.Client.Pools[0], full.Client.Pools[1], full.Client.Pools[2]
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"go idle timeout kept", *app.IdleConnTimeoutMs, 5000},
		{"go keep-alives", *app.DisableKeepAlives, false},
		{"agent runtime is the server's", web.Runtime, "node22"},
		{"agent keepAliveMsecs", *web.KeepAliveMsecs, AgentKeepAliveMsecs},
		{"agent maxFreeSockets", *web.MaxFreeSockets, AgentMaxFreeSockets},
		{"agent scheduling kept", web.Scheduling, SchedulingFIFO},
		{"agent maxSockets stays Infinity", web.MaxSockets == nil, true},
		{"global agent runtime kept", glob.Runtime, "node18"},
		{"global agent gets no options", glob.KeepAlive == nil && glob.Scheduling == "", true},
		{"pool step gets method and path", full.Client.Steps[3].Request.Method + " " + full.Client.Steps[3].Request.Path, "GET /"},
		{"pool step gets no version", full.Client.Steps[3].Request.Version, ""},
		{"pool step gets no Host", full.Client.Steps[3].Request.Headers == nil, true},
		{"the receiver is not changed", s.Client.Pools[1].Runtime, ""},
		{"default go pool idle timeout", Pool{Kind: PoolGo}.GoIdleConnTimeout().Milliseconds(), int64(GoIdleConnTimeoutMs)},
		{"default go idle conns: the Transport's own", Pool{Kind: PoolGo}.GoMaxIdleConnsPerHost(), 0},
		{"agent on a go server", Pool{Kind: PoolNodeAgent}.AgentRuntime(Server{Runtime: "go"}), DefaultRuntime()},
		{"conns leave pool steps out", s.Client.Conns(), []string{"A"}},
		{"pool of a label", s.Client.PoolOf("web12"), "web"},
		{"no pool of a label", s.Client.PoolOf("web0"), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestPoolLinkRoundTrip(t *testing.T) {
	s := poolScenario(t)
	link, err := EncodeLink(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeLink(link)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("the link changed the scenario:\n got %+v\nwant %+v", got.Client, s.Client)
	}
	js, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), `"conn":""`) {
		t.Errorf("a pool step is written with an empty conn: %s", js)
	}
}

func TestPoolDiff(t *testing.T) {
	n := func(v int) *int { return &v }
	tests := []struct {
		name string
		edit func(c *Client)
		want []string
	}{
		{"same", func(*Client) {}, nil},
		{"an explicit default is the default", func(c *Client) { c.Pools[1].KeepAliveMsecs = n(AgentKeepAliveMsecs) }, nil},
		{"a knob", func(c *Client) { c.Pools[0].IdleConnTimeoutMs = n(1000) }, []string{
			`client.pools["app"].idleConnTimeoutMs: 5000 → 1000`,
		}},
		{"a pool added", func(c *Client) { c.Pools = append(c.Pools, Pool{Name: "b", Kind: PoolGo}) }, []string{
			`client.pools["b"] added: {"name":"b","kind":"go"}`,
		}},
		{"a pool removed", func(c *Client) { c.Pools = c.Pools[:2]; c.Steps = c.Steps[:3] }, []string{
			`client.pools["glob"] removed: {"name":"glob","kind":"node-agent","runtime":"node18","globalAgent":true}`,
			`client.steps[3] removed: at 320 ms, pool glob requests GET /`,
		}},
		{"the client changes", func(c *Client) {
			c.Pools[0].Kind, c.Pools[0].IdleConnTimeoutMs, c.Pools[0].MaxIdleConnsPerHost = PoolNodeAgent, nil, nil
		}, []string{
			`client.pools["app"].kind: Go net/http → Node http.Agent`,
		}},
		{"a pool step moves", func(c *Client) { c.Steps[2].At = 400 }, []string{
			"client.steps[2].at: 310 ms → 400 ms",
		}},
		{"a pool step's path", func(c *Client) { c.Steps[0].Request.Path = "/z" }, []string{
			`client.steps[0].request.path: "/a" → "/z"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := poolScenario(t), poolScenario(t)
			tt.edit(&b.Client)
			var got []string
			for _, c := range Diff(*a, *b) {
				got = append(got, c.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Diff:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
	a, b := poolScenario(t), poolScenario(t)
	b.Client.Pools[1].MaxSockets = n(2)
	if cs := Diff(*a, *b); len(cs) != 1 || cs[0].What != "pool web's maxSockets" {
		t.Errorf("Diff = %+v, want one change said as pool web's maxSockets", cs)
	}
}
