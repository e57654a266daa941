package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// migrations upgrade a scenario's JSON one schema version at a time:
// migrations[n] turns a vN document into a vN+1 document (and sets "v").
// v1 is the first schema, so the table is empty; when v2 arrives, the v1
// entry goes here and every old link keeps opening.
var migrations = map[int]migration{}

// Decode parses a scenario strictly: unknown fields (named by their JSON
// path), duplicate fields, trailing data and schema versions this build
// cannot read are errors. Older versions are migrated to Version. The
// result is validated; a validation failure is a Problems error.
func Decode(data []byte) (*Scenario, error) {
	if len(data) > MaxScenarioBytes {
		return nil, fmt.Errorf("the scenario is %d bytes; the limit is %d", len(data), MaxScenarioBytes)
	}
	if err := checkSyntax(data); err != nil {
		return nil, err
	}
	data, err := migrate(data)
	if err != nil {
		return nil, err
	}
	if err := checkFields(data, reflect.TypeFor[Scenario]()); err != nil {
		return nil, err
	}
	var s Scenario
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, describeJSONError(err)
	}
	s.canonicalize()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// checkSyntax rejects anything but exactly one JSON object.
func checkSyntax(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		if err == io.EOF {
			return errors.New("the scenario is empty")
		}
		return describeJSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("the scenario has data after its closing brace")
	}
	if raw[0] != '{' {
		return errors.New("the scenario must be a JSON object")
	}
	return nil
}

// migration upgrades a document of one schema version to the next.
type migration func(doc map[string]json.RawMessage) error

// migrate reads "v" and brings an older document up to Version.
func migrate(data []byte) ([]byte, error) {
	return upgrade(data, Version, migrations)
}

// upgrade is migrate with the target version and table as parameters, so
// that the path old links take is tested before v2 exists.
func upgrade(data []byte, current int, table map[int]migration) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, describeJSONError(err)
	}
	rawV, ok := doc["v"]
	if !ok || string(rawV) == "null" {
		return nil, fmt.Errorf(`v: missing; a scenario starts with "v": %d (the schema version)`, current)
	}
	var v int
	if err := json.Unmarshal(rawV, &v); err != nil {
		return nil, fmt.Errorf("v: %s is not a schema version (a whole number)", rawV)
	}
	switch {
	case v == current:
		return data, nil
	case v > current:
		return nil, fmt.Errorf("this link was made by a newer version of the playground (schema v%d); this build reads v%d: reload the page to update", v, current)
	case v < 1:
		return nil, fmt.Errorf("v: %d is not a schema version; versions start at 1", v)
	}
	for ; v < current; v++ {
		up, ok := table[v]
		if !ok {
			return nil, fmt.Errorf("v: schema v%d cannot be upgraded by this build", v)
		}
		if err := up(doc); err != nil {
			return nil, fmt.Errorf("upgrade schema v%d to v%d: %w", v, v+1, err)
		}
		doc["v"] = json.RawMessage(strconv.Itoa(v + 1))
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("upgrade scenario: %w", err)
	}
	return out, nil
}

// describeJSONError words encoding/json's errors for a person editing a
// scenario by hand.
func describeJSONError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("the scenario is not valid JSON (at byte %d): %w", syn.Offset, err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Errorf("%s: expected %s, got JSON %s", field, typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the scenario is cut short: the JSON ends too early")
	}
	return fmt.Errorf("the scenario is not valid JSON: %w", err)
}

// MaxDepth bounds how deeply a document may nest objects and arrays. The
// schema's deepest value is five levels down
// (client.steps[0].request.headers.X); the bound leaves room for the
// schema to grow and keeps a hostile document's cost linear in its size.
const MaxDepth = 16

// CheckFields walks the JSON tokens of data alongside t and reports the
// first object key that t does not declare, or declares twice, by its path
// (server.routes[1].thne), and any value nested deeper than MaxDepth.
// encoding/json alone would match keys case-insensitively, keep the last
// duplicate and name no path; a document that "works" only because of
// those would break silently later. A json.RawMessage field takes any
// JSON, which its own decoder checks. Other packages' strict decoders
// (the wire messages) share it.
func CheckFields(data []byte, t reflect.Type) error {
	return checkFields(data, t)
}

func checkFields(data []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return walk(dec, t, nil, 0)
}

// pathElem is one step of the path to a value: an object key or an array
// index. Paths are linked to their parents and spelled out only for an
// error, so that walking a document costs memory in proportion to its
// depth, never to its depth squared.
type pathElem struct {
	parent *pathElem
	key    string
	index  int // for an array element (key == "")
}

func (p *pathElem) String() string {
	if p == nil {
		return "(top level)"
	}
	var elems []*pathElem
	for e := p; e != nil; e = e.parent {
		elems = append(elems, e)
	}
	var b strings.Builder
	for i := len(elems) - 1; i >= 0; i-- {
		e := elems[i]
		switch {
		case e.key == "":
			fmt.Fprintf(&b, "[%d]", e.index)
		case b.Len() > 0:
			b.WriteString(".")
			fallthrough
		default:
			b.WriteString(e.key)
		}
	}
	return b.String()
}

func walk(dec *json.Decoder, t reflect.Type, path *pathElem, depth int) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		// Any JSON goes: its own decoder checks it (a wire message's
		// scenario is decoded as a scenario, and gets its errors).
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return describeJSONError(err)
		}
		return nil
	}
	tok, err := dec.Token()
	if err != nil {
		return describeJSONError(err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar; json.Unmarshal checks its type
	}
	if depth >= MaxDepth {
		return fmt.Errorf("%s: nested more than %d levels deep", path, MaxDepth)
	}
	switch delim {
	case '{':
		var fields map[string]reflect.Type
		var elem reflect.Type
		if t != nil {
			switch t.Kind() {
			case reflect.Struct:
				fields = jsonFields(t)
			case reflect.Map:
				elem = t.Elem()
			}
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return describeJSONError(err)
			}
			key := tok.(string)
			child := &pathElem{parent: path, key: key}
			if key == "" {
				// Spelled like an index otherwise; an empty key is rare
				// enough to name plainly.
				child.key = `""`
			}
			if seen[key] {
				return fmt.Errorf("%s: duplicate field", child)
			}
			seen[key] = true
			next := elem
			if fields != nil {
				ft, ok := fields[key]
				if !ok {
					return fmt.Errorf("%s: unknown field", child)
				}
				next = ft
			}
			if err := walk(dec, next, child, depth+1); err != nil {
				return err
			}
		}
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walk(dec, elem, &pathElem{parent: path, index: i}, depth+1); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return describeJSONError(err)
	}
	return nil
}

// jsonFields maps the JSON names of t's fields, promoted fields of
// embedded structs included, to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			for k, v := range jsonFields(f.Type) {
				fields[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

// canonicalize makes empty lists and maps nil, so that a decoded scenario
// equals the one its own encoding decodes to (omitempty drops them).
func (s *Scenario) canonicalize() {
	if len(s.Server.Routes) == 0 {
		s.Server.Routes = nil
	}
	if len(s.Client.Steps) == 0 {
		s.Client.Steps = nil
	}
	if len(s.Checks) == 0 {
		s.Checks = nil
	}
	for i := range s.Client.Steps {
		if r := s.Client.Steps[i].Request; r != nil && len(r.Headers) == 0 {
			r.Headers = nil
		}
	}
}
