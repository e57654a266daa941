package pool

import (
	"testing"
	"time"

	"github.com/keepalive-playground/playground/timeline"
)

// maxSecondFinMs bounds the second FIN of a pooled connection: net/http's
// read loop sees the server's FIN at once and closes its end, and a
// server answers the Transport's FIN as soon as it reads it; the bound
// leaves room for a loaded machine.
const maxSecondFinMs = 300

// TestPooledConnectionShowsBothEnds: whichever end of a pooled connection
// closes first, the other's FIN follows as its own close event, so the
// connection is half-closed only as long as it is on the real sockets,
// not for a minute until the pool forgets it.
func TestPooledConnectionShowsBothEnds(t *testing.T) {
	tests := []struct {
		name        string
		runtime     string
		serverMs    int
		client      time.Duration
		first, then string
	}{
		{"server keep-alive timeout node18", "node18", 80, 5 * time.Second, timeline.ByServer, timeline.ByClient},
		{"server idle timeout go", "go", 80, 5 * time.Second, timeline.ByServer, timeline.ByClient},
		{"client IdleConnTimeout node26", "node26", 5000, 60 * time.Millisecond, timeline.ByClient, timeline.ByServer},
		{"client IdleConnTimeout go", "go", 5000, 60 * time.Millisecond, timeline.ByClient, timeline.ByServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startBridge(t, demo(tt.runtime, tt.serverMs), Options{IdleConnTimeout: tt.client}, 0)
			if r := b.get("/"); r.Err != "" || r.Conn != "P1" {
				t.Fatalf("first request: %+v", r)
			}
			first := b.waitEvent("P1", timeline.Close)
			if first.By != tt.first || first.Open != tt.then {
				t.Fatalf("first close by %s, open %q; want by %s, %s's end open\n%s", first.By, first.Open, tt.first, tt.then, b.timeline())
			}
			deadline := time.Now().Add(waitFor)
			var second *timeline.Event
			for second == nil && time.Now().Before(deadline) {
				for _, e := range b.events("P1") {
					if e.Kind == timeline.Close && e.By == tt.then {
						second = &e
						break
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
			if second == nil {
				t.Fatalf("no close by the %s after the %s's FIN\n%s", tt.then, tt.first, b.timeline())
			}
			if d := second.T - first.T; d < 0 || d > maxSecondFinMs || second.Open != "" {
				t.Errorf("second close %+v %.1f ms after the first; want within %d ms, no open end", *second, d, maxSecondFinMs)
			}
			n := 0
			for _, e := range b.events("P1") {
				if e.Kind == timeline.Close {
					n++
				}
			}
			if n != 2 {
				t.Errorf("%d close events on P1, want one per end\n%s", n, b.timeline())
			}
		})
	}
}
