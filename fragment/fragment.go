// Package fragment is the codec of the playground's links: a payload in
// the URL fragment (#s=… for a scenario, #t=… for a recorded trace) is the
// unpadded base64url of raw-deflated JSON. Decoding is bounded both in the
// text it reads and in what it inflates to, so a small link cannot expand
// into a large allocation. It is platform-neutral.
package fragment

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

// Encode deflates data (best compression) and encodes it as unpadded
// base64url.
func Encode(data []byte) (string, error) {
	var buf bytes.Buffer
	zw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return "", fmt.Errorf("deflate: %w", err)
	}
	if _, err := zw.Write(data); err != nil {
		return "", fmt.Errorf("deflate: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("deflate: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// Decode undoes Encode. It refuses a payload longer than maxChars and
// output larger than maxBytes; padded base64url is accepted too. what
// names the payload in errors ("scenario", "trace").
func Decode(payload string, maxChars, maxBytes int, what string) ([]byte, error) {
	if len(payload) > maxChars {
		return nil, fmt.Errorf("the link is longer than %d characters", maxChars)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil {
		return nil, fmt.Errorf("the link is not base64url (%v)", err)
	}
	br := bytes.NewReader(raw)
	zr := flate.NewReader(br)
	defer zr.Close()
	data, err := io.ReadAll(io.LimitReader(zr, int64(maxBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("the link is truncated or damaged (deflate: %v)", err)
	}
	if len(data) > maxBytes {
		return nil, fmt.Errorf("the link's %s inflates to more than %d bytes", what, maxBytes)
	}
	if br.Len() != 0 {
		return nil, fmt.Errorf("the link is damaged: it has data after the end of its compressed %s", what)
	}
	return data, nil
}

// Find returns the value of key in a link pasted in any form: a whole URL
// ("http://host/#key=…", "/#key=…"), a fragment ("#key=…"), "key=…", or
// (bare) the payload alone. Fragment parts are separated by '&'.
func Find(text, key string) (string, error) {
	prefix := key + "="
	if text == "" {
		return "", errors.New("the link is empty")
	}
	frag, hasFrag := "", false
	if i := strings.IndexByte(text, '#'); i >= 0 {
		frag, hasFrag = text[i+1:], true
	} else if strings.HasPrefix(text, prefix) {
		frag, hasFrag = text, true
	} else if strings.Contains(text, "://") || strings.HasPrefix(text, "/") {
		return "", fmt.Errorf("the link has no #%s part: copy the whole address, including what follows '#'", prefix)
	}
	if !hasFrag {
		return text, nil
	}
	for part := range strings.SplitSeq(frag, "&") {
		if v, ok := strings.CutPrefix(part, prefix); ok {
			if strings.Contains(v, "%") {
				u, err := url.QueryUnescape(v)
				if err != nil {
					return "", fmt.Errorf("the link is not base64url (%v)", err)
				}
				v = u
			}
			if v == "" {
				return "", fmt.Errorf("the link's %s part is empty", prefix)
			}
			return v, nil
		}
	}
	return "", fmt.Errorf("the link has no %s part after '#'", prefix)
}
