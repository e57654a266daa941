package realnode

import (
	"errors"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// TestRealNode runs the instrumented program on every Node runtime's real
// release: a request, then close() from stdin. Where close() closes idle
// connections the process exits at once; on the older lines it does not,
// until closeIdleConnections() does what close() left undone.
func TestRealNode(t *testing.T) {
	for _, rt := range scenario.Runtimes() {
		if !rt.IsNode() {
			continue
		}
		t.Run(rt.Name, func(t *testing.T) {
			t.Parallel()
			Require(t, rt.Name)
			var mu sync.Mutex
			var kinds []string
			begin := time.Now()
			s, err := New(sandbox.Config{
				Server: scenario.Server{Runtime: rt.Name},
				Now:    func() float64 { return float64(time.Since(begin).Milliseconds()) },
				Emit: func(peer string, ev timeline.Event) {
					mu.Lock()
					defer mu.Unlock()
					kinds = append(kinds, ev.Kind+":"+ev.Reason)
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: demo\r\n\r\n")
			buf := make([]byte, 4096)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := c.Read(buf)
			if err != nil || !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200 OK\r\n") {
				t.Fatalf("read %q: %v", buf[:n], err)
			}
			if err := s.Control(scenario.ThenClose); err != nil {
				t.Fatal(err)
			}
			want := "listen: accept: request: response: idle: close-called: listener-closed: close:server-close before-exit: exit:"
			if !rt.Node.CloseClosesIdle {
				select {
				case <-s.Exited():
					t.Fatal("node exited after close() with an idle keep-alive connection open")
				case <-time.After(300 * time.Millisecond):
				}
				if err := s.Control(scenario.ThenCloseIdle); err != nil {
					t.Fatal(err)
				}
				want = "listen: accept: request: response: idle: close-called: listener-closed: closeIdle-called: close:close-idle before-exit: exit:"
			}
			select {
			case <-s.Exited():
			case <-time.After(5 * time.Second):
				t.Fatal("node did not exit")
			}
			mu.Lock()
			got := strings.Join(kinds, " ")
			mu.Unlock()
			if got != want {
				t.Errorf("events\n got %s\nwant %s", got, want)
			}
			if err := s.Control("destroy"); err == nil {
				t.Error("Control accepted an action node has no command for")
			}
		})
	}
}

// TestBinary finds each pinned release where make deps-releases puts it,
// and refuses runtimes that have none.
func TestBinary(t *testing.T) {
	for _, name := range []string{"go", "node0", ""} {
		if _, err := Binary(name); err == nil {
			t.Errorf("Binary(%q) found a binary", name)
		}
	}
	for _, rt := range scenario.Runtimes() {
		if !rt.IsNode() {
			continue
		}
		bin, err := Binary(rt.Name)
		if errors.Is(err, ErrNoRelease) {
			Require(t, rt.Name) // fails under CI, skips elsewhere
		}
		if err != nil {
			t.Fatalf("Binary(%s): %v", rt.Name, err)
		}
		if want := "/.cache/node-" + rt.Release + "/bin/node"; !strings.HasSuffix(bin, want) {
			t.Errorf("Binary(%s) = %s, want …%s", rt.Name, bin, want)
		}
		out, err := exec.Command(bin, "--version").Output()
		if got := strings.TrimSpace(string(out)); err != nil || got != "v"+rt.Release {
			t.Errorf("%s --version = %q, %v; want v%s", bin, got, err, rt.Release)
		}
	}
}

// TestStamperKeepsPrintOrder: lines are stamped no earlier than the line
// printed before them, whatever their pipe delays say (the CI failure this
// guards: a socket's idle stamped before the response that made it idle).
func TestStamperKeepsPrintOrder(t *testing.T) {
	base := time.UnixMilli(1_800_000_000_000)
	wall := func(d time.Duration) float64 { return float64(base.Add(d).UnixMicro()) / 1000 }
	tests := []struct {
		name string
		// each line: session-clock now at receipt, wall-clock receipt, program wall
		lines [][3]float64
		want  []float64
	}{
		{"delays taken off", [][3]float64{{10, 10, 9}, {20, 20, 18}}, []float64{9, 18}},
		{"a shorter delay after a longer one", [][3]float64{{10, 10, 5}, {10.5, 10.5, 10.4}, {10.6, 10.6, 5.2}}, []float64{5, 10.4, 10.4}},
		{"an untrusted clock falls back to receipt, not before the last", [][3]float64{{250, 250, 50}, {250.2, 250.2, 249}}, []float64{250, 250}},
		{"negative delay", [][3]float64{{10, 10, 9}, {11, 11, 12}}, []float64{9, 11}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st stamper
			for i, l := range tt.lines {
				recv := base.Add(time.Duration(l[1] * float64(time.Millisecond)))
				got := st.at(l[0], recv, wall(time.Duration(l[2]*float64(time.Millisecond))))
				if got != tt.want[i] {
					t.Errorf("line %d: stamped %v, want %v", i, got, tt.want[i])
				}
			}
		})
	}
}
