package main

import (
	"strings"
	"testing"
)

// pooledGo is Go's Transport from a scenario: a request, then one on the
// idle connection.
const pooledGo = `{"v":1,"title":"Go's pool reuses app1","server":{"runtime":"go"},
 "client":{"pools":[{"name":"app","kind":"go"}],
  "steps":[{"at":0,"pool":"app","request":{"path":"/a"}},{"at":200,"pool":"app","request":{"path":"/b"}}]},
 "durationMs":500,
 "checks":[{"name":"the second request reused app1","kind":"outcome","conn":"app1","path":"/b","reused":true,"status":200}]}`

// TestRunPooled: `playground run` prints the pooled requests' outcomes
// readably, and --json carries them as outcome events.
func TestRunPooled(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"table", []string{"run", "-"}, []string{
			"The pooled requests, as their clients saw them:",
			"pool app: GET /a → 200 on app1\n",
			"pool app: GET /b → 200 on app1 (reused)",
			"PASS  the second request reused app1",
		}},
		{"json", []string{"run", "--json", "-"}, []string{
			`"conn":"app1","kind":"outcome","method":"GET","path":"/b","status":200,"pool":"app","reused":true}`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := playground(t, pooledGo, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}
