package server

import (
	"log/slog"
	"net/http"
	"time"
)

// Timeouts of the public HTTP server: without them, clients that send or
// read slowly, or not at all, hold connections for as long as they like
// and keep a graceful shutdown from ending. WebSockets set their own
// deadlines once upgraded (see ws.go).
type Timeouts struct {
	// ReadHeader bounds the request line and headers.
	ReadHeader time.Duration
	// Read bounds the whole request, body included. The playground takes
	// no request bodies, so a body trickled in is cut off here.
	Read time.Duration
	// Stall bounds how long a response may make no progress: a client
	// that takes none of its bytes for this long (a download of main.wasm
	// that never reads) is dropped, one that reads slowly is not, as with
	// nginx's send_timeout.
	Stall time.Duration
	// Idle bounds a keep-alive connection between requests.
	Idle time.Duration
}

// DefaultTimeouts are the public server's.
var DefaultTimeouts = Timeouts{
	ReadHeader: 10 * time.Second,
	Read:       30 * time.Second,
	Stall:      30 * time.Second,
	Idle:       2 * time.Minute,
}

// MaxHeaderBytes bounds a request's headers (net/http's default is 1 MB);
// a browser's, cookies included, fit many times over.
const MaxHeaderBytes = 64 << 10

// HTTPServer is the http.Server to serve s with: its timeouts, and errors
// to log. Shut it down next to Server.Shutdown.
func (s *Server) HTTPServer(errorLog *slog.Logger) *http.Server {
	t := s.opts.Timeouts
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(errorLog.Handler(), slog.LevelWarn),
	}
}

// withDefaults fills the zero fields of t.
func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts
	if t.ReadHeader > 0 {
		d.ReadHeader = t.ReadHeader
	}
	if t.Read > 0 {
		d.Read = t.Read
	}
	if t.Stall > 0 {
		d.Stall = t.Stall
	}
	if t.Idle > 0 {
		d.Idle = t.Idle
	}
	return d
}

// stallGuard gives every write of a response Timeouts.Stall to complete,
// so a response is dropped only when it stops moving.
func (s *Server) stallGuard(h http.Handler) http.Handler {
	stall := s.opts.Timeouts.Stall
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&stallWriter{ResponseWriter: w, rc: http.NewResponseController(w), stall: stall}, r)
	})
}

type stallWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
}

func (w *stallWriter) Write(p []byte) (int, error) {
	w.rc.SetWriteDeadline(time.Now().Add(w.stall))
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *stallWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
