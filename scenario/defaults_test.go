package scenario

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestWithDefaultsNode(t *testing.T) {
	s := Scenario{V: Version, Server: Server{Runtime: "node20"},
		Client: Client{Steps: []Step{{Conn: "A", Request: &Request{}}}}}
	orig := s.clone()
	full := s.WithDefaults()
	if !reflect.DeepEqual(s, orig) {
		t.Fatal("WithDefaults modified its receiver")
	}
	sv := full.Server
	for name, got := range map[string]*int{
		"socketTimeoutMs": sv.SocketTimeoutMs, "keepAliveTimeoutMs": sv.KeepAliveTimeoutMs,
		"headersTimeoutMs": sv.HeadersTimeoutMs, "requestTimeoutMs": sv.RequestTimeoutMs,
		"maxRequestsPerSocket": sv.MaxRequestsPerSocket,
	} {
		want := map[string]int{"socketTimeoutMs": 0, "keepAliveTimeoutMs": 5000, "headersTimeoutMs": 60000,
			"requestTimeoutMs": 300000, "maxRequestsPerSocket": 0}[name]
		if got == nil || *got != want {
			t.Errorf("%s = %v, want %d", name, got, want)
		}
	}
	if sv.UnrefSockets == nil || *sv.UnrefSockets || sv.KeepAlive == nil || !*sv.KeepAlive {
		t.Errorf("unrefSockets/keepAlive = %v/%v, want false/true", sv.UnrefSockets, sv.KeepAlive)
	}
	if sv.IdleTimeoutMs != nil || sv.ReadHeaderTimeoutMs != nil || sv.ShutdownTimeoutMs != nil {
		t.Error("Go knobs were filled on a Node server")
	}
	if want := DefaultRoutes(); !reflect.DeepEqual(sv.Routes, want) {
		t.Errorf("routes = %+v, want %+v", sv.Routes, want)
	}
	if full.DurationMs != DefaultDurationMs {
		t.Errorf("durationMs = %d", full.DurationMs)
	}
	want := Request{Method: "GET", Path: "/", Version: "HTTP/1.1", Headers: map[string]string{"Host": "demo"}}
	if got := *full.Client.Steps[0].Request; !reflect.DeepEqual(got, want) {
		t.Errorf("request = %+v, want %+v", got, want)
	}
	if err := full.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	again := full.WithDefaults()
	if !reflect.DeepEqual(full, again) {
		t.Error("WithDefaults is not idempotent")
	}
}

func TestWithDefaultsGo(t *testing.T) {
	s := Scenario{V: Version, Server: Server{Runtime: "go", IdleTimeoutMs: intp(700),
		Routes: []Route{{Path: "/end", Then: Then{ThenShutdown}}}}}
	full := s.WithDefaults()
	sv := full.Server
	if *sv.IdleTimeoutMs != 700 || *sv.ReadHeaderTimeoutMs != 0 || *sv.ShutdownTimeoutMs != 5000 || !*sv.KeepAlive {
		t.Errorf("go knobs = %d %d %d %v", *sv.IdleTimeoutMs, *sv.ReadHeaderTimeoutMs, *sv.ShutdownTimeoutMs, *sv.KeepAlive)
	}
	if sv.SocketTimeoutMs != nil || sv.UnrefSockets != nil {
		t.Error("Node knobs were filled on a Go server")
	}
	if r := sv.Routes[0]; r.Status != 200 || !slices.Equal(r.Then, Then{ThenShutdown}) || len(sv.Routes) != 1 {
		t.Errorf("routes = %+v", sv.Routes)
	}
	*full.Server.IdleTimeoutMs = 1
	if *s.Server.IdleTimeoutMs != 700 {
		t.Error("the copy shares a pointer with the original")
	}
	if err := full.Validate(); err != nil {
		t.Error(err)
	}
}

func TestGetters(t *testing.T) {
	var zero Server
	if zero.KeepAliveTimeout() != 5*time.Second || zero.HeadersTimeout() != time.Minute ||
		zero.RequestTimeout() != 300*time.Second || zero.SocketTimeout() != 0 || zero.MaxRequests() != 0 ||
		zero.Unref() || !zero.KeepAlives() || zero.IdleTimeout() != 0 || zero.ReadHeaderTimeout() != 0 ||
		zero.ShutdownTimeout() != 5*time.Second {
		t.Error("zero Server getters do not return the defaults")
	}
	// Node: an unset headersTimeout is min(60 s, requestTimeout).
	if got := (Server{RequestTimeoutMs: intp(2000)}).HeadersTimeout(); got != 2*time.Second {
		t.Errorf("HeadersTimeout = %v, want 2s", got)
	}
	if got := (Server{RequestTimeoutMs: intp(0)}).HeadersTimeout(); got != 0 {
		t.Errorf("HeadersTimeout with requestTimeout 0 = %v, want 0 as in Node", got)
	}
	if got := (Server{KeepAliveTimeoutMs: intp(0)}).KeepAliveTimeout(); got != 0 {
		t.Errorf("explicit 0 keepAliveTimeout = %v", got)
	}
	if (Scenario{}).Duration() != 10*time.Second || (Scenario{DurationMs: 5}).Duration() != 5*time.Millisecond {
		t.Error("Duration")
	}
	if (Route{}).Code() != 200 || !slices.Equal((Route{}).Actions(), Then{ThenNone}) || (Route{DelayMs: 3}).Delay() != 3*time.Millisecond {
		t.Error("route getters")
	}
}

func TestRoute(t *testing.T) {
	sv := Server{Routes: []Route{
		{Path: "/end", Body: "exact", Then: Then{ThenClose}},
		{Path: "/end*", Body: "prefix"},
		{Path: "/slow", Body: "slow", Status: 503},
	}}
	tests := []struct {
		target, body string
		ok           bool
	}{
		{"/end", "exact", true},
		{"/end?now=1", "exact", true},
		{"/endless", "prefix", true},
		{"/end/x", "prefix", true},
		{"/slow", "slow", true},
		{"/slower", "", false},
		{"/", "", false},
	}
	for _, tt := range tests {
		r, ok := sv.Route(tt.target)
		if ok != tt.ok || r.Body != tt.body {
			t.Errorf("Route(%q) = %+v, %v; want body %q, %v", tt.target, r, ok, tt.body, tt.ok)
		}
	}
	if r, _ := sv.Route("/end"); r.Status != 200 || !slices.Equal(r.Then, Then{ThenClose}) {
		t.Errorf("defaults not applied: %+v", r)
	}
	if r, _ := sv.Route("/slow"); r.Status != 503 || !slices.Equal(r.Then, Then{ThenNone}) {
		t.Errorf("defaults not applied: %+v", r)
	}
	var none Server
	if r, ok := none.Route("/anything"); !ok || r.Body != DefaultBody {
		t.Errorf("a server without routes answers %q, %v; want the default route", r.Body, ok)
	}
	withStar := Server{Routes: []Route{{Path: "*", Body: "all"}, {Path: "/x", Body: "never"}}}
	if r, _ := withStar.Route("/x"); r.Body != "all" {
		t.Error("the first match must win")
	}
}
