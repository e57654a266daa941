package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/backend/server"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func playground(t *testing.T, opts server.Options) string {
	t.Helper()
	opts.Assets = fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}
	opts.Runtimes = all.Runtimes()
	s := server.New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		ts.Close()
	})
	return ts.URL
}

func TestRunAgainstARealServer(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lockstep bool
	}{
		{"first runs spread", false},
		{"first runs in lockstep", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := playground(t, server.Options{})
			idle := false
			rep, err := Run(context.Background(), Config{URL: url, Sessions: 8, Duration: time.Second, Lockstep: tc.lockstep, Idle: func() { idle = true }})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Sessions != 8 || rep.Errors != 0 || rep.Lost != 0 || rep.Sent == 0 || rep.Events < rep.Sent {
				t.Errorf("sessions %d, errors %d %v, lost %d, received %d of %d sent; want 8, 0, 0, all", rep.Sessions, rep.Errors, rep.Samples, rep.Lost, rep.Events, rep.Sent)
			}
			if !idle {
				t.Error("Idle was not called")
			}
			// Each browser ran the 2.5 s scenario at least once, even one
			// whose spread start came after the second was over, and each
			// run has its events and checks.
			if rep.Runs < 8 || rep.Events < 8*10 || rep.ChecksRun != rep.Runs*7 {
				t.Errorf("runs %d, events %d, checks %d", rep.Runs, rep.Events, rep.ChecksRun)
			}
			if rep.Failed != 0 {
				t.Errorf("%d checks failed: %v", rep.Failed, rep.FailedRuns)
			}
			// Events are held 10 ms before they go out (session.holdMs), so a
			// latency below that means the clocks were mapped wrongly.
			if rep.P50 < 5*time.Millisecond || rep.P99 > 2*time.Second || rep.P50 > rep.P99 {
				t.Errorf("latency p50 %v p99 %v", rep.P50, rep.P99)
			}
			// Spread first runs take one more run length to end.
			if least := time.Second + 2500*time.Millisecond; !tc.lockstep && rep.Running < least {
				t.Errorf("running took %v; spread starts should make it at least %v", rep.Running, least)
			}
		})
	}
}

func TestRefusedSessionsAreErrors(t *testing.T) {
	url := playground(t, server.Options{MaxSessionsPerIP: 2})
	rep, err := Run(context.Background(), Config{URL: url, Sessions: 4, Duration: 0})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sessions != 2 || rep.Errors != 2 {
		t.Errorf("sessions %d, errors %d, want 2 and 2", rep.Sessions, rep.Errors)
	}
	for _, s := range rep.Samples {
		if !strings.Contains(s, "too many sessions") {
			t.Errorf("error sample %q does not say why", s)
		}
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{URL: "http://127.0.0.1:1", Sessions: 0},
		{URL: "ftp://x", Sessions: 1},
		{URL: "http://127.0.0.1:1", Sessions: 1, Scenario: []byte(`{"v":2}`)},
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("Run(%+v) did not fail", cfg)
		}
	}
}

// TestLostAndLatency feeds a browser frames directly: a pong says how many
// events the session had sent, and what the browser did not receive of
// them is lost; latency is measured on the clock the pongs map.
func TestLostAndLatency(t *testing.T) {
	tests := []struct {
		name     string
		seqs     []uint64
		sent     uint64 // by the pong after the events
		wantLost int
		wantErrs int
	}{
		{"in order", []uint64{1, 2, 3}, 3, 0, 0},
		{"a gap", []uint64{1, 2, 5, 6}, 6, 2, 0},
		{"two gaps", []uint64{3, 4, 6, 9}, 9, 5, 0},
		{"the last ones never came", []uint64{1, 2, 3}, 5, 2, 0},
		{"nothing came", nil, 4, 4, 0},
		{"backwards", []uint64{1, 2, 2}, 2, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &browser{plan: &plan{sc: &scenario.Scenario{}}}
			b.run = &runState{rtt: -1, sentAt: 100, pings: pingsPerRun}
			b.pingSeq = 1
			// Pong at 104 ms with the session clock at 50 ms: the clock's
			// zero is at 52 ms in browser time.
			b.handle(frame{at: 104, m: wire.Msg{Type: wire.Pong, Seq: 1, Now: 50}})
			for _, s := range tt.seqs {
				b.handle(frame{at: 200, m: wire.Msg{Type: wire.Ev, Seq: s, Event: &timeline.Event{T: 130, Kind: timeline.Listen}}})
			}
			b.handle(frame{at: 210, m: wire.Msg{Type: wire.Pong, Seq: 2, Now: 150, Sent: tt.sent}})
			if b.lost != tt.wantLost || len(b.errs) != tt.wantErrs {
				t.Errorf("lost %d, errors %v; want %d, %d", b.lost, b.errs, tt.wantLost, tt.wantErrs)
			}
			if b.run.zero != 52 {
				t.Errorf("clock zero = %v, want 52", b.run.zero)
			}
			// Received at 200 ms, happened at 52 + 130 ms.
			b.finishRun()
			for _, l := range b.latency {
				if l != 18 {
					t.Errorf("latency %v ms, want 18", l)
				}
			}
			if len(b.latency) != len(tt.seqs)-tt.wantErrs {
				t.Errorf("%d latencies for %d events", len(b.latency), len(tt.seqs))
			}
		})
	}
}

// TestSendAfterTheServerClosed: the close frame can arrive before the
// browser's next write, which gorilla then refuses with only "close
// sent"; the report must still give the server's reason. The reader is
// let finish before the write, so the test takes the losing side of the
// race every time.
func TestSendAfterTheServerClosed(t *testing.T) {
	const reason = "too many sessions from your address"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4002, reason), time.Now().Add(time.Second))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}))
	defer ts.Close()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{plan: &plan{epoch: time.Now()}, conn: conn, frames: make(chan frame, 4), done: make(chan struct{})}
	go b.read()
	<-b.done
	if b.send(wire.Msg{Type: wire.Hello, V: wire.Version}) {
		t.Fatal("send after the close succeeded")
	}
	if len(b.errs) != 1 || !strings.Contains(b.errs[0], reason) {
		t.Errorf("errors %q, want one that says %q", b.errs, reason)
	}
	b.close()
}

// TestLostEventsAreCounted runs the load generator against a fake server
// that numbers the events it emits but drops the last of each run before
// the page, as a server dropping an oversized message would: "0 lost" can
// fail, because the pong says what was sent.
func TestLostEventsAreCounted(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		var seq uint64
		write := func(m wire.Msg) error {
			b, _ := wire.Encode(m)
			return c.WriteMessage(websocket.TextMessage, b)
		}
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			m, err := wire.Decode(data)
			if err != nil {
				return
			}
			switch m.Type {
			case wire.Hello:
				write(wire.Msg{Type: wire.Ready, V: wire.Version, Session: "fake"})
				write(wire.Msg{Type: wire.Loaded, Scenario: DefaultScenario})
			case wire.Load:
				write(wire.Msg{Type: wire.Loaded, Scenario: m.Scenario})
				for range 3 {
					seq++
					write(wire.Msg{Type: wire.Ev, Seq: seq, Event: &timeline.Event{T: 1, Kind: timeline.Listen}})
				}
				seq++ // emitted, never delivered
			case wire.Ping:
				write(wire.Msg{Type: wire.Pong, Seq: m.Seq, Now: 1, Sent: seq})
			}
		}
	}))
	defer ts.Close()
	sc := `{"v":1,"server":{"runtime":"node20"},"durationMs":100}`
	rep, err := Run(context.Background(), Config{URL: ts.URL, Sessions: 2, Duration: 0, Scenario: []byte(sc)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Runs != 2 || rep.Lost != 2 || rep.Events != 6 || rep.Sent != 8 {
		t.Errorf("runs %d, events %d of %d sent, lost %d; want 2, 6 of 8, 2 (errors %v)", rep.Runs, rep.Events, rep.Sent, rep.Lost, rep.Samples)
	}
}
