package policy

import (
	"strings"
	"time"
)

// Analysis is what an evaluation knows beyond its plan: how each rule
// fared on the host, and when each image was seen and last used. The live
// view (docker shaper status) shows it next to the plan.
type Analysis struct {
	// Rules are the policy's rules in evaluation order (protections,
	// containers, images, volumes, networks, build cache), then the
	// built-in protections that kept something.
	Rules []RuleStats
	// Images holds, by image ID, the dates ages are measured from.
	Images map[string]ImageDates
}

// RuleStats is what one rule did on the host.
type RuleStats struct {
	// Rule is the rule's name as plans write it: "image.pull requests",
	// "protect.bases", "build_cache", "builtin.in_use".
	Rule string `json:"rule"`
	// Kind is the block type: container, image, volume, network,
	// build_cache, protect or builtin.
	Kind string `json:"kind"`
	// Claimed counts the objects (tags, for image rules) the rule claimed:
	// it was the first rule whose selectors matched them. For the build
	// cache, the records the daemon reports.
	Claimed int `json:"claimed"`
	// Due counts the plan's actions of the rule, BytesDue what they free.
	Due      int   `json:"due"`
	BytesDue int64 `json:"bytes_due"`
	// Protected counts, for a protection, the objects it keeps from a
	// rule that claimed them.
	Protected int `json:"protected"`
	// Overlaps are objects the rule claimed that later rules match too:
	// those rules never see them.
	Overlaps []Overlap `json:"overlaps"`
}

// Overlap is one object claimed by a rule and matched by later ones.
type Overlap struct {
	// Object is the tag (or the name, or the short ID of an untagged
	// image).
	Object string `json:"object"`
	// Also are the later rules that match it, in file order.
	Also []string `json:"also"`
}

// ImageDates are an image's timestamps as Evaluate measures ages: seen
// (basis "seen") and last used (basis "last_used"). A lower bound is a
// first sighting that may be later than the image's arrival.
type ImageDates struct {
	Seen               time.Time
	SeenLowerBound     bool
	LastUsed           time.Time
	LastUsedLowerBound bool
}

// Analyze is Evaluate, plus the Analysis of the same evaluation: the plan
// it returns is the one Evaluate returns for p and s.
func Analyze(p *Policy, s Snapshot) (Plan, Analysis) {
	e := newEvaluator(p, s)
	e.overlaps = make(map[string][]Overlap)
	plan := e.evaluate()

	a := Analysis{Images: make(map[string]ImageDates, len(s.Images))}
	for i := range s.Images {
		img := &s.Images[i]
		seen, last := e.seen(img), e.lastUsed(img)
		a.Images[img.ID] = ImageDates{Seen: seen.t, SeenLowerBound: seen.lowerBound, LastUsed: last.t, LastUsedLowerBound: last.lowerBound}
	}

	due := make(map[string]*RuleStats)
	protected := make(map[string]int)
	for _, act := range plan.Actions {
		st := due[act.Rule]
		if st == nil {
			st = &RuleStats{}
			due[act.Rule] = st
		}
		st.Due++
		st.BytesDue += act.Bytes
	}
	var builtins []string
	for _, k := range plan.Kept {
		if !k.Protected {
			continue
		}
		if protected[k.Rule] == 0 && strings.HasPrefix(k.Rule, "builtin.") {
			builtins = append(builtins, k.Rule)
		}
		protected[k.Rule]++
	}
	add := func(name, kind string) {
		st := RuleStats{Rule: name, Kind: kind, Claimed: e.claimedBy(name), Protected: protected[name], Overlaps: e.overlaps[name]}
		if d := due[name]; d != nil {
			st.Due, st.BytesDue = d.Due, d.BytesDue
		}
		if st.Overlaps == nil {
			st.Overlaps = []Overlap{}
		}
		a.Rules = append(a.Rules, st)
	}
	for _, r := range p.Protects {
		add(r.Name(), "protect")
	}
	for _, r := range p.Containers {
		add(r.Name(), KindContainer)
	}
	for _, r := range p.Images {
		add(r.Name(), KindImage)
	}
	for _, r := range p.Volumes {
		add(r.Name(), KindVolume)
	}
	for _, r := range p.Networks {
		add(r.Name(), KindNetwork)
	}
	if p.BuildCache != nil {
		add(KindBuildCache, KindBuildCache)
		a.Rules[len(a.Rules)-1].Claimed = len(s.BuildCache.Records)
	}
	for _, name := range builtins {
		add(name, "builtin")
	}
	return plan, a
}

// Decisions answers, for any object, what a plan decides about it, without
// scanning the plan each time: Explain asks it for a few objects, the live
// view for every row.
type Decisions struct {
	m map[decisionKey]Decision
}

type decisionKey struct{ kind, key, ref string }

// NewDecisions indexes plan's actions and kept objects. Objects are keyed
// by image or container ID (and, for images, the tag: "" for an untagged
// image), volume name, or network ID; an object the plan does not mention
// is unclaimed.
func NewDecisions(plan Plan) Decisions {
	d := Decisions{m: make(map[decisionKey]Decision, len(plan.Actions)+len(plan.Kept))}
	keyOf := func(kind, id, name, ref string) decisionKey {
		if kind == KindVolume {
			return decisionKey{kind, name, ref}
		}
		return decisionKey{kind, id, ref}
	}
	for _, a := range plan.Actions {
		k := keyOf(a.Kind, a.ID, a.Name, a.Ref)
		if _, dup := d.m[k]; !dup {
			d.m[k] = Decision{Ref: a.Ref, Verdict: a.Action, Rule: a.Rule, Reason: a.Reason, Basis: a.Basis, Timestamp: a.Timestamp, Rank: a.Rank}
		}
	}
	for _, kp := range plan.Kept {
		k := keyOf(kp.Kind, kp.ID, kp.Name, kp.Ref)
		if _, dup := d.m[k]; dup {
			continue
		}
		verdict := VerdictKeep
		if kp.Protected {
			verdict = VerdictProtected
		}
		d.m[k] = Decision{Ref: kp.Ref, Verdict: verdict, Rule: kp.Rule, Reason: kp.Reason, Basis: kp.Basis, Timestamp: kp.Timestamp, Rank: kp.Rank, ExpiresAt: kp.ExpiresAt}
	}
	return d
}

// For returns the decision about one object (key is the image or
// container ID, the volume name or the network ID; ref an image's tag).
func (d Decisions) For(kind, key, ref string) Decision {
	if dec, ok := d.m[decisionKey{kind, key, ref}]; ok {
		return dec
	}
	return Decision{Ref: ref, Verdict: VerdictUnclaimed, Reason: "no " + kind + " rule claims it, so it is kept"}
}
