package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keepalive-playground/playground/fragment"
	"github.com/keepalive-playground/playground/scenario"
)

// TestBadLinksOpenWithABanner opens broken, truncated, tampered and
// newer-version links: each opens the page with a banner saying what is
// wrong, the default scenario loaded, and nothing crashed.
func TestBadLinksOpenWithABanner(t *testing.T) {
	good, err := scenario.EncodeLink(mustDecode(t, `{"v":1,"title":"good","server":{"runtime":"go"}}`))
	if err != nil {
		t.Fatal(err)
	}
	newer, err := fragment.Encode([]byte(`{"v":2,"server":{"runtime":"node20"},"future":true}`))
	if err != nil {
		t.Fatal(err)
	}
	tampered := []byte(good)
	tampered[len(tampered)/2] ^= 0x20 // flip the case of a base64 letter
	tests := []struct{ name, frag, want string }{
		{"truncated", good[:len(good)/2], "cannot be opened"},
		{"tampered", string(tampered), "cannot be opened"},
		{"newer version", "#s=" + newer, "newer version"},
		{"not base64", "#s=%%%", "cannot be opened"},
		{"trace garbage", "#t=AAAA", "cannot be opened"},
	}
	pg := startPlayground(t, "127.0.0.1:0")
	p := newPage(t, pg.URL())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.t = t
			p.do(chromedp.Navigate("about:blank"))
			p.do(chromedp.Navigate(p.url + tt.frag))
			p.waitJS(`data-state="ready"`, `document.documentElement.dataset.state === "ready"`, readyTimeout)
			p.waitJS("the banner", `!document.getElementById("error").hidden`, stepTimeout)
			msg := evalJS[string](p, `document.getElementById("error-text").textContent`)
			if !strings.Contains(msg, tt.want) {
				t.Errorf("banner = %q, want it to say %q", msg, tt.want)
			}
			def, _ := scenario.Lookup(scenario.DefaultRuntime())
			if rt := evalJS[string](p, `document.getElementById("server-runtime").dataset.runtime`); rt != def.Name {
				t.Errorf("runtime shown = %q, want the default scenario's %s", rt, def.Name)
			}
			if chip := evalJS[string](p, `document.getElementById("server-runtime").textContent`); chip != def.Label {
				t.Errorf("runtime chip says %q, want %q", chip, def.Label)
			}
		})
	}
	p.t = t
	p.screenshot("bad-link")
	if probs := p.problemsExcept(); len(probs) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(probs, "\n"))
	}
}
