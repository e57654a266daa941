package browsertest

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// trEntry is a transcript line as the card shows it.
type trEntry struct {
	Dir    string  `json:"dir"`
	T      float64 `json:"t"`
	Text   string  `json:"text"`
	Ctl    string  `json:"ctl"`
	Label  string  `json:"label"`
	Hidden bool    `json:"hidden"`
	TCP    bool    `json:"tcp"`
}

// transcript reads a card's transcript entries, kernel TCP notes left out.
func transcript(p *page, conn string) []trEntry {
	p.t.Helper()
	raw := evalJS[string](p, fmt.Sprintf(`JSON.stringify([...document.querySelectorAll('#conn-%s .tr-entry')].map(li => ({
		dir: li.dataset.dir, t: +li.dataset.t, text: li.querySelector('.tr-bytes').textContent,
		ctl: [...li.querySelectorAll('.tr-bytes .ctl')].map(c => c.textContent).join(""),
		label: li.querySelector('.tr-dir').title, hidden: li.hidden, tcp: li.dataset.tcp === "true"})))`, conn))
	var all, out []trEntry
	if err := json.Unmarshal([]byte(raw), &all); err != nil {
		p.t.Fatalf("read %s's transcript: %v", conn, err)
	}
	for _, e := range all {
		if !e.TCP {
			out = append(out, e)
		}
	}
	return out
}

func readClipboard(p *page) string {
	p.t.Helper()
	clip, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("read the clipboard: %v", err)
	}
	return clip
}

// TestTranscriptBothWays runs two keep-alive requests on A and the
// server's idle timeout: A's card shows the transcript both ways, nc -v
// style — connected, → the first request, ← its answer, → the second,
// ← its answer, the server's FIN with its reason — in that order, with
// the times of the session clock and CR LF visible; Copy puts the same
// lines on the clipboard as text (\r\n written out, no raw CR); the
// scrubber, back at the second request, shows nothing that came after,
// and Copy there copies only what had happened.
func TestTranscriptBothWays(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	for _, perm := range []browser.PermissionType{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(p.ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: string(perm)}, Setting: browser.PermissionSettingGranted}); err != nil {
			t.Fatal(err)
		}
	}
	big := strings.Repeat("x", 3000)
	p.open(mustDecode(t, `{"v":1,"title":"transcript","server":{"runtime":"go","idleTimeoutMs":500,
		"routes":[{"path":"/big","body":"`+big+`"},{"path":"*","body":"Hello World!"}]},
		"client":{"steps":[
			{"at":0,"conn":"A","send":"GET /one HTTP/1.1\r\nHost: demo\r\nConnection: keep-alive\r\n\r\n"},
			{"at":300,"conn":"A","send":"GET /two HTTP/1.1\r\nHost: demo\r\n\r\n"},
			{"at":600,"conn":"B","send":"GET /big HTTP/1.1\r\nHost: demo\r\n\r\n"}]},
		"durationMs":2000}`))
	p.click("#run")
	// Live: the first answer is in A's transcript while the run goes on
	// (the second request is 300 ms away, the run 2 s long).
	p.waitJS("A's first answer, live", `document.querySelector('#conn-A .tr-entry[data-dir="recv"]') !== null && document.documentElement.dataset.runEnded === undefined`, 10*time.Second)
	p.waitJS("the run's end", `document.documentElement.dataset.runEnded !== undefined`, runTimeout)
	p.waitJS("the scrubber", `!document.getElementById("scrub").hidden`, stepTimeout)
	p.nextFrame()

	es := transcript(p, "A")
	type want struct{ dir, has, label string }
	wants := []want{
		{"note", "connection to the server succeeded", "note"},
		{"sent", "GET /one HTTP/1.1\\r\\n\nHost: demo\\r\\n\nConnection: keep-alive\\r\\n\n\\r\\n\n", "sent by the client"},
		{"recv", "HTTP/1.1 200 OK\\r\\n\n", "received by the client"},
		{"sent", "GET /two HTTP/1.1\\r\\n\nHost: demo\\r\\n\n\\r\\n\n", "sent by the client"},
		{"recv", "HTTP/1.1 200 OK\\r\\n\n", "received by the client"},
		{"note", "the server sent FIN (idle-timeout)", "note"},
	}
	if len(es) < len(wants) {
		t.Fatalf("A's transcript has %d entries, want at least %d:\n%+v", len(es), len(wants), es)
	}
	for i, w := range wants {
		e := es[i]
		if e.Dir != w.dir || !strings.Contains(e.Text, w.has) || e.Label != w.label {
			t.Errorf("entry %d: %s %q (%s)\nwant %s containing %q (%s)", i, e.Dir, e.Text, e.Label, w.dir, w.has, w.label)
		}
		if i > 0 && e.T < es[i-1].T {
			t.Errorf("entry %d at %.1f ms comes after one at %.1f ms", i, e.T, es[i-1].T)
		}
		if e.Hidden {
			t.Errorf("entry %d is hidden at the run's end", i)
		}
	}
	if !strings.Contains(es[2].Text, "Hello World!") || !strings.Contains(es[1].Ctl, `\r\n`) {
		t.Errorf("the bytes lack their body or their visible CR LF: %+v", es[1:3])
	}
	// The times are the session clock's: the second request went at 300
	// ms, the server closed 500 ms after its answer.
	if t2 := es[3].T; t2 < 300 || t2 > 450 {
		t.Errorf("the second request is at %.1f ms, its step at 300 ms", t2)
	}
	if idle := es[5].T - es[4].T; idle < 480 || idle > 800 {
		t.Errorf("the server's FIN came %.1f ms after the answer, its idle timeout is 500 ms", idle)
	}
	shown := evalJS[string](p, `document.querySelector('#conn-A .tr-entry[data-dir="sent"] .tr-t').textContent`)
	if !regexp.MustCompile(`^\d+\.\d ms$`).MatchString(shown) {
		t.Errorf("an entry's time reads %q", shown)
	}

	// Received only: the received bytes alone, as before; and back.
	shows := func(sel string) bool {
		return evalJS[bool](p, `document.querySelector("`+sel+`").offsetParent !== null`)
	}
	p.click("#conn-A .tr-toggle")
	if shows("#conn-A .transcript") || !shows("#conn-A .conn-recv") || evalJS[string](p, `document.querySelector("#conn-A .tr-toggle").getAttribute("aria-pressed")`) != "true" {
		t.Error("Received only does not show the received bytes alone")
	}
	p.click("#conn-A .tr-toggle")
	if !shows("#conn-A .transcript") || shows("#conn-A .conn-recv") {
		t.Error("a second press does not bring the transcript back")
	}

	// A long body is folded: its first kilobyte shown, the rest one
	// click away, all of it in the copied text.
	fold := `document.querySelector('#conn-B .tr-entry[data-dir="recv"] details.tr-fold')`
	if got := evalJS[string](p, `(`+fold+`||{textContent:"no fold"}).querySelector("summary")?.textContent || "no fold"`); !regexp.MustCompile(`^… \d+ more bytes$`).MatchString(got) {
		t.Errorf("B's 3000-byte answer folds as %q", got)
	}
	if evalJS[bool](p, fold+`.open`) {
		t.Error("the fold is open before it is clicked")
	}
	p.click(`#conn-B details.tr-fold summary`)
	if !evalJS[bool](p, fold+`.open`) {
		t.Error("a click does not unfold the rest of B's answer")
	}
	p.click("#conn-B .tr-copy")
	p.waitJS("B's copy", `document.body.textContent.includes("transcript of B is copied")`, stepTimeout)
	if clip := readClipboard(p); strings.Count(clip, "x") < len(big) || strings.Contains(clip, "more bytes") {
		t.Errorf("B's copied transcript holds %d of the body's %d bytes, or says it folds:\n%.300s", strings.Count(clip, "x"), len(big), clip)
	}

	// Copy: the same lines, as text.
	p.click("#conn-A .tr-copy")
	p.waitJS("the copy's notice", `document.body.textContent.includes("transcript of A is copied")`, stepTimeout)
	clip := readClipboard(p)
	if strings.Contains(clip, "\r") {
		t.Errorf("the copied transcript holds a raw CR:\n%q", clip)
	}
	lineRE := regexp.MustCompile(`(?m)^ *(\d+\.\d ms)?  ([→←*])  (.*)$`)
	var got []string
	for _, m := range lineRE.FindAllStringSubmatch(clip, -1) {
		got = append(got, m[2]+" "+m[3])
	}
	for _, w := range []string{
		"* connection to the server succeeded",
		`→ GET /one HTTP/1.1\r\n`, `→ Host: demo\r\n`, `→ Connection: keep-alive\r\n`, `→ \r\n`,
		`← HTTP/1.1 200 OK\r\n`, `← Hello World!`,
		`→ GET /two HTTP/1.1\r\n`,
		"* the server sent FIN (idle-timeout)",
	} {
		i := slicesIndexPrefix(got, w)
		if i < 0 {
			t.Errorf("the copied transcript has no line %q in order:\n%s", w, clip)
			break
		}
		got = got[i+1:]
	}
	if n := strings.Count(clip, "\n"); n != len(lineRE.FindAllString(clip, -1)) {
		t.Errorf("the copied transcript has lines not in the transcript's form:\n%s", clip)
	}
	evalJS[bool](p, `(document.querySelector("#conn-A").scrollIntoView({block: "start"}), true)`)
	p.viewShot("transcript-end")

	// Back to the instant the second request reached the handler: the
	// second answer and the server's FIN have not happened yet.
	n := evalJS[int](p, `+document.getElementById("scrub-range").max`)
	p.do(chromedp.Focus(chromedp.CSS("#scrub-range")))
	scrubTo(p, kb.ArrowLeft, "A: request GET /two", n)
	p.nextFrame()
	es = transcript(p, "A")
	var visible []trEntry
	for _, e := range es {
		if !e.Hidden {
			visible = append(visible, e)
		}
	}
	if len(visible) != 4 || !strings.Contains(visible[3].Text, "GET /two") {
		t.Errorf("at the second request the transcript shows:\n%+v\nwant connected, /one, its answer, /two", visible)
	}
	if n := evalJS[int](p, `document.querySelectorAll('#conn-B .tr-entry:not([hidden])').length`); n != 0 {
		t.Errorf("B's transcript shows %d entries at an instant before B connected", n)
	}
	if got := evalJS[string](p, `getComputedStyle(document.querySelector('#conn-B .transcript'), '::before').content`); !strings.Contains(got, "Nothing sent or received yet") {
		t.Errorf("B's empty transcript at the instant says %s", got)
	}
	if tcps := evalJS[int](p, `[...document.querySelectorAll('#conn-A .tr-entry[data-tcp]:not([hidden])')].filter(li => +li.dataset.t > `+fmt.Sprint(es[3].T+1)+`).length`); tcps != 0 {
		t.Errorf("%d TCP notes from after the instant are shown", tcps)
	}
	p.click("#conn-A .tr-copy")
	if clip := readClipboard(p); !strings.Contains(clip, "GET /two") || strings.Contains(clip, "idle-timeout") || strings.Count(clip, "200 OK") != 1 {
		t.Errorf("Copy at the second request copied what came after:\n%s", clip)
	}
	evalJS[bool](p, `(document.querySelector("#conn-A").scrollIntoView({block: "start"}), true)`)
	p.viewShot("transcript-scrubbed")

	// End: the whole run again.
	p.do(chromedp.Focus(chromedp.CSS("#scrub-range")), chromedp.KeyEvent(kb.End))
	p.nextFrame()
	if hidden := evalJS[int](p, `document.querySelectorAll('#conn-A .tr-entry[hidden]').length`); hidden != 0 {
		t.Errorf("%d entries still hidden at the run's end", hidden)
	}

	// A phone's width, light and dark: nothing scrolls sideways.
	p.do(chromedp.EmulateViewport(390, 844))
	evalJS[bool](p, `(document.querySelector("#conn-A .conn-transcript").scrollIntoView({block: "start"}), true)`)
	p.viewShot("transcript-phone")
	if _, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	evalJS[bool](p, `(document.querySelector("#conn-A .conn-transcript").scrollIntoView({block: "start"}), true)`)
	p.viewShot("transcript-phone-dark")
	if w := evalJS[int](p, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the page is %d px wide on a 390 px screen", w)
	}
	if w := evalJS[int](p, `document.querySelector('#conn-A .transcript').scrollWidth - document.querySelector('#conn-A .transcript').clientWidth`); w > 0 {
		t.Errorf("the transcript scrolls sideways by %d px on a phone", w)
	}
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}

// slicesIndexPrefix is the index of the first line that starts with w.
func slicesIndexPrefix(lines []string, w string) int {
	for i, l := range lines {
		if strings.HasPrefix(l, w) {
			return i
		}
	}
	return -1
}

// TestTranscriptBehindAProxy runs lesson 21's solution through nginx: A's
// transcript is the client's side of the proxy (connected to the proxy,
// its GETs and POST, nginx's 502), and each of nginx's own connections to
// the app (u1, u2) has its transcript, with the proxy as the client end,
// in a list of its own after the client's cards.
func TestTranscriptBehindAProxy(t *testing.T) {
	data, err := os.ReadFile("../../lessons/21-nginx-post-502.solution.json")
	if err != nil {
		t.Fatal(err)
	}
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(mustDecode(t, string(data)))
	p.click("#run")
	p.waitJS("the run's end", `document.documentElement.dataset.runEnded !== undefined`, 15*time.Second)
	p.nextFrame()

	a := transcript(p, "A")
	if len(a) == 0 || a[0].Text != "connection to the proxy succeeded" {
		t.Fatalf("A's transcript starts %+v, want its connection to the proxy", a)
	}
	var order []string
	for _, e := range a {
		switch {
		case e.Dir == "sent" && strings.Contains(e.Text, "POST /c HTTP/1.1\\r\\n"):
			order = append(order, "→POST")
		case e.Dir == "sent" && strings.Contains(e.Text, "GET /"):
			order = append(order, "→GET")
		case e.Dir == "recv" && strings.Contains(e.Text, "HTTP/1.1 502 Bad Gateway\\r\\n"):
			order = append(order, "←502")
		case e.Dir == "recv" && strings.Contains(e.Text, "HTTP/1.1 200 OK\\r\\n"):
			order = append(order, "←200")
		}
	}
	if got := strings.Join(order, " "); got != "→GET ←200 →GET ←200 →POST ←502" {
		t.Errorf("A's transcript goes %q, want →GET ←200 →GET ←200 →POST ←502", got)
	}
	if n := evalJS[int](p, `document.querySelectorAll('#connections [data-label^="u"]').length`); n != 0 {
		t.Errorf("%d upstream cards among the client's connections", n)
	}
	if !evalJS[bool](p, `document.querySelector('.upstream-conns #conn-u1') !== null`) {
		t.Fatal("no card for u1 in the proxy's connections")
	}
	u1 := transcript(p, "u1")
	if len(u1) < 3 || u1[0].Text != "the proxy's connection to the server succeeded" {
		t.Fatalf("u1's transcript: %+v", u1)
	}
	sent, recv := false, false
	for _, e := range u1 {
		sent = sent || e.Dir == "sent" && e.Label == "sent by the proxy" && strings.Contains(e.Text, "GET /a HTTP/1.1\\r\\n")
		recv = recv || e.Dir == "recv" && e.Label == "received by the proxy" && strings.Contains(e.Text, "HTTP/1.1 200 OK\\r\\n")
	}
	if !sent || !recv {
		t.Errorf("u1's transcript lacks nginx's GET /a or the app's 200 (sent %v, received %v):\n%+v", sent, recv, u1)
	}
	evalJS[bool](p, `(document.querySelector(".upstream-conns").scrollIntoView({block: "start"}), true)`)
	p.viewShot("transcript-upstream")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
