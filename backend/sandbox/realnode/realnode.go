// Package realnode runs the scenario's program under the real Node release
// its runtime is pinned to (the runtime row's Release, fetched by `make
// deps-releases` into the repository's .cache/): the instrumented program
// codeview.Node renders, in a process of its own. It is the reference the
// emulation in package node is tested against; it is not meant for
// serving sessions (one process per session).
//
// The program prints one JSON line per event with the wall-clock time it
// saw it; realnode stamps each on the session clock (Config.Now on
// receipt, less the line's time in the pipe) and passes it to
// Config.Emit. When the process
// ends, the kernel closes the sockets it still had: realnode reports each
// as close by the server with reason exit, as the emulation does.
package realnode

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/codeview"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// startTimeout bounds the wait for the program's listen line.
const startTimeout = 10 * time.Second

// maxLineBytes bounds one event line from the program.
const maxLineBytes = 64 * 1024

// ErrNoRelease is returned (wrapped) by Binary and New when the pinned
// release of a runtime has not been fetched.
var ErrNoRelease = errors.New("release not fetched")

// cacheDir is where `make deps-releases` unpacks each release, relative to
// the repository root: .cache/node-VERSION/bin/node.
const cacheDir = ".cache"

// Binary returns the path of the real node binary of runtime's pinned
// release, found under the repository's .cache/ (the repository being the
// nearest directory above the working directory that holds go.mod).
func Binary(runtime string) (string, error) {
	rt, ok := scenario.Lookup(runtime)
	if !ok || !rt.IsNode() || rt.Release == "" {
		return "", fmt.Errorf("realnode: %q is not a Node runtime with a pinned release", runtime)
	}
	root, err := repoRoot()
	if err != nil {
		return "", fmt.Errorf("realnode: %s: %w", runtime, err)
	}
	bin := filepath.Join(root, cacheDir, "node-"+rt.Release, "bin", "node")
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("realnode: %s: Node %s is not at %s (make deps-releases fetches it): %w",
			runtime, rt.Release, bin, ErrNoRelease)
	}
	return bin, nil
}

// repoRoot is the nearest directory at or above the working directory
// that holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = up
	}
}

// TB is the part of testing.TB that Require uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// Require returns runtime's real binary for a test. A missing release
// skips the test on a developer's machine and fails it under CI
// (CI=true), where `make test` has fetched every release.
func Require(tb TB, runtime string) string {
	tb.Helper()
	bin, err := Binary(runtime)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%v", err)
		}
		tb.Skipf("%v", err)
	}
	return bin
}

// line is one event the instrumented program prints.
type line struct {
	V      int    `json:"v"`
	Kind   string `json:"kind"`
	Port   int    `json:"port"`
	Peer   string `json:"peer"`
	By     string `json:"by"`
	Reason string `json:"reason"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
	// Wall is when the program saw the event, in ms since the epoch.
	Wall float64 `json:"wall"`
}

// maxPipeDelay bounds the correction for a line's time in the pipe: a
// clock that disagrees by more than this is not trusted.
const maxPipeDelay = 100 * time.Millisecond

// stamp is the session-clock time of an event the program saw at wall,
// read at now (session clock) and recv (wall clock): the line's time in
// the pipe (a millisecond or two, more on a loaded machine) is taken off,
// so that a close the program reports is not put after the peer's answer
// to it.
func stamp(now float64, recv time.Time, wall float64) float64 {
	if wall <= 0 {
		return now
	}
	delay := recv.Sub(time.UnixMicro(int64(wall * 1000)))
	if delay <= 0 || delay > maxPipeDelay {
		return now
	}
	// To 0.1 ms, as the session clock reads.
	return max(math.Round((now-float64(delay.Microseconds())/1000)*10)/10, 0)
}

// stamper stamps a program's lines in the order it printed them. The
// program prints in causal order (a response's finish before its socket's
// idle), but each line's pipe delay is measured against two clocks read a
// moment apart, and a line whose delay cannot be trusted falls back to its
// receipt time: without the floor, a later line could be stamped before
// an earlier one, and the timeline would show a socket idle before the
// response that made it idle.
type stamper struct{ last float64 }

func (st *stamper) at(now float64, recv time.Time, wall float64) float64 {
	st.last = max(stamp(now, recv, wall), st.last)
	return st.last
}

type server struct {
	cfg    sandbox.Config
	cmd    *exec.Cmd
	dir    string
	stdin  io.WriteCloser
	cancel context.CancelFunc
	addr   string
	exited chan struct{}
	done   chan struct{} // the reader has finished
	mu     sync.Mutex    // guards stdin writes
	once   sync.Once
	// closing: Close killed the process, so its end is not the program's.
	closing atomic.Bool
}

// New starts the program for cfg.Server under the real release of its
// runtime (see Binary).
func New(cfg sandbox.Config) (sandbox.Server, error) {
	bin, err := Binary(cfg.Server.Runtime)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "realnode-")
	if err != nil {
		return nil, fmt.Errorf("realnode: temp dir: %w", err)
	}
	prog := codeview.Node(scenario.Scenario{V: scenario.Version, Server: cfg.Server}, codeview.NodeOptions{Instrument: true,
		CheckingIntervalMs: int(cfg.CheckingInterval / time.Millisecond)})
	file := filepath.Join(dir, "server.js")
	if err := os.WriteFile(file, []byte(prog), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("realnode: write program: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, file)
	cmd.Dir = dir
	cmd.Stderr = io.Discard
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("realnode: stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("realnode: stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("realnode: start node: %w", err)
	}
	s := &server{cfg: cfg, cmd: cmd, dir: dir, stdin: stdin, cancel: cancel,
		exited: make(chan struct{}), done: make(chan struct{})}
	listening := make(chan int, 1)
	go s.read(stdout, listening)
	select {
	case port := <-listening:
		s.addr = "127.0.0.1:" + strconv.Itoa(port)
		return s, nil
	case <-s.exited:
		s.Close()
		return nil, errors.New("realnode: node exited before listening")
	case <-time.After(startTimeout):
		s.Close()
		return nil, errors.New("realnode: node did not listen in time")
	}
}

// read maps event lines to Emit until the program's stdout ends, then
// waits for the process and reports the kernel's closes.
func (s *server) read(stdout io.Reader, listening chan<- int) {
	defer close(s.done)
	open := map[string]bool{}
	var order []string
	var st stamper
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 4096), maxLineBytes)
	for sc.Scan() {
		now, recv := s.cfg.Now(), time.Now()
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Kind == "" {
			continue // not an event line
		}
		if l.Kind == "listen" {
			select {
			case listening <- l.Port:
			default:
			}
		}
		switch l.Kind {
		case timeline.Accept:
			open[l.Peer] = true
			order = append(order, l.Peer)
		case timeline.Close:
			delete(open, l.Peer)
		}
		s.cfg.Emit(l.Peer, timeline.Event{T: st.at(now, recv, l.Wall), Kind: l.Kind, By: l.By, Reason: l.Reason,
			Method: l.Method, Path: l.Path, Status: l.Status})
	}
	s.cmd.Wait()
	if s.closing.Load() {
		close(s.exited)
		return
	}
	now := max(s.cfg.Now(), st.last)
	for _, peer := range order {
		if open[peer] {
			s.cfg.Emit(peer, timeline.Event{T: now, Kind: timeline.Close, By: timeline.ByServer, Reason: timeline.ReasonExit})
		}
	}
	close(s.exited)
}

func (s *server) Addr() string            { return s.addr }
func (s *server) Exited() <-chan struct{} { return s.exited }

// Control writes the action as a command line to the program's stdin.
func (s *server) Control(action string) error {
	switch action {
	case scenario.ThenClose, scenario.ThenCloseIdle, scenario.ThenCloseAll, scenario.ThenExit:
	default:
		return fmt.Errorf("realnode: no action %q", action)
	}
	select {
	case <-s.exited:
		return errors.New("realnode: the demo process has exited")
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.WriteString(s.stdin, action+"\n"); err != nil {
		return fmt.Errorf("realnode: control %s: %w", action, err)
	}
	return nil
}

// Close kills the process and waits for it.
func (s *server) Close() error {
	s.once.Do(func() {
		s.closing.Store(true)
		s.cancel()
		s.mu.Lock()
		s.stdin.Close()
		s.mu.Unlock()
		<-s.done
		os.RemoveAll(s.dir)
	})
	return nil
}
