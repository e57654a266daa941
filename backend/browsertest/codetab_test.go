package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// codeTab reads the Code tab: the program shown and its caption.
func codeTab(p *page) (program, caption string) {
	p.t.Helper()
	p.click("#tab-code")
	return evalJS[string](p, `document.getElementById("code-view").textContent`),
		evalJS[string](p, `document.getElementById("code-caption").textContent`)
}

// TestCodeTabFollowsTheEditor: the Code tab shows the program of the
// scenario as it is edited, before any run: switching the runtime to Go
// shows the Go program, with the scenario's route, captioned as Go; and
// Copy puts the program shown on the clipboard.
func TestCodeTabFollowsTheEditor(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "clipboard-read"}, Setting: browser.PermissionSettingGranted}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "clipboard-write"}, Setting: browser.PermissionSettingGranted}); err != nil {
		t.Fatal(err)
	}
	p.open(mustDecode(t, `{"v":1,"title":"code tab","server":{"runtime":"node20","routes":[{"path":"*","body":"from the code tab"}]}}`))

	prog, caption := codeTab(p)
	if !strings.Contains(prog, "http.createServer") || !strings.Contains(prog, "res.end('from the code tab')") {
		t.Errorf("Node 20's program:\n%s", prog)
	}
	if !strings.HasPrefix(caption, "The Node program") || strings.Contains(caption, "as edited") {
		t.Errorf("caption %q, want the Node program of what runs", caption)
	}

	// The runtime switched in the editor, not run: the Go program.
	p.click("#tab-editor")
	p.setField("ed-server-runtime", "go")
	p.click("#tab-code")
	p.waitJS("the Go program", `document.getElementById("code-view").textContent.includes("\npackage main\n")`, stepTimeout)
	prog, caption = codeTab(p)
	if !strings.Contains(prog, "http.Server{") || !strings.Contains(prog, `"from the code tab"`) || strings.Contains(prog, "createServer") {
		t.Errorf("Go's program:\n%s", prog)
	}
	if !strings.HasPrefix(caption, "The Go program") || !strings.Contains(caption, "as edited; Run runs it") {
		t.Errorf("caption %q, want the Go program, as edited", caption)
	}
	if lang := evalJS[string](p, `document.getElementById("code-view").dataset.lang`); lang != "go" {
		t.Errorf("code view's language %q, want go", lang)
	}
	if rt := evalJS[string](p, `document.getElementById("server-runtime").dataset.runtime`); rt != "node20" {
		t.Errorf("the demo server runs %q; an edit alone must not run it", rt)
	}
	p.screenshot("code-tab-go-as-edited")

	// Copy: the program shown is on the clipboard.
	p.click("#code-copy")
	p.waitJS("the copy's notice", `document.getElementById("notice").textContent.includes("program is copied")`, stepTimeout)
	clip, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("read the clipboard: %v", err)
	}
	if clip != prog {
		t.Errorf("clipboard holds\n%s\nwant the program shown\n%s", clip, prog)
	}

	// Back to Node 18, then run: the caption is of what runs again.
	p.click("#tab-editor")
	p.setField("ed-server-runtime", "node18")
	p.click("#tab-code")
	p.waitJS("the Node program again", `document.getElementById("code-view").textContent.includes("http.createServer")`, stepTimeout)
	p.click("#run")
	p.waitJS("node18 runs", `document.getElementById("server-runtime").dataset.runtime === "node18"`, stepTimeout)
	p.waitJS("the caption of what runs", `document.getElementById("code-caption").textContent === "The Node program of this scenario: the knobs as code."`, stepTimeout)
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
