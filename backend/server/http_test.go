package server

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keepalive-playground/playground/backend/sandbox/sandboxtest"
	"github.com/keepalive-playground/playground/wire"
)

// bigAsset is larger than every socket buffer between a server and a
// client on loopback, so a client that does not read stalls the response.
const bigAsset = "/assets/big-ABCDEFGH.wasm"

// serveReal serves s with its own HTTPServer on a loopback port, as
// `playground serve` does.
func serveReal(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	fsys := fstest.MapFS{}
	for k, v := range testAssets {
		fsys[k] = v
	}
	fsys[strings.TrimPrefix(bigAsset, "/")] = &fstest.MapFile{Data: bytes.Repeat([]byte("x"), 16<<20)}
	opts.Assets = fsys
	if opts.Runtimes == nil {
		opts.Runtimes = sandboxtest.Runtimes()
	}
	s := New(opts)
	hs := s.HTTPServer(s.log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		hs.Close()
	})
	return s, ln.Addr().String()
}

// rawConn is a client that reads only when told to, through a small
// receive buffer.
func rawConn(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// droppedWithin says whether the server closed c within d: reading what
// is left ends in EOF or a reset, not a timeout.
func droppedWithin(c net.Conn, d time.Duration) (bool, int64) {
	c.SetReadDeadline(time.Now().Add(d))
	n, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false, n
	}
	return true, n
}

// TestSlowClientsAreDropped: a download that is never read, a request
// body trickled in and headers trickled in each hold a connection only
// for their timeout; a download read slowly but steadily completes.
func TestSlowClientsAreDropped(t *testing.T) {
	timeouts := Timeouts{ReadHeader: 300 * time.Millisecond, Read: 600 * time.Millisecond, Stall: 400 * time.Millisecond, Idle: time.Second}
	_, addr := serveReal(t, Options{Timeouts: timeouts})
	get := "GET " + bigAsset + " HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"

	t.Run("never-reading download", func(t *testing.T) {
		c := rawConn(t, addr)
		c.Write([]byte(get))
		time.Sleep(timeouts.Stall + 300*time.Millisecond)
		dropped, n := droppedWithin(c, 2*time.Second)
		if !dropped || n >= 16<<20 {
			t.Errorf("dropped %v after reading %d bytes; want the server to give up on it", dropped, n)
		}
	})
	for _, tc := range []struct{ name, start, trickle string }{
		{"trickled body", "POST / HTTP/1.1\r\nHost: " + addr + "\r\nContent-Length: 100000\r\n\r\nx", "x"},
		{"trickled headers", "GET / HTTP/1.1\r\n", "X-A: b\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := rawConn(t, addr)
			start := time.Now()
			c.Write([]byte(tc.start))
			for time.Since(start) < 3*time.Second {
				if _, err := c.Write([]byte(tc.trickle)); err != nil {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if dropped, _ := droppedWithin(c, time.Second); !dropped || time.Since(start) > 2*time.Second {
				t.Errorf("held its connection for %v", time.Since(start))
			}
		})
	}
	t.Run("slow steady download", func(t *testing.T) {
		c := rawConn(t, addr)
		c.Write([]byte(get))
		var got int64
		start := time.Now()
		for got < 16<<20 && time.Since(start) < 20*time.Second {
			c.SetReadDeadline(time.Now().Add(time.Second))
			n, err := io.CopyN(io.Discard, c, 1<<20)
			got += n
			if err != nil {
				t.Fatalf("the download broke off after %d bytes: %v", got, err)
			}
			time.Sleep(timeouts.Stall / 2)
		}
		if got < 16<<20 {
			t.Errorf("read %d bytes", got)
		}
	})
}

// TestDrainServes503AndRefusesSessions: once draining, /healthz answers
// 503, a new WebSocket is refused with 1012 and a sentence (the page
// reconnects elsewhere), pages already open are told to go, and the
// assets are still served.
func TestDrainServes503AndRefusesSessions(t *testing.T) {
	s, addr := serveReal(t, Options{})
	url := "http://" + addr
	page := openSession(t, url)
	s.Drain()

	recvUntil(t, page, "bye", isType(wire.Bye))
	if code, _ := closeCode(t, page); code != websocket.CloseServiceRestart {
		t.Errorf("the open page was closed with %d, want 1012", code)
	}
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"status":"draining"`) {
		t.Errorf("healthz while draining: %d %s", resp.StatusCode, body)
	}
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", http.Header{"Origin": {url}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if code, reason := closeCode(t, c); code != websocket.CloseServiceRestart || !strings.Contains(reason, "restarting") {
		t.Errorf("a new session while draining: close %d %q, want 1012 saying the server is restarting", code, reason)
	}
	if resp, err := http.Get(url + "/"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("the page while draining: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}
