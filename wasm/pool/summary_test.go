package pool

import (
	"testing"
	"time"
)

func TestSummary(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want string
	}{
		{"new", Result{Attempts: []Attempt{{Conn: "pool1"}}, Status: 200, Elapsed: 3140 * time.Microsecond},
			"pool1 (new) → 200 in 3.1ms"},
		{"reused", Result{Attempts: []Attempt{{Conn: "pool1", Reused: true, WasIdle: true, IdleTime: 1234 * time.Millisecond}}, Status: 200, Elapsed: time.Millisecond},
			"pool1 (reused after 1.23s idle) → 200 in 1ms"},
		{"retried", Result{Attempts: []Attempt{{Conn: "pool1", Reused: true}, {Conn: "pool2"}}, Retried: true, Status: 200, Elapsed: 2 * time.Millisecond},
			"pool1 (reused) failed, then pool2 (new) → 200 in 2ms. Retried: pool1 broke as it was reused (the server had closed or reset it), so Go's Transport sent the request again on pool2 by itself, as it does for a request that is safe to repeat"},
		{"error", Result{Attempts: []Attempt{{Conn: "pool3", Reused: true}}, Err: `Post "http://demo/": EOF`},
			`pool3 (reused) → error: Post "http://demo/": EOF`},
		{"refused", Result{Err: "dial tcp demo:80: connect: connection refused"},
			"no connection → error: dial tcp demo:80: connect: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Summary(); got != tt.want {
				t.Errorf("Summary() = %q, want %q", got, tt.want)
			}
		})
	}
}
