package lanes

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

type ev = timeline.Event

// answer2 is the story's answer 2 on node20 with a 400 ms socket timeout
// and keepAliveTimeout off (scenarios/answer2-timeout-node20.json).
var answer2 = []ev{
	{T: 0.5, Kind: "listen"},
	{T: 1, Conn: "A", Kind: "accept"},
	{T: 1.1, Conn: "A", Kind: "connect"},
	{T: 1.1, Conn: "A", Kind: "send", Data: "GET /test HTTP/1.1\r\nHost: demo\r\n\r\n"},
	{T: 1.6, Conn: "A", Kind: "request", Method: "GET", Path: "/test"},
	{T: 1.8, Conn: "A", Kind: "response", Status: 200},
	{T: 1.9, Conn: "A", Kind: "idle"},
	{T: 1.9, Conn: "A", Kind: "recv", Data: "HTTP/1.1 200 OK\r\n\r\nc\r\nHello World!\r\n0\r\n\r\n"},
	{T: 402.4, Conn: "A", Kind: "close", By: "server", Reason: "socket-timeout"},
	{T: 1001.3, Conn: "B", Kind: "connect"},
	{T: 1001.6, Conn: "B", Kind: "accept"},
	{T: 1001.6, Conn: "B", Kind: "request", Method: "GET", Path: "/end"},
	{T: 1001.7, Kind: "close-called"},
	{T: 1001.7, Kind: "listener-closed"},
	{T: 1001.7, Conn: "B", Kind: "response", Status: 200},
	{T: 1001.7, Conn: "B", Kind: "idle"},
	{T: 1402.8, Conn: "B", Kind: "close", By: "server", Reason: "socket-timeout"},
	{T: 1402.8, Kind: "before-exit"},
	{T: 1402.8, Kind: "exit"},
}

func build(cfg Config, evs []ev) *Model {
	m := NewModel(cfg)
	for _, e := range evs {
		m.Add(e)
	}
	return m
}

func kinds(l *Lane) string {
	var s []string
	for _, sp := range l.Spans {
		end := "open"
		if sp.End != Open {
			end = fmtMs(sp.End)
		}
		s = append(s, fmt.Sprintf("%s[%s,%s]", sp.Kind, fmtMs(sp.Start), end))
	}
	return strings.Join(s, " ")
}

func TestModelSpans(t *testing.T) {
	node20 := Config{Runtime: "node20", SocketTimeoutMs: 400}
	tests := []struct {
		name   string
		cfg    Config
		events []ev
		conn   string
		spans  string
		state  string
		by     string
		reason string
	}{
		{
			name: "keep-alive request, idle, server closes on socket timeout", cfg: node20, events: answer2, conn: "A",
			spans: "connecting[1 ms,1.1 ms] open[1.1 ms,1.6 ms] request in flight[1.6 ms,1.8 ms] open[1.8 ms,1.9 ms] idle[1.9 ms,402.4 ms] half-closed[402.4 ms,open]",
			state: "half-closed", by: "server", reason: "socket-timeout",
		},
		{
			name: "refused connect", cfg: node20, conn: "B",
			events: []ev{{T: 1501.1, Conn: "B", Kind: "refused", Error: "connect: connection refused"}},
			spans:  "", state: "refused",
		},
		{
			name: "client reset ends the lane", cfg: node20, conn: "A",
			events: []ev{
				{T: 1, Conn: "A", Kind: "connect"}, {T: 1.2, Conn: "A", Kind: "accept"},
				{T: 50, Conn: "A", Kind: "reset", By: "client"},
			},
			spans: "connecting[1 ms,1.2 ms] open[1.2 ms,50 ms]", state: "reset",
		},
		{
			name: "server close, then client's own close ends the half-closed stretch", cfg: Config{Runtime: "go"}, conn: "A",
			events: []ev{
				{T: 1, Conn: "A", Kind: "connect"}, {T: 1, Conn: "A", Kind: "accept"},
				{T: 2, Conn: "A", Kind: "request", Method: "GET", Path: "/"},
				{T: 3, Conn: "A", Kind: "response", Status: 200}, {T: 3, Conn: "A", Kind: "idle"},
				{T: 10, Conn: "A", Kind: "close", By: "server", Reason: "shutdown"},
				{T: 12, Conn: "A", Kind: "close", By: "client", Reason: "client"},
			},
			spans: "connecting[1 ms,1 ms] open[1 ms,2 ms] request in flight[2 ms,3 ms] open[3 ms,3 ms] idle[3 ms,10 ms] half-closed[10 ms,12 ms]",
			state: "closed", by: "server", reason: "shutdown",
		},
		{
			name: "destroy during the request: the late response changes nothing", cfg: node20, conn: "A",
			events: []ev{
				{T: 2, Conn: "A", Kind: "connect"}, {T: 2, Conn: "A", Kind: "accept"},
				{T: 2.1, Conn: "A", Kind: "request", Method: "GET", Path: "/"},
				{T: 2.3, Conn: "A", Kind: "close", By: "server", Reason: "destroy"},
				{T: 2.3, Conn: "A", Kind: "response", Status: 200},
				{T: 2.3, Conn: "A", Kind: "recv", Data: "HTTP/1.1 200 OK\r\n\r\n"},
			},
			spans: "connecting[2 ms,2 ms] open[2 ms,2.1 ms] request in flight[2.1 ms,2.3 ms] half-closed[2.3 ms,open]",
			state: "half-closed", by: "server", reason: "destroy",
		},
		{
			name: "an event a little out of order never runs a span backwards", cfg: node20, conn: "A",
			events: []ev{
				{T: 5, Conn: "A", Kind: "connect"}, {T: 4.9, Conn: "A", Kind: "accept"},
			},
			spans: "connecting[5 ms,5 ms] open[5 ms,open]", state: "open",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := build(tt.cfg, tt.events)
			l := m.Lane(tt.conn)
			if l == nil {
				t.Fatalf("no lane %s", tt.conn)
			}
			if got := kinds(l); got != tt.spans {
				t.Errorf("spans\n got %s\nwant %s", got, tt.spans)
			}
			if got := l.State(); got != tt.state {
				t.Errorf("state = %q, want %q", got, tt.state)
			}
			by, reason := "", ""
			if l.Close >= 0 {
				by, reason = m.Events[l.Close].By, m.Events[l.Close].Reason
			}
			if by != tt.by || reason != tt.reason {
				t.Errorf("closed by %q (%q), want %q (%q)", by, reason, tt.by, tt.reason)
			}
			for i := 1; i < len(l.Times); i++ {
				if l.Times[i] < l.Times[i-1] {
					t.Errorf("times run backwards at %d: %v", i, l.Times)
				}
			}
		})
	}
}

func TestServerLane(t *testing.T) {
	m := build(Config{Runtime: "node20"}, answer2)
	if got, want := kinds(&m.Server), "listening[0.5 ms,1001.7 ms] closing[1001.7 ms,1001.7 ms] listener closed[1001.7 ms,1402.8 ms]"; got != want {
		t.Errorf("server spans\n got %s\nwant %s", got, want)
	}
	if m.Exited != 1402.8 || !m.Server.Ended {
		t.Errorf("exit at %v (ended %v), want 1402.8", m.Exited, m.Server.Ended)
	}
	if len(m.Lanes) != 2 || m.Lanes[0].Conn != "A" || m.Lanes[1].Conn != "B" {
		t.Errorf("lanes in order of appearance: %v", m.Lanes)
	}
}

func TestCountdown(t *testing.T) {
	open := []ev{
		{T: 10, Conn: "A", Kind: "accept"}, {T: 10, Conn: "A", Kind: "connect"},
	}
	served := append(append([]ev{}, open...),
		ev{T: 20, Conn: "A", Kind: "send", Data: "GET / HTTP/1.1\r\n\r\n"},
		ev{T: 21, Conn: "A", Kind: "request", Method: "GET", Path: "/"},
		ev{T: 30, Conn: "A", Kind: "response", Status: 200},
		ev{T: 30, Conn: "A", Kind: "idle"},
	)
	tests := []struct {
		name     string
		cfg      Config
		events   []ev
		now      float64
		label    string
		reason   string
		deadline float64
	}{
		{"node20: keepAliveTimeout plus the 1 s buffer after a response",
			ConfigOf(sc("node20", `"keepAliveTimeoutMs": 5000`)), served, 100,
			"keepAliveTimeout 5000 ms + 1000 ms buffer", "keepalive-timeout", 6030},
		{"node18: keepAliveTimeout, no buffer",
			ConfigOf(sc("node18", `"keepAliveTimeoutMs": 5000`)), served, 100,
			"keepAliveTimeout 5000 ms", "keepalive-timeout", 5030},
		{"node: socket.setTimeout before the first request",
			ConfigOf(sc("node20", `"socketTimeoutMs": 4000`)), open, 100,
			"socket.setTimeout 4000 ms", "socket-timeout", 4010},
		{"node: keepAliveTimeout off, socket timeout restarted by the last write",
			ConfigOf(sc("node20", `"socketTimeoutMs": 400, "keepAliveTimeoutMs": 0`)), served, 100,
			"socket.setTimeout 400 ms", "socket-timeout", 430},
		{"go: IdleTimeout from the end of the response",
			ConfigOf(sc("go", `"idleTimeoutMs": 2000`)), served, 100,
			"IdleTimeout 2000 ms", "idle-timeout", 2030},
		{"go: ReadHeaderTimeout before the first request",
			ConfigOf(sc("go", `"readHeaderTimeoutMs": 1000`)), open, 100,
			"ReadHeaderTimeout 1000 ms", "headers-timeout", 1010},
		{"go: no IdleTimeout, an idle connection waits forever",
			ConfigOf(sc("go", "")), served, 100, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := build(tt.cfg, tt.events)
			cd, ok := m.Lane("A").Countdown(tt.now)
			if tt.label == "" {
				if ok {
					t.Fatalf("countdown %+v, want none", cd)
				}
				return
			}
			if !ok {
				t.Fatal("no countdown")
			}
			if cd.Label != tt.label || cd.Reason != tt.reason || cd.Deadline != tt.deadline || cd.Left != tt.deadline-tt.now {
				t.Errorf("countdown %+v, want %q %q at %v", cd, tt.label, tt.reason, tt.deadline)
			}
		})
	}
}

func TestCountdownEnds(t *testing.T) {
	cfg := ConfigOf(sc("node20", ""))
	m := build(cfg, []ev{
		{T: 1, Conn: "A", Kind: "accept"}, {T: 1, Conn: "A", Kind: "connect"},
		{T: 2, Conn: "A", Kind: "request", Method: "GET", Path: "/"},
		{T: 3, Conn: "A", Kind: "response", Status: 200}, {T: 3, Conn: "A", Kind: "idle"},
	})
	if _, ok := m.Lane("A").Countdown(10); !ok {
		t.Fatal("no keep-alive countdown while idle")
	}
	// A second request: Node resets the socket timeout to server.timeout (0).
	m.Add(ev{T: 20, Conn: "A", Kind: "request", Method: "GET", Path: "/"})
	if cd, ok := m.Lane("A").Countdown(25); ok {
		t.Errorf("countdown %+v during a request", cd)
	}
	m.Add(ev{T: 6003, Conn: "A", Kind: "close", By: "server", Reason: "keepalive-timeout"})
	if cd, ok := m.Lane("A").Countdown(6010); ok {
		t.Errorf("countdown %+v after the close", cd)
	}
}

func sc(runtime, knobs string) scenario.Scenario {
	if knobs != "" {
		knobs = ", " + knobs
	}
	s, err := scenario.Decode([]byte(`{"v": 1, "server": {"runtime": "` + runtime + `"` + knobs + `}, "client": {}}`))
	if err != nil {
		panic(err)
	}
	return s.WithDefaults()
}

func TestViewport(t *testing.T) {
	v := Viewport{Width: 1000 + GutterW + RightPad, Height: 300}
	v.Fit(0, 1000)
	if v.Scale != 1 || v.X(0) != GutterW || v.X(500) != GutterW+500 {
		t.Fatalf("fit: scale %v, x(0) %v", v.Scale, v.X(0))
	}
	if got := v.T(v.X(123.4)); math.Abs(got-123.4) > 1e-9 {
		t.Errorf("T(X(123.4)) = %v", got)
	}
	x := v.X(250)
	v.ZoomAt(x, 4)
	if got := v.T(x); math.Abs(got-250) > 1e-9 || v.Scale != 4 {
		t.Errorf("zoom keeps the time under the pointer: T = %v, scale %v", got, v.Scale)
	}
	v.ZoomAt(x, 1e12)
	if v.Scale != MaxScale {
		t.Errorf("zoom in clamps at %v, got %v", MaxScale, v.Scale)
	}
	v.ZoomAt(x, 1e-12)
	if v.Scale != MinScale {
		t.Errorf("zoom out clamps at %v, got %v", MinScale, v.Scale)
	}
	v.Fit(0, 1000)
	v.Follow = true
	v.Pan(100)
	if v.Follow || v.T0 != 100 {
		t.Errorf("pan: T0 %v follow %v", v.T0, v.Follow)
	}
	v.Pan(-1e6)
	if v.T0 > 0 || v.T0 < -20 {
		t.Errorf("pan clamps before the session: T0 %v", v.T0)
	}
	v.Follow = true
	v.FollowTo(5000)
	if x := v.X(5000); x < GutterW+v.PlotW()*0.85 || x > GutterW+v.PlotW() {
		t.Errorf("follow puts now at x %v of %v", x, v.PlotW())
	}
	v.ScrollY = 0
	v.Scroll(1e6, ContentH(100))
	if want := ContentH(100) - (v.Height - AxisH - ServerLaneH); v.ScrollY != want {
		t.Errorf("scroll clamps at %v, got %v", want, v.ScrollY)
	}
	i, j := v.VisibleLanes(100)
	if j != 100 || i < 90 {
		t.Errorf("visible lanes at the bottom: [%d,%d)", i, j)
	}
}

func TestTicksAndFormat(t *testing.T) {
	tests := []struct {
		scale float64
		step  float64
		label string // of the tick at 3 steps
	}{
		{1, 100, "300 ms"},
		{0.1, 1000, "3 s"},
		{0.01, 10000, "30 s"},
		{100, 1, "3 ms"},
		{1000, 0.1, "0.3 ms"},
		{0.5, 200, "600 ms"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.scale), func(t *testing.T) {
			step := Ticks(tt.scale)
			if math.Abs(step-tt.step) > 1e-9 {
				t.Fatalf("step %v, want %v", step, tt.step)
			}
			if step*tt.scale < minTickGap {
				t.Errorf("ticks %v px apart", step*tt.scale)
			}
			if got := fmtTick(3*step, step); got != tt.label {
				t.Errorf("label %q, want %q", got, tt.label)
			}
		})
	}
	for in, want := range map[float64]string{400: "400 ms", 4000: "4000 ms", 1001.74: "1001.7 ms", 0.25: "0.25 ms", 0: "0 ms", 12.34: "12.3 ms", 12034.56: "12034.6 ms", 34609.6: "34609.6 ms", 2811: "2811 ms"} {
		if got := fmtMs(in); got != want {
			t.Errorf("fmtMs(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestSVGExport(t *testing.T) {
	m := build(ConfigOf(sc("node20", `"socketTimeoutMs": 400, "keepAliveTimeoutMs": 0`)), answer2)
	m.Add(ev{T: 1501.1, Conn: "C", Kind: "refused", Error: "connect: connection refused"})
	m.Add(ev{T: 1600, Conn: "D", Kind: "connect"})
	m.Add(ev{T: 1601, Conn: "D", Kind: "send", Data: "<&>\x00\"'"})
	d := ExportLayout(m, 1700, 1200)
	var b bytes.Buffer
	if err := d.WriteSVG(&b, LightPalette, `Run "<answer 2>"`); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(b.Bytes()))
	var text strings.Builder
	elems := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("svg does not parse: %v\n%s", err, b.String())
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			elems++
			if elems == 1 && (tok.Name.Local != "svg" || tok.Name.Space != "http://www.w3.org/2000/svg") {
				t.Fatalf("root element %v", tok.Name)
			}
		case xml.CharData:
			text.Write(tok)
		}
	}
	for _, want := range []string{"closed by the server: socket-timeout", "refused: connect: connection refused", "close()", "server", "A", "B", "C", `Run "<answer 2>"`} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("svg text lacks %q", want)
		}
	}
	if elems < 30 {
		t.Errorf("only %d elements", elems)
	}
}

func TestHit(t *testing.T) {
	m := build(Config{Runtime: "node20"}, answer2)
	v := Viewport{Width: 1000 + GutterW + RightPad, Height: 400}
	v.Fit(0, 1500)
	var d Display
	d.Layout(m, v, 1500, NoFocus)
	a := m.Lane("A")
	closeEv := m.Events[a.Close]
	y := v.LaneY(0) + LaneH/2
	if id, span, ok := d.Hit(v.X(closeEv.T)+2, y+3); !ok || span || id != a.Close {
		t.Errorf("hit on A's close mark = %d span %v ok %v, want %d", id, span, ok, a.Close)
	}
	// Inside A's idle stretch, far from any mark: the idle span.
	id, span, ok := d.Hit(v.X(200), y)
	if !ok || !span || m.Events[id].Kind != "idle" {
		t.Errorf("hit in the idle stretch = %d span %v ok %v", id, span, ok)
	}
	if _, _, ok := d.Hit(v.X(200), v.LaneY(5)); ok {
		t.Error("hit below the lanes")
	}
	// The server's close() mark on the pinned server lane.
	sy := float64(AxisH) + ServerLaneH/2
	if id, _, ok := d.Hit(v.X(1001.7), sy); !ok || m.Events[id].Conn != "" {
		t.Errorf("hit on the server lane = %d ok %v", id, ok)
	}
}

func TestLayoutCulls(t *testing.T) {
	m := bigModel(200, 20000)
	v := Viewport{Width: 1200, Height: 480}
	v.Fit(0, m.Last)
	var full Display
	full.Layout(m, v, m.Last, NoFocus)
	i0, i1 := v.VisibleLanes(len(m.Lanes))
	if i1-i0 > 20 {
		t.Fatalf("%d lanes visible in 480 px", i1-i0)
	}
	// Only visible lanes' names are laid out.
	for _, it := range full.Items {
		if it.Shape == ShapeText && it.Text == m.Lanes[150].Conn {
			t.Errorf("off-screen lane %s laid out", it.Text)
		}
	}
	v.ZoomAt(GutterW+100, 200)
	var zoomed Display
	zoomed.Layout(m, v, m.Last, NoFocus)
	if len(zoomed.Items) >= len(full.Items) {
		t.Errorf("zoomed view has %d items, full %d", len(zoomed.Items), len(full.Items))
	}
	if n := len(full.Items); n > 4000 {
		t.Errorf("full view of 20 lanes has %d items: marks are not decimated", n)
	}
}

func TestCardAndSummary(t *testing.T) {
	m := build(Config{Runtime: "node20", SocketTimeoutMs: 400}, answer2)
	a := m.Lane("A")
	title, fields, raw := m.Card(a.Events[2], false, 1500, false)
	if title != "send · connection A" || raw == "" || !hasField(fields, "bytes", "34") {
		t.Errorf("send card %q %v raw %q", title, fields, raw)
	}
	title, fields, _ = m.Card(a.Close, false, 1500, false)
	if !hasField(fields, "by", "server") || !hasField(fields, "reason", "socket-timeout") {
		t.Errorf("close card %q %v", title, fields)
	}
	idle := a.Spans[4]
	title, fields, _ = m.Card(idle.Event, true, 1500, false)
	if title != "idle · connection A" || !hasField(fields, "for", "400.5 ms") {
		t.Errorf("idle span card %q %v", title, fields)
	}
	// One unit on a card, whatever the size: no "34.6096 s" beside "2811 ms".
	late := build(Config{Runtime: "node20", SocketTimeoutMs: 400}, []ev{
		{T: 0, Kind: timeline.Listen},
		{T: 2811, Conn: "A", Kind: timeline.Connect},
		{T: 34609.6, Conn: "A", Kind: timeline.Close, By: timeline.ByClient, Reason: timeline.ReasonClient},
	})
	la := late.Lane("A")
	_, fields, _ = late.Card(la.Close, false, 40000, true)
	if !hasField(fields, "t", "34609.6 ms") || !hasField(fields, "by", "client") {
		t.Errorf("late close card %v", fields)
	}
	for _, f := range fields {
		if f.Name == "reason" {
			t.Errorf("the card repeats who closed as the reason: %v", fields)
		}
	}
	_, fields, _ = late.Card(la.Events[0], true, 40000, false)
	if !hasField(fields, "from", "2811 ms") {
		t.Errorf("span card %v", fields)
	}
	// A span still open when the run ended is not "so far".
	open := build(Config{Runtime: "node20"}, []ev{
		{T: 0, Kind: timeline.Listen},
		{T: 12000, Conn: "A", Kind: timeline.Connect},
	})
	oa := open.Lane("A")
	_, fields, _ = open.Card(oa.Spans[len(oa.Spans)-1].Event, true, 15000, true)
	for _, f := range fields {
		if strings.Contains(f.Value, "so far") {
			t.Errorf("the run has ended, the card says %q", f.Name+": "+f.Value)
		}
	}
	if !hasField(fields, "to", "15000 ms (the run's end)") {
		t.Errorf("ended span card %v", fields)
	}
	_, fields, _ = open.Card(oa.Spans[len(oa.Spans)-1].Event, true, 15000, false)
	if !hasField(fields, "to", "15000 ms (so far)") {
		t.Errorf("live span card %v", fields)
	}
	if got, want := m.Summary(a), "Connection A: from 1 ms, 1 request (GET /test → 200), closed by the server at 402.4 ms (socket-timeout)."; got != want {
		t.Errorf("summary\n got %q\nwant %q", got, want)
	}
	if got, want := ShowBytes("GET / HTTP/1.1\r\n\x01"), "GET / HTTP/1.1\\r\\n\n\\x01"; got != want {
		t.Errorf("ShowBytes = %q, want %q", got, want)
	}
}

func hasField(fs []Field, name, val string) bool {
	for _, f := range fs {
		if f.Name == name && f.Value == val {
			return true
		}
	}
	return false
}

func TestLegendCoversEveryGlyphAndSpan(t *testing.T) {
	glyphs, roles := map[Glyph]bool{}, map[SpanKind]bool{}
	for _, e := range Legend() {
		if e.Text == "" || len(e.Items) == 0 {
			t.Errorf("empty legend entry %+v", e)
		}
		for _, it := range e.Items {
			if it.Shape == ShapeMark {
				glyphs[it.Glyph] = true
			}
		}
	}
	for g := GlyphDot; g < GlyphRing; g++ {
		if !glyphs[g] {
			t.Errorf("glyph %d has no legend entry", g)
		}
	}
	for k := SpanConnecting; k <= SpanNotAccepts; k++ {
		role, alpha, _, _ := spanStyle(k)
		found := false
		for _, e := range Legend() {
			for _, it := range e.Items {
				if (it.Shape == ShapeRect || it.Shape == ShapeLine) && it.Role == role && (it.Alpha == alpha || it.Dash) {
					found = true
				}
			}
		}
		roles[k] = found
		if !found {
			t.Errorf("span %s has no legend entry", k)
		}
	}
}

func TestLegendHTML(t *testing.T) {
	html := LegendHTML(VarPalette())
	// The page parses it as HTML; as XML it must be well formed too, so
	// that no swatch swallows the next entry.
	dec := xml.NewDecoder(strings.NewReader(html))
	items := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("legend HTML is not well formed: %v\n%s", err, html)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "li" {
			items++
		}
	}
	if want := len(Legend()); items != want {
		t.Errorf("%d entries, want %d", items, want)
	}
	for _, e := range Legend() {
		if !strings.Contains(html, "</svg></span>"+esc(e.Text)+"</li>") {
			t.Errorf("entry %q is missing or unescaped", e.Text)
		}
	}
}

// Labels on one row of a lane never run into each other: marks close
// together share one label instead.
func TestLabelsDoNotOverlap(t *testing.T) {
	closeThenExit := []ev{
		{T: 0.5, Kind: "listen"},
		{T: 1, Conn: "A", Kind: "accept"},
		{T: 1.1, Conn: "A", Kind: "connect"},
		{T: 2, Conn: "A", Kind: "reset", By: "client"},
		{T: 2.2, Conn: "A", Kind: "close", By: "client", Reason: "client"},
		{T: 100, Kind: "close-called"},
		{T: 100.2, Kind: "listener-closed"},
		{T: 100.3, Kind: "before-exit"},
		{T: 100.4, Kind: "exit"},
	}
	for _, tc := range []struct {
		name  string
		evs   []ev
		want  string // a label that must be drawn
		width float64
	}{
		{"answer 2, wide", answer2, "close()", 1200},
		{"answer 2, narrow", answer2, "close()", 390},
		{"close() then exit", closeThenExit, "close() · exit", 1200},
		{"reset then close", closeThenExit, "reset by the client", 1200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := build(Config{Runtime: "node20", SocketTimeoutMs: 400}, tc.evs)
			v := Viewport{Width: tc.width, Height: 480}
			v.Fit(0, m.Last)
			var d Display
			d.Layout(m, v, m.Last, NoFocus)
			found := false
			var texts []Item
			for _, it := range d.Items {
				if it.Shape != ShapeText || it.Anchor != -1 || it.Bold {
					continue
				}
				found = found || strings.Contains(it.Text, tc.want)
				for _, o := range texts {
					if o.Y == it.Y && it.X < o.X+textW(o.Text) && o.X < it.X+textW(it.Text) {
						t.Errorf("%q at x %.0f runs into %q at x %.0f (y %.0f)", it.Text, it.X, o.Text, o.X, it.Y)
					}
				}
				texts = append(texts, it)
			}
			if !found {
				t.Errorf("no label says %q", tc.want)
			}
		})
	}
}

// A label near the right edge is moved left to stay in view.
func TestLabelsStayInView(t *testing.T) {
	m := build(Config{Runtime: "node20", SocketTimeoutMs: 400}, answer2)
	v := Viewport{Width: 600, Height: 480}
	v.Fit(0, m.Last)
	var d Display
	d.Layout(m, v, m.Last, NoFocus)
	for _, it := range d.Items {
		if it.Shape == ShapeText && it.Anchor == -1 && it.X+textW(it.Text) > v.Width {
			t.Errorf("%q at x %.0f ends at %.0f, past the view's %.0f", it.Text, it.X, it.X+textW(it.Text), v.Width)
		}
	}
}

// The countdown follows Node 18's resetSocketTimeout: bytes after a
// response, or a body the handler never read, cancel the keep-alive
// timeout; Node 20 keeps it.
func TestNode18KeepAliveCountdown(t *testing.T) {
	const (
		get  = "GET / HTTP/1.1\r\nHost: d\r\n\r\n"
		post = "POST / HTTP/1.1\r\nHost: d\r\nContent-Length: 5\r\n\r\nhello"
	)
	served := func(send string, more ...ev) []ev {
		evs := []ev{
			{T: 0.5, Kind: "listen"},
			{T: 1, Conn: "A", Kind: "connect"},
			{T: 1, Conn: "A", Kind: "accept"},
			{T: 1.1, Conn: "A", Kind: "send", Data: send},
			{T: 1.5, Conn: "A", Kind: "request", Method: "GET", Path: "/"},
			{T: 1.8, Conn: "A", Kind: "response", Status: 200},
			{T: 1.8, Conn: "A", Kind: "idle"},
		}
		return append(evs, more...)
	}
	tests := []struct {
		name      string
		runtime   string
		evs       []ev
		countdown bool
	}{
		{"node18 GET", "node18", served(get), true},
		{"node18 POST with an unread body", "node18", served(post), false},
		{"node18 POST with an empty body", "node18", served("POST / HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n"), true},
		{"node18 chunked, empty", "node18", served("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), true},
		{"node18 chunked, one chunk", "node18", served("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), false},
		{"node18 GET, then a stray CRLF", "node18", served(get, ev{T: 100, Conn: "A", Kind: "send", Data: "\r\n"}), false},
		{"node20 POST with an unread body", "node20", served(post), true},
		{"node20 GET, then a stray CRLF", "node20", served(get, ev{T: 100, Conn: "A", Kind: "send", Data: "\r\n"}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := build(Config{Runtime: tt.runtime, KeepAliveTimeoutMs: 5000}, tt.evs)
			cd, ok := m.Lane("A").Countdown(200)
			if ok != tt.countdown {
				t.Errorf("countdown %v (%+v), want %v", ok, cd, tt.countdown)
			}
		})
	}
}

func TestDeclaresBody(t *testing.T) {
	for _, tc := range []struct {
		sent string
		want bool
	}{
		{"GET / HTTP/1.1\r\nHost: d\r\n\r\n", false},
		{"POST / HTTP/1.1\r\ncontent-length:  12\r\n\r\n", true},
		{"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", false},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", false},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1a;x=y\r\n", true},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n000\r\n\r\n", false},
		{"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n", false},
		{"", false},
	} {
		if got := declaresBody(tc.sent); got != tc.want {
			t.Errorf("declaresBody(%q) = %v, want %v", tc.sent, got, tc.want)
		}
	}
}

func TestProxyLanes(t *testing.T) {
	n := func(v int) *int { return &v }
	sc := scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "node20"},
		Proxy: &scenario.Proxy{Kind: scenario.ProxyNginx, Keepalive: n(2), UpstreamIdleTimeoutMs: n(4000)}}
	m := NewModel(ConfigOf(sc))
	up := func(e timeline.Event) timeline.Event { e.Hop = timeline.HopUpstream; return e }
	for _, e := range []timeline.Event{
		{T: 0, Conn: "A", Kind: timeline.Connect}, {T: 0, Conn: "A", Kind: timeline.Accept},
		{T: 1, Conn: "A", Kind: timeline.Request, Method: "GET", Path: "/"},
		up(timeline.Event{T: 1, Conn: "u1", Kind: timeline.Connect}),
		{T: 1, Conn: "A", Kind: timeline.Forward, Upstream: "u1", Method: "GET", Path: "/"},
		up(timeline.Event{T: 2, Conn: "u1", Kind: timeline.Accept}),
		up(timeline.Event{T: 2, Conn: "u1", Kind: timeline.Request, Method: "GET", Path: "/"}),
		{T: 3, Conn: "A", Kind: timeline.ProxyError, Upstream: "u1", Error: "[error] upstream prematurely closed connection while reading response header from upstream, client: 127.0.0.1"},
		{T: 3, Conn: "A", Kind: timeline.Forward, Upstream: "u2", Method: "GET", Path: "/"},
		up(timeline.Event{T: 4, Conn: "u2", Kind: timeline.Connect}),
		up(timeline.Event{T: 5, Conn: "u2", Kind: timeline.Accept}),
		up(timeline.Event{T: 5, Conn: "u2", Kind: timeline.Request, Method: "GET", Path: "/"}),
		up(timeline.Event{T: 5, Conn: "u2", Kind: timeline.Response, Status: 200}),
		{T: 6, Conn: "A", Kind: timeline.Response, Status: 200},
	} {
		m.Add(e)
	}
	if l := m.Lane("u1"); l == nil || !l.Upstream || m.Lane("A").Upstream {
		t.Fatalf("upstream lanes: u1 %+v", l)
	}
	if len(m.Forwards) != 2 || m.Forwards[0].Retry || !m.Forwards[1].Retry || m.Forwards[1].To != "u2" {
		t.Fatalf("forwards %+v", m.Forwards)
	}
	// The client lane counts down the proxy's timer, the upstream lane
	// whichever of the app's and the proxy's fires first.
	if cd, ok := m.Lane("A").Countdown(6); !ok || !strings.Contains(cd.Label, "nginx keepalive_timeout 75000 ms") || cd.Reason != timeline.ReasonProxyIdleTimeout {
		t.Errorf("client lane countdown %+v %v", cd, ok)
	}
	if cd, ok := m.Lane("u2").Countdown(6); !ok || !strings.Contains(cd.Label, "upstream keepalive_timeout 4000 ms") || cd.Deadline != 4005 {
		t.Errorf("upstream lane countdown %+v %v", cd, ok)
	}
	v := Viewport{Width: 800, Height: ContentH(len(m.Lanes))}
	v.FitRun(m, 6)
	d := &Display{}
	d.Layout(m, v, 6, NoFocus)
	var texts []string
	paths := 0
	for _, it := range d.Items {
		if it.Shape == ShapeText {
			texts = append(texts, it.Text)
		}
		if it.Shape == ShapeLine && it.Role == RoleAccent && it.H != 0 && it.ID >= 0 {
			paths++
		}
	}
	all := strings.Join(texts, "|")
	for _, want := range []string{"u1 ↑", "retry → u2", "proxy: upstream prematurely closed connection"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q among the texts %q", want, all)
		}
	}
	if paths != 2 {
		t.Errorf("%d forward paths, want 2", paths)
	}
}
