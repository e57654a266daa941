package lanes

import (
	"strings"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// callActions ties each server-call event to the route action (and
// server button) that makes it, so its wording comes from the runtime
// table's row: Go's program calls srv.Close(), Node's server.close().
var callActions = map[string]string{
	timeline.CloseCalled:     scenario.ThenClose,
	timeline.CloseIdleCalled: scenario.ThenCloseIdle,
	timeline.CloseAllCalled:  scenario.ThenCloseAll,
	timeline.ShutdownCalled:  scenario.ThenShutdown,
}

// fallbackCalls word a call for a runtime the table does not have (an
// old recording): the method's name, as the event names it.
var fallbackCalls = map[string]string{
	timeline.CloseCalled:     "server.close()",
	timeline.CloseIdleCalled: "server.closeIdleConnections()",
	timeline.CloseAllCalled:  "server.closeAllConnections()",
	timeline.ShutdownCalled:  "srv.Shutdown(ctx)",
}

// serverCall is the call a server-call event stands for, as runtime's
// program writes it ("srv.Close()", "server.close()"); "" for an event
// that is not a call.
func serverCall(kind, runtime string) string {
	action, ok := callActions[kind]
	if !ok {
		return ""
	}
	if rt, ok := scenario.Lookup(runtime); ok {
		if a, ok := rt.Action(action); ok && a.Call != "" {
			return a.Call
		}
		for _, c := range rt.Controls {
			if c.Action == action {
				return c.Label
			}
		}
	}
	return fallbackCalls[kind]
}

// shortCall is a call without its receiver and arguments, for a label
// beside a mark: "srv.Shutdown(ctx)" is "Shutdown()", "server.close()"
// "close()".
func shortCall(call string) string {
	name, _, _ := strings.Cut(call, "(")
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return name + "()"
}
