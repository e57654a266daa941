package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
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
		want := typ.Type.String()
		if typ.Type == reflect.TypeFor[Then]() {
			want = "an action or a list of actions"
		}
		return fmt.Errorf("%s: expected %s, got JSON %s", field, want, typ.Value)
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
	var path [MaxDepth + 1]pathElem
	sc := fieldScanner{data: data, path: path[:0]}
	if err := sc.value(t, 0); err != nil {
		return err
	}
	sc.space()
	if sc.pos != len(sc.data) {
		return errNotJSON
	}
	return nil
}

// errNotJSON is what the field scanner says of what is not JSON; its
// callers have decoded the document already, so it is not seen.
var errNotJSON = errors.New("the document is not valid JSON")

// rawMessage is the type whose values are any JSON.
var rawMessage = reflect.TypeFor[json.RawMessage]()

// fieldScanner reads a JSON document byte by byte for its object keys,
// allocating nothing on the way but for keys written with escapes: every
// message from a page goes through it.
type fieldScanner struct {
	data []byte
	pos  int
	// path is where the scanner is: the keys and indexes down to the
	// value it reads, spelled out only for an error, so that a document
	// costs memory in proportion to its depth, never to its depth squared.
	path []pathElem
}

// pathElem is one step of a path: an object key, or an array index.
type pathElem struct {
	key   []byte
	isKey bool
	index int
}

// pathString spells a path: server.routes[1].thne.
func pathString(path []pathElem) string {
	if len(path) == 0 {
		return "(top level)"
	}
	var b strings.Builder
	for _, e := range path {
		switch {
		case !e.isKey:
			fmt.Fprintf(&b, "[%d]", e.index)
		case len(e.key) == 0:
			// Spelled like nothing otherwise; an empty key is rare enough
			// to name plainly.
			b.WriteString(`.""`)
		default:
			b.WriteString(".")
			b.Write(e.key)
		}
	}
	return strings.TrimPrefix(b.String(), ".")
}

func (sc *fieldScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{pathString(sc.path)}, args...)...)
}

func (sc *fieldScanner) space() {
	for sc.pos < len(sc.data) {
		switch sc.data[sc.pos] {
		case ' ', '\t', '\n', '\r':
			sc.pos++
		default:
			return
		}
	}
}

// value reads one value that t is to hold (nil: any).
func (sc *fieldScanner) value(t reflect.Type, depth int) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	sc.space()
	if sc.pos >= len(sc.data) {
		return errNotJSON
	}
	if t == rawMessage {
		// Any JSON goes: its own decoder checks it (a wire message's
		// scenario is decoded as a scenario, and gets its errors).
		return sc.skip()
	}
	switch sc.data[sc.pos] {
	case '{':
		if depth >= MaxDepth {
			return sc.errorf("nested more than %d levels deep", MaxDepth)
		}
		return sc.object(t, depth)
	case '[':
		if depth >= MaxDepth {
			return sc.errorf("nested more than %d levels deep", MaxDepth)
		}
		return sc.array(t, depth)
	case '"':
		_, err := sc.str()
		return err
	}
	return sc.scalar() // json.Unmarshal checks its type
}

func (sc *fieldScanner) object(t reflect.Type, depth int) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = cachedFields(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	sc.pos++ // {
	sc.space()
	if sc.pos < len(sc.data) && sc.data[sc.pos] == '}' {
		sc.pos++
		return nil
	}
	var seenKeys [16][]byte
	seen := seenKeys[:0]
	var seenMap map[string]bool // once an object has more keys than that
	for {
		sc.space()
		key, err := sc.str()
		if err != nil {
			return err
		}
		sc.path = append(sc.path, pathElem{key: key, isKey: true})
		switch {
		case seenMap != nil:
			if seenMap[string(key)] {
				return sc.errorf("duplicate field")
			}
			seenMap[string(key)] = true
		case slices.ContainsFunc(seen, func(k []byte) bool { return bytes.Equal(k, key) }):
			return sc.errorf("duplicate field")
		case len(seen) == len(seenKeys):
			seenMap = make(map[string]bool, 2*len(seen))
			for _, k := range append(seen, key) {
				seenMap[string(k)] = true
			}
		default:
			seen = append(seen, key)
		}
		next := elem
		if fields != nil {
			ft, ok := fields[string(key)]
			if !ok {
				return sc.errorf("unknown field")
			}
			next = ft
		}
		sc.space()
		if sc.pos >= len(sc.data) || sc.data[sc.pos] != ':' {
			return errNotJSON
		}
		sc.pos++
		if err := sc.value(next, depth+1); err != nil {
			return err
		}
		sc.path = sc.path[:len(sc.path)-1]
		if done, err := sc.next('}'); done || err != nil {
			return err
		}
	}
}

func (sc *fieldScanner) array(t reflect.Type, depth int) error {
	var elem reflect.Type
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elem = t.Elem()
	}
	sc.pos++ // [
	sc.space()
	if sc.pos < len(sc.data) && sc.data[sc.pos] == ']' {
		sc.pos++
		return nil
	}
	for i := 0; ; i++ {
		sc.path = append(sc.path, pathElem{index: i})
		if err := sc.value(elem, depth+1); err != nil {
			return err
		}
		sc.path = sc.path[:len(sc.path)-1]
		if done, err := sc.next(']'); done || err != nil {
			return err
		}
	}
}

// next reads what follows a member: a comma, or the closing delimiter
// (done).
func (sc *fieldScanner) next(closing byte) (done bool, err error) {
	sc.space()
	if sc.pos >= len(sc.data) {
		return false, errNotJSON
	}
	switch sc.data[sc.pos] {
	case ',':
		sc.pos++
		return false, nil
	case closing:
		sc.pos++
		return true, nil
	}
	return false, errNotJSON
}

// str reads a string and returns its text: the bytes between the quotes,
// or, for one written with escapes, what they stand for.
func (sc *fieldScanner) str() ([]byte, error) {
	if sc.pos >= len(sc.data) || sc.data[sc.pos] != '"' {
		return nil, errNotJSON
	}
	start, escaped := sc.pos, false
	for i := start + 1; i < len(sc.data); i++ {
		switch sc.data[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			sc.pos = i + 1
			if !escaped {
				return sc.data[start+1 : i], nil
			}
			var text string
			if err := json.Unmarshal(sc.data[start:i+1], &text); err != nil {
				return nil, errNotJSON
			}
			return []byte(text), nil
		}
	}
	return nil, errNotJSON
}

// scalar reads a number, true, false or null.
func (sc *fieldScanner) scalar() error {
	start := sc.pos
	for sc.pos < len(sc.data) {
		switch sc.data[sc.pos] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if sc.pos == start {
				return errNotJSON
			}
			return nil
		}
		sc.pos++
	}
	if sc.pos == start {
		return errNotJSON
	}
	return nil
}

// skip reads any one value, however deep, without looking at it.
func (sc *fieldScanner) skip() error {
	depth := 0
	for sc.pos < len(sc.data) {
		switch sc.data[sc.pos] {
		case '"':
			if _, err := sc.str(); err != nil {
				return err
			}
		case '{', '[':
			depth++
			sc.pos++
		case '}', ']':
			depth--
			sc.pos++
		default:
			if depth == 0 {
				return sc.scalar()
			}
			sc.pos++
		}
		if depth == 0 {
			return nil
		}
	}
	return errNotJSON
}

// fieldsOf caches jsonFields by type: every object of a document asks.
var fieldsOf sync.Map // reflect.Type → map[string]reflect.Type

func cachedFields(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldsOf.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	f := jsonFields(t)
	fieldsOf.Store(t, f)
	return f
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
	for i := range s.Server.Routes {
		if len(s.Server.Routes[i].Then) == 0 {
			s.Server.Routes[i].Then = nil
		}
	}
	if len(s.Client.Steps) == 0 {
		s.Client.Steps = nil
	}
	if len(s.Client.Pools) == 0 {
		s.Client.Pools = nil
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
