// Package strgen enumerates short strings for the differential tests that
// hold a hand-written matcher to the regular expression it replaced.
package strgen

// Each calls fn with every concatenation of up to maxLen pieces of
// alphabet, the empty string included.
func Each(alphabet []string, maxLen int, fn func(string)) {
	var rec func(prefix string, n int)
	rec = func(prefix string, n int) {
		fn(prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			rec(prefix+c, n-1)
		}
	}
	rec("", maxLen)
}
