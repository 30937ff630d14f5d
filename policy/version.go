package policy

import (
	"strconv"
	"strings"

	version "github.com/hashicorp/go-version"
)

// versionKey orders tags as versions for order_by = "version": semver-aware
// (pre-releases sort before their release), numeric segments compared as
// numbers ("1.10" after "1.9"), an optional leading "v" ignored.
//
// go-version parses the tag, but its Compare is not used: it ignores
// pre-releases when the two versions have different numbers of segments,
// so "2" equals "2.0.0.0", which equals "2A", while "2" is above "2A".
// Sorting needs a strict weak order, so the key compares the segments
// (trailing zeros do not count: "2" is "2.0.0.0") and then the
// pre-releases by semver precedence.
type versionKey struct {
	segs []int64  // trailing zeros trimmed
	pre  []string // the pre-release's dot-separated identifiers; nil for a release
}

// parseVersion returns nil for tags that are not versions ("latest",
// "pr-12"); those rank after every version.
func parseVersion(tag string) *versionKey {
	var k versionKey
	if !parseVersionInto(tag, &k) {
		return nil
	}
	return &k
}

// parseVersionInto is parseVersion into k, whose storage it reuses:
// ranking by version parses every tag of the rule. It reports whether the
// tag is a version.
func parseVersionInto(tag string, k *versionKey) bool {
	if isVersion, ok := readPlainVersion(tag, k); ok {
		return isVersion
	}
	v, err := version.NewVersion(tag)
	if err != nil {
		return false
	}
	segs := v.Segments64()
	for len(segs) > 0 && segs[len(segs)-1] == 0 {
		segs = segs[:len(segs)-1]
	}
	k.segs, k.pre = segs, nil
	if pre := v.Prerelease(); pre != "" {
		k.pre = strings.Split(pre, ".")
	}
	return true
}

func (a *versionKey) greater(b *versionKey) bool { return a.compare(b) > 0 }
func (a *versionKey) equal(b *versionKey) bool   { return a.compare(b) == 0 }

func (a *versionKey) compare(b *versionKey) int {
	for i := range max(len(a.segs), len(b.segs)) {
		var x, y int64
		if i < len(a.segs) {
			x = a.segs[i]
		}
		if i < len(b.segs) {
			y = b.segs[i]
		}
		if x != y {
			return cmpInt(x, y)
		}
	}
	switch {
	case a.pre == nil && b.pre == nil:
		return 0
	case a.pre == nil:
		return 1 // a release is above its pre-releases
	case b.pre == nil:
		return -1
	}
	for i := range min(len(a.pre), len(b.pre)) {
		if c := comparePreID(a.pre[i], b.pre[i]); c != 0 {
			return c
		}
	}
	return cmpInt(int64(len(a.pre)), int64(len(b.pre)))
}

// comparePreID compares pre-release identifiers as semver does: numbers
// numerically and below words, words in ASCII order.
func comparePreID(x, y string) int {
	nx, errX := strconv.ParseUint(x, 10, 64)
	ny, errY := strconv.ParseUint(y, 10, 64)
	switch {
	case errX == nil && errY == nil:
		return cmpInt(int64(min(nx, 1<<62)), int64(min(ny, 1<<62)))
	case errX == nil:
		return -1
	case errY == nil:
		return 1
	}
	return strings.Compare(x, y)
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// parsePlainVersion answers, without go-version's regular expression, for
// the tags most hosts have: those that cannot be versions at all (the
// expression wants a digit first, after an optional "v": "latest",
// "pr-12", "sha-1a2b") and plain releases ("v1.2.3", "20.10"), which it
// reads exactly as go-version does. ok is false for anything else
// ("1.2.3-rc.1", "1.2+build"), which go-version parses.
func parsePlainVersion(tag string) (k *versionKey, ok bool) {
	var key versionKey
	if isVersion, ok := readPlainVersion(tag, &key); !isVersion {
		return nil, ok
	}
	return &key, true
}

// readPlainVersion is parsePlainVersion into k, whose storage it reuses;
// isVersion reports whether the tag is a version.
func readPlainVersion(tag string, k *versionKey) (isVersion, ok bool) {
	s := strings.TrimPrefix(tag, "v")
	if s == "" || s[0] < '0' || s[0] > '9' {
		return false, true
	}
	segs := k.segs[:0]
	for rest, more := s, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ".")
		if part == "" {
			return false, false
		}
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return false, false
			}
		}
		n, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return false, false // out of range: go-version's error, not ours to guess
		}
		segs = append(segs, n)
	}
	for len(segs) > 0 && segs[len(segs)-1] == 0 {
		segs = segs[:len(segs)-1]
	}
	k.segs, k.pre = segs, nil
	return true, true
}
