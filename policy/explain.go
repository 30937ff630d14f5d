package policy

import (
	"slices"
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
	// Users are the containers that use the object (an image they were
	// created from, a volume they mount, a network they are attached to),
	// each with what the plan decides about it: while one stays, so does
	// the object.
	Users []User `json:"users,omitempty"`
}

// NamedTime is a timestamp and what it is.
type NamedTime struct {
	Name string    `json:"name"`
	Time time.Time `json:"time"`
	// LowerBound is set on a first-seen time that is only when
	// docker-shaper first looked: the object may be older.
	LowerBound bool `json:"lower_bound,omitempty"`
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
	// Protections are every protection that applies, whether or not it is
	// the one that decided: removing one reason to keep the object does
	// not remove it while another holds.
	Protections []Protection `json:"protections,omitempty"`
}

// User is a container that uses an explained object, and its own fate.
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	State string `json:"state"`
	// Decision is what the plan decides about the container.
	Decision Decision `json:"decision"`
}

// Explain reports what plan (Evaluate's result for p and s) decides about
// the objects query names: an image reference ("app:1", ":latest" implied)
// or ID prefix, a container name or ID prefix, a volume name, a network
// name or ID prefix. A query may name objects of several kinds; all are
// explained. Objects is empty when nothing matches.
//
// Beyond the plan's one reason per object, it lists every protection that
// applies and every container that uses the object, with what the plan
// decides about each, so a user can see all that keeps an object, not only
// the first.
func Explain(p *Policy, plan Plan, s Snapshot, query string) Explanation {
	e := newEvaluator(p, s)
	dec := NewDecisions(plan)
	for _, a := range plan.Actions {
		if a.Kind == KindContainer {
			e.removedContainers[a.ID] = true
		}
	}
	ex := Explanation{Query: query, Objects: []ExplainedObject{}}

	for i := range s.Images {
		img := &s.Images[i]
		if !imageMatchesQuery(img, query) {
			continue
		}
		seen, last := e.seen(img), e.lastUsed(img)
		times := []NamedTime{
			{Name: "created", Time: img.Created},
			{Name: "last tagged", Time: img.LastTagTime},
			{Name: "first seen", Time: img.FirstSeen, LowerBound: img.FirstSeenIsLowerBound},
		}
		// What the seen basis uses, when it is none of the above (the
		// plan's now for an image never recorded, or Created for a record
		// earlier than the build).
		if !seen.t.Equal(img.LastTagTime) && !seen.t.Equal(img.FirstSeen) {
			times = append(times, NamedTime{Name: "seen", Time: seen.t, LowerBound: seen.lowerBound})
		}
		times = append(times, NamedTime{Name: "last used", Time: last.t, LowerBound: last.lowerBound})
		obj := ExplainedObject{Kind: KindImage, ID: img.ID, Times: nonZero(times...)}
		refs := slices.Sorted(slices.Values(img.Tags))
		if len(refs) == 0 {
			refs = []string{""}
		}
		for _, ref := range refs {
			d := dec.For(KindImage, img.ID, ref)
			d.Protections = e.imageProtections(img, ref)
			obj.Decisions = append(obj.Decisions, d)
		}
		obj.Users = e.users(dec, func(c *Container) bool { return c.ImageID == img.ID })
		ex.Objects = append(ex.Objects, obj)
	}
	for i := range s.Containers {
		c := &s.Containers[i]
		if c.Name != query && !idMatches(c.ID, query) {
			continue
		}
		d := dec.For(KindContainer, c.ID, "")
		d.Protections = e.blockProtections(func(p *Protect) []Matcher { return p.Containers }, []string{c.Name}, c.Labels)
		if d.Verdict == VerdictUnclaimed && runningStates[c.State] {
			d.Reason += "; it is " + c.State + ", and only a rule whose status names \"" + c.State + "\" removes such a container"
		}
		ex.Objects = append(ex.Objects, ExplainedObject{Kind: KindContainer, ID: c.ID, Name: c.Name,
			Times: nonZero(NamedTime{Name: "created", Time: c.Created}, NamedTime{Name: "started", Time: c.StartedAt},
				NamedTime{Name: "finished", Time: c.FinishedAt}),
			Decisions: []Decision{d}})
	}
	for i := range s.Volumes {
		v := &s.Volumes[i]
		if v.Name != query {
			continue
		}
		d := dec.For(KindVolume, v.Name, "")
		d.Protections = e.blockProtections(func(p *Protect) []Matcher { return p.Volumes }, []string{v.Name}, v.Labels)
		users := e.users(dec, func(c *Container) bool { return slices.Contains(c.Volumes, v.Name) })
		d.Protections = append(d.Protections, inUse(users)...)
		if by, ok := e.volumeRemovedWith(plan, v.Name); ok && d.Verdict == VerdictUnclaimed {
			d.Verdict, d.Rule = VerdictRemove, by.Rule
			d.Reason = "an anonymous volume of container " + by.Name + ", removed with it (remove_volumes)"
		} else if d.Verdict == VerdictUnclaimed && !v.Anonymous {
			d.Reason += "; it is a named volume, which only a volume rule that lists it in names removes"
		}
		ex.Objects = append(ex.Objects, ExplainedObject{Kind: KindVolume, Name: v.Name,
			Times: nonZero(NamedTime{Name: "created", Time: v.CreatedAt}), Decisions: []Decision{d}, Users: users})
	}
	for i := range s.Networks {
		n := &s.Networks[i]
		if n.Name != query && !idMatches(n.ID, query) {
			continue
		}
		d := dec.For(KindNetwork, n.ID, "")
		d.Protections = e.blockProtections(func(p *Protect) []Matcher { return p.Networks }, []string{n.Name}, n.Labels)
		users := e.users(dec, func(c *Container) bool {
			return slices.Contains(c.Networks, n.ID) || slices.Contains(c.Networks, n.Name)
		})
		d.Protections = append(d.Protections, inUse(users)...)
		if !n.userDefined() {
			d.Protections = append(d.Protections, Protection{BuiltinDaemonNetwork,
				"the daemon's own network (or a swarm network): never removed"})
		}
		ex.Objects = append(ex.Objects, ExplainedObject{Kind: KindNetwork, ID: n.ID, Name: n.Name,
			Times: nonZero(NamedTime{Name: "created", Time: n.Created}), Decisions: []Decision{d}, Users: users})
	}
	sort.SliceStable(ex.Objects, func(i, j int) bool { return kindOrder(ex.Objects[i].Kind) < kindOrder(ex.Objects[j].Kind) })
	return ex
}

// users lists the containers uses selects, each with the plan's decision
// about it, by name.
func (e *evaluator) users(dec Decisions, uses func(*Container) bool) []User {
	var out []User
	for i := range e.s.Containers {
		c := &e.s.Containers[i]
		if uses(c) {
			out = append(out, User{ID: c.ID, Name: c.Name, State: c.State,
				Decision: dec.For(KindContainer, c.ID, "")})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// inUse is the in-use protection of users that the plan does not remove.
func inUse(users []User) []Protection {
	var names []string
	for _, u := range users {
		if u.Decision.Verdict != VerdictRemove {
			names = append(names, u.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return []Protection{{BuiltinInUse, "in use by container " + Examples(names, 3)}}
}

// volumeRemovedWith finds the container action that takes volume name with
// it (remove_volumes).
func (e *evaluator) volumeRemovedWith(plan Plan, name string) (Action, bool) {
	for _, a := range plan.Actions {
		if a.Kind != KindContainer || !a.RemoveVolumes {
			continue
		}
		for i := range e.s.Containers {
			c := &e.s.Containers[i]
			if c.ID == a.ID && slices.Contains(c.Volumes, name) {
				if v := e.volume(name); v != nil && v.Anonymous {
					return a, true
				}
			}
		}
	}
	return Action{}, false
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

func nonZero(ts ...NamedTime) []NamedTime {
	var out []NamedTime
	for _, t := range ts {
		if !t.Time.IsZero() {
			out = append(out, t)
		}
	}
	return out
}
