package client

import (
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
)

func TestHops(t *testing.T) {
	n := func(v int) *int { return &v }
	show := func(hs []Hop) string {
		var parts []string
		for _, h := range hs {
			s := h.Name + " " + h.Idle
			if h.Bad {
				s += " !"
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " | ")
	}
	tests := []struct {
		name string
		sc   scenario.Scenario
		want string
	}{
		{"no proxy", scenario.Scenario{Server: scenario.Server{Runtime: "node20"}}, ""},
		{"alb in front of node20", scenario.Scenario{Server: scenario.Server{Runtime: "node20"}, Proxy: &scenario.Proxy{Kind: scenario.ProxyALB}},
			"client → ALB 60 s | ALB → app 60 s | app (node20) 6 s !"},
		{"the fix", scenario.Scenario{Server: scenario.Server{Runtime: "node20", KeepAliveTimeoutMs: n(65000)}, Proxy: &scenario.Proxy{Kind: scenario.ProxyALB}},
			"client → ALB 60 s | ALB → app 60 s | app (node20) 66 s"},
		{"nginx default", scenario.Scenario{Server: scenario.Server{Runtime: "go"}, Proxy: &scenario.Proxy{Kind: scenario.ProxyNginx}},
			"client → nginx 75 s | nginx → app no reuse | app (go) forever"},
		{"nginx keepalive below the app", scenario.Scenario{Server: scenario.Server{Runtime: "node20"}, Proxy: &scenario.Proxy{Kind: scenario.ProxyNginx, Keepalive: n(2), UpstreamIdleTimeoutMs: n(4000)}},
			"client → nginx 75 s | nginx → app 4 s | app (node20) 6 s"},
		{"go proxy", scenario.Scenario{Server: scenario.Server{Runtime: "go", IdleTimeoutMs: n(30000)}, Proxy: &scenario.Proxy{Kind: scenario.ProxyGo}},
			"client → Go proxy forever | Go proxy → app 90 s | app (go) 30 s !"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := show(Hops(tt.sc)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
