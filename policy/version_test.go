package policy

import (
	"sort"
	"testing"
)

// Tags in version order, highest first, as order_by = "version" ranks
// them; tags on one line tie.
func TestVersionOrder(t *testing.T) {
	want := [][]string{
		{"v1.10.0"},
		{"1.9.1"},
		{"1.9", "1.9.0", "v1.9.0.0", "1.9.0+build.7"},
		{"1.9.0-rc.2"},
		{"1.9.0-rc.1"},
		{"1.9.0-beta.11"},
		{"1.9.0-beta.2"},
		{"1.9.0-beta"},
		{"1.9.0-alpha.1"},
		{"1.9.0-alpha"},
		{"1.9.0-1"},
		{"nightly", "latest", "pr-12"},
	}
	var tags []string
	for _, line := range want {
		tags = append(tags, line...)
	}
	for i := range tags { // any input order gives the same ranking
		tags[i], tags[len(tags)-1-i] = tags[len(tags)-1-i], tags[i]
	}
	sort.SliceStable(tags, func(i, j int) bool { return versionBefore(parseVersion(tags[i]), parseVersion(tags[j])) })
	k := 0
	for _, line := range want {
		for range line {
			got := tags[k]
			found := false
			for _, w := range line {
				found = found || got == w
			}
			if !found {
				t.Errorf("rank %d is %q, want one of %q", k+1, got, line)
			}
			k++
		}
	}

	// The fuzzer's finding: "2", "2.0.0.0" and "2A" must be ordered
	// consistently: a release above its pre-release, trailing zeros
	// ignored.
	two, twoZero, twoA := parseVersion("2"), parseVersion("2.0.0.0"), parseVersion("2A")
	if !two.equal(twoZero) || !two.greater(twoA) || !twoZero.greater(twoA) {
		t.Errorf("2 = 2.0.0.0: %v, 2 > 2A: %v, 2.0.0.0 > 2A: %v", two.equal(twoZero), two.greater(twoA), twoZero.greater(twoA))
	}
}
