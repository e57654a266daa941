package timeline

import (
	"encoding/json"
	"testing"
)

// TestOutcomeChecks: lesson checks can say "the request failed with
// socket hang up" and "the retry was answered" of a pooled client's
// outcome events.
func TestOutcomeChecks(t *testing.T) {
	events := []Event{
		{T: 5, Conn: "web1", Kind: Connect},
		{T: 20, Kind: Outcome, Conn: "web1", Pool: "web", Method: "GET", Path: "/", Status: 200},
		{T: 330, Kind: Outcome, Conn: "web1", Pool: "web", Method: "GET", Path: "/", Error: "socket hang up", Reused: true},
		{T: 345, Kind: Outcome, Conn: "web2", Pool: "web", Method: "GET", Path: "/", Status: 200, Retried: true},
	}
	yes, no := true, false
	tests := []struct {
		name  string
		check string
		pass  bool
	}{
		{"failed with socket hang up", `{"kind":"outcome","contains":"socket hang up"}`, true},
		{"failed on a reused socket", `{"kind":"outcome","contains":"socket hang up","reused":true}`, true},
		{"not on a new one", `{"kind":"outcome","contains":"socket hang up","reused":false}`, false},
		{"the retry was answered", `{"kind":"outcome","retried":true,"status":200}`, true},
		{"the retry on a new connection", `{"kind":"outcome","retried":true,"conn":"web2"}`, true},
		{"of another pool", `{"kind":"outcome","pool":"app"}`, false},
		{"two answered", `{"kind":"outcome","status":200,"count":2}`, true},
		{"nothing unretried failed twice", `{"kind":"outcome","retried":false,"contains":"EOF"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Check
			if err := json.Unmarshal([]byte(tt.check), &c); err != nil {
				t.Fatal(err)
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got := EvalAll([]Check{c}, events)[0]; got.Pass != tt.pass {
				t.Errorf("%s: pass = %v, want %v (%s)", c.Describe(), got.Pass, tt.pass, got.Detail)
			}
		})
	}
	m := Match{Kind: Outcome, Pool: "web", Reused: &yes, Retried: &no}
	if got, want := describeMatch(m), "outcome of pool web on a reused connection not retried"; got != want {
		t.Errorf("describeMatch = %q, want %q", got, want)
	}
	js, _ := json.Marshal(events[1])
	if want := `{"t":20,"conn":"web1","kind":"outcome","method":"GET","path":"/","status":200,"pool":"web"}`; string(js) != want {
		t.Errorf("outcome event JSON = %s, want %s", js, want)
	}
}
