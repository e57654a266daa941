package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/keepalive-playground/playground/backend/sandbox/sandboxtest"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testAssets = fstest.MapFS{
	"index.html":                {Data: []byte("<!doctype html><title>t</title>")},
	"manifest.json":             {Data: []byte(`{}`)},
	"assets/main-ABCDEFGH.js":   {Data: []byte("console.log(1)")},
	"assets/main-ABCDEFGH.wasm": {Data: []byte("\x00asm")},
}

func newTestServer(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	opts.Assets = testAssets
	if opts.Runtimes == nil {
		opts.Runtimes = sandboxtest.Runtimes()
	}
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		ts.Close()
	})
	return s, ts
}

func wsURL(ts *httptest.Server) string { return "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws" }

// dial opens a WebSocket as the page would (with its own Origin).
func dial(t *testing.T, ts *httptest.Server) *websocket.Conn {
	t.Helper()
	h := http.Header{"Origin": {ts.URL}}
	c, resp, err := websocket.DefaultDialer.Dial(wsURL(ts), h)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c *websocket.Conn, m wire.Msg) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// recvUntil reads messages until one satisfies ok, and returns it.
func recvUntil(t *testing.T, c *websocket.Conn, what string, ok func(wire.Msg) bool) wire.Msg {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for range 10000 {
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		var m wire.Msg
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("bad message %q: %v", data, err)
		}
		if ok(m) {
			return m
		}
	}
	t.Fatalf("no %s in 10000 messages", what)
	return wire.Msg{}
}

func isType(typ string) func(wire.Msg) bool { return func(m wire.Msg) bool { return m.Type == typ } }

// closeCode reads until the connection closes and returns the close code
// and reason.
func closeCode(t *testing.T, c *websocket.Conn) (int, string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for range 10000 {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code, ce.Text
			}
			t.Fatalf("connection ended without a close frame: %v", err)
		}
	}
	t.Fatal("connection did not close")
	return 0, ""
}

func TestHTTPRoutes(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantHeader map[string]string
	}{
		{"page", "/", 200, map[string]string{
			"Content-Security-Policy": csp,
			"X-Content-Type-Options":  "nosniff",
			"Cache-Control":           "no-cache",
		}},
		{"hashed asset", "/assets/main-ABCDEFGH.wasm", 200, map[string]string{
			"Content-Type":  "application/wasm",
			"Cache-Control": "public, max-age=31536000, immutable",
		}},
		{"health", "/healthz", 200, map[string]string{"Content-Type": "application/json"}},
		{"unknown", "/nope", 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(ts.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestCSPAllowsOnlyWhatThePageNeeds(t *testing.T) {
	for _, want := range []string{"script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %q", want)
		}
	}
	if strings.Contains(csp, "'unsafe-inline'") || strings.Contains(csp, "'unsafe-eval'") {
		t.Errorf("CSP allows inline or eval script: %s", csp)
	}
}

func TestWebSocketOrigin(t *testing.T) {
	_, ts := newTestServer(t, Options{AllowedOrigins: []string{"https://slides.example"}})
	tests := []struct {
		name   string
		origin string
		ok     bool
	}{
		{"same origin", ts.URL, true},
		{"no origin (not a browser)", "", true},
		{"allowed origin", "https://slides.example", true},
		{"foreign origin", "https://evil.example", false},
		{"look-alike host", "http://127.0.0.1.evil.example", false},
		{"user info before the host", "http://evil@" + strings.TrimPrefix(ts.URL, "http://"), false},
		{"a path", ts.URL + "/x", false},
		{"another scheme", "ftp://" + strings.TrimPrefix(ts.URL, "http://"), false},
		{"null", "null", false},
		{"allowed origin in capitals", "HTTPS://SLIDES.EXAMPLE", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			c, resp, err := websocket.DefaultDialer.Dial(wsURL(ts), h)
			if tt.ok {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				c.Close()
				return
			}
			if err == nil {
				c.Close()
				t.Fatal("cross-origin handshake was accepted")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("response = %v, want 403", resp)
			}
		})
	}
}

// TestUnknownHostIsRefused is DNS rebinding: a page on an attacker's name
// that resolves to the playground sends Host and Origin both set to that
// name, so the same-origin check alone would pass. Only the names the
// playground answers to are served; /healthz answers any.
func TestUnknownHostIsRefused(t *testing.T) {
	_, ts := newTestServer(t, Options{AllowedHosts: []string{"playground.example"}})
	port := ts.URL[strings.LastIndexByte(ts.URL, ':'):]
	tests := []struct {
		host string
		ok   bool
	}{
		{"attacker.example" + port, false},
		{"localhost.attacker.example" + port, false},
		{"127.0.0.1" + port, true},
		{"localhost" + port, true},
		{"LOCALHOST" + port, true},
		{"[::1]" + port, true},
		{"playground.example", true},
		{"playground.example.", true},
		{"PlayGround.Example:443", true},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			h := http.Header{"Host": {tt.host}, "Origin": {"http://" + tt.host}}
			c, resp, err := websocket.DefaultDialer.Dial(wsURL(ts), h)
			if err == nil {
				c.Close()
			}
			if tt.ok != (err == nil) {
				t.Errorf("WebSocket with Host %s: %v (%v)", tt.host, err, resp)
			}
			if !tt.ok && (resp == nil || resp.StatusCode != http.StatusMisdirectedRequest) {
				t.Errorf("response = %v, want 421", resp)
			}
			for path, want := range map[string]int{"/": 200, "/healthz": 200} {
				req, _ := http.NewRequest("GET", ts.URL+path, nil)
				req.Host = tt.host
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if !tt.ok && path == "/" {
					want = http.StatusMisdirectedRequest
				}
				if resp.StatusCode != want {
					t.Errorf("GET %s with Host %s: %d, want %d", path, tt.host, resp.StatusCode, want)
				}
			}
		})
	}
}

func TestHelloReadyPing(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	c := dial(t, ts)
	send(t, c, wire.Msg{Type: wire.Hello, V: wire.Version})
	ready := recvUntil(t, c, "ready", isType(wire.Ready))
	if ready.V != wire.Version || len(ready.Session) != 16 {
		t.Errorf("ready = %+v", ready)
	}
	send(t, c, wire.Msg{Type: wire.Ping, Seq: 7})
	pong := recvUntil(t, c, "pong", isType(wire.Pong))
	if pong.Seq != 7 {
		t.Errorf("pong seq = %d, want 7", pong.Seq)
	}
}

func TestVirtualConnectionRoundTrip(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	c := dial(t, ts)
	send(t, c, wire.Msg{Type: wire.Hello, V: wire.Version})
	recvUntil(t, c, "loaded", isType(wire.Loaded))
	send(t, c, wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("ping\r\n")})
	recv := recvUntil(t, c, "recv on A", func(m wire.Msg) bool {
		return m.Type == wire.Ev && m.Event.Kind == timeline.Recv && m.Event.Conn == "A"
	})
	if recv.Event.Data != "ping\r\n" {
		t.Errorf("recv data = %q", recv.Event.Data)
	}
}

func TestBadClientsAreClosedWithAReason(t *testing.T) {
	tests := []struct {
		name     string
		first    []byte
		then     []byte
		wantCode int
	}{
		{"wrong version", []byte(`{"type":"hello","v":99}`), nil, CloseVersion},
		{"no hello", []byte(`{"type":"ping","seq":1}`), nil, CloseBadMessage},
		{"garbage first", []byte("\x00\x01garbage"), nil, CloseBadMessage},
		{"garbage later", []byte(`{"type":"hello","v":1}`), []byte(`{"type":"write","conn":"A","bogus":1}`), CloseBadMessage},
		{"too large", []byte(`{"type":"hello","v":1}`), []byte(`{"type":"write","conn":"A","data":"` + strings.Repeat("QUFB", wire.MaxMessageBytes/3) + `"}`), CloseBadMessage},
		{"too large a hello", []byte(`{"type":"hello","v":1,"x":"` + strings.Repeat("x", wire.MaxMessageBytes) + `"}`), nil, CloseBadMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts := newTestServer(t, Options{})
			c := dial(t, ts)
			c.WriteMessage(websocket.TextMessage, tt.first)
			if tt.then != nil {
				recvUntil(t, c, "ready", isType(wire.Ready))
				c.WriteMessage(websocket.TextMessage, tt.then)
			}
			code, reason := closeCode(t, c)
			if code != tt.wantCode {
				t.Errorf("close code = %d (%q), want %d", code, reason, tt.wantCode)
			}
			// Gorilla's own read limit would answer a bare 1009 first.
			if reason == "" {
				t.Error("close frame has no reason for the person")
			}
			if strings.HasPrefix(tt.name, "too large") && !strings.Contains(reason, "larger than 64 KiB") {
				t.Errorf("reason %q does not say the message was too large", reason)
			}
			// The server itself is fine: another session works.
			c2 := dial(t, ts)
			send(t, c2, wire.Msg{Type: wire.Hello, V: wire.Version})
			recvUntil(t, c2, "ready", isType(wire.Ready))
			_ = s
		})
	}
}

func TestSessionLimits(t *testing.T) {
	s, ts := newTestServer(t, Options{MaxSessions: 3, MaxSessionsPerIP: 2})
	var conns []*websocket.Conn
	for range 2 {
		c := dial(t, ts)
		send(t, c, wire.Msg{Type: wire.Hello, V: wire.Version})
		recvUntil(t, c, "ready", isType(wire.Ready))
		conns = append(conns, c)
	}
	over := dial(t, ts)
	code, reason := closeCode(t, over)
	if code != websocket.CloseTryAgainLater || !strings.Contains(reason, "too many sessions") {
		t.Errorf("third session from one address: close %d %q, want %d and a reason", code, reason, websocket.CloseTryAgainLater)
	}
	// The existing sessions are untouched.
	send(t, conns[0], wire.Msg{Type: wire.Ping, Seq: 1})
	recvUntil(t, conns[0], "pong", isType(wire.Pong))
	if n := s.Sessions(); n != 2 {
		t.Errorf("sessions = %d, want 2", n)
	}
}

func TestIdleSessionIsReaped(t *testing.T) {
	_, ts := newTestServer(t, Options{IdleTimeout: 200 * time.Millisecond})
	c := dial(t, ts)
	send(t, c, wire.Msg{Type: wire.Hello, V: wire.Version})
	code, reason := closeCode(t, c)
	if code != CloseIdle {
		t.Errorf("close = %d %q, want %d", code, reason, CloseIdle)
	}
}

func TestShutdownTellsEveryBrowser(t *testing.T) {
	s, ts := newTestServer(t, Options{})
	var conns []*websocket.Conn
	for range 3 {
		c := dial(t, ts)
		send(t, c, wire.Msg{Type: wire.Hello, V: wire.Version})
		recvUntil(t, c, "ready", isType(wire.Ready))
		conns = append(conns, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	for i, c := range conns {
		bye := recvUntil(t, c, "bye", isType(wire.Bye))
		if bye.Message == "" {
			t.Errorf("conn %d: bye without a message", i)
		}
		if code, _ := closeCode(t, c); code != websocket.CloseServiceRestart {
			t.Errorf("conn %d: close code %d, want %d", i, code, websocket.CloseServiceRestart)
		}
	}
	if n := s.Sessions(); n != 0 {
		t.Errorf("sessions after shutdown = %d", n)
	}
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("healthz while shutting down = %d, want 503", resp.StatusCode)
	}
}
