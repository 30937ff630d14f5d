package policy

import (
	"slices"
	"sort"
	"strings"
	"testing"

	version "github.com/hashicorp/go-version"
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

// TestPlainVersionAgreesWithGoVersion checks the fast path against
// go-version on the tags it answers for and on near misses it must leave
// to go-version.
func TestPlainVersionAgreesWithGoVersion(t *testing.T) {
	tags := []string{
		"", "v", "vv1", "V1", "latest", "pr-12", "sha-1a2b3c", "nightly-20260101",
		"0", "1", "v1", "1.2", "v1.2.3", "1.2.3.4.5", "01.002.0", "1.0.0", "2.0", "0.0.0",
		"1.", ".1", "1..2", "1.2.", "1abc", "1.2.3-rc.1", "1.2.3+build", "v1.2-alpha", "1-2",
		"99999999999999999999", "1.99999999999999999999", "20260101", "1.2.3~x",
	}
	for _, tag := range tags {
		fast, ok := parsePlainVersion(tag)
		if !ok {
			continue
		}
		var slow *versionKey
		if v, err := version.NewVersion(tag); err == nil {
			segs := v.Segments64()
			for len(segs) > 0 && segs[len(segs)-1] == 0 {
				segs = segs[:len(segs)-1]
			}
			slow = &versionKey{segs: segs}
			if pre := v.Prerelease(); pre != "" {
				slow.pre = strings.Split(pre, ".")
			}
		}
		if (fast == nil) != (slow == nil) || fast != nil && (!slices.Equal(fast.segs, slow.segs) || !slices.Equal(fast.pre, slow.pre)) {
			t.Errorf("%q: fast path %+v, go-version %+v", tag, fast, slow)
		}
	}
}
