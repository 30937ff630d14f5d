package policy

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Evaluate decides, for every object in the snapshot, whether the policy
// removes it, keeps it on purpose, or leaves it unclaimed. It is a pure
// function of its arguments: the same policy and snapshot always give the
// same plan, and nothing outside them (clock, daemon, files) is consulted.
//
// Objects are planned in dependency order: containers first, so that an
// image, volume or network whose only users are removed by the same plan
// can go too; then images, volumes, networks and the build cache.
func Evaluate(p *Policy, s Snapshot) Plan {
	return newEvaluator(p, s).evaluate()
}

// evaluate makes the plan; it is Evaluate's body, which Analyze shares.
func (e *evaluator) evaluate() Plan {
	p, s := e.p, e.s
	e.decideContainers()
	images := e.decideImages()
	e.reserve(images)
	e.emitContainers()
	e.emitImages(images)
	e.planVolumes()
	e.planNetworks()
	e.planBuildCache()
	e.finishWarnings()
	sortWarnings(e.warnings)

	plan := Plan{
		Version:  PlanVersion,
		Policy:   p.Filename,
		Now:      s.Now,
		Actions:  e.actions,
		Kept:     e.kept,
		Warnings: e.warnings,
	}
	if plan.Actions == nil {
		plan.Actions = []Action{}
	}
	if plan.Kept == nil {
		plan.Kept = []Kept{}
	}
	if plan.Warnings == nil {
		plan.Warnings = []Warning{}
	}
	for _, a := range plan.Actions {
		plan.Summary.Actions++
		if a.Bytes < 0 {
			plan.Summary.UnknownBytes++
			continue
		}
		plan.Summary.ReclaimableBytes += a.Bytes
	}
	if n := plan.Summary.UnknownBytes; n > 0 {
		plan.Warnings = append(plan.Warnings, Warning{Message: fmt.Sprintf(
			"the daemon does not say how much of each image other images share (Podman reports none of it): "+
				"%d image removal(s) free an unknown number of bytes, shown as \"-\" and left out of the reclaimable total", n)})
	}
	return plan
}

// evaluator holds the indexes one evaluation needs; it lives for one call.
type evaluator struct {
	p   *Policy
	s   Snapshot
	now time.Time

	// imageByID is the position of the last image of each ID in the
	// snapshot.
	imageByID         map[string]int32
	containersByImage map[string][]*Container
	// index numbers the images' IDs, by position (see imageIndex); facts
	// are what each image's claims share; slot is scratch for
	// groupByImage, one number per image.
	index []int32
	facts []imageFacts
	slot  []int32
	// groups and repoGroups are the storage groupByImage and
	// groupByRepository reuse.
	groups     imageGroups
	repoGroups []*claim
	// repos numbers the repositories of the claimed tags.
	repos repositories
	// ranking is the storage rankRepository reuses.
	ranking struct {
		entries  []rankEntry
		versions []versionKey
		next     versionKey
	}
	// volumesByName, containersByVolume and containersByNetwork (by the
	// network's ID or name, as containers name it either way) answer
	// "which volume", "who mounts it" and "who is attached" without a
	// scan of every container per object: on a host of thousands of
	// containers the scans made evaluation quadratic.
	volumesByName       map[string]*Volume
	containersByVolume  map[string][]*Container
	containersByNetwork map[string][]*Container
	// removedContainers are the containers this plan removes; their images,
	// volumes and networks count as free.
	removedContainers map[string]bool
	// volumesWithContainer are anonymous volumes removed together with a
	// container (remove_volumes), so no volume rule plans them again.
	volumesWithContainer map[string]withContainer

	// rules are what the evaluation knows of each rule, index for index
	// with the policy's lists; usage is the same, by rule name.
	rules struct{ images, containers, volumes, networks []ruleMeta }
	usage map[string]*ruleUsage
	// overlaps, when set (Analyze), lists per claiming rule the objects
	// later rules match too.
	overlaps map[string][]Overlap

	// containers are the decisions about containers, in plan order;
	// anonymous is the storage anonymousVolumesOnlyUsedBy reuses.
	containers []containerDecision
	anonymous  []string

	actions  []Action
	kept     []Kept
	warnings []Warning
	// expectations hold the actions' Expect values (see expect).
	expectations []Expectation

	// protects are the protect blocks' protections, index for index.
	protects []blockProtection

	// reasonBuf is where applyConditions writes reasons.
	reasonBuf []byte
	// containerReasons are the texts containerReason made, withVolumes
	// removeVolumesWith's, by number of volumes.
	containerReasons map[containerReasonKey]string
	withVolumes      map[int]string

	// agoTexts are the texts agoText made, by what they depend on.
	agoTexts map[agoKey]string
}

func newEvaluator(p *Policy, s Snapshot) *evaluator {
	e := &evaluator{
		p:                    p,
		s:                    s,
		now:                  s.Now,
		imageByID:            make(map[string]int32, len(s.Images)),
		containersByImage:    make(map[string][]*Container, len(s.Containers)),
		removedContainers:    make(map[string]bool, len(s.Containers)),
		volumesWithContainer: make(map[string]withContainer, len(s.Volumes)),
		usage:                make(map[string]*ruleUsage),
	}
	for i := range s.Images {
		e.imageByID[s.Images[i].ID] = int32(i)
	}
	e.rules.images = ruleMetas(e, p.Images)
	e.rules.containers = ruleMetas(e, p.Containers)
	e.rules.volumes = ruleMetas(e, p.Volumes)
	e.rules.networks = ruleMetas(e, p.Networks)
	e.volumesByName = make(map[string]*Volume, len(s.Volumes))
	for i := range s.Volumes {
		if _, dup := e.volumesByName[s.Volumes[i].Name]; !dup {
			e.volumesByName[s.Volumes[i].Name] = &s.Volumes[i]
		}
	}
	e.containersByVolume = make(map[string][]*Container, len(s.Volumes))
	e.containersByNetwork = make(map[string][]*Container, len(s.Networks))
	for i := range s.Containers {
		c := &s.Containers[i]
		e.containersByImage[c.ImageID] = append(e.containersByImage[c.ImageID], c)
		indexOnce(e.containersByVolume, c.Volumes, c)
		indexOnce(e.containersByNetwork, c.Networks, c)
	}
	e.protects = blockProtectionsOf(p.Protects)
	e.warnings = append(e.warnings, p.Warnings...)
	return e
}

// image is the snapshot's image of that ID (the last, should it list the
// ID twice), or nil.
func (e *evaluator) image(id string) *Image {
	if i, ok := e.imageByID[id]; ok {
		return &e.s.Images[i]
	}
	return nil
}

// reserve sizes the plan's lists once every container and image is
// decided: an entry for each, and room for the volumes, networks and
// build cache planned last. Grown as they were written, the lists were
// copied over and over, 280-byte actions and all; sized once they are
// allocated once.
func (e *evaluator) reserve(images imagePlan) {
	removed := 0
	for _, d := range e.containers {
		if d.remove {
			removed++
		}
	}
	rest := len(e.s.Volumes) + len(e.s.Networks)
	e.actions = make([]Action, 0, removed+images.expired+rest+1)
	// The anonymous volumes that go with their containers are actions,
	// never kept.
	e.kept = make([]Kept, 0, len(e.containers)-removed+len(images.claims)-images.expired+rest-len(e.volumesWithContainer))
	e.expectations = make([]Expectation, 0, removed+len(e.s.Volumes))
}

// indexOnce adds c under each of keys, once per key even when c lists a
// key twice.
func indexOnce(index map[string][]*Container, keys []string, c *Container) {
	for i, k := range keys {
		if slices.Contains(keys[:i], k) {
			continue
		}
		index[k] = append(index[k], c)
	}
}

// ruleMeta is what one evaluation knows of a rule besides the rule: its
// name, computed once rather than once per object, and its usage.
type ruleMeta struct {
	name  string
	usage *ruleUsage
}

// ruleUsage counts the objects a rule's selectors matched and those it
// claimed; shadowedBy names the earlier rule that took its first match.
// Rules of one name share it.
type ruleUsage struct {
	matched, claimed int
	shadowedBy       string
}

// ruleMetas lists the rules' names and usage, index for index.
func ruleMetas[R interface{ Name() string }](e *evaluator, rules []R) []ruleMeta {
	metas := make([]ruleMeta, len(rules))
	for i, r := range rules {
		name := r.Name()
		u := e.usage[name]
		if u == nil {
			u = &ruleUsage{}
			e.usage[name] = u
		}
		metas[i] = ruleMeta{name, u}
	}
	return metas
}

// claimedBy is how many objects the rule of that name claimed.
func (e *evaluator) claimedBy(name string) int {
	if u := e.usage[name]; u != nil {
		return u.claimed
	}
	return 0
}

// triesAfterClaim reports whether a rule must still be tried on objects an
// earlier rule claimed. The warnings only need the matches of a rule that
// has claimed nothing: once it claims something it is neither unused nor
// shadowed, and trying it on every later object (each tag against every
// rule) was most of the matching. Analyze lists every overlap, so it tries
// them all.
func (e *evaluator) triesAfterClaim(u *ruleUsage) bool {
	return e.overlaps != nil || u.claimed == 0
}

// noteMatch records that rule's selectors matched an object (named what)
// that claimer (possibly rule itself) claimed, for the claimed-nothing and
// shadowing warnings, and for Analyze's overlaps.
func (e *evaluator) noteMatch(what string, rule, claimer *ruleMeta) {
	u := rule.usage
	u.matched++
	if u == claimer.usage {
		u.claimed++
		return
	}
	if u.shadowedBy == "" {
		u.shadowedBy = claimer.name
	}
	if e.overlaps != nil {
		ov := e.overlaps[claimer.name]
		if n := len(ov); n > 0 && ov[n-1].Object == what {
			ov[n-1].Also = append(ov[n-1].Also, rule.name)
		} else {
			ov = append(ov, Overlap{Object: what, Also: []string{rule.name}})
		}
		e.overlaps[claimer.name] = ov
	}
}

// remainingUsers returns the containers using the image that this plan
// does not remove.
func (e *evaluator) remainingUsers(imageID string) []*Container {
	var users []*Container
	for _, c := range e.containersByImage[imageID] {
		if !e.removedContainers[c.ID] {
			users = append(users, c)
		}
	}
	return users
}

// ruleWarning builds a warning located at a rule's declaration.
func ruleWarning(r hcl.Range, format string, args ...any) Warning {
	w := Warning{Message: fmt.Sprintf(format, args...)}
	if r.Filename != "" {
		w.Filename = r.Filename
		w.Line = r.Start.Line
		w.Column = r.Start.Column
	}
	return w
}

type ruleRef struct {
	name  string
	decl  hcl.Range
	noun  string // what it claims, plural: "tags", "containers", …
	isTag bool
}

func (e *evaluator) ruleRefs() []ruleRef {
	var refs []ruleRef
	for _, r := range e.p.Containers {
		refs = append(refs, ruleRef{r.Name(), r.DeclRange, "containers", false})
	}
	for _, r := range e.p.Images {
		noun := "tags"
		if r.Dangling {
			noun = "dangling images (untagged, with no child images)"
		}
		refs = append(refs, ruleRef{r.Name(), r.DeclRange, noun, !r.Dangling})
	}
	for _, r := range e.p.Volumes {
		refs = append(refs, ruleRef{r.Name(), r.DeclRange, "volumes", false})
	}
	for _, r := range e.p.Networks {
		refs = append(refs, ruleRef{r.Name(), r.DeclRange, "networks", false})
	}
	return refs
}

// finishWarnings adds the warnings about rules: those that claimed nothing,
// and those whose every match an earlier rule took.
func (e *evaluator) finishWarnings() {
	for _, r := range e.ruleRefs() {
		u := e.usage[r.name]
		switch {
		case u.matched == 0:
			if e.p.QuietUnclaimed {
				continue
			}
			e.warnings = append(e.warnings, ruleWarning(r.decl,
				"rule %s claimed nothing: no %s on this host match its selectors", r.name, r.noun))
		case u.claimed == 0:
			e.warnings = append(e.warnings, ruleWarning(r.decl,
				"rule %s is shadowed by %s: every one of the %d %s it matches is claimed by the earlier rule",
				r.name, u.shadowedBy, u.matched, r.noun))
		}
	}
}

// sortWarnings puts warnings about the policy file first, in file order,
// then the observations about the host.
func sortWarnings(ws []Warning) {
	sort.SliceStable(ws, func(i, j int) bool {
		a, b := ws[i], ws[j]
		if (a.Line == 0) != (b.Line == 0) {
			return a.Line != 0
		}
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
}

// labelsMatch reports whether labels satisfy every selector.
func labelsMatch(sel []LabelSelector, labels map[string]string) bool {
	for _, ls := range sel {
		v, ok := labels[ls.Key]
		if !ok || !ls.Value.Match(v) {
			return false
		}
	}
	return true
}

// anyLabelMatches reports whether labels satisfy at least one selector.
func anyLabelMatches(sel []LabelSelector, labels map[string]string) bool {
	for _, ls := range sel {
		if v, ok := labels[ls.Key]; ok && ls.Value.Match(v) {
			return true
		}
	}
	return false
}

func anyMatch(ms []Matcher, s string) bool {
	for _, m := range ms {
		if m.Match(s) {
			return true
		}
	}
	return false
}

// ago formats the age of t for reasons, as coarsely as a person reads it:
// "40s ago", "25m ago", "36h ago", "9d ago". explain shows exact times.
func (e *evaluator) ago(t time.Time) string {
	return FormatDuration(e.agoDuration(t)) + " ago"
}

// agoDuration is how long ago t was, as coarsely as ago shows it.
func (e *evaluator) agoDuration(t time.Time) time.Duration {
	d := e.now.Sub(t)
	switch {
	case d < time.Minute:
		d = d.Truncate(time.Second)
	case d < time.Hour:
		d = d.Truncate(time.Minute)
	case d < 48*time.Hour:
		d = d.Truncate(time.Hour)
	default:
		d = d.Truncate(24 * time.Hour)
	}
	return d
}

// olderThan reports whether t is at least d before now; the second result
// is when that becomes true.
func (e *evaluator) olderThan(t time.Time, d time.Duration) (bool, time.Time) {
	at := t.Add(d)
	return !e.now.Before(at), at
}

func joinReason(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
