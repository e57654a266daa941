package server

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/keepalive-playground/playground/backend/run"
	"github.com/keepalive-playground/playground/backend/session"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// A page may run its scenario's comparison (wire.Compare): every variant
// on a demo server of its own, beside the session's live one, streamed to
// the page as it happens (cevent) and compared at the end (compared). Each
// variant counts as a session against MaxSessions and MaxSessionsPerIP
// while it runs, so a comparison never gives one address more demo
// servers than its sessions could hold; a page runs one at a time.

// maxVariantErrors bounds the error lines kept per run of a comparison.
const maxVariantErrors = 20

// startCompare checks a page's compare message and starts the comparison,
// or tells the page why not.
func (s *Server) startCompare(ctx context.Context, c *client, m wire.Msg) {
	// A refusal is an error, and a compared that ends the page's wait.
	refuse := func(code string, err error) {
		msg := session.CapError(err.Error())
		c.out(wire.Msg{Type: wire.Error, Code: code, Message: msg})
		c.out(wire.Msg{Type: wire.Compared, Message: msg})
	}
	sc, err := scenario.Decode(m.Scenario)
	if err != nil {
		refuse(wire.CodeScenario, err)
		return
	}
	variants, err := sc.Variants()
	if err != nil {
		refuse(wire.CodeScenario, err)
		return
	}
	if len(variants) == 0 {
		refuse(wire.CodeScenario, errors.New("this scenario names nothing to compare: give it compare with runtimes, or a knob and its values"))
		return
	}
	c.mu.Lock()
	busy := c.comparing
	c.comparing = true
	c.mu.Unlock()
	if busy {
		// Not a compared: the running comparison's end is still to come.
		c.out(wire.Msg{Type: wire.Error, Code: wire.CodeLimit, Message: "A comparison is already running; wait for it to end."})
		return
	}
	if err := s.admitRuns(c.ip, len(variants)); err != nil {
		c.mu.Lock()
		c.comparing = false
		c.mu.Unlock()
		refuse(wire.CodeLimit, err)
		return
	}
	c.jobs.Go(func() {
		done := s.compare(ctx, c, variants)
		// The slots are free before the page hears the comparison is
		// over, so that a Compare it sends at once is not "already
		// running".
		s.releaseRuns(c.ip, len(variants))
		c.mu.Lock()
		c.comparing = false
		c.mu.Unlock()
		if done != nil && !c.out(*done) {
			c.end(CloseSlow, slowMessage)
		}
	})
}

// compare runs variants and streams them to the page, and returns the
// compared message that ends them (nil when the page went away). A page
// that does not read what it is sent is dropped, as a live session's
// would be.
func (s *Server) compare(ctx context.Context, c *client, variants []scenario.Variant) *wire.Msg {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	infos := make([]wire.VariantInfo, len(variants))
	for i, v := range variants {
		infos[i] = wire.VariantInfo{Name: v.Name, Notes: v.Notes, Runtime: v.Scenario.WithDefaults().Server.Runtime}
	}
	var slow atomic.Bool
	send := func(m wire.Msg) {
		if !slow.Load() && !c.out(m) {
			slow.Store(true)
			cancel()
		}
	}
	send(wire.Msg{Type: wire.Comparing, Variants: infos})
	observe := func(i int, m wire.Msg) {
		if m.Type == wire.Ev {
			send(wire.Msg{Type: wire.CEvent, Variant: i + 1, Event: m.Event})
		}
	}
	cmp, err := run.CompareWith(ctx, variants, s.opts.Runtimes, run.Options{}, observe)
	switch {
	case slow.Load():
		c.end(CloseSlow, slowMessage)
		return nil
	case ctx.Err() != nil:
		return nil // the page went away
	case err != nil:
		s.log.Info("comparison failed", "session", c.id, "err", err)
		msg := session.CapError("The comparison could not run: " + err.Error())
		send(wire.Msg{Type: wire.Error, Code: wire.CodeInternal, Message: msg})
		return &wire.Msg{Type: wire.Compared, Variants: infos, Message: msg}
	}
	for i, r := range cmp.Runs {
		infos[i].EndMs, infos[i].EndReason = r.EndMs, r.EndReason
		infos[i].Errors = r.Errors[:min(len(r.Errors), maxVariantErrors)]
	}
	if slow.Load() {
		c.end(CloseSlow, slowMessage)
		return nil
	}
	return &wire.Msg{Type: wire.Compared, Variants: infos, Partings: partingsForPage(cmp.Partings)}
}

// partingsForPage keeps what the page draws of each parting: the events'
// bytes are on the runs' own lanes already, and would make the message
// as large as every run together.
func partingsForPage(ps []timeline.Parting) []timeline.Parting {
	ps = ps[:min(len(ps), wire.MaxPartings)]
	out := make([]timeline.Parting, len(ps))
	for i, p := range ps {
		p.Sides = append([]timeline.PartingSide(nil), p.Sides...)
		for j, sd := range p.Sides {
			if sd.Event != nil {
				e := *sd.Event
				e.Data = ""
				p.Sides[j].Event = &e
			}
		}
		out[i] = p
	}
	return out
}

// admitRuns counts n runs of a comparison from ip as sessions, or says why
// they do not fit.
func (s *Server) admitRuns(ip string, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return errors.New("The playground server is restarting; compare again in a moment.")
	case len(s.sessions)+s.runs+n > s.opts.MaxSessions:
		return fmt.Errorf("The playground is too busy for a comparison of %d runs just now (each is a demo server of its own); try again in a minute.", n)
	case s.perIP[ip]+n > s.opts.MaxSessionsPerIP:
		return fmt.Errorf("A comparison of %d runs needs %d demo servers, counted as sessions: your address has %d of its %d in use. Close other playground tabs, or compare fewer variants.",
			n, n, s.perIP[ip], s.opts.MaxSessionsPerIP)
	}
	s.runs += n
	s.perIP[ip] += n
	return nil
}

func (s *Server) releaseRuns(ip string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs -= n
	if s.perIP[ip] -= n; s.perIP[ip] <= 0 {
		delete(s.perIP, ip)
	}
}
