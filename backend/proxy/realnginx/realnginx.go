// Package realnginx runs a real nginx (Debian's nginx 1.22.1 package)
// as a session's proxy: the configuration codeview.NginxConfig renders,
// with every path under a temporary prefix, one worker in the
// foreground, listening on a loopback port. It is the reference the
// emulation in package nginx is held to; it is not meant for serving
// sessions (one process per session).
//
// nginx cannot be watched from inside, so realnginx reports what nginx
// writes down: each line of its error log is a proxy-error event, and
// each line of its access log (a format naming the connection, the
// client's port and the status) a response event on that client
// connection. The bytes, FINs and RSTs on both hops are seen by the
// session's client connections and by the upstream hop, as for any
// proxy.
package realnginx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keepalive-playground/playground/backend/proxy"
	"github.com/keepalive-playground/playground/codeview"
	"github.com/keepalive-playground/playground/timeline"
)

// ErrNoNginx is returned by New when no nginx binary is found.
var ErrNoNginx = errors.New("realnginx: nginx is not installed")

const (
	// startTimeout bounds the wait for nginx to listen.
	startTimeout = 10 * time.Second
	// pollEvery is how often the logs are read.
	pollEvery = 2 * time.Millisecond
)

// Binary finds nginx: on PATH or where Debian installs it (/usr/sbin is
// not on every PATH).
func Binary() (string, error) {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx", nil
	}
	return "", ErrNoNginx
}

// Version is the installed nginx's version ("1.22.1").
func Version() (string, error) {
	bin, err := Binary()
	if err != nil {
		return "", err
	}
	out, err := exec.Command(bin, "-v").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("realnginx: nginx -v: %w", err)
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "nginx version: nginx/")
	if !ok {
		return "", fmt.Errorf("realnginx: nginx -v printed %q", out)
	}
	return strings.Fields(v)[0], nil
}

type realNginx struct {
	cfg  proxy.Config
	cmd  *exec.Cmd
	dir  string
	addr string
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// New starts nginx for cfg. It is a proxy.Factory.
func New(cfg proxy.Config) (proxy.Proxy, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "realnginx-")
	if err != nil {
		return nil, fmt.Errorf("realnginx: temp dir: %w", err)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	conf := codeview.NginxConfig(cfg.Proxy, codeview.NginxOptions{Listen: addr, Upstream: cfg.Upstream, Prefix: dir})
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("realnginx: write config: %w", err)
	}
	for _, f := range []string{"error.log", "access.log"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("realnginx: %w", err)
		}
	}
	// -e: the error log nginx uses before it has read the configuration
	// (Debian's default is under /var/log).
	cmd := exec.Command(bin, "-p", dir, "-c", file, "-e", filepath.Join(dir, "error.log"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("realnginx: start nginx: %w", err)
	}
	n := &realNginx{cfg: cfg, cmd: cmd, dir: dir, addr: addr, stop: make(chan struct{}), done: make(chan struct{})}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(startTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			// A probe connection nginx will log nothing for (no request).
			c.Close()
			break
		}
		select {
		case err := <-exited:
			os.RemoveAll(dir)
			return nil, fmt.Errorf("realnginx: nginx exited (%v): %s", err, strings.TrimSpace(stderr.String()))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			os.RemoveAll(dir)
			return nil, errors.New("realnginx: nginx did not listen in time")
		}
	}
	go func() {
		defer close(n.done)
		n.tail()
		cmd.Process.Kill()
		<-exited
	}()
	return n, nil
}

func (n *realNginx) Addr() string { return n.addr }

// Close stops nginx (SIGKILL: nothing of its shutdown is compared) and
// removes its prefix.
func (n *realNginx) Close() error {
	n.once.Do(func() {
		close(n.stop)
		<-n.done
		os.RemoveAll(n.dir)
	})
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("realnginx: find a port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// errorLine is "2026/12/02 14:00:00 [error] 123#123: *5 message".
var errorLine = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (?:\*(\d+) )?(.*)$`)

// accessLine is AccessLogFormat.
var accessLine = regexp.MustCompile(`^(\d+) (\S+) (\d+) "([^"]*)" "([^"]*)" "([^"]*)"$`)

// tail follows both logs until Close. An error line names its client
// connection by nginx's serial (*N); the access line for the request,
// written when the request ends, maps N to the client's address, so an
// error line waits for it.
func (n *realNginx) tail() {
	errs, _ := os.Open(filepath.Join(n.dir, "error.log"))
	acc, _ := os.Open(filepath.Join(n.dir, "access.log"))
	if errs == nil || acc == nil {
		return
	}
	defer errs.Close()
	defer acc.Close()
	er, ar := bufio.NewReader(errs), bufio.NewReader(acc)
	type held struct {
		t    float64
		line string
	}
	waiting := map[string][]held{} // by connection serial
	var ebuf, abuf string
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		for {
			s, err := er.ReadString('\n')
			ebuf += s
			if err != nil {
				break
			}
			line := strings.TrimRight(ebuf, "\n")
			ebuf = ""
			m := errorLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			waiting[m[2]] = append(waiting[m[2]], held{n.cfg.Now(), "[" + m[1] + "] " + m[3]})
		}
		for {
			s, err := ar.ReadString('\n')
			abuf += s
			if err != nil {
				break
			}
			line := strings.TrimRight(abuf, "\n")
			abuf = ""
			m := accessLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			peer := m[2]
			hadErr := len(waiting[m[1]]) > 0
			for _, h := range waiting[m[1]] {
				n.cfg.Emit(peer, timeline.Event{T: h.t, Kind: timeline.ProxyError, Error: h.line})
			}
			delete(waiting, m[1])
			status, _ := strconv.Atoi(m[3])
			if status == 499 {
				continue // nginx's note that the client left: nothing was sent
			}
			ev := timeline.Event{T: n.cfg.Now(), Kind: timeline.Response, Status: status}
			// nginx answered by itself when no upstream attempt answered,
			// or when the request's last attempt failed (it logged why).
			ups := strings.Split(m[6], ", ")
			if last := ups[len(ups)-1]; last == "-" || (hadErr && (status == 502 || status == 504)) {
				ev.By = timeline.ByProxy
			}
			n.cfg.Emit(peer, ev)
		}
		select {
		case <-n.stop:
			return
		case <-tick.C:
		}
	}
}
