package session

import (
	"strings"
	"testing"
	"time"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wire"
)

// loadRun loads sc as a run, as the page's Run does.
func (h *harness) loadRun(sc scenario.Scenario) {
	h.t.Helper()
	raw, err := scenario.Marshal(&sc)
	if err != nil {
		h.t.Fatal(err)
	}
	h.send(wire.Msg{Type: wire.Load, Scenario: raw, Run: true})
}

func countType(ms []wire.Msg, typ string) int {
	n := 0
	for _, m := range ms {
		if m.Type == typ {
			n++
		}
	}
	return n
}

// since is what arrived after the n-th message.
func (h *harness) since(n int) []wire.Msg { return h.all()[n:] }

func TestRunEnds(t *testing.T) {
	tests := []struct {
		name       string
		durationMs int
		ops        []wire.Msg
		reason     string
		// endMin and endMax bound the end on the session clock.
		endMin, endMax float64
	}{
		{
			name:       "at its durationMs",
			durationMs: 300,
			ops:        []wire.Msg{{Type: wire.Write, Conn: "A", Data: []byte("x")}, {Type: wire.Write, Conn: "A", Data: []byte("late"), At: at(600)}},
			reason:     wire.EndDuration, endMin: 300, endMax: 300,
		},
		{
			name:       "sooner, when the server exited and every connection closed",
			durationMs: 5000,
			ops: []wire.Msg{
				{Type: wire.Write, Conn: "A", Data: []byte("x")},
				{Type: wire.Reset, Conn: "A", At: at(50)},
				{Type: wire.Control, Action: scenario.ThenExit, At: at(100)},
			},
			reason: wire.EndFinished, endMin: 50, endMax: 1000,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t)
			mark := len(h.all())
			sc := scenario.Default()
			sc.DurationMs = tt.durationMs
			sc.Client.Steps = nil
			h.loadRun(sc)
			for i := 0; ; i++ {
				if i == 500 {
					t.Fatal("the run's scenario did not load")
				}
				if n := countType(h.all(), wire.Loaded); n == 2 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			for _, m := range tt.ops {
				if m.Type == wire.Control {
					// A control is not scheduled: it waits for its time here.
					h.waitEvent("A", timeline.Reset)
					m.At = nil
				}
				h.send(m)
			}
			end := h.wait("the end", func(m wire.Msg) bool { return m.Type == wire.End })
			if end.Reason != tt.reason || end.Now < tt.endMin || end.Now > tt.endMax {
				t.Errorf("end = %s at %.1f ms, want %s in %.0f..%.0f ms", end.Reason, end.Now, tt.reason, tt.endMin, tt.endMax)
			}
			// Nothing of the run comes after its end, whatever was
			// scheduled or torn down.
			h.send(wire.Msg{Type: wire.Ping, Seq: 7})
			h.wait("pong", func(m wire.Msg) bool { return m.Type == wire.Pong && m.Seq == 7 })
			afterEnd := false
			for _, m := range h.since(mark) {
				switch {
				case m.Type == wire.End:
					afterEnd = true
				case m.Type == wire.Ev && (afterEnd || m.Event.T > end.Now):
					t.Errorf("event after the end at %.1f: %+v", end.Now, *m.Event)
				case m.Type == wire.EOF && afterEnd:
					t.Errorf("eof after the end: %+v", m)
				}
			}
		})
	}
}

func TestAfterTheEnd(t *testing.T) {
	h := start(t)
	sc := scenario.Default()
	sc.DurationMs = 100
	sc.Client.Steps = nil
	h.loadRun(sc)
	h.wait("the end", func(m wire.Msg) bool { return m.Type == wire.End })
	h.send(wire.Msg{Type: wire.Open, Conn: "B"})
	msg := h.wait("the refusal", func(m wire.Msg) bool { return m.Type == wire.Error && m.Conn == "B" })
	if !strings.Contains(msg.Message, "the run has ended") {
		t.Errorf("error = %q", msg.Message)
	}
	// Restart is trying things by hand: no end, connections work again.
	h.send(wire.Msg{Type: wire.Restart})
	h.send(wire.Msg{Type: wire.Write, Conn: "C", Data: []byte("hi")})
	if recv := h.waitEvent("C", timeline.Recv); recv.Data != "hi" {
		t.Errorf("recv after restart = %q", recv.Data)
	}
	if ends := countType(h.all(), wire.End); ends != 1 {
		t.Errorf("%d ends, want 1", ends)
	}
}

func TestLoadWithoutRunHasNoEnd(t *testing.T) {
	h := start(t)
	sc := scenario.Default()
	sc.DurationMs = 50
	sc.Client.Steps = nil
	raw, _ := scenario.Marshal(&sc)
	h.send(wire.Msg{Type: wire.Load, Scenario: raw})
	h.send(wire.Msg{Type: wire.Write, Conn: "A", Data: []byte("x"), At: at(200)})
	h.waitEvent("A", timeline.Recv)
	for _, m := range h.all() {
		if m.Type == wire.End {
			t.Errorf("a load without run ended: %+v", m)
		}
	}
}
