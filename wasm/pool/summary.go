package pool

import (
	"fmt"
	"strings"
	"time"

	"github.com/keepalive-playground/playground/timeline"
)

// Summary says in one line what the request did, as the composer lists
// it: which connection carried it, whether it was reused and after how
// long idle, any retry, and the status or the client's own error.
func (r Result) Summary() string {
	var b strings.Builder
	for i, a := range r.Attempts {
		if i > 0 {
			b.WriteString(", then ")
		}
		b.WriteString(a.Conn)
		switch {
		case a.Reused && a.WasIdle:
			fmt.Fprintf(&b, " (reused after %s idle)", round(a.IdleTime))
		case a.Reused:
			b.WriteString(" (reused)")
		default:
			b.WriteString(" (new)")
		}
		if i < len(r.Attempts)-1 {
			b.WriteString(" failed")
		}
	}
	if len(r.Attempts) == 0 {
		b.WriteString("no connection")
	}
	if r.Err != "" {
		fmt.Fprintf(&b, " → error: %s", r.Err)
	} else {
		fmt.Fprintf(&b, " → %d in %s", r.Status, round(r.Elapsed))
	}
	if r.Retried && len(r.Attempts) > 1 {
		// net/http's rule (Transport.roundTrip, shouldRetryRequest): only
		// a request that can be sent twice, on a connection that had
		// carried one before and broke before any answer. Nothing is
		// wrong for the person to fix.
		fmt.Fprintf(&b, ". Retried: %s broke as it was reused (the server had closed or reset it), so Go's Transport sent the request again on %s by itself, as it does for a request that is safe to repeat",
			r.Attempts[0].Conn, r.Attempts[len(r.Attempts)-1].Conn)
	}
	return b.String()
}

func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.String()
}

// Outcome is the request as an outcome event (timeline.Outcome) of the
// pool named pool, for the session to stamp: the connection it ended on,
// reused, retried, and the status or the client's own error.
func (r Result) Outcome(pool, method, path string) timeline.Event {
	ev := timeline.Event{Kind: timeline.Outcome, Conn: r.Conn, Pool: pool, Method: method, Path: path,
		Status: r.Status, Error: r.Err, Reused: r.Reused, Retried: r.Retried}
	switch {
	case r.Err != "":
		ev.Status = 0 // a body cut short: the client's error is the outcome
	case r.Status == 0:
		ev.Error = "no status"
	}
	return ev
}
