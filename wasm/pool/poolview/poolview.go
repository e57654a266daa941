// Package poolview is what pool.wasm reports of its pools' sockets to the
// page's pool panel. It is apart from package pool so that main.wasm can
// read the reports without linking Go's net/http client, which only
// pool.wasm carries.
package poolview

// Socket states of a PoolState, one vocabulary for both clients:
// Node's words (agent.sockets, agent.freeSockets), as nodeagent's
// SocketState spells them.
const (
	SockActive = "active" // carrying a request, or connecting
	SockFree   = "free"   // idle in the pool
	SockClosed = "closed"
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
