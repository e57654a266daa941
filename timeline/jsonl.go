package timeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// Limits on traces read from files and pastes.
const (
	// MaxEventLineBytes bounds one JSONL line: an event carries at most
	// one read's worth of bytes (a recv), which the backend keeps far
	// smaller than this.
	MaxEventLineBytes = 1 << 20
	// MaxTraceEvents bounds the events of one trace: a two-minute run with
	// a busy script stays well under it.
	MaxTraceEvents = 100_000
	// MaxTraceBytes bounds an encoded Trace.
	MaxTraceBytes = 16 << 20
)

// Validate reports what makes e unusable on a timeline.
func (e Event) Validate() error {
	switch {
	case math.IsNaN(e.T) || math.IsInf(e.T, 0) || e.T < 0:
		return fmt.Errorf("t: %v is not a time on the session clock (finite, >= 0)", e.T)
	case e.Kind == "":
		return errors.New("kind: missing")
	}
	return nil
}

// decodeEvent parses one event strictly: unknown fields and trailing data
// are errors.
func decodeEvent(line []byte) (Event, error) {
	var e Event
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Event{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return Event{}, errors.New("data after the event")
	}
	return e, e.Validate()
}

// ParseJSONL reads events written one JSON object per line, as
// `playground run --json` prints them. Blank lines are skipped; errors name
// the line.
func ParseJSONL(r io.Reader) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxEventLineBytes)
	var events []Event
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if len(events) == MaxTraceEvents {
			return nil, fmt.Errorf("line %d: more than %d events", n, MaxTraceEvents)
		}
		e, err := decodeEvent(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("read events: a line is longer than %d bytes", MaxEventLineBytes)
		}
		return nil, fmt.Errorf("read events: %w", err)
	}
	return events, nil
}

// WriteJSONL writes events one JSON object per line. HTML is not escaped,
// so raw request bytes stay readable.
func WriteJSONL(w io.Writer, events []Event) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i, e := range events {
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("write event %d: %w", i, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write events: %w", err)
	}
	return nil
}
