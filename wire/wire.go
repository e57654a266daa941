// Package wire defines the messages that travel over the playground's
// WebSocket between the browser client and the backend. Every message is
// one JSON text frame with a "type". The package is platform-neutral: the
// wasm client and the backend both use it.
package wire

import (
	"encoding/json"

	"github.com/keepalive-playground/playground/timeline"
)

// Version is the protocol version exchanged in hello/ready. The backend
// refuses a hello with another version, so a stale cached client asks the
// person to reload instead of misbehaving.
const Version = 1

// MaxMessageBytes bounds one WebSocket message from the browser; the
// backend reads no more of one.
const MaxMessageBytes = 64 << 10

// MaxServerMessageBytes bounds one message from the backend. It is sized
// so that no message a session may send reaches it (TestServerMessagesFit
// builds the largest of each type): an event carries at most
// MaxWriteBytes of data, six bytes each once escaped as JSON; a loaded
// message carries a scenario of at most scenario.MaxScenarioBytes and the
// program it stands for; an error's text is capped by the session. A
// message lost to this bound would be a gap in the timeline, so the limit
// is the one in front of the page's decoder, not a guess.
const MaxServerMessageBytes = 1 << 20

// Browser → backend.
const (
	Hello   = "hello"   // V: protocol version; first message
	Ping    = "ping"    // Seq: echoed in the pong
	Open    = "open"    // Conn: open a virtual connection (At optional)
	Write   = "write"   // Conn, Data, At optional
	Shut    = "shut"    // Conn: half-close (the client's FIN)
	Reset   = "reset"   // Conn: abort with RST
	Load    = "load"    // Scenario: replace the demo server; Run: this load is a run (see End); Play: the session plays its steps; Seq: echoed in its loaded
	Control = "control" // Action: close, closeIdle, closeAll, shutdown, exit
	Restart = "restart" // restart the demo server with the current scenario
	// Compare runs every variant of Scenario's comparison (its compare
	// field), each on a demo server of its own, beside the live one.
	Compare = "compare" // Scenario
	// Outcome is a pooled client's report of one request it made (an
	// extension): Event holds a timeline.Outcome event without t (conn,
	// method, path, pool, status or error, reused, retried). The session
	// stamps it on its clock and sends it on as an event.
	Outcome = "outcome" // Event
)

// Backend → browser.
const (
	Ready  = "ready"  // V, Session, Now
	Pong   = "pong"   // Seq, Now
	Ev     = "event"  // Seq (increasing per session), Event
	Loaded = "loaded" // Scenario as loaded, Program: the server program behind it; Seq: the load's it answers
	Error  = "error"  // Code, Message; Conn when about one connection
	Bye    = "bye"    // Message: the backend is going away (shutdown)
	// EOF says the client end of Conn read end-of-stream: the server's FIN
	// reached it. It is not a timeline event (the server's close event
	// says why); a client that reads (the pooled client) needs it. Now is
	// when it was read, on the session clock.
	EOF = "eof" // Conn, Now
	// End says the run is over (a load with Run, or `playground run`):
	// Now is its end on the session clock, Reason why (EndDuration or
	// EndFinished). The session sends no event after it, and the demo
	// server of that run is stopped; what the person does next (Restart,
	// or a new load) starts anew.
	End = "end" // Now, Reason

	// A comparison (Compare): Comparing names its runs before the first
	// of their events; CEvent is one event of run Variant (1-based), on
	// that run's own clock; Compared ends it, with each run's end and
	// where the timelines part, or with Message when it could not run.
	Comparing = "comparing" // Variants (names, notes)
	CEvent    = "cevent"    // Variant, Event
	Compared  = "compared"  // Variants, Partings; Message on failure
)

// Why a run ended (End's Reason).
const (
	// EndDuration: the scenario's durationMs passed.
	EndDuration = "duration"
	// EndFinished: nothing more could happen (every step was done, the
	// demo server exited and every connection had closed).
	EndFinished = "finished"
)

// EndSentence says why a run ended, as the page and `playground run`
// both put it.
func EndSentence(reason string) string {
	switch reason {
	case EndDuration:
		return "its durationMs had passed; nothing after it is part of the run"
	case EndFinished:
		return "nothing more could happen (every step done, the demo server exited, every connection closed)"
	}
	return reason
}

// Msg is every message; fields not used by a type are left empty.
type Msg struct {
	Type     string          `json:"type"`
	V        int             `json:"v,omitempty"`
	Session  string          `json:"session,omitempty"`
	Seq      uint64          `json:"seq,omitempty"`
	Conn     string          `json:"conn,omitempty"`
	Data     []byte          `json:"data,omitempty"`
	At       *float64        `json:"at,omitempty"`
	Action   string          `json:"action,omitempty"`
	Scenario json.RawMessage `json:"scenario,omitempty"`
	Event    *timeline.Event `json:"event,omitempty"`
	Code     string          `json:"code,omitempty"`
	Message  string          `json:"message,omitempty"`
	Now      float64         `json:"now,omitempty"`
	// Program is the code view: the runnable server program a scenario
	// stands for (package codeview).
	Program string `json:"program,omitempty"`
	// Sent, in a pong, is the seq of the last event the session had sent
	// before it: messages arrive in order, so a page that has received
	// fewer events than that by the pong has lost some (the load
	// generator counts them).
	Sent uint64 `json:"sent,omitempty"`
	// ProxyProgram is the code view of the scenario's proxy: the nginx
	// configuration, the Go proxy program or the ALB's settings.
	ProxyProgram string `json:"proxyProgram,omitempty"`
	// Run, in a load, makes the load a run: it ends at the scenario's
	// durationMs, or sooner when nothing more can happen, with an End.
	Run bool `json:"run,omitempty"`
	// Play, in a load, has the session play the scenario's own client
	// steps (Steps) on its clock as soon as the demo server listens. Steps
	// a page sends after `loaded` reach the session one link latency
	// late, and on a slow link the first steps of every run would be
	// squeezed together; a client that sends its own steps leaves Play
	// unset.
	Play bool `json:"play,omitempty"`
	// Reason, in an end, says why the run ended.
	Reason string `json:"reason,omitempty"`
	// Variant, in a cevent, is the run of the comparison (1-based).
	Variant int `json:"variant,omitempty"`
	// Variants are a comparison's runs, in order.
	Variants []VariantInfo `json:"variants,omitempty"`
	// Partings are where a comparison's timelines part (timeline.Compare).
	Partings []timeline.Parting `json:"partings,omitempty"`
}

// VariantInfo is one run of a comparison as the page shows it.
type VariantInfo struct {
	// Name says what the run varies: "node18", "socketTimeoutMs=4000".
	Name string `json:"name"`
	// Notes say how the scenario was adapted for the run.
	Notes []string `json:"notes,omitempty"`
	// Runtime is the run's runtime (a row of the runtime table).
	Runtime string `json:"runtime,omitempty"`
	// EndMs and EndReason (EndDuration, EndFinished), in compared.
	EndMs     float64 `json:"endMs,omitempty"`
	EndReason string  `json:"endReason,omitempty"`
	// Errors are what a person would have seen in the page on that run.
	Errors []string `json:"errors,omitempty"`
}

// MaxPartings bounds a compared message's partings: one per connection
// at most, and a session has at most a few hundred.
const MaxPartings = 512

// Error codes a person may see explained.
const (
	CodeBadMessage = "bad-message"
	CodeVersion    = "version"
	CodeLimit      = "limit"
	CodeScenario   = "scenario"
	CodeConn       = "conn"
	CodeInternal   = "internal"
	CodeShutdown   = "shutdown"
)
