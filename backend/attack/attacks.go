package attack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keepalive-playground/playground/backend/session"
	"github.com/keepalive-playground/playground/fragment"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// attacks is the suite, in the order of issue 11's items.
var attacks = []attack{
	{name: "stale-port", quick: true, limit: 30 * time.Second,
		what:     "a session dials its demo server's old port after the listener closed; someone else has the port now",
		expected: "the open is refused without a packet; nothing reaches the port's new owner",
		run:      stalePort},
	{name: "port-cycle", limit: 3 * time.Minute,
		what:     "other sessions restart until one of their demo servers gets a closed session's old port",
		expected: "the closed session's open is refused; no other session's demo server accepts it",
		run:      portCycle},
	{name: "strangers", quick: true, limit: 30 * time.Second,
		what:     "another program on the machine connects to every demo port and asks for /end",
		expected: "every connection is reset before a byte is answered; no route runs; no timeline shows it",
		run:      strangers},
	{name: "deep-nesting", quick: true, own: []string{}, limit: 30 * time.Second,
		what:     "20 loads of a 20 KB scenario whose title is nested 9,990 arrays deep (once about 150 MB each)",
		expected: "each is refused with a sentence; the server grows by less than 32 MiB (a single load once took 150 MB)",
		run:      deepNesting},
	{name: "run-input", quick: true, limit: 30 * time.Second,
		what:     "`playground run` of /dev/zero (once 1.4 GB) and of a 122-character link nested 9,990 deep (once 172 MB)",
		expected: "exit 2 with a sentence; a peak RSS within 32 MiB of a run that reads nothing",
		run:      runInput},
	{name: "pending-writes", quick: true, own: []string{}, limit: time.Minute,
		what:     "sessions from one address each schedule 1,024 writes of 32 KiB for 100 s ahead (once 67 MiB a session)",
		expected: fmt.Sprintf("writes past the budget's half (%d KiB) are refused with a sentence; each session holds at most its %d MiB budget", session.MemoryBudget/2>>10, session.MemoryBudget>>20),
		run:      pendingWrites},
	{name: "no-reader", own: []string{}, limit: time.Minute,
		what:     "sessions from one address fill their demo servers with requests and never read the WebSocket",
		expected: "each session holds at most its budget and is dropped as too slow",
		run:      noReader},
	{name: "big-messages", quick: true, limit: 30 * time.Second,
		what:     "a 32-route scenario, a list of 400 problems and a 12 KiB write of NUL bytes (each once over 64 KiB, lost in silence)",
		expected: "each reaches the page; the page received every event the server sent",
		run:      bigMessages},
	{name: "out-of-files", own: []string{}, limit: time.Minute,
		what:     "the server runs out of open files while sessions open connections",
		expected: "the person is told in a sentence, never left hanging; once files are free, sessions work again",
		run:      outOfFiles},
	{name: "slow-clients-shutdown", quick: true, own: []string{}, limit: 30 * time.Second,
		what:     "100 downloads that never read, 100 request bodies and 20 headers trickled in, then SIGTERM (once exit 1 after 5 s, and no 503)",
		expected: "/healthz answers 503 and sessions are refused while draining; exit 0 within 5 s",
		run:      slowClientsShutdown},
	{name: "slow-clients-timeouts", own: []string{}, limit: time.Minute,
		what:     "100 downloads that never read and 100 request bodies trickled in, held open (once for 65 s and more)",
		expected: "the server drops them by its timeouts (30 s without progress), back to its open files before",
		run:      slowClientsTimeouts},
	{name: "oversized-frame", quick: true, limit: 10 * time.Second,
		what:     "a page sends a 100 KB message (once closed with gorilla's bare 1009)",
		expected: "close 4003 with a sentence",
		run:      oversizedFrame},
	{name: "rate-limit-warning", quick: true, own: []string{"-max-messages-per-second", "20", "-message-burst", "20"}, limit: 30 * time.Second,
		what:     "a page keeps sending over the rate limit, ten times (the warning was sometimes lost to the close)",
		expected: "the warning arrives before close 4006, every time",
		run:      rateLimitWarning},
	{name: "wire-keys", quick: true, limit: 10 * time.Second,
		what:     `{"type":"open","conn":"B","CONN":"C"} and a duplicate "conn" (once: C opened)`,
		expected: "close 4003 naming the field; nothing is opened",
		run:      wireKeys},
	{name: "origin-and-host", quick: true, limit: 10 * time.Second,
		what:     "an Origin of http://evil@host, and Host and Origin both an attacker's name (DNS rebinding)",
		expected: "403 and 421: no session",
		run:      originAndHost},
}

// closedListener opens a session whose demo server has closed its
// listener (server.close()), and says which port it listened on.
func (e *env) closedListener(ctx context.Context) (*page, int, error) {
	p, err := openPage(ctx, e.t.URL)
	if err != nil {
		return nil, 0, err
	}
	port, err := e.closeListener(p)
	if err != nil {
		p.close()
		return nil, 0, err
	}
	return p, port, nil
}

func (e *env) closeListener(p *page) (int, error) {
	open := e.demoPorts()
	if err := p.send(wire.Msg{Type: wire.Control, Action: scenario.ThenClose}); err != nil {
		return 0, err
	}
	if _, err := p.until(5*time.Second, func(m wire.Msg) bool { return m.Type == wire.Ev && m.Event.Kind == timeline.ListenerClosed }); err != nil {
		return 0, err
	}
	still := e.demoPorts()
	for _, o := range open {
		if !slices.Contains(still, o) {
			return o, nil
		}
	}
	return 0, fmt.Errorf("could not find the session's demo port (open before %v, after %v)", open, still)
}

func stalePort(ctx context.Context, e *env) (string, error) {
	p, port, err := e.closedListener(ctx)
	if err != nil {
		return "", err
	}
	defer p.close()
	squatter, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return "", fmt.Errorf("take the old port: %w", err)
	}
	defer squatter.Close()
	reached := make(chan string, 4)
	go func() {
		for {
			c, err := squatter.Accept()
			if err != nil {
				return
			}
			c.SetReadDeadline(time.Now().Add(time.Second))
			b, _ := io.ReadAll(io.LimitReader(c, 200))
			c.Close()
			reached <- string(b)
		}
	}()
	p.send(wire.Msg{Type: wire.Write, Conn: "B", Data: []byte("GET /secret HTTP/1.1\r\nHost: demo\r\n\r\n")})
	m, err := p.until(5*time.Second, func(m wire.Msg) bool { return m.Type == wire.Ev && m.Event.Conn == "B" })
	if err != nil {
		return "", err
	}
	time.Sleep(200 * time.Millisecond)
	select {
	case b := <-reached:
		return "", fail("the session reached the new owner of port %d, which read %q", port, b)
	default:
	}
	if m.Event.Kind != timeline.Refused {
		return "", fail("B: %s %s", m.Event.Kind, m.Event.Error)
	}
	return fmt.Sprintf("B refused (%s); nothing reached the new owner of port %d", m.Event.Error, port), nil
}

func portCycle(ctx context.Context, e *env) (string, error) {
	victim, port, err := e.closedListener(ctx)
	if err != nil {
		return "", err
	}
	defer victim.close()
	others, err := pages(ctx, e.t.URL, 19)
	if err != nil {
		return "", err
	}
	defer closeAll(others)
	// Demo servers take their ports in turn, so the old port comes round
	// again after the range's worth of restarts; each round ends with a
	// look at which ports the demo servers hold.
	restarts, taken := 0, false
	for restarts < 2*(demoLast-demoFirst+1) && !taken && ctx.Err() == nil {
		for _, o := range others {
			o.send(wire.Msg{Type: wire.Restart})
		}
		restarts += len(others)
		// Pings to all, then their pongs: every restart is done, and the
		// victim (which reads only now) stays alive.
		seq := uint64(restarts)
		for _, o := range append(others, victim) {
			if err := o.send(wire.Msg{Type: wire.Ping, Seq: seq}); err != nil {
				return "", err
			}
		}
		for _, o := range append(others, victim) {
			if _, err := o.until(20*time.Second, func(m wire.Msg) bool { return m.Type == wire.Pong && m.Seq == seq }); err != nil {
				return "", err
			}
			o.events = slices.DeleteFunc(o.events, func(ev timeline.Event) bool { return ev.Conn == "" }) // listen events by the thousand
		}
		taken = slices.Contains(e.demoPorts(), port)
	}
	if !taken {
		return "", fmt.Errorf("no demo server took port %d in %d restarts", port, restarts)
	}
	victim.send(wire.Msg{Type: wire.Write, Conn: "B", Data: []byte("GET /end HTTP/1.1\r\nHost: demo\r\n\r\n")})
	m, err := victim.until(5*time.Second, func(m wire.Msg) bool { return m.Type == wire.Ev && m.Event.Conn == "B" })
	if err != nil {
		return "", err
	}
	for i, o := range others {
		if _, err := o.sync(uint64(1e9 + i)); err != nil {
			return "", err
		}
		for _, ev := range o.events {
			if ev.Kind == timeline.Accept || ev.Kind == timeline.Request {
				return "", fail("another session's demo server shows %s %s", ev.Kind, ev.Conn)
			}
		}
	}
	if m.Event.Kind != timeline.Refused {
		return "", fail("B: %s, to whatever held port %d after %d restarts", m.Event.Kind, port, restarts)
	}
	return fmt.Sprintf("after %d restarts port %d belonged to another session's demo server; B was refused (%s) and no other session saw a connection", restarts, port, m.Event.Error), nil
}

func strangers(ctx context.Context, e *env) (string, error) {
	scs := []string{
		`{"v":1,"server":{"runtime":"node20","routes":[{"path":"/end","body":"bye","then":"close"},{"path":"*","body":"secret"}]}}`,
		`{"v":1,"server":{"runtime":"go","routes":[{"path":"/end","body":"bye","then":"shutdown"},{"path":"*","body":"secret"}]}}`,
	}
	var ps []*page
	defer func() { closeAll(ps) }()
	for _, sc := range scs {
		p, err := openPage(ctx, e.t.URL)
		if err != nil {
			return "", err
		}
		ps = append(ps, p)
		p.send(wire.Msg{Type: wire.Load, Scenario: json.RawMessage(sc)})
		if _, err := p.until(5*time.Second, isType(wire.Loaded)); err != nil {
			return "", err
		}
	}
	open := e.demoPorts()
	answered := 0
	for _, port := range open {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err != nil {
			continue // reset before the connect returned
		}
		c.Write([]byte("GET /end HTTP/1.1\r\nHost: demo\r\n\r\n"))
		c.SetReadDeadline(time.Now().Add(time.Second))
		b, _ := io.ReadAll(io.LimitReader(c, 1000))
		c.Close()
		if len(b) > 0 {
			answered++
		}
	}
	for i, p := range ps {
		if _, err := p.sync(uint64(10 + i)); err != nil {
			return "", err
		}
		for _, ev := range p.events {
			if ev.Kind == timeline.Accept || ev.Kind == timeline.CloseCalled || ev.Kind == timeline.ShutdownCalled {
				return "", fail("a session's timeline shows a stranger: %s", ev.Kind)
			}
		}
	}
	if len(open) < len(ps) {
		return "", fmt.Errorf("found %d open demo ports for %d sessions", len(open), len(ps))
	}
	if answered > 0 {
		return "", fail("%d of %d demo servers answered a stranger", answered, len(open))
	}
	return fmt.Sprintf("%d demo ports, every connection reset unanswered; no route ran, no timeline shows them", len(open)), nil
}

// nestedTitle is a scenario whose title is an array nested n deep.
func nestedTitle(n int) []byte {
	return []byte(`{"v":1,"server":{"runtime":"node26"},"title":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`)
}

func deepNesting(ctx context.Context, e *env) (string, error) {
	p, err := openPage(ctx, e.t.URL)
	if err != nil {
		return "", err
	}
	defer p.close()
	before := e.t.Stats().RSS
	doc := nestedTitle(9990)
	var said string
	for range 20 {
		if err := p.send(wire.Msg{Type: wire.Load, Scenario: doc}); err != nil {
			return "", err
		}
		m, err := p.until(10*time.Second, func(m wire.Msg) bool { return m.Type == wire.Error || m.Type == wire.Loaded })
		if err != nil {
			return "", err
		}
		if m.Type != wire.Error || !strings.Contains(m.Message, "nested more than") {
			return "", fail("answered %s %q", m.Type, m.Message)
		}
		said = m.Message
	}
	grown := e.peakNow().RSS - before
	if grown > 32<<20 {
		return "", fail("the server grew by %.1f MiB", float64(grown)/(1<<20))
	}
	return fmt.Sprintf("refused: %q; the server grew by %.1f MiB", said, float64(grown)/(1<<20)), nil
}

func runInput(ctx context.Context, e *env) (string, error) {
	payload, err := fragment.Encode(nestedTitle(9990))
	if err != nil {
		return "", err
	}
	// A child's peak RSS starts from its parent's at the fork (they share
	// memory until the exec): measure against a run that reads nothing.
	base := exec.CommandContext(ctx, e.cfg.Binary, "help")
	if err := base.Run(); err != nil {
		return "", err
	}
	baseline := base.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	var obs []string
	for _, arg := range []string{"/dev/zero", scenario.LinkPrefix + payload} {
		cmd := exec.CommandContext(ctx, e.cfg.Binary, "run", arg)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return "", fmt.Errorf("run %s: %v", arg, err)
		}
		peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
		name := arg
		if len(name) > 20 {
			name = fmt.Sprintf("a %d-character link", len(arg))
		}
		o := fmt.Sprintf("%s: exit %d, %q, peak RSS %.1f MiB", name, ee.ExitCode(), strings.TrimSpace(stderr.String()), float64(peak)/(1<<20))
		if ee.ExitCode() != 2 || peak > baseline+32<<20 {
			return "", fail("%s", o)
		}
		obs = append(obs, o)
	}
	return strings.Join(obs, "; "), nil
}

func pendingWrites(ctx context.Context, e *env) (string, error) {
	n := 20 // the most one address may open: the worst case per address
	if e.quick {
		n = 4
	}
	ps, err := pages(ctx, e.t.URL, n)
	if err != nil {
		return "", err
	}
	defer closeAll(ps)
	time.Sleep(200 * time.Millisecond)
	before := e.t.Stats()
	chunk, err := wire.Encode(wire.Msg{Type: wire.Write, Conn: "A", Data: make([]byte, wire.MaxWriteBytes), At: new(100_000.0)})
	if err != nil {
		return "", err
	}
	var wg sync.WaitGroup
	refused := make([]int, n)
	errs := make([]error, n)
	for i, p := range ps {
		wg.Go(func() {
			for range session.MaxPending {
				if errs[i] = p.raw(chunk); errs[i] != nil {
					return
				}
			}
			_, errs[i] = p.sync(1)
			for _, m := range p.errs {
				if strings.Contains(m.Message, "memory budget") {
					refused[i]++
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", fail("a session broke: %v", err)
	}
	all := 0
	for _, r := range refused {
		all += r
		if r == 0 {
			return "", fail("a session's writes were all taken")
		}
	}
	return e.perSession(fmt.Sprintf("%d sessions: %d of %d writes refused with a sentence naming the budget", n, all, n*session.MaxPending), before, n)
}

func noReader(ctx context.Context, e *env) (string, error) {
	const n = 20
	ps, err := pages(ctx, e.t.URL, n)
	if err != nil {
		return "", err
	}
	defer closeAll(ps)
	time.Sleep(200 * time.Millisecond)
	before := e.t.Stats()
	// Requests the demo server answers, as many as a write holds: the
	// answers come back as events the page never reads. A load starts a
	// new run, so the per-run byte limit does not stop it first.
	req := "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"
	data := []byte(strings.Repeat(req, wire.MaxWriteBytes/len(req)))
	raw, _ := scenario.Marshal(new(scenario.Default()))
	load, _ := wire.Encode(wire.Msg{Type: wire.Load, Scenario: raw})
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Go(func() {
			for run := 0; run < 8 && ctx.Err() == nil; run++ {
				if p.raw(load) != nil {
					return
				}
				for i := range 32 {
					m, _ := wire.Encode(wire.Msg{Type: wire.Write, Conn: fmt.Sprintf("C%d", i%8), Data: data})
					if p.raw(m) != nil {
						return // the server has stopped reading this page
					}
				}
			}
		})
	}
	wg.Wait()
	start := time.Now()
	left := n
	for time.Since(start) < 45*time.Second && ctx.Err() == nil {
		if left = e.sessions(); left == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	o := fmt.Sprintf("%d sessions that never read: %d still open after %v", n, left, time.Since(start).Round(100*time.Millisecond))
	if left > 0 {
		return "", fail("%s", o)
	}
	return e.perSession(o, before, n)
}

// heldPerSession bounds what one attacking session may add to the
// server's live heap: its budget, its connections' buffers (at most
// session.MaxConns, a read buffer on each side) and its demo server's
// queues.
const heldPerSession = session.MemoryBudget + 4<<20

// perSession reports what n sessions added to the server at the peak of
// an attack, and fails when one held more than heldPerSession.
func (e *env) perSession(o string, before Stats, n int) (string, error) {
	peak := e.peakNow()
	heap, rss := (peak.Heap-before.Heap)/int64(n), (peak.RSS-before.RSS)/int64(n)
	o = fmt.Sprintf("%s; at the peak the live heap grew %.1f MiB (%.1f MiB a session), RSS %.1f MiB (%.1f MiB a session)",
		o, mib(peak.Heap-before.Heap), mib(heap), mib(peak.RSS-before.RSS), mib(rss))
	if heap > heldPerSession {
		return "", fail("%s: over %.0f MiB a session", o, mib(heldPerSession))
	}
	return o, nil
}

// sessions is the server's count of live sessions.
func (e *env) sessions() int {
	resp, err := http.Get(e.t.URL + "/healthz")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var h struct{ Sessions int }
	if json.NewDecoder(resp.Body).Decode(&h) != nil {
		return -1
	}
	return h.Sessions
}

func bigMessages(ctx context.Context, e *env) (string, error) {
	p, err := openPage(ctx, e.t.URL)
	if err != nil {
		return "", err
	}
	defer p.close()
	var routes, bad []string
	for i := range scenario.MaxRoutes {
		routes = append(routes, fmt.Sprintf(`{"path":"/r%d","body":"%s"}`, i, strings.Repeat("'", 1900)))
	}
	for i := range 400 {
		bad = append(bad, fmt.Sprintf(`{"path":"bad%d","status":%d}`, i, 1000+i))
	}
	var obs []string
	for _, tc := range []struct {
		name, sc string
		want     string
	}{
		{"32 routes", `{"v":1,"server":{"runtime":"node20","routes":[` + strings.Join(routes, ",") + `]}}`, wire.Loaded},
		{"400 problems", `{"v":1,"server":{"runtime":"node20","routes":[` + strings.Join(bad, ",") + `]}}`, wire.Error},
	} {
		if err := p.send(wire.Msg{Type: wire.Load, Scenario: []byte(tc.sc)}); err != nil {
			return "", err
		}
		m, err := p.until(10*time.Second, func(m wire.Msg) bool { return m.Type == wire.Loaded || m.Type == wire.Error })
		if err != nil {
			return "", fail("%s: %v", tc.name, err)
		}
		if m.Type != tc.want {
			return "", fail("%s: a %s message", tc.name, m.Type)
		}
		b, _ := wire.Encode(m)
		obs = append(obs, fmt.Sprintf("%s: %s of %d KB", tc.name, m.Type, len(b)/1000))
	}
	if err := p.send(wire.Msg{Type: wire.Write, Conn: "A", Data: make([]byte, 12<<10)}); err != nil {
		return "", err
	}
	if _, err := p.until(5*time.Second, isEvent("A", timeline.Send)); err != nil {
		return "", fail("the 12 KiB write: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	pong, err := p.sync(77)
	if err != nil {
		return "", err
	}
	// Messages arrive in order: by the pong, the page has every event the
	// session sent since it began.
	o := fmt.Sprintf("12 KiB of NUL: its send event arrived; the page received %d events, the server sent %d", len(p.events), pong.Sent)
	if uint64(len(p.events)) != pong.Sent {
		return "", fail("%s; %s", strings.Join(obs, "; "), o)
	}
	obs = append(obs, o)
	return strings.Join(obs, "; "), nil
}

func outOfFiles(ctx context.Context, e *env) (string, error) {
	before := e.t.Stats()
	if err := e.t.Limit(uint64(before.FDs + 24)); err != nil {
		return "", fmt.Errorf("lower the server's open-file limit: %w", err)
	}
	var ps []*page
	defer func() { closeAll(ps) }()
	told, refused := 0, 0
	for i := 0; i < 8 && told == 0 && ctx.Err() == nil; i++ {
		p, err := openPage(ctx, e.t.URL)
		if err != nil {
			refused++ // the WebSocket itself could not be taken
			continue
		}
		ps = append(ps, p)
		for c := range 4 {
			p.send(wire.Msg{Type: wire.Write, Conn: fmt.Sprintf("K%d", c), Data: []byte("GET / HTTP/1.1\r\nHost: demo\r\n\r\n")})
		}
		if _, err := p.sync(uint64(i + 1)); err != nil {
			return "", err
		}
		time.Sleep(50 * time.Millisecond)
		p.sync(uint64(i + 100))
		for _, m := range p.errs {
			if strings.Contains(m.Message, "too many open files") {
				told++
			}
		}
		for _, ev := range p.events {
			if ev.Kind == timeline.Refused {
				return "", fail("running out of files showed as refused: %s", ev.Error)
			}
		}
	}
	if told == 0 {
		return "", fail("no session was told (%d WebSockets refused)", refused)
	}
	closeAll(ps)
	ps = nil
	time.Sleep(500 * time.Millisecond)
	p, err := openPage(ctx, e.t.URL)
	if err != nil {
		return "", fail("after files were free again: %v", err)
	}
	ps = append(ps, p)
	p.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("GET / HTTP/1.1\r\nHost: demo\r\n\r\n")})
	if _, err := p.until(5*time.Second, func(m wire.Msg) bool {
		return m.Type == wire.Ev && m.Event.Conn == "A" && m.Event.Kind == timeline.Recv
	}); err != nil {
		return "", fail("after files were free again, no answer: %v", err)
	}
	return fmt.Sprintf("with %d open files allowed: %d sentences about open files, %d WebSockets refused at the door, no `refused` event; afterwards a new session was answered", before.FDs+24, told, refused), nil
}

// wasmPath finds the page's program in the page, or "" when the page has
// not been built.
func wasmPath(base string) string {
	resp, err := http.Get(base + "/")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(regexp.MustCompile(`/?assets/main-[A-Za-z0-9_-]+\.wasm`).Find(b))
}

// SlowClients opens the slow clients of the attacks on the HTTP side:
// downloads of the page's program (main.wasm, or the page itself when it
// is not built) that never read, through a small receive buffer, request
// bodies and header blocks that trickle in and never end. It says what the
// downloads fetch.
func SlowClients(base string, downloads, bodies, headers int) ([]net.Conn, string, error) {
	addr := strings.TrimPrefix(base, "http://")
	wasm := wasmPath(base)
	what := "main.wasm"
	if wasm == "" {
		wasm, what = "/", "the page (not built: no main.wasm)"
	}
	wasm = "/" + strings.TrimPrefix(wasm, "/")
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	var cs []net.Conn
	open := func(req string) error {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			return err
		}
		c.Write([]byte(req))
		cs = append(cs, c)
		return nil
	}
	for range downloads {
		if err := open("GET " + wasm + " HTTP/1.1\r\nHost: " + addr + "\r\nAccept-Encoding: identity\r\n\r\n"); err != nil {
			return cs, what, err
		}
	}
	for range bodies {
		if err := open("POST / HTTP/1.1\r\nHost: " + addr + "\r\nContent-Length: 100000\r\n\r\nxx"); err != nil {
			return cs, what, err
		}
	}
	for range headers {
		if err := open("GET / HTTP/1.1\r\nHost: " + addr + "\r\nX-Slow: "); err != nil {
			return cs, what, err
		}
	}
	return cs, what, nil
}

func closeConns(cs []net.Conn) {
	for _, c := range cs {
		c.Close()
	}
}

func slowClientsShutdown(ctx context.Context, e *env) (string, error) {
	p, err := openPage(ctx, e.t.URL)
	if err != nil {
		return "", err
	}
	defer p.close()
	cs, what, err := SlowClients(e.t.URL, 100, 100, 20)
	defer closeConns(cs)
	if err != nil {
		return "", err
	}
	time.Sleep(300 * time.Millisecond)
	type result struct {
		code int
		took time.Duration
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, took, err := e.t.Stop()
		done <- result{code, took, err}
	}()
	bye := false
	if _, err := p.until(3*time.Second, isType(wire.Bye)); err == nil {
		bye = true
	}
	code, _ := p.closed(3 * time.Second)
	status := 0
	if resp, err := http.Get(e.t.URL + "/healthz"); err == nil {
		status = resp.StatusCode
		resp.Body.Close()
	}
	refusedWith := 0
	if c, _, err := websocket.DefaultDialer.Dial(wsURL(e.t.URL), http.Header{"Origin": {e.t.URL}}); err == nil {
		q := &page{c: c}
		refusedWith, _ = q.closed(3 * time.Second)
		c.Close()
	}
	r := <-done
	if r.err != nil {
		return "", r.err
	}
	o := fmt.Sprintf("downloads of %s; the page got bye %v and close %d; while draining /healthz said %d and a new session got close %d; exit %d after %v",
		what, bye, code, status, refusedWith, r.code, r.took.Round(10*time.Millisecond))
	if !bye || code != websocket.CloseServiceRestart || status != http.StatusServiceUnavailable || refusedWith != websocket.CloseServiceRestart || r.code != 0 || r.took > 5*time.Second {
		return "", fail("%s", o)
	}
	return o, nil
}

func slowClientsTimeouts(ctx context.Context, e *env) (string, error) {
	before := e.t.Stats()
	cs, what, err := SlowClients(e.t.URL, 100, 100, 0)
	defer closeConns(cs)
	if err != nil {
		return "", err
	}
	time.Sleep(time.Second)
	held := e.t.Stats().FDs - before.FDs
	start := time.Now()
	for time.Since(start) < 45*time.Second && ctx.Err() == nil {
		if e.t.Stats().FDs <= before.FDs+2 {
			break
		}
		time.Sleep(time.Second)
	}
	left := e.t.Stats().FDs - before.FDs
	o := fmt.Sprintf("200 slow clients (downloads of %s) held %d files; %d left %v later", what, held, max(left, 0), time.Since(start).Round(time.Second))
	if left > 2 {
		return "", fail("%s", o)
	}
	return o, nil
}

func oversizedFrame(ctx context.Context, e *env) (string, error) {
	p, err := openPage(ctx, e.t.URL)
	if err != nil {
		return "", err
	}
	defer p.close()
	p.raw([]byte(`{"type":"load","scenario":{"v":1,"title":"` + strings.Repeat("x", 100_000) + `"}}`))
	code, reason := p.closed(5 * time.Second)
	o := fmt.Sprintf("close %d %q", code, reason)
	if code != 4003 || !strings.Contains(reason, "larger than") {
		return "", fail("%s", o)
	}
	return o, nil
}

func rateLimitWarning(ctx context.Context, e *env) (string, error) {
	for try := range 10 {
		p, err := openPage(ctx, e.t.URL)
		if err != nil {
			return "", err
		}
		for i := range 60 {
			p.send(wire.Msg{Type: wire.Ping, Seq: uint64(100 + i)})
		}
		code, _ := p.closed(5 * time.Second)
		p.close()
		warned := slices.ContainsFunc(p.errs, func(m wire.Msg) bool { return strings.Contains(m.Message, "some were ignored") })
		if code != 4006 || !warned {
			return "", fail("try %d: warned %v, close %d", try, warned, code)
		}
	}
	return "10 of 10: the warning, then close 4006", nil
}

func wireKeys(ctx context.Context, e *env) (string, error) {
	var obs []string
	for _, msg := range []string{`{"type":"open","conn":"B","CONN":"C"}`, `{"type":"open","conn":"B","conn":"C"}`} {
		p, err := openPage(ctx, e.t.URL)
		if err != nil {
			return "", err
		}
		p.raw([]byte(msg))
		code, reason := p.closed(5 * time.Second)
		p.close()
		for _, ev := range p.events {
			if ev.Kind == timeline.Connect {
				return "", fail("%s opened %s", msg, ev.Conn)
			}
		}
		if code != 4003 || !strings.Contains(reason, "field") {
			return "", fail("%s: close %d %q", msg, code, reason)
		}
		obs = append(obs, fmt.Sprintf("close %d %q", code, reason))
	}
	return strings.Join(obs, "; "), nil
}

func originAndHost(ctx context.Context, e *env) (string, error) {
	hostport := strings.TrimPrefix(e.t.URL, "http://")
	var obs []string
	for _, h := range []http.Header{
		{"Origin": {"http://evil@" + hostport}},
		{"Origin": {"http://attacker.example:" + hostport[strings.LastIndexByte(hostport, ':')+1:]}, "Host": {"attacker.example"}},
	} {
		c, resp, err := websocket.DefaultDialer.DialContext(ctx, wsURL(e.t.URL), h)
		if err == nil {
			c.Close()
			return "", fail("a session was opened with %v", h)
		}
		if resp == nil {
			return "", err
		}
		obs = append(obs, fmt.Sprintf("%s: %s", h.Get("Origin"), resp.Status))
	}
	return strings.Join(obs, "; "), nil
}
