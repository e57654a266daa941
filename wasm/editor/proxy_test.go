package editor

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
)

func TestProxyRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		p    *scenario.Proxy
	}{
		{"nginx, every knob", &scenario.Proxy{Kind: scenario.ProxyNginx, Keepalive: ip(4), UpstreamIdleTimeoutMs: ip(60000),
			UpstreamMaxRequests: ip(100), ClientIdleTimeoutMs: ip(0), ClientMaxRequests: ip(7),
			NextUpstream: []string{"error", "timeout", "non_idempotent"}, ReadTimeoutMs: ip(400), UpstreamLatencyMs: ip(150)}},
		{"go", &scenario.Proxy{Kind: scenario.ProxyGo, UpstreamIdleTimeoutMs: ip(0), MaxIdleConnsPerHost: ip(1), DisableKeepAlives: bp(true)}},
		{"alb", &scenario.Proxy{Kind: scenario.ProxyALB, IdleTimeoutMs: ip(60000), ClientKeepAliveMs: ip(60000)}},
		{"unset", &scenario.Proxy{Kind: scenario.ProxyNginx}},
		{"knob of another kind", &scenario.Proxy{Kind: scenario.ProxyALB, Keepalive: ip(2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roundTrip(t, scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "node20"}, Proxy: tt.p})
		})
	}
}

func TestProxyKnobsCoverProxy(t *testing.T) {
	typ := reflect.TypeOf(scenario.Proxy{})
	var fields []string
	for i := 0; i < typ.NumField(); i++ {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name != "kind" {
			fields = append(fields, name)
		}
	}
	var names []string
	for _, k := range ProxyKnobs {
		names = append(names, k.Name)
		for _, kind := range scenario.ProxyKinds {
			if k.Applies(kind) != slices.Contains(scenario.ProxyKnobs(kind), k.Name) {
				t.Errorf("%s: the form and the schema disagree on whether it is a knob of %s", k.Name, kind)
			}
		}
	}
	slices.Sort(fields)
	slices.Sort(names)
	if !slices.Equal(fields, names) {
		t.Errorf("proxy knobs %v, proxy fields %v", names, fields)
	}
}

func TestProxyProblemsHaveAPlace(t *testing.T) {
	sc := scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "node20"},
		Proxy: &scenario.Proxy{Kind: scenario.ProxyGo, Keepalive: ip(40), NextUpstream: []string{"eror"}, UpstreamLatencyMs: ip(-1)}}
	f := FromScenario(sc)
	_, err := f.Check()
	ps, ok := err.(scenario.Problems)
	if !ok || len(ps) < 3 {
		t.Fatalf("Check() = %v", err)
	}
	keys := f.Keys()
	for _, p := range ps {
		if k := f.Control(p.Path()); !slices.Contains(keys, k) || !strings.HasPrefix(k, "proxy.") {
			t.Errorf("problem %q maps to %q", p, k)
		}
	}
	if p, _ := scenario.ParsePath("proxy.nextUpstream[0]"); f.Control(p) != "proxy.nextUpstream" {
		t.Errorf("a word's problem shows at the word list")
	}
}

func TestProxyKindRemoved(t *testing.T) {
	f := FromScenario(scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "go"}, Proxy: &scenario.Proxy{Kind: scenario.ProxyALB}})
	f.ProxyKind = ""
	sc, _ := f.Scenario()
	if sc.Proxy != nil {
		t.Errorf("choosing no proxy keeps %+v", sc.Proxy)
	}
}
