package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Filter keys, as --filter takes them: key=value.
const (
	FilterKind   = "kind"
	FilterRule   = "rule"
	FilterAction = "action"
)

// FilterKeys are the keys a Filter accepts, in the order help lists them.
var FilterKeys = []string{FilterKind, FilterRule, FilterAction}

// FilterKinds and FilterActions are the values kind= and action= accept.
var (
	FilterKinds   = []string{KindImage, KindContainer, KindVolume, KindNetwork, KindBuildCache}
	FilterActions = []string{ActionRemove, ActionUntag, ActionPrune}
)

// Filter narrows a plan the way docker's --filter narrows a list: values of
// one key are alternatives (kind=image and kind=volume: either), different
// keys must all hold (kind=image and rule=image.ci: both). The zero Filter
// selects everything.
type Filter map[string][]string

// Add adds one key=value term, refusing unknown keys and values.
func (f Filter) Add(term string) error {
	key, value, ok := strings.Cut(term, "=")
	key, value = strings.TrimSpace(key), strings.TrimSpace(value)
	if !ok || key == "" || value == "" {
		return fmt.Errorf("invalid filter %q: use KEY=VALUE, with KEY one of %s", term, strings.Join(FilterKeys, ", "))
	}
	switch key {
	case FilterKind:
		if !slices.Contains(FilterKinds, value) {
			return fmt.Errorf("invalid filter %q: kind is one of %s", term, strings.Join(FilterKinds, ", "))
		}
	case FilterAction:
		if !slices.Contains(FilterActions, value) {
			return fmt.Errorf("invalid filter %q: action is one of %s", term, strings.Join(FilterActions, ", "))
		}
	case FilterRule:
	default:
		return fmt.Errorf("invalid filter %q: unknown key %q; use %s", term, key, strings.Join(FilterKeys, ", "))
	}
	if !slices.Contains(f[key], value) {
		f[key] = append(f[key], value)
	}
	return nil
}

// Empty says whether the filter selects everything.
func (f Filter) Empty() bool { return len(f) == 0 }

// RuleNames are the names of p's rules as plans show them ("image.ci",
// "build_cache"), in the policy's order.
func RuleNames(p *Policy) []string {
	var names []string
	for _, r := range p.Images {
		names = append(names, r.Name())
	}
	for _, r := range p.Containers {
		names = append(names, r.Name())
	}
	for _, r := range p.Volumes {
		names = append(names, r.Name())
	}
	for _, r := range p.Networks {
		names = append(names, r.Name())
	}
	if p.BuildCache != nil {
		names = append(names, KindBuildCache)
	}
	for _, r := range p.Protects {
		names = append(names, r.Name())
	}
	return names
}

// CheckRules refuses rule= values that name no rule of p: a misspelt rule
// would otherwise select nothing, silently.
func (f Filter) CheckRules(p *Policy) error {
	names := RuleNames(p)
	for _, r := range f[FilterRule] {
		if !slices.Contains(names, r) {
			return fmt.Errorf("invalid filter \"rule=%s\": the policy %s has no rule %q; its rules are %s",
				r, p.Filename, r, strings.Join(names, ", "))
		}
	}
	return nil
}

func (f Filter) allows(key, value string) bool {
	vs, ok := f[key]
	return !ok || slices.Contains(vs, value)
}

// selects says whether the filter's terms hold for a.
func (f Filter) selects(a Action) bool {
	return f.allows(FilterKind, a.Kind) && f.allows(FilterRule, a.Rule) && f.allows(FilterAction, a.Action)
}

// Dropped is an action a filter selected but left out of the plan, because
// an action it needs first was filtered out.
type Dropped struct {
	Action Action
	// Needs is the action that was filtered out: "untag image app:1".
	Needs string
}

// FilterPlan returns the part of plan that f selects, with its summary
// recomputed, and the selected actions it had to leave out.
//
// A filtered plan stays safe to carry out on its own: an action that
// relies on another action of the full plan goes only when that action is
// in the filtered plan too. Otherwise it is left out (and returned as
// Dropped), never carried out alone:
//   - an image removal needs the untags of the image's other tags (without
//     them the daemon only untags), the removals of the images built on it
//     (without them it is a parent that stays), and the removals of the
//     containers that use it;
//   - a volume or network removal needs the removals of the containers that
//     use it.
//
// Kept entries are narrowed by kind and rule (they have no action).
func FilterPlan(plan Plan, s Snapshot, f Filter) (Plan, []Dropped) {
	if f.Empty() {
		return plan, nil
	}
	containers := make(map[string]*Container, len(s.Containers))
	for i := range s.Containers {
		containers[s.Containers[i].ID] = &s.Containers[i]
	}
	in := make([]bool, len(plan.Actions))
	for i, a := range plan.Actions {
		in[i] = f.selects(a)
	}
	needs := func(i, j int) bool { // does action i need action j?
		a, b := plan.Actions[i], plan.Actions[j]
		if i == j {
			return false
		}
		switch {
		case a.Kind == KindImage && a.Action == ActionRemove:
			if b.Kind == KindImage {
				return b.ID == a.ID || b.Parent == a.ID && b.Action == ActionRemove
			}
			if b.Kind == KindContainer {
				c := containers[b.ID]
				return c != nil && c.ImageID == a.ID
			}
		case a.Kind == KindVolume && b.Kind == KindContainer:
			c := containers[b.ID]
			return c != nil && slices.Contains(c.Volumes, a.Name)
		case a.Kind == KindNetwork && b.Kind == KindContainer:
			c := containers[b.ID]
			return c != nil && slices.Contains(c.Networks, a.ID)
		}
		return false
	}
	var dropped []Dropped
	for changed := true; changed; {
		changed = false
		for i := range plan.Actions {
			if !in[i] {
				continue
			}
			for j := range plan.Actions {
				if !in[j] && needs(i, j) {
					in[i], changed = false, true
					dropped = append(dropped, Dropped{Action: plan.Actions[i], Needs: plan.Actions[j].Action + " " + ObjectText(plan.Actions[j])})
					break
				}
			}
		}
	}
	out := plan
	out.Actions = []Action{}
	out.Summary = Summary{}
	for i, a := range plan.Actions {
		if !in[i] {
			continue
		}
		out.Actions = append(out.Actions, a)
		out.Summary.Actions++
		if a.Bytes < 0 {
			out.Summary.UnknownBytes++
		} else {
			out.Summary.ReclaimableBytes += a.Bytes
		}
	}
	out.Kept = []Kept{}
	for _, k := range plan.Kept {
		if f.allows(FilterKind, k.Kind) && f.allows(FilterRule, k.Rule) && !f.has(FilterAction) {
			out.Kept = append(out.Kept, k)
		}
	}
	return out, dropped
}

func (f Filter) has(key string) bool { _, ok := f[key]; return ok }

// ObjectText names an action's object for people: "container job (0123456789ab)",
// "image app:1", "build cache".
func ObjectText(a Action) string {
	switch a.Kind {
	case KindImage:
		if a.Ref != "" {
			return "image " + a.Ref
		}
		return "image " + ShortID(a.ID)
	case KindBuildCache:
		return "build cache"
	case KindContainer:
		return "container " + a.Name
	case KindNetwork:
		return "network " + a.Name
	}
	return a.Kind + " " + a.Name
}
