package policy

import (
	"fmt"
	"slices"
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
// is "" when the reference has none. The tag is what follows the last ':'
// when no '/' does: looked for from the end, it is found without reading
// the whole reference (every tag is split several times).
func splitTag(ref string) refParts {
	colon := strings.LastIndexByte(ref, ':')
	if colon >= 0 && strings.IndexByte(ref[colon+1:], '/') < 0 {
		return refParts{ref[:colon], ref[colon+1:]}
	}
	return refParts{ref, ""}
}

// imageRef is a tag as the matchers read it: whole, for regular
// expressions, and in its familiar form split into its parts, for
// reference globs. A tag is tried against image rules and protections
// alike: it is split once, not once per pattern.
type imageRef struct {
	full  string
	split ref
}

func newImageRef(s string) imageRef {
	return imageRef{full: s, split: parseRef(NormalizeRef(s))}
}

// anyRefMatch is anyMatch for a tag already split.
func anyRefMatch(ms []Matcher, r *imageRef) bool {
	for _, m := range ms {
		if g, ok := m.(*refGlob); ok {
			if g.matchSplit(r.split) {
				return true
			}
		} else if m.Match(r.full) {
			return true
		}
	}
	return false
}

func (r *ImageRule) selectsTag(ref string, img *Image) bool {
	tag := newImageRef(ref)
	return r.selectsRef(&tag, img)
}

func (r *ImageRule) selectsRef(ref *imageRef, img *Image) bool {
	if r.Dangling || len(r.Match) == 0 && len(r.Labels) == 0 {
		return false
	}
	if len(r.Match) > 0 && !anyRefMatch(r.Match, ref) {
		return false
	}
	return labelsMatch(r.Labels, img.Labels) && !anyRefMatch(r.Exclude, ref)
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
// A host has one per tag, 100,000 on a large one, so a claim is small: the
// image, the rule and the tag's repository by number, no copy of what
// they know (the image's times are its imageFacts), and the expiry worked
// out only for the kept claims that have one.
type claim struct {
	ref    string
	reason string
	prot   *Protection
	img    int32 // position in the snapshot's images
	rule   int32 // position in the policy's image rules
	repo   int32 // the number of its tag's repository (see repositories)
	rank   int32
	// expired: the claim goes. waiting: it stays only until its age
	// conditions hold (see expiry).
	expired, waiting bool
}

// imagePlan is what deciding the images leaves for writing them out: the
// images and their claims in plan order, and how many claims expire.
type imagePlan struct {
	order   []sortedImage
	claims  []claim
	expired int
}

// decideImages claims every tag (and untagged image) and decides, rule by
// rule, what stays and what goes.
func (e *evaluator) decideImages() imagePlan {
	order := e.sortedImages()
	e.index = e.imageIndex()
	e.slot = make([]int32, len(e.s.Images))
	e.facts = e.imageFacts()
	claims, unmatched := e.claimImages(order)
	byRule := claimsByRule(claims, len(e.p.Images))
	// The groupings' storage, at the size of the largest (the plan's
	// entries group every claim), rather than grown call after call.
	e.groups = imageGroups{
		claims: make([]*claim, len(claims)),
		starts: make([]int32, len(e.s.Images)+1),
		ids:    make([]int32, 0, len(e.s.Images)),
		sizes:  make([]int32, 0, len(e.s.Images)),
	}
	for i, r := range e.p.Images {
		e.decideRule(r, byRule[i])
	}
	if len(unmatched) > 0 && e.hasTagRules() {
		e.warnings = append(e.warnings, Warning{Message: fmt.Sprintf(
			"%d tag(s) matched no image rule and are kept: %s", len(unmatched), Examples(unmatched, 5))})
	}
	plan := imagePlan{order: order, claims: claims}
	for i := range claims {
		if claims[i].expired {
			plan.expired++
		}
	}
	return plan
}

// sortedImage is an image in plan order, with what orders it: its first
// tag in sorted order.
type sortedImage struct {
	first  string
	pos    int32 // position in the snapshot's images
	tagged bool
}

// sortedImages returns the snapshot's images in plan order: by their first
// tag in sorted order, then ID; untagged images last, by ID. The first tag
// is found once per image, and kept next to the position, so that
// comparisons read neither the images nor their tags.
func (e *evaluator) sortedImages() []sortedImage {
	images := e.s.Images
	order := make([]sortedImage, len(images))
	for i := range images {
		order[i] = sortedImage{pos: int32(i)}
		if tags := images[i].Tags; len(tags) > 0 {
			order[i].first, order[i].tagged = slices.Min(tags), true
		}
	}
	slices.SortFunc(order, func(a, b sortedImage) int {
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.first, b.first); c != 0 {
			return c
		}
		return strings.Compare(images[a.pos].ID, images[b.pos].ID)
	})
	return order
}

// imageIndex numbers the snapshot's image IDs: the position of the last
// image of each ID (imageByID), for every image. What the plan decides
// per image it decides per ID, and a snapshot may list an ID twice;
// positions index slices where IDs keyed maps, which hashed 71-byte IDs
// several times per tag.
func (e *evaluator) imageIndex() []int32 {
	index := make([]int32, len(e.s.Images))
	for i := range e.s.Images {
		index[i] = e.imageByID[e.s.Images[i].ID]
	}
	return index
}

func (e *evaluator) hasTagRules() bool {
	for _, r := range e.p.Images {
		if !r.Dangling {
			return true
		}
	}
	return false
}

// claimImages has every tag (and untagged image) claimed by its first
// rule, in plan order, with the protection that keeps it, if any: the
// claims, and the tags no rule claims.
func (e *evaluator) claimImages(order []sortedImage) ([]claim, []string) {
	// Every claim lives in one block, sized up front: one allocation
	// instead of one per tag, and pointers into it stay valid.
	n := 0
	for i := range e.s.Images {
		n += max(len(e.s.Images[i].Tags), 1)
	}
	claims := make([]claim, 0, n)
	var unmatched, sorted []string
	for _, im := range order {
		img := &e.s.Images[im.pos]
		if len(img.Tags) == 0 {
			if i := e.claimUntagged(img); i >= 0 {
				claims = append(claims, claim{img: im.pos, rule: int32(i), repo: e.repos.number(""),
					prot: e.firstImageProtection(im.pos, &imageRef{})})
			}
			continue
		}
		// An image's tags are claimed in order; those not in order are
		// sorted in a copy, one buffer for every image.
		tags := img.Tags
		if !slices.IsSorted(tags) {
			sorted = append(sorted[:0], tags...)
			slices.Sort(sorted)
			tags = sorted
		}
		for _, tag := range tags {
			ref := newImageRef(tag)
			i := e.claimTag(img, &ref)
			if i < 0 {
				unmatched = append(unmatched, tag)
				continue
			}
			claims = append(claims, claim{img: im.pos, ref: tag, rule: int32(i), repo: e.repos.number(tag),
				prot: e.firstImageProtection(im.pos, &ref)})
		}
	}
	return claims, unmatched
}

func (e *evaluator) claimTag(img *Image, ref *imageRef) int {
	return claimFirst(e, ref.full, e.p.Images, e.rules.images, func(r *ImageRule) bool { return r.selectsRef(ref, img) })
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

// imageFacts are what every claim of an image shares, worked out once per
// image rather than once per tag: its times, and the containers that
// keep it in use after this plan.
type imageFacts struct {
	lastUsed stamp
	inUse    *Protection // nil when no container that stays uses it
}

func (e *evaluator) imageFacts() []imageFacts {
	facts := make([]imageFacts, len(e.s.Images))
	for i := range e.s.Images {
		img := &e.s.Images[i]
		facts[i] = imageFacts{lastUsed: e.lastUsed(img), inUse: e.inUse(img)}
	}
	return facts
}

// imageTime returns the image's timestamp on a basis.
func (e *evaluator) imageTime(pos int32, b Basis) stamp {
	switch b {
	case BasisCreated:
		return stamp{t: e.s.Images[pos].Created}
	case BasisLastUsed:
		return e.facts[pos].lastUsed
	}
	return e.seen(&e.s.Images[pos])
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
	return remember(&e.agoTexts, key, text)
}

// remember keeps text under key in *texts, made on first use, and returns
// it: the evaluator makes each distinct reason text once.
func remember[K comparable](texts *map[K]string, key K, text string) string {
	if *texts == nil {
		*texts = make(map[K]string)
	}
	(*texts)[key] = text
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
	e.rank(r, claims)
	if r.expiresByConditions() {
		var prev *claim
		for _, c := range claims {
			if c.prot != nil {
				continue
			}
			if prev != nil && prev.img == c.img && prev.rank == c.rank {
				// An image's tags share its times and, within a
				// repository, its rank: the same decision, and one
				// reason text for them all.
				c.reason, c.expired, c.waiting = prev.reason, prev.expired, prev.waiting
			} else {
				e.applyConditions(r, c)
			}
			prev = c
		}
	}
	if r.MaxSize > 0 {
		e.applyBudget(r, claims)
	}
	if r.AgeBasis == BasisCreated {
		var old []string
		for _, c := range claims {
			if e.s.Images[c.img].Created.Before(y2k) {
				old = append(old, e.displayRef(c))
			}
		}
		if len(old) > 0 {
			e.warnings = append(e.warnings, ruleWarning(r.DeclRange,
				"%d image(s) claimed by %s have a created date before 2000 (%s); with age_basis = \"created\" they look ancient: consider \"seen\"",
				len(old), r.Name(), Examples(slices.Compact(slices.Sorted(slices.Values(old))), 3)))
		}
	}
}

func (e *evaluator) displayRef(c *claim) string {
	if c.ref == "" {
		return ShortID(e.s.Images[c.img].ID)
	}
	return c.ref
}

// applyConditions expires a claim that is beyond keep and meets every age
// condition the rule sets; otherwise it records why it stays (and marks it
// waiting when only its age keeps it: see expiry).
func (e *evaluator) applyConditions(r *ImageRule, c *claim) {
	if r.HasKeep && int(c.rank) <= r.Keep {
		c.reason = "rank " + strconv.Itoa(int(c.rank)) + " of keep " + strconv.Itoa(r.Keep)
		return
	}
	// The reason is written in one buffer for the whole evaluation and
	// copied out at its exact size: a builder allocated per reason.
	b := e.reasonBuf[:0]
	next := func() {
		if len(b) > 0 {
			b = append(b, ", "...)
		}
	}
	if r.HasKeep {
		b = append(b, "rank "...)
		b = strconv.AppendInt(b, int64(c.rank), 10)
		b = append(b, " beyond keep "...)
		b = strconv.AppendInt(b, int64(r.Keep), 10)
	}
	ts := e.imageTime(c.img, r.AgeBasis)
	met := true
	if r.OlderThan > 0 {
		word := ", older than "
		if old, _ := e.olderThan(ts.t, r.OlderThan); !old {
			met, word = false, ", younger than "
		}
		next()
		b = append(b, e.agoText(basisWord(r.AgeBasis), ts)...)
		b = append(b, word...)
		b = append(b, FormatDuration(r.OlderThan)...)
	}
	if r.UnusedFor > 0 {
		last := e.facts[c.img].lastUsed
		word := ", unused for over "
		if old, _ := e.olderThan(last.t, r.UnusedFor); !old {
			met, word = false, ", used within "
		}
		next()
		b = append(b, e.agoText("last used", last)...)
		b = append(b, word...)
		b = append(b, FormatDuration(r.UnusedFor)...)
	}
	if r.OlderThan == 0 && r.UnusedFor == 0 {
		next()
		b = append(b, e.agoText(basisWord(r.AgeBasis), ts)...)
	}
	c.reason = string(b)
	e.reasonBuf = b
	c.expired, c.waiting = met, !met
}

// expiry is when a waiting claim's age conditions all hold: the latest of
// the times each becomes true. Only kept claims show it, so it is worked
// out when they are written rather than stored in every claim.
func (e *evaluator) expiry(r *ImageRule, c *claim) time.Time {
	var at time.Time
	if r.OlderThan > 0 {
		_, t := e.olderThan(e.imageTime(c.img, r.AgeBasis).t, r.OlderThan)
		at = laterOf(at, t)
	}
	if r.UnusedFor > 0 {
		_, t := e.olderThan(e.facts[c.img].lastUsed.t, r.UnusedFor)
		at = laterOf(at, t)
	}
	return at
}

// applyBudget evicts the rule's least recently used images that are neither
// kept by rank nor protected until the rule's total size fits max_size.
func (e *evaluator) applyBudget(r *ImageRule, claims []*claim) {
	b := e.budgetCandidates(r, claims)
	total := b.total
	limit := HumanSize(r.MaxSize)
	startTotal := HumanSize(total)
	// Evicted images share few distinct ages: one text for each.
	overTexts := make(map[string]string)
	for _, cand := range b.candidates {
		if total <= r.MaxSize {
			break
		}
		total -= cand.img.Size
		lastUsed := e.agoText("last used", cand.lastUsed)
		over, ok := overTexts[lastUsed]
		if !ok {
			over = fmt.Sprintf("over max_size %s (rule total %s), least recently used: %s", limit, startTotal, lastUsed)
			overTexts[lastUsed] = over
		}
		for _, c := range b.images.group(cand.group) {
			if c.expired {
				continue
			}
			c.expired, c.waiting = true, false
			c.reason = joinReason(rankPart(r, c), over)
		}
	}
	if !r.expiresByConditions() {
		within := fmt.Sprintf("within max_size %s (rule total %s)", limit, HumanSize(total))
		for _, c := range claims {
			if !c.expired && c.prot == nil {
				c.reason = joinReason(rankPart(r, c), within)
			}
		}
	}
}

// budget is what a rule's max_size weighs: the claims per image, the total
// size of the images that keep a claim after keep and ages, and the images
// the budget may evict, least recently used first.
type budget struct {
	images     imageGroups
	total      int64
	candidates []budgetCandidate
}

type budgetCandidate struct {
	img      *Image
	group    int // its claims' group in budget.images
	lastUsed stamp
}

// budgetCandidates weighs a rule's claims for its max_size: an image counts
// when one of its claims has not expired, and may be evicted unless one of
// its claims is protected or kept by rank.
func (e *evaluator) budgetCandidates(r *ImageRule, claims []*claim) budget {
	b := budget{images: e.groupByImage(claims)}
	b.candidates = make([]budgetCandidate, 0, b.images.count())
	for g := range b.images.count() {
		group := b.images.group(g)
		remaining, evictable := false, true
		for _, c := range group {
			if !c.expired {
				remaining = true
			}
			if c.prot != nil || r.HasKeep && int(c.rank) <= r.Keep {
				evictable = false
			}
		}
		if !remaining {
			continue
		}
		img := &e.s.Images[group[0].img]
		b.total += img.Size
		if evictable {
			b.candidates = append(b.candidates, budgetCandidate{img, g, e.facts[group[0].img].lastUsed})
		}
	}
	// The order is total (IDs differ), so an unstable sort evicts alike.
	slices.SortFunc(b.candidates, func(a, b budgetCandidate) int {
		if c := a.lastUsed.t.Compare(b.lastUsed.t); c != 0 {
			return c
		}
		if c := a.img.Created.Compare(b.img.Created); c != 0 {
			return c
		}
		return strings.Compare(a.img.ID, b.img.ID)
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
func (e *evaluator) emitImages(images imagePlan) {
	byID := e.claimsByID(images.claims)
	removed := e.removedImages(images.order, &byID)
	var expired []*claim
	var protected protectedReasons
	for _, im := range images.order {
		img := &e.s.Images[im.pos]
		id := e.index[im.pos]
		expired = expired[:0]
		for _, c := range byID.claims(id) {
			if c.expired {
				expired = append(expired, c)
				continue
			}
			e.kept = append(e.kept, e.keptImage(img, c, &protected))
		}
		parent, info := e.parentOf(img), infoOf(img)
		for i, c := range expired {
			r := e.p.Images[c.rule]
			a := Action{Kind: KindImage, Action: ActionUntag, Ref: c.ref, ID: img.ID, Rule: e.rules.images[c.rule].name,
				Reason: c.reason, Basis: string(r.AgeBasis), Timestamp: e.imageTime(c.img, r.AgeBasis).t, Rank: int(c.rank),
				Range: &r.DeclRange, Parent: parent, Image: info}
			if i == len(expired)-1 {
				switch {
				case removed[id]:
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

// keptImage is the kept entry of a claim of img that stays.
func (e *evaluator) keptImage(img *Image, c *claim, protected *protectedReasons) Kept {
	r := e.p.Images[c.rule]
	k := Kept{Kind: KindImage, Ref: c.ref, ID: img.ID, Rule: e.rules.images[c.rule].name, Reason: c.reason,
		Basis: string(r.AgeBasis), Timestamp: e.imageTime(c.img, r.AgeBasis).t, Rank: int(c.rank)}
	if c.waiting {
		k.ExpiresAt = e.expiry(r, c)
	}
	if c.prot != nil {
		k.Rule, k.Protected = c.prot.Rule, true
		k.Reason = protected.text(c.prot, e.rules.images[c.rule].name)
		k.ExpiresAt = time.Time{}
	}
	return k
}

// protectedReasons makes the reason of a protected claim, "<the
// protection's reason> (claimed by <rule>)", once for a run of claims of
// one protection and one rule: mostly the tags of one image.
type protectedReasons struct {
	prot   *Protection
	rule   string
	reason string
}

func (p *protectedReasons) text(prot *Protection, rule string) string {
	if prot != p.prot || rule != p.rule {
		p.prot, p.rule = prot, rule
		p.reason = prot.Reason + " (claimed by " + rule + ")"
	}
	return p.reason
}

// removedImages decides which images (by ID number) the plan removes, not
// only untags: those that lose every tag (or, untagged, are claimed and
// expire) and whose every child image goes in the same plan; prune removes
// the children first. An image known to have children that the snapshot
// does not hold is only untagged.
func (e *evaluator) removedImages(order []sortedImage, byID *claimsByID) []bool {
	children := make(map[string][]int32)
	for _, im := range order {
		if parent := e.s.Images[im.pos].ParentID; parent != "" {
			children[parent] = append(children[parent], im.pos)
		}
	}
	removed := make([]bool, len(e.s.Images))
	decided := make([]bool, len(e.s.Images))
	var decide func(pos int32) bool
	decide = func(pos int32) bool {
		id := e.index[pos]
		if decided[id] {
			return removed[id]
		}
		decided[id] = true // a cycle (a corrupt snapshot) keeps its images
		img := &e.s.Images[pos]
		expired := 0
		for _, c := range byID.claims(id) {
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
		removed[id] = ok
		return ok
	}
	for _, im := range order {
		decide(im.pos)
	}
	return removed
}

// infoOf is what the actions of img carry of it, nil when it has
// nothing to carry (the actions of an image share it).
func infoOf(img *Image) *ImageInfo {
	if img.Digests == nil && img.UntaggedParents == nil {
		return nil
	}
	return &ImageInfo{Digests: img.Digests, UntaggedParents: img.UntaggedParents}
}

// parentOf is the image img is built on, when the snapshot holds it.
func (e *evaluator) parentOf(img *Image) string {
	if img.ParentID == "" {
		return "" // most images: not worth hashing
	}
	if _, ok := e.imageByID[img.ParentID]; ok {
		return img.ParentID
	}
	return ""
}
