package pool

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/wire"
)

// TestDialer: a client other than the Transport (nodeagent's) dials
// virtual connections of its own prefix beside the pool's, speaks HTTP on
// them, and sees the server's close.
func TestDialer(t *testing.T) {
	b := startBridge(t, demo("go", 300), Options{IdleConnTimeout: DefaultIdleConnTimeout}, 0)
	// The bridge feeds the pool; feed the dialer the same messages.
	d := NewDialer(b.p.d.send, "web")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		seen := 0
		for {
			b.mu.Lock()
			msgs := b.msgs[seen:]
			seen = len(b.msgs)
			b.mu.Unlock()
			for _, m := range msgs {
				d.Deliver(m)
			}
			select {
			case <-b.seen:
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	defer func() { close(stop); <-done }()

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := d.Dial(ctx)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	if got := c.LocalAddr().String(); got != "web1" {
		t.Errorf("label %q, want web1", got)
	}
	for label, want := range map[string]bool{"web1": true, "web2": false, "P1": false, "web01": false} {
		if d.Owns(label) != want {
			t.Errorf("Owns(%q) = %v", label, !want)
		}
	}
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(waitFor))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read response: %v\n%s", err, b.timeline())
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "Hello World!" {
		t.Errorf("response %d %q", resp.StatusCode, body)
	}
	// Go's IdleTimeout (300 ms) closes it: the client reads EOF.
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("after the idle timeout: %v, want EOF", err)
	}
	if got := b.waitEvent("web1", "close"); got.By != "server" {
		t.Errorf("close %+v, want by the server", got)
	}
	if d.Deliver(wire.Msg{Type: wire.EOF, Conn: "P1"}) {
		t.Error("the dialer took a message about another client's connection")
	}
	if !strings.HasPrefix(c.RemoteAddr().String(), DemoHost) {
		t.Errorf("remote %s", c.RemoteAddr())
	}
}

func TestNewDialerRefusesBadPrefixes(t *testing.T) {
	for _, p := range []string{"", "1a", "abcdefghi", "a b", "é"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewDialer(%q) did not panic", p)
				}
			}()
			NewDialer(func(wire.Msg) {}, p)
		}()
	}
	for _, p := range []string{"a", "app", "web_1-x", "P"} {
		NewDialer(func(wire.Msg) {}, p)
	}
}
