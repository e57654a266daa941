package lanes

import (
	"math"
	"testing"
)

// TestLayoutLayerRuns holds Layout to what render relies on: items come
// in non-decreasing layer order, none above layer 4, so each layer is one
// run of Items.
func TestLayoutLayerRuns(t *testing.T) {
	m := build(Config{Runtime: "node20", SocketTimeoutMs: 400}, answer2)
	a := m.Lane("A")
	check := func(name string, d *Display) {
		t.Helper()
		for i, it := range d.Items {
			if it.Layer > 4 {
				t.Errorf("%s: item %d is on layer %d", name, i, it.Layer)
			}
			if i > 0 && it.Layer < d.Items[i-1].Layer {
				t.Errorf("%s: item %d on layer %d follows layer %d", name, i, it.Layer, d.Items[i-1].Layer)
			}
		}
	}
	for _, w := range []float64{390, 1200} {
		v := Viewport{Width: w, Height: 480}
		v.Fit(0, m.Last)
		var d Display
		d.Layout(m, v, m.Last/2, Focus{Event: a.Close, Hover: a.Events[0]})
		check("half-way", &d)
		d.Layout(m, v, m.Last, NoFocus)
		check("at the end", &d)
	}
	check("export", ExportLayout(m, m.Last, 1000))
	big := bigModel(50, 2000)
	v := Viewport{Width: 1200, Height: 480}
	v.Fit(0, big.Last)
	var d Display
	d.Layout(big, v, big.Last, NoFocus)
	check("big", &d)
}

func TestFitRun(t *testing.T) {
	m := build(Config{Runtime: "node20", SocketTimeoutMs: 400}, answer2)
	for _, now := range []float64{0, m.Last / 2, m.Last, m.Last + 5000} {
		got, want := Viewport{Width: 1000, Height: 400}, Viewport{Width: 1000, Height: 400}
		got.FitRun(m, now)
		want.Fit(0, math.Max(m.End(now), 1)*1.02)
		if got != want {
			t.Errorf("FitRun at %v = %+v, want %+v", now, got, want)
		}
	}
	empty := NewModel(Config{})
	got, want := Viewport{Width: 1000, Height: 400}, Viewport{Width: 1000, Height: 400}
	got.FitRun(empty, 0)
	want.Fit(0, 1.02)
	if got != want {
		t.Errorf("FitRun of an empty run = %+v, want %+v", got, want)
	}
}
