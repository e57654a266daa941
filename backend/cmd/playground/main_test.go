package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// binary is the playground command, built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "playground-cmd")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "playground")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func playground(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run playground: %v", err)
	}
	return o.String(), e.String(), code
}

const passing = `{"v":1,"title":"destroy","server":{"runtime":"node20","routes":[{"path":"*","body":"hi","then":"destroy"}]},
 "client":{"steps":[{"at":0,"conn":"A","send":"GET / HTTP/1.1\r\nHost: demo\r\n\r\n"}]},"durationMs":500,
 "checks":[{"name":"A destroyed","conn":"A","kind":"close","by":"server","reason":"destroy"}]}`

func TestRunExitStatus(t *testing.T) {
	failing := strings.Replace(passing, `"reason":"destroy"`, `"reason":"socket-timeout"`, 1)
	sc, err := scenario.Decode([]byte(passing))
	if err != nil {
		t.Fatal(err)
	}
	link, err := scenario.EncodeLink(sc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "s.json")
	os.WriteFile(file, []byte(passing), 0o644)
	tests := []struct {
		name       string
		stdin      string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"file passes", "", []string{"run", file}, 0, "PASS  A destroyed", ""},
		{"stdin fails its check", failing, []string{"run", "-"}, 1, "FAIL  A destroyed", ""},
		{"whole link", "", []string{"run", "http://localhost:8080/" + link}, 0, "close", ""},
		{"fragment", "", []string{"run", link}, 0, "close", ""},
		{"unknown field", `{"v":1,"server":{"runtime":"node20","bogus":1}}`, []string{"run", "-"}, 2, "", "server.bogus"},
		{"bad action", `{"v":1,"server":{"runtime":"node20","routes":[{"path":"*","then":"closeIdel"}]}}`, []string{"run", "-"}, 2, "",
			`server.routes[0].then: "closeIdel" is not one of none, close, closeIdle, closeAll, destroy, exit`},
		{"broken link", "", []string{"run", "#s=AAAA"}, 2, "", "link"},
		{"missing file", "", []string{"run", "nope/none.json"}, 2, "", "no such file"},
		{"no argument", "", []string{"run"}, 2, "", "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := playground(t, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantStdout, stdout)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr)
			}
		})
	}
}

func TestRunJSONIsOneEventPerLine(t *testing.T) {
	stdout, stderr, code := playground(t, passing, "run", "--json", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	var kinds []string
	for sc.Scan() {
		var e timeline.Event
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		kinds = append(kinds, e.Kind)
		if e.Kind == timeline.Close && (e.By != "server" || e.Reason != "destroy") {
			t.Errorf("close = %+v", e)
		}
	}
	if len(kinds) < 5 || kinds[0] != timeline.Listen {
		t.Errorf("kinds = %v", kinds)
	}
}

// TestServeShutsDownOnSIGTERM starts the real binary, connects a
// WebSocket as the page would, and sends SIGTERM: the page is told, the
// session ends, and the process exits 0 within the promised 5 s.
func TestServeShutsDownOnSIGTERM(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binary, "serve", "-addr", addr, "-log-level", "warn")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var ws *websocket.Conn
	for i := 0; ; i++ {
		ws, _, err = websocket.DefaultDialer.Dial("ws://"+addr+"/ws", http.Header{"Origin": {"http://" + addr}})
		if err == nil {
			break
		}
		if i == 100 {
			t.Fatalf("server did not come up: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer ws.Close()
	ws.WriteJSON(wire.Msg{Type: wire.Hello, V: wire.Version})
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		var m wire.Msg
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m.Type == wire.Loaded {
			break
		}
	}

	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	gotBye := false
	for {
		var m wire.Msg
		err := ws.ReadJSON(&m)
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseServiceRestart {
				t.Errorf("WebSocket ended with %v, want close %d", err, websocket.CloseServiceRestart)
			}
			break
		}
		gotBye = gotBye || m.Type == wire.Bye
	}
	if !gotBye {
		t.Error("the page was not told that the server is going away")
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(6 * time.Second):
		t.Fatalf("still running %v after SIGTERM", time.Since(start))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %v, want under 5 s", d)
	}
}
