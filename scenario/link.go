package scenario

import (
	"fmt"
	"strings"

	"github.com/keepalive-playground/playground/fragment"
)

// LinkPrefix starts every link fragment the playground makes.
const LinkPrefix = "#s="

// maxLinkURLChars bounds a whole pasted URL: the payload plus room for a
// scheme, host and path.
const maxLinkURLChars = MaxLinkChars + 1024

// EncodeLink returns the fragment that shares s: "#s=" followed by the
// unpadded base64url of the raw-deflated compact JSON. It refuses a
// scenario that does not validate or that would not fit in a link, so
// every link it makes opens.
func EncodeLink(s *Scenario) (string, error) {
	if err := s.Validate(); err != nil {
		return "", fmt.Errorf("the scenario cannot be shared: %w", err)
	}
	js, err := Marshal(s)
	if err != nil {
		return "", err
	}
	if len(js) > MaxLinkJSONBytes {
		return "", fmt.Errorf("the scenario is %d bytes of JSON; a link holds at most %d", len(js), MaxLinkJSONBytes)
	}
	payload, err := fragment.Encode(js)
	if err != nil {
		return "", err
	}
	if len(payload) > MaxLinkChars {
		return "", fmt.Errorf("the scenario makes a link of %d characters; the limit is %d: shorten the script or bodies", len(payload), MaxLinkChars)
	}
	return LinkPrefix + payload, nil
}

// DecodeLink opens a link. It takes a whole URL ("http://host/#s=…",
// "/#s=…"), a fragment ("#s=…"), "s=…" or the bare payload; padded
// base64url is accepted too.
func DecodeLink(text string) (*Scenario, error) {
	text = strings.TrimSpace(text)
	if len(text) > maxLinkURLChars {
		return nil, fmt.Errorf("the link is longer than %d characters", MaxLinkChars)
	}
	payload, err := fragment.Find(text, "s")
	if err != nil {
		return nil, err
	}
	js, err := fragment.Decode(payload, MaxLinkChars, MaxLinkJSONBytes, "scenario")
	if err != nil {
		return nil, err
	}
	s, err := Decode(js)
	if err != nil {
		return nil, fmt.Errorf("the link holds a scenario this build cannot open:\n%w", err)
	}
	return s, nil
}
