package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/keepalive-playground/playground/scenario"
)

// MaxWriteBytes bounds the Data of one write. It admits any scenario step
// (scenario.MaxSendBytes) and, base64-encoded, still fits a message.
const MaxWriteBytes = 32 << 10

// MaxTextBytes bounds Session and Code, which are identifiers. Message is
// bounded only by the message's own bound: a scenario's list of problems
// can be long (the session caps it).
const MaxTextBytes = 256

// fromBrowser holds the types the browser sends; they are bounded by
// MaxMessageBytes, the backend's by MaxServerMessageBytes.
var fromBrowser = map[string]bool{
	Hello: true, Ping: true, Open: true, Write: true, Shut: true, Reset: true, Load: true, Control: true, Restart: true, Compare: true, Outcome: true,
}

// Limit is the most bytes one message of type typ may take: MaxMessageBytes
// for what the browser sends, MaxServerMessageBytes for the backend's.
func Limit(typ string) int {
	if fromBrowser[typ] {
		return MaxMessageBytes
	}
	return MaxServerMessageBytes
}

// msgType is Msg for the strict key check.
var msgType = reflect.TypeFor[Msg]()

// Actions a control message may ask for: every server control of every
// runtime in the table, each once.
var Actions = func() []string {
	var as []string
	for _, rt := range scenario.Runtimes() {
		for _, c := range rt.Controls {
			if !slices.Contains(as, c.Action) {
				as = append(as, c.Action)
			}
		}
	}
	return as
}()

// field names the Msg fields for the per-type rules.
type field int

const (
	fV field = iota
	fSession
	fSeq
	fConn
	fData
	fAt
	fAction
	fScenario
	fEvent
	fCode
	fMessage
	fNow
	fProgram
	fSent
	fProxyProgram
	fRun
	fReason
	fVariant
	fVariants
	fPartings
	fPlay
	nFields
)

var fieldNames = [nFields]string{"v", "session", "seq", "conn", "data", "at", "action", "scenario", "event", "code", "message", "now", "program", "sent", "proxyProgram", "run", "reason", "variant", "variants", "partings", "play"}

type rule struct {
	allowed  []field
	required []field
}

// rules says, per message type, which fields it may carry and which it
// must. A field another type uses is an error here rather than silently
// ignored: a client that sends one is confused, and saying so early keeps
// the two sides honest.
var rules = map[string]rule{
	Hello:   {allowed: []field{fV}, required: []field{fV}},
	Ping:    {allowed: []field{fSeq}},
	Open:    {allowed: []field{fConn, fAt}, required: []field{fConn}},
	Write:   {allowed: []field{fConn, fData, fAt}, required: []field{fConn, fData}},
	Shut:    {allowed: []field{fConn, fAt}, required: []field{fConn}},
	Reset:   {allowed: []field{fConn, fAt}, required: []field{fConn}},
	Load:    {allowed: []field{fScenario, fRun, fPlay, fSeq}, required: []field{fScenario}},
	Control: {allowed: []field{fAction}, required: []field{fAction}},
	Restart: {},
	Compare: {allowed: []field{fScenario}, required: []field{fScenario}},
	Outcome: {allowed: []field{fEvent}, required: []field{fEvent}},

	Ready:  {allowed: []field{fV, fSession, fNow}, required: []field{fV, fSession}},
	Pong:   {allowed: []field{fSeq, fNow, fSent}},
	Ev:     {allowed: []field{fSeq, fEvent}, required: []field{fEvent}},
	Loaded: {allowed: []field{fScenario, fProgram, fProxyProgram, fNow, fSeq}, required: []field{fScenario}},
	Error:  {allowed: []field{fCode, fMessage, fConn}, required: []field{fCode, fMessage}},
	Bye:    {allowed: []field{fMessage}},
	EOF:    {allowed: []field{fConn, fNow}, required: []field{fConn}},
	End:    {allowed: []field{fNow, fReason}, required: []field{fReason}},

	Comparing: {allowed: []field{fVariants}, required: []field{fVariants}},
	CEvent:    {allowed: []field{fVariant, fEvent}, required: []field{fVariant, fEvent}},
	Compared:  {allowed: []field{fVariants, fPartings, fMessage}},
}

// set reports which fields m carries.
func (m *Msg) set() [nFields]bool {
	return [nFields]bool{
		fV: m.V != 0, fSession: m.Session != "", fSeq: m.Seq != 0, fConn: m.Conn != "",
		fData: len(m.Data) > 0, fAt: m.At != nil, fAction: m.Action != "",
		fScenario: len(m.Scenario) > 0, fEvent: m.Event != nil, fCode: m.Code != "",
		fMessage: m.Message != "", fNow: m.Now != 0, fProgram: m.Program != "", fSent: m.Sent != 0,
		fProxyProgram: m.ProxyProgram != "", fRun: m.Run, fReason: m.Reason != "",
		fVariant: m.Variant != 0, fVariants: len(m.Variants) > 0, fPartings: len(m.Partings) > 0,
		fPlay: m.Play,
	}
}

// Check reports what is wrong with m under its type's rules.
func (m *Msg) Check() error {
	r, ok := rules[m.Type]
	if !ok {
		if m.Type == "" {
			return errors.New(`the message has no "type"`)
		}
		return fmt.Errorf("unknown message type %q", m.Type)
	}
	set := m.set()
	var errs []error
	for f := range nFields {
		switch {
		case set[f] && !slices.Contains(r.allowed, f):
			errs = append(errs, fmt.Errorf("a %s message has no %q field", m.Type, fieldNames[f]))
		case !set[f] && slices.Contains(r.required, f):
			errs = append(errs, fmt.Errorf("a %s message needs %q", m.Type, fieldNames[f]))
		}
	}
	if set[fConn] && !scenario.ValidConn(m.Conn) {
		errs = append(errs, fmt.Errorf("conn: %q is not a connection label", m.Conn))
	}
	if m.At != nil && (math.IsNaN(*m.At) || math.IsInf(*m.At, 0) || *m.At < 0) {
		errs = append(errs, fmt.Errorf("at: %v is not a time on the session clock (finite, >= 0)", *m.At))
	}
	if math.IsNaN(m.Now) || math.IsInf(m.Now, 0) || m.Now < 0 {
		errs = append(errs, fmt.Errorf("now: %v is not a time on the session clock (finite, >= 0)", m.Now))
	}
	if len(m.Data) > MaxWriteBytes {
		errs = append(errs, fmt.Errorf("data: %d bytes; one write carries at most %d", len(m.Data), MaxWriteBytes))
	}
	if m.V < 0 {
		errs = append(errs, fmt.Errorf("v: %d is not a protocol version", m.V))
	}
	if set[fAction] && !slices.Contains(Actions, m.Action) {
		errs = append(errs, fmt.Errorf("action: %q is not one of %s", m.Action, strings.Join(Actions, ", ")))
	}
	if set[fReason] && m.Reason != EndDuration && m.Reason != EndFinished {
		errs = append(errs, fmt.Errorf("reason: %q is not one of %s, %s", m.Reason, EndDuration, EndFinished))
	}
	if set[fScenario] && m.Scenario[0] != '{' {
		errs = append(errs, errors.New("scenario: must be a JSON object"))
	}
	if m.Variant < 0 || m.Variant > scenario.MaxVariants {
		errs = append(errs, fmt.Errorf("variant: %d is not a run of a comparison (1 to %d)", m.Variant, scenario.MaxVariants))
	}
	if len(m.Variants) > scenario.MaxVariants {
		errs = append(errs, fmt.Errorf("variants: %d runs; a comparison has at most %d", len(m.Variants), scenario.MaxVariants))
	}
	for i, v := range m.Variants {
		if v.Name == "" || len(v.Name) > MaxTextBytes {
			errs = append(errs, fmt.Errorf("variants[%d].name: a name of 1 to %d bytes", i, MaxTextBytes))
		}
		if v.EndReason != "" && v.EndReason != EndDuration && v.EndReason != EndFinished {
			errs = append(errs, fmt.Errorf("variants[%d].endReason: %q is not one of %s, %s", i, v.EndReason, EndDuration, EndFinished))
		}
		if math.IsNaN(v.EndMs) || math.IsInf(v.EndMs, 0) || v.EndMs < 0 {
			errs = append(errs, fmt.Errorf("variants[%d].endMs: %v is not a time on the session clock", i, v.EndMs))
		}
	}
	if len(m.Partings) > MaxPartings {
		errs = append(errs, fmt.Errorf("partings: %d; at most %d", len(m.Partings), MaxPartings))
	}
	if m.Event != nil {
		if err := m.Event.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("event.%w", err))
		}
	}
	if m.Type == Outcome && m.Event != nil {
		errs = append(errs, checkOutcome(m.Event)...)
	}
	for _, t := range []struct{ name, v string }{{"session", m.Session}, {"code", m.Code}} {
		if len(t.v) > MaxTextBytes {
			errs = append(errs, fmt.Errorf("%s: %d bytes; the limit is %d", t.name, len(t.v), MaxTextBytes))
		}
	}
	return errors.Join(errs...)
}

// Decode parses one message strictly: within its type's Limit, exactly one
// JSON object, field names spelled exactly as the protocol spells them,
// each at most once, nothing nested deeper than scenario.MaxDepth, a
// known type and that type's fields. Errors are worded for the person at
// the other end (CodeBadMessage).
func Decode(b []byte) (Msg, error) {
	if len(b) > MaxServerMessageBytes {
		return Msg{}, fmt.Errorf("the message is %d bytes; the limit is %d", len(b), MaxServerMessageBytes)
	}
	var m Msg
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Msg{}, fmt.Errorf("the message is not valid: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Msg{}, errors.New("the message has data after its end")
	}
	if limit := Limit(m.Type); len(b) > limit {
		return Msg{}, fmt.Errorf("the message is %d bytes; the limit is %d", len(b), limit)
	}
	// encoding/json matches keys case-insensitively and keeps the last of
	// duplicates ({"conn":"B","CONN":"C"} would open C): the keys must be
	// exactly the protocol's, as in a scenario.
	if err := scenario.CheckFields(b, msgType); err != nil {
		return Msg{}, fmt.Errorf("the message is not valid: %w", err)
	}
	if string(m.Scenario) == "null" {
		m.Scenario = nil
	}
	if len(m.Scenario) > 0 {
		// Compact, so that a decoded message re-encodes to what it decodes from.
		var c bytes.Buffer
		if err := json.Compact(&c, m.Scenario); err != nil {
			return Msg{}, fmt.Errorf("scenario: %w", err)
		}
		m.Scenario = c.Bytes()
	}
	if len(m.Data) == 0 {
		m.Data = nil
	}
	if err := m.Check(); err != nil {
		return Msg{}, err
	}
	return m, nil
}

// Encode checks m and renders it as one JSON text (HTML not escaped, so
// raw HTTP bytes in events stay readable). A message over its type's Limit
// is an error.
func Encode(m Msg) ([]byte, error) {
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("encode %s message: %w", m.Type, err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode %s message: %w", m.Type, err)
	}
	out := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	if limit := Limit(m.Type); len(out) > limit {
		return nil, fmt.Errorf("encode %s message: %d bytes; the limit is %d", m.Type, len(out), limit)
	}
	return out, nil
}
