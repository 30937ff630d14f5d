package policy

import (
	"regexp"
	"testing"
)

// TestDotStarTailAgreesWithRegexp checks the matching of expressions that
// begin with .* (dotStarTail) against the regular expression itself.
func TestDotStarTailAgreesWithRegexp(t *testing.T) {
	t.Parallel()
	patterns := []string{
		`.*:nightly-\d{8}`, `.*:pr-\d+`, `.*?:v\d+(\.\d+)*`, `.*-rc\d*`, `.*\.tar`, `.*ab.*ab`,
		`(?s).*x\d`, `.*\nb`, `.*a\nb`, `.*(?i:abc)`, `.*é\d`, `.*aa`, `.*a$`, `.*a(b|c)`,
	}
	inputs := []string{
		"", "x", "tool1:nightly-20260101", "tool1:nightly-2026010", "a:nightly-1:nightly-20260101",
		"ghcr.io/x:pr-12", ":pr-", "app:v1.2.3", "app:v1.2.3-rc1", "app-rc", "x.tar", "x.tar.gz",
		"abab", "ab-ab-ab", "zx1", "z\nx1", "\nb", "q\nb", "a\nb", "aa\nb", "ABC", "xAbC", "é1", "\xffé2",
		"aaa", "a", "ba", "abab\n", "aab", "ac", "aa\nab",
	}
	for _, p := range patterns {
		m, err := CompileRegex(p)
		if err != nil {
			t.Fatal(err)
		}
		if p != `.*(?i:abc)` && p != `.*a(b|c)` && m.(*regexMatcher).tail == nil {
			t.Errorf("%q: no tail", p)
		}
		want := regexp.MustCompile(`^(?:` + p + `)$`)
		for _, s := range inputs {
			if got := m.Match(s); got != want.MatchString(s) {
				t.Errorf("%q on %q: %v, the expression says %v", p, s, got, !got)
			}
		}
	}
}
