package editor

import (
	"strconv"
	"strings"

	"github.com/keepalive-playground/playground/scenario"
)

// Knob is one server knob as the form shows it: an entry of the
// runtime table's knob catalogue, whose defaults and ranges come from
// the server's runtime row.
type Knob struct{ scenario.Knob }

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// Knobs lists every knob any runtime has, in the catalogue's order (the
// Node lines' first).
var Knobs = func() []Knob {
	var ks []Knob
	for _, k := range scenario.KnobCatalogue() {
		ks = append(ks, Knob{k})
	}
	return ks
}()

// value is the knob's effective value: unset knobs read as defaults.
func (k Knob) value(sv scenario.Server) string {
	if k.Bool {
		return onOff(sv.Bool(k.Name))
	}
	return strconv.Itoa(sv.Int(k.Name))
}

// clear unsets the knob in sv.
func (k Knob) clear(sv *scenario.Server) {
	if k.Bool {
		*sv.BoolKnob(k.Name) = nil
	} else {
		*sv.IntKnob(k.Name) = nil
	}
}

// Applies reports whether the knob belongs to the runtime.
func (k Knob) Applies(runtime string) bool {
	rt, ok := scenario.Lookup(runtime)
	if !ok {
		return false
	}
	_, has := rt.Knob(k.Name)
	return has
}

// Shown reports whether the form shows the knob: always on its own
// runtimes, and elsewhere only while it holds a value, so that Validate's
// "only for the … runtime" points at something the person can clear.
func (k Knob) Shown(runtime, value string) bool { return k.Applies(runtime) || value != "" }

// Default is the knob's value when it is left empty, given the rest of the
// server (headersTimeoutMs follows requestTimeoutMs).
func (k Knob) Default(sv scenario.Server) string {
	k.clear(&sv)
	return k.value(sv)
}

// Hint is the caption under an empty knob: "empty = default (5000 ms)".
func (k Knob) Hint(sv scenario.Server) string {
	d := k.Default(sv)
	if k.Unit != "" {
		d += " " + k.Unit
	}
	return "empty = default (" + d + ")"
}

// RuntimeNote explains a runtime in one line (its row's Note).
func RuntimeNote(runtime string) string {
	if rt, ok := scenario.Lookup(runtime); ok {
		return rt.Note
	}
	return "Choose the server the scenario runs."
}

// RuntimeDocs are the documentation pages of a runtime's row, linked
// under its note.
func RuntimeDocs(runtime string) []scenario.Doc {
	rt, _ := scenario.Lookup(runtime)
	return rt.Docs
}

// RuntimeLabel names a runtime in the runtime select: its label, its
// exact release and its schema name, "Node 24.22.3 (node24)".
func RuntimeLabel(runtime string) string {
	rt, ok := scenario.Lookup(runtime)
	switch {
	case ok && rt.Release != "":
		return rt.Label + " · " + rt.Release + " (" + rt.Name + ")"
	case ok:
		return rt.Label + " (" + rt.Name + ")"
	case runtime == "":
		return "(choose a runtime)"
	}
	return runtime + " (unknown)"
}

// ThenLabel names a route action, or a list of them ("destroy, close"),
// in the runtime's own terms: "destroy, close: req.connection.destroy();
// server.close()".
func ThenLabel(runtime, then string) string {
	if then == "" {
		return "default (none)"
	}
	rt, ok := scenario.Lookup(runtime)
	if !ok {
		return then
	}
	var calls []string
	for _, name := range SplitThen(then) {
		a, ok := rt.Action(name)
		if !ok || a.Call == "" {
			return then
		}
		calls = append(calls, a.Call)
	}
	return then + ": " + strings.Join(calls, "; ")
}
