package lessons

import (
	"errors"
	"fmt"
	"strconv"
	"syscall/js"

	course "github.com/keepalive-playground/playground/lessons"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/dom"
)

// courseURL is where the build puts the rendered course.
const courseURL = "/lessons.json"

// Host is what the panel asks of the playground.
type Host interface {
	// Load puts sc in the editor and on the demo server; run also plays
	// its client steps.
	Load(sc scenario.Scenario, run bool)
	// Editing is the scenario in the editor, as the person left it.
	Editing() scenario.Scenario
}

// Panel shows the lessons. Every method runs on the loop goroutine.
type Panel struct {
	loop *dom.Loop
	host Host
	ls   *dom.Listeners
	root js.Value

	course  *course.Course
	loadErr error
	// keepScenario: the lesson OpenWith opens (maybe once the course has
	// arrived) keeps the scenario on the playground.
	keepScenario bool
	prog         Progress
	// want is the lesson asked for before the course arrived.
	want *Target

	cur int // index of the open lesson, -1 for none
	// runFor is the lesson whose scenario (its start, solution or the
	// person's edit of them) is on the playground, -1 for another one:
	// tasks are checked, and credited, only against their own lesson's runs.
	runFor int
	// undo is the scenario Show solution replaced, for its Undo.
	undo *scenario.Scenario
	task int // the task a link pointed at, 0 for none
	// starts and sols are the lessons' scenarios, decoded when first
	// loaded: decoding all of them held up the page's start.
	starts  []*scenario.Scenario
	sols    []*scenario.Scenario
	events  []timeline.Event
	evalKey [3]float64 // len, first and last T of the events last evaluated
	states  []TaskState
	// atK is the scrubber's instant (At): the run's first atK events; 0
	// for the live view.
	atK int

	// The panel's parts.
	status   js.Value // loading and error messages
	finished js.Value // says the whole course is done
	index    js.Value // <details> holding the list
	summary  js.Value
	list     js.Value
	items    []js.Value
	article  js.Value
	meta     js.Value
	title    js.Value
	body     js.Value
	taskList js.Value
	taskEls  []taskEl
	live     js.Value // aria-live announcements
	docs     js.Value
	prev     js.Value
	next     js.Value
	solution js.Value
	note     js.Value
	drawID   int

	// The comparison of the attempt with the solution.
	diffBtn  js.Value
	diffView js.Value
}

type taskEl struct {
	li, mark, checks js.Value
	// before says visibly "done before, not in this run".
	before js.Value
}

// Mount builds the panel in root and starts fetching the course.
func Mount(loop *dom.Loop, root js.Value, host Host) *Panel {
	p := &Panel{loop: loop, host: host, ls: dom.NewListeners(loop), root: root, cur: -1, runFor: -1}
	p.prog = DecodeProgress(dom.ReadStorage(ProgressKey))
	p.build()
	p.drawID = loop.Drawer(p.drawTasks)
	go func() {
		c, err := fetchCourse()
		loop.Post(func() { p.loaded(c, err) })
	}()
	return p
}

// Open shows lesson id (from a #lesson=ID link, or ID/TASK for one of its
// tasks); false if there is none. Before the course has arrived it
// accepts any well-formed id and says later if the lesson does not exist.
func (p *Panel) Open(id string) bool {
	t, ok := ParseTarget(id)
	if !ok {
		return false
	}
	if p.course == nil {
		if p.loadErr != nil {
			return false
		}
		p.want = &t
		return true
	}
	i := p.course.Index(t.ID)
	if i < 0 || t.Task > len(p.course.Lessons[i].Tasks) {
		return false
	}
	p.show(i, t.Task, false)
	return true
}

// OpenWith shows lesson id's text over a scenario the host has loaded
// already (a shared link of an attempt at it): the scenario stays, and
// its runs count for the lesson.
func (p *Panel) OpenWith(id string) bool {
	p.keepScenario = true
	ok := p.Open(id)
	if !ok {
		p.keepScenario = false
	}
	return ok
}

// Foreign tells the panel that the playground now holds a scenario of no
// lesson (a default, a link without one, a replayed trace): the open
// lesson's tasks are not checked against its runs.
func (p *Panel) Foreign() {
	p.runFor = -1
	p.states = nil
	p.loop.Invalidate(p.drawID)
}

// Edited keeps the person's edit of the open lesson's scenario as that
// lesson's working copy, so that leaving the lesson or reloading the page
// does not lose it.
func (p *Panel) Edited(sc scenario.Scenario) {
	if p.course == nil || p.cur < 0 || p.runFor != p.cur {
		return
	}
	work := DecodeWork(dom.ReadStorage(WorkKey))
	if work.Set(p.course.Lessons[p.cur].ID, &sc) {
		dom.WriteStorage(WorkKey, work.Encode())
	}
	p.refreshDiff()
}

// Current is the open lesson's id, or "".
func (p *Panel) Current() string {
	switch {
	case p.course != nil && p.cur >= 0:
		return p.course.Lessons[p.cur].ID
	case p.want != nil:
		return p.want.ID
	}
	return ""
}

// Events tells the panel the current run's events, to check its tasks.
func (p *Panel) Events(evs []timeline.Event) {
	p.events = evs
	if p.atK > len(evs) {
		// The scrubber's instant was in a run these events no longer
		// hold (a new scenario was sent): back to the live view.
		p.At(0)
	}
	p.loop.Invalidate(p.drawID)
}

// Release frees the panel's listeners.
func (p *Panel) Release() { p.ls.Release() }

func (p *Panel) build() {
	p.root.Get("classList").Call("add", "lessons")
	p.status = dom.El("p", []dom.Attr{dom.A("class", "lesson-status"), dom.A("role", "status")}, "Loading the lessons…")

	p.finished = dom.El("p", []dom.Attr{dom.A("class", "lesson-finished"), dom.A("id", "lesson-finished"), dom.A("hidden", true)})
	p.summary = dom.El("summary", nil, "Lessons")
	p.list = dom.El("ol", []dom.Attr{dom.A("class", "lesson-list")})
	p.index = dom.El("details", []dom.Attr{dom.A("class", "lesson-index"), dom.A("open", true)}, p.summary,
		dom.El("nav", []dom.Attr{dom.A("aria-label", "Lessons")}, p.list))

	p.meta = dom.El("p", []dom.Attr{dom.A("class", "lesson-meta")})
	p.title = dom.El("h2", []dom.Attr{dom.A("id", "lesson-title"), dom.A("tabindex", "-1")})
	load := dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("id", "lesson-load"),
		dom.A("title", "Put this lesson's start in the editor and on the demo server, forgetting your edits of it")}, "Reset to the lesson's start")
	run := dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("id", "lesson-run"), dom.A("class", "primary"),
		dom.A("title", "Run this lesson's scenario (with your edits of it)")}, "▶ Run it")
	p.body = dom.El("div", []dom.Attr{dom.A("class", "lesson-body")})
	p.taskList = dom.El("ol", []dom.Attr{dom.A("class", "lesson-tasks")})
	p.live = dom.El("p", []dom.Attr{dom.A("class", "sr-only"), dom.A("aria-live", "polite")})
	p.solution = dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("id", "lesson-solution"),
		dom.A("title", "Load the reference solution into the editor")}, "Show solution")
	p.note = dom.El("p", []dom.Attr{dom.A("class", "lesson-note muted"), dom.A("role", "status")})
	p.diffBtn = dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("id", "lesson-diff"),
		dom.A("aria-expanded", "false"), dom.A("aria-controls", "lesson-diff-view"),
		dom.A("title", "Show how your scenario differs from the reference solution, without loading it")}, "Compare with the solution")
	p.diffView = dom.El("section", []dom.Attr{dom.A("id", "lesson-diff-view"), dom.A("class", "lesson-diff"),
		dom.A("aria-label", "Your attempt compared with the solution"), dom.A("hidden", true)})
	p.docs = dom.El("ul", []dom.Attr{dom.A("class", "lesson-docs")})
	p.prev = dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("id", "lesson-prev")}, "← Previous")
	p.next = dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("id", "lesson-next")}, "Next →")

	p.article = dom.El("article", []dom.Attr{dom.A("class", "lesson"), dom.A("aria-labelledby", "lesson-title"), dom.A("hidden", true)},
		dom.El("header", nil, p.meta, p.title),
		dom.El("div", []dom.Attr{dom.A("class", "lesson-actions")}, load, run),
		p.body,
		dom.El("section", []dom.Attr{dom.A("class", "lesson-task-box"), dom.A("aria-labelledby", "lesson-tasks-h")},
			dom.El("h3", []dom.Attr{dom.A("id", "lesson-tasks-h")}, "Tasks"),
			dom.El("p", []dom.Attr{dom.A("class", "muted lesson-task-help")}, "Checked live against the timeline of the current run."),
			p.taskList, p.live,
			dom.El("div", []dom.Attr{dom.A("class", "lesson-actions")}, p.solution, p.diffBtn), p.note, p.diffView),
		dom.El("section", []dom.Attr{dom.A("class", "lesson-doc-box"), dom.A("aria-labelledby", "lesson-docs-h")},
			dom.El("h3", []dom.Attr{dom.A("id", "lesson-docs-h")}, "Documentation"), p.docs),
		dom.El("nav", []dom.Attr{dom.A("class", "lesson-pager"), dom.A("aria-label", "Previous and next lesson")}, p.prev, p.next),
	)
	if p.root.Get("dataset").Get("preview").String() != "true" {
		// No copy of the course in the page: say it is coming.
		p.mount()
	}

	p.ls.On(load, "click", func(js.Value) { p.load(false) })
	p.ls.On(run, "click", func(js.Value) { p.load(true) })
	p.ls.On(p.solution, "click", func(js.Value) { p.showSolution() })
	p.ls.On(p.diffBtn, "click", func(js.Value) { p.toggleDiff() })
	p.ls.On(p.prev, "click", func(js.Value) { p.step(-1) })
	p.ls.On(p.next, "click", func(js.Value) { p.step(+1) })
}

// mount puts the panel in its place, in one step: over the copy of the
// course the page was served with (a learner was reading it while the
// program started), which has the same markup, so nothing moves.
func (p *Panel) mount() {
	p.root.Call("replaceChildren", p.status, p.finished, p.index, p.article)
	p.root.Get("dataset").Delete("preview")
}

// loaded takes the fetched course (on the loop).
func (p *Panel) loaded(c *course.Course, err error) {
	if p.root.Get("dataset").Get("preview").String() == "true" {
		p.mount()
	}
	if err != nil {
		p.loadErr = err
		dom.SetText(p.status, "The lessons could not be loaded: "+err.Error()+". Reload the page to try again.")
		p.status.Get("classList").Call("add", "error")
		return
	}
	p.course = c
	p.starts = make([]*scenario.Scenario, len(c.Lessons))
	p.sols = make([]*scenario.Scenario, len(c.Lessons))
	p.status.Set("hidden", true)
	p.buildList()
	if w := p.want; w != nil {
		p.want = nil
		if !p.Open(w.Hash()[len("#lesson="):]) {
			dom.SetText(p.status, "There is no lesson "+strconv.Quote(w.ID)+". Pick one from the list.")
			p.status.Set("hidden", false)
		}
	}
}

func (p *Panel) buildList() {
	dom.Clear(p.list)
	p.items = nil
	for i, e := range p.course.Lessons {
		a := dom.El("a", []dom.Attr{dom.A("href", Target{ID: e.ID}.Hash())},
			dom.El("span", []dom.Attr{dom.A("class", "lesson-num")}, strconv.Itoa(i+1)+"."), " "+e.Title)
		mark := dom.El("span", []dom.Attr{dom.A("class", "lesson-done-mark")})
		li := dom.El("li", []dom.Attr{dom.A("data-lesson", e.ID)}, a, mark)
		// The link works without the panel (a new tab, a copied address);
		// a plain click opens the lesson here, without a history entry.
		p.ls.On(a, "click", func(ev js.Value) {
			if !modified(ev) {
				p.show(i, 0, true)
			}
		}, func(ev js.Value) bool { return !modified(ev) })
		dom.Append(p.list, li)
		p.items = append(p.items, li)
	}
	p.updateList()
}

// modified reports a click that should open the link elsewhere (a new tab
// or window) rather than in the panel.
func modified(ev js.Value) bool {
	for _, k := range []string{"ctrlKey", "metaKey", "shiftKey", "altKey"} {
		if ev.Get(k).Truthy() {
			return true
		}
	}
	return ev.Get("button").Int() != 0
}

func (p *Panel) updateList() {
	for i, e := range p.course.Lessons {
		li := p.items[i]
		d := p.prog.LessonDone(e.ID, len(e.Tasks))
		li.Call("setAttribute", "data-done", strconv.FormatBool(d))
		mark := li.Call("querySelector", ".lesson-done-mark")
		if d {
			dom.SetText(mark, "✓")
			mark.Call("setAttribute", "aria-label", "done")
			mark.Call("setAttribute", "role", "img")
		} else {
			dom.SetText(mark, "")
			mark.Call("removeAttribute", "aria-label")
			mark.Call("removeAttribute", "role")
		}
		a := li.Call("querySelector", "a")
		if i == p.cur {
			a.Call("setAttribute", "aria-current", "page")
		} else {
			a.Call("removeAttribute", "aria-current")
		}
	}
	done, all := p.prog.Count(p.course), len(p.course.Lessons)
	if done == all && all > 0 {
		dom.SetText(p.summary, fmt.Sprintf("Lessons: all %d done. You have finished the course!", all))
		p.summary.Get("dataset").Set("finished", "true")
	} else {
		dom.SetText(p.summary, fmt.Sprintf("Lessons: %d of %d done", done, all))
		p.summary.Get("dataset").Delete("finished")
	}
}

// show opens lesson i; nav says the person navigated (so the address
// follows).
func (p *Panel) show(i, task int, nav bool) {
	e := p.course.Lessons[i]
	changed := i != p.cur
	p.cur, p.task = i, task
	if changed {
		p.undo = nil
		p.closeDiff()
		p.renderLesson(e, i)
	}
	switch {
	case p.keepScenario:
		// A shared attempt at this lesson is on the playground already.
		p.keepScenario = false
		p.runFor = i
		p.states = nil
		p.loop.Invalidate(p.drawID)
	case changed:
		// Opening a lesson loads it: the person's working copy of it, or
		// its start.
		p.loadWorking()
	}
	p.updateList()
	if nav || changed {
		p.setHash(Target{ID: e.ID, Task: task})
	}
	if changed {
		// Keep the list out of the way once a lesson is open; its summary
		// still shows the progress, and one click opens it again.
		p.index.Set("open", false)
	}
	if nav {
		p.title.Call("focus")
	}
	if task > 0 && task <= len(p.taskEls) {
		li := p.taskEls[task-1].li
		li.Call("scrollIntoView", map[string]any{"block": "nearest"})
		li.Call("focus")
	}
}

func (p *Panel) renderLesson(e course.Entry, i int) {
	p.article.Set("hidden", false)
	dom.SetText(p.meta, p.course.Meta(i))
	dom.SetText(p.title, e.Title)
	// The HTML was rendered and checked at build time (no raw HTML, no
	// scripts, only vetted links): see build/lessons.go.
	p.body.Set("innerHTML", e.HTML)
	// Code blocks scroll sideways in the narrow column: make them
	// reachable by keyboard.
	pres := p.body.Call("querySelectorAll", "pre")
	for k := 0; k < pres.Length(); k++ {
		pres.Index(k).Call("setAttribute", "tabindex", "0")
	}
	dom.Clear(p.note)

	dom.Clear(p.taskList)
	p.taskEls = nil
	for n, t := range e.Tasks {
		mark := dom.El("span", []dom.Attr{dom.A("class", "task-mark"), dom.A("role", "img")})
		text := dom.El("span", []dom.Attr{dom.A("class", "task-text")})
		text.Set("innerHTML", t.TextHTML)
		hint := dom.El("details", []dom.Attr{dom.A("class", "task-hint")},
			dom.El("summary", nil, "Hint"), dom.El("p", []dom.Attr{dom.A(".innerHTML", t.HintHTML)}))
		checks := dom.El("ul", []dom.Attr{dom.A("class", "task-checks")})
		before := dom.El("p", []dom.Attr{dom.A("class", "task-before muted"), dom.A("hidden", true)}, "Done before, not in this run.")
		li := dom.El("li", []dom.Attr{dom.A("data-task", strconv.Itoa(n+1)), dom.A("data-pass", "false"), dom.A("tabindex", "-1"),
			dom.A("id", fmt.Sprintf("lesson-task-%d", n+1))},
			dom.El("div", []dom.Attr{dom.A("class", "task-head")}, mark, text), before, hint, checks)
		dom.Append(p.taskList, li)
		p.taskEls = append(p.taskEls, taskEl{li: li, mark: mark, checks: checks, before: before})
	}
	p.states = nil // the next drawTasks evaluates, whatever evalKey holds

	dom.Clear(p.docs)
	for _, d := range e.Docs {
		dom.Append(p.docs, dom.El("li", nil, dom.El("a", []dom.Attr{dom.A("href", d.URL),
			dom.A("target", "_blank"), dom.A("rel", "noopener noreferrer")}, d.Title)))
	}
	p.prev.Set("disabled", i == 0)
	p.next.Set("disabled", i == len(p.course.Lessons)-1)
	p.setPagerLabels(i)
	p.drawTasks()
}

func (p *Panel) setPagerLabels(i int) {
	ls := p.course.Lessons
	if i > 0 {
		p.prev.Call("setAttribute", "aria-label", "Previous lesson: "+ls[i-1].Title)
	} else {
		p.prev.Call("removeAttribute", "aria-label")
	}
	if i < len(ls)-1 {
		p.next.Call("setAttribute", "aria-label", "Next lesson: "+ls[i+1].Title)
	} else {
		p.next.Call("removeAttribute", "aria-label")
	}
}

// drawTasks evaluates the tasks over the current events (once per frame
// at most, and only when the events changed) and shows the result.
func (p *Panel) drawTasks() {
	if p.course == nil || p.cur < 0 {
		return
	}
	if p.atK > 0 && p.runFor == p.cur {
		p.drawAt()
		return
	}
	key := [3]float64{float64(len(p.events)), -1, -1}
	if n := len(p.events); n > 0 {
		key[1], key[2] = p.events[0].T, p.events[n-1].T
	}
	if key == p.evalKey && p.states != nil {
		return
	}
	p.evalKey = key
	e := p.course.Lessons[p.cur]
	events := p.events
	if p.runFor != p.cur {
		// Another lesson's run, or a scenario of none: no credit from it.
		events = nil
	}
	states := EvalTasks(e.Tasks, events)
	progressed := false
	for n, st := range states {
		el := p.taskEls[n]
		was := len(p.states) > n && p.states[n].Pass
		el.li.Call("setAttribute", "data-pass", strconv.FormatBool(st.Pass))
		everDone := p.prog.TaskDone(e.ID, n+1)
		switch {
		case st.Pass:
			dom.SetText(el.mark, "✓")
			el.mark.Call("setAttribute", "aria-label", "passes in this run")
		case everDone:
			// Not a green tick over red checks: say it in words.
			dom.SetText(el.mark, "○")
			el.mark.Call("setAttribute", "aria-label", "done before, not in this run")
		default:
			dom.SetText(el.mark, "○")
			el.mark.Call("setAttribute", "aria-label", "not done yet")
		}
		el.li.Call("setAttribute", "data-done", strconv.FormatBool(st.Pass || everDone))
		el.before.Set("hidden", st.Pass || !everDone)
		if len(events) == 0 && len(p.events) > 0 {
			st = TaskState{}
		}
		p.drawChecks(el.checks, st)
		if st.Pass && !was {
			dom.SetText(p.live, fmt.Sprintf("Task %d passes.", n+1))
		}
		if st.Pass && p.prog.Mark(e.ID, n+1) {
			progressed = true
		}
	}
	p.states = states
	if progressed {
		dom.WriteStorage(ProgressKey, p.prog.Encode())
		p.updateList()
		switch {
		case p.prog.Count(p.course) == len(p.course.Lessons):
			dom.SetText(p.live, "Lesson done, and with it the whole course.")
		case p.prog.LessonDone(e.ID, len(e.Tasks)):
			dom.SetText(p.live, "Lesson done: every task passes.")
		}
	}
}

func (p *Panel) drawChecks(ul js.Value, st TaskState) {
	if len(p.events) == 0 {
		dom.Clear(ul)
		return
	}
	kids := ul.Get("children")
	if kids.Length() != len(st.Results) {
		dom.Clear(ul)
		for range st.Results {
			dom.Append(ul, dom.El("li", nil, dom.El("span", []dom.Attr{dom.A("class", "check-name")}),
				dom.El("span", []dom.Attr{dom.A("class", "check-detail muted")})))
		}
	}
	for i, r := range st.Results {
		li := kids.Index(i)
		li.Call("setAttribute", "data-pass", strconv.FormatBool(r.Pass))
		verdict := "✗ "
		if r.Pass {
			verdict = "✓ "
		}
		dom.SetText(li.Get("firstChild"), verdict+r.Name)
		dom.SetText(li.Get("lastChild"), r.Detail)
	}
}

// loadWorking puts the open lesson's working copy (the person's edit of
// it) on the playground, or its start when there is none.
func (p *Panel) loadWorking() {
	if sc, ok := DecodeWork(dom.ReadStorage(WorkKey)).Get(p.course.Lessons[p.cur].ID); ok {
		p.runFor = p.cur
		p.host.Load(*sc, false)
		return
	}
	if sc := p.scenario(false); sc != nil {
		p.runFor = p.cur
		p.host.Load(*sc, false)
	}
}

// load runs the open lesson: its working copy (Run it), or resets it to
// its start (Reset to the start, which forgets the working copy).
func (p *Panel) load(run bool) {
	if p.cur < 0 {
		return
	}
	dom.Clear(p.note)
	if run {
		if sc, ok := DecodeWork(dom.ReadStorage(WorkKey)).Get(p.course.Lessons[p.cur].ID); ok {
			p.runFor = p.cur
			p.host.Load(*sc, true)
			p.refreshDiff()
			return
		}
	} else {
		work := DecodeWork(dom.ReadStorage(WorkKey))
		if work.Delete(p.course.Lessons[p.cur].ID) {
			dom.WriteStorage(WorkKey, work.Encode())
		}
	}
	if sc := p.scenario(false); sc != nil {
		p.runFor = p.cur
		p.host.Load(*sc, run)
	}
	p.refreshDiff()
}

// showSolution loads the reference solution, keeping what it replaced
// for Undo.
func (p *Panel) showSolution() {
	if p.cur < 0 {
		return
	}
	sol := p.scenario(true)
	if sol == nil {
		return
	}
	id := p.course.Lessons[p.cur].ID
	if sc, ok := DecodeWork(dom.ReadStorage(WorkKey)).Get(id); ok {
		p.undo = sc
	} else {
		p.undo = p.scenario(false)
	}
	p.runFor = p.cur
	p.host.Load(*sol, false)
	dom.Clear(p.note)
	dom.Append(p.note, "The reference solution is in the Scenario tab; press Run to see every task pass. ")
	undo := dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("id", "lesson-undo")}, "Undo: back to your attempt")
	ls := dom.NewListeners(p.loop)
	ls.On(undo, "click", func(js.Value) {
		ls.Release()
		if p.undo != nil {
			prev := *p.undo
			p.undo = nil
			p.runFor = p.cur
			p.host.Load(prev, false)
			p.Edited(prev)
		}
		dom.SetText(p.note, "Your attempt is back in the Scenario tab.")
		p.refreshDiff()
	})
	dom.Append(p.note, undo)
	p.refreshDiff()
}

// scenario is the open lesson's start or solution, decoded on first use;
// nil, with the reason in the lesson's note, when it does not decode.
func (p *Panel) scenario(solution bool) *scenario.Scenario {
	cache := p.starts
	if solution {
		cache = p.sols
	}
	if sc := cache[p.cur]; sc != nil {
		return sc
	}
	start, sol, err := p.course.Lessons[p.cur].Scenarios()
	if err != nil {
		// The build checked every lesson; a failure here means a
		// damaged lessons.json, which a reload may fix.
		dom.SetText(p.note, "This lesson's scenario could not be read ("+err.Error()+"). Reload the page to try again.")
		return nil
	}
	p.starts[p.cur], p.sols[p.cur] = start, sol
	if solution {
		return sol
	}
	return start
}

func (p *Panel) step(d int) {
	if p.course == nil || p.cur < 0 {
		return
	}
	if i := p.cur + d; i >= 0 && i < len(p.course.Lessons) {
		p.show(i, 0, true)
	}
}

// setHash puts the lesson's link in the address bar without a history
// entry or a hashchange event, unless the address holds a shared
// scenario the person would lose.
func (p *Panel) setHash(t Target) {
	loc := js.Global().Get("location")
	if !MayReplaceHash(loc.Get("hash").String()) {
		return
	}
	js.Global().Get("history").Call("replaceState", nil, "", t.Hash())
}

// fetchCourse fetches and decodes lessons.json. It blocks, so it runs on
// its own goroutine; the promise callbacks only hand results over.
func fetchCourse() (*course.Course, error) {
	type result struct {
		text string
		err  error
	}
	ch := make(chan result, 1)
	var onText, onResp, onErr js.Func
	onErr = js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "network error"
		if len(args) > 0 && args[0].Truthy() {
			msg = args[0].Call("toString").String()
		}
		select {
		case ch <- result{err: errors.New(msg)}:
		default:
		}
		return nil
	})
	onText = js.FuncOf(func(_ js.Value, args []js.Value) any {
		select {
		case ch <- result{text: args[0].String()}:
		default:
		}
		return nil
	})
	onResp = js.FuncOf(func(_ js.Value, args []js.Value) any {
		r := args[0]
		if !r.Get("ok").Bool() {
			select {
			case ch <- result{err: fmt.Errorf("%s answered %d %s", courseURL, r.Get("status").Int(), r.Get("statusText").String())}:
			default:
			}
			return nil
		}
		r.Call("text").Call("then", onText, onErr)
		return nil
	})
	defer onErr.Release()
	defer onText.Release()
	defer onResp.Release()
	js.Global().Call("fetch", courseURL, map[string]any{"credentials": "same-origin"}).Call("then", onResp, onErr)
	res := <-ch
	if res.err != nil {
		return nil, res.err
	}
	return course.DecodeCourse([]byte(res.text))
}
