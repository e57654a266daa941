package lanes

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/keepalive-playground/playground/timeline"
)

// A comparison is drawn as its runs one above the other on one clock:
// the same time scale and origin for every run (each run's own session
// clock starts at its own 0), a heading per run, and each point where the
// timelines part marked by a numbered line through every run, so that the
// eye goes from the number to the sentence under the picture.

// Geometry of a comparison, in CSS pixels.
const (
	compareHeadH = 22 // a run's heading
	compareGap   = 10 // between two runs
	compareTopH  = 18 // the parting numbers above the first run
)

// CompareRun is one run of a comparison as drawn.
type CompareRun struct {
	Name  string
	Model *Model
	// End is when the run ended on its clock; 0 while it runs.
	End float64
}

// CompareLayout is a comparison's picture: every run's Display moved to
// its place, and the parting markers.
type CompareLayout struct {
	W, H float64
	// Tops are the y of each run's heading.
	Tops  []float64
	Items []Item
	View  Viewport
}

// LayoutCompare lays out runs at width w, on one clock long enough for
// the longest run, with partings numbered from 1 in order.
func LayoutCompare(runs []CompareRun, partings []timeline.Parting, w float64) *CompareLayout {
	end := 1.0
	for _, r := range runs {
		end = math.Max(end, math.Max(r.End, r.Model.Last))
	}
	for _, p := range partings {
		end = math.Max(end, p.T)
	}
	v := Viewport{Width: w}
	v.Fit(0, end*1.02)
	cl := &CompareLayout{W: w, View: v}
	y := float64(compareTopH)
	var d Display
	for i, r := range runs {
		cl.Tops = append(cl.Tops, y)
		title := r.Name
		if r.End > 0 {
			title += " · ended at " + fmtMs(r.End)
		} else {
			title += " · running"
		}
		cl.Items = append(cl.Items, Item{Shape: ShapeText, Role: RoleFg, X: 6, Y: y + 15, Text: title, Bold: true, Anchor: -1, ID: -1})
		y += compareHeadH
		rv := v
		rv.Height = ContentH(len(r.Model.Lanes))
		now := r.End
		if now == 0 {
			now = r.Model.Last
		}
		d.Layout(byLabel(r.Model), rv, now, NoFocus)
		for _, it := range d.Items {
			if it.Layer == 4 {
				continue // the live edge: a finished run has an end instead
			}
			it.Y += y
			it.ID = -1
			cl.Items = append(cl.Items, it)
		}
		if r.End > 0 {
			if x := v.X(r.End); x >= GutterW && x <= w {
				cl.Items = append(cl.Items, Item{Shape: ShapeLine, Role: RoleMuted, X: x, Y: y + AxisH - 6, H: rv.Height - AxisH + 6, Line: 1, Dash: true, ID: -1})
			}
		}
		y += rv.Height
		if i < len(runs)-1 {
			y += compareGap
		}
	}
	cl.H = y + 4
	for i, p := range partings {
		x := v.X(p.T)
		if x < GutterW || x > w {
			continue
		}
		cl.Items = append(cl.Items,
			Item{Shape: ShapeLine, Role: RoleBad, X: x, Y: compareTopH - 2, H: cl.H - compareTopH, Line: 1.5, Alpha: 0.7, ID: -1},
			Item{Shape: ShapeText, Role: RoleBad, X: x, Y: compareTopH - 5, Text: strconv.Itoa(i + 1), Bold: true, Small: true, Anchor: 0, ID: -1})
	}
	return cl
}

// byLabel is m with its lanes in label order, so that a connection has
// the same row in every run of a comparison (in each run the lanes are in
// the order their first events came, which can differ by a microsecond).
func byLabel(m *Model) *Model {
	mm := *m
	mm.Lanes = make([]*Lane, len(m.Lanes))
	mm.byConn = make(map[string]*Lane, len(m.Lanes))
	for i, l := range m.Lanes {
		c := *l
		mm.Lanes[i] = &c
	}
	slices.SortStableFunc(mm.Lanes, func(a, b *Lane) int { return cmp.Compare(a.Conn, b.Conn) })
	for i, l := range mm.Lanes {
		l.Index = i
		mm.byConn[l.Conn] = l
	}
	return &mm
}

// WriteSVG writes the comparison as an SVG element coloured by p, titled.
func (cl *CompareLayout) WriteSVG(w io.Writer, p Palette, title string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="%s" role="img">`+"\n",
		num(cl.W), num(cl.H), num(cl.W), num(cl.H), esc(SansFont))
	fmt.Fprintf(bw, "<title>%s</title>\n", esc(title))
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="%s"/>`+"\n", esc(p[RolePanel]))
	for i := range cl.Items {
		writeItem(bw, &cl.Items[i], p)
	}
	bw.WriteString("</svg>\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write comparison svg: %w", err)
	}
	return nil
}
