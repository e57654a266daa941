package main

import (
	"strings"
	"syscall/js"

	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/client"
	"github.com/keepalive-playground/playground/wasm/dom"
	"github.com/keepalive-playground/playground/wasm/lanes"
	"github.com/keepalive-playground/playground/wire"
)

// maxShownBytes bounds the received bytes a card keeps on screen.
const maxShownBytes = 64 << 10

// keepAliveRequest is what the "HTTP/1.1 keep-alive" helper types.
const keepAliveRequest = `GET / HTTP/1.1
Host: demo
Connection: keep-alive

`

// connPanel is the list of connections, one card each, netcat style.
type connPanel struct {
	loop  *dom.Loop
	say   notifier
	host  cardHost
	list  js.Value
	cards map[string]*connCard
	ls    *dom.Listeners
	// trDraw draws the transcripts' new entries, once a frame.
	trDraw int
	// upSec holds the cards of a proxy's upstream connections, after the
	// client's (the Connections list is the client's own); made on the
	// first upstream connection of a run.
	upSec, upList js.Value
}

type connCard struct {
	label string
	// pooled: the pooled client's connection, which only it writes to;
	// upstream: a proxy's own connection to the demo server (u1, …),
	// whose card is its transcript alone.
	pooled, upstream bool
	state            lanes.CardState
	halfBy           string // the end whose FIN came first, while half-closed
	recv             strings.Builder
	el               js.Value
	stateE           js.Value
	recvE            js.Value
	input            js.Value
	crlf             js.Value
	errE             js.Value
	ls               *dom.Listeners
	tv               *transcriptView
}

// cardHost is what the connection cards need of the rest of the page:
// the socket, the run's shape, and the composer, whose pooled client owns
// some connections and which offers the open ones as targets.
type cardHost interface {
	send(wire.Msg) bool
	// pooledConn: the pooled client's connection, which only it writes
	// to (its card says so and has no input).
	pooledConn(label string) bool
	// poolClient names the client that owns a pooled connection, in
	// its card ("Go's net/http Transport", "Node 26.12.1 http.Agent").
	poolClient(label string) string
	// proxied: the loaded scenario has a proxy (a transcript names the
	// hop it was seen on).
	proxied() bool
	// connsChanged: a connection opened or closed.
	connsChanged()
}

func newConnPanel(loop *dom.Loop, say notifier, host cardHost) *connPanel {
	p := &connPanel{loop: loop, say: say, host: host, list: dom.ByID("connections"), cards: map[string]*connCard{}, ls: dom.NewListeners(loop)}
	p.ls.On(dom.ByID("new-conn"), "click", func(js.Value) { p.openNew() })
	p.trDraw = loop.Drawer(func() {
		for _, c := range p.cards {
			c.tv.draw()
		}
	})
	return p
}

// openNew opens a connection with the next free label.
func (p *connPanel) openNew() string {
	label := client.NextLabel(func(l string) bool { return p.cards[l] != nil })
	c := p.card(label)
	c.setState(lanes.CardConnecting, "")
	if !p.host.send(wire.Msg{Type: wire.Open, Conn: label}) {
		c.setState(lanes.CardLost, "not connected to the playground")
	}
	c.input.Call("focus")
	return label
}

// card returns the card for label, creating it.
func (p *connPanel) card(label string) *connCard {
	if c := p.cards[label]; c != nil {
		return c
	}
	c := &connCard{label: label, ls: dom.NewListeners(p.loop), pooled: p.host.pooledConn(label)}
	id := "conn-" + label
	if c.pooled {
		return p.poolCard(c, id)
	}
	btn := func(text, title string, f func()) js.Value {
		b := dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("title", title)}, text)
		c.ls.On(b, "click", func(js.Value) { f() })
		return b
	}
	c.stateE = dom.El("span", []dom.Attr{dom.A("class", "conn-state"), dom.A("role", "status")})
	c.input = dom.El("textarea", []dom.Attr{dom.A("id", id+"-in"), dom.A("class", "mono"), dom.A("rows", "4"),
		dom.A("spellcheck", "false"),
		dom.A("placeholder", `Type bytes to send. Enter is CR LF (like netcat -C); \r \n \t \xNN escapes work. Ctrl+Enter sends.`)})
	c.crlf = dom.El("input", []dom.Attr{dom.A("type", "checkbox"), dom.A("id", id+"-crlf"), dom.A(".checked", true)})
	c.errE = dom.El("p", []dom.Attr{dom.A("class", "conn-error"), dom.A("role", "alert"), dom.A("hidden", true)})
	c.recvE = dom.El("pre", []dom.Attr{dom.A("class", "conn-recv"), dom.A("aria-label", "Bytes received on "+label), dom.A("tabindex", "0")})
	c.tv = newTranscriptView(p, c, "")
	send := func() {
		data, err := client.Unescape(c.input.Get("value").String(), c.crlf.Get("checked").Bool())
		if err != nil {
			c.showError(err.Error())
			return
		}
		if len(data) == 0 {
			c.showError("Nothing to send: type some bytes first.")
			return
		}
		c.showError("")
		if c.state == lanes.CardNew || c.state == lanes.CardClosed || c.state == lanes.CardRefused || c.state == lanes.CardLost {
			c.setState(lanes.CardConnecting, "")
			c.recv.Reset()
			dom.Clear(c.recvE)
		}
		if p.host.send(wire.Msg{Type: wire.Write, Conn: label, Data: data}) {
			c.input.Set("value", "")
		} else {
			c.showError("Not connected to the playground.")
		}
	}
	c.el = dom.El("article", []dom.Attr{dom.A("class", "conn-card"), dom.A("id", id), dom.A("data-label", label), dom.A("aria-labelledby", id+"-h")},
		dom.El("header", []dom.Attr{dom.A("class", "conn-head")},
			dom.El("h3", []dom.Attr{dom.A("id", id+"-h")}, "Connection "+label),
			c.stateE,
			dom.El("span", []dom.Attr{dom.A("class", "conn-btns")},
				btn("HTTP/1.1 keep-alive", "Type a GET request with Connection: keep-alive", func() {
					c.input.Set("value", keepAliveRequest)
					c.crlf.Set("checked", true)
					c.input.Call("focus")
				}),
				btn("Half-close", "Send FIN: shutdown(SHUT_WR), as netcat does at end of input", func() {
					p.host.send(wire.Msg{Type: wire.Shut, Conn: label})
				}),
				btn("Reset", "Abort with RST (SO_LINGER 0)", func() {
					p.host.send(wire.Msg{Type: wire.Reset, Conn: label})
				}),
				btn("Remove", "Remove this card (resets the connection if it is open)", func() { p.remove(label) }),
			),
		),
		dom.El("label", []dom.Attr{dom.A("for", id+"-in"), dom.A("class", "sr-only")}, "Bytes to send on "+label),
		c.input,
		dom.El("div", []dom.Attr{dom.A("class", "conn-send")},
			dom.El("label", nil, c.crlf, " Enter sends CR LF"),
			btn("Send", "Send the bytes (Ctrl+Enter)", send),
		),
		c.errE,
		c.tv.el,
		c.recvE,
	)
	c.el.Get("dataset").Set("view", "transcript")
	c.ls.On(c.input, "keydown", func(ev js.Value) {
		if ev.Get("key").String() == "Enter" && (ev.Get("ctrlKey").Bool() || ev.Get("metaKey").Bool()) {
			send()
		}
	}, func(ev js.Value) bool {
		return ev.Get("key").String() == "Enter" && (ev.Get("ctrlKey").Bool() || ev.Get("metaKey").Bool())
	})
	p.cards[label] = c
	p.list.Call("appendChild", c.el)
	c.setState(lanes.CardNew, "")
	return c
}

// poolCard makes the card of one of the pooled client's connections:
// its state and what it received, and no controls, since Go's Transport
// writes, reuses and closes it (the composer sends through it).
func (p *connPanel) poolCard(c *connCard, id string) *connCard {
	c.stateE = dom.El("span", []dom.Attr{dom.A("class", "conn-state"), dom.A("role", "status")})
	c.errE = dom.El("p", []dom.Attr{dom.A("class", "conn-error"), dom.A("role", "alert"), dom.A("hidden", true)})
	c.recvE = dom.El("pre", []dom.Attr{dom.A("class", "conn-recv"), dom.A("aria-label", "Bytes received on "+c.label), dom.A("tabindex", "0")})
	c.tv = newTranscriptView(p, c, "")
	c.el = dom.El("article", []dom.Attr{dom.A("class", "conn-card"), dom.A("id", id), dom.A("data-label", c.label), dom.A("data-pooled", "true"), dom.A("aria-labelledby", id+"-h")},
		dom.El("header", []dom.Attr{dom.A("class", "conn-head")},
			dom.El("h3", []dom.Attr{dom.A("id", id+"-h")}, "Connection "+c.label),
			c.stateE,
		),
		dom.El("p", []dom.Attr{dom.A("class", "muted conn-owner")}, "Opened by the pooled client ("+p.host.poolClient(c.label)+"), which writes, reuses and closes it; send requests through it in the composer."),
		c.errE,
		c.tv.el,
		c.recvE,
	)
	c.el.Get("dataset").Set("view", "transcript")
	p.cards[c.label] = c
	p.list.Call("appendChild", c.el)
	c.setState("", "")
	return c
}

// upstreamCard makes the card of one of a proxy's own connections to the
// demo server (u1, …): its transcript, the bytes the proxy forwarded and
// what the app answered, which the client's card cannot show.
func (p *connPanel) upstreamCard(label string) *connCard {
	c := &connCard{label: label, upstream: true, ls: dom.NewListeners(p.loop)}
	id := "conn-" + label
	c.stateE = dom.El("span", []dom.Attr{dom.A("class", "conn-state"), dom.A("role", "status")})
	c.errE = dom.El("p", []dom.Attr{dom.A("class", "conn-error"), dom.A("hidden", true)})
	c.recvE = dom.El("pre", []dom.Attr{dom.A("class", "conn-recv"), dom.A("aria-label", "Bytes the proxy received on "+label), dom.A("tabindex", "0")})
	c.tv = newTranscriptView(p, c, timeline.HopUpstream)
	c.el = dom.El("article", []dom.Attr{dom.A("class", "conn-card"), dom.A("id", id), dom.A("data-label", label), dom.A("data-upstream", "true"), dom.A("aria-labelledby", id+"-h")},
		dom.El("header", []dom.Attr{dom.A("class", "conn-head")},
			dom.El("h3", []dom.Attr{dom.A("id", id+"-h")}, "Upstream connection "+label),
			c.stateE,
		),
		dom.El("p", []dom.Attr{dom.A("class", "muted conn-owner")}, "The proxy's own connection to the app: → is what the proxy sent, ← what the app answered."),
		c.tv.el,
		c.recvE,
	)
	c.el.Get("dataset").Set("view", "transcript")
	p.cards[label] = c
	if p.upSec.IsUndefined() {
		p.upList = dom.El("div", []dom.Attr{dom.A("class", "conn-list")})
		p.upSec = dom.El("section", []dom.Attr{dom.A("class", "upstream-conns"), dom.A("aria-labelledby", "upstream-conns-h")},
			dom.El("h3", []dom.Attr{dom.A("id", "upstream-conns-h")}, "The proxy's connections to the app"),
			p.upList)
		p.list.Call("after", p.upSec)
	}
	p.upList.Call("appendChild", c.el)
	return c
}

func (p *connPanel) remove(label string) {
	c := p.cards[label]
	if c == nil {
		return
	}
	if c.state.Live() {
		p.host.send(wire.Msg{Type: wire.Reset, Conn: label})
	}
	c.ls.Release()
	c.el.Call("remove")
	delete(p.cards, label)
	p.host.connsChanged()
}

// scripted notes a scenario step, so its connection has a card.
func (p *connPanel) scripted(m wire.Msg) {
	// The pooled clients' connections get their cards as they connect.
	if p.host.pooledConn(m.Conn) {
		return
	}
	p.card(m.Conn)
}

// event shows the run's event i (its index in the run's events, which is
// also the timeline's id for it) on its connection's card.
func (p *connPanel) event(i int, ev timeline.Event) {
	if ev.Conn == "" {
		return
	}
	c := p.cards[ev.Conn]
	switch {
	case c != nil:
	case ev.Hop == timeline.HopUpstream:
		c = p.upstreamCard(ev.Conn)
	default:
		c = p.card(ev.Conn)
	}
	if c.tv.add(i, ev) {
		p.loop.Invalidate(p.trDraw)
	}
	if c.upstream {
		// The proxy's own connection: its lane and its transcript say
		// the rest; the card's states are worded for the client's.
		if ev.Kind == timeline.Recv && c.recv.Len() < maxShownBytes {
			c.recv.WriteString(ev.Data)
			appendVisible(c.recvE, ev.Data)
		}
		return
	}
	switch ev.Kind {
	case timeline.Connect:
		c.setState(lanes.CardOpen, "")
		p.host.connsChanged()
	case timeline.Recv:
		if c.recv.Len() < maxShownBytes {
			c.recv.WriteString(ev.Data)
			appendVisible(c.recvE, ev.Data)
			c.recvE.Set("scrollTop", c.recvE.Get("scrollHeight"))
		}
	case timeline.Close:
		if c.state == lanes.CardReset {
			break // a reset closed both ends already
		}
		state, detail := lanes.CloseCard(ev, c.halfBy)
		if c.pooled {
			detail = pooledWords.Replace(detail)
		}
		c.halfBy = ""
		if state == lanes.CardHalfClosed {
			c.halfBy = ev.By
		}
		c.setState(state, detail)
		p.host.connsChanged()
	case timeline.Reset:
		detail := "reset by you"
		if c.pooled {
			detail = "reset by the pooled client"
		}
		if ev.By == timeline.ByServer || ev.By == timeline.ByProxy {
			detail = "reset by the " + ev.By + ": " + ev.Error
		}
		c.setState(lanes.CardReset, detail)
		p.host.connsChanged()
	case timeline.Refused:
		c.setState(lanes.CardRefused, ev.Error)
		p.host.connsChanged()
	}
}

// pooledWords say of a pooled connection's client end what a card says
// of the person's: the Transport closed it, not the person.
var pooledWords = strings.NewReplacer(
	"you sent FIN: your end is closed", "the pooled client sent FIN: its end is closed",
	"your end is still open", "the pooled client's end is still open",
	"you closed your end too", "the pooled client closed its end too",
	"after your FIN", "after the pooled client's FIN",
	"closed by you", "closed by the pooled client",
)

// appendVisible adds received bytes to a <pre>, control bytes as styled
// escapes (\r\n) so the framing is visible.
func appendVisible(pre js.Value, data string) {
	frag := dom.Doc().Call("createDocumentFragment")
	for _, part := range client.Visible(data) {
		if part.Ctl {
			dom.Append(frag, dom.El("span", []dom.Attr{dom.A("class", "ctl")}, part.Text))
		} else {
			dom.Append(frag, part.Text)
		}
	}
	pre.Call("appendChild", frag)
}

func (p *connPanel) eof(label string) {
	switch c := p.cards[label]; {
	case c == nil || c.state != lanes.CardOpen:
	case c.pooled:
		c.setState(lanes.CardOpen, "the server sent FIN")
	default:
		c.setState(lanes.CardOpen, "the server sent FIN; a write now shows what a dead connection does")
	}
}

func (p *connPanel) failed(label, msg string) {
	if c := p.cards[label]; c != nil {
		c.showError(msg)
	}
}

// reset clears every card: a new run starts.
func (p *connPanel) reset() {
	for label, c := range p.cards {
		c.ls.Release()
		c.el.Call("remove")
		delete(p.cards, label)
	}
	if !p.upSec.IsUndefined() {
		p.upSec.Call("remove")
		p.upSec, p.upList = js.Undefined(), js.Undefined()
	}
}

// disconnected marks every card: the backend is gone with its sockets.
func (p *connPanel) disconnected() {
	for _, c := range p.cards {
		if !c.state.Over() {
			c.setState(lanes.CardLost, "the playground connection dropped")
		}
	}
}

func (p *connPanel) open() []string {
	var out []string
	for label, c := range p.cards {
		if !c.pooled && (c.state == lanes.CardOpen || c.state == lanes.CardConnecting) {
			out = append(out, label)
		}
	}
	return out
}

func (c *connCard) setState(state lanes.CardState, detail string) {
	c.state = state
	text := state.Text()
	if detail != "" {
		text += " — " + detail
	}
	dom.SetText(c.stateE, text)
	c.el.Get("dataset").Set("state", string(state))
}

func (c *connCard) showError(msg string) {
	dom.SetText(c.errE, msg)
	c.errE.Set("hidden", msg == "")
}
