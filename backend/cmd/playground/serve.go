package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/backend/server"
	"github.com/keepalive-playground/playground/web"
)

// The end of `serve`, on SIGINT or SIGTERM: for drainPeriod the
// playground goes on serving while /healthz answers 503 and new sessions
// are refused, so that a load balancer takes it out of rotation, and every
// page is told to go; then requests still in flight get stopGrace, the
// connections left (a client that stopped reading) are closed, and every
// session and demo server must have ended by stopTimeout. With the
// default drain, the process exits within shutdownTimeout of the signal.
// A second signal cuts the drain short.
const (
	drainPeriod     = 2 * time.Second
	stopGrace       = 2 * time.Second
	stopTimeout     = 3 * time.Second
	shutdownTimeout = drainPeriod + stopTimeout
)

func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "localhost:8080", "address to listen on")
	dev := fs.Bool("dev", false, "serve web/dist from disk (with go run ./build -watch)")
	origins := fs.String("origins", "", "comma-separated extra origins allowed to open the WebSocket (scheme://host:port)")
	hosts := fs.String("hosts", "", "comma-separated host names the playground answers to besides localhost, IP addresses and -addr's (its public name behind a proxy)")
	drain := fs.Duration("drain", drainPeriod, "on SIGTERM, how long /healthz answers 503 and new sessions are refused before the server stops")
	maxSessions := fs.Int("max-sessions", server.DefaultMaxSessions, "concurrent sessions in all")
	perIP := fs.Int("max-sessions-per-ip", server.DefaultMaxSessionsPerIP, "concurrent sessions per client address")
	lifetime := fs.Duration("session-lifetime", server.DefaultSessionLifetime, "longest a session may live")
	idle := fs.Duration("idle-timeout", server.DefaultIdleTimeout, "end a session after this long without a message from its page")
	rate := fs.Int("max-messages-per-second", server.DefaultMaxMessagesPerSecond, "steady rate of WebSocket messages one page may send")
	burst := fs.Int("message-burst", server.DefaultMessageBurst, "WebSocket messages one page may send at once")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	debugAddr := fs.String("debug-addr", "", "serve Go's profiler (/debug/pprof/) on this address, e.g. localhost:6060; keep it private")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: playground [serve] [flags]\n\nServes the playground on -addr (http://localhost:8080 by default).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(os.Stderr, "playground: -log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))

	opts := server.Options{
		Assets:           web.Dist(),
		Runtimes:         all.Runtimes(),
		MaxSessions:      *maxSessions,
		MaxSessionsPerIP: *perIP,
		SessionLifetime:  *lifetime,
		IdleTimeout:      *idle,
		Log:              log,

		MaxMessagesPerSecond: *rate,
		MessageBurst:         *burst,
	}
	if *dev {
		opts.Assets = os.DirFS("web/dist")
	}
	for _, o := range strings.Split(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			opts.AllowedOrigins = append(opts.AllowedOrigins, o)
		}
	}
	for _, h := range strings.Split(*hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			opts.AllowedHosts = append(opts.AllowedHosts, h)
		}
	}
	if h, _, err := net.SplitHostPort(*addr); err == nil && h != "" {
		opts.AllowedHosts = append(opts.AllowedHosts, h)
	}
	if have, err := raiseFDLimit(); err != nil {
		log.Warn("open-file limit", "err", err)
	} else if need := uint64(*maxSessions) * fdsPerSession; have < need {
		log.Warn("the open-file limit is below what -max-sessions needs; raise the hard limit (ulimit -Hn, systemd LimitNOFILE)",
			"limit", have, "need", need)
	}
	pg := server.New(opts)

	if *debugAddr != "" {
		// The profiler has its own listener and mux, never the public one.
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go func() {
			err := (&http.Server{Addr: *debugAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}).ListenAndServe()
			log.Error("debug server", "err", err)
		}()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "playground: %v\n", err)
		return 1
	}
	hs := pg.HTTPServer(log)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("serving Keep-Alive Playground", "url", "http://"+ln.Addr().String())

	select {
	case err := <-errc:
		log.Error("serve", "err", err)
		return 1
	case <-sigs:
	}
	return stop(log, pg, hs, *drain, sigs)
}

// stop ends `serve` as the constants above say: 0 when every session
// ended in time (clients that would not finish are closed, as they must
// be), 1 otherwise.
func stop(log *slog.Logger, pg *server.Server, hs *http.Server, drain time.Duration, sigs <-chan os.Signal) int {
	log.Info("draining", "for", drain)
	pg.Drain()
	hs.SetKeepAlivesEnabled(false) // clients move on after their request
	t := time.NewTimer(drain)
	select {
	case <-t.C:
	case <-sigs:
		log.Info("second signal: stopping now")
	}
	t.Stop()

	log.Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	// Sessions live on hijacked connections that hs.Shutdown does not
	// wait for: end them ourselves, side by side with the HTTP shutdown.
	serr := make(chan error, 1)
	go func() { serr <- pg.Shutdown(ctx) }()
	gctx, gcancel := context.WithTimeout(ctx, stopGrace)
	defer gcancel()
	if err := hs.Shutdown(gctx); err != nil {
		// Requests still going: a client that stopped reading, or one
		// trickling its request. Waiting longer would break the promise.
		log.Warn("closing connections that did not finish", "err", err)
		hs.Close()
	}
	if err := <-serr; err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}
