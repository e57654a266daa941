package run

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// drainPeriodMs is the drain test's server.drainMs.
const drainPeriodMs = 500

// drainScenario: a readiness route probed on A before and during a
// drain, a slow request on B in flight across the shutdown, /deploy on C
// draining and then stopping the server with graceful, and a request on a
// new connection D while draining.
func drainScenario(rt, graceful string) *scenario.Scenario {
	src := fmt.Sprintf(`{"v": 1, "server": {"runtime": %q, "drainMs": %d, "routes": [
  {"path": "/ready", "body": "ok", "readiness": true},
  {"path": "/slow", "body": "late", "delayMs": 900},
  {"path": "/deploy", "body": "bye", "then": ["drain", %q]},
  {"path": "*", "body": "hi"}]},
"client": {"steps": [
  {"at": 0, "conn": "A", "request": {"path": "/ready"}},
  {"at": 100, "conn": "B", "request": {"path": "/slow"}},
  {"at": 200, "conn": "C", "request": {"path": "/deploy"}},
  {"at": 400, "conn": "A", "request": {"path": "/ready"}},
  {"at": 450, "conn": "D", "request": {"path": "/"}}]},
"durationMs": 1800}`, rt, drainPeriodMs, graceful)
	sc, err := scenario.Decode([]byte(src))
	if err != nil {
		panic(err)
	}
	return sc
}

// gracefulAction is the runtime's graceful stop among its route actions:
// Shutdown where the runtime has it, else close().
func gracefulAction(rt scenario.Runtime) string {
	if _, ok := rt.Action(scenario.ThenShutdown); ok {
		return scenario.ThenShutdown
	}
	return scenario.ThenClose
}

// TestDrainReadiness runs the drain on every runtime, on the real binary
// (real Node releases; Go's own net/http) and on the emulation: the
// readiness route answers 200, then 503 "draining" once /deploy drained;
// the server still serves a new connection meanwhile; the graceful stop
// comes the drain period after /deploy's answer, not before; and the
// request in flight across it is answered.
func TestDrainReadiness(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real binaries")
	}
	for _, rt := range scenario.Runtimes() {
		t.Run(rt.Name, func(t *testing.T) {
			t.Parallel()
			kinds := emulationAndReal(t, rt)
			graceful := gracefulAction(rt)
			stopKind := timeline.CloseCalled
			if graceful == scenario.ThenShutdown {
				stopKind = timeline.ShutdownCalled
			}
			waited := map[string]float64{}
			for kind, f := range kinds {
				evs := runEnds(t, drainScenario(rt.Name, graceful), f)
				var statuses []int
				var deployed, stopped, probe503 *timeline.Event
				recv := map[string]string{}
				served := map[string]int{}
				for i := range evs {
					e := &evs[i]
					switch {
					case e.Kind == timeline.Response && e.Conn == "A":
						statuses = append(statuses, e.Status)
						if e.Status == scenario.ReadinessDrainingStatus {
							probe503 = e
						}
					case e.Kind == timeline.Response:
						served[e.Conn] = e.Status
						if e.Conn == "C" {
							deployed = e
						}
					case e.Kind == stopKind && stopped == nil:
						stopped = e
					case e.Kind == timeline.Recv:
						recv[e.Conn] += e.Data
					}
				}
				if want := []int{200, scenario.ReadinessDrainingStatus}; fmt.Sprint(statuses) != fmt.Sprint(want) {
					t.Fatalf("%s: the readiness probes on A got %v, want %v\n%v", kind, statuses, want, evs)
				}
				_, second, _ := strings.Cut(recv["A"], "503 Service Unavailable")
				if !strings.Contains(second, scenario.ReadinessDrainingBody) {
					t.Errorf("%s: A received %q, want the second answer a 503 saying %q", kind, recv["A"], scenario.ReadinessDrainingBody)
				}
				if served["D"] != 200 || served["B"] != 200 {
					t.Errorf("%s: D (new while draining) got %d, B (in flight across the stop) got %d; want 200 both", kind, served["D"], served["B"])
				}
				if deployed == nil || stopped == nil {
					t.Fatalf("%s: /deploy's answer %v, %s %v: want both\n%v", kind, deployed, stopKind, stopped, evs)
				}
				if stopped.T < probe503.T {
					t.Errorf("%s: %s at %.1f ms, before the 503 at %.1f ms", kind, stopKind, stopped.T, probe503.T)
				}
				d := stopped.T - deployed.T
				if !timeline.SameTiming(d, drainPeriodMs) {
					t.Errorf("%s: %s %.1f ms after /deploy's answer, want the drain period, %d ms", kind, stopKind, d, drainPeriodMs)
				}
				waited[kind] = d
				t.Logf("%s %s: drain period measured %.1f ms", rt.Name, kind, d)
			}
			if r, ok := waited["real"]; ok && !timeline.SameTiming(waited["emulation"], r) {
				t.Errorf("the drain lasts %.1f ms on the emulation, %.1f ms on real %s", waited["emulation"], r, rt.Name)
			}
		})
	}
}
