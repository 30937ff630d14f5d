package policy

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// y2k is the earliest believable build date; reproducible builds often set
// Created to 1970, which makes age_basis = "created" see them as ancient.
var y2k = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// refParts is a reference split into repository and tag.
type refParts struct{ repo, tag string }

// splitTag splits "host:5000/app:v1" into "host:5000/app" and "v1"; the tag
// is "" when the reference has none.
func splitTag(ref string) refParts {
	slash := strings.LastIndex(ref, "/")
	colon := strings.LastIndex(ref, ":")
	if colon > slash {
		return refParts{ref[:colon], ref[colon+1:]}
	}
	return refParts{ref, ""}
}

func (r *ImageRule) selectsTag(ref string, img *Image) bool {
	if r.Dangling || len(r.Match) == 0 && len(r.Labels) == 0 {
		return false
	}
	if len(r.Match) > 0 && !anyMatch(r.Match, ref) {
		return false
	}
	return labelsMatch(r.Labels, img.Labels) && !anyMatch(r.Exclude, ref)
}

// selectsUntagged says whether a dangling rule claims an untagged image.
// An untagged image that other images are built on is not dangling: it is
// their parent, which docker keeps as long as they exist; no dangling rule
// claims it, nor counts it towards keep.
func (r *ImageRule) selectsUntagged(img *Image) bool {
	return r.Dangling && !img.HasChildren && labelsMatch(r.Labels, img.Labels)
}

// expiresByConditions reports whether claimed tags expire by keep and age.
// A rule with only max_size expires nothing by itself: it evicts only what
// its budget needs. A rule with no condition at all removes what it claims.
func (r *ImageRule) expiresByConditions() bool {
	return r.HasKeep || r.OlderThan > 0 || r.UnusedFor > 0 || r.MaxSize == 0
}

// claim is one tag (or one untagged image, with ref "") claimed by a rule.
//
// A host has one per tag, so the fields are few and packed (the repository
// is split off ref when ranking, the basis is the rule's): 100,000 tags
// make 100,000 claims.
type claim struct {
	img  *Image
	ref  string
	rule *ImageRule
	// ruleName is rule.Name(), computed once per evaluation.
	ruleName string

	prot      *Protection
	rank      int
	expired   bool
	tsLower   bool // ts is a lower bound on the age (see stamp)
	reason    string
	ts        time.Time
	expiresAt time.Time
}

func (e *evaluator) planImages() {
	images, sortedTags := e.sortedImages()

	// Every claim lives in one block, sized up front: one allocation
	// instead of one per tag, and pointers into it stay valid.
	n := 0
	for _, tags := range sortedTags {
		n += max(len(tags), 1)
	}
	block := make([]claim, 0, n)
	keep := func(c claim) *claim {
		block = append(block, c)
		return &block[len(block)-1]
	}
	claimsByRule := make(map[*ImageRule][]*claim)
	var unmatched []string
	for i, img := range images {
		if len(img.Tags) == 0 {
			if j := e.claimUntagged(img); j >= 0 {
				r, name := e.p.Images[j], e.rules.images[j].name
				claimsByRule[r] = append(claimsByRule[r], keep(claim{img: img, rule: r, ruleName: name}))
			}
			continue
		}
		for _, ref := range sortedTags[i] {
			j := e.claimTag(img, ref)
			if j < 0 {
				unmatched = append(unmatched, ref)
				continue
			}
			r, name := e.p.Images[j], e.rules.images[j].name
			claimsByRule[r] = append(claimsByRule[r], keep(claim{img: img, ref: ref, rule: r, ruleName: name}))
		}
	}

	for _, r := range e.p.Images {
		e.decideRule(r, claimsByRule[r])
	}
	e.emitImages(images, claimsByRule)

	if len(unmatched) > 0 && e.hasTagRules() {
		e.warnings = append(e.warnings, Warning{Message: fmt.Sprintf(
			"%d tag(s) matched no image rule and are kept: %s", len(unmatched), Examples(unmatched, 5))})
	}
}

// sortedImages returns the snapshot's images in plan order (by their first
// tag in sorted order, then ID; untagged images last, by ID) and each
// one's tags sorted, index for index. The tags are sorted once per image:
// sorting them inside the comparison made the sort allocate per compare.
func (e *evaluator) sortedImages() ([]*Image, [][]string) {
	type entry struct {
		img  *Image
		tags []string
	}
	entries := make([]entry, len(e.s.Images))
	for i := range e.s.Images {
		img := &e.s.Images[i]
		tags := img.Tags
		if !slices.IsSorted(tags) {
			tags = slices.Sorted(slices.Values(tags))
		}
		entries[i] = entry{img, tags}
	}
	// The order of the key first tag + "\x00" + ID, untagged ones keyed
	// "\xff" + ID: no reference holds a NUL or a 0xff byte.
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if (len(a.tags) == 0) != (len(b.tags) == 0) {
			return len(b.tags) == 0
		}
		if len(a.tags) > 0 && a.tags[0] != b.tags[0] {
			return a.tags[0] < b.tags[0]
		}
		return a.img.ID < b.img.ID
	})
	images := make([]*Image, len(entries))
	tags := make([][]string, len(entries))
	for i, en := range entries {
		images[i], tags[i] = en.img, en.tags
	}
	return images, tags
}

func (e *evaluator) hasTagRules() bool {
	for _, r := range e.p.Images {
		if !r.Dangling {
			return true
		}
	}
	return false
}

func (e *evaluator) claimTag(img *Image, ref string) int {
	return claimFirst(e, ref, e.p.Images, e.rules.images, func(r *ImageRule) bool { return r.selectsTag(ref, img) })
}

func (e *evaluator) claimUntagged(img *Image) int {
	return claimFirst(e, ShortID(img.ID), e.p.Images, e.rules.images, func(r *ImageRule) bool { return r.selectsUntagged(img) })
}

// stamp is an image's timestamp on some basis, and whether it is only a
// lower bound on the image's age: the time docker-shaper first looked,
// with the image possibly there long before.
type stamp struct {
	t          time.Time
	lowerBound bool
}

// seen is when the image got its tags here: LastTagTime, else the first
// time docker-shaper observed it, else now (an image nobody has recorded
// is taken to have just arrived). Created is never the fallback: a pulled
// image built a year ago arrived today. No recorded time earlier than
// Created is used either: a record can make an image look younger than
// its build, never older (a hand-edited state file, a skewed clock).
func (e *evaluator) seen(img *Image) stamp {
	var s stamp
	switch {
	case !img.LastTagTime.IsZero():
		s = stamp{t: img.LastTagTime}
	case !img.FirstSeen.IsZero():
		s = stamp{t: img.FirstSeen, lowerBound: img.FirstSeenIsLowerBound}
	default:
		s = stamp{t: e.now, lowerBound: true}
	}
	if s.t.Before(img.Created) {
		s.t = img.Created
	}
	return s
}

// lastUsed is the newest sign of use: seen, the times of every container
// created from the image (whether or not this plan removes it), and the
// watcher's record. It is a lower bound only when seen decides it and is
// one.
func (e *evaluator) lastUsed(img *Image) stamp {
	s := e.seen(img)
	later := func(t time.Time) {
		if t.After(s.t) {
			s = stamp{t: t}
		}
	}
	later(img.LastUsed)
	for _, c := range e.containersByImage[img.ID] {
		later(c.Created)
		later(c.StartedAt)
		later(c.FinishedAt)
	}
	return s
}

// imageTime returns the image's timestamp on a basis.
func (e *evaluator) imageTime(img *Image, b Basis) stamp {
	switch b {
	case BasisCreated:
		return stamp{t: img.Created}
	case BasisLastUsed:
		return e.lastUsed(img)
	}
	return e.seen(img)
}

// agoText is how a reason gives an age: "seen 9d ago", or "seen ≥ 9d ago
// (since docker-shaper first looked)" when the age is a lower bound.
//
// Hosts have many images of few distinct ages as reasons show them (whole
// days, past two days), so the texts are made once per evaluation.
func (e *evaluator) agoText(word string, s stamp) string {
	key := agoKey{word, s.lowerBound, e.agoDuration(s.t)}
	if text, ok := e.agoTexts[key]; ok {
		return text
	}
	text := word + " " + FormatDuration(key.d) + " ago"
	if s.lowerBound {
		text = word + " ≥ " + FormatDuration(key.d) + " ago (since docker-shaper first looked)"
	}
	if e.agoTexts == nil {
		e.agoTexts = make(map[agoKey]string)
	}
	e.agoTexts[key] = text
	return text
}

// agoKey is what an agoText depends on.
type agoKey struct {
	word       string
	lowerBound bool
	d          time.Duration
}

func basisWord(b Basis) string {
	if b == BasisLastUsed {
		return "last used"
	}
	return string(b)
}

// decideRule ranks a rule's claims per repository and decides which expire.
func (e *evaluator) decideRule(r *ImageRule, claims []*claim) {
	if len(claims) == 0 {
		return
	}
	for _, c := range claims {
		st := e.imageTime(c.img, r.AgeBasis)
		c.ts, c.tsLower = st.t, st.lowerBound
		c.prot = e.firstImageProtection(c.img, c.ref)
	}
	e.rank(r, claims)
	for _, c := range claims {
		if c.prot == nil && r.expiresByConditions() {
			e.applyConditions(r, c)
		}
	}
	if r.MaxSize > 0 {
		e.applyBudget(r, claims)
	}
	if r.AgeBasis == BasisCreated {
		var old []string
		for _, c := range claims {
			if c.img.Created.Before(y2k) {
				old = append(old, displayRef(c))
			}
		}
		if len(old) > 0 {
			e.warnings = append(e.warnings, ruleWarning(r.DeclRange,
				"%d image(s) claimed by %s have a created date before 2000 (%s); with age_basis = \"created\" they look ancient: consider \"seen\"",
				len(old), r.Name(), Examples(slices.Compact(slices.Sorted(slices.Values(old))), 3)))
		}
	}
}

func displayRef(c *claim) string {
	if c.ref == "" {
		return ShortID(c.img.ID)
	}
	return c.ref
}

// rank numbers the distinct images of each repository among the rule's
// claims, 1 being the newest (or highest version). Every tag of an image in
// that repository shares its rank.
func (e *evaluator) rank(r *ImageRule, claims []*claim) {
	byRepo := make(map[string][]*claim)
	for _, c := range claims {
		repo := splitTag(c.ref).repo
		byRepo[repo] = append(byRepo[repo], c)
	}
	for _, group := range byRepo {
		entries := rankEntries(r, group)
		sort.SliceStable(entries, func(i, j int) bool { return entries[i].before(&entries[j], r.OrderBy) })
		rankOf := make(map[*Image]int, len(entries))
		for i, en := range entries {
			rankOf[en.img] = i + 1
		}
		for _, c := range group {
			if n, ok := rankOf[c.img]; ok {
				c.rank = n
			}
		}
	}
}

// rankEntry is one image of a repository's group, with what ranking
// compares: its time on the rule's basis and, for order_by = "version",
// the highest version among its tags in the group.
type rankEntry struct {
	img     *Image
	ts      time.Time
	version *versionKey
}

// rankEntries lists the distinct images (by ID, the first claim's image
// standing for them) of one repository's claims, in claim order.
func rankEntries(r *ImageRule, group []*claim) []rankEntry {
	var entries []rankEntry
	index := make(map[string]int, len(group))
	for _, c := range group {
		i, ok := index[c.img.ID]
		if !ok {
			i = len(entries)
			index[c.img.ID] = i
			entries = append(entries, rankEntry{img: c.img, ts: c.ts})
		}
		en := &entries[i]
		if r.OrderBy == OrderVersion {
			if v := parseVersion(splitTag(c.ref).tag); v != nil && (en.version == nil || v.greater(en.version)) {
				en.version = v
			}
		}
	}
	return entries
}

// before is the ranking's order: by version first when the rule orders by
// version (versions before non-versions), then newest first, then the
// newest build, then by ID.
func (a *rankEntry) before(b *rankEntry, order Order) bool {
	if order == OrderVersion {
		switch {
		case a.version != nil && b.version == nil:
			return true
		case a.version == nil && b.version != nil:
			return false
		case a.version != nil && b.version != nil && !a.version.equal(b.version):
			return a.version.greater(b.version)
		}
	}
	if !a.ts.Equal(b.ts) {
		return a.ts.After(b.ts)
	}
	if !a.img.Created.Equal(b.img.Created) {
		return a.img.Created.After(b.img.Created)
	}
	return a.img.ID < b.img.ID
}

// applyConditions expires a claim that is beyond keep and meets every age
// condition the rule sets; otherwise it records why it stays and until when.
func (e *evaluator) applyConditions(r *ImageRule, c *claim) {
	if r.HasKeep && c.rank <= r.Keep {
		c.reason = "rank " + strconv.Itoa(c.rank) + " of keep " + strconv.Itoa(r.Keep)
		return
	}
	// One builder for the reason: there is one per claim, 100,000 on a
	// large host.
	var b strings.Builder
	b.Grow(128)
	next := func() {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
	}
	if r.HasKeep {
		b.WriteString("rank ")
		b.WriteString(strconv.Itoa(c.rank))
		b.WriteString(" beyond keep ")
		b.WriteString(strconv.Itoa(r.Keep))
	}
	met := true
	var expiresAt time.Time
	if r.OlderThan > 0 {
		old, at := e.olderThan(c.ts, r.OlderThan)
		expiresAt = laterOf(expiresAt, at)
		word := ", older than "
		if !old {
			met, word = false, ", younger than "
		}
		next()
		b.WriteString(e.agoText(basisWord(c.rule.AgeBasis), stamp{c.ts, c.tsLower}))
		b.WriteString(word)
		b.WriteString(FormatDuration(r.OlderThan))
	}
	if r.UnusedFor > 0 {
		last := e.lastUsed(c.img)
		old, at := e.olderThan(last.t, r.UnusedFor)
		expiresAt = laterOf(expiresAt, at)
		word := ", unused for over "
		if !old {
			met, word = false, ", used within "
		}
		next()
		b.WriteString(e.agoText("last used", last))
		b.WriteString(word)
		b.WriteString(FormatDuration(r.UnusedFor))
	}
	if r.OlderThan == 0 && r.UnusedFor == 0 {
		next()
		b.WriteString(e.agoText(basisWord(c.rule.AgeBasis), stamp{c.ts, c.tsLower}))
	}
	c.reason = b.String()
	if met {
		c.expired = true
	} else {
		c.expiresAt = expiresAt
	}
}

// applyBudget evicts the rule's least recently used images that are neither
// kept by rank nor protected until the rule's total size fits max_size.
func (e *evaluator) applyBudget(r *ImageRule, claims []*claim) {
	b := e.budgetCandidates(r, claims)
	total := b.total
	limit := HumanSize(r.MaxSize)
	startTotal := HumanSize(total)
	for _, cand := range b.candidates {
		if total <= r.MaxSize {
			break
		}
		img := cand.img
		total -= img.Size
		for _, c := range b.byImage[img.ID] {
			if c.expired {
				continue
			}
			c.expired = true
			c.expiresAt = time.Time{}
			c.reason = joinReason(rankPart(r, c), fmt.Sprintf("over max_size %s (rule total %s), least recently used: %s",
				limit, startTotal, e.agoText("last used", cand.lastUsed)))
		}
	}
	if !r.expiresByConditions() {
		for _, c := range claims {
			if !c.expired && c.prot == nil {
				c.reason = joinReason(rankPart(r, c), fmt.Sprintf("within max_size %s (rule total %s)", limit, HumanSize(total)))
			}
		}
	}
}

// budget is what a rule's max_size weighs: the claims per image, the total
// size of the images that keep a claim after keep and ages, and the images
// the budget may evict, least recently used first.
type budget struct {
	byImage    map[string][]*claim
	total      int64
	candidates []budgetCandidate
}

type budgetCandidate struct {
	img      *Image
	lastUsed stamp
}

// budgetCandidates weighs a rule's claims for its max_size: an image counts
// when one of its claims has not expired, and may be evicted unless one of
// its claims is protected or kept by rank. Each candidate's last use is
// computed once, not on every comparison of the sort.
func (e *evaluator) budgetCandidates(r *ImageRule, claims []*claim) budget {
	b := budget{byImage: make(map[string][]*claim)}
	var order []*Image
	for _, c := range claims {
		if _, ok := b.byImage[c.img.ID]; !ok {
			order = append(order, c.img)
		}
		b.byImage[c.img.ID] = append(b.byImage[c.img.ID], c)
	}
	for _, img := range order {
		remaining, evictable := false, true
		for _, c := range b.byImage[img.ID] {
			if !c.expired {
				remaining = true
			}
			if c.prot != nil || r.HasKeep && c.rank <= r.Keep {
				evictable = false
			}
		}
		if !remaining {
			continue
		}
		b.total += img.Size
		if evictable {
			b.candidates = append(b.candidates, budgetCandidate{img, e.lastUsed(img)})
		}
	}
	cs := b.candidates
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if !a.lastUsed.t.Equal(b.lastUsed.t) {
			return a.lastUsed.t.Before(b.lastUsed.t)
		}
		if !a.img.Created.Equal(b.img.Created) {
			return a.img.Created.Before(b.img.Created)
		}
		return a.img.ID < b.img.ID
	})
	return b
}

func rankPart(r *ImageRule, c *claim) string {
	if !r.HasKeep {
		return ""
	}
	return fmt.Sprintf("rank %d beyond keep %d", c.rank, r.Keep)
}

// emitImages turns claims into actions and kept entries, image by image:
// expired tags are untagged, and the last tag of an image that loses every
// tag (and is neither used nor a parent) is a removal that frees its bytes.
func (e *evaluator) emitImages(images []*Image, claimsByRule map[*ImageRule][]*claim) {
	byImage := make(map[string][]*claim, len(images))
	nExpired, nKept := 0, 0
	for _, r := range e.p.Images {
		for _, c := range claimsByRule[r] {
			byImage[c.img.ID] = append(byImage[c.img.ID], c)
			if c.expired {
				nExpired++
			} else {
				nKept++
			}
		}
	}
	for _, cl := range byImage {
		sort.SliceStable(cl, func(i, j int) bool { return cl[i].ref < cl[j].ref })
	}
	// Every claim becomes one action or one kept entry: size both once,
	// with room for the volumes, networks and build cache planned next,
	// rather than growing 400-byte actions one at a time.
	e.actions = slices.Grow(e.actions, nExpired+len(e.s.Volumes)+len(e.s.Networks)+1)
	e.kept = slices.Grow(e.kept, nKept+len(e.s.Volumes)+len(e.s.Networks))
	removed := e.removedImages(images, byImage)
	var expired []*claim
	for _, img := range images {
		claims := byImage[img.ID]
		expired = expired[:0]
		for _, c := range claims {
			if c.expired {
				expired = append(expired, c)
				continue
			}
			k := Kept{Kind: KindImage, Ref: c.ref, ID: img.ID, Rule: c.ruleName, Reason: c.reason,
				Basis: string(c.rule.AgeBasis), Timestamp: c.ts, Rank: c.rank, ExpiresAt: c.expiresAt}
			if c.prot != nil {
				k.Rule, k.Protected = c.prot.Rule, true
				k.Reason = c.prot.Reason + " (claimed by " + c.ruleName + ")"
				k.ExpiresAt = time.Time{}
			}
			e.kept = append(e.kept, k)
		}
		for i, c := range expired {
			a := Action{Kind: KindImage, Action: ActionUntag, Ref: c.ref, ID: img.ID, Rule: c.ruleName,
				Reason: c.reason, Basis: string(c.rule.AgeBasis), Timestamp: c.ts, Rank: c.rank, Digests: img.Digests,
				Range: &c.rule.DeclRange, Parent: e.parentOf(img), UntaggedParents: img.UntaggedParents}
			if i == len(expired)-1 {
				switch {
				case removed[img.ID]:
					a.Action = ActionRemove
					a.Bytes = img.Size
					switch {
					case e.s.ImageSharingUnknown:
						a.Bytes = -1 // unknown: see Summary.UnknownBytes
					case img.UniqueSize >= 0:
						a.Bytes = img.UniqueSize
					}
					if img.HasChildren {
						a.Reason += "; the images built on it go first, in this plan"
					}
				case img.HasChildren && len(expired) == len(img.Tags):
					a.Reason += "; other images are built on it, so it is only untagged"
				}
			}
			e.actions = append(e.actions, a)
		}
	}
}

// removedImages decides which images the plan removes, not only untags:
// those that lose every tag (or, untagged, are claimed and expire) and
// whose every child image goes in the same plan; prune removes the
// children first. An image known to have children that the snapshot does
// not hold is only untagged.
func (e *evaluator) removedImages(images []*Image, byImage map[string][]*claim) map[string]bool {
	children := make(map[string][]*Image)
	for _, img := range images {
		if img.ParentID != "" {
			children[img.ParentID] = append(children[img.ParentID], img)
		}
	}
	removed := make(map[string]bool)
	decided := make(map[string]bool)
	var decide func(img *Image) bool
	decide = func(img *Image) bool {
		if decided[img.ID] {
			return removed[img.ID]
		}
		decided[img.ID] = true // a cycle (a corrupt snapshot) keeps its images
		expired := 0
		for _, c := range byImage[img.ID] {
			if c.expired {
				expired++
			}
		}
		ok := expired > 0 && expired == max(len(img.Tags), 1)
		if ok && img.HasChildren {
			kids := children[img.ID]
			ok = len(kids) > 0
			for _, k := range kids {
				if !decide(k) {
					ok = false
				}
			}
		}
		removed[img.ID] = ok
		return ok
	}
	for _, img := range images {
		decide(img)
	}
	return removed
}

// parentOf is the image img is built on, when the snapshot holds it.
func (e *evaluator) parentOf(img *Image) string {
	if _, ok := e.imagesByID[img.ParentID]; ok {
		return img.ParentID
	}
	return ""
}
