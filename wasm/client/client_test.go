package client

import (
	"strings"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/wire"
)

func TestURL(t *testing.T) {
	tests := []struct {
		name, page, want string
		wantErr          bool
	}{
		{"http", "http://localhost:8080/", "ws://localhost:8080/ws", false},
		{"https with path, query and link", "https://play.example/x?embed=1#s=abc", "wss://play.example/ws", false},
		{"file", "file:///tmp/index.html", "", true},
		{"broken link in the fragment", "http://localhost:8080/#s=%%%", "ws://localhost:8080/ws", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := URL(tt.page)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("URL(%q) = %q, %v; want %q (err %v)", tt.page, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestBackoffGrowsAndIsBounded(t *testing.T) {
	for attempt := range 20 {
		d := Backoff(attempt)
		base := BackoffMin << min(attempt, 10)
		lo := time.Duration(float64(min(base, BackoffMax)) * 0.8)
		hi := time.Duration(float64(min(base, BackoffMax)) * 1.2)
		if d < lo || d > hi {
			t.Errorf("Backoff(%d) = %v, want within [%v, %v]", attempt, d, lo, hi)
		}
	}
}

func TestCloseDecidesWhatHappensNext(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		name      string
		connected bool
		code      int
		reason    string
		wantState State
		wantMsg   string
		minWait   time.Duration
	}{
		{"backend restart", true, CloseRestart, "The playground server is restarting.", Waiting, "restarting", 0},
		{"connection lost", true, CloseAbnormal, "", Waiting, "Lost the connection", 0},
		{"never reached", false, CloseAbnormal, "", Waiting, "Cannot reach", 0},
		{"server full", true, CloseTryLater, "the playground is full", Waiting, "full", BackoffFull * 8 / 10},
		{"idle", true, CloseIdle, "This session was idle for 10m0s", Stopped, "idle", 0},
		{"version", true, CloseVersion, "", Stopped, "reload", 0},
		{"too big", true, CloseTooBig, "", Stopped, "larger", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConn()
			if tt.connected {
				c.Received(wire.Msg{Type: wire.Ready, V: wire.Version, Session: "s"}, now)
			}
			c.Closed(tt.code, tt.reason, now)
			if c.State != tt.wantState {
				t.Errorf("state = %v, want %v", c.State, tt.wantState)
			}
			if !strings.Contains(c.Status(now), tt.wantMsg) {
				t.Errorf("status = %q, want it to mention %q", c.Status(now), tt.wantMsg)
			}
			if tt.wantState == Waiting && c.RetryAt.Sub(now) < tt.minWait {
				t.Errorf("retry in %v, want at least %v", c.RetryAt.Sub(now), tt.minWait)
			}
			if c.Session != "" {
				t.Error("session kept after close")
			}
		})
	}
}

func TestReadyResetsAttemptsAndPingMeasuresRTT(t *testing.T) {
	now := time.Unix(1000, 0)
	c := NewConn()
	c.Closed(CloseAbnormal, "", now)
	c.Closed(CloseAbnormal, "", now)
	if c.Attempt != 2 {
		t.Fatalf("attempt = %d", c.Attempt)
	}
	c.Retry()
	c.Received(wire.Msg{Type: wire.Ready, Session: "abc"}, now)
	if c.Attempt != 0 || c.State != Connected || c.Session != "abc" {
		t.Errorf("after ready: %+v", c)
	}
	p := c.Ping(now)
	c.Received(wire.Msg{Type: wire.Pong, Seq: p.Seq}, now.Add(1500*time.Microsecond))
	if c.RTT != 1500*time.Microsecond {
		t.Errorf("rtt = %v", c.RTT)
	}
	if got := c.Status(now); got != "Connected · round trip 1.5 ms" {
		t.Errorf("status = %q", got)
	}
	// A pong for a ping we never sent changes nothing.
	c.Received(wire.Msg{Type: wire.Pong, Seq: 999}, now.Add(time.Hour))
	if c.RTT != 1500*time.Microsecond {
		t.Errorf("stray pong changed rtt to %v", c.RTT)
	}
}

// TestRTTIsTheLeastOfTheLastSamples: a pong the page handled late (busy
// compiling) does not make the link look slow; once that sample is out of
// the last three, a link that did get slower shows it.
func TestRTTIsTheLeastOfTheLastSamples(t *testing.T) {
	c := NewConn()
	now := time.Unix(1000, 0)
	c.Received(wire.Msg{Type: wire.Ready, Session: "s"}, now)
	ms := time.Millisecond
	for i, tt := range []struct{ sample, want time.Duration }{
		{158 * ms, 158 * ms}, // at a lesson's load: the page was busy
		{2 * ms, 2 * ms},     // a second later
		{3 * ms, 2 * ms},
		{40 * ms, 2 * ms},
		{50 * ms, 3 * ms},
		{60 * ms, 40 * ms}, // the link got slower
	} {
		p := c.Ping(now)
		c.Received(wire.Msg{Type: wire.Pong, Seq: p.Seq}, now.Add(tt.sample))
		if c.RTT != tt.want {
			t.Errorf("after sample %d (%v): RTT %v, want %v", i, tt.sample, c.RTT, tt.want)
		}
	}
	// A new socket starts its own count.
	c.Received(wire.Msg{Type: wire.Ready, Session: "t"}, now)
	if c.RTT != 0 {
		t.Errorf("after a new ready: RTT %v, want none yet", c.RTT)
	}
}
