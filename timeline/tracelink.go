package timeline

import (
	"fmt"
	"strings"

	"github.com/keepalive-playground/playground/fragment"
)

// Trace links share a recorded run: "#t=" and the same codec as scenario
// links (package fragment). A run replays from its link without a backend.
const (
	TraceLinkPrefix = "#t="
	// MaxTraceLinkChars bounds a trace link. A lesson's run fits in a few
	// thousand characters; a longer run is shared as a file instead.
	MaxTraceLinkChars = 32 << 10
)

// EncodeLink returns the fragment that shares the trace, or an error
// saying it is too long for a link (share the file instead).
func (t Trace) EncodeLink() (string, error) {
	js, err := t.Encode()
	if err != nil {
		return "", err
	}
	payload, err := fragment.Encode(js)
	if err != nil {
		return "", err
	}
	if len(payload) > MaxTraceLinkChars {
		return "", fmt.Errorf("this run makes a link of %d characters; the limit is %d: export the trace as a file instead", len(payload), MaxTraceLinkChars)
	}
	return TraceLinkPrefix + payload, nil
}

// DecodeTraceLink opens a trace link (a whole URL, "#t=…", "t=…" or the
// payload alone).
func DecodeTraceLink(text string) (*Trace, error) {
	payload, err := fragment.Find(strings.TrimSpace(text), "t")
	if err != nil {
		return nil, err
	}
	js, err := fragment.Decode(payload, MaxTraceLinkChars, MaxTraceBytes, "trace")
	if err != nil {
		return nil, err
	}
	return DecodeTrace(js)
}
