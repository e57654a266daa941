package timeline

// Match selects events; an empty field matches anything.
type Match struct {
	Conn     string `json:"conn,omitempty"`
	Kind     string `json:"kind,omitempty"`
	By       string `json:"by,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Method   string `json:"method,omitempty"`
	Path     string `json:"path,omitempty"`
	Status   int    `json:"status,omitempty"`
	Side     string `json:"side,omitempty"`     // tcp events: client or server
	State    string `json:"state,omitempty"`    // tcp events: TIME_WAIT, …
	Contains string `json:"contains,omitempty"` // Data or Error contains this text
	Hop      string `json:"hop,omitempty"`      // "upstream": only a proxy's upstream connections
	Upstream string `json:"upstream,omitempty"` // forward / proxy-error about this upstream connection
	// Pool, Reused and Retried select outcome events: of this pool, on a
	// reused connection or not, sent more than once or not.
	Pool    string `json:"pool,omitempty"`
	Reused  *bool  `json:"reused,omitempty"`
	Retried *bool  `json:"retried,omitempty"`
}

// Check is one predicate over a run's events, shared by lessons, scenarios
// and `playground run`. Examples, as JSON:
//
//	{"name":"an exit event exists", "kind":"exit"}
//	{"name":"no exit", "kind":"exit", "count":0}
//	{"name":"the second request on A got a response", "conn":"A", "kind":"response", "nth":2}
//	{"name":"A closed by the server 4000–4200 ms after its last response",
//	 "conn":"A", "kind":"close", "by":"server",
//	 "since":{"conn":"A","kind":"response"}, "minMs":4000, "maxMs":4200}
type Check struct {
	Name string `json:"name,omitempty"`
	Hint string `json:"hint,omitempty"`
	Match
	// Nth picks the nth matching event (1-based; -1 is the last); 0 means
	// any matching event will do.
	Nth int `json:"nth,omitempty"`
	// Count, when set, passes when exactly this many events match (after
	// the time window is applied).
	Count *int `json:"count,omitempty"`
	// Since measures an event's time from the last event matching it at or
	// before that event; without Since, time is measured from session start.
	Since *Match `json:"since,omitempty"`
	// MinMs and MaxMs bound the measured time, inclusive.
	MinMs *float64 `json:"minMs,omitempty"`
	MaxMs *float64 `json:"maxMs,omitempty"`
}
