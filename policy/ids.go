package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/docker/go-units"
)

// Small helpers for naming objects, shared by the engine's reasons and by
// whatever prints plans, so they name things one way.

// ShortID is an ID as docker shows it: 12 hex digits, without the
// algorithm ("sha256:").
func ShortID(id string) string {
	if i := strings.IndexByte(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

var imageIDPattern = regexp.MustCompile(`^(sha256:)?[0-9a-f]{12,64}$`)

// IsImageID reports whether s is an image ID rather than a reference: a
// full or short ID, with or without "sha256:", as docker accepts them.
func IsImageID(s string) bool { return imageIDPattern.MatchString(s) }

// Examples lists up to n of items, sorted, for a message: "a, b, c and 4
// more".
func Examples(items []string, n int) string {
	items = slices.Sorted(slices.Values(items))
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// HumanSize is a size as docker prints it: "1.23GB", "-" when unknown
// (negative).
func HumanSize(n int64) string {
	if n < 0 {
		return "-"
	}
	return units.HumanSizeWithPrecision(float64(n), 3)
}
