package export

import (
	"testing"

	"github.com/keepalive-playground/playground/timeline"
)

func TestOutcomeText(t *testing.T) {
	tests := []struct {
		name string
		ev   timeline.Event
		want string
	}{
		{"answered", timeline.Event{Kind: timeline.Outcome, Pool: "app", Conn: "app1", Method: "GET", Path: "/", Status: 200}, "pool app: GET / → 200 on app1"},
		{"hang up", timeline.Event{Kind: timeline.Outcome, Pool: "web", Conn: "web1", Method: "GET", Path: "/", Error: "socket hang up", Reused: true}, "pool web: GET / → socket hang up on web1 (reused)"},
		{"retried", timeline.Event{Kind: timeline.Outcome, Pool: "app", Conn: "app2", Method: "GET", Path: "/", Status: 200, Retried: true}, "pool app: GET / → 200 on app2 (retried)"},
		{"no connection", timeline.Event{Kind: timeline.Outcome, Pool: "app", Method: "GET", Path: "/", Error: "connect ECONNREFUSED demo:80"}, "pool app: GET / → connect ECONNREFUSED demo:80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detail(tt.ev); got != tt.want {
				t.Errorf("Detail = %q, want %q", got, tt.want)
			}
		})
	}
}
