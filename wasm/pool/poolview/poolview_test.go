package poolview_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/nodeagent"
	"github.com/keepalive-playground/playground/wasm/pool/poolview"
)

// TestOneVocabulary: the panel's states are nodeagent's own words.
func TestOneVocabulary(t *testing.T) {
	for _, tt := range []struct{ view, agent string }{
		{poolview.SockActive, string(nodeagent.StateActive)},
		{poolview.SockFree, string(nodeagent.StateFree)},
		{poolview.SockClosed, string(nodeagent.StateClosed)},
	} {
		if tt.view != tt.agent {
			t.Errorf("poolview says %q where nodeagent says %q", tt.view, tt.agent)
		}
	}
}

// TestMainWasmLeavesOutThePooledClients: main.wasm reads pool.wasm's
// reports through this package only. Importing package pool (Go's
// net/http, crypto/tls, nodeagent) from the page's main program added
// 2.3 MB to the program every first visit compiles.
func TestMainWasmLeavesOutThePooledClients(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "github.com/keepalive-playground/playground/wasm")
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch pkg {
		case "net/http", "crypto/tls", "regexp",
			"github.com/keepalive-playground/playground/wasm/pool",
			"github.com/keepalive-playground/playground/nodeagent":
			t.Errorf("main.wasm links %s: it belongs in pool.wasm", pkg)
		}
	}
}
