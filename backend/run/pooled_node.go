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

func newNodePooled(p scenario.Pool, sv scenario.Server, send func(wire.Msg)) (*nodePooled, error) {
	opts, err := nodeagent.FromPool(p, sv)
	if err != nil {
		return nil, fmt.Errorf("pool %s: %w", p.Name, err)
	}
	d := pool.NewDialer(send, p.Name)
	d.SetLinkDelay(p.LinkDelay())
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
	return PoolResult{Conn: res.Conn, Reused: res.Reused, Status: res.Status, Err: res.Message()}
}

func (n *nodePooled) Deliver(m wire.Msg) bool { return n.d.Deliver(m) }

// Close fails the agent's connections, then destroys it.
func (n *nodePooled) Close() {
	n.d.Abandon(errRunEnded)
	n.a.Destroy()
}
