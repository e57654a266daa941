package timeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// TraceVersion is the newest trace format this build reads and writes.
const TraceVersion = 1

// Trace is an exported run: the scenario that ran (its JSON, which the
// scenario package validates) and every event, for import into another
// browser or for attaching to a bug report.
type Trace struct {
	V        int             `json:"v"`
	Scenario json.RawMessage `json:"scenario,omitempty"`
	Events   []Event         `json:"events"`
}

// Encode renders the trace as compact JSON.
func (t Trace) Encode() ([]byte, error) {
	if t.V == 0 {
		t.V = TraceVersion
	}
	if t.Events == nil {
		t.Events = []Event{} // "events": [] reads better than null
	}
	if len(t.Events) > MaxTraceEvents {
		return nil, fmt.Errorf("encode trace: %d events; the limit is %d", len(t.Events), MaxTraceEvents)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(t); err != nil {
		return nil, fmt.Errorf("encode trace: %w", err)
	}
	if b.Len() > MaxTraceBytes {
		return nil, fmt.Errorf("encode trace: %d bytes; the limit is %d", b.Len(), MaxTraceBytes)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// DecodeTrace parses a trace strictly: unknown fields, trailing data,
// oversized input, a version this build cannot read and invalid events
// are errors.
func DecodeTrace(data []byte) (*Trace, error) {
	if len(data) > MaxTraceBytes {
		return nil, fmt.Errorf("the trace is %d bytes; the limit is %d", len(data), MaxTraceBytes)
	}
	var t Trace
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("the trace is not valid: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("the trace has data after its end")
	}
	switch {
	case t.V == 0:
		return nil, fmt.Errorf(`v: missing; a trace starts with "v": %d`, TraceVersion)
	case t.V > TraceVersion:
		return nil, fmt.Errorf("this trace was made by a newer version of the playground (trace v%d); this build reads v%d", t.V, TraceVersion)
	case t.V < 0:
		return nil, fmt.Errorf("v: %d is not a trace version", t.V)
	}
	if len(t.Events) > MaxTraceEvents {
		return nil, fmt.Errorf("events: %d events; the limit is %d", len(t.Events), MaxTraceEvents)
	}
	for i, e := range t.Events {
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("events[%d].%w", i, err)
		}
	}
	if len(t.Events) == 0 {
		t.Events = nil
	}
	if len(t.Scenario) > 0 {
		if string(t.Scenario) == "null" {
			t.Scenario = nil
		} else if t.Scenario[0] != '{' {
			return nil, errors.New("scenario: must be a JSON object")
		} else {
			// Compact so that a decoded trace encodes to what it decodes from.
			var b bytes.Buffer
			if err := json.Compact(&b, t.Scenario); err != nil {
				return nil, fmt.Errorf("scenario: %w", err)
			}
			t.Scenario = b.Bytes()
		}
	}
	return &t, nil
}
