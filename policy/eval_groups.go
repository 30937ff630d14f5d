package policy

// How the engine groups image claims (by rule, by repository, by image
// ID) without maps keyed by strings, in storage it reuses: a large host
// has 100,000 claims, grouped several times per evaluation.

import (
	"slices"
	"strings"
)

// repositories numbers the repositories of the claimed tags while
// claiming reads them, so that ranking groups a rule's claims by
// repository without reading 100,000 tags from memory again.
type repositories struct {
	numbers map[string]int32
	last    string
	lastNum int32
}

// number is the number of ref's repository.
func (rs *repositories) number(ref string) int32 {
	repo := splitTag(ref).repo
	// Tags come image by image, mostly in runs of one repository: only
	// a change of repository is looked up.
	if rs.numbers != nil && repo == rs.last {
		return rs.lastNum
	}
	if rs.numbers == nil {
		rs.numbers = make(map[string]int32)
	}
	n, ok := rs.numbers[repo]
	if !ok {
		n = int32(len(rs.numbers))
		rs.numbers[repo] = n
	}
	rs.last, rs.lastNum = repo, n
	return n
}

// claimsByRule lists each rule's claims, in plan order, index for index
// with the rules; the lists are windows of one slice.
func claimsByRule(claims []claim, rules int) [][]*claim {
	counts := make([]int, rules)
	for i := range claims {
		counts[claims[i].rule]++
	}
	all := make([]*claim, len(claims))
	byRule := make([][]*claim, rules)
	start := 0
	for r, n := range counts {
		byRule[r] = all[start : start : start+n]
		start += n
	}
	for i := range claims {
		c := &claims[i]
		byRule[c.rule] = append(byRule[c.rule], c)
	}
	return byRule
}

// imageGroups are claims grouped by image ID: group g is
// claims[starts[g]:starts[g+1]], of the ID numbered ids[g] (see
// imageIndex). Groups are in the order of their first claim, and each
// keeps the claims' order.
type imageGroups struct {
	claims []*claim
	starts []int32
	ids    []int32
	sizes  []int32 // groupByImage's own, kept with the storage it reuses
}

func (g *imageGroups) count() int { return len(g.ids) }

func (g *imageGroups) group(i int) []*claim { return g.claims[g.starts[i]:g.starts[i+1]] }

// groupByImage groups claims by image ID, in two passes over them and
// without a map: e.slot, one number per image, is its scratch, left as it
// was found (zero). The groups are written in storage the next call
// reuses (ranking groups each repository's claims, the budget and the
// plan's entries all of a rule's, one after the other): every caller is
// done with them by then.
func (e *evaluator) groupByImage(claims []*claim) imageGroups {
	return e.groupImages(len(claims), func(i int) *claim { return claims[i] })
}

// groupImages is groupByImage of the n claims claimAt returns.
func (e *evaluator) groupImages(n int, claimAt func(int) *claim) imageGroups {
	g := imageGroups{ids: e.groups.ids[:0]}
	sizes := e.groups.sizes[:0]
	for i := range n {
		c := claimAt(i)
		id := e.index[c.img]
		if e.slot[id] == 0 {
			g.ids = append(g.ids, id)
			sizes = append(sizes, 0)
			e.slot[id] = int32(len(g.ids))
		}
		sizes[e.slot[id]-1]++
	}
	g.starts = resize(e.groups.starts, len(g.ids)+1)
	g.starts[0] = 0
	for i, n := range sizes {
		g.starts[i+1] = g.starts[i] + n
	}
	next := sizes
	copy(next, g.starts)
	g.claims = resize(e.groups.claims, n)
	for i := range n {
		c := claimAt(i)
		k := e.slot[e.index[c.img]] - 1
		g.claims[next[k]] = c
		next[k]++
	}
	for _, id := range g.ids {
		e.slot[id] = 0
	}
	e.groups, e.groups.sizes = g, sizes
	return g
}

// resize returns s with length n, reusing its array when it is large
// enough; the contents are left to the caller to write.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// groupByRepository splits claims by the repository of their tag (by its
// number), each group in claim order, the groups windows of one slice.
// Like groupByImage, it writes them in storage the next call reuses.
func (e *evaluator) groupByRepository(claims []*claim) [][]*claim {
	sizes := make([]int, len(e.repos.numbers))
	for _, c := range claims {
		sizes[c.repo]++
	}
	all := resize(e.repoGroups, len(claims))
	byRepo := make([][]*claim, len(sizes))
	start := 0
	for repo, n := range sizes {
		byRepo[repo] = all[start : start : start+n]
		start += n
	}
	for _, c := range claims {
		byRepo[c.repo] = append(byRepo[c.repo], c)
	}
	e.repoGroups = all
	// The groups of other rules' repositories are empty: left out.
	return slices.DeleteFunc(byRepo, func(g []*claim) bool { return len(g) == 0 })
}

// claimsByID are the claims of each image ID as the plan lists them: by
// tag, and the claims of one tag in rule order.
type claimsByID struct {
	groups imageGroups
	of     []int32 // by ID number: 1 + its group, 0 for none
}

// claimsByID groups the claims (in plan order: image by image, an image's
// in the order of its tags) by image ID. An ID of one image has its
// claims in the plan's order already (one tag, one rule); only an ID
// the snapshot lists for several images needs sorting, and reading the
// tags again.
func (e *evaluator) claimsByID(claims []claim) claimsByID {
	byID := claimsByID{groups: e.groupImages(len(claims), func(i int) *claim { return &claims[i] }),
		of: make([]int32, len(e.s.Images))}
	byTagThenRule := func(a, b *claim) int {
		if c := strings.Compare(a.ref, b.ref); c != 0 {
			return c
		}
		return int(a.rule - b.rule)
	}
	for g, id := range byID.groups.ids {
		byID.of[id] = int32(g + 1)
		group := byID.groups.group(g)
		if slices.ContainsFunc(group, func(c *claim) bool { return c.img != group[0].img }) {
			slices.SortStableFunc(group, byTagThenRule)
		}
	}
	return byID
}

// claims returns the claims of the ID numbered id.
func (b *claimsByID) claims(id int32) []*claim {
	if g := b.of[id]; g > 0 {
		return b.groups.group(int(g - 1))
	}
	return nil
}
