package browsertest

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// box is one laid-out element of the timeline, as the browser measured it.
type box struct {
	Text       string
	X, Y, W, H float64
}

func (b box) String() string {
	return fmt.Sprintf("%q [%.1f,%.1f %.1f×%.1f]", b.Text, b.X, b.Y, b.W, b.H)
}

// frame is the timeline's picture on screen, measured.
type frame struct {
	W, H  float64
	Texts []box
	Marks []box
}

// measureFrame lays the page's own SVG of the frame on screen (what the
// canvas shows, in the page's font) over the canvas, unseen, and asks the
// browser for the box of every text and every event mark in it.
const measureFrame = `(() => {
	const tl = document.getElementById("timeline");
	const c = tl.querySelector("canvas").getBoundingClientRect();
	const host = document.createElement("div");
	host.style.cssText = "position:fixed;left:" + c.left + "px;top:" + c.top + "px;pointer-events:none;visibility:hidden";
	host.innerHTML = tl.kapFrameSVG();
	document.body.appendChild(host);
	const svg = host.querySelector("svg");
	const box = (e, text) => { const b = e.getBBox(); return {Text: text, X: b.x, Y: b.y, W: b.width, H: b.height} };
	const out = {W: +svg.getAttribute("width"), H: +svg.getAttribute("height"),
		Texts: [...svg.querySelectorAll("text")].map(t => box(t, t.textContent)),
		Marks: [...svg.querySelectorAll("path, circle:not([fill=none])")].map(m => box(m, ""))};
	host.remove();
	return out;
})()`

// overlapSlop forgives antialiasing: boxes that share less than this
// many pixels do not overlap.
const overlapSlop = 0.5

func overlap(a, b box) bool {
	return a.X < b.X+b.W-overlapSlop && b.X < a.X+a.W-overlapSlop &&
		a.Y < b.Y+b.H-overlapSlop && b.Y < a.Y+a.H-overlapSlop
}

// collisions lists every text that overlaps another text or a mark, or
// that the picture's edges cut.
func (f frame) collisions() []string {
	var out []string
	for i, a := range f.Texts {
		if a.X < -overlapSlop || a.Y < -overlapSlop || a.X+a.W > f.W+overlapSlop || a.Y+a.H > f.H+overlapSlop {
			out = append(out, fmt.Sprintf("%s is cut by the edge of the %.0f×%.0f picture", a, f.W, f.H))
		}
		for _, b := range f.Texts[i+1:] {
			if overlap(a, b) {
				out = append(out, fmt.Sprintf("%s overlaps %s", a, b))
			}
		}
		for _, m := range f.Marks {
			if overlap(a, m) {
				out = append(out, fmt.Sprintf("%s is crossed by a mark at [%.1f,%.1f %.1f×%.1f]", a, m.X, m.Y, m.W, m.H))
			}
		}
	}
	return out
}

// wheelAt zooms the timeline with the mouse wheel at a share of the
// plot's width, as a person zooms into the part they look at.
func wheelAt(p *page, share, deltaY float64) {
	p.t.Helper()
	evalJS[bool](p, fmt.Sprintf(`(() => {
		const c = document.querySelector("#timeline canvas"), r = c.getBoundingClientRect();
		const x = r.left + 64 + (r.width - 64 - 12) * %g, y = r.top + 40;
		c.dispatchEvent(new WheelEvent("wheel", {deltaY: %g, clientX: x, clientY: y, bubbles: true, cancelable: true}));
		return true })()`, share, deltaY))
	p.nextFrame()
}

// timelineKey presses a key on the focused timeline.
func timelineKey(p *page, key string, shift bool) {
	p.t.Helper()
	evalJS[bool](p, fmt.Sprintf(`(() => { const tl = document.getElementById("timeline"); tl.focus({preventScroll: true});
		tl.dispatchEvent(new KeyboardEvent("keydown", {key: %q, shiftKey: %t, bubbles: true, cancelable: true})); return true })()`, key, shift))
	p.nextFrame()
}

// checkFrame measures the frame on screen and reports its collisions;
// a view with any gets a screenshot to look at.
func checkFrame(t *testing.T, p *page, name string) frame {
	t.Helper()
	p.nextFrame()
	f := evalJS[frame](p, measureFrame)
	if len(f.Texts) == 0 {
		t.Fatalf("%s: the frame has no text at all", name)
	}
	if bad := f.collisions(); len(bad) > 0 {
		p.viewShot("labels-failed-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + name)
		t.Errorf("%s: %d collisions among %d texts:\n%s", name, len(bad), len(f.Texts), strings.Join(bad, "\n"))
	}
	return f
}

// TestTimelineTextNeverCollides runs dense scenarios (Go's Close with a
// request in flight, the pooled client's many connections, a refused
// connection, a half-close, the first answer's close() and exit) and, at
// the view a run ends in and zoomed in and out around its busiest part,
// on a wide and a phone-sized screen, measures every text of the timeline
// as the browser laid it out: no text overlaps another, a mark, or the
// picture's edge.
func TestTimelineTextNeverCollides(t *testing.T) {
	lesson := func(name string) string {
		data, err := os.ReadFile("../../lessons/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	pg := startPlayground(t, "127.0.0.1:0")
	for _, tc := range []struct {
		name string
		sc   string
		// drive runs the scenario in the page and waits for its end.
		drive func(p *page)
	}{
		{name: "go-close", sc: lesson("09-go-shutdown.start.json")},
		{name: "destroy-close", sc: lesson("01-close-in-handler.solution.json")},
		{name: "refused", sc: `{"v":1,"title":"refused","server":{"runtime":"node26","routes":[{"path":"/end","body":"Closedown","then":"close"},{"path":"*","body":"Hello World!"}]},
			"client":{"steps":[{"at":0,"conn":"A","request":{"path":"/end"}},{"at":150,"conn":"B","open":true},{"at":160,"conn":"C","open":true}]},"durationMs":600}`},
		{name: "half-close", sc: `{"v":1,"title":"half-close","server":{"runtime":"node20"},
			"client":{"steps":[{"at":0,"conn":"A","request":{"path":"/"}},{"at":100,"conn":"A","close":true},{"at":120,"conn":"B","request":{"path":"/"}}]},"durationMs":800}`},
		{name: "pooled", sc: `{"v":1,"title":"pool","server":{"runtime":"go","idleTimeoutMs":700,"routes":[{"path":"/slow","body":"late","delayMs":400},{"path":"*","body":"Hello World!"}]},"durationMs":60000}`,
			drive: func(p *page) {
				p.do(chromedp.SetValue(chromedp.CSS("#req-target"), "+pool"), chromedp.SetValue(chromedp.CSS("#req-path"), "/slow"))
				// Six requests at once: the pool opens a connection for each.
				evalJS[bool](p, `(() => { const b = document.querySelector('#composer button[type="submit"]'); for (let i = 0; i < 6; i++) setTimeout(() => b.click(), i * 30); return true })()`)
				p.waitJS("six answers", `[...document.querySelectorAll(".composer-out li:not([data-loading])")].filter(li => li.textContent.includes("→ 200")).length >= 6`, readyTimeout)
				p.waitJS("the idle timeouts", `document.querySelectorAll('#timeline [data-conn^="pool"][data-close-by]').length >= 6`, stepTimeout)
				timelineKey(p, "0", false) // fit the run
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPage(t, pg.URL())
			p.open(mustDecode(t, tc.sc))
			if tc.drive != nil {
				tc.drive(p)
			} else {
				p.click("#run")
				p.waitJS("the end of the run", `document.getElementById("timeline").dataset.ended !== undefined`, runTimeout)
			}
			evalJS[bool](p, `(document.getElementById("timeline").scrollIntoView({block: "center"}), true)`)
			p.nextFrame()
			checkFrame(t, p, "fit")
			p.viewShot("labels-" + tc.name)
			// Zoom in around the run's end, where its closes crowd, then
			// around its middle, then out past the whole run.
			for i, share := range []float64{0.97, 0.97, 0.97, 0.5, 0.5} {
				wheelAt(p, share, -450)
				checkFrame(t, p, fmt.Sprintf("zoom-in-%d", i+1))
			}
			timelineKey(p, "ArrowLeft", true)
			checkFrame(t, p, "panned")
			timelineKey(p, "0", false)
			wheelAt(p, 0.5, 350)
			checkFrame(t, p, "zoomed-out")
			timelineKey(p, "0", false)
			p.do(chromedp.EmulateViewport(390, 844))
			p.nextFrame()
			timelineKey(p, "0", false)
			checkFrame(t, p, "phone")
			p.viewShot("labels-" + tc.name + "-phone")
			if probs := p.problemsExcept(); len(probs) > 0 {
				t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
			}
		})
	}
}

// TestDetailCardStaysOnTheTimeline: a selected event's card sits inside
// the timeline, and when panning takes the event out of view the card
// goes too, rather than floating over the lesson text beside it.
func TestDetailCardStaysOnTheTimeline(t *testing.T) {
	data, err := os.ReadFile("../../lessons/09-go-shutdown.start.json")
	if err != nil {
		t.Fatal(err)
	}
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(mustDecode(t, string(data)))
	p.click("#run")
	p.waitJS("the end of the run", `document.getElementById("timeline").dataset.ended !== undefined`, runTimeout)
	evalJS[bool](p, `(document.getElementById("timeline").scrollIntoView({block: "center"}), true)`)
	const cardPlace = `(() => { const c = document.querySelector("#timeline .tl-card"), tl = document.getElementById("timeline").getBoundingClientRect();
		if (c.hidden) return "hidden";
		const r = c.getBoundingClientRect();
		return (r.left >= tl.left - 0.5 && r.right <= tl.right + 0.5 && r.top >= tl.top - 0.5 && r.bottom <= tl.bottom + 0.5 ? "inside" : "outside") +
			" card " + [r.left, r.top, r.right, r.bottom].map(Math.round) + " timeline " + [tl.left, tl.top, tl.right, tl.bottom].map(Math.round) })()`
	// The last event of the first connection lane, at the run's right
	// edge, and the lane's first, at its left.
	timelineKey(p, "ArrowDown", false)
	timelineKey(p, "ArrowDown", false)
	for _, key := range []string{"End", "Home"} {
		timelineKey(p, key, false)
		if got := evalJS[string](p, cardPlace); !strings.HasPrefix(got, "inside") {
			t.Errorf("after %s the card is %s, want inside the timeline", key, got)
		}
	}
	timelineKey(p, "End", false)
	for range 4 { // zoom in around it
		timelineKey(p, "+", false)
	}
	if got := evalJS[string](p, cardPlace); !strings.HasPrefix(got, "inside") {
		t.Errorf("zoomed in, the card is %s, want inside the timeline", got)
	}
	p.viewShot("card-selected")
	// Pan left until the selected event has left the view.
	for i := range 8 {
		timelineKey(p, "ArrowLeft", true)
		got := evalJS[string](p, cardPlace)
		if strings.HasPrefix(got, "outside") {
			p.viewShot("card-failed-panned")
			t.Fatalf("after %d pans the card is %s", i+1, got)
		}
	}
	if got := evalJS[string](p, cardPlace); got != "hidden" {
		t.Errorf("the event panned out of view, and its card is %s", got)
	}
	for range 8 {
		timelineKey(p, "ArrowRight", true)
	}
	p.viewShot("card-panned-back")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
