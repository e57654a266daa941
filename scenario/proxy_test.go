package scenario

import (
	"strings"
	"testing"
)

func TestProxyDecode(t *testing.T) {
	const base = `{"v":1,"server":{"runtime":"node20"},"proxy":%s}`
	tests := []struct {
		name  string
		proxy string
		want  []string // every problem line, in order; nil: valid
	}{
		{"design example", `{"kind":"nginx","keepalive":4,"upstreamIdleTimeoutMs":60000,"clientIdleTimeoutMs":75000}`, nil},
		{"go knobs", `{"kind":"go","upstreamIdleTimeoutMs":0,"maxIdleConnsPerHost":4,"disableKeepAlives":true,"clientIdleTimeoutMs":30000}`, nil},
		{"alb knobs", `{"kind":"alb","idleTimeoutMs":60000,"clientKeepAliveMs":60000,"upstreamLatencyMs":20}`, nil},
		{"next upstream", `{"kind":"nginx","nextUpstream":["error","timeout","non_idempotent"]}`, nil},
		{"missing kind", `{}`, []string{"proxy.kind: missing; one of nginx, go, alb"}},
		{"unknown kind", `{"kind":"haproxy"}`, []string{`proxy.kind: "haproxy" is not one of nginx, go, alb`}},
		{"knob of another kind", `{"kind":"alb","keepalive":2,"maxIdleConnsPerHost":1}`, []string{
			"proxy.keepalive: not a knob of the alb proxy (it has idleTimeoutMs, clientKeepAliveMs, upstreamLatencyMs)",
			"proxy.maxIdleConnsPerHost: not a knob of the alb proxy (it has idleTimeoutMs, clientKeepAliveMs, upstreamLatencyMs)",
		}},
		{"ranges", `{"kind":"nginx","keepalive":33,"upstreamMaxRequests":0,"clientIdleTimeoutMs":-1,"upstreamLatencyMs":1001}`, []string{
			"proxy.keepalive: 33 is outside 0..32",
			"proxy.upstreamMaxRequests: 0 is outside 1..10000",
			"proxy.clientIdleTimeoutMs: -1 is outside 0..600000",
			"proxy.upstreamLatencyMs: 1001 is outside 0..1000",
		}},
		{"alb ranges", `{"kind":"alb","idleTimeoutMs":500,"clientKeepAliveMs":1000}`, []string{
			"proxy.idleTimeoutMs: 500 is outside 1000..600000",
			"proxy.clientKeepAliveMs: 1000 is outside 60000..604800000",
		}},
		{"next upstream words", `{"kind":"nginx","nextUpstream":["error","eror","error"]}`, []string{
			`proxy.nextUpstream[1]: "eror" is not one of error, timeout, invalid_header, http_500, http_502, http_503, http_504, http_403, http_404, http_429, non_idempotent, off`,
			`proxy.nextUpstream[2]: "error" is given twice`,
		}},
		{"off alone", `{"kind":"nginx","nextUpstream":["error","off"]}`, []string{
			`proxy.nextUpstream[1]: "off" cannot be combined with other words (nginx: invalid value)`,
		}},
		{"empty next upstream", `{"kind":"nginx","nextUpstream":[]}`, []string{
			`proxy.nextUpstream: empty; nginx needs at least one word ("off" for none)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(strings.Replace(base, "%s", tt.proxy, 1)))
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestProxyUnknownField(t *testing.T) {
	_, err := Decode([]byte(`{"v":1,"server":{"runtime":"go"},"proxy":{"kind":"go","idleConnTimeout":5}}`))
	if err == nil || err.Error() != "proxy.idleConnTimeout: unknown field" {
		t.Fatalf("got %v", err)
	}
}

func TestProxyUpstreamLabels(t *testing.T) {
	send := "GET / HTTP/1.1\r\n\r\n"
	sc := Scenario{V: Version, Server: Server{Runtime: "go"}, Proxy: &Proxy{Kind: ProxyGo},
		Client: Client{Steps: []Step{{Conn: "u1", Send: &send}, {Conn: "u", Send: &send}, {Conn: "up2", Send: &send}}}}
	err := sc.Validate()
	want := `client.steps[0].conn: "u1" names one of the proxy's upstream connections (u1, u2, …); give the client's connection another label`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	sc.Proxy = nil
	if err := sc.Validate(); err != nil {
		t.Fatalf("without a proxy u1 is an ordinary label: %v", err)
	}
}

func TestProxyDefaults(t *testing.T) {
	for _, kind := range ProxyKinds {
		sc := Scenario{V: Version, Server: Server{Runtime: "node20"}, Proxy: &Proxy{Kind: kind}}
		full := sc.WithDefaults()
		if err := full.Validate(); err != nil {
			t.Errorf("%s: defaults do not validate: %v", kind, err)
		}
		if sc.Proxy.UpstreamLatencyMs != nil {
			t.Errorf("%s: WithDefaults changed the original", kind)
		}
		*full.Proxy.UpstreamLatencyMs = 7
		again := sc.WithDefaults()
		if *again.Proxy.UpstreamLatencyMs != 0 {
			t.Errorf("%s: the copy shares memory with the original", kind)
		}
	}
	n := Proxy{Kind: ProxyNginx}
	if n.UpstreamIdleTimeout().Milliseconds() != 60000 || n.ClientIdleTimeout().Milliseconds() != 75000 || n.KeepaliveConns() != 0 {
		t.Errorf("nginx defaults: %v %v %v", n.UpstreamIdleTimeout(), n.ClientIdleTimeout(), n.KeepaliveConns())
	}
	g := Proxy{Kind: ProxyGo}
	if g.UpstreamIdleTimeout().Milliseconds() != 90000 || g.ClientIdleTimeout() != 0 {
		t.Errorf("go defaults: %v %v", g.UpstreamIdleTimeout(), g.ClientIdleTimeout())
	}
	a := Proxy{Kind: ProxyALB}
	if a.UpstreamIdleTimeout().Milliseconds() != 60000 || a.ClientIdleTimeout().Milliseconds() != 60000 {
		t.Errorf("alb defaults: %v %v", a.UpstreamIdleTimeout(), a.ClientIdleTimeout())
	}
}

func TestHopWarnings(t *testing.T) {
	n := func(v int) *int { return &v }
	tests := []struct {
		name string
		sc   Scenario
		want string // the fields warned about, joined
	}{
		{"no proxy", Scenario{Server: Server{Runtime: "node20"}}, ""},
		{"node default behind alb", Scenario{Server: Server{Runtime: "node20"}, Proxy: &Proxy{Kind: ProxyALB}}, "server.keepAliveTimeoutMs"},
		{"the fix", Scenario{Server: Server{Runtime: "node20", KeepAliveTimeoutMs: n(65000), HeadersTimeoutMs: n(66000)}, Proxy: &Proxy{Kind: ProxyALB}}, ""},
		{"equal is not longer", Scenario{Server: Server{Runtime: "node20", KeepAliveTimeoutMs: n(59000)}, Proxy: &Proxy{Kind: ProxyALB}}, "server.keepAliveTimeoutMs"},
		{"node20's buffer counts", Scenario{Server: Server{Runtime: "node20", KeepAliveTimeoutMs: n(59500)}, Proxy: &Proxy{Kind: ProxyALB}}, ""},
		{"node18 has no buffer", Scenario{Server: Server{Runtime: "node18", KeepAliveTimeoutMs: n(59500)}, Proxy: &Proxy{Kind: ProxyALB}}, "server.keepAliveTimeoutMs"},
		{"nginx without keepalive never reuses", Scenario{Server: Server{Runtime: "node20"}, Proxy: &Proxy{Kind: ProxyNginx}}, ""},
		{"nginx keepalive", Scenario{Server: Server{Runtime: "node20"}, Proxy: &Proxy{Kind: ProxyNginx, Keepalive: n(2)}}, "server.keepAliveTimeoutMs"},
		{"socket timeout shorter", Scenario{Server: Server{Runtime: "node20", KeepAliveTimeoutMs: n(0), SocketTimeoutMs: n(4000)}, Proxy: &Proxy{Kind: ProxyGo}}, "server.socketTimeoutMs"},
		{"go server waits forever", Scenario{Server: Server{Runtime: "go"}, Proxy: &Proxy{Kind: ProxyGo}}, ""},
		{"go server behind go proxy without limit", Scenario{Server: Server{Runtime: "go", IdleTimeoutMs: n(30000)}, Proxy: &Proxy{Kind: ProxyGo, UpstreamIdleTimeoutMs: n(0)}}, "server.idleTimeoutMs"},
		{"go proxy, keep-alives on", Scenario{Server: Server{Runtime: "node20"}, Proxy: &Proxy{Kind: ProxyGo, DisableKeepAlives: new(bool)}}, "server.keepAliveTimeoutMs"},
		{"go proxy, keep-alives off", Scenario{Server: Server{Runtime: "node20"}, Proxy: &Proxy{Kind: ProxyGo, DisableKeepAlives: boolp(true)}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fields []string
			for _, p := range tt.sc.HopWarnings() {
				fields = append(fields, p.Field)
			}
			if got := strings.Join(fields, ","); got != tt.want {
				t.Errorf("warned about %q, want %q (%v)", got, tt.want, tt.sc.HopWarnings())
			}
		})
	}
}
