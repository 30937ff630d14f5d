package policy

import version "github.com/hashicorp/go-version"

// versionKey orders tags as versions for order_by = "version": semver-aware
// (pre-releases sort before their release), numeric segments compared as
// numbers ("1.10" after "1.9"), an optional leading "v" ignored.
type versionKey struct{ v *version.Version }

// parseVersion returns nil for tags that are not versions ("latest",
// "pr-12"); those rank after every version.
func parseVersion(tag string) *versionKey {
	v, err := version.NewVersion(tag)
	if err != nil {
		return nil
	}
	return &versionKey{v}
}

func (a *versionKey) greater(b *versionKey) bool { return a.v.GreaterThan(b.v) }
func (a *versionKey) equal(b *versionKey) bool   { return a.v.Equal(b.v) }
