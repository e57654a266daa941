package main

import (
	"syscall/js"

	"github.com/keepalive-playground/playground/codeview"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/wasm/dom"
)

// codeTab owns the Code tab: the server program (and the proxy's
// configuration) a scenario stands for, and Copy. runsEdited reports
// whether the demo server runs the scenario as edited.
type codeTab struct {
	loop       *dom.Loop
	say        notifier
	runsEdited func() bool
	// program and proxyProgram are the texts shown, for Copy.
	program, proxyProgram string
}

func newCodeTab(loop *dom.Loop, ls *dom.Listeners, say notifier, runsEdited func() bool) *codeTab {
	c := &codeTab{loop: loop, say: say, runsEdited: runsEdited}
	ls.On(dom.ByID("code-copy"), "click", func(js.Value) { c.copy(c.program, "program") })
	ls.On(dom.ByID("code-proxy-copy"), "click", func(js.Value) { c.copy(c.proxyProgram, "proxy's configuration") })
	return c
}

// show fills the Code tab with the programs sc stands for: the ones
// given (the session's, for what it runs), else rendered here by package
// codeview, which is the same code the session renders. edited says sc
// is the editor's scenario, not yet run.
func (c *codeTab) show(sc scenario.Scenario, program, proxyProgram string, edited bool) {
	full := sc.WithDefaults()
	if program == "" {
		program = codeview.Program(full)
	}
	if proxyProgram == "" && full.Proxy != nil {
		proxyProgram = codeview.Proxy(full)
	}
	c.program, c.proxyProgram = program, proxyProgram
	dom.SetText(dom.ByID("code-view"), program)
	what := "this scenario"
	if full.Proxy != nil {
		what = "the app behind the proxy"
	}
	lang := full.Server.Spec().Language.Name()
	caption := "The " + lang + " program of " + what + ": the knobs as code."
	if edited && !c.runsEdited() {
		caption = "The " + lang + " program of " + what + " as edited; Run runs it."
	}
	code := dom.ByID("code-view")
	code.Get("dataset").Set("lang", string(full.Server.Spec().Language))
	code.Get("dataset").Set("runtime", full.Server.Runtime)
	dom.SetText(dom.ByID("code-caption"), caption)
	c.showProxy(full, proxyProgram)
	showHops(full)
}

// edited shows the edited scenario's programs; one with problems keeps
// the last valid one's, and says so.
func (c *codeTab) edited(sc scenario.Scenario, err error) {
	if err != nil {
		dom.SetText(dom.ByID("code-caption"), "The scenario has problems (see the Scenario tab): this is the program of its last valid version.")
		return
	}
	c.show(sc, "", "", true)
}

// copy puts one of the Code tab's programs on the clipboard.
func (c *codeTab) copy(text, what string) { copyLines(c.loop, c.say, text, what) }

// AWS's pages the alb kind is modelled from (codeview.ALBDocs and
// ALBTroubleshooting), linked from the Code tab's caption.
const (
	albDocs            = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html"
	albTroubleshooting = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html"
)

// proxyCaptions say what the Code tab shows for each proxy kind.
var proxyCaptions = map[string]string{
	scenario.ProxyNginx: "The nginx 1.22 configuration the proxy runs (an emulation held to the real nginx 1.22.1).",
	scenario.ProxyGo:    "The Go reverse proxy in front of the app: a real httputil.ReverseProxy and its Transport.",
	scenario.ProxyALB:   "The load balancer's settings. An ALB cannot run here: this proxy is modelled from AWS's documentation, linked below.",
}

// showProxy fills the Code tab's proxy part.
func (c *codeTab) showProxy(sc scenario.Scenario, program string) {
	box := dom.ByID("code-proxy-box")
	box.Set("hidden", sc.Proxy == nil)
	if sc.Proxy == nil {
		return
	}
	dom.SetText(dom.ByID("code-proxy"), program)
	caption := dom.ByID("code-proxy-caption")
	dom.SetText(caption, proxyCaptions[sc.Proxy.Kind])
	if sc.Proxy.Kind == scenario.ProxyALB {
		for _, l := range [][2]string{{albDocs, "Load balancer attributes"}, {albTroubleshooting, "Troubleshooting: 502 and 504"}} {
			dom.Append(caption, " ")
			dom.Append(caption, dom.El("a", []dom.Attr{dom.A("href", l[0]), dom.A("target", "_blank"), dom.A("rel", "noopener")}, l[1]))
		}
	}
}
