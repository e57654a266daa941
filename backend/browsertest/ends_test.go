package browsertest

import (
	"strings"
	"testing"
)

// TestHalfCloseShowsBothEnds: Half-close on a card sends the client's FIN;
// the page shows the server's FIN in answer as its own close, on the card
// (who closed which end) and on the lane (the half-closed span ends).
func TestHalfCloseShowsBothEnds(t *testing.T) {
	for _, rt := range []string{"node20", "go"} {
		t.Run(rt, func(t *testing.T) {
			pg := startPlayground(t, "127.0.0.1:0")
			p := newPage(t, pg.URL())
			p.open(mustDecode(t, `{"v":1,"title":"half-close","server":{"runtime":"`+rt+`"}}`))
			p.click("#new-conn")
			p.waitJS("card A", `document.querySelector('#conn-A[data-state="open"]') !== null`, stepTimeout)
			p.click(`#conn-A .conn-btns button:first-child`) // the keep-alive helper
			p.click(`#conn-A .conn-send button`)
			p.waitJS("the response on A", `document.querySelector('#conn-A .conn-recv').textContent.includes("HTTP/1.1 200 OK")`, stepTimeout)
			p.waitJS("click Half-close", `(() => { const b = [...document.querySelectorAll('#conn-A button')].find(b => b.textContent === 'Half-close'); if (!b) return false; b.click(); return true })()`, stepTimeout)
			p.waitJS("the server's end closed too", `document.querySelector('#conn-A[data-state="closed"]') !== null && document.querySelector('#conn-A .conn-state').textContent.includes("the server closed its end too")`, stepTimeout)
			p.waitJS("the lane ends at the server's FIN", `document.querySelector('#timeline [data-conn="A"][data-close-by]') !== null`, stepTimeout)
			p.screenshot("half-close-both-ends-" + rt)
			if probs := p.problemsExcept(); len(probs) > 0 {
				t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
			}
		})
	}
}
