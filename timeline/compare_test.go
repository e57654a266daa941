package timeline

import (
	"slices"
	"strings"
	"testing"
)

// question is the story's question on one connection: a request to /end
// whose handler calls server.close(), on a runtime whose close() does or
// does not close the idle connection.
func question(closesIdle bool, exitAt float64) []Event {
	evs := []Event{
		{T: 0, Kind: Listen},
		{T: 1, Conn: "A", Kind: Connect},
		{T: 1, Conn: "A", Kind: Accept},
		{T: 1.5, Conn: "A", Kind: Send, Data: "GET /end HTTP/1.1\r\n\r\n"},
		{T: 2, Conn: "A", Kind: Request, Method: "GET", Path: "/end"},
		{T: 3, Kind: CloseCalled},
		{T: 3, Kind: ListenerClosed},
		{T: 3.5, Conn: "A", Kind: Response, Status: 200},
		{T: 4, Conn: "A", Kind: Recv, Data: "HTTP/1.1 200 OK\r\n\r\n"},
		{T: 4, Conn: "A", Kind: Idle},
	}
	if closesIdle {
		evs = append(evs,
			Event{T: 12, Conn: "A", Kind: Close, By: ByServer, Reason: ReasonServerClose},
			Event{T: exitAt, Kind: Exit})
	}
	return evs
}

func TestCompare(t *testing.T) {
	keepAlive := func(closeAt float64, reason string) []Event {
		return []Event{
			{T: 0, Kind: Listen},
			{T: 1, Conn: "A", Kind: Connect},
			{T: 1, Conn: "A", Kind: Accept},
			{T: 1, Conn: "A", Kind: TCP, Side: SideClient, State: StateEstablished},
			{T: 1.2, Conn: "A", Kind: Send},
			{T: 2, Conn: "A", Kind: Request, Method: "GET", Path: "/"},
			{T: 3, Conn: "A", Kind: Response, Status: 200},
			{T: 3, Conn: "A", Kind: Idle},
			{T: closeAt, Conn: "A", Kind: Close, By: ByServer, Reason: reason},
			{T: closeAt + 0.1, Conn: "A", Kind: TCP, Side: SideServer, State: StateFinWait1},
			{T: closeAt + 0.3, Conn: "A", Kind: TCP, Side: SideServer, State: StateFinWait2},
		}
	}
	tests := []struct {
		name string
		runs []Run
		want []string // sentences, in order
	}{
		{
			name: "agree",
			runs: []Run{{Name: "node18", Events: question(false, 0)}, {Name: "node20", Events: question(false, 0)}},
		},
		{
			name: "agree within the tolerance",
			runs: []Run{{Name: "a", Events: keepAlive(5003, ReasonKeepAliveTimeout)}, {Name: "b", Events: keepAlive(5150, ReasonKeepAliveTimeout)}},
		},
		{
			name: "an event on one side only",
			runs: []Run{{Name: "node18", Events: question(false, 0)}, {Name: "node26", Events: question(true, 13)}},
			want: []string{
				"node18: A stayed open; node26: close() also closed idle A at 12 ms",
				"node18: the process did not exit; node26: the process exited at 13 ms",
			},
		},
		{
			name: "a different reason",
			runs: []Run{{Name: "go", Events: keepAlive(5003, ReasonIdleTimeout)}, {Name: "node20", Events: keepAlive(5003, ReasonKeepAliveTimeout)}},
			want: []string{"go: the idle timeout closed A at 5003 ms; node20: the keep-alive timeout closed A at 5003 ms"},
		},
		{
			name: "the same event, later",
			runs: []Run{{Name: "node18", Events: keepAlive(5003, ReasonKeepAliveTimeout)}, {Name: "node20", Events: keepAlive(6004, ReasonKeepAliveTimeout)}},
			want: []string{"node18: the keep-alive timeout closed A at 5003 ms; node20: the same at 6004 ms (1001 ms later)"},
		},
		{
			name: "runs that agree are named together",
			runs: []Run{
				{Name: "node18", Events: question(false, 0)},
				{Name: "node26", Events: question(true, 13)},
				{Name: "node24", Events: question(true, 14)},
			},
			want: []string{
				"node18: A stayed open; node26, node24: close() also closed idle A at 12 ms",
				"node18: the process did not exit; node26, node24: the process exited at 13 ms",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compare(tt.runs)
			var sentences []string
			for _, p := range got {
				sentences = append(sentences, p.Sentence)
			}
			if strings.Join(sentences, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("partings:\n%s\nwant:\n%s", strings.Join(sentences, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestCompareTransientStates: whether the kernel was asked during a
// FIN_WAIT1 that lasts microseconds is no difference between runs.
func TestCompareTransientStates(t *testing.T) {
	base := []Event{
		{T: 1, Conn: "A", Kind: Connect},
		{T: 10, Conn: "A", Kind: Close, By: ByServer, Reason: ReasonDestroy},
		{T: 10.1, Conn: "A", Kind: TCP, Side: SideServer, State: StateFinWait2},
	}
	other := []Event{
		{T: 1, Conn: "A", Kind: Connect},
		{T: 10, Conn: "A", Kind: Close, By: ByServer, Reason: ReasonDestroy},
		{T: 10.05, Conn: "A", Kind: TCP, Side: SideServer, State: StateFinWait1},
		{T: 11, Conn: "A", Kind: TCP, Side: SideServer, State: StateFinWait2},
	}
	if p := Compare([]Run{{Name: "a", Events: base}, {Name: "b", Events: other}}); len(p) != 0 {
		t.Errorf("partings %+v; want none", p)
	}
	// A state one run never reached is a difference.
	stuck := base[:2]
	p := Compare([]Run{{Name: "a", Events: base}, {Name: "b", Events: stuck}})
	if len(p) != 1 || p[0].Sentence != "a: A's server end went to FIN_WAIT2 at 10 ms; b: the kernel reported no state for A's server end" {
		t.Errorf("partings %+v", p)
	}
}

func TestSameTiming(t *testing.T) {
	for _, tt := range []struct {
		d, ref float64
		want   bool
	}{
		{0, 0, true},
		{250, 0, true},
		{251, 0, false},
		{5000, 5700, true},  // 15% of 5700 is 855
		{5100, 6000, true},  // 900
		{5099, 6000, false}, // 901 > 900
	} {
		if got := SameTiming(tt.d, tt.ref); got != tt.want {
			t.Errorf("SameTiming(%v, %v) = %v, want %v", tt.d, tt.ref, got, tt.want)
		}
	}
}

// TestCompareEndGuard: a timer that fires just before the end in one run
// and just after it in another is no difference.
func TestCompareEndGuard(t *testing.T) {
	a := []Event{{T: 1, Conn: "A", Kind: Connect}, {T: 9950, Conn: "A", Kind: Close, By: ByServer, Reason: ReasonKeepAliveTimeout}}
	b := a[:1]
	if p := Compare([]Run{{Name: "a", Events: a, EndMs: 10000}, {Name: "b", Events: b, EndMs: 10000}}); len(p) != 0 {
		t.Errorf("partings %+v; want none", p)
	}
	if p := Compare([]Run{{Name: "a", Events: a, EndMs: 20000}, {Name: "b", Events: b, EndMs: 20000}}); len(p) != 1 {
		t.Errorf("partings %+v; want one", p)
	}
}

// TestCompareFleetingStates: a FIN_WAIT2 the peer's FIN ended within a
// millisecond is seen or not by chance; a CLOSED is always compared.
func TestCompareFleetingStates(t *testing.T) {
	tcp := func(ts float64, side, state string) Event {
		return Event{T: ts, Conn: "A", Kind: TCP, Side: side, State: state}
	}
	seen := []Event{
		{T: 1, Conn: "A", Kind: Connect},
		tcp(1, SideClient, StateEstablished),
		{T: 100, Conn: "A", Kind: Close, By: ByClient, Reason: ReasonClient},
		tcp(100.5, SideClient, StateFinWait2),
		tcp(101, SideClient, StateTimeWait),
	}
	unseen := []Event{seen[0], seen[1], seen[2], tcp(101, SideClient, StateTimeWait)}
	if p := Compare([]Run{{Name: "a", Events: seen}, {Name: "b", Events: unseen}}); len(p) != 0 {
		t.Errorf("partings %+v; want none", p)
	}
	closed := append(slices.Clone(unseen[:3]), tcp(101, SideClient, StateClosed))
	if p := Compare([]Run{{Name: "a", Events: unseen}, {Name: "b", Events: closed}}); len(p) != 1 {
		t.Errorf("partings %+v; want TIME_WAIT against CLOSED", p)
	}
}

// TestCompareShortConnection: an ESTABLISHED that lasted a millisecond
// was seen all the same (every end is read as it opens).
func TestCompareShortConnection(t *testing.T) {
	tcp := func(ts float64, side, state string) Event {
		return Event{T: ts, Conn: "A", Kind: TCP, Side: side, State: state}
	}
	a := []Event{{T: 1, Conn: "A", Kind: Connect}, tcp(1, SideClient, StateEstablished), tcp(3, SideClient, StateCloseWait)}
	b := []Event{{T: 1, Conn: "A", Kind: Connect}, tcp(3, SideClient, StateCloseWait)}
	if p := Compare([]Run{{Name: "a", Events: a}, {Name: "b", Events: b}}); len(p) != 1 {
		t.Errorf("partings %+v; want the missing ESTABLISHED", p)
	}
	if p := Compare([]Run{{Name: "a", Events: a}, {Name: "b", Events: a}}); len(p) != 0 {
		t.Errorf("partings %+v; want none", p)
	}
}
