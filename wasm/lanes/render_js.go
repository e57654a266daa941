package lanes

import (
	"math"
	"sort"
	"strings"
	"syscall/js"

	"github.com/keepalive-playground/playground/wasm/dom"
)

// Painting the Display on a canvas, in the page's colours and font;
// the layout itself is pure (layout.go, labels.go).

// measureKey is a text in one of the timeline's fonts.
type measureKey struct {
	text        string
	small, bold bool
}

// maxWidths bounds the remembered widths (labels of a long live run).
const maxWidths = 4096

// measure is the width of text as the canvas draws it: the layout places
// labels by what the browser's font really takes, not by a guess.
func (v *View) measure(text string, small, bold bool) float64 {
	k := measureKey{text, small, bold}
	if w, ok := v.widths[k]; ok {
		return w
	}
	if len(v.widths) >= maxWidths {
		clear(v.widths)
	}
	v.mctx.Set("font", canvasFont(v.sans, small, bold))
	w := v.mctx.Call("measureText", text).Get("width").Float()
	v.widths[k] = w
	return w
}

// canvasFont is the CSS font the canvas draws text in.
func canvasFont(sans string, small, bold bool) string {
	f := "12px " + sans
	if small {
		f = "11px " + sans
	}
	if bold {
		f = "600 " + f
	}
	return f
}

func (v *View) readColors() {
	cs := js.Global().Call("getComputedStyle", dom.Doc().Get("documentElement"))
	for i, name := range RoleVars {
		c := strings.TrimSpace(cs.Call("getPropertyValue", name).String())
		if c == "" {
			c = LightPalette[i]
		}
		v.pal[i] = c
	}
	v.sans = strings.TrimSpace(cs.Call("getPropertyValue", "--sans").String())
	if v.sans == "" {
		v.sans = SansFont
	}
	clear(v.widths)
}

// render paints d on a 2D context: per layer, shapes of one style are
// batched into one Path2D each, so a frame costs a few dozen calls into
// JavaScript, not one per item.
func render(ctx js.Value, d *Display, pal *Palette, sans string, dpr float64) {
	ctx.Call("setTransform", dpr, 0, 0, dpr, 0, 0)
	ctx.Set("globalAlpha", 1)
	ctx.Set("fillStyle", pal[RolePanel])
	ctx.Call("fillRect", 0, 0, d.W, d.H)
	path2D := js.Global().Get("Path2D")
	type key struct {
		pass   uint8 // 0 rects, 1 lines, 2 marks, 3 outlined marks
		role   Role
		alpha  float64
		dash   bool
		stroke float64
	}
	var keys []key
	groups := map[key]*strings.Builder{}
	dashOn, dashOff := js.ValueOf([]any{4, 3}), js.ValueOf([]any{})
	// Layout adds items in layer order, so each layer is one run of Items.
	next := 0
	for layer := uint8(0); layer <= 4; layer++ {
		start := next
		for next < len(d.Items) && d.Items[next].Layer == layer {
			next++
		}
		run := d.Items[start:next]
		keys = keys[:0]
		clear(groups)
		for i := range run {
			it := &run[i]
			if it.Shape == ShapeText {
				continue
			}
			k := key{role: it.Role, alpha: it.Alpha, dash: it.Dash}
			switch it.Shape {
			case ShapeRect:
				k.pass = 0
			case ShapeLine:
				k.pass, k.stroke = 1, math.Max(it.Line, 1)
			case ShapeMark:
				k.pass = 2
				if GlyphStroked(it.Glyph) {
					k.pass, k.stroke = 3, math.Max(it.Line, 2.5)
				}
			}
			b := groups[k]
			if b == nil {
				b = &strings.Builder{}
				groups[k] = b
				keys = append(keys, k)
			}
			switch it.Shape {
			case ShapeRect:
				b.WriteString("M" + num(it.X) + " " + num(it.Y) + "h" + num(it.W) + "v" + num(it.H) + "h" + num(-it.W) + "Z")
			case ShapeLine:
				x0, y0, x1, y1 := it.X, it.Y, it.X+it.W, it.Y+it.H
				if it.W == 0 { // crisp vertical hairlines
					x0 = math.Round(x0*dpr)/dpr + 0.5/dpr
					x1 = x0
				}
				if it.H == 0 {
					y0 = math.Round(y0*dpr)/dpr + 0.5/dpr
					y1 = y0
				}
				b.WriteString("M" + num(x0) + " " + num(y0) + "L" + num(x1) + " " + num(y1))
			case ShapeMark:
				b.WriteString(GlyphPath(it.Glyph, it.X, it.Y, it.GlyphR()))
			}
		}
		sort.SliceStable(keys, func(i, j int) bool { return keys[i].pass < keys[j].pass })
		for _, k := range keys {
			alpha := k.alpha
			if alpha == 0 {
				alpha = 1
			}
			ctx.Set("globalAlpha", alpha)
			p := path2D.New(groups[k].String())
			c := pal[k.role]
			if k.pass == 1 || k.pass == 3 {
				ctx.Set("strokeStyle", c)
				ctx.Set("lineWidth", k.stroke)
				if k.dash {
					ctx.Call("setLineDash", dashOn)
				} else {
					ctx.Call("setLineDash", dashOff)
				}
				ctx.Call("stroke", p)
				continue
			}
			ctx.Set("fillStyle", c)
			ctx.Call("fill", p)
		}
		ctx.Set("globalAlpha", 1)
		font := ""
		for i := range run {
			it := &run[i]
			if it.Shape != ShapeText {
				continue
			}
			if f := canvasFont(sans, it.Small, it.Bold); f != font {
				ctx.Set("font", f)
				font = f
			}
			align := "left"
			switch it.Anchor {
			case 0:
				align = "center"
			case 1:
				align = "right"
			}
			ctx.Set("textAlign", align)
			ctx.Set("fillStyle", pal[it.Role])
			ctx.Call("fillText", it.Text, it.X, it.Y)
		}
	}
	ctx.Call("setLineDash", dashOff)
}
