package lessons

import (
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
)

func TestWorkRoundTrip(t *testing.T) {
	sc := scenario.Default()
	sc.Title = "my attempt"
	sc.DurationMs = 6500
	w := DecodeWork("")
	if !w.Set("close-in-handler", &sc) {
		t.Fatal("Set kept nothing")
	}
	if w.Set("close-in-handler", &sc) {
		t.Error("Set of the same scenario reported a change")
	}
	got, ok := DecodeWork(w.Encode()).Get("close-in-handler")
	if !ok || got.Title != "my attempt" || got.DurationMs != 6500 {
		t.Fatalf("round trip = %+v, %v", got, ok)
	}
	if !w.Delete("close-in-handler") || w.Delete("close-in-handler") {
		t.Error("Delete")
	}
	if _, ok := DecodeWork(w.Encode()).Get("close-in-handler"); ok {
		t.Error("deleted copy came back")
	}
}

func TestDecodeWorkDropsWhatItCannotRead(t *testing.T) {
	sc := scenario.Default()
	good, _ := scenario.EncodeLink(&sc)
	tests := []struct {
		name, stored string
		want         int
	}{
		{"empty", "", 0},
		{"not json", "{", 0},
		{"other version", `{"v":9,"links":{"destroy":"` + good + `"}}`, 0},
		{"bad id", `{"v":1,"links":{"../x":"` + good + `"}}`, 0},
		{"bad link", `{"v":1,"links":{"destroy":"#s=nope"}}`, 0},
		{"good", `{"v":1,"links":{"destroy":"` + good + `"}}`, 1},
		{"too big", `{"v":1,"links":{"destroy":"` + strings.Repeat("x", maxWorkBytes) + `"}}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(DecodeWork(tt.stored).Links); got != tt.want {
				t.Errorf("%d copies kept, want %d", got, tt.want)
			}
		})
	}
}
