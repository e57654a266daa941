package lanes

import "math"

// Gesture follows the pointers pressed on the timeline: one pointer
// drags (pans and scrolls), two pinch (zoom). Pure: the view feeds it
// the pointer events and applies what it returns.
type Gesture struct {
	pointers  map[int][2]float64
	dragging  bool
	dragX     float64
	dragY     float64
	pinchDist float64
}

// Move is what one pointer move does: a pinch zooms by Zoom around the
// pointer, a drag moves the picture by DX, DY; neither is a hover.
type Move struct {
	Zoom   float64 // > 0: a pinch, zoom by this factor
	DX, DY float64 // a drag
	Drag   bool
}

// Down notes pointer id pressed at (x, y).
func (g *Gesture) Down(id int, x, y float64) {
	if g.pointers == nil {
		g.pointers = map[int][2]float64{}
	}
	g.pointers[id] = [2]float64{x, y}
	g.dragging = true
	g.dragX, g.dragY = x, y
	g.pinchDist = g.span()
}

// Dragging reports whether a pointer is pressed.
func (g *Gesture) Dragging() bool { return g.dragging }

// Moved notes pointer id at (x, y) and says what that does; a move with
// no pointer pressed is a hover (Move{}).
func (g *Gesture) Moved(id int, x, y float64) Move {
	if !g.dragging {
		return Move{}
	}
	if _, ok := g.pointers[id]; ok {
		g.pointers[id] = [2]float64{x, y}
	}
	if d := g.span(); d > 0 && g.pinchDist > 0 {
		f := d / g.pinchDist
		g.pinchDist = d
		return Move{Zoom: f}
	}
	dx, dy := x-g.dragX, y-g.dragY
	g.dragX, g.dragY = x, y
	return Move{DX: dx, DY: dy, Drag: true}
}

// Up notes pointer id released (or cancelled).
func (g *Gesture) Up(id int) {
	delete(g.pointers, id)
	if len(g.pointers) == 0 {
		g.dragging = false
	}
	g.pinchDist = g.span()
}

// span is the distance between two pressed pointers, else 0.
func (g *Gesture) span() float64 {
	if len(g.pointers) != 2 {
		return 0
	}
	var p [][2]float64
	for _, q := range g.pointers {
		p = append(p, q)
	}
	return math.Hypot(p[0][0]-p[1][0], p[0][1]-p[1][1])
}
