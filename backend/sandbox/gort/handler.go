package gort

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/keepalive-playground/playground/scenario"
)

// ServeHTTP is the demo program's handler, wrapped to report the request
// at entry and the handler's normal return.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, ok := r.Context().Value(connKey{}).(*conn)
	if !ok || !s.enter() {
		return
	}
	defer s.wg.Done()
	c.begin(r.Method, r.RequestURI, r.Close)
	if s.front != nil {
		s.front.ServeHTTP(&statusWriter{ResponseWriter: w, c: c}, r)
	} else {
		s.answer(w, r, c)
	}
	c.end() // not reached when the handler panics (destroy)
}

// statusWriter records the status a front handler writes.
type statusWriter struct {
	http.ResponseWriter
	c     *conn
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.wrote = true
		w.c.setStatus(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.NewResponseController reach Flush and the deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// answer is the route handler, the same code codeview.Go shows: the first
// matching route answers with its status and body, after its delay, and
// then does its action.
func (s *server) answer(w http.ResponseWriter, r *http.Request, c *conn) {
	rt, ok := s.cfg.Server.Route(r.URL.Path)
	if !ok {
		c.setStatus(http.StatusNotFound)
		http.NotFound(w, r)
		return
	}
	if d := rt.Delay(); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			// The client went away or the server closed the connection:
			// nobody is left to answer.
			return
		}
	}

	then := rt.Actions()
	none := len(then) == 1 && then[0] == scenario.ThenNone
	// A readiness route reads the program's ready flag as it answers.
	code, body := rt.Answer(s.draining.Load())
	w.Header().Set("Content-Type", "text/plain")
	if !none {
		// The response is flushed before the actions below, so it must be
		// a complete message on its own: with a Content-Length, net/http
		// does not switch to chunked encoding on Flush.
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	c.setStatus(code)
	w.WriteHeader(code)
	io.WriteString(w, body)
	if none {
		return // net/http writes the buffered response once the handler returns
	}

	// Flush first: Close and exit would discard the buffered response, a
	// panic aborts it, and after go Shutdown whether the response still
	// says keep-alive would depend on which goroutine runs first.
	if err := http.NewResponseController(w).Flush(); err == nil {
		c.flushedByHandler()
	}
	// The actions in order, as the handler's code calls them; Validate
	// keeps destroy and exit, which end the handler, last. Those after a
	// drain run when the drain period ends (see afterDrain).
	now, later := scenario.SplitDrain(then)
	for _, action := range now {
		switch action {
		case scenario.ThenDrain:
			// ready.Store(false): the readiness routes answer 503 now.
			s.draining.Store(true)
			s.afterDrain(later)
		case scenario.ThenShutdown, scenario.ThenClose, scenario.ThenExit:
			if s.stop(action) {
				return
			}
		case scenario.ThenDestroy:
			// The Go counterpart of Node's req.connection.destroy(): the
			// sentinel panic makes net/http close this connection at once,
			// without the stack trace it logs for other panics. (Hijacking
			// and closing the net.Conn would end it too, but takes the
			// connection out of the server's hands, so that Shutdown and
			// ConnState no longer see it.)
			c.markDestroyed()
			panic(http.ErrAbortHandler)
		}
	}
}

// afterDrain runs the actions after a drain once the drain period has
// passed, in a goroutine of their own as the program's time.AfterFunc
// does: the handler has returned by then. A session tearing down cancels
// the wait.
func (s *server) afterDrain(actions scenario.Then) {
	if len(actions) == 0 || !s.enter() {
		return
	}
	go func() {
		defer s.wg.Done()
		t := time.NewTimer(s.cfg.Server.Drain())
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.ctx.Done():
			return
		}
		for _, action := range actions {
			if s.stop(action) {
				return
			}
		}
	}()
}

// stop runs an action that stops the server: Shutdown, Close or the
// process's exit, after which nothing more runs (it reports true).
func (s *server) stop(action string) (exited bool) {
	switch action {
	case scenario.ThenShutdown:
		// Shutdown waits for the handler that asked for it to return, so
		// it runs in its own goroutine.
		s.shutdown()
	case scenario.ThenClose:
		s.closeServer()
	case scenario.ThenExit:
		s.exit()
		return true
	}
	return false
}
