package policy

// Ranking: the images of each repository among a rule's claims, numbered
// newest (or highest version) first, for keep.

import (
	"slices"
	"strings"
	"time"
)

// rank numbers the distinct images of each repository among the rule's
// claims, 1 being the newest (or highest version). Every tag of an image in
// that repository shares its rank.
func (e *evaluator) rank(r *ImageRule, claims []*claim) {
	for _, group := range e.groupByRepository(claims) {
		e.rankRepository(r, group)
	}
}

// rankRepository ranks the images (by ID) of one repository's claims.
//
// The entries and their versions are written in storage every repository
// reuses.
func (e *evaluator) rankRepository(r *ImageRule, claims []*claim) {
	images := e.groupByImage(claims)
	entries := resize(e.ranking.entries, images.count())
	if r.OrderBy == OrderVersion {
		e.ranking.versions = resize(e.ranking.versions, len(entries))
	}
	for i := range entries {
		first := images.group(i)[0]
		entries[i] = rankEntry{img: &e.s.Images[first.img], pos: first.img, group: int32(i),
			ts: e.imageTime(first.img, r.AgeBasis).t}
		if r.OrderBy == OrderVersion {
			if v := &e.ranking.versions[i]; highestVersion(images.group(i), v, &e.ranking.next) {
				entries[i].version = v
			}
		}
	}
	e.ranking.entries = entries
	// The order is total (IDs differ), so an unstable sort ranks alike.
	slices.SortFunc(entries, func(a, b rankEntry) int { return a.compare(&b, r.OrderBy) })
	for i, en := range entries {
		for _, c := range images.group(int(en.group)) {
			// The image whose claim came first stands for its ID: should
			// the snapshot list the ID twice, the other image's tags
			// have no rank, as ranks go by image.
			if c.img == en.pos {
				c.rank = int32(i + 1)
			}
		}
	}
}

// rankEntry is one image of a repository's group, with what ranking
// compares: its time on the rule's basis and, for order_by = "version",
// the highest version among its tags in the group.
type rankEntry struct {
	img     *Image
	pos     int32 // img's position in the snapshot
	group   int32 // its claims' group
	ts      time.Time
	version *versionKey
}

// highestVersion writes in best the highest version among the claims'
// tags, and reports whether any is one. Tags are parsed into best and
// next in turn, whose storage it reuses.
func highestVersion(claims []*claim, best, next *versionKey) bool {
	found := false
	for _, c := range claims {
		if !parseVersionInto(splitTag(c.ref).tag, next) {
			continue
		}
		if !found || next.greater(best) {
			*best, *next = *next, *best
			found = true
		}
	}
	return found
}

// compare is the ranking's order: by version first when the rule orders
// by version (versions before non-versions), then newest first, then the
// newest build, then by ID.
func (a *rankEntry) compare(b *rankEntry, order Order) int {
	if order == OrderVersion {
		switch {
		case a.version != nil && b.version == nil:
			return -1
		case a.version == nil && b.version != nil:
			return 1
		case a.version != nil && b.version != nil:
			if c := a.version.compare(b.version); c != 0 {
				return -c
			}
		}
	}
	if c := b.ts.Compare(a.ts); c != 0 {
		return c
	}
	if c := b.img.Created.Compare(a.img.Created); c != 0 {
		return c
	}
	return strings.Compare(a.img.ID, b.img.ID)
}
