package gort

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitFor bounds every wait for an event or a read; generous for a loaded
// 2-core machine, and never reached when things work.
const waitFor = 3 * time.Second

// rec is one reported event with the peer it was reported for.
type rec struct {
	peer string
	timeline.Event
}

func (r rec) String() string {
	return fmt.Sprintf("%7.1f %-21s %s %s %s %s %d", r.T, r.peer, r.Kind, r.By, r.Reason, r.Path, r.Status)
}

// recorder is the session's side of sandbox.Config: a clock from its
// creation and a log of events.
type recorder struct {
	start time.Time
	mu    sync.Mutex
	evs   []rec
	added chan struct{} // signalled (without blocking) on each event
}

func newRecorder() *recorder {
	return &recorder{start: time.Now(), added: make(chan struct{}, 1)}
}

func (r *recorder) now() float64 { return float64(time.Since(r.start).Microseconds()) / 1000 }

func (r *recorder) emit(peer string, ev timeline.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, rec{peer, ev})
	r.mu.Unlock()
	select {
	case r.added <- struct{}{}:
	default:
	}
}

func (r *recorder) events() []rec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rec(nil), r.evs...)
}

// find returns the first event of kind (for peer, if not "") or false.
func (r *recorder) find(peer, kind string) (rec, bool) { return r.findFrom(0, peer, kind) }

// findFrom is find among the events from index i on.
func (r *recorder) findFrom(i int, peer, kind string) (rec, bool) {
	evs := r.events()
	for _, e := range evs[min(i, len(evs)):] {
		if e.Kind == kind && (peer == "" || e.peer == peer) {
			return e, true
		}
	}
	return rec{}, false
}

// wait returns the first event of kind for peer, waiting for it.
func (r *recorder) wait(t *testing.T, peer, kind string) rec {
	t.Helper()
	return r.waitFrom(t, 0, peer, kind)
}

// waitFrom is wait among the events from index i on.
func (r *recorder) waitFrom(t *testing.T, i int, peer, kind string) rec {
	t.Helper()
	deadline := time.NewTimer(waitFor)
	defer deadline.Stop()
	for {
		if e, ok := r.findFrom(i, peer, kind); ok {
			return e
		}
		select {
		case <-r.added:
		case <-deadline.C:
			t.Fatalf("no %s event for %q within %v; events:\n%s", kind, peer, waitFor, r)
		}
	}
}

// waitCount waits until n events of kind were reported for peer.
func (r *recorder) waitCount(t *testing.T, peer, kind string, n int) {
	t.Helper()
	deadline := time.NewTimer(waitFor)
	defer deadline.Stop()
	for {
		got := 0
		for _, e := range r.events() {
			if e.Kind == kind && e.peer == peer {
				got++
			}
		}
		if got >= n {
			return
		}
		select {
		case <-r.added:
		case <-deadline.C:
			t.Fatalf("%d %s events for %q within %v, want %d; events:\n%s", got, kind, peer, waitFor, n, r)
		}
	}
}

func (r *recorder) String() string {
	var b strings.Builder
	for _, e := range r.events() {
		fmt.Fprintln(&b, e)
	}
	return b.String()
}

func intp(v int) *int    { return &v }
func boolp(v bool) *bool { return &v }

// slowMs is the delay of the slow route: long enough to tell "at once"
// (atOnceMs, generous for a loaded machine) from "after the response".
const (
	slowMs   = 500
	atOnceMs = 250
)

// testRoutes: a slow route for in-flight requests, one route per action,
// and the story's default answer.
var testRoutes = []scenario.Route{
	{Path: "/slow", Body: "late", DelayMs: slowMs},
	{Path: "/end", Body: "Closedown", Then: scenario.Then{scenario.ThenShutdown}},
	{Path: "/close", Body: "bye", Then: scenario.Then{scenario.ThenClose}},
	{Path: "/destroy", Body: "hi", Then: scenario.Then{scenario.ThenDestroy}},
	{Path: "/exit", Body: "gone", Then: scenario.Then{scenario.ThenExit}},
	{Path: "/teapot", Status: 418, Body: "short and stout"},
	{Path: "*", Body: "Hello World!"},
}

func start(t *testing.T, sv scenario.Server) (*server, *recorder) {
	t.Helper()
	sv.Runtime = "go"
	if sv.Routes == nil {
		sv.Routes = testRoutes
	}
	r := newRecorder()
	srv, err := New(sandbox.Config{Server: sv, Now: r.now, Emit: r.emit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("events:\n%s", r)
		}
	})
	return srv.(*server), r
}

// client is a raw TCP client, netcat style.
type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitFor)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, c: c, br: bufio.NewReader(c)}
}

// peer is the address the server sees for this client.
func (c *client) peer() string { return c.c.LocalAddr().String() }

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) get(path string, headers ...string) {
	c.t.Helper()
	c.send("GET " + path + " HTTP/1.1\r\nHost: demo\r\n" + strings.Join(headers, "") + "\r\n")
}

// response reads one response; its body is read in full.
func (c *client) response() (*http.Response, string) {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(waitFor))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read body: %v", err)
	}
	return resp, string(body)
}

// eof waits for the server's close and returns what came before it.
func (c *client) eof() string {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(waitFor))
	rest, err := io.ReadAll(c.br)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		c.t.Fatalf("waiting for the server's close: %v (after %q)", err, rest)
	}
	return string(rest)
}

// closeOf checks the close event of peer: by, reason.
func closeOf(t *testing.T, r *recorder, peer, by, reason string) rec {
	t.Helper()
	e := r.wait(t, peer, timeline.Close)
	if e.By != by || e.Reason != reason {
		t.Errorf("close of %s: by %q reason %q, want by %q reason %q", peer, e.By, e.Reason, by, reason)
	}
	return e
}

// order checks that the events appear in this order (kind or kind@peer).
func order(t *testing.T, r *recorder, want ...rec) {
	t.Helper()
	evs := r.events()
	i := 0
	for _, e := range evs {
		if i < len(want) && e.Kind == want[i].Kind && (want[i].peer == "" || e.peer == want[i].peer) {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("events out of order: %v not found after the first %d of %v", want[i], i, want)
	}
}

func ev(peer, kind string) rec { return rec{peer: peer, Event: timeline.Event{Kind: kind}} }

func TestKeepAliveResponse(t *testing.T) {
	s, r := start(t, scenario.Server{})
	c := dial(t, s.Addr())
	for i, path := range []string{"/a", "/teapot"} {
		c.get(path)
		resp, body := c.response()
		want, wantBody := 200, "Hello World!"
		if path == "/teapot" {
			want, wantBody = 418, "short and stout"
		}
		if resp.StatusCode != want || body != wantBody || resp.Close {
			t.Errorf("request %d: %d %q close=%v, want %d %q keep-alive", i, resp.StatusCode, body, resp.Close, want, wantBody)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/plain" {
			t.Errorf("Content-Type %q", ct)
		}
	}
	// The second idle comes after the response the client has read.
	r.waitCount(t, c.peer(), timeline.Idle, 2)
	var kinds []string
	var statuses []int
	for _, e := range r.events() {
		if e.peer == c.peer() {
			kinds = append(kinds, e.Kind)
			if e.Kind == timeline.Response {
				statuses = append(statuses, e.Status)
			}
		}
	}
	if got, want := strings.Join(kinds, " "), "accept request response idle request response idle"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	if fmt.Sprint(statuses) != "[200 418]" {
		t.Errorf("statuses %v", statuses)
	}
	if e, _ := r.find("", timeline.Listen); e.Kind != timeline.Listen {
		t.Error("no listen event")
	}
}

// TestShutdownVsClose: one idle keep-alive connection (A) and one request
// in flight (B) when the program calls Shutdown or Close.
func TestShutdownVsClose(t *testing.T) {
	tests := []struct {
		name   string
		action string
		called string
		reason string // A's and B's close
		// B's answer: Shutdown lets it finish (with Connection: close),
		// Close cuts it off.
		answered bool
	}{
		{"shutdown", scenario.ThenShutdown, timeline.ShutdownCalled, timeline.ReasonShutdown, true},
		{"close", scenario.ThenClose, timeline.CloseCalled, timeline.ReasonServerClose, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, r := start(t, scenario.Server{})
			a, b := dial(t, s.Addr()), dial(t, s.Addr())
			a.get("/")
			a.response()
			r.wait(t, a.peer(), timeline.Idle)
			b.get("/slow")
			r.wait(t, b.peer(), timeline.Request)

			if err := s.Control(tt.action); err != nil {
				t.Fatal(err)
			}
			called := r.wait(t, "", tt.called)
			if rest := a.eof(); rest != "" {
				t.Errorf("A got %q before the close", rest)
			}
			closeA := closeOf(t, r, a.peer(), timeline.ByServer, tt.reason)
			if d := closeA.T - called.T; d > atOnceMs {
				t.Errorf("A closed %.0f ms after %s; want at once", d, tt.called)
			}

			rest := b.eof()
			closeB := closeOf(t, r, b.peer(), timeline.ByServer, tt.reason)
			// Shutdown polls for quiet connections at growing intervals (up
			// to 500 ms), so exit may come well after B's close.
			exit := r.wait(t, "", timeline.Exit)
			respB, answered := r.find(b.peer(), timeline.Response)
			if answered != tt.answered {
				t.Errorf("B answered: %v, want %v (B got %q)", answered, tt.answered, rest)
			}
			if tt.answered {
				if !strings.HasPrefix(rest, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(rest, "\r\n\r\nlate") ||
					!strings.Contains(rest, "Connection: close\r\n") {
					t.Errorf("B got %q, want a 200 'late' with Connection: close", rest)
				}
				if respB.T-called.T < atOnceMs {
					t.Errorf("B answered %.0f ms after %s, before its %d ms delay", respB.T-called.T, tt.called, slowMs)
				}
				order(t, r, ev("", tt.called), ev("", timeline.ListenerClosed), ev(a.peer(), timeline.Close),
					ev(b.peer(), timeline.Response), ev(b.peer(), timeline.Close), ev("", timeline.Exit))
			} else {
				if rest != "" {
					t.Errorf("B got %q, want nothing", rest)
				}
				if d := closeB.T - called.T; d > atOnceMs {
					t.Errorf("B closed %.0f ms after %s; want at once", d, tt.called)
				}
				order(t, r, ev("", tt.called), ev(b.peer(), timeline.Close), ev("", timeline.Exit))
			}
			if exit.T < closeB.T {
				t.Errorf("exit at %.1f before B's close at %.1f", exit.T, closeB.T)
			}
			select {
			case <-s.Exited():
			case <-time.After(waitFor):
				t.Fatal("Exited not closed")
			}
			if _, err := net.DialTimeout("tcp", s.Addr(), waitFor); err == nil {
				t.Error("a connect after exit succeeded; want refused")
			}
			if err := s.Control(scenario.ThenShutdown); err == nil {
				t.Error("Control after exit: no error")
			}
		})
	}
}

// TestShutdownDeadline: the slow request outlives Shutdown's deadline;
// Shutdown returns context.DeadlineExceeded, the program calls Close and
// the request gets no answer.
func TestShutdownDeadline(t *testing.T) {
	s, r := start(t, scenario.Server{ShutdownTimeoutMs: intp(100)})
	b := dial(t, s.Addr())
	b.get("/slow")
	r.wait(t, b.peer(), timeline.Request)
	s.Control(scenario.ThenShutdown)
	shut := r.wait(t, "", timeline.ShutdownCalled)
	if rest := b.eof(); rest != "" {
		t.Errorf("B got %q, want nothing", rest)
	}
	closed := r.wait(t, "", timeline.CloseCalled)
	if d := closed.T - shut.T; d < 90 || d > 100+atOnceMs {
		t.Errorf("Close called %.0f ms after Shutdown; want after its 100 ms deadline", d)
	}
	closeOf(t, r, b.peer(), timeline.ByServer, timeline.ReasonServerClose)
	r.wait(t, "", timeline.Exit)
	if _, ok := r.find(b.peer(), timeline.Response); ok {
		t.Error("B was answered")
	}
}

func TestIdleTimeout(t *testing.T) {
	s, r := start(t, scenario.Server{IdleTimeoutMs: intp(300)})
	c := dial(t, s.Addr())
	c.get("/")
	c.response()
	idle := r.wait(t, c.peer(), timeline.Idle)
	if rest := c.eof(); rest != "" {
		t.Errorf("got %q before the close", rest)
	}
	closed := closeOf(t, r, c.peer(), timeline.ByServer, timeline.ReasonIdleTimeout)
	if d := closed.T - idle.T; d < 280 || d > 800 {
		t.Errorf("closed %.0f ms after idle; want about 300", d)
	}
}

// TestIdleTimeoutPartialRequest: bytes of a next request that stop short
// of 4 (net/http peeks 4 before switching to ReadHeaderTimeout) still run
// into the idle deadline.
func TestIdleTimeoutPartialRequest(t *testing.T) {
	s, r := start(t, scenario.Server{IdleTimeoutMs: intp(200), ReadHeaderTimeoutMs: intp(5000)})
	c := dial(t, s.Addr())
	c.get("/")
	c.response()
	r.wait(t, c.peer(), timeline.Idle)
	c.send("GE")
	c.eof()
	closeOf(t, r, c.peer(), timeline.ByServer, timeline.ReasonIdleTimeout)
}

func TestConnectionClose(t *testing.T) {
	tests := []struct {
		name      string
		keepAlive bool
		header    string
		version   string
	}{
		{"keep-alives disabled", false, "", "HTTP/1.1"},
		{"request asks close", true, "Connection: close\r\n", "HTTP/1.1"},
		{"HTTP/1.0 without keep-alive", true, "", "HTTP/1.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, r := start(t, scenario.Server{KeepAlive: boolp(tt.keepAlive), IdleTimeoutMs: intp(5000)})
			c := dial(t, s.Addr())
			c.send("GET / " + tt.version + "\r\nHost: demo\r\n" + tt.header + "\r\n")
			resp, body := c.response()
			if body != "Hello World!" || !resp.Close {
				t.Errorf("got %q close=%v; want Hello World! and close", body, resp.Close)
			}
			c.eof()
			closeOf(t, r, c.peer(), timeline.ByServer, timeline.ReasonConnectionClose)
			order(t, r, ev(c.peer(), timeline.Request), ev(c.peer(), timeline.Response), ev(c.peer(), timeline.Close))
			if _, ok := r.find(c.peer(), timeline.Idle); ok {
				t.Error("the connection went idle")
			}
		})
	}
}

// TestReadHeaderTimeout: net/http answers nothing when the headers do not
// arrive in time (no 408), it just closes.
func TestReadHeaderTimeout(t *testing.T) {
	tests := []struct {
		name string
		send string
	}{
		{"no bytes", ""},
		{"unfinished headers", "GET / HTTP/1.1\r\nHost: demo\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, r := start(t, scenario.Server{ReadHeaderTimeoutMs: intp(200), IdleTimeoutMs: intp(5000)})
			c := dial(t, s.Addr())
			acc := r.wait(t, c.peer(), timeline.Accept)
			if tt.send != "" {
				c.send(tt.send)
			}
			if rest := c.eof(); rest != "" {
				t.Errorf("got %q; want nothing", rest)
			}
			closed := closeOf(t, r, c.peer(), timeline.ByServer, timeline.ReasonHeadersTimeout)
			if d := closed.T - acc.T; d < 180 || d > 700 {
				t.Errorf("closed %.0f ms after accept; want about 200", d)
			}
		})
	}
}

// TestThen: each route action, from the handler after its response.
func TestThen(t *testing.T) {
	tests := []struct {
		path, body string
		called     string // server event, or ""
		reason     string
	}{
		{"/end", "Closedown", timeline.ShutdownCalled, timeline.ReasonShutdown},
		{"/close", "bye", timeline.CloseCalled, timeline.ReasonServerClose},
		{"/destroy", "hi", "", timeline.ReasonDestroy},
		{"/exit", "gone", "", timeline.ReasonExit},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			s, r := start(t, scenario.Server{})
			c := dial(t, s.Addr())
			c.get(tt.path)
			resp, body := c.response()
			if resp.StatusCode != 200 || body != tt.body || len(resp.TransferEncoding) != 0 || resp.ContentLength != int64(len(tt.body)) {
				t.Errorf("got %d %q (TE %v, length %d); want 200 %q with Content-Length", resp.StatusCode, body, resp.TransferEncoding, resp.ContentLength, tt.body)
			}
			if rest := c.eof(); rest != "" {
				t.Errorf("got %q after the response", rest)
			}
			closeOf(t, r, c.peer(), timeline.ByServer, tt.reason)
			if tt.called != "" {
				r.wait(t, "", tt.called)
			}
			want := []rec{ev(c.peer(), timeline.Request), ev(c.peer(), timeline.Response), ev(c.peer(), timeline.Close)}
			if tt.reason == timeline.ReasonDestroy {
				// The program goes on serving after a destroy.
				c2 := dial(t, s.Addr())
				c2.get("/")
				if _, body := c2.response(); body != "Hello World!" {
					t.Errorf("after destroy: %q", body)
				}
				if _, ok := r.find("", timeline.Exit); ok {
					t.Error("exit after destroy")
				}
			} else {
				r.wait(t, "", timeline.Exit)
				// Shutdown runs in its own goroutine: its listener-closed and
				// the connection's close race.
				want = []rec{ev(c.peer(), timeline.Response), ev("", timeline.ShutdownCalled), ev(c.peer(), timeline.Close), ev("", timeline.Exit)}
				if tt.reason == timeline.ReasonExit {
					// The kernel closes the listener and sockets together.
					want = []rec{ev(c.peer(), timeline.Response), ev("", timeline.ListenerClosed), ev(c.peer(), timeline.Close), ev("", timeline.Exit)}
				}
				if tt.reason == timeline.ReasonServerClose {
					want = []rec{ev(c.peer(), timeline.Response), ev("", timeline.CloseCalled), ev("", timeline.ListenerClosed), ev(c.peer(), timeline.Close), ev("", timeline.Exit)}
				}
			}
			order(t, r, want...)
		})
	}
}

// TestThenList: a route's actions run in order after its response:
// Shutdown (in its own goroutine, as the program does) and then Close.
func TestThenList(t *testing.T) {
	s, r := start(t, scenario.Server{Routes: []scenario.Route{
		{Path: "*", Body: "bye", Then: scenario.Then{scenario.ThenShutdown, scenario.ThenClose}}}})
	c := dial(t, s.Addr())
	c.get("/")
	if resp, body := c.response(); resp.StatusCode != 200 || body != "bye" {
		t.Errorf("got %d %q, want 200 bye", resp.StatusCode, body)
	}
	c.eof()
	r.wait(t, "", timeline.Exit)
	for _, kind := range []string{timeline.ShutdownCalled, timeline.CloseCalled, timeline.ListenerClosed} {
		if _, ok := r.find("", kind); !ok {
			t.Errorf("no %s", kind)
		}
	}
}

func TestExitClosesEverything(t *testing.T) {
	s, r := start(t, scenario.Server{})
	a, b := dial(t, s.Addr()), dial(t, s.Addr())
	a.get("/")
	a.response()
	b.get("/slow")
	r.wait(t, b.peer(), timeline.Request)
	if err := s.Control(scenario.ThenExit); err != nil {
		t.Fatal(err)
	}
	a.eof()
	b.eof()
	closeOf(t, r, a.peer(), timeline.ByServer, timeline.ReasonExit)
	closeOf(t, r, b.peer(), timeline.ByServer, timeline.ReasonExit)
	exit := r.wait(t, "", timeline.Exit)
	for _, e := range r.events() {
		if e.T > exit.T || (e.T == exit.T && e.Kind != timeline.Exit && e.peer == "" && e.Kind != timeline.ListenerClosed) {
			t.Errorf("event after exit: %v", e)
		}
	}
}

func TestClientClose(t *testing.T) {
	s, r := start(t, scenario.Server{})
	c := dial(t, s.Addr())
	c.get("/")
	c.response()
	r.wait(t, c.peer(), timeline.Idle)
	c.c.Close()
	closeOf(t, r, c.peer(), timeline.ByClient, timeline.ReasonClient)
}

// TestMalformed: net/http's own answers to bad requests.
func TestMalformed(t *testing.T) {
	tests := []struct {
		name   string
		send   string
		status int
	}{
		{"garbage", "HELLO\r\n\r\n", 400},
		{"missing Host", "GET / HTTP/1.1\r\n\r\n", 400},
		{"HTTP/2.0 request line", "GET / HTTP/2.0\r\nHost: demo\r\n\r\n", 505},
		{"unknown transfer coding", "POST / HTTP/1.1\r\nHost: demo\r\nTransfer-Encoding: zip\r\n\r\n", 501},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, r := start(t, scenario.Server{})
			c := dial(t, s.Addr())
			c.send(tt.send)
			resp, _ := c.response()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			c.eof()
			closeOf(t, r, c.peer(), timeline.ByServer, timeline.ReasonBadRequest)
			if e := r.wait(t, c.peer(), timeline.Response); e.Status != tt.status {
				t.Errorf("response event status %d, want %d", e.Status, tt.status)
			}
			if _, ok := r.find(c.peer(), timeline.Request); ok {
				t.Error("a request event for a request net/http rejected")
			}
		})
	}
}

func TestControlUnknown(t *testing.T) {
	s, _ := start(t, scenario.Server{})
	for _, action := range []string{scenario.ThenCloseIdle, scenario.ThenCloseAll, scenario.ThenDestroy, "nope"} {
		if err := s.Control(action); err == nil {
			t.Errorf("Control(%q): no error", action)
		}
	}
}

// TestCloseTearsDown: Close with a request in flight and a Shutdown
// pending returns promptly and leaves nothing behind (goleak checks).
func TestCloseTearsDown(t *testing.T) {
	r := newRecorder()
	srv, err := New(sandbox.Config{
		Server: scenario.Server{Runtime: "go", Routes: []scenario.Route{{Path: "*", DelayMs: 60_000}}},
		Now:    r.now, Emit: r.emit,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv.Addr())
	c.get("/")
	r.wait(t, c.peer(), timeline.Request)
	srv.Control(scenario.ThenShutdown)
	begin := time.Now()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	n := len(r.events())
	c.eof()
	if len(r.events()) != n {
		t.Errorf("events after Close: %v", r.events()[n:])
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
