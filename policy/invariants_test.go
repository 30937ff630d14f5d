package policy

// The safety invariants every plan keeps, whatever the policy and the
// host: checked by the fuzz and property tests.

import (
	"fmt"
	"slices"
)

// planViolations returns what in plan breaks a safety invariant of
// Evaluate(p, s): nothing in use by a container that stays is planned,
// nothing a protect block or protect_latest keeps is planned, only what a
// rule claims is planned and by that rule, running containers only by a
// rule that names their state, named volumes only by a rule that names
// them, and no object twice.
func planViolations(p *Policy, s Snapshot, plan Plan) []string {
	var bad []string
	fail := func(a Action, format string, args ...any) {
		bad = append(bad, fmt.Sprintf("%s %s %s%s%s (%s): ", a.Kind, a.Action, a.Ref, a.Name, a.ID, a.Rule)+fmt.Sprintf(format, args...))
	}
	rules := map[string]bool{}
	containerRules := map[string]*ContainerRule{}
	volumeRules := map[string]*VolumeRule{}
	for _, r := range p.Images {
		rules[r.Name()] = true
	}
	for _, r := range p.Containers {
		rules[r.Name()], containerRules[r.Name()] = true, r
	}
	for _, r := range p.Volumes {
		rules[r.Name()], volumeRules[r.Name()] = true, r
	}
	for _, r := range p.Networks {
		rules[r.Name()] = true
	}
	if p.BuildCache != nil {
		rules[KindBuildCache] = true
	}
	protected := func(pick func(*Protect) []Matcher, names []string, labels map[string]string) string {
		for _, pr := range p.Protects {
			for _, n := range names {
				if anyMatch(pick(pr), n) {
					return pr.Name()
				}
			}
			if len(pr.Labels) > 0 && labelsMatch(pr.Labels, labels) {
				return pr.Name() + " (labels)"
			}
		}
		return ""
	}

	removed := map[string]bool{} // container IDs
	for _, a := range plan.Actions {
		if a.Kind == KindContainer {
			removed[a.ID] = true
		}
	}
	staying := func(uses func(*Container) bool) []string {
		var names []string
		for i := range s.Containers {
			if c := &s.Containers[i]; !removed[c.ID] && uses(c) {
				names = append(names, c.Name)
			}
		}
		return names
	}

	seen := map[string]bool{}
	for _, a := range plan.Actions {
		if !rules[a.Rule] {
			fail(a, "no such rule")
		}
		key := a.Kind + "|" + a.ID + "|" + a.Ref + "|" + a.Name
		if seen[key] {
			fail(a, "planned twice")
		}
		seen[key] = true
		switch a.Kind {
		case KindContainer:
			i := slices.IndexFunc(s.Containers, func(c Container) bool { return c.ID == a.ID })
			if i < 0 {
				fail(a, "no such container")
				continue
			}
			c := s.Containers[i]
			if r := containerRules[a.Rule]; r == nil || !slices.Contains(r.Status, c.State) {
				fail(a, "the rule does not name state %q", c.State)
			}
			if pr := protected(func(p *Protect) []Matcher { return p.Containers }, []string{c.Name}, c.Labels); pr != "" {
				fail(a, "protected by %s", pr)
			}
			if a.Force != runningStates[c.State] {
				fail(a, "force is %v for a %s container", a.Force, c.State)
			}
		case KindImage:
			i := slices.IndexFunc(s.Images, func(img Image) bool { return img.ID == a.ID })
			if i < 0 {
				fail(a, "no such image")
				continue
			}
			img := &s.Images[i]
			if users := staying(func(c *Container) bool { return c.ImageID == img.ID }); len(users) > 0 {
				fail(a, "in use by %v", users)
			}
			var names []string
			if a.Ref != "" {
				names = append(names, a.Ref)
			}
			if pr := protected(func(p *Protect) []Matcher { return p.Images }, append(names, img.Digests...), img.Labels); pr != "" {
				fail(a, "protected by %s", pr)
			}
			var claimer *ImageRule
			if a.Ref != "" {
				if !slices.Contains(img.Tags, a.Ref) {
					fail(a, "not a tag of the image")
				}
				if p.ProtectLatest && splitTag(a.Ref).tag == "latest" {
					fail(a, "a latest tag with protect_latest")
				}
				claimer = firstRule(p.Images, func(r *ImageRule) bool { return r.selectsTag(a.Ref, img) })
			} else {
				if len(img.Tags) > 0 {
					fail(a, "an untagged removal of a tagged image")
				}
				if img.HasChildren {
					fail(a, "a parent of other images")
				}
				claimer = firstRule(p.Images, func(r *ImageRule) bool { return r.selectsUntagged(img) })
			}
			if claimer == nil {
				fail(a, "no image rule claims it")
			} else if claimer.Name() != a.Rule {
				fail(a, "claimed by %s, not by the rule that plans it", claimer.Name())
			}
			if a.Action == ActionRemove && img.HasChildren {
				// Only with every child of it, children first.
				for _, child := range s.Images {
					if child.ParentID == img.ID && !slices.ContainsFunc(plan.Actions, func(o Action) bool {
						return o.Kind == KindImage && o.ID == child.ID && o.Action == ActionRemove
					}) {
						fail(a, "removes a parent of image %s, which stays", child.ID)
					}
				}
				if !slices.ContainsFunc(s.Images, func(child Image) bool { return child.ParentID == img.ID }) {
					fail(a, "removes a parent whose children the snapshot does not hold")
				}
			}
		case KindVolume:
			i := slices.IndexFunc(s.Volumes, func(v Volume) bool { return v.Name == a.Name })
			if i < 0 {
				fail(a, "no such volume")
				continue
			}
			v := s.Volumes[i]
			if users := staying(func(c *Container) bool { return slices.Contains(c.Volumes, v.Name) }); len(users) > 0 {
				fail(a, "in use by %v", users)
			}
			if pr := protected(func(p *Protect) []Matcher { return p.Volumes }, []string{v.Name}, v.Labels); pr != "" {
				fail(a, "protected by %s", pr)
			}
			if r := volumeRules[a.Rule]; !v.Anonymous && (r == nil || len(r.Names) == 0) {
				fail(a, "a named volume, and the rule names none")
			}
		case KindNetwork:
			i := slices.IndexFunc(s.Networks, func(n Network) bool { return n.ID == a.ID })
			if i < 0 {
				fail(a, "no such network")
				continue
			}
			n := s.Networks[i]
			if !n.userDefined() {
				fail(a, "not a user-defined network")
			}
			if users := staying(func(c *Container) bool {
				return slices.Contains(c.Networks, n.ID) || slices.Contains(c.Networks, n.Name)
			}); len(users) > 0 {
				fail(a, "in use by %v", users)
			}
			if pr := protected(func(p *Protect) []Matcher { return p.Networks }, []string{n.Name}, n.Labels); pr != "" {
				fail(a, "protected by %s", pr)
			}
		}
	}
	return bad
}

func firstRule[R any](rules []R, selects func(R) bool) R {
	var zero R
	for _, r := range rules {
		if selects(r) {
			return r
		}
	}
	return zero
}

// simulate is what executing plan does to s, as a small pure model of the
// daemon: planned containers go (with the anonymous volumes that only they
// mount, for remove_volumes), planned tags go, an image goes when its last
// tag went (or it was removed untagged) and nothing that stays is built on
// it (children go first, as prune orders them), then the parents'
// HasChildren follow; planned volumes and networks go. The
// build cache is left alone: which records a prune with keep_storage takes
// is the daemon's choice.
//
// Untagged parents are kept when their last child goes, which is what
// `docker image rm --no-prune` does; prune removes images with parents
// pruning, which can only take more away.
//
// The uses of removed containers are folded into their image's LastUsed,
// as the watcher records them in its state: without it, a container that
// was the only recent use of an image is forgotten once removed, and the
// image's last_used age jumps back (see TestPlanProperties).
func simulate(s Snapshot, plan Plan) Snapshot {
	out := Snapshot{Now: s.Now, BuildCache: s.BuildCache}
	goneContainers := map[string]bool{}
	goneVolumes := map[string]bool{}
	goneNetworks := map[string]bool{}
	untag := map[string]bool{}    // ID|ref
	removeID := map[string]bool{} // untagged images removed
	for _, a := range plan.Actions {
		switch a.Kind {
		case KindContainer:
			goneContainers[a.ID] = true
		case KindImage:
			if a.Ref == "" {
				removeID[a.ID] = true
			} else {
				untag[a.ID+"|"+a.Ref] = true
			}
		case KindVolume:
			goneVolumes[a.Name] = true
		case KindNetwork:
			goneNetworks[a.ID] = true
		}
	}
	for _, a := range plan.Actions {
		if a.Kind != KindContainer || !a.RemoveVolumes {
			continue
		}
		c := s.Containers[slices.IndexFunc(s.Containers, func(c Container) bool { return c.ID == a.ID })]
		for _, name := range c.Volumes {
			i := slices.IndexFunc(s.Volumes, func(v Volume) bool { return v.Name == name })
			shared := slices.ContainsFunc(s.Containers, func(o Container) bool {
				return o.ID != c.ID && slices.Contains(o.Volumes, name)
			})
			if i >= 0 && s.Volumes[i].Anonymous && !shared {
				goneVolumes[name] = true
			}
		}
	}
	for _, c := range s.Containers {
		if goneContainers[c.ID] {
			continue
		}
		c.Volumes = slices.Clone(c.Volumes)
		c.Networks = slices.Clone(c.Networks)
		out.Containers = append(out.Containers, c)
	}
	// Which images lose their last tag (or are removed untagged), then
	// which of those go: children before parents, until nothing changes.
	bare := map[string]bool{}
	for _, img := range s.Images {
		lost, left := false, 0
		for _, t := range img.Tags {
			if untag[img.ID+"|"+t] {
				lost = true
			} else {
				left++
			}
		}
		bare[img.ID] = removeID[img.ID] || lost && left == 0
	}
	goneImage := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, img := range s.Images {
			if goneImage[img.ID] || !bare[img.ID] {
				continue
			}
			staying := slices.ContainsFunc(s.Images, func(c Image) bool { return c.ParentID == img.ID && !goneImage[c.ID] })
			if !staying && (!img.HasChildren || slices.ContainsFunc(s.Images, func(c Image) bool { return c.ParentID == img.ID })) {
				goneImage[img.ID] = true
				changed = true
			}
		}
	}
	for _, img := range s.Images {
		if goneImage[img.ID] {
			continue
		}
		var tags []string
		for _, t := range img.Tags {
			if !untag[img.ID+"|"+t] {
				tags = append(tags, t)
			}
		}
		img.Tags = tags
		img.Digests = slices.Clone(img.Digests)
		for _, c := range s.Containers {
			if goneContainers[c.ID] && c.ImageID == img.ID {
				img.LastUsed = laterOf(img.LastUsed, laterOf(c.Created, laterOf(c.StartedAt, c.FinishedAt)))
			}
		}
		out.Images = append(out.Images, img)
	}
	setHasChildren(out.Images)
	for _, v := range s.Volumes {
		if !goneVolumes[v.Name] {
			out.Volumes = append(out.Volumes, v)
		}
	}
	for _, n := range s.Networks {
		if !goneNetworks[n.ID] {
			out.Networks = append(out.Networks, n)
		}
	}
	return out
}
