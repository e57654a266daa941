package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/keepalive-playground/playground/backend/load"
	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/backend/server"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/web"
)

// fdsPerSession is what one session in a lesson holds open: its
// WebSocket, its demo server's listener, and a few virtual connections
// with both ends in this process.
const fdsPerSession = 8

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times; Linux
// fixes it at 100 for user space.
const clockTicks = 100

// loadCmd is `playground load`: simulate a class against a playground and
// print what it measured. Exit 0 when nothing was lost or failed, 1
// otherwise, 2 on bad input.
func loadCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "playground to load (http://host:port); empty starts one (see -inprocess)")
	inprocess := fs.Bool("inprocess", false, "without -addr: serve in this process rather than in a child playground serve process")
	sessions := fs.Int("sessions", 1000, "simulated browsers")
	duration := fs.Duration("duration", 30*time.Second, "how long the browsers keep starting runs once all are connected")
	ramp := fs.Duration("ramp", 5*time.Second, "spread the connects over this long")
	lockstep := fs.Bool("lockstep", false, "start every browser's first run at the same instant (default: spread over one run, as a class does)")
	cpuProfile := fs.String("cpuprofile", "", "write the load generator's own CPU profile to this file (the server's: serve -debug-addr)")
	scen := fs.String("scenario", "", "scenario FILE or LINK each browser runs (default: answer 2, Node 20 socket timeout)")
	proxyKind := fs.String("proxy", "", "run answer 2 behind a proxy of this kind (nginx, go or alb) instead")
	idleLoaded := fs.Bool("idle-loaded", false, "weigh idle sessions with the run's scenario loaded (its demo server, and its proxy if any), not the default one")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: playground load [flags]")
		fs.PrintDefaults()
	}
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	if fs.NArg() != 0 || *sessions <= 0 {
		fs.Usage()
		return 2
	}
	var raw []byte
	if *proxyKind != "" && *scen != "" {
		fmt.Fprintln(stderr, "playground load: -proxy and -scenario exclude each other (put the proxy in the scenario)")
		return 2
	}
	if *proxyKind != "" {
		var err error
		if raw, err = load.ProxyScenario(*proxyKind); err != nil {
			fmt.Fprintf(stderr, "playground load: %v\n", err)
			return 2
		}
	}
	if *scen != "" {
		sc, _, err := loadScenario(*scen)
		if err == nil {
			raw, err = scenario.Marshal(sc)
		}
		if err != nil {
			fmt.Fprintf(stderr, "playground load: %v\n", err)
			return 2
		}
	}
	limit, err := raiseFDLimit()
	if err != nil {
		fmt.Fprintf(stderr, "playground load: %v\n", err)
	}
	// Both ends of every socket live on this machine.
	if need := uint64(*sessions) * fdsPerSession; limit < need {
		fmt.Fprintf(stderr, "playground load: warning: the open-file limit is %d, %d sessions need about %d (raise ulimit -Hn)\n", limit, *sessions, need)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	target := *addr
	var srv *measured
	if target == "" {
		if *inprocess {
			srv, err = serveInProcess(*sessions)
		} else {
			srv, err = serveChild(ctx, *sessions, stderr)
		}
		if err != nil {
			fmt.Fprintf(stderr, "playground load: start a playground: %v\n", err)
			return 1
		}
		defer srv.stop()
		target = srv.url
	}

	starts := "first runs spread over one run"
	if *lockstep {
		starts = "all first runs at once"
	}
	fmt.Fprintf(stdout, "load: %d sessions against %s for %v, %s (open-file limit %d)\n", *sessions, target, *duration, starts, limit)
	var base, idle sample
	if srv != nil {
		base = srv.sample()
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(stderr, "playground load: cpu profile: %v\n", err)
			return 2
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	var cpuStart sample
	rep, err := load.Run(ctx, load.Config{
		URL:            target,
		Sessions:       *sessions,
		Duration:       *duration,
		Scenario:       raw,
		Ramp:           *ramp,
		Lockstep:       *lockstep,
		LoadBeforeIdle: *idleLoaded,
		Idle: func() {
			if srv != nil {
				// Let the connects settle, then weigh the idle sessions.
				time.Sleep(time.Second)
				idle = srv.sample()
				cpuStart = idle
			}
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "playground load: %v\n", err)
		return 2
	}
	var end sample
	if srv != nil {
		end = srv.sample()
	}
	printReport(stdout, rep, srv, base, idle, cpuStart, end)
	if rep.Errors > 0 || rep.Lost > 0 || rep.Failed > 0 || rep.Sessions < *sessions {
		return 1
	}
	return 0
}

func printReport(w io.Writer, rep *load.Report, srv *measured, base, idle, cpuStart, end sample) {
	fmt.Fprintf(w, "sessions ready     %d (connected in %v)\n", rep.Sessions, rep.Connect.Round(time.Millisecond))
	fmt.Fprintf(w, "runs               %d in %v\n", rep.Runs, rep.Running.Round(time.Millisecond))
	fmt.Fprintf(w, "events             %d (%.0f/s)\n", rep.Events, float64(rep.Events)/rep.Running.Seconds())
	fmt.Fprintf(w, "lost events        %d (the server sent %d by the last pongs)\n", rep.Lost, rep.Sent)
	fmt.Fprintf(w, "errors             %d\n", rep.Errors)
	for _, s := range rep.Samples {
		fmt.Fprintf(w, "  %s\n", s)
	}
	fmt.Fprintf(w, "checks failed      %d of %d\n", rep.Failed, rep.ChecksRun)
	names := make([]string, 0, len(rep.FailedBy))
	for n := range rep.FailedBy {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %5d  %s\n", rep.FailedBy[n], n)
	}
	for _, r := range rep.FailedRuns {
		fmt.Fprintf(w, "  %s\n", r)
	}
	fmt.Fprintf(w, "event latency      p50 %.1f ms  p99 %.1f ms  max %.1f ms\n", ms(rep.P50), ms(rep.P99), ms(rep.Max))
	if srv == nil || rep.Sessions == 0 {
		return
	}
	n := float64(rep.Sessions)
	fmt.Fprintf(w, "server (%s, pid %d):\n", srv.kind, srv.pid)
	fmt.Fprintf(w, "  RSS                %.1f MiB before, %.1f MiB idle, %.1f MiB at the end\n", mib(base.rss), mib(idle.rss), mib(end.rss))
	fmt.Fprintf(w, "  RSS per idle session   %.1f KiB\n", float64(idle.rss-base.rss)/n/1024)
	if srv.kind == "in-process" {
		fmt.Fprintf(w, "  Go heap per idle session %.1f KiB (HeapInuse+StackInuse, clients included)\n", float64(idle.heap-base.heap)/n/1024)
		fmt.Fprintf(w, "  goroutines         %d before, %d idle\n", base.goroutines, idle.goroutines)
	}
	wall := end.at.Sub(cpuStart.at).Seconds()
	cpu := (end.cpu - cpuStart.cpu).Seconds()
	fmt.Fprintf(w, "  CPU while running  %.1f s user+sys over %.1f s wall = %.2f cores (%d cores here)\n", cpu, wall, cpu/wall, runtime.NumCPU())
	if srv.kind == "in-process" {
		fmt.Fprintln(w, "  (in-process: the figures include the simulated browsers)")
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mib(b int64) float64        { return float64(b) / (1 << 20) }

// measured is a playground the load command started, and how to weigh it.
type measured struct {
	kind string // "child" or "in-process"
	url  string
	pid  int
	stop func()
}

type sample struct {
	at         time.Time
	rss        int64
	cpu        time.Duration
	heap       int64 // in-process only
	goroutines int   // in-process only
}

func (m *measured) sample() sample {
	s := sample{at: time.Now()}
	if m.kind == "in-process" {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s.heap = int64(ms.HeapInuse + ms.StackInuse)
		s.goroutines = runtime.NumGoroutine()
	}
	s.rss, s.cpu = procStats(m.pid)
	return s
}

// procStats reads a process's resident memory and CPU time from /proc.
func procStats(pid int) (rss int64, cpu time.Duration) {
	if f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				rss = kb << 10
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// The command name may hold spaces; the fields after it do not.
		if i := strings.LastIndexByte(string(b), ')'); i > 0 {
			f := strings.Fields(string(b[i+1:]))
			if len(f) > 12 {
				utime, _ := strconv.ParseInt(f[11], 10, 64)
				stime, _ := strconv.ParseInt(f[12], 10, 64)
				cpu = time.Duration(utime+stime) * time.Second / clockTicks
			}
		}
	}
	return rss, cpu
}

// serveInProcess serves the playground from this process, sized for n
// sessions from one address.
func serveInProcess(n int) (*measured, error) {
	pg := server.New(server.Options{
		Assets:           web.Dist(),
		Runtimes:         all.Runtimes(),
		MaxSessions:      n,
		MaxSessionsPerIP: n,
		Log:              slog.New(slog.DiscardHandler),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: pg, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return &measured{kind: "in-process", url: "http://" + ln.Addr().String(), pid: os.Getpid(), stop: func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		pg.Shutdown(ctx)
		hs.Shutdown(ctx)
	}}, nil
}

// serveChild starts `playground serve` (this binary) sized for n
// sessions from one address.
func serveChild(ctx context.Context, n int, stderr io.Writer) (*measured, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c, err := startServe(ctx, exe, stderr, "-max-sessions", strconv.Itoa(n), "-max-sessions-per-ip", strconv.Itoa(n))
	if err != nil {
		return nil, err
	}
	return &measured{kind: "child", url: c.url, pid: c.cmd.Process.Pid, stop: func() {
		switch code, _, err := c.stop(); {
		case err != nil:
			fmt.Fprintf(stderr, "playground load: %v\n", err)
		case code != 0:
			fmt.Fprintf(stderr, "playground load: the server exited with %d\n", code)
		}
	}}, nil
}

// child is a `playground serve` that this command started.
type child struct {
	cmd  *exec.Cmd
	url  string
	done chan error // cmd.Wait's

	once   sync.Once
	code   int
	took   time.Duration
	endErr error
}

// startServe starts `exe serve` with args on a free loopback port and
// waits for its /healthz.
func startServe(ctx context.Context, exe string, stderr io.Writer, args ...string) (*child, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(exe, append([]string{"serve", "-addr", addr, "-log-level", "warn"}, args...)...)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, url: "http://" + addr, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	for i := 0; ; i++ {
		resp, err := http.Get(c.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, nil
			}
		}
		if i == 100 || ctx.Err() != nil {
			c.stop()
			return nil, errors.Join(errors.New("the server did not come up"), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for the exit (killing the server if it
// takes twice what it promises): its code, and how long it took. Calls
// after the first return the first one's answer.
func (c *child) stop() (code int, took time.Duration, err error) {
	c.once.Do(func() { c.code, c.took, c.endErr = c.terminate() })
	return c.code, c.took, c.endErr
}

func (c *child) terminate() (code int, took time.Duration, err error) {
	start := time.Now()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		took = time.Since(start)
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), took, nil
		}
		return 0, took, err
	case <-time.After(2 * shutdownTimeout):
		c.cmd.Process.Kill()
		<-c.done
		return -1, time.Since(start), errors.New("the server did not stop on SIGTERM")
	}
}

// raiseFDLimit lifts the soft open-file limit to the hard one and returns
// it. (Go's runtime does this at start on Linux already; doing it here
// keeps the figure honest and the behaviour explicit.) Every session is a
// WebSocket, a listener and its connections; the hard limit can only be
// raised by the operator.
func raiseFDLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("read the open-file limit: %w", err)
	}
	if lim.Cur < lim.Max {
		want := lim
		want.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			return lim.Cur, fmt.Errorf("raise the open-file limit to %d: %w", lim.Max, err)
		}
		lim = want
	}
	return lim.Cur, nil
}
