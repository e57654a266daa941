package browsertest

import (
	"fmt"
	"testing"
)

// TestProblemsShowAtTheirFields: a problem the validator names by its
// path (a knob, a step's request header) shows under the control that
// edits it and, in the summary at the top, as a link to that control.
func TestProblemsShowAtTheirFields(t *testing.T) {
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	p.open(mustDecode(t, `{"v":1,"title":"problems","server":{"runtime":"node20"},
		"client":{"steps":[{"at":0,"conn":"A","request":{"method":"GET","path":"/"}}]}}`))
	p.click("#tab-editor")
	p.setField("ed-server-headersTimeoutMs", "-5")
	p.setField("step0.request-headers", "a b: x")
	for _, c := range []struct{ what, control, key string }{
		{"the knob", `document.getElementById("ed-server-headersTimeoutMs")`, "server.headersTimeoutMs"},
		{"the step's headers", fieldJS("step0.request-headers"), "client.steps[0].request.headers"},
	} {
		p.waitJS(c.what+"'s message under it", fmt.Sprintf(`(() => { const m = document.getElementById(%s.id + "-msg");
			return m !== null && m.textContent.trim() !== "" })()`, c.control), stepTimeout)
		p.waitJS(c.what+"'s link in the summary", fmt.Sprintf(`document.querySelector('#panel-editor .ed-problems [data-focus=%q]') !== null`, c.key), stepTimeout)
	}
	p.screenshot("editor-problems")
}
