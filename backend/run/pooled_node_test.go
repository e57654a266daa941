package run

import (
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/timeline"
)

// TestNodeAgentPool: a node-agent pool's steps run through nodeagent over
// the session's virtual connections, with the line's own rules: the
// server's Keep-Alive hint less the agent's buffer ends a free socket
// (node26), Node 18's global agent keeps none, and the server ending a
// new socket before its answer is Node's socket hang up, which
// retryReused does not send again (the socket was not reused). (nodeagent's own
// tests and backend/sandbox/agentdiff hold the rest to real Node.)
func TestNodeAgentPool(t *testing.T) {
	tests := []struct {
		name, js string
		want     []string // outcomeText of each outcome
		errs     []string // each failed outcome's error
	}{
		{name: "hint less the buffer", js: `{"v":1,"server":{"runtime":"node26","keepAliveTimeoutMs":2000},
			"client":{"pools":[{"name":"web","kind":"node-agent","keepAlive":true,"timeoutMs":5000}],
			"steps":[{"at":0,"pool":"web","request":{}},{"at":300,"pool":"web","request":{}},{"at":1600,"pool":"web","request":{}}]},
			"durationMs":2500}`,
			want: []string{"web web1 GET / 200", "web web1 GET / 200 reused", "web web2 GET / 200"}},
		{name: "node18's global agent keeps no socket", js: `{"v":1,"server":{"runtime":"node18"},
			"client":{"pools":[{"name":"web","kind":"node-agent","globalAgent":true}],
			"steps":[{"at":0,"pool":"web","request":{}},{"at":300,"pool":"web","request":{}}]},
			"durationMs":1000}`,
			want: []string{"web web1 GET / 200", "web web2 GET / 200"}},
		{name: "socket hang up on a new socket is not retried", js: `{"v":1,"server":{"runtime":"node22","socketTimeoutMs":500,
			"routes":[{"path":"/slow","body":"late","delayMs":1000},{"path":"*","body":"Hello World!"}]},
			"client":{"pools":[{"name":"web","kind":"node-agent","keepAlive":true,"retryReused":true}],
			"steps":[{"at":0,"pool":"web","request":{"path":"/slow"}}]},
			"durationMs":1500}`,
			want: []string{"web web1 GET /slow error"},
			errs: []string{"Error: socket hang up (ECONNRESET)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := poolRun(t, tt.js)
			os := outcomes(res)
			var got, errs []string
			for _, o := range os {
				got = append(got, outcomeText(o))
				if o.Error != "" {
					errs = append(errs, o.Error)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") || strings.Join(errs, "\n") != strings.Join(tt.errs, "\n") {
				t.Errorf("outcomes:\n%s\nerrors %q\nwant:\n%s\nerrors %q\n%s", strings.Join(got, "\n"), errs,
					strings.Join(tt.want, "\n"), tt.errs, eventLog(res))
			}
			for _, e := range res.Events {
				if e.Conn == "web1" && e.Kind == timeline.Connect {
					return
				}
			}
			t.Errorf("the pool's connection is not on the timeline:\n%s", eventLog(res))
		})
	}
}
