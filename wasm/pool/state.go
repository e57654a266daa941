package pool

import (
	"fmt"
	"time"

	"github.com/keepalive-playground/playground/nodeagent"
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/pool/poolview"
)

// The panel's vocabulary lives in package poolview, which main.wasm
// imports without this package (and net/http with it).
const (
	SockActive = poolview.SockActive
	SockFree   = poolview.SockFree
	SockClosed = poolview.SockClosed
)

type (
	PoolState  = poolview.PoolState
	SocketView = poolview.SocketView
)

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
