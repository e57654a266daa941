package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/keepalive-playground/playground/backend/attack"
)

// attackCmd is `playground attack`: run the attack suite against servers
// this command starts on loopback. Exit 0 when every attack went as
// expected, 1 otherwise, 2 on bad input.
func attackCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("attack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "only the attacks that take a few seconds (make test runs these)")
	only := fs.String("only", "", "only the attacks whose name contains this")
	serverBin := fs.String("server", "", "the playground binary to attack (default: this one), e.g. an older build to compare")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: playground attack [-quick] [-only NAME] [-server BINARY]")
		fs.PrintDefaults()
	}
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	exe := *serverBin
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			fmt.Fprintf(stderr, "playground attack: %v\n", err)
			return 2
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintln(stdout, "attack: the probes of issue 11 against `playground serve` on loopback")
	ok, err := attack.Run(ctx, attack.Config{
		Start:  func(args ...string) (*attack.Target, error) { return startTarget(ctx, exe, stderr, args) },
		Binary: exe,
		Quick:  *quick,
		Only:   *only,
		Out:    stdout,
	})
	if err != nil {
		fmt.Fprintf(stderr, "playground attack: %v\n", err)
		return 2
	}
	if !ok {
		return 1
	}
	return 0
}

// startTarget starts a server for the suite with its profiler on a private
// loopback port, from which its goroutines are counted.
func startTarget(ctx context.Context, exe string, stderr io.Writer, args []string) (*attack.Target, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	debug := ln.Addr().String()
	ln.Close()
	c, err := startServe(ctx, exe, stderr, append([]string{"-debug-addr", debug}, args...)...)
	if err != nil {
		return nil, err
	}
	pid := c.cmd.Process.Pid
	return &attack.Target{
		URL: c.url,
		Stats: func() attack.Stats {
			rss, _ := procStats(pid)
			return attack.Stats{RSS: rss, Heap: liveHeap(debug), FDs: countFDs(pid), Goroutines: goroutines(debug)}
		},
		Limit: func(n uint64) error { return setFileLimit(pid, n) },
		Ports: func() []int { return listeningPorts(pid) },
		Stop:  c.stop,
	}, nil
}

// listeningPorts lists the loopback TCP ports a process listens on: its
// sockets' inodes (/proc/PID/fd) among the listening sockets of
// /proc/net/tcp.
func listeningPorts(pid int) []int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil
	}
	inodes := map[string]bool{}
	for _, e := range ents {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name())); err == nil {
			if ino, ok := strings.CutPrefix(l, "socket:["); ok {
				inodes[strings.TrimSuffix(ino, "]")] = true
			}
		}
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/tcp", pid))
	if err != nil {
		return nil
	}
	defer f.Close()
	var ports []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != "0A" || !inodes[fields[9]] {
			continue
		}
		_, hexPort, _ := strings.Cut(fields[1], ":")
		if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil {
			ports = append(ports, int(p))
		}
	}
	return ports
}

func countFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// profileLines hands each line of one of the profiler's text profiles to
// each, until it returns false; false when the profile could not be read.
func profileLines(debugAddr, query string, each func(line string) bool) bool {
	resp, err := http.Get("http://" + debugAddr + "/debug/pprof/" + query)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && each(sc.Text()) {
	}
	return sc.Err() == nil
}

// liveHeap estimates the heap in use at a collection from the heap
// profile (gc=1 collects first): the sum of its records' in-use bytes,
// each scaled up from the sampling as pprof does (scaleHeapSample in
// runtime/pprof). MemStats' HeapAlloc would also count what the server
// allocated after the collection, a lot under attack.
func liveHeap(debugAddr string) int64 {
	rate, total := 0.0, 0.0
	ok := profileLines(debugAddr, "heap?debug=1&gc=1", func(line string) bool {
		var objects, bytes, allocObjects, allocBytes, r float64
		if rate == 0 {
			// heap profile: 4: 11264 [12: 57344] @ heap/1048576 (twice the rate)
			if _, err := fmt.Sscanf(line, "heap profile: %g: %g [%g: %g] @ heap/%g", &objects, &bytes, &allocObjects, &allocBytes, &r); err != nil || r == 0 {
				return false
			}
			rate = r / 2
			return true
		}
		if strings.HasPrefix(line, "# runtime.MemStats") {
			return false // after the records
		}
		if _, err := fmt.Sscanf(line, "%g: %g [", &objects, &bytes); err == nil && objects > 0 && bytes > 0 {
			total += bytes / (1 - math.Exp(-bytes/objects/rate))
		}
		return true
	})
	if !ok || rate == 0 {
		return -1
	}
	return int64(total)
}

// goroutines reads the count from the profiler's first line:
// "goroutine profile: total 23".
func goroutines(debugAddr string) int {
	n := -1
	profileLines(debugAddr, "goroutine?debug=1", func(line string) bool {
		if _, total, ok := strings.Cut(strings.TrimSpace(line), "total "); ok {
			if v, err := strconv.Atoi(total); err == nil {
				n = v
			}
		}
		return false
	})
	return n
}

// setFileLimit sets another process's open-file limit, soft and hard, with
// prlimit(2), which package syscall does not wrap.
func setFileLimit(pid int, n uint64) error {
	lim := syscall.Rlimit{Cur: n, Max: n}
	_, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_NOFILE, uintptr(unsafe.Pointer(&lim)), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
