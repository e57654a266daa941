package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall/js"
	"time"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/dom"
	"github.com/keepalive-playground/playground/wasm/lanes"
	"github.com/keepalive-playground/playground/wasm/pool/poolview"
)

// Pool panel limits: what a phone's screen holds per pool.
const (
	// maxShownRequests are the newest requests listed per pool.
	maxShownRequests = 8
	// maxShownClosed are the newest closed sockets listed per pool (the
	// open ones are all listed).
	maxShownClosed = 4
)

// poolPanel shows each pooled client in use (the composer's and the
// scenario's pools): its sockets, active, free (with the client's own
// timer counting down) or closed (by whom), and the socket each request
// took. pool.wasm reports the sockets (watch); the requests are the
// page's own, as it sends them. While the scrubber shows an instant of a
// finished run, the panel shows the pools as the run's events had left
// them then (lanes.PoolsAt), without timers: those are the clients' own.
type poolPanel struct {
	loop *dom.Loop
	el   js.Value
	list js.Value
	// clients are the composer's pooled clients; sc the run's scenario,
	// whose pools the panel names too.
	clients []poolClient
	sc      scenario.Scenario
	// pools is pool.wasm's last report; reqs the requests by pool.
	pools []poolview.PoolState
	reqs  map[string][]*poolReq
	draw  int // drawer: the panel
	// instant is the pools at the scrubber's instant; nil: live.
	instant []lanes.PoolAt
	tick    int  // drawer: the free sockets' countdowns, every countdownStep while one runs
	ticking bool // a countdown redraw is due (countdownStep)
}

// poolReq is one request a pooled client was given.
type poolReq struct {
	pool   string
	method string
	path   string
	done   bool
	ev     timeline.Event
}

func newPoolPanel(loop *dom.Loop, parent js.Value) *poolPanel {
	pp := &poolPanel{loop: loop, reqs: map[string][]*poolReq{}}
	pp.list = dom.El("div", []dom.Attr{dom.A("class", "pool-list")})
	pp.el = dom.El("section", []dom.Attr{dom.A("id", "pool-state"), dom.A("class", "pool-state"), dom.A("aria-labelledby", "pool-state-h"), dom.A("hidden", true)},
		dom.El("h3", []dom.Attr{dom.A("id", "pool-state-h")}, "Pools"),
		dom.El("p", []dom.Attr{dom.A("class", "muted pool-help")}, "Each pooled client's sockets: active, free in the pool (the client's own timer counting down), closed and by whom; and the socket each request took."),
		// Shown while the scrubber steps through the run (the page's
		// data-scrubbing).
		dom.El("p", []dom.Attr{dom.A("class", "pool-live"), dom.A("role", "note")}, "The pools at this instant of the run, as its events show them; the clients' own timers are not in the run."),
		pp.list)
	dom.Append(parent, pp.el)
	pp.draw = loop.Drawer(pp.render)
	pp.tick = loop.Drawer(pp.countdown)
	return pp
}

// reset: a new run of sc; the earlier run's requests go.
func (pp *poolPanel) reset(sc scenario.Scenario) {
	pp.sc = sc
	pp.reqs = map[string][]*poolReq{}
	pp.loop.Invalidate(pp.draw)
}

// sent lists a request given to the pool named name; done fills it in.
func (pp *poolPanel) sent(name string, r scenario.Request) *poolReq {
	method := r.Method
	if method == "" {
		method = "GET"
	}
	q := &poolReq{pool: name, method: method, path: r.Path}
	rs := append(pp.reqs[name], q)
	if len(rs) > maxShownRequests {
		rs = rs[len(rs)-maxShownRequests:]
	}
	pp.reqs[name] = rs
	pp.loop.Invalidate(pp.draw)
	return q
}

// done records a request's outcome.
func (pp *poolPanel) done(q *poolReq, ev timeline.Event) {
	q.done, q.ev = true, ev
	pp.loop.Invalidate(pp.draw)
}

// states takes pool.wasm's report ([]poolview.PoolState as JSON).
func (pp *poolPanel) states(data string) {
	var ps []poolview.PoolState
	if err := json.Unmarshal([]byte(data), &ps); err != nil {
		js.Global().Get("console").Call("warn", "pool sent a bad state:", err.Error())
		return
	}
	pp.pools = ps
	pp.loop.Invalidate(pp.draw)
}

// label names a pool's client for people, and whether it is Node's.
func (pp *poolPanel) label(name string) (string, bool) {
	for _, cl := range pp.clients {
		if cl.name == name {
			return cl.label, cl.agent.Kind == scenario.PoolNodeAgent
		}
	}
	if pl, ok := pp.sc.Client.FindPool(name); ok {
		return "pool " + name + ": " + poolLabel(pl, pp.sc.Server), pl.Kind == scenario.PoolNodeAgent
	}
	return name, false
}

// at shows the pools at an instant of the run: after the events
// happened (indices into evs, in time order); nil happened: live.
func (pp *poolPanel) at(evs []timeline.Event, happened []int) {
	pp.instant = nil
	if happened != nil {
		pp.instant = lanes.PoolsAt(evs, happened, pp.poolOf)
		if pp.instant == nil {
			pp.instant = []lanes.PoolAt{}
		}
	}
	// Now, not a frame later: the scrubber draws the cards at the
	// instant in this frame too.
	pp.render()
}

// poolOf names the pool of a connection: a composer client's or a
// scenario pool's; "" for the person's own.
func (pp *poolPanel) poolOf(conn string) string {
	for _, cl := range pp.clients {
		if rest, ok := strings.CutPrefix(conn, cl.name); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			return cl.name
		}
	}
	return pp.sc.Client.PoolOf(conn)
}

// renderAt draws the pools at the scrubber's instant.
func (pp *poolPanel) renderAt() {
	dom.Clear(pp.list)
	for _, pa := range pp.instant {
		label, node := pp.label(pa.Name)
		socks := dom.El("ul", []dom.Attr{dom.A("class", "pool-socks"), dom.A("aria-label", "Sockets of "+label)})
		for _, s := range pa.Sockets {
			socks.Call("append", sockItem(poolview.SocketView{Label: s.Label, State: s.State, Requests: s.Requests, ClosedBy: s.ClosedBy}, node, true))
		}
		rl := dom.El("ol", []dom.Attr{dom.A("class", "pool-reqs"), dom.A("aria-label", "Requests through "+label)})
		outs := pa.Outcomes[max(0, len(pa.Outcomes)-maxShownRequests):]
		for _, ev := range outs {
			dom.Append(rl, reqItem(&poolReq{pool: pa.Name, method: ev.Method, path: ev.Path, done: true, ev: ev}))
		}
		dom.Append(pp.list, dom.El("article", []dom.Attr{dom.A("class", "pool"), dom.A("data-pool", pa.Name), dom.A("data-at", "true")},
			dom.El("h4", nil, label), socks, rl))
	}
	pp.el.Set("hidden", len(pp.instant) == 0)
}

func (pp *poolPanel) render() {
	if pp.instant != nil {
		pp.renderAt()
		return
	}
	dom.Clear(pp.list)
	shown := 0
	for _, st := range pp.pools {
		reqs := pp.reqs[st.Name]
		if len(st.Sockets) == 0 && len(reqs) == 0 {
			continue
		}
		shown++
		label, node := pp.label(st.Name)
		socks := dom.El("ul", []dom.Attr{dom.A("class", "pool-socks"), dom.A("aria-label", "Sockets of "+label)})
		closed := 0
		for i := len(st.Sockets) - 1; i >= 0; i-- {
			s := st.Sockets[i]
			if s.State == poolview.SockClosed {
				if closed++; closed > maxShownClosed {
					continue
				}
			}
			socks.Call("prepend", sockItem(s, node, false))
		}
		if len(st.Sockets) == 0 {
			dom.Append(socks, dom.El("li", []dom.Attr{dom.A("class", "muted")}, "no sockets yet"))
		}
		rl := dom.El("ol", []dom.Attr{dom.A("class", "pool-reqs"), dom.A("aria-label", "Requests through "+label)})
		for _, q := range reqs {
			dom.Append(rl, reqItem(q))
		}
		dom.Append(pp.list, dom.El("article", []dom.Attr{dom.A("class", "pool"), dom.A("data-pool", st.Name)},
			dom.El("h4", nil, label),
			socks, rl))
	}
	pp.el.Set("hidden", shown == 0)
	pp.countdown()
}

// sockItem is one socket's line; at: at the scrubber's instant, where no
// timer is known.
func sockItem(s poolview.SocketView, node, at bool) js.Value {
	li := dom.El("li", []dom.Attr{dom.A("data-label", s.Label), dom.A("data-state", s.State)},
		dom.El("code", nil, s.Label), " ")
	owner := "the Transport"
	if node {
		owner = "the agent"
	}
	uses := fmt.Sprintf(" (%d requests)", s.Requests)
	if s.Requests == 1 {
		uses = " (1 request)"
	}
	switch s.State {
	case poolview.SockActive:
		dom.Append(li, dom.El("span", []dom.Attr{dom.A("class", "sock-state")}, "active"))
		dom.Append(li, uses)
	case poolview.SockFree:
		dom.Append(li, dom.El("span", []dom.Attr{dom.A("class", "sock-state")}, "free"))
		if at {
			dom.Append(li, uses)
			break
		}
		dom.Append(li, uses+" — ")
		if s.DeadlineMs > 0 {
			dom.Append(li, dom.El("span", []dom.Attr{dom.A("class", "sock-left"), dom.A("data-deadline", fmt.Sprint(s.DeadlineMs))}))
			dom.Append(li, dom.El("span", []dom.Attr{dom.A("class", "sock-why")}, " on "+s.Timer))
		} else {
			dom.Append(li, dom.El("span", []dom.Attr{dom.A("class", "sock-why")}, "no timer: "+owner+" keeps it until the server closes it"))
		}
	default:
		by := "closed by " + owner
		if s.ClosedBy == timeline.ByServer {
			by = "closed by the server"
		}
		dom.Append(li, dom.El("span", []dom.Attr{dom.A("class", "sock-state")}, by))
		if s.Note != "" && s.Note != by && !strings.HasPrefix(s.Note, by) {
			dom.Append(li, dom.El("span", []dom.Attr{dom.A("class", "sock-why")}, ": "+s.Note))
		}
		dom.Append(li, uses)
	}
	return li
}

// reqItem is one request's line: the socket it took, new or reused, and
// what came of it.
func reqItem(q *poolReq) js.Value {
	text := q.method + " " + q.path + " → "
	ok := true
	switch ev := q.ev; {
	case !q.done:
		text += "waiting for a socket or an answer"
	default:
		on := "no socket"
		if ev.Conn != "" {
			on = ev.Conn + ", new"
			if ev.Reused {
				on = ev.Conn + ", reused"
			}
		}
		if ev.Retried {
			on += ", retried"
		}
		text += on + " · "
		if ev.Error != "" {
			text += ev.Error
			ok = false
		} else {
			text += fmt.Sprint(ev.Status)
		}
	}
	return dom.El("li", []dom.Attr{dom.A("data-ok", fmt.Sprint(ok)), dom.A("data-done", fmt.Sprint(q.done))}, text)
}

// countdown redraws the free sockets' remaining times, and asks for the
// next frame while one runs.
func (pp *poolPanel) countdown() {
	now := js.Global().Get("Date").Call("now").Float()
	els := pp.list.Call("querySelectorAll", "[data-deadline]")
	running := false
	for i := range els.Get("length").Int() {
		el := els.Call("item", i)
		var dl float64
		fmt.Sscan(el.Get("dataset").Get("deadline").String(), &dl)
		left := (dl - now) / 1000
		text := "timer due"
		if left > 0 {
			running = true
			text = fmt.Sprintf("%.1f s left", left)
		}
		if el.Get("textContent").String() != text {
			dom.SetText(el, text)
		}
	}
	if running && !pp.ticking {
		// The countdown shows tenths of a second: redrawing every frame
		// kept a page busy for as long as a free socket had a timer (90 s
		// for Go's Transport), long after the run.
		pp.ticking = true
		time.AfterFunc(countdownStep, func() {
			pp.loop.Post(func() {
				pp.ticking = false
				pp.loop.Invalidate(pp.tick)
			})
		})
	}
}

// countdownStep is how often the countdowns are redrawn: the tenth of a
// second they show.
const countdownStep = 100 * time.Millisecond
