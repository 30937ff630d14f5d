package policy

import (
	"sort"
	"strings"
	"time"
)

// Verdicts of an explanation.
const (
	VerdictRemove    = "remove"    // the plan removes it now
	VerdictUntag     = "untag"     // the plan removes this tag now, the image stays
	VerdictKeep      = "keep"      // a rule claims it and keeps it (rank or age)
	VerdictProtected = "protected" // a protection keeps it whatever the rules say
	VerdictUnclaimed = "unclaimed" // no rule claims it: kept
)

// Explanation is everything the plan decided about the objects a query
// names, with the timestamps that decided it.
type Explanation struct {
	Query   string            `json:"query"`
	Objects []ExplainedObject `json:"objects"`
}

// ExplainedObject is one object the query matched.
type ExplainedObject struct {
	Kind string `json:"kind"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"` // container, volume or network name; "" for images
	// Times are the object's timestamps by name ("created", "last tagged",
	// "first seen", "last used", "started", "finished"), zero ones left out.
	Times []NamedTime `json:"times"`
	// Decisions has one entry per tag for images (one for an untagged
	// image) and one for any other object.
	Decisions []Decision `json:"decisions"`
}

// NamedTime is a timestamp and what it is.
type NamedTime struct {
	Name string    `json:"name"`
	Time time.Time `json:"time"`
}

// Decision is the plan's verdict on one tag or object.
type Decision struct {
	Ref       string    `json:"ref,omitempty"` // image tag; "" otherwise
	Verdict   string    `json:"verdict"`
	Rule      string    `json:"rule,omitempty"` // the claiming rule, or the protection; "" when unclaimed
	Reason    string    `json:"reason"`
	Basis     string    `json:"basis,omitempty"`
	Timestamp time.Time `json:"timestamp,omitzero"`
	Rank      int       `json:"rank,omitempty"`
	// ExpiresAt is when the object's age conditions become true, for an
	// object kept only because it is too young; zero otherwise.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Explain reports what plan (Evaluate's result for s) decides about the
// objects query names: an image reference ("app:1", ":latest" implied) or
// ID prefix, a container name or ID prefix, a volume name, a network name
// or ID prefix. A query may name objects of several kinds; all are
// explained. Objects is empty when nothing matches.
func Explain(plan Plan, s Snapshot, query string) Explanation {
	e := newEvaluator(&Policy{}, s) // indexes only, for last-use times
	ex := Explanation{Query: query}

	for i := range s.Images {
		img := &s.Images[i]
		if !imageMatchesQuery(img, query) {
			continue
		}
		obj := ExplainedObject{Kind: KindImage, ID: img.ID, Times: nonZero(
			NamedTime{"created", img.Created},
			NamedTime{"last tagged", img.LastTagTime},
			NamedTime{"first seen", img.FirstSeen},
			NamedTime{"last used", e.lastUsed(img)},
		)}
		refs := sortedCopy(img.Tags)
		if len(refs) == 0 {
			refs = []string{""}
		}
		for _, ref := range refs {
			obj.Decisions = append(obj.Decisions, decisionFor(plan, KindImage, img.ID, ref))
		}
		ex.Objects = append(ex.Objects, obj)
	}
	for i := range s.Containers {
		c := &s.Containers[i]
		if c.Name != query && !idMatches(c.ID, query) {
			continue
		}
		ex.Objects = append(ex.Objects, ExplainedObject{Kind: KindContainer, ID: c.ID, Name: c.Name,
			Times:     nonZero(NamedTime{"created", c.Created}, NamedTime{"started", c.StartedAt}, NamedTime{"finished", c.FinishedAt}),
			Decisions: []Decision{decisionFor(plan, KindContainer, c.ID, "")}})
	}
	for i := range s.Volumes {
		v := &s.Volumes[i]
		if v.Name != query {
			continue
		}
		ex.Objects = append(ex.Objects, ExplainedObject{Kind: KindVolume, Name: v.Name,
			Times:     nonZero(NamedTime{"created", v.CreatedAt}),
			Decisions: []Decision{decisionFor(plan, KindVolume, v.Name, "")}})
	}
	for i := range s.Networks {
		n := &s.Networks[i]
		if n.Name != query && !idMatches(n.ID, query) {
			continue
		}
		ex.Objects = append(ex.Objects, ExplainedObject{Kind: KindNetwork, ID: n.ID, Name: n.Name,
			Times:     nonZero(NamedTime{"created", n.Created}),
			Decisions: []Decision{decisionFor(plan, KindNetwork, n.ID, "")}})
	}
	sort.SliceStable(ex.Objects, func(i, j int) bool { return kindOrder(ex.Objects[i].Kind) < kindOrder(ex.Objects[j].Kind) })
	return ex
}

func kindOrder(kind string) int {
	return strings.Index("container image volume network", kind)
}

// imageMatchesQuery accepts a tag (normalised, ":latest" implied), a full
// or short image ID, or a digest reference.
func imageMatchesQuery(img *Image, query string) bool {
	if idMatches(img.ID, query) {
		return true
	}
	ref := NormalizeRef(query)
	if strings.Contains(ref, "@") {
		for _, d := range img.Digests {
			if NormalizeRef(d) == ref {
				return true
			}
		}
		return false
	}
	for _, t := range img.Tags {
		if t == withDefaultTag(ref) {
			return true
		}
	}
	return false
}

// idMatches accepts an ID prefix of at least 4 characters, with or without
// "sha256:", as the docker CLI does.
func idMatches(id, query string) bool {
	q := strings.TrimPrefix(query, "sha256:")
	full := strings.TrimPrefix(id, "sha256:")
	return len(q) >= 4 && strings.HasPrefix(full, q)
}

// decisionFor finds what the plan says about one object (key is the image
// or container ID, the volume name or the network ID).
func decisionFor(plan Plan, kind, key, ref string) Decision {
	keyOf := func(id, name string) string {
		if kind == KindVolume {
			return name
		}
		return id
	}
	for _, a := range plan.Actions {
		if a.Kind == kind && keyOf(a.ID, a.Name) == key && a.Ref == ref {
			return Decision{Ref: ref, Verdict: a.Action, Rule: a.Rule, Reason: a.Reason, Basis: a.Basis, Timestamp: a.Timestamp, Rank: a.Rank}
		}
	}
	for _, k := range plan.Kept {
		if k.Kind == kind && keyOf(k.ID, k.Name) == key && k.Ref == ref {
			verdict := VerdictKeep
			if k.Protected {
				verdict = VerdictProtected
			}
			return Decision{Ref: ref, Verdict: verdict, Rule: k.Rule, Reason: k.Reason, Basis: k.Basis, Timestamp: k.Timestamp, Rank: k.Rank, ExpiresAt: k.ExpiresAt}
		}
	}
	return Decision{Ref: ref, Verdict: VerdictUnclaimed, Reason: "no " + kind + " rule claims it, so it is kept"}
}

func nonZero(ts ...NamedTime) []NamedTime {
	var out []NamedTime
	for _, t := range ts {
		if !t.Time.IsZero() {
			out = append(out, t)
		}
	}
	return out
}
