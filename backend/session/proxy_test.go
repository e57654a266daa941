package session

import (
	"strconv"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

func TestProxyHop(t *testing.T) {
	for _, kind := range scenario.ProxyKinds {
		t.Run(kind, func(t *testing.T) {
			h := start(t)
			h.s.cfg.Runtimes = all.Runtimes()
			raw := []byte(`{"v":1,"server":{"runtime":"go"},"proxy":{"kind":"` + kind + `"}}`)
			h.send(wire.Msg{Type: wire.Load, Scenario: raw})
			h.wait("loaded proxy", func(m wire.Msg) bool {
				return m.Type == wire.Loaded && strings.Contains(string(m.Scenario), `"proxy"`)
			})
			h.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("GET /x HTTP/1.1\r\nHost: demo\r\n\r\n")})
			h.waitEvent("A", timeline.Recv)
			h.waitEvent("A", timeline.Response)
			var fw *timeline.Event
			for _, e := range h.events() {
				switch {
				case e.Conn == "A" && e.Hop != "":
					t.Errorf("a client connection's event carries hop %q: %+v", e.Hop, e)
				case e.Conn == "u1" && e.Hop != timeline.HopUpstream:
					t.Errorf("an upstream event without its hop: %+v", e)
				case e.Kind == timeline.Forward:
					fw = &e
				}
			}
			if fw == nil || fw.Conn != "A" || fw.Upstream != "u1" || fw.Path != "/x" {
				t.Fatalf("want a forward of A's request to u1, got %+v in %v", fw, h.events())
			}
			// The demo server saw the request on u1, not on A.
			h.waitEvent("u1", timeline.Request)
			// A client connection may not take an upstream label.
			h.send(wire.Msg{Type: wire.Write, Conn: "u2", Data: []byte("x")})
			h.wait("label refused", func(m wire.Msg) bool {
				return m.Type == wire.Error && m.Conn == "u2" && strings.Contains(m.Message, "upstream")
			})
		})
	}
}

func TestUpstreamLimits(t *testing.T) {
	var u upstreams
	u.reset(make(chan struct{}, 1))
	for i := 1; i <= MaxUpstreamConns; i++ {
		label, err := u.admit()
		if err != nil || label != "u"+strconv.Itoa(i) {
			t.Fatalf("admit %d: %q %v", i, label, err)
		}
	}
	if _, err := u.admit(); err == nil || !strings.Contains(err.Error(), "at once") {
		t.Fatalf("over the open limit: %v", err)
	}
	u.ended("u3")
	if label, err := u.admit(); err != nil || label != "u"+strconv.Itoa(MaxUpstreamConns+1) {
		t.Fatalf("after one ended: %q %v", label, err)
	}
	for i := range MaxUpstreamConnsPerRun {
		u.ended("u" + strconv.Itoa(i+1))
	}
	u.opened = MaxUpstreamConnsPerRun
	if _, err := u.admit(); err == nil || !strings.Contains(err.Error(), "in a run") {
		t.Fatalf("over the run limit: %v", err)
	}
	if errs := u.takeErrors(); len(errs) != 2 {
		t.Errorf("the person is told of each refusal: %v", errs)
	}
}
