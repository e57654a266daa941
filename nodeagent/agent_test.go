package nodeagent

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/keepalive-playground/playground/scenario"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// nodeLines is every Node runtime of the table.
func nodeLines() []scenario.Runtime {
	var out []scenario.Runtime
	for _, rt := range scenario.Runtimes() {
		if rt.IsNode() {
			out = append(out, rt)
		}
	}
	return out
}

// server is a scripted loopback server: each connection runs handle.
type server struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func serve(t *testing.T, handle func(c net.Conn, r *bufio.Reader)) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() { defer s.wg.Done(); handle(c, bufio.NewReader(c)) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *server) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", s.ln.Addr().String())
}

// readRequest reads one request head (the tests send no bodies).
func readRequest(r *bufio.Reader) (string, bool) {
	var head strings.Builder
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return head.String(), false
		}
		head.WriteString(l)
		if l == "\r\n" {
			return head.String(), true
		}
	}
}

const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nhi"

func dur(d time.Duration) *time.Duration { return &d }

func newAgent(t *testing.T, o Options, s *server) *Agent {
	t.Helper()
	a, err := New(o, s.dial)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Destroy)
	return a
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name         string
		handle       func(c net.Conn, r *bufio.Reader)
		msg, code    string
		status       int
		wantClosedBy string
	}{
		{name: "closed before the head", handle: func(c net.Conn, r *bufio.Reader) { readRequest(r); c.Close() },
			msg: "socket hang up", code: "ECONNRESET", wantClosedBy: ClosedByServer},
		{name: "reset", handle: func(c net.Conn, r *bufio.Reader) {
			readRequest(r)
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}, msg: "read ECONNRESET", code: "ECONNRESET", wantClosedBy: ClosedByServer},
		{name: "body cut short", handle: func(c net.Conn, r *bufio.Reader) {
			readRequest(r)
			c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
			c.Close()
		}, msg: "aborted", code: "ECONNRESET", status: 200, wantClosedBy: ClosedByServer},
		{name: "parse error", handle: func(c net.Conn, r *bufio.Reader) {
			readRequest(r)
			c.Write([]byte("HTTX/1.1 200 OK\r\n\r\n"))
		}, msg: "Parse Error: Expected HTTP/, RTSP/ or ICE/", code: "HPE_INVALID_CONSTANT", wantClosedBy: ClosedByAgent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serve(t, tt.handle)
			a := newAgent(t, Options{Release: scenario.DefaultRuntime(), KeepAlive: true}, s)
			res := a.Do(context.Background(), Request{Path: "/"})
			if res.Err != tt.msg || res.Code != tt.code || res.Status != tt.status {
				t.Errorf("got %q (%s) status %d, want %q (%s) status %d", res.Err, res.Code, res.Status, tt.msg, tt.code, tt.status)
			}
			if res.Reused {
				t.Error("a first request is not on a reused socket")
			}
			socks := a.Sockets()
			if len(socks) != 1 || socks[0].State != StateClosed || socks[0].ClosedBy != tt.wantClosedBy {
				t.Errorf("sockets %+v, want one closed by %s", socks, tt.wantClosedBy)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	a, err := New(Options{Release: scenario.DefaultRuntime()}, func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Destroy()
	res := a.Do(context.Background(), Request{})
	if res.Err != "connect ECONNREFUSED "+addr || res.Code != "ECONNREFUSED" || res.Conn != "" {
		t.Errorf("got %+v", res)
	}
}

// TestFreeSocketData: bytes on a free socket destroy it on lines with the
// data guard (Node >= 22); before, they are dropped and the socket is
// reused.
func TestFreeSocketData(t *testing.T) {
	for _, rt := range nodeLines() {
		t.Run(rt.Name, func(t *testing.T) {
			s := serve(t, func(c net.Conn, r *bufio.Reader) {
				for {
					if _, ok := readRequest(r); !ok {
						return
					}
					c.Write([]byte(okResponse))
					time.Sleep(20 * time.Millisecond)
					c.Write([]byte("junk"))
				}
			})
			a := newAgent(t, Options{Release: rt.Name, KeepAlive: true}, s)
			first := a.Do(context.Background(), Request{})
			time.Sleep(100 * time.Millisecond)
			second := a.Do(context.Background(), Request{})
			if first.Err != "" || second.Err != "" {
				t.Fatalf("errors %q %q", first.Err, second.Err)
			}
			if reused := second.Conn == first.Conn; reused == rt.Node.AgentFreeDataGuard || second.Reused != reused {
				t.Errorf("second on %s (reused %v) after %s; guard %v", second.Conn, second.Reused, first.Conn, rt.Node.AgentFreeDataGuard)
			}
		})
	}
}

// TestFreeTimer: the free socket's deadline per line, from the agent's
// timeout and the server's Keep-Alive hint less the buffer.
func TestFreeTimer(t *testing.T) {
	tests := []struct {
		name    string
		timeout *time.Duration
		buffer  *time.Duration
		hint    string
		want    func(b scenario.NodeBehaviour) (kept bool, d time.Duration)
	}{
		{name: "no timeout, no timer", hint: "timeout=3", want: func(b scenario.NodeBehaviour) (bool, time.Duration) { return true, 0 }},
		{name: "timeout above the hint", timeout: dur(5 * time.Second), hint: "timeout=3", want: func(b scenario.NodeBehaviour) (bool, time.Duration) {
			if b.AgentHintBufferMs > 0 {
				return true, 3*time.Second - time.Duration(b.AgentHintBufferMs)*time.Millisecond
			}
			return true, 5 * time.Second
		}},
		{name: "timeout below the hint", timeout: dur(time.Second), hint: "timeout=5", want: func(b scenario.NodeBehaviour) (bool, time.Duration) { return true, time.Second }},
		{name: "hint within the buffer", timeout: dur(5 * time.Second), hint: "timeout=1", want: func(b scenario.NodeBehaviour) (bool, time.Duration) {
			return b.AgentHintBufferMs == 0, 5 * time.Second
		}},
		{name: "hint with max", timeout: dur(5 * time.Second), hint: "timeout=3, max=100", want: func(b scenario.NodeBehaviour) (bool, time.Duration) {
			if b.AgentHintBufferMs > 0 {
				return true, 2 * time.Second
			}
			return true, 5 * time.Second
		}},
		{name: "not a hint", timeout: dur(5 * time.Second), hint: "max=3", want: func(b scenario.NodeBehaviour) (bool, time.Duration) { return true, 5 * time.Second }},
		{name: "buffer option", timeout: dur(5 * time.Second), buffer: dur(2500 * time.Millisecond), hint: "timeout=3", want: func(b scenario.NodeBehaviour) (bool, time.Duration) {
			return true, 500 * time.Millisecond
		}},
	}
	for _, tt := range tests {
		for _, rt := range nodeLines() {
			t.Run(tt.name+"/"+rt.Name, func(t *testing.T) {
				if tt.buffer != nil && !rt.Node.AgentBufferKnob {
					if err := (Options{Release: rt.Name, KeepAliveTimeoutBuffer: tt.buffer}).Validate(); err == nil {
						t.Error("agentKeepAliveTimeoutBuffer accepted on a line without it")
					}
					return
				}
				s := serve(t, func(c net.Conn, r *bufio.Reader) {
					for {
						if _, ok := readRequest(r); !ok {
							return
						}
						c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nKeep-Alive: " + tt.hint + "\r\n\r\n"))
					}
				})
				a := newAgent(t, Options{Release: rt.Name, KeepAlive: true, Timeout: tt.timeout, KeepAliveTimeoutBuffer: tt.buffer}, s)
				if res := a.Do(context.Background(), Request{}); res.Err != "" {
					t.Fatal(res.Err)
				}
				kept, d := tt.want(rt.Node)
				si := a.Sockets()[0]
				if (si.State == StateFree) != kept {
					t.Fatalf("socket %+v, want kept %v", si, kept)
				}
				if !kept {
					return
				}
				got := time.Duration(0)
				if !si.FreeDeadline.IsZero() {
					got = si.FreeDeadline.Sub(si.FreeSince)
				}
				if got != d {
					t.Errorf("free for %s, want %s", got, d)
				}
				// The page's pool panel names the timer: the hint's when
				// it lowered the timeout option, else the option's.
				wantTimer := ""
				switch {
				case d == 0:
				case tt.timeout != nil && d < *tt.timeout:
					wantTimer = "the server's Keep-Alive: timeout="
				default:
					wantTimer = "the agent's timeout option"
				}
				if !strings.HasPrefix(si.FreeTimer, wantTimer) || (wantTimer == "") != (si.FreeTimer == "") {
					t.Errorf("FreeTimer %q, want one starting %q", si.FreeTimer, wantTimer)
				}
			})
		}
	}
}

// TestTimerFires: a free socket is destroyed when its timer fires.
func TestTimerFires(t *testing.T) {
	s := serve(t, func(c net.Conn, r *bufio.Reader) {
		for {
			if _, ok := readRequest(r); !ok {
				return
			}
			c.Write([]byte(okResponse))
		}
	})
	a := newAgent(t, Options{Release: scenario.DefaultRuntime(), KeepAlive: true, Timeout: dur(50 * time.Millisecond)}, s)
	a.Do(context.Background(), Request{})
	deadline := time.Now().Add(2 * time.Second)
	for a.Sockets()[0].State != StateClosed && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if si := a.Sockets()[0]; si.State != StateClosed || si.ClosedBy != ClosedByAgent {
		t.Errorf("socket %+v, want closed by the agent", si)
	}
}

// TestQueue: under maxSockets a waiting request takes the freed socket
// without reusedSocket; lifo and fifo pick the last or first freed.
func TestQueue(t *testing.T) {
	release := make(chan struct{})
	s := serve(t, func(c net.Conn, r *bufio.Reader) {
		for {
			head, ok := readRequest(r)
			if !ok {
				return
			}
			if strings.HasPrefix(head, "GET /wait") {
				<-release
			}
			c.Write([]byte(okResponse))
		}
	})
	a := newAgent(t, Options{Release: scenario.DefaultRuntime(), KeepAlive: true, MaxSockets: 1}, s)
	first := make(chan Result)
	go func() { first <- a.Do(context.Background(), Request{Path: "/wait"}) }()
	for len(a.Sockets()) == 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan Result)
	go func() { second <- a.Do(context.Background(), Request{Path: "/"}) }()
	time.Sleep(50 * time.Millisecond)
	if n := len(a.Sockets()); n != 1 {
		t.Fatalf("%d sockets under maxSockets 1", n)
	}
	close(release)
	r1, r2 := <-first, <-second
	if r2.Conn != r1.Conn || r2.Reused {
		t.Errorf("queued request on %s reused %v; first on %s", r2.Conn, r2.Reused, r1.Conn)
	}
	r3 := a.Do(context.Background(), Request{})
	if r3.Conn != r1.Conn || !r3.Reused {
		t.Errorf("a request on a free socket: %+v", r3)
	}
}

func TestCancel(t *testing.T) {
	s := serve(t, func(c net.Conn, r *bufio.Reader) { readRequest(r); r.ReadByte() })
	a := newAgent(t, Options{Release: scenario.DefaultRuntime(), KeepAlive: true}, s)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if res := a.Do(ctx, Request{}); res.Err != "socket hang up" || res.Code != "ECONNRESET" {
		t.Errorf("got %+v", res)
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		req  Request
		want string
	}{
		{name: "keep-alive get", opts: Options{KeepAlive: true}, req: Request{Method: "GET", Path: "/"},
			want: "GET / HTTP/1.1\r\nHost: demo\r\nConnection: keep-alive\r\n\r\n"},
		{name: "no keep-alive", req: Request{Method: "GET", Path: "/x"},
			want: "GET /x HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n"},
		{name: "maxSockets keeps asking", opts: Options{MaxSockets: 2}, req: Request{Method: "GET", Path: "/"},
			want: "GET / HTTP/1.1\r\nHost: demo\r\nConnection: keep-alive\r\n\r\n"},
		{name: "post body", opts: Options{KeepAlive: true}, req: Request{Method: "POST", Path: "/", Body: "a=1"},
			want: "POST / HTTP/1.1\r\nHost: demo\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\na=1"},
		{name: "headers before Host", opts: Options{KeepAlive: true}, req: Request{Method: "POST", Path: "/x", Header: [][2]string{{"X-A", "1"}}, Body: "ab"},
			want: "POST /x HTTP/1.1\r\nX-A: 1\r\nHost: demo\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nab"},
		{name: "get body unframed", opts: Options{KeepAlive: true}, req: Request{Method: "GET", Path: "/x", Body: "ab"},
			want: "GET /x HTTP/1.1\r\nHost: demo\r\nConnection: keep-alive\r\n\r\nab"},
		{name: "empty put", opts: Options{KeepAlive: true}, req: Request{Method: "PUT", Path: "/x"},
			want: "PUT /x HTTP/1.1\r\nHost: demo\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"},
		{name: "empty post", opts: Options{KeepAlive: true}, req: Request{Method: "POST", Path: "/"},
			want: "POST / HTTP/1.1\r\nHost: demo\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Release = scenario.DefaultRuntime()
			b, _ := behaviour(tt.opts.Release)
			a := &Agent{s: tt.opts.settings(b)}
			got := string(a.render(&pending{req: tt.req, keepAlive: a.s.reqKeepAlive()}))
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string // "" valid
	}{
		{name: "defaults", opts: Options{Release: scenario.DefaultRuntime()}},
		{name: "not node", opts: Options{Release: "go"}, want: "not a Node runtime"},
		{name: "scheduling", opts: Options{Release: scenario.DefaultRuntime(), Scheduling: "random"}, want: "scheduling must be"},
		{name: "negative", opts: Options{Release: scenario.DefaultRuntime(), MaxSockets: -1}, want: "maxSockets must be"},
		{name: "timeout", opts: Options{Release: scenario.DefaultRuntime(), Timeout: dur(-time.Second)}, want: "timeout must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestGlobalAgent(t *testing.T) {
	for _, rt := range nodeLines() {
		t.Run(rt.Name, func(t *testing.T) {
			o, err := GlobalAgent(rt.Name)
			if err != nil {
				t.Fatal(err)
			}
			if o.KeepAlive != rt.Node.AgentGlobalKeepAlive || (o.Timeout != nil) != rt.Node.AgentGlobalKeepAlive {
				t.Errorf("global agent %+v on %s", o, rt.Name)
			}
		})
	}
}

// TestDestroyThenUse: agent.destroy() ends every socket, and the agent
// still serves requests on new ones.
func TestDestroyThenUse(t *testing.T) {
	s := serve(t, func(c net.Conn, r *bufio.Reader) {
		for {
			if _, ok := readRequest(r); !ok {
				return
			}
			c.Write([]byte(okResponse))
		}
	})
	a := newAgent(t, Options{Release: scenario.DefaultRuntime(), KeepAlive: true}, s)
	first := a.Do(context.Background(), Request{})
	a.Destroy()
	if si := a.Sockets()[0]; si.State != StateClosed || si.ClosedBy != ClosedByAgent {
		t.Fatalf("after Destroy: %+v", si)
	}
	second := a.Do(context.Background(), Request{})
	if second.Err != "" || second.Conn == first.Conn || second.Reused {
		t.Errorf("after Destroy: %+v (first on %s)", second, first.Conn)
	}
}
