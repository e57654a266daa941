package wire

import "testing"

// TestCloseCodes holds the close codes to their numbers (pages already
// loaded and `playground load` read them) and to what the page does on
// each: reconnect by itself, or wait for the person.
func TestCloseCodes(t *testing.T) {
	tests := []struct {
		name      string
		code      CloseCode
		want      int
		wantFinal bool
	}{
		{"normal", CloseNormal, 1000, false},
		{"going away", CloseGoingAway, 1001, false},
		{"abnormal", CloseAbnormal, 1006, false},
		{"too big", CloseTooBig, 1009, true},
		{"restart", CloseRestart, 1012, false},
		{"try later", CloseTryLater, 1013, false},
		{"idle", CloseIdle, 4001, true},
		{"lifetime", CloseLifetime, 4002, true},
		{"bad message", CloseBadMessage, 4003, true},
		{"slow", CloseSlow, 4004, true},
		{"version", CloseVersion, 4005, true},
		{"rate limit", CloseRateLimit, 4006, true},
		{"unknown", CloseCode(4999), 4999, false},
	}
	seen := map[CloseCode]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if int(tt.code) != tt.want {
				t.Errorf("code = %d, want %d", tt.code, tt.want)
			}
			if got := tt.code.Final(); got != tt.wantFinal {
				t.Errorf("Final() = %v, want %v", got, tt.wantFinal)
			}
			if other, ok := seen[tt.code]; ok {
				t.Errorf("same code as %s", other)
			}
			seen[tt.code] = tt.name
			// The playground's own codes are in RFC 6455's private range.
			if tt.code >= 4000 && tt.code != 4999 && !tt.code.Final() {
				t.Errorf("a playground code that lets the page reconnect")
			}
		})
	}
}
