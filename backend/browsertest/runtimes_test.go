package browsertest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
)

// TestRuntimesInThePage is what a person sees of the runtime table: the
// server bar's chip names the line and minor and its tooltip the exact
// release; the editor's runtime select lists every runtime by label and
// release; the keepAliveTimeoutBufferMs knob is there on Node 26 and gone
// on Node 20, and set on Node 20 it is an error that names the lines that
// have it; the server buttons are the runtime's own.
func TestRuntimesInThePage(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(nil)
	def, _ := scenario.Lookup(scenario.DefaultRuntime())
	chip := func() (string, string) {
		return evalJS[string](p, `document.getElementById("server-runtime").textContent`),
			evalJS[string](p, `document.getElementById("server-runtime").title`)
	}
	if text, title := chip(); text != def.Label || !strings.Contains(title, def.Release) {
		t.Errorf("chip %q (title %q), want %q naming %s", text, title, def.Label, def.Release)
	}

	p.click("#tab-editor")
	opts := evalJS[string](p, `[...document.getElementById("ed-server-runtime").options].map(o => o.textContent).join("|")`)
	for _, rt := range scenario.Runtimes() {
		if !strings.Contains(opts, rt.Label) || !strings.Contains(opts, rt.Release) {
			t.Errorf("runtime select %q does not offer %s (%s)", opts, rt.Label, rt.Release)
		}
	}
	if href := evalJS[string](p, `(document.querySelector("#ed-runtime-note a") || {}).href || ""`); !strings.Contains(href, "/docs/v"+def.Release+"/") {
		t.Errorf("the runtime note links %q, want %s's own docs", href, def.Release)
	}
	const bufferRow = `document.getElementById("ed-server-keepAliveTimeoutBufferMs").closest("[hidden]") === null`
	if !evalJS[bool](p, bufferRow) {
		t.Error("no keepAliveTimeoutBufferMs knob on " + def.Name)
	}
	p.setField("ed-server-runtime", "node20")
	p.waitJS("the buffer knob to go", "!("+bufferRow+")", stepTimeout)
	p.setField("ed-server-runtime", def.Name)
	p.waitJS("the buffer knob to come back", bufferRow, stepTimeout)
	p.setField("ed-server-keepAliveTimeoutBufferMs", "0")
	p.setField("ed-server-runtime", "node20")
	p.waitJS("the problem", `document.getElementById("panel-editor").textContent.includes("only for node26, node24, node22; node20 does not have it")`, stepTimeout)
	p.screenshot("runtime-buffer-knob-on-node20")

	// A shared node24 scenario: the chip and the server buttons follow.
	node24, _ := scenario.Lookup("node24")
	p.open(mustDecode(t, `{"v":1,"server":{"runtime":"node24"}}`))
	if text, title := chip(); text != node24.Label || !strings.Contains(title, "24.22.3") {
		t.Errorf("chip %q (title %q), want Node 24.22 naming 24.22.3", text, title)
	}
	buttons := evalJS[string](p, `[...document.querySelectorAll("#server-actions button")].map(b => b.textContent).join("|")`)
	var want []string
	for _, c := range node24.Controls {
		want = append(want, c.Label)
	}
	if buttons != strings.Join(want, "|") {
		t.Errorf("server buttons %q, want %q", buttons, strings.Join(want, "|"))
	}
	p.screenshot(fmt.Sprintf("runtime-%s", node24.Name))
}
