// Package everyrow holds the test that every part of the playground that
// offers, checks, draws, serves or documents a runtime covers every row
// of the runtime table (package scenario), so that adding a release line
// is one row plus its behaviour switches, and a part that still spells
// runtime names fails here.
package everyrow

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/codeview"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/client"
	"github.com/keepalive-playground/playground/wasm/editor"
	"github.com/keepalive-playground/playground/wasm/lanes"
	"github.com/keepalive-playground/playground/wire"
)

func TestEveryPartCoversEveryRow(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	factories := all.Runtimes()
	for _, rt := range scenario.Runtimes() {
		t.Run(rt.Name, func(t *testing.T) {
			if rt.Label == "" || rt.Note == "" || rt.Support == "" || len(rt.Docs) == 0 ||
				len(rt.Knobs) == 0 || len(rt.Actions) == 0 || len(rt.Controls) == 0 {
				t.Errorf("incomplete row: %+v", rt)
			}
			if rt.IsNode() && (rt.Release == "" || !strings.HasPrefix(rt.Release, strings.TrimPrefix(rt.Name, "node")+".")) {
				t.Errorf("release %q does not belong to %s", rt.Release, rt.Name)
			}

			// The validator and WithDefaults: every knob, action and
			// control of the row.
			sc := scenario.Scenario{V: scenario.Version, Server: scenario.Server{Runtime: rt.Name}}
			full := sc.WithDefaults()
			if err := full.Validate(); err != nil {
				t.Errorf("WithDefaults does not validate: %v", err)
			}
			for _, k := range rt.Knobs {
				if k.Bool {
					if *full.Server.BoolKnob(k.Name) == nil {
						t.Errorf("WithDefaults leaves %s unset", k.Name)
					}
					continue
				}
				if p := *full.Server.IntKnob(k.Name); p == nil {
					t.Errorf("WithDefaults leaves %s unset", k.Name)
				}
				for _, v := range []int{k.Min, k.Max} {
					s := sc
					*s.Server.IntKnob(k.Name) = &v
					if err := s.Validate(); err != nil && !strings.Contains(err.Error(), "headersTimeoutMs") {
						t.Errorf("%s = %d: %v", k.Name, v, err)
					}
				}
				over := k.Max + 1
				s := sc
				*s.Server.IntKnob(k.Name) = &over
				if s.Validate() == nil {
					t.Errorf("%s = %d validates", k.Name, over)
				}
			}
			for _, k := range scenario.KnobCatalogue() {
				if _, ok := rt.Knob(k.Name); ok || k.Bool {
					continue
				}
				s := sc
				*s.Server.IntKnob(k.Name) = new(int)
				if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "server."+k.Name+": only for") {
					t.Errorf("%s, which %s lacks: %v", k.Name, rt.Name, err)
				}
			}
			for _, a := range rt.Actions {
				s := sc
				s.Server.Routes = []scenario.Route{{Path: "*", Then: scenario.Then{a.Name}}}
				if err := s.Validate(); err != nil {
					t.Errorf("action %s: %v", a.Name, err)
				}
			}
			for _, c := range rt.Controls {
				if !slices.Contains(wire.Actions, c.Action) {
					t.Errorf("control %s is not a wire action", c.Action)
				}
				if c.Label == "" || c.Title == "" {
					t.Errorf("control %+v has no label or title", c)
				}
			}

			// The page: the runtime chip, the server buttons, the knob
			// summary, the editor's runtime select, note, knobs and route
			// actions, and the timeline's countdowns.
			if got := client.RuntimeChip(rt); got != rt.Label {
				t.Errorf("chip says %q, want %q", got, rt.Label)
			}
			if title := client.RuntimeTitle(rt); rt.Release != "" && !strings.Contains(title, rt.Release) {
				t.Errorf("chip tooltip %q does not name %s", title, rt.Release)
			}
			if got := client.Controls(rt.Name); !slices.Equal(got, rt.Controls) {
				t.Errorf("server buttons %v, want the row's %v", got, rt.Controls)
			}
			if client.Knobs(full.Server) == "" {
				t.Error("no knob summary")
			}
			if l := editor.RuntimeLabel(rt.Name); !strings.Contains(l, rt.Label) || !strings.Contains(l, rt.Release) {
				t.Errorf("editor label %q", l)
			}
			for _, d := range editor.RuntimeDocs(rt.Name) {
				if !strings.HasPrefix(d.URL, "https://") || d.Title == "" || (rt.IsNode() && !strings.Contains(d.URL, "/v"+rt.Release+"/")) {
					t.Errorf("doc link %+v: want an https page of this release's own docs", d)
				}
			}
			if len(editor.RuntimeDocs(rt.Name)) != len(rt.Docs) {
				t.Errorf("the editor links %d docs, the row has %d", len(editor.RuntimeDocs(rt.Name)), len(rt.Docs))
			}
			if editor.RuntimeNote(rt.Name) != rt.Note {
				t.Errorf("editor note %q, want the row's", editor.RuntimeNote(rt.Name))
			}
			var shown []string
			for _, k := range editor.Knobs {
				if k.Applies(rt.Name) {
					shown = append(shown, k.Name)
				}
			}
			var want []string
			for _, k := range rt.Knobs {
				want = append(want, k.Name)
			}
			slices.Sort(shown)
			slices.Sort(want)
			if !slices.Equal(shown, want) {
				t.Errorf("the editor shows knobs %v, the row has %v", shown, want)
			}
			opts := editor.ThenOptions(rt.Name, "")
			for _, a := range rt.Actions {
				if !slices.Contains(opts, a.Name) {
					t.Errorf("the editor does not offer %s", a.Name)
				}
			}
			cfg := lanes.ConfigOf(full)
			if cfg.Language != rt.Language || cfg.Node != rt.Node {
				t.Errorf("timeline model config %+v, want the row's language and switches", cfg)
			}
			if rt.IsNode() && cfg.KeepAliveBufferMs != float64(rt.Node.KeepAliveBufferMs) {
				t.Errorf("timeline countdown buffer %v ms, want %d", cfg.KeepAliveBufferMs, rt.Node.KeepAliveBufferMs)
			}

			// The code view, in the row's language, naming the release.
			prog := codeview.Program(full)
			if rt.IsNode() {
				if !strings.Contains(prog, "require('http')") || !strings.Contains(prog, rt.Release) {
					t.Errorf("code view is not a Node program for %s:\n%s", rt.Release, prog)
				}
			} else if !strings.Contains(prog, "net/http") {
				t.Errorf("code view is not a Go program:\n%s", prog)
			}

			// The sandbox serves it.
			f := factories[rt.Name]
			if f == nil {
				t.Fatal("no sandbox factory")
			}
			listened := make(chan struct{}, 1)
			srv, err := f(sandbox.Config{Server: full.Server, Now: func() float64 { return 0 },
				Emit: func(_ string, ev timeline.Event) {
					if ev.Kind == timeline.Listen {
						listened <- struct{}{}
					}
				}})
			if err != nil {
				t.Fatalf("sandbox: %v", err)
			}
			select {
			case <-listened:
			case <-time.After(5 * time.Second):
				t.Error("the sandbox did not listen")
			}
			srv.Close()

			// The README names it, and the exact release it is held to.
			if !strings.Contains(string(readme), "`"+rt.Name+"`") || !strings.Contains(string(readme), rt.Release) {
				t.Errorf("README does not list %s (%s)", rt.Name, rt.Release)
			}
		})
	}
	if d := scenario.Default(); d.Server.Runtime != scenario.DefaultRuntime() || !scenario.IsNode(d.Server.Runtime) {
		t.Errorf("the default scenario runs %s, want the newest Node LTS line %s", d.Server.Runtime, scenario.DefaultRuntime())
	}
}
