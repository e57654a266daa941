package strgen

import (
	"slices"
	"testing"
)

func TestEach(t *testing.T) {
	tests := []struct {
		name     string
		alphabet []string
		maxLen   int
		want     []string
	}{
		{"only the empty string", []string{"a", "b"}, 0, []string{""}},
		{"one piece", []string{"a", "b"}, 1, []string{"", "a", "b"}},
		{"two pieces, in depth-first order", []string{"a", "bc"}, 2, []string{"", "a", "aa", "abc", "bc", "bca", "bcbc"}},
		{"no alphabet", nil, 3, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			Each(tt.alphabet, tt.maxLen, func(s string) { got = append(got, s) })
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
