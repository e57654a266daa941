package all

import (
	"testing"

	"github.com/keepalive-playground/playground/scenario"
)

// TestEveryRuntimeServed: each row of the runtime table has a factory.
func TestEveryRuntimeServed(t *testing.T) {
	got := Runtimes()
	for _, rt := range scenario.Runtimes() {
		if got[rt.Name] == nil {
			t.Errorf("runtime %s (%s) has no sandbox factory", rt.Name, rt.Language)
		}
	}
	if len(got) != len(scenario.Runtimes()) {
		t.Errorf("%d factories for %d runtimes", len(got), len(scenario.Runtimes()))
	}
}
