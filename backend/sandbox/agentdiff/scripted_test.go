package agentdiff

import (
	"bufio"
	"io"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// scriptedJunkDelay is how long after its answer the scripted server's
// /junk path writes bytes on the now free socket.
const scriptedJunkDelay = 20 * time.Millisecond

// scriptedAnswers are the scripted server's paths: answers (and closes)
// no Node server writes, which Node's client must still take as it does.
var scriptedAnswers = map[string]string{
	"/":                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
	"/junk":            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
	"/chunked":         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n3;x=y\r\n!!!\r\n0\r\n\r\n",
	"/close":           "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi",
	"/http10":          "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
	"/http10-ka":       "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi",
	"/continue":        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
	"/hint1":           "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nhi",
	"/hint2":           "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=2, max=5\r\nContent-Length: 2\r\n\r\nhi",
	"/no-content":      "HTTP/1.1 204 No Content\r\n\r\n",
	"/until-close":     "HTTP/1.1 200 OK\r\n\r\nhi",
	"/abort":           "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhi",
	"/bad-version":     "HTTX/1.1 200 OK\r\n\r\n",
	"/bad-status":      "HTTP/1.1 2x0 OK\r\n\r\n",
	"/bad-header":      "HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n",
	"/bad-length":      "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
	"/bad-chunk":       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	"/junk-same-write": "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhijunk",
	"/double":          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbye",
	"/hint0":           "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=0\r\nContent-Length: 2\r\n\r\nhi",
	"/lower-hint":      "HTTP/1.1 200 OK\r\nkeep-alive: timeout=2\r\nContent-Length: 2\r\n\r\nhi",
	"/hangup":          "",
	"/reset":           "",
}

// scriptedServer answers each request by its path (scriptedAnswers): the
// same server for both sides.
// heads records the request heads a scripted server read, the Host
// header's value masked (each side names the server its own way).
type heads struct {
	mu  sync.Mutex
	got []string
}

func (h *heads) add(head string) {
	h.mu.Lock()
	h.got = append(h.got, head)
	h.mu.Unlock()
}

// sorted is every head read, in order of their text: the two sides'
// requests interleave differently.
func (h *heads) sorted() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Sorted(slices.Values(h.got))
}

// warmUpPath is client.js's warm-up request, before its clock starts.
const warmUpPath = "/warm-up"

// apart is what only a has and what only b has (sorted multisets).
func apart(a, b []string) (onlyA, onlyB []string) {
	for len(a) > 0 || len(b) > 0 {
		switch {
		case len(b) == 0 || len(a) > 0 && a[0] < b[0]:
			onlyA, a = append(onlyA, a[0]), a[1:]
		case len(a) == 0 || b[0] < a[0]:
			onlyB, b = append(onlyB, b[0]), b[1:]
		default:
			a, b = a[1:], b[1:]
		}
	}
	return onlyA, onlyB
}

var hostRe = regexp.MustCompile(`(?m)^Host: .*\r$`)

func scriptedServer(t *testing.T, rec *heads) (addr string, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); scripted(c, rec) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String(), ln.Addr().(*net.TCPAddr).Port
}

func scripted(c net.Conn, rec *heads) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		method, path := "", ""
		if f := strings.Fields(line); len(f) >= 2 {
			method, path = f[0], f[1]
		}
		length := 0
		head := line
		for {
			h, err := r.ReadString('\n')
			if err != nil {
				return
			}
			head += h
			if h == "\r\n" {
				break
			}
			if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(k, "Content-Length") {
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		if path != warmUpPath {
			rec.add(hostRe.ReplaceAllString(head, "Host: (masked)\r") + string(body))
		}
		switch path {
		case "/hangup":
			return
		case "/reset":
			c.(*net.TCPConn).SetLinger(0)
			return
		}
		answer := scriptedAnswers[path]
		if answer == "" {
			answer = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
		}
		if method == "HEAD" {
			answer = answer[:strings.Index(answer, "\r\n\r\n")+4]
		}
		if _, err := c.Write([]byte(answer)); err != nil {
			return
		}
		switch path {
		case "/junk":
			time.Sleep(scriptedJunkDelay)
			c.Write([]byte("junk"))
		case "/close", "/http10", "/until-close", "/abort", "/bad-version", "/bad-status", "/bad-header", "/bad-length", "/bad-chunk":
			return
		}
	}
}

// scriptedCases run against the scripted server.
func scriptedCases() []Case {
	ka := AgentOptions{KeepAlive: true, TimeoutMs: ptr(5000)}
	var cs []Case
	// Each path, then a request that shows whether the socket was kept.
	for _, p := range []string{"/", "/junk", "/chunked", "/close", "/http10", "/http10-ka", "/continue", "/hint1", "/hint2",
		"/no-content", "/until-close", "/abort", "/bad-version", "/bad-status", "/bad-header", "/bad-length", "/bad-chunk",
		"/hangup", "/reset", "/junk-same-write", "/double", "/hint0", "/lower-hint"} {
		cs = append(cs, Case{Name: "path" + p, Agent: ka, Requests: []Req{get(0, p), get(300, "/")}, EndMs: 800})
	}
	cs = append(cs,
		Case{Name: "head-with-length", Agent: ka, Requests: []Req{{At: 0, Method: "HEAD", Path: "/"}, get(300, "/")}, EndMs: 800},
		Case{Name: "head-chunked", Agent: ka, Requests: []Req{{At: 0, Method: "HEAD", Path: "/chunked"}, get(300, "/")}, EndMs: 800},
		// The bytes of requests with bodies (a GET's goes out unframed).
		Case{Name: "post-body", Agent: ka, Requests: []Req{{At: 0, Method: "POST", Path: "/", Body: "a=1"}, {At: 300, Method: "PUT", Path: "/"}}, EndMs: 800},
		Case{Name: "get-body", Agent: ka, Requests: []Req{{At: 0, Method: "GET", Path: "/", Body: "x"}, get(300, "/")}, EndMs: 800},
		// hint2 less the 1 s buffer: a free socket for 1 s (Node >= 20).
		Case{Name: "hint2-timer", Agent: ka, Requests: []Req{get(0, "/hint2"), get(1400, "/")}, EndMs: 2200},
	)
	return cs
}

// TestAgentScripted holds nodeagent to real Node's Agent against a
// scripted server: framings, interim answers, closes, resets and parse
// errors no Node server writes, and bytes on a free socket.
func TestAgentScripted(t *testing.T) {
	if testing.Short() {
		t.Skip("differential runs take seconds")
	}
	t.Parallel() // the schedules of both tests share the concurrent slots
	for _, rt := range nodeLines(t) {
		t.Run(rt.Name, func(t *testing.T) {
			t.Parallel()
			// A server for each side, so that each records what its
			// side sent: the same requests, byte for byte.
			var realHeads, emuHeads heads
			_, port := scriptedServer(t, &realHeads)
			addr, _ := scriptedServer(t, &emuHeads)
			diff(t, rt.Name, stagger(Schedule{Port: port, Cases: scriptedCases()}), addr)
			if only, extra := apart(realHeads.sorted(), emuHeads.sorted()); len(only)+len(extra) > 0 {
				t.Errorf("the requests' bytes differ:\nonly real Node sent %q\nonly the emulation sent %q", only, extra)
			}
		})
	}
}
