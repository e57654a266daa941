package scenario

import (
	"errors"
	"strings"
	"testing"
)

// TestRequestValidate checks one request alone, with the fields named
// from the request (as the page's composer shows them), and holds it to a
// step's request in a scenario: the same problems, under the step's path.
func TestRequestValidate(t *testing.T) {
	tests := []struct {
		name   string
		r      Request
		fields []string // want these problems' fields, in order; none: valid
	}{
		{"plain GET", Request{Method: "GET", Path: "/", Version: "HTTP/1.1"}, nil},
		{"empty is the default request", Request{}, nil},
		{"method", Request{Method: "GE T"}, []string{"method"}},
		{"path with a space", Request{Path: "/a b"}, []string{"path"}},
		{"long path", Request{Path: "/" + strings.Repeat("a", MaxTargetBytes)}, []string{"path"}},
		{"version", Request{Version: "HTTP/2"}, []string{"version"}},
		{"header name", Request{Headers: map[string]string{"Bad Name": "x"}}, []string{"headers.Bad Name"}},
		{"header value", Request{Headers: map[string]string{"X": "a\r\nb"}}, []string{"headers.X"}},
		{"duplicate header", Request{Headers: map[string]string{"Host": "a", "host": "b"}}, []string{"headers.host"}},
		{"body", Request{Body: strings.Repeat("b", MaxBodyBytes+1)}, []string{"body"}},
		{"several", Request{Method: "(", Version: "1.1"}, []string{"method", "version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Validate()
			var ps Problems
			if err != nil && !errors.As(err, &ps) {
				t.Fatalf("Validate = %v, not Problems", err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.Field)
			}
			if strings.Join(got, "|") != strings.Join(tt.fields, "|") {
				t.Errorf("fields %q, want %q (%v)", got, tt.fields, err)
			}
			// The same request as a step: the same problems under its path.
			r := tt.r
			sc := Scenario{V: Version, Server: Server{Runtime: DefaultRuntime()},
				Client: Client{Steps: []Step{{Conn: "A", Request: &r}}}}
			var inScenario []string
			var sps Problems
			if err := sc.Validate(); err != nil && !errors.As(err, &sps) {
				t.Fatalf("scenario Validate = %v, not Problems", err)
			}
			for _, p := range sps {
				inScenario = append(inScenario, p.Field)
			}
			var want []string
			for _, f := range tt.fields {
				want = append(want, "client.steps[0].request."+f)
			}
			if strings.Join(inScenario, "|") != strings.Join(want, "|") {
				t.Errorf("in a scenario: fields %q, want %q", inScenario, want)
			}
		})
	}
}
