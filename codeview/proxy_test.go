package codeview

import (
	"go/format"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
)

func TestNginxConfig(t *testing.T) {
	n := func(v int) *int { return &v }
	tests := []struct {
		name      string
		p         scenario.Proxy
		want, not []string
	}{
		{"default: no keepalive", scenario.Proxy{Kind: scenario.ProxyNginx},
			[]string{"upstream app {", "server 127.0.0.1:1088;", "# no keepalive", "keepalive_timeout 75s;", "proxy_pass http://app;", "proxy_next_upstream error timeout;", "proxy_read_timeout 60s;"},
			[]string{"keepalive 0", "proxy_http_version", "proxy_set_header"}},
		{"keepalive", scenario.Proxy{Kind: scenario.ProxyNginx, Keepalive: n(4), UpstreamIdleTimeoutMs: n(1500), UpstreamMaxRequests: n(100),
			ClientIdleTimeoutMs: n(0), NextUpstream: []string{"error", "timeout", "non_idempotent"}},
			[]string{"keepalive 4;", "keepalive_timeout 1500ms;", "keepalive_requests 100;", "keepalive_timeout 0s;", "proxy_http_version 1.1;", `proxy_set_header Connection "";`, "proxy_next_upstream error timeout non_idempotent;"},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "node20"}, Proxy: &tt.p}
			got := Proxy(sc)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("no %q in\n%s", w, got)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(got, w) {
					t.Errorf("%q in\n%s", w, got)
				}
			}
		})
	}
	// The instrumented form is self-contained: every path under the prefix.
	got := NginxConfig(scenario.Proxy{Kind: scenario.ProxyNginx}, NginxOptions{Listen: "127.0.0.1:9", Upstream: "127.0.0.1:8", Prefix: "/tmp/p"})
	for _, w := range []string{"daemon off;", "master_process off;", "pid /tmp/p/nginx.pid;", "error_log /tmp/p/error.log error;", "access_log /tmp/p/access.log playground;", "proxy_temp_path /tmp/p/proxy;", "listen 127.0.0.1:9;", "server 127.0.0.1:8;"} {
		if !strings.Contains(got, w) {
			t.Errorf("instrumented config lacks %q:\n%s", w, got)
		}
	}
}

func TestGoProxyProgram(t *testing.T) {
	n := func(v int) *int { return &v }
	src := Proxy(scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "go"},
		Proxy: &scenario.Proxy{Kind: scenario.ProxyGo, UpstreamIdleTimeoutMs: n(1500), MaxIdleConnsPerHost: n(1)}})
	if _, err := format.Source([]byte(src)); err != nil {
		t.Fatalf("not Go: %v\n%s", err, src)
	}
	for _, w := range []string{"httputil.NewSingleHostReverseProxy(target)", "IdleConnTimeout:       1500 * time.Millisecond", "MaxIdleConnsPerHost:   1,", "IdleTimeout: 0,"} {
		if !strings.Contains(src, w) {
			t.Errorf("no %q in\n%s", w, src)
		}
	}
}

func TestALBSettingsSayModelled(t *testing.T) {
	got := Proxy(scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "node20"}, Proxy: &scenario.Proxy{Kind: scenario.ProxyALB}})
	for _, w := range []string{"MODELLED", ALBDocs, ALBTroubleshooting, "idle_timeout.timeout_seconds,Value=60", "client_keep_alive.seconds,Value=3600", "no retry"} {
		if !strings.Contains(got, w) {
			t.Errorf("no %q in\n%s", w, got)
		}
	}
	if Proxy(scenario.Scenario{V: 1}) != "" {
		t.Error("a scenario without a proxy has no proxy code")
	}
}
