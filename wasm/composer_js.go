package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"syscall/js"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/dom"
	"github.com/keepalive-playground/playground/wire"
)

// composerHost is what the composer needs of the page: the session's
// socket, and whether the run has ended (the session then takes no
// more of the run's client messages).
type composerHost interface {
	send(m wire.Msg) bool
	runOver() bool
}

// sendTargets are the person's own connections a request can go on
// (the Connections panel's).
type sendTargets interface {
	open() []string
	openNew() string
}

// composer builds HTTP requests and sends them on a connection, a new
// one, or through a pooled client.
type composer struct {
	loop                                 *dom.Loop
	host                                 composerHost
	conns                                sendTargets
	form                                 js.Value
	method, path, version, connHdr, hdrs js.Value
	body, target, out, errE              js.Value
	ls                                   *dom.Listeners
	pool                                 *pooled
	panel                                *poolPanel
	clients                              []poolClient // the "Send on" pooled clients
	targetsDraw                          int          // drawer id of the "Send on" choices
}

func newComposer(loop *dom.Loop, host composerHost, conns sendTargets) *composer {
	c := &composer{loop: loop, host: host, conns: conns, form: dom.ByID("composer"), ls: dom.NewListeners(loop)}
	field := func(id, label string, input js.Value) js.Value {
		input.Call("setAttribute", "id", id)
		return dom.El("div", []dom.Attr{dom.A("class", "field")}, dom.El("label", []dom.Attr{dom.A("for", id)}, label), input)
	}
	options := func(vals ...string) js.Value {
		s := dom.El("select", nil)
		for _, v := range vals {
			dom.Append(s, dom.El("option", []dom.Attr{dom.A("value", v)}, v))
		}
		return s
	}
	c.method = options("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS")
	c.path = dom.El("input", []dom.Attr{dom.A("class", "mono"), dom.A(".value", "/"), dom.A("spellcheck", "false")})
	c.version = options("HTTP/1.1", "HTTP/1.0")
	c.connHdr = dom.El("select", nil,
		dom.El("option", []dom.Attr{dom.A("value", "keep-alive")}, "keep-alive"),
		dom.El("option", []dom.Attr{dom.A("value", "close")}, "close"),
		dom.El("option", []dom.Attr{dom.A("value", "")}, "(no header)"))
	c.hdrs = dom.El("textarea", []dom.Attr{dom.A("class", "mono"), dom.A("rows", "2"), dom.A("placeholder", "Name: value, one per line"), dom.A("spellcheck", "false")})
	c.body = dom.El("textarea", []dom.Attr{dom.A("class", "mono"), dom.A("rows", "2"), dom.A("spellcheck", "false")})
	c.target = dom.El("select", nil)
	c.out = dom.El("ol", []dom.Attr{dom.A("class", "composer-out"), dom.A("aria-live", "polite")})
	c.errE = dom.El("p", []dom.Attr{dom.A("class", "conn-error"), dom.A("role", "alert"), dom.A("hidden", true)})
	send := dom.El("button", []dom.Attr{dom.A("type", "submit"), dom.A("class", "primary")}, "Send request")
	dom.Append(c.form, dom.El("div", []dom.Attr{dom.A("class", "composer-grid")},
		field("req-method", "Method", c.method),
		field("req-path", "Path", c.path),
		field("req-version", "Version", c.version),
		field("req-conn", "Connection", c.connHdr),
	))
	dom.Append(c.form, field("req-headers", "Other headers", c.hdrs))
	dom.Append(c.form, field("req-body", "Body", c.body))
	dom.Append(c.form, field("req-target", "Send on", c.target))
	dom.Append(c.form, dom.El("div", []dom.Attr{dom.A("class", "composer-send")}, send))
	dom.Append(c.form, c.errE)
	dom.Append(c.form, c.out)
	c.ls.On(c.form, "submit", func(js.Value) { c.submit() }, dom.Always)
	c.panel = newPoolPanel(loop, c.form.Get("parentElement"))
	c.pool = newPooled(loop, host, c, c.panel)
	c.clients = pooledClients
	c.panel.clients = c.clients
	c.targetsDraw = loop.Drawer(c.drawTargets)
	c.drawTargets()
	return c
}

const (
	targetNew  = "+new"
	targetPool = "+pool"
)

// targetsChanged asks for the "Send on" choices to be rebuilt, once per
// frame however many connections changed: a replayed trace changes
// hundreds at once.
func (c *composer) targetsChanged() { c.loop.Invalidate(c.targetsDraw) }

// drawTargets rebuilds the "Send on" choices, keeping the selection.
func (c *composer) drawTargets() {
	cur := c.target.Get("value").String()
	dom.Clear(c.target)
	conns := dom.El("optgroup", []dom.Attr{dom.A("label", "Your connections")},
		dom.El("option", []dom.Attr{dom.A("value", targetNew)}, "a new connection"))
	for _, l := range sortedLabels(c.conns.open()) {
		dom.Append(conns, dom.El("option", []dom.Attr{dom.A("value", l)}, "connection "+l))
	}
	dom.Append(c.target, conns)
	// Each pooled client is a pool of its own, with its own connections.
	clients := dom.El("optgroup", []dom.Attr{dom.A("label", "A pooled client")})
	for _, cl := range c.clients {
		dom.Append(clients, dom.El("option", []dom.Attr{dom.A("value", cl.value)}, cl.label))
	}
	dom.Append(c.target, clients)
	if cur != "" {
		c.target.Set("value", cur)
		if c.target.Get("value").String() == "" {
			c.target.Set("value", targetNew)
		}
	}
}

// request reads the form into a request, checked with the scenario's
// own rules so the messages match the editor's.
func (c *composer) request() (scenario.Request, error) {
	r := scenario.Request{
		Method:  c.method.Get("value").String(),
		Path:    strings.TrimSpace(c.path.Get("value").String()),
		Version: c.version.Get("value").String(),
		Body:    c.body.Get("value").String(),
		Headers: map[string]string{},
	}
	if v := c.connHdr.Get("value").String(); v != "" {
		r.Headers["Connection"] = v
	}
	for i, line := range strings.Split(c.hdrs.Get("value").String(), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, val, ok := strings.Cut(line, ":")
		if !ok {
			return r, fmt.Errorf("header line %d: write it as Name: value", i+1)
		}
		// As typed: header names are case-insensitive, and the bytes on the
		// wire are what the person wrote.
		r.Headers[strings.TrimSpace(name)] = strings.TrimSpace(val)
	}
	if err := r.Validate(); err != nil {
		return r, err
	}
	return r, nil
}

func (c *composer) submit() {
	r, err := c.request()
	if err != nil {
		c.showError(err.Error())
		return
	}
	c.showError("")
	target := c.target.Get("value").String()
	for _, cl := range c.clients {
		if cl.value == target {
			c.pool.do(cl, r)
			return
		}
	}
	switch target {
	case targetNew, "":
		label := c.conns.openNew()
		c.host.send(wire.Msg{Type: wire.Write, Conn: label, Data: r.Bytes()})
		c.target.Set("value", targetNew)
	default:
		c.host.send(wire.Msg{Type: wire.Write, Conn: target, Data: r.Bytes()})
	}
}

func (c *composer) showError(msg string) {
	dom.SetText(c.errE, msg)
	c.errE.Set("hidden", msg == "")
}

// result lists one pooled request's outcome, newest first.
func (c *composer) result(text string, ok bool) js.Value {
	li := dom.El("li", []dom.Attr{dom.A("data-ok", fmt.Sprint(ok))}, text)
	c.out.Call("prepend", li)
	for c.out.Get("children").Get("length").Int() > 20 {
		c.out.Get("lastElementChild").Call("remove")
	}
	return li
}

// reset clears the composer for a fresh run of sc (defaults applied);
// run says the run's own client steps start now.
func (c *composer) reset(sc scenario.Scenario, run bool) {
	dom.Clear(c.out)
	c.pool.reset(sc, run)
	c.targetsChanged()
}

func (c *composer) event(ev timeline.Event) { c.pool.event(ev) }

func (c *composer) deliver(m wire.Msg) { c.pool.deliver(m) }

// sortedLabels orders labels as they were made: A … Z, AA, AB, …
func sortedLabels(ls []string) []string {
	slices.SortFunc(ls, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
	})
	return ls
}
