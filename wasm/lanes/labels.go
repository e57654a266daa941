package lanes

import (
	"math"
	"slices"
	"strings"
)

// Text placement. Every text of the timeline is laid out with the box it
// will take (its width as the renderer measures it, the font's ascent and
// descent), and no box may overlap another text's, an event mark's, or
// leave the picture: the browser test measures what the page draws and
// holds the layout to that. A label that does not fit where it wants to be
// moves a little, goes to the other side of its mark, is cut short with
// "…", or is left out (the detail card and the lists below the timeline
// still say everything).

// Label priorities: lower ones are placed first and keep their place.
const (
	prioFixed = iota // lane names, the axis title, the live edge's "now"
	prioCountdown
	prioMark // what a close, a reset or a server call was
	prioRetry
	prioSpan // the state of a span: idle · keepAliveTimeout …
	prioTick // axis labels give way to everything
)

// Font metrics of the page's sans-serif, as shares of the font size: the
// box a browser gives a line of text (DejaVu Sans' 0.93 + 0.24 em is the
// largest of the usual system fonts).
const (
	ascentEm  = 0.93
	descentEm = 0.25
)

// Horizontal rules of placement, in pixels.
const (
	// markShift is how far right of where it wants to be a mark's label
	// may move to clear something; further, it would seem to belong to
	// the next mark.
	markShift = 30
	// textEdge keeps text this far inside the picture's right edge.
	textEdge = 2
	// minElided is the least of a label worth showing cut short.
	minElided = 4
)

// label is a text waiting for its place.
type label struct {
	it Item
	// lo and hi bound where its box may lie horizontally.
	lo, hi float64
	// shift is how far right of it.X the text may move.
	shift float64
	// alt, when not NaN, is where the text may end instead, on the other
	// side of its mark.
	alt  float64
	prio int
	// join: a mark's label, that joins another mark's label it would
	// run into ("close() · exit") rather than move.
	join bool
	// elide: it may be cut short.
	elide bool
}

// rect is a box on screen.
type rect struct{ x0, y0, x1, y1 float64 }

func (a rect) hits(b rect) bool { return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 }

// placed is a text given its place, with its box.
type placed struct {
	item int // index in Items
	box  rect
	join bool
	// left: it was put left of its mark, ending there; lo bounds it.
	left bool
	lo   float64
}

// fontSize is the size a text item is drawn at.
func fontSize(it *Item) float64 {
	if it.Small {
		return 11
	}
	return 12
}

// width is the width of text in it's font: measured by the renderer when
// the display has a Measure, estimated otherwise.
func (d *Display) width(it *Item, text string) float64 {
	if d.Measure != nil {
		return d.Measure(text, it.Small, it.Bold)
	}
	w := textW(text)
	if !it.Small {
		w *= 12.0 / 11
	}
	if it.Bold {
		w *= 1.1
	}
	return w
}

// textBox is the box of it drawn with text, anchored at it.X.
func (d *Display) textBox(it *Item, text string) rect {
	w := d.width(it, text)
	x0 := it.X
	switch it.Anchor {
	case 0:
		x0 -= w / 2
	case 1:
		x0 -= w
	}
	s := fontSize(it)
	return rect{x0, it.Y - s*ascentEm, x0 + w, it.Y + s*descentEm}
}

// markBox is the box a mark's glyph covers, stroke included, with a
// pixel of room around it.
func markBox(it *Item) (rect, bool) {
	x, y, r := it.X, it.Y, it.GlyphR()
	var b rect
	switch it.Glyph {
	case GlyphRing:
		return b, false // the focus highlight around a mark
	case GlyphDot:
		b = rect{x - r*0.7, y - r*0.7, x + r*0.7, y + r*0.7}
	case GlyphUp:
		b = rect{x - r*0.8, y - r*0.6, x + r*0.8, y + r*0.4}
	case GlyphDown:
		b = rect{x - r*0.8, y - r*0.4, x + r*0.8, y + r*0.6}
	case GlyphTriangle:
		b = rect{x - r*0.5, y - r, x + r, y + r}
	case GlyphSquare:
		b = rect{x - r*0.75, y - r*0.75, x + r*0.75, y + r*0.75}
	case GlyphCross:
		b = rect{x - r - 1.25, y - r - 1.25, x + r + 1.25, y + r + 1.25}
	case GlyphBolt:
		b = rect{x - r*0.6, y - r*1.3, x + r*0.7, y + r*1.3}
	case GlyphBar:
		b = rect{x - 1.75, y - r, x + 1.75, y + r}
	default:
		b = rect{x - r, y - r, x + r, y + r}
	}
	return rect{b.x0 - 1, b.y0 - 1, b.x1 + 1, b.y1 + 1}, true
}

// addLabel queues a text for placement by placeLabels.
func (d *Display) addLabel(l label) {
	if l.lo == 0 && l.hi == 0 {
		l.lo, l.hi = GutterW, d.W-textEdge
	}
	if l.alt == 0 {
		l.alt = math.NaN()
	}
	d.labels = append(d.labels, l)
}

// placeLabels gives the queued labels their places, in priority order,
// clear of each other, of the marks in Items[from:], of extra boxes and
// of the band [top, bottom] they must stay in, and adds them to Items.
func (d *Display) placeLabels(from int, top, bottom float64, extra ...rect) {
	d.marks = d.marks[:0]
	for i := from; i < len(d.Items); i++ {
		if it := &d.Items[i]; it.Shape == ShapeMark {
			if b, ok := markBox(it); ok {
				d.marks = append(d.marks, b)
			}
		}
	}
	d.marks = append(d.marks, extra...)
	d.placed = d.placed[:0]
	slices.SortStableFunc(d.labels, func(a, b label) int { return a.prio - b.prio })
	for i := range d.labels {
		d.place(&d.labels[i], top, bottom)
	}
	d.labels = d.labels[:0]
}

// obstacle is the first box b runs into: a placed text (its index in
// d.placed, or -1 for a mark) and its box.
func (d *Display) obstacle(b rect) (int, rect, bool) {
	for i := range d.placed {
		if d.placed[i].box.hits(b) {
			return i, d.placed[i].box, true
		}
	}
	for _, m := range d.marks {
		if m.hits(b) {
			return -1, m, true
		}
	}
	return 0, rect{}, false
}

func (d *Display) place(l *label, top, bottom float64) {
	it := l.it
	b := d.textBox(&it, it.Text)
	if b.y0 < top || b.y1 > bottom {
		return // its lane is scrolled under the header or off the picture
	}
	// Where it wants to be, then a little to the right.
	x0 := math.Max(b.x0, l.lo)
	for range 8 {
		cand := rect{x0, b.y0, x0 + b.x1 - b.x0, b.y1}
		if cand.x1 > l.hi || x0-b.x0 > l.shift {
			break
		}
		j, o, hit := d.obstacle(cand)
		if !hit {
			d.put(&it, cand, l.join)
			return
		}
		if j >= 0 && l.join && d.placed[j].join && d.joinTo(j, it.Text, l.hi, top, bottom) {
			return
		}
		x0 = o.x1 + 0.5
	}
	// The other side of its mark, ending there or a little further left.
	if !math.IsNaN(l.alt) {
		w := b.x1 - b.x0
		x1 := l.alt
		for range 8 {
			cand := rect{x1 - w, b.y0, x1, b.y1}
			if cand.x0 < l.lo || cand.x1 > l.hi || l.alt-x1 > l.shift {
				// Off the picture on either side (its mark is past the
				// right edge when zoomed in), or too far from its mark.
				break
			}
			if j, o, hit := d.obstacle(cand); hit {
				if j >= 0 && l.join && d.placed[j].join && d.joinTo(j, it.Text, l.hi, top, bottom) {
					return
				}
				x1 = o.x0 - 0.5
				continue
			}
			d.put(&it, cand, l.join)
			d.placed[len(d.placed)-1].left, d.placed[len(d.placed)-1].lo = true, l.lo
			return
		}
	}
	// Cut short where it wants to be.
	if l.elide {
		x0 := math.Max(b.x0, l.lo)
		if text, cand, ok := d.elided(&it, it.Text, x0, l.hi, b.y0, b.y1); ok {
			it.Text = text
			d.put(&it, cand, l.join)
		}
	}
}

// put adds it, start-anchored at box b.
func (d *Display) put(it *Item, b rect, join bool) {
	it.X, it.Anchor = b.x0, -1
	d.placed = append(d.placed, placed{item: len(d.Items), box: b, join: join})
	d.add(*it)
}

// joinTo appends text to placed label j ("close() · exit"), cut short
// if the joined text runs into something; it reports false when not even
// that fits, and j is left as it was.
func (d *Display) joinTo(j int, text string, hi, top, bottom float64) bool {
	p := &d.placed[j]
	it := &d.Items[p.item]
	if it.Text == text || strings.HasSuffix(it.Text, " · "+text) {
		return true // the same label again: a burst of one kind
	}
	old := p.box
	p.box = rect{} // not its own obstacle
	joined := it.Text + " · " + text
	if p.left {
		// Left of its mark: the joined text ends where it did.
		w := d.width(it, joined)
		b := rect{old.x1 - w, old.y0, old.x1, old.y1}
		if _, _, hit := d.obstacle(b); !hit && b.x0 >= p.lo {
			it.Text, it.X, p.box = joined, b.x0, b
			return true
		}
	}
	joined, b, ok := d.elided(it, joined, old.x0, hi, old.y0, old.y1)
	if !ok || len([]rune(joined)) <= len([]rune(it.Text))+minElided {
		p.box = old
		return false
	}
	it.Text, p.box = joined, b
	return true
}

// elided is text cut short (with "…") to fit from x0 up to hi and the
// first obstacle on its way, if at least minElided characters of it fit.
func (d *Display) elided(it *Item, text string, x0, hi, y0, y1 float64) (string, rect, bool) {
	limit := hi
	full := rect{x0, y0, x0 + d.width(it, text), y1}
	for _, o := range d.placed {
		if o.box.hits(rect{x0, y0, hi, y1}) {
			if o.box.x0 <= x0 {
				return "", rect{}, false
			}
			limit = math.Min(limit, o.box.x0-0.5)
		}
	}
	for _, m := range d.marks {
		if m.hits(rect{x0, y0, hi, y1}) {
			if m.x0 <= x0 {
				return "", rect{}, false
			}
			limit = math.Min(limit, m.x0-0.5)
		}
	}
	if full.x1 <= limit {
		return text, full, true
	}
	r := []rune(text)
	for n := len(r) - 1; n >= minElided; n-- {
		s := string(r[:n]) + "…"
		if w := d.width(it, s); x0+w <= limit {
			return s, rect{x0, y0, x0 + w, y1}, true
		}
	}
	return "", rect{}, false
}
