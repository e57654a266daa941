package export

import (
	"io"

	"github.com/keepalive-playground/playground/timeline"
)

// Transcript writes each connection's two-way transcript, as the page's
// "Both ways" view and `nc -v` show one: the bytes sent (→) and received
// (←) interleaved on the session clock, with CR and LF spelled out, and
// notes (*) for what bytes cannot show — connected or refused, who sent
// FIN and why, resets, TCP states. One block per connection, in the order
// they opened; a proxied run's connections to the app follow its own.
func Transcript(w io.Writer, r *Run) error {
	ew := &errWriter{w: w}
	proxied := r.Scenario != nil && r.Scenario.Proxy != nil
	var order []string
	ts := map[string]*timeline.Transcript{}
	for _, i := range timeline.TimeOrder(r.Events) {
		ev := r.Events[i]
		if ev.Conn == "" {
			continue
		}
		t := ts[ev.Conn]
		if t == nil {
			t = timeline.NewTranscript(ev.Hop, proxied)
			ts[ev.Conn] = t
			order = append(order, ev.Conn)
		}
		t.Add(i, ev)
	}
	// The client's connections first: the app's are the proxy's answer
	// to them.
	var client, upstream []string
	for _, c := range order {
		if ts[c].Client == timeline.ByProxy {
			upstream = append(upstream, c)
		} else {
			client = append(client, c)
		}
	}
	n := 0
	for _, c := range append(client, upstream...) {
		t := ts[c]
		if len(t.Entries) == 0 {
			continue
		}
		if n > 0 {
			ew.printf("\n")
		}
		n++
		ew.printf("== connection %s (%s → %s) ==\n", c, t.Client, t.Server)
		ew.printf("%s", timeline.TranscriptText(t.Entries))
	}
	return ew.err
}
