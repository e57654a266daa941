package run

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/keepalive-playground/playground/nodeagent"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/wasm/pool"
	"github.com/keepalive-playground/playground/wire"
)

// errRunEnded is what a node-agent pool's connections fail with when the
// run ends under them.
var errRunEnded = errors.New("the run has ended")

// nodePooled is Node's http.Agent of one release line (package nodeagent)
// over the session's virtual connections.
type nodePooled struct {
	d *pool.Dialer
	a *nodeagent.Agent
}

// agentOptions are a node-agent pool's nodeagent options: the line's
// http.globalAgent, or new http.Agent(options).
func agentOptions(p scenario.Pool, sv scenario.Server) (nodeagent.Options, error) {
	rt := p.AgentRuntime(sv)
	if p.GlobalAgent {
		return nodeagent.GlobalAgent(rt)
	}
	deref := func(v *int) int {
		if v == nil {
			return 0
		}
		return *v
	}
	return nodeagent.Options{
		Release:                rt,
		KeepAlive:              p.KeepAlive != nil && *p.KeepAlive,
		KeepAliveMsecs:         deref(p.KeepAliveMsecs),
		MaxSockets:             deref(p.MaxSockets),
		MaxFreeSockets:         deref(p.MaxFreeSockets),
		MaxTotalSockets:        deref(p.MaxTotalSockets),
		Timeout:                scenario.Duration(p.TimeoutMs),
		Scheduling:             p.Scheduling,
		KeepAliveTimeoutBuffer: scenario.Duration(p.KeepAliveTimeoutBufferMs),
	}, nil
}

func newNodePooled(p scenario.Pool, sv scenario.Server, send func(wire.Msg)) (*nodePooled, error) {
	opts, err := agentOptions(p, sv)
	if err != nil {
		return nil, fmt.Errorf("pool %s: %w", p.Name, err)
	}
	d := pool.NewDialer(send, p.Name)
	a, err := nodeagent.New(opts, d.Dial)
	if err != nil {
		return nil, fmt.Errorf("pool %s: %w", p.Name, err)
	}
	return &nodePooled{d: d, a: a}, nil
}

func (n *nodePooled) Do(ctx context.Context, r scenario.Request) PoolResult {
	var h [][2]string
	for _, k := range slices.Sorted(maps.Keys(r.Headers)) {
		h = append(h, [2]string{k, r.Headers[k]})
	}
	res := n.a.Do(ctx, nodeagent.Request{Method: r.Method, Path: r.Path, Header: h, Body: r.Body})
	out := PoolResult{Conn: res.Conn, Reused: res.Reused, Status: res.Status}
	if res.Err != "" {
		// As Node prints it: the message, then err.code.
		out.Err = "Error: " + res.Err
		if res.Code != "" {
			out.Err += " (" + res.Code + ")"
		}
	}
	return out
}

func (n *nodePooled) Deliver(m wire.Msg) bool { return n.d.Deliver(m) }

// Close fails the agent's connections, then destroys it.
func (n *nodePooled) Close() {
	n.d.Abandon(errRunEnded)
	n.a.Destroy()
}
