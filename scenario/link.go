package scenario

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
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
	var buf bytes.Buffer
	zw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return "", fmt.Errorf("deflate: %w", err)
	}
	if _, err := zw.Write(js); err != nil {
		return "", fmt.Errorf("deflate: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("deflate: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(buf.Bytes())
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
	payload, err := linkPayload(text)
	if err != nil {
		return nil, err
	}
	if len(payload) > MaxLinkChars {
		return nil, fmt.Errorf("the link is longer than %d characters", MaxLinkChars)
	}
	payload = strings.TrimRight(payload, "=")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, fmt.Errorf("the link is not base64url (%v)", err)
	}
	js, err := inflate(raw)
	if err != nil {
		return nil, err
	}
	s, err := Decode(js)
	if err != nil {
		return nil, fmt.Errorf("the link holds a scenario this build cannot open:\n%w", err)
	}
	return s, nil
}

// linkPayload finds the s= value in whatever form the link was pasted.
func linkPayload(text string) (string, error) {
	if text == "" {
		return "", errors.New("the link is empty")
	}
	frag, hasFrag := "", false
	if i := strings.IndexByte(text, '#'); i >= 0 {
		frag, hasFrag = text[i+1:], true
	} else if strings.HasPrefix(text, "s=") {
		frag, hasFrag = text, true
	} else if strings.Contains(text, "://") || strings.HasPrefix(text, "/") {
		return "", errors.New("the link has no #s= part: copy the whole address, including what follows '#'")
	}
	if !hasFrag {
		return text, nil
	}
	for part := range strings.SplitSeq(frag, "&") {
		if v, ok := strings.CutPrefix(part, "s="); ok {
			if strings.Contains(v, "%") {
				u, err := url.QueryUnescape(v)
				if err != nil {
					return "", fmt.Errorf("the link is not base64url (%v)", err)
				}
				v = u
			}
			if v == "" {
				return "", errors.New("the link's s= part is empty")
			}
			return v, nil
		}
	}
	return "", errors.New("the link has no s= part after '#'")
}

// inflate undoes raw deflate, reading at most MaxLinkJSONBytes+1 bytes so
// that a small link cannot expand into a large allocation.
func inflate(raw []byte) ([]byte, error) {
	br := bytes.NewReader(raw)
	zr := flate.NewReader(br)
	defer zr.Close()
	js, err := io.ReadAll(io.LimitReader(zr, MaxLinkJSONBytes+1))
	if err != nil {
		return nil, fmt.Errorf("the link is truncated or damaged (deflate: %v)", err)
	}
	if len(js) > MaxLinkJSONBytes {
		return nil, fmt.Errorf("the link's scenario inflates to more than %d bytes", MaxLinkJSONBytes)
	}
	if br.Len() != 0 {
		return nil, errors.New("the link is damaged: it has data after the end of its compressed scenario")
	}
	return js, nil
}
