package main

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"syscall/js"

	"github.com/keepalive-playground/playground/export"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/dom"
)

// recorder is what the trace tools need from the page: the run on
// screen, as a trace and for the exports, and a recorded run to replay.
type recorder interface {
	trace() (timeline.Trace, error)
	exportRun() *export.Run
	replay(t *timeline.Trace)
}

// traces owns the timeline's run tools: Share run, Export trace, the
// Export as… menu, Import trace, and files dropped on the page (an image
// the playground exported, or a trace).
type traces struct {
	loop *dom.Loop
	say  notifier
	run  recorder
}

func newTraces(loop *dom.Loop, ls *dom.Listeners, say notifier, run recorder, shareRun func()) *traces {
	t := &traces{loop: loop, say: say, run: run}
	t.buttons(ls, shareRun)
	t.dropFiles(ls)
	return t
}

// buttons adds export/import of the run as a JSON trace next to the
// timeline's own tools.
func (t *traces) buttons(ls *dom.Listeners, shareRun func()) {
	exp := dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("id", "trace-export"), dom.A("title", "Download the run as a JSON trace (E)")}, "Export trace")
	file := dom.El("input", []dom.Attr{dom.A("type", "file"), dom.A("id", "trace-file"), dom.A("accept", ".json,application/json"), dom.A("class", "sr-only")})
	imp := dom.El("label", []dom.Attr{dom.A("for", "trace-file"), dom.A("class", "button-like"), dom.A("title", "Replay a trace file without the backend")}, "Import trace")
	shr := dom.El("button", []dom.Attr{dom.A("type", "button"), dom.A("id", "trace-share"), dom.A("title", "Copy a link that replays this run without a backend")}, "Share run")
	formats := dom.El("select", []dom.Attr{dom.A("id", "export-format"), dom.A("aria-label", "Export the run for another tool"),
		dom.A("title", "Download the run as a curl -v transcript, a Mermaid diagram, a HAR file, a table or JSON lines")},
		dom.El("option", []dom.Attr{dom.A("value", "")}, "Export as…"))
	for _, f := range exportFormats {
		dom.Append(formats, dom.El("option", []dom.Attr{dom.A("value", f.name)}, f.label))
	}
	box := dom.El("span", []dom.Attr{dom.A("class", "trace-tools")}, shr, exp, formats, file, imp)
	head := dom.ByID("timeline-tools").Get("parentElement")
	dom.Append(head, box)
	ls.On(exp, "click", func(js.Value) { t.exportTrace() })
	ls.On(formats, "change", func(js.Value) {
		name := formats.Get("value").String()
		formats.Set("value", "")
		if name != "" {
			t.exportAs(name)
		}
	})
	ls.On(shr, "click", func(js.Value) { shareRun() })
	ls.On(file, "change", func(js.Value) {
		files := file.Get("files")
		if files.Get("length").Int() == 0 {
			return
		}
		f := files.Index(0)
		var done js.Func
		done = js.FuncOf(func(_ js.Value, args []js.Value) any {
			text := args[0].String()
			t.loop.Post(func() { done.Release(); t.importTrace(text) })
			return nil
		})
		f.Call("text").Call("then", done)
		file.Set("value", "")
	})
}

// dropFiles opens what is dropped on the page: an image the playground
// exported reopens its scenario, a trace replays.
func (t *traces) dropFiles(ls *dom.Listeners) {
	doc := dom.Doc()
	// Only a dragged file is the page's: text dragged into a field is
	// the field's.
	hasFiles := func(ev js.Value) bool {
		dt := ev.Get("dataTransfer")
		return dt.Truthy() && dt.Get("types").Call("includes", "Files").Bool()
	}
	ls.On(doc, "dragover", func(js.Value) {}, hasFiles)
	ls.On(doc, "drop", func(ev js.Value) {
		files := ev.Get("dataTransfer").Get("files")
		if files.Get("length").Int() == 0 {
			return
		}
		var done js.Func
		done = js.FuncOf(func(_ js.Value, args []js.Value) any {
			buf := js.Global().Get("Uint8Array").New(args[0])
			data := make([]byte, buf.Get("length").Int())
			js.CopyBytesToGo(data, buf)
			t.loop.Post(func() { done.Release(); t.openDropped(data) })
			return nil
		})
		f := files.Index(0)
		if f.Get("size").Int() > export.MaxImageBytes {
			t.say.showError("This file is too large to be a playground export.")
			done.Release()
			return
		}
		f.Call("arrayBuffer").Call("then", done)
	}, hasFiles)
}

func (t *traces) openDropped(data []byte) {
	if !export.IsImage(data) {
		t.importTrace(string(data))
		return
	}
	link, err := export.LinkFromImage(data)
	if err != nil {
		t.say.showError("This image cannot be opened: " + err.Error() + ".")
		return
	}
	if !strings.HasPrefix(link, scenario.LinkPrefix) {
		t.say.showError("This image carries no scenario link.")
		return
	}
	// Through the address, as a link opened by hand: the same checks, and
	// Back returns to what was on screen.
	js.Global().Get("location").Set("hash", link)
}

// exportFormats are the page's export menu: package export's formats,
// each with its file.
type exportFormat struct{ name, label, file, mime string }

var exportFormats = []exportFormat{
	{"curl", "curl -v transcript", "keepalive-run.txt", "text/plain"},
	{"transcript", "two-way transcript (nc -v)", "keepalive-run-transcript.txt", "text/plain"},
	{"mermaid", "Mermaid sequence diagram", "keepalive-run.mmd", "text/plain"},
	{"har", "HAR 1.2 (DevTools)", "keepalive-run.har", "application/json"},
	{"table", "table", "keepalive-run-table.txt", "text/plain"},
	{"json", "JSON lines", "keepalive-run.jsonl", "application/x-ndjson"},
}

// exportAs downloads the run on screen in one of exportFormats, rendered
// by the same code as `playground run --format`.
func (t *traces) exportAs(name string) {
	i := slices.IndexFunc(exportFormats, func(f exportFormat) bool { return f.name == name })
	if i < 0 {
		return
	}
	f := exportFormats[i]
	r := t.run.exportRun()
	var b bytes.Buffer
	if err := export.Write(&b, f.name, r); err != nil {
		t.say.showError("The run cannot be exported as " + f.label + ": " + err.Error())
		return
	}
	t.loop.Download(b.Bytes(), f.mime, f.file)
	t.say.notice(f.label + " downloaded (" + strconv.Itoa(len(r.Events)) + " events).")
}

func (t *traces) exportTrace() {
	tr, err := t.run.trace()
	var data []byte
	if err == nil {
		data, err = tr.Encode()
	}
	if err != nil {
		t.say.showError("The run cannot be exported: " + err.Error())
		return
	}
	t.loop.Download(data, "application/json", "keepalive-trace.json")
	t.say.notice("Trace downloaded (" + strconv.Itoa(len(tr.Events)) + " events).")
}

// importTrace replays a trace file without the backend.
func (t *traces) importTrace(text string) {
	tr, err := timeline.DecodeTrace([]byte(text))
	if err != nil {
		t.say.showError("This file is not a playground trace: " + err.Error())
		return
	}
	t.run.replay(tr)
}
