package main

import (
	"context"
	"errors"
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

// shutdownTimeout bounds the whole graceful shutdown: HTTP requests in
// flight, then every session and demo server.
const shutdownTimeout = 5 * time.Second

func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "localhost:8080", "address to listen on")
	dev := fs.Bool("dev", false, "serve web/dist from disk (with go run ./build -watch)")
	origins := fs.String("origins", "", "comma-separated extra origins allowed to open the WebSocket (scheme://host:port)")
	maxSessions := fs.Int("max-sessions", server.DefaultMaxSessions, "concurrent sessions in all")
	perIP := fs.Int("max-sessions-per-ip", server.DefaultMaxSessionsPerIP, "concurrent sessions per client address")
	lifetime := fs.Duration("session-lifetime", server.DefaultSessionLifetime, "longest a session may live")
	idle := fs.Duration("idle-timeout", server.DefaultIdleTimeout, "end a session after this long without a message from its page")
	rate := fs.Int("max-messages-per-second", server.DefaultMaxMessagesPerSecond, "steady rate of WebSocket messages one page may send")
	burst := fs.Int("message-burst", server.DefaultMessageBurst, "WebSocket messages one page may send at once")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	debugAddr := fs.String("debug-addr", "", "serve Go's profiler (/debug/pprof/) on this address, e.g. localhost:6060; keep it private")
	if err := fs.Parse(args); err != nil {
		return 2
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
	hs := &http.Server{
		Handler:           pg,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("serving Keep-Alive Playground", "url", "http://"+ln.Addr().String())

	select {
	case err := <-errc:
		log.Error("serve", "err", err)
		return 1
	case <-ctx.Done():
	}
	stop()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// Sessions live on hijacked connections that hs.Shutdown does not
	// wait for: end them ourselves, side by side with the HTTP shutdown.
	serr := make(chan error, 1)
	go func() { serr <- pg.Shutdown(sctx) }()
	err = hs.Shutdown(sctx)
	err = errors.Join(err, <-serr)
	if err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}
