package scenario

// Limits. A scenario arrives from a link anyone can craft, so every number
// and every list has a bound; the bounds are generous for teaching and small
// enough that a hostile link cannot make a session expensive.
const (
	// MaxTimeoutMs bounds every server timeout knob (10 minutes): long
	// enough for Node's 300 s requestTimeout default, and no session lives
	// long enough to see more.
	MaxTimeoutMs = 600_000

	// MaxDelayMs bounds Route.DelayMs: a response can be held for the whole
	// of the longest run, no longer.
	MaxDelayMs = MaxDurationMs

	// MaxDurationMs bounds Scenario.DurationMs (2 minutes): a run is a
	// lesson-sized experiment, not a soak test.
	MaxDurationMs = 120_000

	// DefaultDurationMs is the run length when DurationMs is unset: long
	// enough to watch Node's 5 s keep-alive timeout fire.
	DefaultDurationMs = 10_000

	// MaxSteps bounds Client.Steps.
	MaxSteps = 200

	// MaxRoutes bounds Server.Routes.
	MaxRoutes = 32

	// MaxThenActions bounds a route's list of actions: more than a
	// handler's few shutdown calls teaches nothing.
	MaxThenActions = 4

	// MaxBodyBytes bounds Route.Body and Request.Body: a teaching response
	// fits in one TCP segment.
	MaxBodyBytes = 4096

	// MaxSendBytes bounds the bytes one step writes (a raw send or a
	// rendered request).
	MaxSendBytes = 16384

	// MaxConns bounds the distinct connection labels in a script: one per
	// letter of the alphabet.
	MaxConns = 26

	// MaxConnLabelLen is the longest connection label (see ValidConn).
	MaxConnLabelLen = 16

	// MaxTitleChars bounds Scenario.Title (in characters, not bytes).
	MaxTitleChars = 120

	// MaxLessonChars bounds Scenario.Lesson, a lesson slug.
	MaxLessonChars = 64

	// MaxChecks bounds Scenario.Checks.
	MaxChecks = 32

	// MaxRequestsPerSocketLimit bounds Server.MaxRequestsPerSocket.
	MaxRequestsPerSocketLimit = 10_000

	// MaxHeaders bounds Request.Headers.
	MaxHeaders = 32

	// MaxTargetBytes bounds a route path and a request target.
	MaxTargetBytes = 1024

	// MaxLinkChars bounds the encoded payload of a link: browsers and chat
	// tools start truncating URLs not far beyond this.
	MaxLinkChars = 8192

	// MaxLinkJSONBytes bounds a link's inflated JSON, enforced while
	// inflating so that a deflate bomb is rejected, never allocated.
	MaxLinkJSONBytes = 65536

	// MaxScenarioBytes bounds the JSON that Decode accepts (the same bound
	// as a link's inflated payload, so every scenario can be shared).
	MaxScenarioBytes = MaxLinkJSONBytes
)
