package main

import (
	"strconv"
	"syscall/js"

	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/dom"
)

// transcriptView is a connection card's two-way transcript, nc -v style:
// what the connection's client end sent (→) and received (←), in order,
// with times, between the lines that say how it opened and ended. Events
// add entries as they arrive; the entries reach the page on the next
// animation frame (the panel's drawer), a burst of events in one go.
type transcriptView struct {
	tr   *timeline.Transcript
	el   js.Value // the section
	list js.Value // the <ol>
	// shown are the entries on the page, each with its <li>; pending the
	// entries the next frame adds.
	shown   []shownEntry
	pending []timeline.TranscriptEntry
}

type shownEntry struct {
	e      timeline.TranscriptEntry
	li     js.Value
	hidden bool // as the scrubber's instant has it; kept here so a step reads no DOM
}

// newTranscriptView makes the transcript section of card c, with its Copy
// button and the switch between the transcript and the received bytes
// alone (the card sets its data-view to "transcript" once it is made);
// hop is the connection's (HopUpstream on a proxy's own connections).
func newTranscriptView(p *connPanel, c *connCard, hop string) *transcriptView {
	v := &transcriptView{tr: timeline.NewTranscript(hop, p.host.proxied())}
	id := "conn-" + c.label + "-tr"
	v.list = dom.El("ol", []dom.Attr{dom.A("class", "transcript"), dom.A("id", id), dom.A("tabindex", "0"),
		dom.A("aria-label", "Transcript of connection "+c.label+": bytes sent (→) and received (←) with their times, and how the connection opened and ended")})
	copyBtn := dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("class", "tr-copy"),
		dom.A("title", "Copy the transcript as text, CR LF written \\r\\n")}, "Copy")
	c.ls.On(copyBtn, "click", func(js.Value) {
		copyLines(p.loop, p.say, v.text(), "transcript of "+c.label)
	})
	toggle := dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("class", "tr-toggle"), dom.A("aria-pressed", "false"),
		dom.A("title", "Show only the bytes received, without times")}, "Received only")
	c.ls.On(toggle, "click", func(js.Value) {
		recvOnly := c.el.Get("dataset").Get("view").String() != "recv"
		view := "transcript"
		if recvOnly {
			view = "recv"
		}
		c.el.Get("dataset").Set("view", view)
		toggle.Call("setAttribute", "aria-pressed", strconv.FormatBool(recvOnly))
	})
	v.el = dom.El("section", []dom.Attr{dom.A("class", "conn-transcript"), dom.A("aria-labelledby", id+"-h")},
		dom.El("div", []dom.Attr{dom.A("class", "tr-head")},
			dom.El("h4", []dom.Attr{dom.A("id", id+"-h")}, "Both ways"),
			dom.El("span", []dom.Attr{dom.A("class", "tr-key muted"), dom.A("aria-hidden", "true")}, "→ sent · ← received"),
			dom.El("span", []dom.Attr{dom.A("class", "tr-btns")}, toggle, copyBtn),
		),
		v.list,
	)
	return v
}

// add takes the connection's event (index i in the run); it reports
// whether the transcript has a new entry to draw.
func (v *transcriptView) add(i int, ev timeline.Event) bool {
	e, ok := v.tr.Add(i, ev)
	if ok {
		v.pending = append(v.pending, e)
	}
	return ok
}

// draw puts the pending entries on the page, keeping the list scrolled to
// its end if it was there (a person reading back is left where they are).
func (v *transcriptView) draw() {
	if len(v.pending) == 0 {
		return
	}
	l := v.list
	atEnd := l.Get("scrollHeight").Int()-l.Get("scrollTop").Int()-l.Get("clientHeight").Int() < 24
	frag := dom.Doc().Call("createDocumentFragment")
	for _, e := range v.pending {
		li := entryEl(e, v.tr.Client)
		dom.Append(frag, li)
		v.shown = append(v.shown, shownEntry{e: e, li: li})
	}
	v.pending = v.pending[:0]
	l.Call("appendChild", frag)
	if atEnd {
		l.Set("scrollTop", l.Get("scrollHeight"))
	}
}

// at shows only the entries whose events had happened by the scrubber's
// instant (happened reports it of an event index; nil: the whole run).
func (v *transcriptView) at(happened func(event int) bool) {
	v.draw()
	last := js.Null()
	for i, s := range v.shown {
		hide := happened != nil && !happened(s.e.Event)
		if s.hidden != hide {
			v.shown[i].hidden = hide
			s.li.Set("hidden", hide)
		}
		if !hide {
			last = s.li
		}
	}
	if happened != nil && !last.IsNull() {
		v.list.Set("scrollTop", last.Get("offsetTop").Int()+last.Get("offsetHeight").Int()-v.list.Get("clientHeight").Int())
	}
}

// text is the transcript as the page shows it (at the scrubber's instant
// too), as plain text for the clipboard.
func (v *transcriptView) text() string {
	v.draw()
	var es []timeline.TranscriptEntry
	for _, s := range v.shown {
		if !s.hidden {
			es = append(es, s.e)
		}
	}
	return timeline.TranscriptText(es)
}

// entryEl is one entry's <li>: its time, its direction (an arrow with its
// words for screen readers) and its bytes with CR LF and control bytes
// visible, the long ones folded behind a disclosure.
func entryEl(e timeline.TranscriptEntry, client string) js.Value {
	stamp := timeline.TranscriptMs(e.T)
	dir := "note"
	switch e.Dir {
	case timeline.DirSent:
		dir = "sent by the " + client
	case timeline.DirRecv:
		dir = "received by the " + client
	}
	attrs := []dom.Attr{dom.A("class", "tr-entry"), dom.A("data-dir", e.Dir), dom.A("data-event", e.Event), dom.A("data-t", strconv.FormatFloat(e.T, 'f', -1, 64))}
	if e.TCP {
		attrs = append(attrs, dom.A("data-tcp", "true"))
	}
	body := dom.El("span", []dom.Attr{dom.A("class", "tr-bytes")})
	if e.Dir == timeline.DirNote {
		dom.Append(body, e.Note)
	} else {
		shown, rest := e.Data, ""
		if e.Fold > 0 {
			shown, rest = e.Data[:e.Fold], e.Data[e.Fold:]
		}
		appendPieces(body, shown)
		if e.Data == "" && e.Cut == 0 {
			dom.Append(body, dom.El("span", []dom.Attr{dom.A("class", "ctl")}, "(no bytes)"))
		}
		if rest != "" {
			more := dom.El("span", nil)
			appendPieces(more, rest)
			dom.Append(body, dom.El("details", []dom.Attr{dom.A("class", "tr-fold")},
				dom.El("summary", nil, "… "+strconv.Itoa(len(rest))+" more bytes"), more))
		}
		if e.Cut > 0 {
			dom.Append(body, dom.El("span", []dom.Attr{dom.A("class", "tr-cut")},
				"… "+strconv.Itoa(e.Cut)+" more bytes not kept (a transcript keeps "+strconv.Itoa(timeline.TranscriptMaxBytes>>10)+" KiB)"))
		}
	}
	return dom.El("li", attrs,
		dom.El("span", []dom.Attr{dom.A("class", "tr-t")}, stamp),
		dom.El("span", []dom.Attr{dom.A("class", "tr-dir"), dom.A("title", dir)},
			dom.El("span", []dom.Attr{dom.A("aria-hidden", "true")}, timeline.Arrow(e.Dir)),
			dom.El("span", []dom.Attr{dom.A("class", "sr-only")}, dir)),
		body)
}

// appendPieces adds bytes to an element, escapes styled apart.
func appendPieces(el js.Value, data string) {
	for _, p := range timeline.Pieces(data) {
		if p.Ctl {
			dom.Append(el, dom.El("span", []dom.Attr{dom.A("class", "ctl")}, p.Text))
		} else {
			dom.Append(el, p.Text)
		}
	}
}
