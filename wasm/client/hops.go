package client

import (
	"fmt"
	"time"

	"github.com/keepalive-playground/playground/scenario"
)

// Hop is one hop of the way from the client to the app, as the server
// strip shows it: who keeps an idle connection, for how long.
type Hop struct {
	// Name is the hop ("client → nginx", "nginx → app", "app").
	Name string
	// Idle says how long an idle connection lasts there ("75 s", "no
	// reuse", "forever"), Knob what sets it.
	Idle, Knob string
	// Bad marks the hop that closes too soon for the one in front of it.
	Bad bool
}

// Hops lists the hops of sc in order, client side first, or nil without
// a proxy: the rule "each hop's idle timeout longer than the one in front
// of it" is read along them.
func Hops(sc scenario.Scenario) []Hop {
	if sc.Proxy == nil {
		return nil
	}
	full := sc.WithDefaults()
	p := *full.Proxy
	name := p.Kind
	if name == scenario.ProxyALB {
		name = "ALB"
	}
	dur := func(d time.Duration) string {
		if d == 0 {
			return "forever"
		}
		return fmtMs(int(d.Milliseconds()))
	}
	var hops []Hop
	switch p.Kind {
	case scenario.ProxyNginx:
		client := dur(p.ClientIdleTimeout())
		if p.ClientIdleTimeout() == 0 {
			client = "no keep-alive"
		}
		hops = append(hops, Hop{Name: "client → nginx", Idle: client, Knob: "keepalive_timeout"})
		up := Hop{Name: "nginx → app", Idle: dur(p.UpstreamIdleTimeout()), Knob: fmt.Sprintf("upstream keepalive %d, keepalive_timeout", p.KeepaliveConns())}
		if p.KeepaliveConns() == 0 {
			up.Idle, up.Knob = "no reuse", "no keepalive: HTTP/1.0, Connection: close"
		}
		hops = append(hops, up)
	case scenario.ProxyGo:
		hops = append(hops, Hop{Name: "client → Go proxy", Idle: dur(p.ClientIdleTimeout()), Knob: "Server.IdleTimeout"})
		up := Hop{Name: "Go proxy → app", Idle: dur(p.UpstreamIdleTimeout()), Knob: fmt.Sprintf("IdleConnTimeout, %d idle max", p.IdleConnsPerHost())}
		if p.KeepAlivesDisabled() {
			up.Idle, up.Knob = "no reuse", "DisableKeepAlives"
		}
		hops = append(hops, up)
	case scenario.ProxyALB:
		hops = append(hops,
			Hop{Name: "client → ALB", Idle: dur(p.IdleTimeout()), Knob: "idle timeout (modelled)"},
			Hop{Name: "ALB → app", Idle: dur(p.IdleTimeout()), Knob: "idle timeout (modelled)"})
	}
	ms, knob := full.Server.IdleCloseMs()
	app := Hop{Name: "app (" + full.Server.Runtime + ")", Idle: "forever", Knob: knob}
	if ms > 0 {
		app.Idle = fmtMs(ms)
	}
	if !full.Server.KeepAlives() {
		app.Idle, app.Knob = "no keep-alive", "keepAlive off"
	}
	app.Bad = len(sc.HopWarnings()) > 0
	return append(hops, app)
}

func fmtMs(ms int) string {
	if ms%1000 == 0 {
		return fmt.Sprintf("%d s", ms/1000)
	}
	return fmt.Sprintf("%d ms", ms)
}
