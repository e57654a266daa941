package wire

import "testing"

// TestCloseCodes: every code is its own, and the playground's are in the
// range RFC 6455 leaves to applications (4000–4999), so no proxy or
// browser reads them as its own.
func TestCloseCodes(t *testing.T) {
	std := []CloseCode{CloseNormal, CloseGoingAway, CloseAbnormal, CloseTooBig, CloseRestart, CloseTryLater}
	own := []CloseCode{CloseIdle, CloseLifetime, CloseBadMessage, CloseSlow, CloseVersion, CloseRateLimit}
	seen := map[CloseCode]bool{}
	for _, c := range append(std, own...) {
		if seen[c] {
			t.Errorf("close code %d is used twice", c)
		}
		seen[c] = true
	}
	for _, c := range own {
		if c < 4000 || c > 4999 {
			t.Errorf("the playground's close code %d is outside 4000–4999", c)
		}
	}
	for _, c := range std {
		if c < 1000 || c > 1015 {
			t.Errorf("close code %d is not one of RFC 6455's", c)
		}
	}
}
