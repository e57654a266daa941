package lanes

import (
	"strconv"
	"testing"

	"github.com/keepalive-playground/playground/timeline"
)

// bigModel is n connections sharing events evenly: each connection does
// keep-alive requests (send, request, response, idle, recv) and ends with
// a server close, spread over n*100 ms.
func bigModel(n, events int) *Model {
	m := NewModel(Config{Runtime: "node20", KeepAliveTimeoutMs: 5000, KeepAliveBufferMs: 1000})
	m.Add(timeline.Event{T: 0, Kind: timeline.Listen})
	per := events / n
	for c := 0; c < n; c++ {
		conn := "c" + strconv.Itoa(c)
		t := float64(c) * 10
		add := func(kind string, dt float64) {
			t += dt
			m.Add(timeline.Event{T: t, Conn: conn, Kind: kind, Method: "GET", Path: "/", Status: 200, By: "server", Reason: "keepalive-timeout"})
		}
		add(timeline.Connect, 0)
		add(timeline.Accept, 0.1)
		for k := 2; k+5 < per; k += 5 {
			add(timeline.Send, 5)
			add(timeline.Request, 0.2)
			add(timeline.Response, 1)
			add(timeline.Idle, 0)
			add(timeline.Recv, 0.1)
		}
		add(timeline.Close, 30)
	}
	return m
}

func buildBig() *Model { return bigModel(200, 20000) }

// BenchmarkLayout20k: 200 connections, 20,000 events. The frame budget at
// 60 fps is 16.7 ms; a frame lays out, it does not rebuild the model.
func BenchmarkLayout20k(b *testing.B) {
	b.Run("model", func(b *testing.B) {
		for b.Loop() {
			buildBig()
		}
	})
	m := buildBig()
	b.Run("full-range", func(b *testing.B) {
		v := Viewport{Width: 1400, Height: 480}
		v.Fit(0, m.Last)
		var d Display
		b.ReportAllocs()
		for b.Loop() {
			d.Layout(m, v, m.Last, NoFocus)
		}
		b.ReportMetric(float64(len(d.Items)), "items")
	})
	b.Run("zoomed", func(b *testing.B) {
		v := Viewport{Width: 1400, Height: 480}
		v.Fit(m.Last/2, m.Last/2+200)
		v.Scroll(ContentH(100)/2, ContentH(len(m.Lanes)))
		var d Display
		b.ReportAllocs()
		for b.Loop() {
			d.Layout(m, v, m.Last, NoFocus)
		}
		b.ReportMetric(float64(len(d.Items)), "items")
	})
	b.Run("export-all-lanes", func(b *testing.B) {
		for b.Loop() {
			ExportLayout(m, m.Last, 1400)
		}
	})
}
