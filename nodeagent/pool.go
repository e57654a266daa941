package nodeagent

import "github.com/keepalive-playground/playground/scenario"

// FromPool is the Agent a scenario's node-agent pool stands for: its
// line's http.globalAgent, or new http.Agent(options) of that line (the
// pool's runtime, else the server's when it is Node, else the newest LTS
// line).
func FromPool(p scenario.Pool, server scenario.Server) (Options, error) {
	rt := p.AgentRuntime(server)
	if p.GlobalAgent {
		return GlobalAgent(rt)
	}
	deref := func(v *int) int {
		if v == nil {
			return 0
		}
		return *v
	}
	return Options{
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

// Message is the failure as a Node program prints it ("Error: socket
// hang up (ECONNRESET)": the message, then err.code), "" on success.
func (r Result) Message() string {
	if r.Err == "" {
		return ""
	}
	if r.Code == "" {
		return "Error: " + r.Err
	}
	return "Error: " + r.Err + " (" + r.Code + ")"
}
