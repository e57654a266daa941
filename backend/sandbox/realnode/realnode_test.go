package realnode

import (
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

// TestRealNode runs the instrumented program: a request, then close()
// from stdin; the idle keep-alive connection closes (Node 20) and the
// process exits.
func TestRealNode(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	var mu sync.Mutex
	var kinds []string
	begin := time.Now()
	s, err := New(sandbox.Config{
		Server: scenario.Server{Runtime: "node20"},
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
	select {
	case <-s.Exited():
	case <-time.After(5 * time.Second):
		t.Fatal("node did not exit after close()")
	}
	mu.Lock()
	got := strings.Join(kinds, " ")
	mu.Unlock()
	want := "listen: accept: request: response: idle: close-called: listener-closed: close:server-close before-exit: exit:"
	if got != want {
		t.Errorf("events\n got %s\nwant %s", got, want)
	}
	if err := s.Control("destroy"); err == nil {
		t.Error("Control accepted an action node has no command for")
	}
}
