package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Compare is the comparison a scenario asks for, so that a link carries
// it: the scenario on each of Runtimes, or with the server knob Knob at
// each of Values. Exactly one of the two, with MinVariants to MaxVariants
// runs.
type Compare struct {
	Runtimes []string          `json:"runtimes,omitempty"`
	Knob     string            `json:"knob,omitempty"`
	Values   []json.RawMessage `json:"values,omitempty"`
}

// Knobs are the server knobs a comparison may vary, by JSON name.
var Knobs = []string{
	"socketTimeoutMs", "keepAliveTimeoutMs", "headersTimeoutMs", "requestTimeoutMs",
	"maxRequestsPerSocket", "unrefSockets", "idleTimeoutMs", "readHeaderTimeoutMs",
	"shutdownTimeoutMs", "keepAlive",
}

// Variant is one run of a comparison.
type Variant struct {
	// Name says what the run varies: the runtime ("node18"), or the knob
	// and its value ("socketTimeoutMs=4000").
	Name     string
	Scenario Scenario
	// Notes say how the scenario was adapted (a knob that became its
	// counterpart in another language).
	Notes []string
}

// Variants returns the runs the scenario's comparison asks for, each
// without the comparison; a scenario without one has none.
func (s Scenario) Variants() ([]Variant, error) {
	c := s.Compare
	if c == nil {
		return nil, nil
	}
	base := s.clone()
	base.Compare = nil
	switch {
	case len(c.Runtimes) > 0 && c.Knob != "":
		return nil, fmt.Errorf("compare: runtimes or a knob, not both")
	case len(c.Runtimes) > 0:
		return base.RuntimeVariants(c.Runtimes)
	case c.Knob != "":
		return base.knobVariants(c.Knob, c.Values)
	}
	return nil, fmt.Errorf("compare: name runtimes, or a knob and its values")
}

// RuntimeVariants returns the scenario on each runtime (OnRuntime).
func (s Scenario) RuntimeVariants(runtimes []string) ([]Variant, error) {
	if n := len(runtimes); n < MinVariants || n > MaxVariants {
		return nil, fmt.Errorf("compare: %d runtimes; a comparison runs %d to %d (each is a demo server of its own)", n, MinVariants, MaxVariants)
	}
	var vs []Variant
	for i, rt := range runtimes {
		rt = strings.TrimSpace(rt)
		if slices.Contains(runtimes[:i], rt) {
			return nil, fmt.Errorf("compare: %s is named twice", rt)
		}
		v, notes, err := s.OnRuntime(rt)
		if err != nil {
			return nil, fmt.Errorf("compare: %w", err)
		}
		vs = append(vs, Variant{Name: rt, Scenario: v, Notes: notes})
	}
	return vs, nil
}

func (s Scenario) knobVariants(knob string, values []json.RawMessage) ([]Variant, error) {
	if !slices.Contains(Knobs, knob) {
		return nil, fmt.Errorf("compare.knob: %q is not one of %s", knob, strings.Join(Knobs, ", "))
	}
	if n := len(values); n < MinVariants || n > MaxVariants {
		return nil, fmt.Errorf("compare.values: %d values; a comparison runs %d to %d", n, MinVariants, MaxVariants)
	}
	server, err := json.Marshal(s.Server)
	if err != nil {
		return nil, err
	}
	var vs []Variant
	for i, raw := range values {
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return nil, fmt.Errorf("compare.values[%d]: %v", i, err)
		}
		name := knob + "=" + compact.String()
		if slices.ContainsFunc(vs, func(v Variant) bool { return v.Name == name }) {
			return nil, fmt.Errorf("compare.values[%d]: %s is named twice", i, compact.String())
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(server, &doc); err != nil {
			return nil, err
		}
		doc[knob] = compact.Bytes()
		patched, _ := json.Marshal(doc)
		v := s.clone()
		v.Server = Server{}
		dec := json.NewDecoder(bytes.NewReader(patched))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v.Server); err != nil {
			return nil, fmt.Errorf("compare.values[%d]: %s for %s: %v", i, compact.String(), knob, describeJSONError(err))
		}
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("compare.values[%d]: %s", i, err)
		}
		vs = append(vs, Variant{Name: name, Scenario: v})
	}
	return vs, nil
}

// CompareLinkPrefix starts a link that compares the scenario on screen:
// "#compare=node18,node26" (runtimes) or "#compare=keepAliveTimeoutMs=200,6000"
// (a knob's values). A lesson's text links to its comparisons this way.
const CompareLinkPrefix = "#compare="

// ParseCompareLink reads a comparison link (with or without its prefix).
func ParseCompareLink(link string) (Compare, error) {
	s := strings.TrimPrefix(link, CompareLinkPrefix)
	knob, list, isKnob := strings.Cut(s, "=")
	if !isKnob {
		list = s
	}
	var items []string
	for _, it := range strings.Split(list, ",") {
		if it = strings.TrimSpace(it); it != "" {
			items = append(items, it)
		}
	}
	var c Compare
	if !isKnob {
		for _, rt := range items {
			if _, ok := Lookup(rt); !ok {
				return Compare{}, fmt.Errorf("compare: %q is not a runtime (%s)", rt, strings.Join(RuntimeNames(), ", "))
			}
		}
		c.Runtimes = items
	} else {
		if !slices.Contains(Knobs, knob) {
			return Compare{}, fmt.Errorf("compare: %q is not one of %s", knob, strings.Join(Knobs, ", "))
		}
		c.Knob = knob
		for _, it := range items {
			if !json.Valid([]byte(it)) {
				it = strconv.Quote(it)
			}
			c.Values = append(c.Values, json.RawMessage(it))
		}
	}
	if n := max(len(c.Runtimes), len(c.Values)); n < MinVariants || n > MaxVariants {
		return Compare{}, fmt.Errorf("compare: %d runs; a comparison runs %d to %d", n, MinVariants, MaxVariants)
	}
	return c, nil
}

// Link is c as a comparison link; ParseCompareLink reads it back.
func (c Compare) Link() string {
	if c.Knob == "" {
		return CompareLinkPrefix + strings.Join(c.Runtimes, ",")
	}
	vals := make([]string, len(c.Values))
	for i, v := range c.Values {
		vals[i] = string(v)
	}
	return CompareLinkPrefix + c.Knob + "=" + strings.Join(vals, ",")
}
