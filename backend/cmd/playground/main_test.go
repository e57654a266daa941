package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
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

	"github.com/keepalive-playground/playground/backend/attack"
	"github.com/keepalive-playground/playground/fragment"
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

// startServeT runs `playground serve` on a free loopback port from dir
// (with -dev, so web/dist is dir's own) and waits for /healthz.
func startServeT(t *testing.T, dir string, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binary, append([]string{"serve", "-addr", addr, "-log-level", "warn"}, args...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, addr, &stderr
			}
		}
		if i == 100 {
			t.Fatalf("server did not come up: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openPage opens a WebSocket as the page does and waits for its scenario.
func openPage(t *testing.T, addr string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", http.Header{"Origin": {"http://" + addr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	ws.WriteJSON(wire.Msg{Type: wire.Hello, V: wire.Version})
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		var m wire.Msg
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m.Type == wire.Loaded {
			return ws
		}
	}
}

// TestServeDrainsAndExitsWithSlowClients holds the real binary to its
// shutdown: with a page open and 100 downloads that never read, 100
// request bodies and 20 header blocks trickling in, SIGTERM makes
// /healthz answer 503 and new sessions be refused for the drain period
// while the page is told to go, then the process exits 0, all within the
// promised 5 s (it used to exit 1 after 5 s, and never answered 503).
func TestServeDrainsAndExitsWithSlowClients(t *testing.T) {
	dir := t.TempDir()
	dist := filepath.Join(dir, "web", "dist")
	os.MkdirAll(filepath.Join(dist, "assets"), 0o755)
	os.WriteFile(filepath.Join(dist, "index.html"), []byte(`<!doctype html><title>t</title><link rel="preload" href="/assets/main-ABCDEFGH.wasm">`), 0o644)
	os.WriteFile(filepath.Join(dist, "assets", "main-ABCDEFGH.wasm"), bytes.Repeat([]byte{0}, 16<<20), 0o644)
	cmd, addr, stderr := startServeT(t, dir, "-dev")
	page := openPage(t, addr)
	slow, what, err := attack.SlowClients("http://"+addr, 100, 100, 20)
	defer func() {
		for _, c := range slow {
			c.Close()
		}
	}()
	if err != nil || what != "main.wasm" {
		t.Fatalf("slow clients of %s: %v", what, err)
	}
	time.Sleep(300 * time.Millisecond)

	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// The open page is told, then closed with 1012 (it reconnects).
	gotBye := false
	for {
		var m wire.Msg
		if err := page.ReadJSON(&m); err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseServiceRestart {
				t.Errorf("the page's WebSocket ended with %v, want close 1012", err)
			}
			break
		}
		gotBye = gotBye || m.Type == wire.Bye
	}
	if !gotBye {
		t.Error("the page was not told that the server is going away")
	}
	// While draining: 503, and a new session is refused with a sentence.
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("healthz while draining: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "draining") {
		t.Errorf("healthz while draining = %d %s, want 503 draining", resp.StatusCode, body)
	}
	if ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", http.Header{"Origin": {"http://" + addr}}); err != nil {
		t.Errorf("a new WebSocket while draining: %v", err)
	} else {
		_, _, err := ws.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseServiceRestart || !strings.Contains(ce.Text, "restarting") {
			t.Errorf("a new session while draining ended with %v, want 1012 saying the server is restarting", err)
		}
		ws.Close()
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("the drain checks took %v; the drain period is 2 s", d)
	}

	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(8 * time.Second):
		t.Fatalf("still running %v after SIGTERM", time.Since(start))
	}
	took := time.Since(start)
	t.Logf("exited %v after SIGTERM", took.Round(time.Millisecond))
	if took > 5*time.Second {
		t.Errorf("shutdown took %v, want under 5 s", took)
	}
	if took < 2*time.Second {
		t.Errorf("exited after %v, before the 2 s drain was over", took)
	}
}

// TestRunInputIsBounded: what `playground run` reads costs memory in
// proportion to a scenario's bounded size, whatever the input: a FILE
// that never ends (/dev/zero reached 1.4 GB) and a short link to a title
// nested 9,990 arrays deep (172 MB) are refused with a sentence.
func TestRunInputIsBounded(t *testing.T) {
	doc := `{"v":1,"server":{"runtime":"node20"},"title":` + strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + `}`
	payload, err := fragment.Encode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, arg, want string
	}{
		{"endless file", "/dev/zero", "/dev/zero holds more than 64 KiB"},
		{"deeply nested link", scenario.LinkPrefix + payload, "nested more than 16 levels deep"},
	}
	// A child's peak RSS starts from this process's own at the fork (the
	// child shares its memory until the exec), so it is measured against
	// a run that reads nothing.
	base := exec.Command(binary, "help")
	if err := base.Run(); err != nil {
		t.Fatal(err)
	}
	baseline := base.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binary, "run", tt.arg)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("exit %v, want 2\n%s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.want)
			}
			peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
			t.Logf("%s (%d characters): peak RSS %d KiB, %d KiB for nothing", tt.name, len(tt.arg), peak, baseline)
			if peak > baseline+32<<10 {
				t.Errorf("peak RSS %d KiB, %d KiB for nothing; reading a bounded input should take far less", peak, baseline)
			}
		})
	}
}

// TestAttackSuiteQuick runs the quick part of the attack suite against the
// real binary (`make attack` runs all of it): every attack must go as
// expected.
func TestAttackSuiteQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("the attack suite takes a while")
	}
	stdout, stderr, code := playground(t, "", "attack", "-quick")
	t.Log("\n" + stdout)
	if code != 0 {
		t.Errorf("playground attack -quick: exit %d\n%s", code, stderr)
	}
}

// TestHelp: every way of asking for help answers on stdout or stderr with
// the usage and exits 0; an unknown command or flag exits 2.
func TestHelp(t *testing.T) {
	tests := []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"--help"}, 0, "playground run [flags] FILE|LINK"},
		{[]string{"-h"}, 0, "playground load [flags]"},
		{[]string{"help"}, 0, "playground COMMAND -h"},
		{[]string{"run", "-h"}, 0, "usage: playground run"},
		{[]string{"run", "--nope"}, 2, "flag provided but not defined"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			if got := dispatch(tt.args, &out, &errOut); got != tt.status {
				t.Errorf("exit %d, want %d", got, tt.status)
			}
			if all := out.String() + errOut.String(); !strings.Contains(all, tt.want) {
				t.Errorf("printed %q, want %q in it", all, tt.want)
			}
		})
	}
}
