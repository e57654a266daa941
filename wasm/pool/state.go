package pool

import (
	"fmt"
	"time"

	"github.com/keepalive-playground/playground/nodeagent"
	"github.com/keepalive-playground/playground/timeline"
)

// Socket states of a PoolState, one vocabulary for both clients:
// Node's words (agent.sockets, agent.freeSockets).
const (
	SockActive = string(nodeagent.StateActive) // carrying a request, or connecting
	SockFree   = string(nodeagent.StateFree)   // idle in the pool
	SockClosed = string(nodeagent.StateClosed)
)

// PoolState is one pooled client's sockets as the page's pool panel shows
// them, the same for Go's Transport and Node's agent.
type PoolState struct {
	Name    string       `json:"name"`
	Sockets []SocketView `json:"sockets"`
}

// SocketView is one socket of a PoolState. Times are Unix milliseconds,
// the page's Date.now() clock, so the page counts the timer down itself.
type SocketView struct {
	Label    string `json:"label"`
	State    string `json:"state"`
	Requests int    `json:"requests"`
	// FreeSinceMs is when it last became free; DeadlineMs when the
	// client's own timer closes it (0: no timer runs), and Timer says
	// which timer that is.
	FreeSinceMs int64  `json:"freeSinceMs,omitempty"`
	DeadlineMs  int64  `json:"deadlineMs,omitempty"`
	Timer       string `json:"timer,omitempty"`
	// ClosedBy is "client" or "server"; Note says how, in the client's
	// own terms.
	ClosedBy string `json:"closedBy,omitempty"`
	Note     string `json:"note,omitempty"`
}

func unixMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// State is the pool's sockets, oldest first, for a pool named name.
func (p *Pool) State(name string) PoolState {
	st := PoolState{Name: name}
	for _, ci := range p.Conns() {
		v := SocketView{Label: ci.Label, Requests: ci.Requests, ClosedBy: ci.ClosedBy, Note: ci.Note}
		switch ci.State {
		case Dialing, Active:
			v.State, v.ClosedBy, v.Note = SockActive, "", ""
		case Idle:
			v.State, v.ClosedBy = SockFree, ""
			v.FreeSinceMs = unixMs(ci.IdleSince)
			if d := p.opts.IdleConnTimeout; d > 0 && !ci.IdleSince.IsZero() {
				v.DeadlineMs = unixMs(ci.IdleSince.Add(d))
				v.Timer = fmt.Sprintf("the Transport's IdleConnTimeout (%s)", d)
			}
		default:
			v.State = SockClosed
		}
		st.Sockets = append(st.Sockets, v)
	}
	return st
}

// AgentState is a Node agent's sockets (Agent.Sockets) for a pool named
// name.
func AgentState(name string, socks []nodeagent.SocketInfo) PoolState {
	st := PoolState{Name: name}
	for _, si := range socks {
		v := SocketView{Label: si.Label, State: string(si.State), Requests: si.Requests, Note: si.Note}
		switch si.State {
		case nodeagent.StateFree:
			v.FreeSinceMs, v.DeadlineMs, v.Timer = unixMs(si.FreeSince), unixMs(si.FreeDeadline), si.FreeTimer
		case nodeagent.StateClosed:
			v.ClosedBy = timeline.ByClient
			if si.ClosedBy == nodeagent.ClosedByServer {
				v.ClosedBy = timeline.ByServer
			}
		}
		st.Sockets = append(st.Sockets, v)
	}
	return st
}
