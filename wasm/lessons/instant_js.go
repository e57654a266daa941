package lessons

import (
	"strconv"

	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/dom"
)

// At shows the open lesson's tasks as the run stood at the instant of
// its kth event in time order (the scrubber's), or live again with k 0.
// Only a run of the lesson's own scenario is shown so; progress is never
// marked from an instant (the run as a whole did that).
func (p *Panel) At(k int) {
	if k == p.atK {
		return
	}
	was := p.atK
	p.atK = max(k, 0)
	if p.atK == 0 && was > 0 {
		for _, el := range p.taskEls {
			el.li.Call("removeAttribute", "data-at")
			kids := el.checks.Get("children")
			for i := range kids.Length() {
				kids.Index(i).Call("removeAttribute", "data-at")
			}
		}
		p.taskList.Call("removeAttribute", "data-at")
		// The live view evaluates afresh (its states, for what is news, kept).
		p.evalKey = [3]float64{-1, -1, -1}
	}
	p.loop.Invalidate(p.drawID)
}

// drawAt shows every task at the scrubber's instant: ✓ passed for good,
// ✗ failed for good, ○ not decided yet, and each check's verdict and
// detail at that instant.
func (p *Panel) drawAt() {
	e := p.course.Lessons[p.cur]
	p.taskList.Call("setAttribute", "data-at", strconv.Itoa(p.atK))
	for n, st := range EvalTasksAt(e.Tasks, p.events, p.atK) {
		el := p.taskEls[n]
		mark, label := "○", "not decided yet at this instant"
		switch st.Verdict {
		case timeline.Passed:
			mark, label = "✓", "passes at this instant"
		case timeline.Failed:
			mark, label = "✗", "fails at this instant"
		}
		dom.SetText(el.mark, mark)
		el.mark.Call("setAttribute", "aria-label", label)
		el.li.Call("setAttribute", "data-pass", strconv.FormatBool(st.Verdict == timeline.Passed))
		el.li.Call("setAttribute", "data-at", st.Verdict.String())
		el.li.Call("setAttribute", "data-done", strconv.FormatBool(st.Verdict == timeline.Passed))
		el.before.Set("hidden", true)
		p.drawChecks(el.checks, TaskState{Pass: st.Verdict == timeline.Passed, Results: st.Results})
		kids := el.checks.Get("children")
		// drawChecks lists no checks over no events.
		for i, v := range st.Verdicts[:min(len(st.Verdicts), kids.Length())] {
			li := kids.Index(i)
			li.Call("setAttribute", "data-at", v.String())
			if v == timeline.NotYet {
				dom.SetText(li.Get("firstChild"), "○ "+st.Results[i].Name)
			}
		}
	}
}
