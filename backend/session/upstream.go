package session

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/keepalive-playground/playground/backend/proxy"
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
	hop, err := proxy.NewHop(proxy.HopConfig{
		Target:   s.srv.Addr(),
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
	px, err := factory(proxy.Config{
		Proxy:    p,
		Upstream: hop.Addr(),
		Label:    hop.Label,
		Now:      s.now,
		Emit:     func(peer string, ev timeline.Event) { s.demo.push(gen, peer, ev) },
	})
	if err != nil {
		hop.Close()
		return err
	}
	s.hop, s.px = hop, px
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
	if s.hop != nil {
		s.hop.Close()
		s.hop = nil
	}
}
