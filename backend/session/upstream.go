package session

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/keepalive-playground/playground/backend/proxy"
	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// upstreams counts a proxy's upstream connections against the session's
// limits and names them u1, u2, … in the order the proxy opens them. The
// hop asks from its own goroutine, so it has its own lock.
type upstreams struct {
	mu     sync.Mutex
	opened int // this run
	open   map[string]bool
	errs   []string // limit errors for the owner to report
	wake   chan struct{}
}

func (u *upstreams) reset(wake chan struct{}) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.opened, u.open, u.errs, u.wake = 0, map[string]bool{}, nil, wake
}

// admit names the next upstream connection or refuses it over a limit.
func (u *upstreams) admit() (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	var err error
	switch {
	case len(u.open) >= MaxUpstreamConns:
		err = fmt.Errorf("the proxy may hold at most %d upstream connections open at once; its next connect was refused", MaxUpstreamConns)
	case u.opened >= MaxUpstreamConnsPerRun:
		err = fmt.Errorf("the proxy may open at most %d upstream connections in a run; its next connect was refused", MaxUpstreamConnsPerRun)
	}
	if err != nil {
		if len(u.errs) < 4 {
			u.errs = append(u.errs, err.Error())
		}
		select {
		case u.wake <- struct{}{}:
		default:
		}
		return "", err
	}
	u.opened++
	label := "u" + strconv.Itoa(u.opened)
	u.open[label] = true
	return label, nil
}

// ended frees an upstream connection's place among the open ones.
func (u *upstreams) ended(label string) {
	u.mu.Lock()
	delete(u.open, label)
	u.mu.Unlock()
}

func (u *upstreams) takeErrors() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	e := u.errs
	u.errs = nil
	return e
}

// startProxy starts the scenario's proxy and the hop between it and the
// demo server, whose events belong to server generation gen.
func (s *Session) startProxy(p scenario.Proxy, gen int) error {
	factory := s.cfg.Proxies[p.Kind]
	if factory == nil {
		return fmt.Errorf("the %q proxy is not available on this server", p.Kind)
	}
	s.up.reset(s.demoWake)
	gate, target := s.ln, s.srv.Addr()
	hop, err := proxy.NewHop(proxy.HopConfig{
		DialTarget: func(ctx context.Context) (*net.TCPConn, error) {
			// The hop reaches the demo server as the tunnel does: through
			// its gate, or plainly when the runtime listens by itself.
			if gate != nil {
				return gate.Dial(ctx, DialTimeout, s.dial)
			}
			nc, err := s.dial(ctx, &net.Dialer{Timeout: DialTimeout}, target)
			if err != nil {
				return nil, err
			}
			return nc.(*net.TCPConn), nil
		},
		Open:     s.cfg.OpenHop,
		Latency:  p.UpstreamLatency(),
		Now:      s.now,
		Emit:     func(ev timeline.Event) { s.demo.push(gen, "", ev) },
		Admit:    s.up.admit,
		Ended:    s.up.ended,
		Register: func(addr, label string) { s.labels.set(addr, label) },
	})
	if err != nil {
		return err
	}
	pln, err := sandbox.Listen()
	if err != nil {
		hop.Close()
		return fmt.Errorf("listen on loopback: %w", err)
	}
	pcfg := proxy.Config{
		Proxy:        p,
		Upstream:     hop.Addr(),
		DialUpstream: hop.Dial,
		Listener:     pln,
		Label:        hop.Label,
		Now:          s.now,
		Emit:         func(peer string, ev timeline.Event) { s.demo.push(gen, peer, ev) },
	}
	if s.cfg.OpenHop {
		pcfg.DialUpstream = nil
	}
	px, err := factory(pcfg)
	if err != nil {
		pln.Close()
		hop.Close()
		return err
	}
	if px.Addr() != pln.Addr().String() {
		// The proxy listens by itself (realnginx): the tunnel dials its
		// address as it is.
		pln.Close()
		pln = nil
	}
	s.hop, s.px, s.pln = hop, px, pln
	return nil
}

// stopProxy ends the proxy, then the hop (the proxy's connections go
// first, as its process would end before the network does).
func (s *Session) stopProxy() {
	if s.px != nil {
		if err := s.px.Close(); err != nil {
			s.cfg.Log.Debug("close proxy", "session", s.cfg.ID, "err", err)
		}
		s.px = nil
	}
	if s.pln != nil {
		s.pln.Close() // the proxy closes it too; a second close is harmless
		s.pln = nil
	}
	if s.hop != nil {
		s.hop.Close()
		s.hop = nil
	}
}
