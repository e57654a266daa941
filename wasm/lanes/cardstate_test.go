package lanes

import "testing"

// TestCardStates holds each card state to its text, to whether the page
// may still write on it and whether it has ended, and to the value the
// stylesheet's data-state selectors name.
func TestCardStates(t *testing.T) {
	tests := []struct {
		s                  CardState
		value, text        string
		wantLive, wantOver bool
	}{
		{CardNew, "", "not connected", false, false},
		{CardConnecting, "connecting", "connecting…", true, false},
		{CardOpen, "open", "open", true, false},
		{CardHalfClosed, "half-closed", "half-closed", true, false},
		{CardClosed, "closed", "closed", false, true},
		{CardReset, "reset", "reset", false, true},
		{CardRefused, "refused", "refused", false, true},
		{CardLost, "lost", "lost", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if string(tt.s) != tt.value || tt.s.Text() != tt.text || tt.s.Live() != tt.wantLive || tt.s.Over() != tt.wantOver {
				t.Errorf("%q: text %q live %v over %v; want %q, %q, %v, %v",
					tt.s, tt.s.Text(), tt.s.Live(), tt.s.Over(), tt.value, tt.text, tt.wantLive, tt.wantOver)
			}
		})
	}
}
