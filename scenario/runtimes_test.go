package scenario

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestRuntimeTable: names and labels are unique, Node rows are named by
// their release's major, the default is the first row and a Node line,
// and Lookup hands out copies.
func TestRuntimeTable(t *testing.T) {
	names, labels := map[string]bool{}, map[string]bool{}
	for _, rt := range Runtimes() {
		if names[rt.Name] || labels[rt.Label] {
			t.Errorf("%s (%s) appears twice", rt.Name, rt.Label)
		}
		names[rt.Name], labels[rt.Label] = true, true
		if rt.IsNode() {
			major, _, _ := strings.Cut(rt.Release, ".")
			if rt.Name != "node"+major || !strings.HasPrefix(rt.Release, strings.TrimPrefix(rt.Label, "Node ")+".") {
				t.Errorf("%s: release %s, label %q", rt.Name, rt.Release, rt.Label)
			}
			_, has := rt.Knob("keepAliveTimeoutBufferMs")
			if has != rt.Node.BufferKnob {
				t.Errorf("%s: keepAliveTimeoutBufferMs knob %v, BufferKnob %v", rt.Name, has, rt.Node.BufferKnob)
			}
			if k, _ := rt.Knob("keepAliveTimeoutBufferMs"); has && k.Default != rt.Node.KeepAliveBufferMs {
				t.Errorf("%s: buffer knob default %d, the line's buffer %d", rt.Name, k.Default, rt.Node.KeepAliveBufferMs)
			}
		}
	}
	if d, _ := Lookup(DefaultRuntime()); d.Name != Runtimes()[0].Name || !d.IsNode() {
		t.Errorf("default runtime %s", d.Name)
	}
	rt, _ := Lookup("node26")
	rt.Knobs[0].Max = -1
	if again, _ := Lookup("node26"); again.Knobs[0].Max == -1 {
		t.Error("Lookup shares the table's knobs")
	}
	if _, ok := Lookup("node21"); ok {
		t.Error("found node21")
	}
	if Label("node24") != "Node 24.22" || Label("deno") != "deno" {
		t.Errorf("Label: %q, %q", Label("node24"), Label("deno"))
	}
}

// TestKnobFields: each knob of the catalogue is the Server field of the
// same JSON name, and every knob field of Server is in the catalogue.
func TestKnobFields(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range KnobCatalogue() {
		var sv Server
		if k.Bool {
			p := sv.BoolKnob(k.Name)
			if p == nil || sv.IntKnob(k.Name) != nil {
				t.Fatalf("%s: no switch field", k.Name)
			}
			*p = new(bool)
		} else {
			p := sv.IntKnob(k.Name)
			if p == nil || sv.BoolKnob(k.Name) != nil {
				t.Fatalf("%s: no number field", k.Name)
			}
			*p = new(int)
		}
		data, _ := json.Marshal(sv)
		var fields map[string]any
		json.Unmarshal(data, &fields)
		delete(fields, "runtime")
		if len(fields) != 1 || fields[k.Name] == nil {
			t.Errorf("setting %s sets %v", k.Name, fields)
		}
		seen[k.Name] = true
	}
	typ := reflect.TypeFor[Server]()
	for i := 0; i < typ.NumField(); i++ {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name != "runtime" && name != "routes" && !seen[name] {
			t.Errorf("Server field %s is not in the knob catalogue", name)
		}
	}
}
