package policy

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// runningStates are the states in which a container's processes exist: a
// rule removes such containers only when it names the state explicitly, and
// the removal needs force (containers, never images).
var runningStates = map[string]bool{StateRunning: true, StatePaused: true, StateRestarting: true}

// containerTime returns the timestamp a container's age is measured from
// for its state, and a verb for reasons.
func containerTime(c *Container) (time.Time, string) {
	switch c.State {
	case StateExited, StateDead:
		if !c.FinishedAt.IsZero() {
			return c.FinishedAt, c.State
		}
	case StateRunning, StatePaused, StateRestarting:
		if !c.StartedAt.IsZero() {
			return c.StartedAt, "started"
		}
	}
	return c.Created, "created"
}

func (r *ContainerRule) selects(c *Container, imageRefs []string) bool {
	if !slices.Contains(r.Status, c.State) {
		return false
	}
	if len(r.Names) > 0 && !anyMatch(r.Names, c.Name) {
		return false
	}
	if len(r.Images) > 0 {
		ok := false
		for _, ref := range imageRefs {
			if anyMatch(r.Images, ref) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if !labelsMatch(r.Labels, c.Labels) {
		return false
	}
	return len(r.ExcludeLabels) == 0 || !anyLabelMatches(r.ExcludeLabels, c.Labels)
}

// containerImageRefs lists the references a container's image is known by:
// the reference it was created from, the image's current tags and its
// digest references.
func (e *evaluator) containerImageRefs(c *Container) []string {
	var refs []string
	if c.Image != "" && !IsImageID(c.Image) {
		refs = append(refs, withDefaultTag(NormalizeRef(c.Image)))
	}
	if img := e.image(c.ImageID); img != nil {
		refs = append(refs, img.Tags...)
		refs = append(refs, img.Digests...)
	}
	return refs
}

// withDefaultTag adds ":latest" to a reference without a tag or digest, as
// the daemon does.
func withDefaultTag(ref string) string {
	if splitTag(ref).tag == "" && !strings.ContainsRune(ref, '@') {
		return ref + ":latest"
	}
	return ref
}

// containerDecision is what the plan decides for one claimed container.
// Containers are decided first (images, volumes and networks depend on
// which go) but written out later, once the plan's size is known (see
// reserve).
type containerDecision struct {
	c    *Container
	rule int32
	prot *Protection // kept by a protection
	// remove: the container goes; otherwise it is kept (protected, or too
	// young). removeVolumes: its anonymous volumes go with it, which
	// volumes says in its reason.
	remove, removeVolumes bool
	volumes               string
}

// decideContainers decides every container, in plan order (by name, then
// ID).
func (e *evaluator) decideContainers() {
	cs := make([]*Container, len(e.s.Containers))
	for i := range e.s.Containers {
		cs[i] = &e.s.Containers[i]
	}
	slices.SortFunc(cs, func(a, b *Container) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	// A container's image references are only read by rules that select
	// images: not listed for every container otherwise.
	needRefs := slices.ContainsFunc(e.p.Containers, func(r *ContainerRule) bool { return len(r.Images) > 0 })
	e.containers = make([]containerDecision, 0, len(cs))
	for _, c := range cs {
		var refs []string
		if needRefs {
			refs = e.containerImageRefs(c)
		}
		i := claimFirst(e, c.Name, e.p.Containers, e.rules.containers, func(r *ContainerRule) bool { return r.selects(c, refs) })
		if i < 0 {
			continue
		}
		rule := e.p.Containers[i]
		d := containerDecision{c: c, rule: int32(i)}
		d.prot = e.firstBlockProtection(func(p *Protect) []Matcher { return p.Containers }, c.Name, c.Labels)
		ts, _ := containerTime(c)
		if old, _ := e.olderThan(ts, rule.OlderThan); d.prot == nil && (rule.OlderThan == 0 || old) {
			d.remove = true
			e.removedContainers[c.ID] = true
			if rule.RemoveVolumes {
				d.removeVolumes, d.volumes = e.removeVolumesWith(c, i)
			}
		}
		e.containers = append(e.containers, d)
	}
}

// removeVolumesWith decides whether the anonymous volumes of c, removed
// by the rule at index i, go with it, and says what its reason adds.
func (e *evaluator) removeVolumesWith(c *Container, i int) (bool, string) {
	anon := e.anonymousVolumesOnlyUsedBy(c)
	// The daemon removes every anonymous volume with the container: when
	// one is protected, none goes.
	for _, v := range anon {
		vol := e.volume(v)
		if pr := e.firstBlockProtection(func(p *Protect) []Matcher { return p.Volumes }, v, vol.Labels); pr != nil {
			return false, fmt.Sprintf(", without its anonymous volumes (%s is protected by %s)", ShortID(v), pr.Rule)
		}
	}
	if len(anon) == 0 {
		return true, ""
	}
	rule := e.p.Containers[i]
	for _, v := range anon {
		e.volumesWithContainer[v] = withContainer{c: c, rule: e.rules.containers[i].name, decl: &rule.DeclRange}
	}
	text, ok := e.withVolumes[len(anon)]
	if !ok {
		text = remember(&e.withVolumes, len(anon), ", with "+strconv.Itoa(len(anon))+" anonymous volume(s)")
	}
	return true, text
}

// containerReason is a removed container's reason, made once per
// evaluation for each distinct text: many containers share their age (as
// reasons show it), their rule and their volumes.
func (e *evaluator) containerReason(age string, olderThan time.Duration, volumes string) string {
	key := containerReasonKey{age, olderThan, volumes}
	if reason, ok := e.containerReasons[key]; ok {
		return reason
	}
	reason := age + volumes
	if olderThan > 0 {
		reason = age + ", older than " + FormatDuration(olderThan) + volumes
	}
	return remember(&e.containerReasons, key, reason)
}

type containerReasonKey struct {
	age       string
	olderThan time.Duration
	volumes   string
}

// emitContainers writes the containers' decisions into the plan.
func (e *evaluator) emitContainers() {
	for _, d := range e.containers {
		c, rule, ruleName := d.c, e.p.Containers[d.rule], e.rules.containers[d.rule].name
		ts, verb := containerTime(c)
		kept := Kept{Kind: KindContainer, ID: c.ID, Name: c.Name, Rule: ruleName, Basis: verb, Timestamp: ts}
		if d.prot != nil {
			e.keepProtected(kept, d.prot, ruleName)
			continue
		}
		age := e.agoText(verb, stamp{t: ts})
		if !d.remove {
			_, at := e.olderThan(ts, rule.OlderThan)
			kept.Reason = age + ", younger than " + FormatDuration(rule.OlderThan)
			kept.ExpiresAt = at
			e.kept = append(e.kept, kept)
			continue
		}
		reason := e.containerReason(age, rule.OlderThan, d.volumes)
		e.actions = append(e.actions, Action{
			Kind: KindContainer, Action: ActionRemove, ID: c.ID, Name: c.Name,
			Rule: ruleName, Reason: reason, Bytes: c.SizeRw,
			Basis: verb, Timestamp: ts, Force: runningStates[c.State],
			RemoveVolumes: d.removeVolumes, Range: &rule.DeclRange,
			Expect: e.expect(Expectation{State: c.State, StartedAt: c.StartedAt, FinishedAt: c.FinishedAt}),
		})
	}
}

// anonymousVolumesOnlyUsedBy lists the anonymous volumes c mounts that no
// other container mounts: the daemon removes those with the container.
// The list is written in storage the next call reuses.
func (e *evaluator) anonymousVolumesOnlyUsedBy(c *Container) []string {
	out := e.anonymous[:0]
	for _, name := range c.Volumes {
		v := e.volume(name)
		if v == nil || !v.Anonymous {
			continue
		}
		shared := slices.ContainsFunc(e.containersByVolume[name], func(o *Container) bool { return o.ID != c.ID })
		if !shared {
			out = append(out, name)
		}
	}
	e.anonymous = out
	return out
}

// volume is the snapshot's volume of that name (the first, should the
// snapshot list one twice), or nil.
func (e *evaluator) volume(name string) *Volume {
	return e.volumesByName[name]
}

// usersOf returns the sorted names of the containers among users that
// remain after this plan.
func (e *evaluator) usersOf(users []*Container) []string {
	var names []string
	for _, c := range users {
		if !e.removedContainers[c.ID] {
			names = append(names, c.Name)
		}
	}
	sort.Strings(names)
	return names
}

func (r *VolumeRule) selects(v *Volume) bool {
	if len(r.Names) == 0 {
		if !v.Anonymous {
			return false
		}
	} else if !anyMatch(r.Names, v.Name) {
		return false
	}
	return labelsMatch(r.Labels, v.Labels)
}

func (e *evaluator) planVolumes() {
	vs := make([]*Volume, len(e.s.Volumes))
	for i := range e.s.Volumes {
		vs[i] = &e.s.Volumes[i]
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].Name < vs[j].Name })
	for _, v := range vs {
		if by, gone := e.volumesWithContainer[v.Name]; gone {
			e.actions = append(e.actions, e.volumeAction(by, v))
			continue
		}
		i := claimFirst(e, v.Name, e.p.Volumes, e.rules.volumes, func(r *VolumeRule) bool { return r.selects(v) })
		if i < 0 {
			continue
		}
		rule, ruleName := e.p.Volumes[i], e.rules.volumes[i].name
		e.planUnused(unusedObject{
			kind: KindVolume, name: v.Name, labels: v.Labels, created: v.CreatedAt, bytes: max(v.Size, 0),
			protectedBy: func(p *Protect) []Matcher { return p.Volumes },
			users:       e.containersByVolume[v.Name],
		}, ruleName, rule.OlderThan, &rule.DeclRange)
	}
}

// withContainer is the container whose removal takes an anonymous volume
// with it (remove_volumes), and its rule.
type withContainer struct {
	c    *Container
	rule string
	decl *hcl.Range
}

// volumeAction is the removal of an anonymous volume that goes with its
// container: planned, so that check shows it, its bytes count, and prune
// reports and journals it like any other removal. The daemon removes it
// with the container; prune only confirms it is gone (Action.WithContainer).
func (e *evaluator) volumeAction(w withContainer, v *Volume) Action {
	return Action{
		Kind: KindVolume, Action: ActionRemove, Name: v.Name, Rule: w.rule,
		Reason: "an anonymous volume of container " + w.c.Name + ", removed with it (remove_volumes)",
		Bytes:  max(v.Size, 0), Basis: "created", Timestamp: v.CreatedAt, Range: w.decl,
		Expect: e.expect(Expectation{CreatedAt: v.CreatedAt}), WithContainer: w.c.ID,
	}
}

// expect returns x at an address of its own for an action's Expect.
// Expectations are allocated in chunks, not one by one: a host has one
// per container and volume action, tens of thousands on a large one.
func (e *evaluator) expect(x Expectation) *Expectation {
	if len(e.expectations) == cap(e.expectations) {
		e.expectations = make([]Expectation, 0, max(64, 2*cap(e.expectations)))
	}
	e.expectations = append(e.expectations, x)
	return &e.expectations[len(e.expectations)-1]
}

// unusedObject is a volume or network: removable only when no container
// that stays uses it, aged from its creation.
type unusedObject struct {
	kind, id, name string
	labels         map[string]string
	created        time.Time
	bytes          int64
	protectedBy    func(*Protect) []Matcher
	// users are the containers that use it, removed by this plan or not.
	users []*Container
}

// planUnused decides a claimed volume or network: protected, in use, too
// young, or removed.
func (e *evaluator) planUnused(o unusedObject, rule string, olderThan time.Duration, decl *hcl.Range) {
	kept := Kept{Kind: o.kind, ID: o.id, Name: o.name, Rule: rule, Basis: "created", Timestamp: o.created}
	if pr := e.firstBlockProtection(o.protectedBy, o.name, o.labels); pr != nil {
		e.keepProtected(kept, pr, rule)
		return
	}
	if users := e.usersOf(o.users); len(users) > 0 {
		e.keepProtected(kept, &Protection{BuiltinInUse, "in use by container " + Examples(users, 3)}, rule)
		return
	}
	reason, ok := e.ageCondition(&kept, o.created, "created", olderThan)
	if !ok {
		e.kept = append(e.kept, kept)
		return
	}
	a := Action{
		Kind: o.kind, Action: ActionRemove, ID: o.id, Name: o.name, Rule: rule, Reason: reason,
		Bytes: o.bytes, Basis: "created", Timestamp: o.created, Range: decl,
	}
	if o.kind == KindVolume {
		a.Expect = e.expect(Expectation{CreatedAt: o.created})
	}
	e.actions = append(e.actions, a)
}

// claimFirst returns the index of the first rule (in file order) that
// selects an object (what names it: a tag, a name), or -1, recording the
// rules that matched for the warnings and the analysis (see
// triesAfterClaim). meta is the rules', index for index.
func claimFirst[R any](e *evaluator, what string, rules []R, meta []ruleMeta, selects func(R) bool) int {
	first := -1
	for i, r := range rules {
		if first >= 0 && !e.triesAfterClaim(meta[i].usage) {
			continue
		}
		if !selects(r) {
			continue
		}
		if first < 0 {
			first = i
		}
		e.noteMatch(what, &meta[i], &meta[first])
	}
	return first
}

// ageCondition applies an older_than condition to a timestamp. It returns
// the reason and whether the condition holds; when it does not, kept gets
// the reason and expiry.
func (e *evaluator) ageCondition(kept *Kept, ts time.Time, verb string, olderThan time.Duration) (string, bool) {
	if olderThan == 0 {
		if ts.IsZero() {
			return "unused", true
		}
		return "unused, " + verb + " " + e.ago(ts), true
	}
	if ts.IsZero() {
		kept.Reason = verb + " time unknown, so not older than " + FormatDuration(olderThan)
		return "", false
	}
	reason := verb + " " + e.ago(ts)
	if old, at := e.olderThan(ts, olderThan); !old {
		kept.Reason = reason + ", younger than " + FormatDuration(olderThan)
		kept.ExpiresAt = at
		return "", false
	}
	return "unused, " + reason + ", older than " + FormatDuration(olderThan), true
}

func (e *evaluator) keepProtected(k Kept, pr *Protection, claimedBy string) {
	k.Rule, k.Protected = pr.Rule, true
	k.Reason = pr.Reason + " (claimed by " + claimedBy + ")"
	e.kept = append(e.kept, k)
}

// builtinNetworks are the daemon's own networks, never removable.
var builtinNetworks = map[string]bool{"bridge": true, "host": true, "none": true, "ingress": true, "docker_gwbridge": true}

// userDefined reports whether a network is one a user created and the
// daemon lets a plain remove take away: not the daemon's own networks, and
// not a swarm network.
func (n *Network) userDefined() bool {
	if builtinNetworks[n.Name] || n.Driver == "host" || n.Driver == "null" {
		return false
	}
	return n.Scope != "swarm"
}

func (r *NetworkRule) selects(n *Network) bool {
	if len(r.Names) > 0 && !anyMatch(r.Names, n.Name) {
		return false
	}
	return labelsMatch(r.Labels, n.Labels)
}

func (e *evaluator) planNetworks() {
	ns := make([]*Network, len(e.s.Networks))
	for i := range e.s.Networks {
		ns[i] = &e.s.Networks[i]
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i].Name < ns[j].Name || ns[i].Name == ns[j].Name && ns[i].ID < ns[j].ID })
	for _, n := range ns {
		if !n.userDefined() {
			continue
		}
		i := claimFirst(e, n.Name, e.p.Networks, e.rules.networks, func(r *NetworkRule) bool { return r.selects(n) })
		if i < 0 {
			continue
		}
		rule, ruleName := e.p.Networks[i], e.rules.networks[i].name
		e.planUnused(unusedObject{
			kind: KindNetwork, id: n.ID, name: n.Name, labels: n.Labels, created: n.Created,
			protectedBy: func(p *Protect) []Matcher { return p.Networks },
			users:       e.networkUsers(n),
		}, ruleName, rule.OlderThan, &rule.DeclRange)
	}
}

// networkUsers are the containers attached to n, by its ID or its name,
// each once.
func (e *evaluator) networkUsers(n *Network) []*Container {
	users := e.containersByNetwork[n.ID]
	if n.Name == n.ID {
		return users
	}
	for _, c := range e.containersByNetwork[n.Name] {
		if !slices.Contains(e.containersByNetwork[n.ID], c) {
			users = append(slices.Clip(users), c)
		}
	}
	return users
}

// planBuildCache plans one prune of the build cache, with the bytes the
// daemon's records say it would free: records not in use (and not shared,
// unless all), unused for long enough, down to keep_storage.
func (e *evaluator) planBuildCache() {
	r := e.p.BuildCache
	if r == nil {
		return
	}
	if why := e.s.BuildCache.Unsupported; why != "" {
		e.warnings = append(e.warnings, ruleWarning(r.DeclRange, "build_cache is not supported on this daemon: %s; the rule removes nothing here", why))
		return
	}
	var total, eligible int64
	var n int
	for _, rec := range e.s.BuildCache.Records {
		total += rec.Size
		if rec.InUse || (rec.Shared && !r.All) {
			continue
		}
		if r.UnusedFor > 0 {
			last := rec.LastUsedAt
			if last.IsZero() {
				last = rec.CreatedAt
			}
			if old, _ := e.olderThan(last, r.UnusedFor); !old {
				continue
			}
		}
		eligible += rec.Size
		n++
	}
	bytes := eligible
	if r.KeepStorage > 0 {
		bytes = min(eligible, max(total-r.KeepStorage, 0))
	}
	if n == 0 || bytes == 0 && r.KeepStorage > 0 {
		return
	}
	reason := fmt.Sprintf("%d record(s)", n)
	if r.UnusedFor > 0 {
		reason += " unused for over " + FormatDuration(r.UnusedFor)
	}
	if r.KeepStorage > 0 {
		reason += fmt.Sprintf(", keeping %s of %s", HumanSize(r.KeepStorage), HumanSize(total))
	}
	e.actions = append(e.actions, Action{
		Kind: KindBuildCache, Action: ActionPrune, Rule: KindBuildCache, Reason: reason, Bytes: bytes, Range: &r.DeclRange,
		BuildCache: r,
	})
}
