package lanes

import (
	"strconv"
	"strings"

	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/client"
)

// Shortcuts are the timeline's keys, for the app's help dialog.
func Shortcuts() [][2]string {
	return [][2]string{
		{"Tab", "focus the timeline"},
		{"← / →", "previous / next event on the lane"},
		{"↑ / ↓", "same time on the lane above / below"},
		{"Home / End", "first / last event of the lane"},
		{"Shift + ← / →", "pan in time"},
		{"Shift + ↑ / ↓", "scroll the lanes"},
		{"+ / -", "zoom in / out"},
		{"0", "fit the whole run"},
		{"f", "follow the live edge"},
		{"Esc", "hide the detail card"},
		{"wheel, pinch", "zoom around the pointer (Shift + wheel scrolls lanes)"},
		{"drag", "pan"},
	}
}

// Field is one line of the detail card.
type Field struct{ Name, Value string }

// Card describes event id for the detail card: its fields, then the raw
// bytes for send and recv. A span card adds the span's state and length.
// ended says the run is over (or the process exited): an open span
// then ends at now, and is not "so far". Times on a card are all in
// milliseconds, as the events and the lessons' checks give them: "34.6 s"
// beside "2811 ms" made a reader convert.
func (m *Model) Card(id int, span bool, now float64, ended bool) (title string, fields []Field, raw string) {
	if id < 0 || id >= len(m.Events) {
		return "", nil, ""
	}
	ev := m.Events[id]
	who := "server"
	if ev.Conn != "" {
		who = "connection " + ev.Conn
	}
	title = ev.Kind + " · " + who
	if span {
		if s := m.spanOf(id); s != nil {
			end, state := s.End, ""
			switch {
			case end != Open:
			case ended || m.Exited >= 0:
				end, state = now, " (the run's end)"
			default:
				end, state = now, " (so far)"
			}
			title = s.Kind.String() + " · " + who
			fields = append(fields, Field{"from", fmtMs(s.Start)}, Field{"to", fmtMs(end) + state}, Field{"for", fmtMs(end - s.Start)})
			if s.Label != "" {
				fields = append(fields, Field{"what", s.Label})
			}
			if s.Timer != "" {
				fields = append(fields, Field{"timeout", s.Timer + " → " + s.TimerReason + " at " + fmtMs(s.Deadline)})
			}
			fields = append(fields, Field{"began with", ev.Kind})
			return title, fields, ""
		}
	}
	fields = append(fields, Field{"t", fmtMs(ev.T)}, Field{"kind", ev.Kind})
	add := func(name, v string) {
		if v != "" {
			fields = append(fields, Field{name, v})
		}
	}
	// A server call's card says what the program called, in its own
	// spelling: the kind close-called is Go's srv.Close() too.
	add("call", serverCall(ev.Kind, m.Config.Runtime))
	add("conn", ev.Conn)
	add("hop", ev.Hop)
	add("upstream", ev.Upstream)
	add("by", ev.By)
	if ev.Reason != ev.By {
		// "by client, reason client" would say it twice.
		add("reason", ev.Reason)
	}
	add("method", ev.Method)
	add("path", ev.Path)
	if ev.Status != 0 {
		add("status", strconv.Itoa(ev.Status))
	}
	add("error", ev.Error)
	if ev.Data != "" {
		add("bytes", strconv.Itoa(len(ev.Data)))
	}
	return title, fields, ev.Data
}

// spanOf finds the span that event id began.
func (m *Model) spanOf(id int) *Span {
	l := &m.Server
	if c := m.Events[id].Conn; c != "" {
		l = m.byConn[c]
	}
	for i := range l.Spans {
		if l.Spans[i].Event == id {
			return &l.Spans[i]
		}
	}
	return nil
}

// ShowBytes makes raw bytes readable and exact: CR and LF are shown as
// \r and \n (a line break follows \n), other control bytes as \xNN;
// the parts of client.Visible, joined.
func ShowBytes(s string) string {
	var b strings.Builder
	for _, p := range client.Visible(s) {
		b.WriteString(p.Text)
	}
	return b.String()
}

// Summary says in words what happened on a lane, for screen readers.
func (m *Model) Summary(l *Lane) string {
	var b strings.Builder
	b.WriteString("Connection " + l.Conn + ": ")
	if len(l.Times) > 0 {
		b.WriteString("from " + fmtMs(l.Times[0]))
	}
	if l.Requests > 0 {
		b.WriteString(", " + strconv.Itoa(l.Requests) + " request")
		if l.Requests > 1 {
			b.WriteString("s")
		}
		var paths []string
		for _, s := range l.Spans {
			if s.Kind == SpanRequest && len(paths) < 3 {
				paths = append(paths, s.Label)
			}
		}
		if len(paths) > 0 {
			b.WriteString(" (" + strings.Join(paths, "; ") + ")")
		}
	}
	switch {
	case l.Refused:
		b.WriteString(", refused")
		if e := m.Events[l.Events[len(l.Events)-1]].Error; e != "" {
			b.WriteString(": " + e)
		}
	case l.Close >= 0:
		ev := m.Events[l.Close]
		b.WriteString(", closed by the " + ev.By + " at " + fmtMs(ev.T))
		if ev.Reason != "" && ev.Reason != ev.By {
			b.WriteString(" (" + ev.Reason + ")")
		}
	}
	if l.Reset >= 0 {
		ev := m.Events[l.Reset]
		b.WriteString(", reset")
		if ev.By != "" {
			b.WriteString(" by the " + ev.By)
		}
		b.WriteString(" at " + fmtMs(ev.T))
	}
	if !l.Ended && l.Close < 0 && !l.Refused {
		b.WriteString(", now " + l.State())
	}
	b.WriteString(".")
	return b.String()
}

// ServerText says what a server event means, a call named as runtime's
// program writes it (Go's "srv.Close() called", Node's "server.close()
// called"), from the runtime table.
func ServerText(ev timeline.Event, runtime string) string {
	what := map[string]string{
		timeline.Listen:         "listening",
		timeline.ListenerClosed: "listener closed: no new connections",
		timeline.BeforeExit:     "beforeExit",
		timeline.Exit:           "the process exits",
	}[ev.Kind]
	if call := serverCall(ev.Kind, runtime); call != "" {
		what = call + " called"
	}
	if what == "" {
		what = ev.Kind
	}
	return "Server: " + what + " at " + fmtMs(ev.T) + "."
}

// EventText is one line about an event, for the live announcement.
func EventText(ev timeline.Event, runtime string) string {
	if ev.Conn == "" {
		return ServerText(ev, runtime)
	}
	s := ev.Conn + ": " + ev.Kind
	switch ev.Kind {
	case timeline.Request:
		s += " " + ev.Method + " " + ev.Path
	case timeline.Response:
		s += " " + strconv.Itoa(ev.Status)
	case timeline.Close:
		// Worded as the mark's label: "closed by the client", never
		// "close by client (client)".
		s = ev.Conn + ": " + markLabel(&ev, runtime)
	case timeline.Reset:
		if ev.By != "" {
			s += " by the " + ev.By
		}
	case timeline.Refused:
		s += " (" + ev.Error + ")"
	case timeline.Send, timeline.Recv:
		s += " " + strconv.Itoa(len(ev.Data)) + " bytes"
	case timeline.TCP:
		s = ev.Conn + ": the " + ev.Side + " end is " + ev.State
	}
	return s + " at " + fmtMs(ev.T) + "."
}

// LegendHTML is the legend as one <ul class="tl-legend">: each entry's
// swatch as inline SVG drawn with p, then its text.
func LegendHTML(p Palette) string {
	var b strings.Builder
	b.WriteString(`<ul class="tl-legend">`)
	for _, e := range Legend() {
		b.WriteString(`<li><span class="tl-swatch"><svg xmlns="http://www.w3.org/2000/svg" width="` + strconv.Itoa(LegendW) + `" height="` + strconv.Itoa(LegendH) + `" aria-hidden="true">`)
		WriteSVGItems(&b, e.Items, p)
		b.WriteString(`</svg></span>` + esc(e.Text) + `</li>`)
	}
	b.WriteString(`</ul>`)
	return b.String()
}

// LegendEntry is one line of the legend: a swatch (items drawn in a small
// box of LegendW × LegendH) and what it means.
type LegendEntry struct {
	Items []Item
	Text  string
}

// Legend swatch size, CSS px.
const (
	LegendW = 28
	LegendH = 16
)

// Legend explains every mark and colour the layout draws.
func Legend() []LegendEntry {
	mid := float64(LegendH) / 2
	bar := func(k SpanKind) []Item {
		role, alpha, share, dash := spanStyle(k)
		if dash {
			return []Item{{Shape: ShapeLine, Role: role, X: 2, Y: mid, W: LegendW - 4, Line: 2, Dash: true, ID: -1}}
		}
		h := barH * share
		return []Item{{Shape: ShapeRect, Role: role, Alpha: alpha, X: 2, Y: mid - h/2, W: LegendW - 4, H: h, ID: -1}}
	}
	mark := func(kind, by string) []Item {
		ev := timeline.Event{Kind: kind, By: by}
		g, role, _ := markStyle(&ev)
		h := float64(markR)
		if g == GlyphBar {
			h = mid - 1
		}
		return []Item{{Shape: ShapeMark, Glyph: g, Role: role, X: LegendW / 2, Y: mid, H: h, ID: -1}}
	}
	countdown := []Item{
		{Shape: ShapeLine, Role: RoleWarn, X: 2, Y: mid, W: LegendW - 6, Line: 1.5, Dash: true, ID: -1},
		{Shape: ShapeLine, Role: RoleWarn, X: LegendW - 4, Y: mid - 6, H: 12, Line: 2, ID: -1},
	}
	strip := func(state string) []Item {
		role, alpha := tcpStyle(state)
		return []Item{
			{Shape: ShapeRect, Role: RoleLine, Alpha: 0.5, X: 2, Y: 2, W: LegendW - 4, H: LegendH - 4, ID: -1},
			{Shape: ShapeRect, Role: role, Alpha: alpha, X: 2, Y: LegendH - 2 - tcpH, W: LegendW - 4, H: tcpH, ID: -1},
		}
	}
	live := []Item{{Shape: ShapeLine, Role: RoleAccent, X: LegendW / 2, Y: 1, H: LegendH - 2, Line: 1, Dash: true, ID: -1}}
	return []LegendEntry{
		{bar(SpanConnecting), "connecting (client and server see it at different moments)"},
		{bar(SpanOpen), "open, waiting for a request"},
		{bar(SpanRequest), "request in flight: parsed → response written"},
		{bar(SpanIdle), "idle keep-alive connection"},
		{bar(SpanHalfClosed), "half-closed: one side closed, the other end is still open"},
		{countdown, "a server timeout counting down to when it fires"},
		{mark(timeline.Send, ""), "the client sent bytes"},
		{mark(timeline.Recv, ""), "the client received bytes"},
		{mark(timeline.Connect, ""), "connected (client)"},
		{mark(timeline.Accept, ""), "accepted (server)"},
		{mark(timeline.Request, ""), "the server parsed a request"},
		{mark(timeline.Response, ""), "the server finished a response (red: 4xx/5xx)"},
		{mark(timeline.Close, timeline.ByServer), "closed by the server, with the reason"},
		{mark(timeline.Close, timeline.ByClient), "closed by the client"},
		{mark(timeline.Reset, ""), "reset (RST)"},
		{mark(timeline.Refused, ""), "connect refused"},
		{bar(SpanListening), "server listening"},
		{mark(timeline.CloseCalled, ""), "close(), closeIdle/closeAll or Shutdown() called"},
		{bar(SpanClosing), "server closing: the listener is still open"},
		{append(bar(SpanNotAccepts), mark(timeline.ListenerClosed, "")...), "listener closed: new connects are refused"},
		{mark(timeline.Exit, ""), "the process exits"},
		{mark(timeline.Forward, ""), "a proxy forwards a request: a line to the upstream lane (u1 ↑) that carries it; dashed: a retry"},
		{mark(timeline.ProxyError, ""), "a proxy's failed upstream exchange, with its log line"},
		{strip(timeline.StateEstablished), "the kernel's TCP state of each end, a strip along the lane (top: the client's end, bottom: the server's): ESTABLISHED"},
		{strip(timeline.StateFinWait2), "FIN_WAIT1/2: this end sent its FIN and waits for the other's"},
		{strip(timeline.StateCloseWait), "CLOSE_WAIT: the other end's FIN came and this end's program has not closed yet"},
		{strip(timeline.StateTimeWait), "TIME_WAIT: the end that closed first waits out a minute"},
		{live, "now: the live edge"},
	}
}
