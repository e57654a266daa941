package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/keepalive-playground/playground/timeline"
)

// BenchmarkWasmSize reports the page's programs as served: raw, gzip and
// brotli bytes of main.wasm (every visit) and pool.wasm (loaded when the
// pooled client is first used).
func BenchmarkWasmSize(b *testing.B) {
	d := dist(b)
	data, err := fs.ReadFile(d, "manifest.json")
	if err != nil {
		b.Fatal(err)
	}
	var manifest map[string]string
	if err := json.Unmarshal(data, &manifest); err != nil {
		b.Fatal(err)
	}
	size := func(name string) float64 {
		st, err := fs.Stat(d, name)
		if err != nil {
			return 0
		}
		return float64(st.Size()) / 1024
	}
	for b.Loop() {
	}
	for _, w := range []string{"main.wasm", "pool.wasm"} {
		name := manifest[w][1:]
		b.ReportMetric(size(name), w+"-KiB")
		b.ReportMetric(size(name+".gz"), w+".gz-KiB")
		b.ReportMetric(size(name+".br"), w+".br-KiB")
	}
}

// BenchmarkPageReady measures a cold load: from navigation to
// <html data-state="ready"> in headless Chromium on localhost, with the
// browser cache off. Each load is a reload of the open tab, as a person
// reloads the page: every resource is fetched and compiled again, but the
// tab keeps its renderer process (a navigation from another site would
// first start one, which costs Chromium 200–400 ms here).
func BenchmarkPageReady(b *testing.B) {
	pg := startPlayground(b, "127.0.0.1:0")
	p := newPage(b, pg.URL())
	if _, err := chromedp.Call(p.ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		b.Fatal(err)
	}
	p.do(chromedp.Navigate(p.url))
	var ms []float64
	for b.Loop() {
		p.do(chromedp.Reload())
		var v float64
		for try := 0; ; try++ {
			var err error
			if v, err = readyMs(p.ctx); err == nil {
				break
			}
			if try == 10 {
				b.Fatalf("the page did not get ready: %v", err)
			}
		}
		ms = append(ms, v)
	}
	b.ReportMetric(median(ms), "ready-ms")
}

// BenchmarkPageFirstVisit measures a first visit: each load opens a new
// tab in the running browser, with the cache off, and navigates it to a
// lesson link (#lesson=destroy, the text a learner came to read), so the figure includes starting the tab's renderer process
// as well as fetching and compiling everything. It reports the median
// time from navigation to <html data-state="ready">, and the median of
// each stage on the way (the page's performance marks and resource
// timings), to show where the time goes: lesson-text-painted-ms is the
// frame that first showed the lesson (preview.js opens the page's own copy
// of it, before the program is ready), lesson-text-ms when preview.js had
// put it in the document.
func BenchmarkPageFirstVisit(b *testing.B) {
	pg := startPlayground(b, "127.0.0.1:0")
	p := newPage(b, pg.URL())
	stages := map[string][]float64{}
	var ready []float64
	for b.Loop() {
		ctx, cancel := chromedp.NewContext(p.ctx)
		_, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
		if err == nil {
			_, err = chromedp.Run(ctx, chromedp.Navigate(pg.URL()+"#lesson=destroy"))
		}
		var v float64
		if err == nil {
			v, err = readyMs(ctx)
		}
		var at map[string]float64
		if err == nil {
			at, err = chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(async () => {
				const at = {};
				// The frame that first showed the lesson's text (its title
				// carries elementtiming): a mark would say when the text was
				// in the document, not when the page painted it.
				await new Promise(done => {
					new PerformanceObserver(list => {
						for (const e of list.getEntries()) {
							if (e.identifier === "lesson-text") at["lesson-text-painted"] = e.renderTime || e.loadTime;
						}
						done();
					}).observe({type: "element", buffered: true});
					setTimeout(done, 1000);
				});
				for (const e of performance.getEntriesByType("resource")) {
					// main-HASH.wasm → wasm, app-HASH.css → app.css, …
					const base = e.name.replace(/^.*\//, "").replace(/-[A-Z0-9]{8}\./, ".");
					const name = base === "main.wasm" ? "wasm" : base === "lessons.json" ? "course" : base;
					at[name + "-requested"] = e.startTime; at[name + "-received"] = e.responseEnd;
				}
				for (const e of performance.getEntriesByType("mark")) at[e.name] = e.startTime;
				const nav = performance.getEntriesByType("navigation")[0];
				at["html-received"] = nav.responseEnd;
				at["dom-content-loaded"] = nav.domContentLoadedEventEnd;
				for (const e of performance.getEntriesByType("paint")) at[e.name] = e.startTime;
				return at;
			})()`, chromedp.EvalAwaitPromise))
		}
		cancel()
		if err != nil {
			b.Fatalf("visit: %v", err)
		}
		ready = append(ready, v)
		for k, v := range at {
			stages[k] = append(stages[k], v)
		}
	}
	b.ReportMetric(median(ready), "ready-ms")
	for k, v := range stages {
		b.ReportMetric(median(v), strings.TrimPrefix(k, "kap:")+"-ms")
	}
}

// readyMs waits for the page in ctx to stamp data-ready-ms and returns it:
// performance.now() when it got ready, the time since its navigation
// started on the page's own clock.
func readyMs(ctx context.Context) (float64, error) {
	s, err := chromedp.Run(ctx, chromedp.Poll[string](`document.documentElement.dataset.readyMs`,
		chromedp.WithPollingTimeout(readyTimeout), chromedp.WithPollingInterval(10*time.Millisecond)))
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(s, 64)
}

// BenchmarkTimelineDraw20k imports a trace of 200 connections and 20,000
// events and reports the timeline's frame time (the view's own
// measurement of layout and canvas drawing) over zoom and pan frames.
func BenchmarkTimelineDraw20k(b *testing.B) {
	trace := bigTrace(200, 100)
	file := filepath.Join(b.TempDir(), "big.json")
	data, err := trace.Encode()
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		b.Fatal(err)
	}
	pg := startPlayground(b, "127.0.0.1:0")
	p := newPage(b, pg.URL())
	p.open(nil)
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#trace-file"), []string{file}))
	p.waitJS("the big timeline", `document.querySelectorAll('#timeline [data-conn]').length === 200`, readyTimeout)
	keys := []string{"0", "+", "+", "+", "-", "-", "-"}
	var ms []float64
	i := 0
	for b.Loop() {
		prev := evalJS[string](p, `document.getElementById("timeline").dataset.drawMs || ""`)
		p.do(chromedp.Focus(chromedp.CSS("#timeline")), chromedp.KeyEvent(keys[i%len(keys)]))
		i++
		p.waitJS("a frame", fmt.Sprintf(`(document.getElementById("timeline").dataset.drawMs||"") !== %q`, prev), stepTimeout)
		v, err := strconv.ParseFloat(evalJS[string](p, `document.getElementById("timeline").dataset.drawMs`), 64)
		if err != nil {
			b.Fatal(err)
		}
		ms = append(ms, v)
	}
	b.ReportMetric(median(ms), "frame-ms")
	p.screenshot("timeline-20k")
}

// bigTrace makes conns connections with per events each: keep-alive
// requests with responses, idle stretches, and a close.
func bigTrace(conns, per int) timeline.Trace {
	var evs []timeline.Event
	t := 0.0
	evs = append(evs, timeline.Event{T: t, Kind: timeline.Listen})
	for c := range conns {
		label := fmt.Sprintf("C%d", c)
		base := float64(c) * 5
		evs = append(evs,
			timeline.Event{T: base + 0.1, Conn: label, Kind: timeline.Connect},
			timeline.Event{T: base + 0.2, Conn: label, Kind: timeline.Accept})
		for r := range (per - 3) / 4 {
			at := base + 1 + float64(r)*20
			evs = append(evs,
				timeline.Event{T: at, Conn: label, Kind: timeline.Send, Data: "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"},
				timeline.Event{T: at + 0.2, Conn: label, Kind: timeline.Request, Method: "GET", Path: "/"},
				timeline.Event{T: at + 0.4, Conn: label, Kind: timeline.Response, Status: 200},
				timeline.Event{T: at + 0.5, Conn: label, Kind: timeline.Recv, Data: "HTTP/1.1 200 OK\r\n\r\n"})
		}
		evs = append(evs, timeline.Event{T: base + float64(per)*5 + 400, Conn: label, Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonKeepAliveTimeout})
	}
	for len(evs) < conns*per {
		evs = append(evs, timeline.Event{T: 99999, Conn: "C0", Kind: timeline.Recv, Data: "x"})
	}
	slices.SortStableFunc(evs, func(a, b timeline.Event) int {
		switch {
		case a.T < b.T:
			return -1
		case a.T > b.T:
			return 1
		}
		return 0
	})
	return timeline.Trace{V: timeline.TraceVersion, Scenario: []byte(`{"v":1,"server":{"runtime":"node20"}}`), Events: evs}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
