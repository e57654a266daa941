package lessons

import (
	"strings"
	"syscall/js"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/wasm/dom"
)

// toggleDiff opens or closes the comparison with the solution.
func (p *Panel) toggleDiff() {
	if p.diffView.Get("hidden").Bool() {
		p.diffView.Set("hidden", false)
		p.diffBtn.Call("setAttribute", "aria-expanded", "true")
		dom.SetText(p.diffBtn, "Hide the comparison")
		p.refreshDiff()
		return
	}
	p.closeDiff()
}

func (p *Panel) closeDiff() {
	p.diffView.Set("hidden", true)
	p.diffBtn.Call("setAttribute", "aria-expanded", "false")
	dom.SetText(p.diffBtn, "Compare with the solution")
	dom.Clear(p.diffView)
}

// refreshDiff draws the comparison again when it is open: the person
// edits beside it.
func (p *Panel) refreshDiff() {
	if p.cur < 0 || p.diffView.Get("hidden").Bool() {
		return
	}
	sol := p.scenario(true)
	if sol == nil {
		return
	}
	c := Compare(p.attempt(), p.undo, *sol)
	dom.Clear(p.diffView)
	dom.Append(p.diffView, dom.El("p", []dom.Attr{dom.A("class", "diff-summary")}, c.Summary))
	if len(c.Changes) > 0 {
		ul := dom.El("ul", []dom.Attr{dom.A("class", "diff-changes")})
		for _, ch := range c.Changes {
			dom.Append(ul, changeItem(ch))
		}
		dom.Append(p.diffView, ul)
	}
	if len(c.Lines) > 0 {
		pre := dom.El("pre", []dom.Attr{dom.A("class", "diff-lines"), dom.A("tabindex", "0"),
			dom.A("aria-label", "The scenario as JSON: lines with - are only in yours, + only in the solution")})
		for _, l := range c.Lines {
			dom.Append(pre, lineEl(l))
		}
		dom.Append(p.diffView, dom.El("details", []dom.Attr{dom.A("class", "diff-json")},
			dom.El("summary", nil, "The JSON, line by line"), pre))
	}
}

// attempt is the person's scenario for the open lesson: the editor's
// when it holds this lesson's, else what opening the lesson loads.
func (p *Panel) attempt() scenario.Scenario {
	if p.runFor == p.cur {
		return p.host.Editing()
	}
	if sc, ok := DecodeWork(dom.ReadStorage(WorkKey)).Get(p.course.Lessons[p.cur].ID); ok {
		return *sc
	}
	if sc := p.scenario(false); sc != nil {
		return *sc
	}
	return scenario.Scenario{}
}

func changeItem(c scenario.Change) js.Value {
	what := c.What
	if what != "" {
		what = strings.ToUpper(what[:1]) + what[1:]
	}
	li := dom.El("li", []dom.Attr{dom.A("data-op", string(c.Op))},
		dom.El("span", []dom.Attr{dom.A("class", "diff-what")}, what),
		" ", dom.El("code", []dom.Attr{dom.A("class", "diff-path")}, c.Path), " ")
	switch c.Op {
	case scenario.DiffAdded:
		dom.Append(li, dom.El("span", []dom.Attr{dom.A("class", "diff-tag")}, "only in the solution: "))
		dom.Append(li, dom.El("span", []dom.Attr{dom.A("class", "diff-to")}, c.To))
	case scenario.DiffRemoved:
		dom.Append(li, dom.El("span", []dom.Attr{dom.A("class", "diff-tag")}, "only in yours: "))
		dom.Append(li, dom.El("span", []dom.Attr{dom.A("class", "diff-from")}, c.From))
	default:
		dom.Append(li, dom.El("span", []dom.Attr{dom.A("class", "diff-from")}, c.From))
		dom.Append(li, dom.El("span", []dom.Attr{dom.A("class", "diff-arrow"), dom.A("aria-label", "becomes")}, " → "))
		dom.Append(li, dom.El("span", []dom.Attr{dom.A("class", "diff-to")}, c.To))
	}
	return li
}

// lineEl is one line of the JSON view, a block of its own (so its
// colour spans the width); the marks are a unified diff's.
func lineEl(l scenario.Line) js.Value {
	class, mark := "diff-same", "  "
	switch l.Op {
	case scenario.LineAdded:
		class, mark = "diff-add", "+ "
	case scenario.LineRemoved:
		class, mark = "diff-del", "- "
	case scenario.LineFolded:
		class, mark = "diff-fold", "  ⋯ "
	}
	return dom.El("span", []dom.Attr{dom.A("class", class), dom.A("data-op", string(l.Op))}, mark+l.Text)
}
