package policy

// Protections: what keeps an object whatever the rules say. The plan gives
// the first that applies as the object's one reason; explain lists them all.

// Names of the built-in protections, as plans show them ("builtin.<name>").
const (
	BuiltinInUse  = "builtin.in_use"
	BuiltinLatest = "builtin.latest"
	// BuiltinDaemonNetwork keeps the daemon's own networks and swarm's.
	BuiltinDaemonNetwork = "builtin.daemon_network"
)

// Protection is one reason an object is kept whatever the rules say.
type Protection struct {
	Rule   string `json:"rule"` // "protect.<label>" or "builtin.<name>"
	Reason string `json:"reason"`
}

// blockProtection is what one protect block says of what it keeps, by
// name or by labels: made once per evaluation, not once per object kept.
type blockProtection struct{ byName, byLabels Protection }

func blockProtectionsOf(protects []*Protect) []blockProtection {
	out := make([]blockProtection, len(protects))
	for i, pr := range protects {
		name := pr.Name()
		out[i] = blockProtection{
			byName:   Protection{name, "protected by " + name},
			byLabels: Protection{name, "protected by " + name + " (labels)"},
		}
	}
	return out
}

// blockProtections lists every protect block selecting an object by one of
// names (with pick choosing the block's name list) or by its labels, in
// file order.
func (e *evaluator) blockProtections(pick func(*Protect) []Matcher, names []string, labels map[string]string) []Protection {
	var out []Protection
	for i, pr := range e.p.Protects {
		byName := false
		for _, n := range names {
			if anyMatch(pick(pr), n) {
				byName = true
				break
			}
		}
		switch {
		case byName:
			out = append(out, e.protects[i].byName)
		case len(pr.Labels) > 0 && labelsMatch(pr.Labels, labels):
			out = append(out, e.protects[i].byLabels)
		}
	}
	return out
}

// firstBlockProtection is the first of e.blockProtections(pick,
// []string{name}, labels), or nil, found without building the others; it
// shares the protection it returns.
func (e *evaluator) firstBlockProtection(pick func(*Protect) []Matcher, name string, labels map[string]string) *Protection {
	for i, pr := range e.p.Protects {
		switch {
		case anyMatch(pick(pr), name):
			return &e.protects[i].byName
		case len(pr.Labels) > 0 && labelsMatch(pr.Labels, labels):
			return &e.protects[i].byLabels
		}
	}
	return nil
}

// imageProtections lists every protection of one tag of img (ref "" for an
// untagged image), in the order the plan gives precedence: the protect
// blocks selecting it, the containers that remain after the plan and use
// the image, the latest tag, and for an untagged image, being the parent
// of other images (a tagged parent is only untagged, which frees nothing).
//
// A protect block selects a tag by the tag itself or by any of the image's
// digest references, so a digest pattern keeps every tag of the image.
func (e *evaluator) imageProtections(img *Image, ref string) []Protection {
	var names []string
	if ref != "" {
		names = []string{ref}
	}
	names = append(names, img.Digests...)
	out := e.blockProtections(func(p *Protect) []Matcher { return p.Images }, names, img.Labels)
	return append(out, e.builtinImageProtections(img, ref)...)
}

// builtinImageProtections are the protections no protect block declares,
// in precedence order: remaining users, the latest tag, being a parent.
func (e *evaluator) builtinImageProtections(img *Image, ref string) []Protection {
	var out []Protection
	if pr := e.inUse(img); pr != nil {
		out = append(out, *pr)
	}
	if e.p.ProtectLatest && ref != "" && splitTag(ref).tag == "latest" {
		out = append(out, Protection{BuiltinLatest, "latest tags are protected"})
	}
	if img.HasChildren && ref == "" {
		out = append(out, Protection{BuiltinInUse, "parent of other images"})
	}
	return out
}

// inUse is the protection of an image that containers staying after this
// plan use, or nil.
func (e *evaluator) inUse(img *Image) *Protection {
	users := e.remainingUsers(img.ID)
	if len(users) == 0 {
		return nil
	}
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = u.Name
	}
	return &Protection{BuiltinInUse, "in use by container " + Examples(names, 3)}
}

// firstImageProtection is the first of e.imageProtections(img, ref.full),
// or nil, for the image at pos in the snapshot (ref is zero for an
// untagged image): the one protection that decides, found without
// building the others:
// the engine asks it for every claimed tag. It shares the protections it
// returns: the protect blocks', and the image's facts.
func (e *evaluator) firstImageProtection(pos int32, ref *imageRef) *Protection {
	img := &e.s.Images[pos]
	for i, pr := range e.p.Protects {
		byName := ref.full != "" && anyRefMatch(pr.Images, ref)
		for _, d := range img.Digests {
			if byName {
				break
			}
			byName = anyMatch(pr.Images, d)
		}
		switch {
		case byName:
			return &e.protects[i].byName
		case len(pr.Labels) > 0 && labelsMatch(pr.Labels, img.Labels):
			return &e.protects[i].byLabels
		}
	}
	switch {
	case e.facts[pos].inUse != nil:
		return e.facts[pos].inUse
	case e.p.ProtectLatest && ref.full != "" && splitTag(ref.full).tag == "latest":
		return &Protection{BuiltinLatest, "latest tags are protected"}
	case img.HasChildren && ref.full == "":
		return &Protection{BuiltinInUse, "parent of other images"}
	}
	return nil
}
