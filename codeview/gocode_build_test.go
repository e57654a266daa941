//go:build !js

package codeview

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
)

// TestGoCompiles vets every rendered program with the go command on PATH:
// the code view must be a program that runs as shown.
func TestGoCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module demo\n\ngo 1.22\n")
	for _, tt := range goScenarios {
		write(filepath.Join(tt.name, "main.go"), Go(tt.s))
	}
	// The Go proxy the go proxy kind stands for.
	proxied := scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "go"}, Proxy: &scenario.Proxy{Kind: scenario.ProxyGo}}
	write(filepath.Join("goproxy", "main.go"), Proxy(proxied))
	cmd := exec.Command(gotool, "vet", "./...")
	cmd.Dir = dir
	// The programs are standalone: no workspace, no network, no vendoring.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet of the rendered programs: %v\n%s", err, out)
	}
}
