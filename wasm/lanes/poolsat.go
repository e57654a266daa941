package lanes

import (
	"github.com/keepalive-playground/playground/timeline"
	"github.com/keepalive-playground/playground/wasm/pool/poolview"
)

// Pooled socket states at an instant (PoolSocket.State), the words of the
// page's pool panel (poolview's, which pool.wasm reports live).
const (
	PoolSockActive = poolview.SockActive // connecting, or carrying a request
	PoolSockFree   = poolview.SockFree   // its last request is answered; in the pool
	PoolSockClosed = poolview.SockClosed
)

// PoolSocket is one pooled client's connection as the run stood at an
// instant. Its free-socket timer is the client's own and not in the
// run's events, so an instant has none.
type PoolSocket struct {
	Label    string
	State    string
	Requests int
	// ClosedBy is who closed or reset it first (timeline.ByServer, …).
	ClosedBy string
}

// PoolAt is one pool as the run stood at an instant: its sockets in the
// order they connected, and the outcomes its client had reported.
type PoolAt struct {
	Name     string
	Sockets  []PoolSocket
	Outcomes []timeline.Event
}

// PoolsAt is every pool at the instant after the events happened (indices
// into evs, in time order), in the order each pool first appears. poolOf
// names the pool a connection belongs to ("" for none); an outcome names
// its own.
func PoolsAt(evs []timeline.Event, happened []int, poolOf func(conn string) string) []PoolAt {
	var out []PoolAt
	idx := map[string]int{}
	pool := func(name string) *PoolAt {
		i, ok := idx[name]
		if !ok {
			i = len(out)
			idx[name] = i
			out = append(out, PoolAt{Name: name})
		}
		return &out[i]
	}
	sock := func(p *PoolAt, label string) *PoolSocket {
		for i := range p.Sockets {
			if p.Sockets[i].Label == label {
				return &p.Sockets[i]
			}
		}
		p.Sockets = append(p.Sockets, PoolSocket{Label: label, State: PoolSockActive})
		return &p.Sockets[len(p.Sockets)-1]
	}
	for _, i := range happened {
		ev := evs[i]
		if ev.Kind == timeline.Outcome {
			p := pool(ev.Pool)
			p.Outcomes = append(p.Outcomes, ev)
			if ev.Conn != "" {
				if s := sock(p, ev.Conn); s.State != PoolSockClosed {
					s.State = PoolSockFree
				}
			}
			continue
		}
		name := ""
		if ev.Conn != "" && ev.Hop != timeline.HopUpstream {
			name = poolOf(ev.Conn)
		}
		if name == "" {
			continue
		}
		switch ev.Kind {
		case timeline.Connect:
			sock(pool(name), ev.Conn)
		case timeline.Send:
			if s := sock(pool(name), ev.Conn); s.State != PoolSockClosed {
				s.State = PoolSockActive
			}
		case timeline.Request:
			sock(pool(name), ev.Conn).Requests++
		case timeline.Close, timeline.Reset, timeline.Refused:
			if s := sock(pool(name), ev.Conn); s.State != PoolSockClosed {
				s.State, s.ClosedBy = PoolSockClosed, ev.By
				if ev.Kind == timeline.Refused {
					s.ClosedBy = timeline.ByServer
				}
			}
		}
	}
	return out
}
