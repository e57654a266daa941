package lanes

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Palette is a colour per role: resolved values ("#0b6bcb") for an export
// that stands alone, or "var(--bad)" for SVG inside the page that follows
// the theme.
type Palette [numRoles]string

// VarPalette colours by the page's CSS variables.
func VarPalette() Palette {
	var p Palette
	for i, v := range RoleVars {
		p[i] = "var(" + v + ")"
	}
	return p
}

// LightPalette is app.css's light theme, for exports made without a page.
var LightPalette = Palette{"#1d2125", "#5b6570", "#d9dde1", "#ffffff", "#f7f7f5", "#0b6bcb", "#18794e", "#b25e09", "#c9252d", "#6d4bd6", "#0b6bcb", "#ffb000"}

// SansFont is the font stack app.css has.
const SansFont = `system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif`

// WriteSVG writes d as a standalone SVG document coloured by p, titled.
func (d *Display) WriteSVG(w io.Writer, p Palette, title string) error {
	return d.writeSVG(w, p, title, SansFont)
}

// writeSVG is WriteSVG in the given font stack.
func (d *Display) writeSVG(w io.Writer, p Palette, title, font string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="%s">`+"\n",
		num(d.W), num(d.H), num(d.W), num(d.H), esc(font))
	fmt.Fprintf(bw, "<title>%s</title>\n", esc(title))
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="%s"/>`+"\n", esc(p[RolePanel]))
	for i := range d.Items {
		writeItem(bw, &d.Items[i], p)
	}
	bw.WriteString("</svg>\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write svg: %w", err)
	}
	return nil
}

// WriteSVGItems writes bare SVG elements for items (the legend's swatches).
func WriteSVGItems(w io.Writer, items []Item, p Palette) error {
	bw := bufio.NewWriter(w)
	for i := range items {
		writeItem(bw, &items[i], p)
	}
	return bw.Flush()
}

func writeItem(w *bufio.Writer, it *Item, p Palette) {
	c := esc(p[it.Role])
	op := ""
	if it.Alpha > 0 && it.Alpha < 1 {
		op = ` opacity="` + num(it.Alpha) + `"`
	}
	dash := ""
	if it.Dash {
		dash = ` stroke-dasharray="4 3"`
	}
	lw := it.Line
	if lw == 0 {
		lw = 1
	}
	switch it.Shape {
	case ShapeRect:
		fmt.Fprintf(w, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"%s/>`+"\n", num(it.X), num(it.Y), num(it.W), num(it.H), c, op)
	case ShapeLine:
		fmt.Fprintf(w, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"%s%s/>`+"\n",
			num(it.X), num(it.Y), num(it.X+it.W), num(it.Y+it.H), c, num(lw), dash, op)
	case ShapeText:
		anchor := "start"
		switch it.Anchor {
		case 0:
			anchor = "middle"
		case 1:
			anchor = "end"
		}
		size, weight := "12", ""
		if it.Small {
			size = "11"
		}
		if it.Bold {
			weight = ` font-weight="600"`
		}
		fmt.Fprintf(w, `<text x="%s" y="%s" fill="%s" font-size="%s" text-anchor="%s"%s>%s</text>`+"\n",
			num(it.X), num(it.Y), c, size, anchor, weight, esc(it.Text))
	case ShapeMark:
		writeGlyph(w, it, c, lw)
	}
}

func writeGlyph(w *bufio.Writer, it *Item, c string, lw float64) {
	x, y, r := it.X, it.Y, it.GlyphR()
	switch it.Glyph {
	case GlyphDot:
		fmt.Fprintf(w, `<circle cx="%s" cy="%s" r="%s" fill="%s"/>`+"\n", num(x), num(y), num(r*0.7), c)
	case GlyphRing:
		fmt.Fprintf(w, `<circle cx="%s" cy="%s" r="%s" fill="none" stroke="%s" stroke-width="%s"/>`+"\n", num(x), num(y), num(r), c, num(lw))
	case GlyphUp, GlyphDown, GlyphTriangle, GlyphDiamond, GlyphCross, GlyphBolt, GlyphSquare, GlyphBar:
		fmt.Fprintf(w, `<path d="%s" fill="%s" stroke="%s" stroke-width="%s"/>`+"\n", GlyphPath(it.Glyph, x, y, r), fillOf(it.Glyph, c), c, num(strokeOf(it.Glyph)))
	}
}

// GlyphR is the size a mark's glyph is drawn at.
func (it *Item) GlyphR() float64 {
	if it.Glyph == GlyphBar || it.Glyph == GlyphRing {
		return it.H
	}
	return markR
}

// GlyphStroked reports whether a glyph is drawn as an outline.
func GlyphStroked(g Glyph) bool { return g == GlyphCross || g == GlyphRing }

// GlyphPath is a glyph's outline as SVG path data (the canvas draws the
// same path with Path2D).
func GlyphPath(g Glyph, x, y, r float64) string {
	var b strings.Builder
	pt := func(cmd byte, px, py float64) {
		b.WriteByte(cmd)
		b.WriteString(num(px))
		b.WriteByte(' ')
		b.WriteString(num(py))
	}
	switch g {
	case GlyphDot, GlyphRing:
		if g == GlyphDot {
			r *= 0.7
		}
		pt('M', x-r, y)
		b.WriteString("a" + num(r) + " " + num(r) + " 0 1 0 " + num(2*r) + " 0")
		b.WriteString("a" + num(r) + " " + num(r) + " 0 1 0 " + num(-2*r) + " 0")
	case GlyphUp: // a caret pointing up: bytes going to the server
		pt('M', x-r*0.8, y+r*0.4)
		pt('L', x, y-r*0.6)
		pt('L', x+r*0.8, y+r*0.4)
		b.WriteByte('Z')
	case GlyphDown:
		pt('M', x-r*0.8, y-r*0.4)
		pt('L', x, y+r*0.6)
		pt('L', x+r*0.8, y-r*0.4)
		b.WriteByte('Z')
	case GlyphTriangle:
		pt('M', x-r*0.5, y-r)
		pt('L', x+r, y)
		pt('L', x-r*0.5, y+r)
		b.WriteByte('Z')
	case GlyphDiamond:
		pt('M', x, y-r)
		pt('L', x+r, y)
		pt('L', x, y+r)
		pt('L', x-r, y)
		b.WriteByte('Z')
	case GlyphSquare:
		s := r * 0.75
		pt('M', x-s, y-s)
		pt('L', x+s, y-s)
		pt('L', x+s, y+s)
		pt('L', x-s, y+s)
		b.WriteByte('Z')
	case GlyphCross:
		pt('M', x-r, y-r)
		pt('L', x+r, y+r)
		pt('M', x+r, y-r)
		pt('L', x-r, y+r)
	case GlyphBolt:
		pt('M', x+r*0.3, y-r*1.3)
		pt('L', x-r*0.6, y+r*0.1)
		pt('L', x+r*0.2, y+r*0.1)
		pt('L', x-r*0.3, y+r*1.3)
		pt('L', x+r*0.7, y-r*0.3)
		pt('L', x-r*0.1, y-r*0.3)
		b.WriteByte('Z')
	case GlyphBar:
		pt('M', x-1.5, y-r)
		pt('L', x+1.5, y-r)
		pt('L', x+1.5, y+r)
		pt('L', x-1.5, y+r)
		b.WriteByte('Z')
	}
	return b.String()
}

func fillOf(g Glyph, c string) string {
	if g == GlyphCross {
		return "none"
	}
	return c
}

func strokeOf(g Glyph) float64 {
	if g == GlyphCross {
		return 2.5
	}
	return 0.5
}

// num formats a coordinate with at most two decimals.
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}

// esc makes s safe as SVG text or as a quoted attribute value.
//
// Its output is exactly xml.EscapeText's for every input, written out here
// so that encoding/xml stays out of the browser's wasm: the five markup
// characters become references (both quotes, so either attribute quoting
// is safe), tab, newline and carriage return become character references
// so that attribute-value normalisation cannot turn them into spaces, and
// each invalid UTF-8 byte or rune outside XML's Char production becomes
// U+FFFD, since a parser must reject a document containing them.
func esc(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		var rep string
		switch r {
		case '"':
			rep = "&#34;"
		case '\'':
			rep = "&#39;"
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '\t':
			rep = "&#x9;"
		case '\n':
			rep = "&#xA;"
		case '\r':
			rep = "&#xD;"
		default:
			if !isXMLChar(r) || r == utf8.RuneError && width == 1 {
				rep = "\uFFFD"
			}
		}
		if rep != "" {
			b.WriteString(s[last:i])
			b.WriteString(rep)
			last = i + width
		}
		i += width
	}
	if last == 0 {
		return s // nothing to escape, the common case: no copy
	}
	b.WriteString(s[last:])
	return b.String()
}

// isXMLChar reports whether r is in XML 1.0's Char production.
func isXMLChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		0x20 <= r && r <= 0xD7FF ||
		0xE000 <= r && r <= 0xFFFD ||
		0x10000 <= r && r <= 0x10FFFF
}
