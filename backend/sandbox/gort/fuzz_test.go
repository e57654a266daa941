package gort

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// FuzzConn sends arbitrary bytes on one connection, then the client's FIN,
// and checks what the timeline says about that connection: it starts with
// accept, ends with exactly one close that says who and why, and every
// response has a real status.
func FuzzConn(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: demo\r\n\r\n"))
	f.Add([]byte("GET /slow HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nHost: demo\r\n\r\n"))
	f.Add([]byte("POST / HTTP/1.1\r\nHost: demo\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: demo\r\n\r\n"))
	f.Add([]byte("POST / HTTP/1.1\r\nHost: demo\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"))
	f.Add([]byte("HELLO\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: demo\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: demo\r\nExpect: magic\r\n\r\n"))
	f.Add([]byte("GE"))
	f.Add([]byte{})

	r := newRecorder()
	srv, err := New(sandbox.Config{
		Server: scenario.Server{
			Runtime:             "go",
			IdleTimeoutMs:       intp(100),
			ReadHeaderTimeoutMs: intp(200),
			Routes: []scenario.Route{
				{Path: "/slow", Body: "late", DelayMs: 20},
				{Path: "*", Body: "Hello World!"},
			},
		},
		Now: r.now, Emit: r.emit,
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		if err := srv.Close(); err != nil {
			f.Error(err)
		}
	})

	f.Fuzz(func(t *testing.T, data []byte) {
		// Ports are reused across iterations: look only at this one's
		// events (the previous connection's close was waited for).
		before := len(r.events())
		nc, err := net.DialTimeout("tcp", srv.Addr(), waitFor)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		peer := nc.LocalAddr().String()
		nc.SetDeadline(time.Now().Add(waitFor))
		// The server may close before reading everything; a failed write
		// is part of the game.
		if _, err := nc.Write(data); err == nil {
			nc.(*net.TCPConn).CloseWrite()
		}
		io.Copy(io.Discard, nc)
		r.waitFrom(t, before, peer, timeline.Close)

		var kinds []string
		closes := 0
		for _, e := range r.events()[before:] {
			if e.peer != peer {
				continue
			}
			kinds = append(kinds, e.Kind)
			switch e.Kind {
			case timeline.Close:
				closes++
				if e.By == "" || e.Reason == "" {
					t.Errorf("close without by or reason: %v", e)
				}
			case timeline.Response:
				if e.Status < 100 || e.Status > 599 {
					t.Errorf("response status %d", e.Status)
				}
			}
		}
		if len(kinds) == 0 || kinds[0] != timeline.Accept {
			t.Errorf("events %v do not start with accept", kinds)
		}
		if closes != 1 || kinds[len(kinds)-1] != timeline.Close {
			t.Errorf("events %v: want exactly one close, last", kinds)
		}
	})
}
