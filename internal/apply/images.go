package apply

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/docker-shaper/docker-shaper/policy"
)

// imageGroup carries out the actions of one image, in plan order, after one
// re-check of the image and its users.
func (a *applier) imageGroup(ctx context.Context, idx []int) {
	cur, ok := a.recheckImage(ctx, idx)
	if !ok {
		return
	}
	planned := make(map[string]bool, len(idx))
	for _, i := range idx {
		planned[a.actions[i].Ref] = true
	}
	gone := false
	for _, i := range idx {
		switch reason := a.halted(ctx); {
		case reason != "":
			a.finish(i, OutcomeSkipped, reason, 0)
		case gone:
			a.finish(i, OutcomeSkipped, "image already removed with an earlier tag", 0)
		case a.actions[i].Ref == "":
			a.removeUntagged(ctx, i, &cur)
		default:
			gone = a.removeTag(ctx, i, &cur, planned)
		}
	}
}

// recheckImage looks at the image of a group just before acting: it must
// still be there, and no container may use it now. When it may not be
// acted on, every action of the group is finished, and ok is false.
func (a *applier) recheckImage(ctx context.Context, idx []int) (cur Image, ok bool) {
	id := a.actions[idx[0]].ID
	all := func(outcome, detail string) {
		for _, i := range idx {
			a.finish(i, outcome, detail, 0)
		}
	}
	// Both questions are read-only and asked before anything of the group
	// is done, so they are asked at once: one round trip of latency per
	// image instead of two.
	var (
		users    []string
		usersErr error
		wg       sync.WaitGroup
	)
	wg.Go(func() { users, usersErr = a.api.ImageUsers(ctx, id) })
	cur, err := a.api.InspectImage(ctx, id)
	wg.Wait()
	if err != nil {
		all(recheckFailed(err, "image", "re-checking the image"))
		return Image{}, false
	}
	if err := usersErr; err != nil {
		all(recheckFailed(err, "image", "listing the image's containers"))
		return Image{}, false
	}
	if len(users) > 0 {
		all(OutcomeSkipped, "image now used by container "+policy.Examples(users, 3))
		return Image{}, false
	}
	return cur, true
}

// removeTag carries out action i, the untag or removal of one tag of the
// image cur, and reports whether the image went with it. planned are the
// tags the group's plan removes.
func (a *applier) removeTag(ctx context.Context, i int, cur *Image, planned map[string]bool) (gone bool) {
	act := a.actions[i]
	if !slices.Contains(cur.Tags, act.Ref) {
		a.finish(i, OutcomeSkipped, a.tagGone(ctx, act.Ref, act.ID), 0)
		return false
	}
	if !a.intend(i) {
		return false
	}
	rm, err := a.api.RemoveImageRef(ctx, act.Ref)
	if err != nil {
		a.settle(ctx, i, err)
		return false
	}
	cur.forget(rm.Untagged)
	cur.forget([]string{act.Ref})
	also := othersDeleted(rm, act)
	switch {
	case slices.Contains(rm.Deleted, act.ID):
		r := Result{Outcome: OutcomeRemoved, Bytes: max(act.Bytes, 0), Deleted: also}
		if act.Action != policy.ActionRemove {
			r.Detail, r.Bytes = "the image went with the tag: no other reference was left", 0
		}
		a.finishResult(withParents(r), i)
		return true
	case act.Action != policy.ActionRemove:
		a.finishResult(withParents(Result{Outcome: OutcomeUntagged, Deleted: also}), i)
		return false
	case len(cur.Tags) == 0 && len(cur.Digests) > 0:
		// Digest references of other repositories keep it: the image has
		// no tag left, so they go too.
		return a.removeDigests(ctx, i, cur)
	}
	a.finishResult(withParents(Result{Outcome: OutcomeUntagged, Detail: whyItStayed(*cur, planned), Deleted: also}), i)
	return false
}

// othersDeleted are the untagged parents of act's image that a removal
// deleted with it. (The daemon's list of deletions also names layers: only
// the images the plan knows may go with this one count.)
func othersDeleted(rm ImageRemoval, act policy.Action) []string {
	if act.Image == nil {
		return nil
	}
	var out []string
	for _, d := range rm.Deleted {
		if slices.Contains(act.Image.UntaggedParents, d) {
			out = append(out, d)
		}
	}
	return out
}

// withParents says, in r's detail, which other images went with it, so
// the result and the journal tell what happened to each image.
func withParents(r Result) Result {
	if len(r.Deleted) == 0 {
		return r
	}
	ids := make([]string, len(r.Deleted))
	for i, d := range r.Deleted {
		ids[i] = policy.ShortID(d)
	}
	note := "the daemon also deleted untagged parent image " + policy.Examples(ids, 3)
	if r.Detail == "" {
		r.Detail = note
	} else {
		r.Detail += "; " + note
	}
	return r
}

// whyItStayed says why a removal only untagged the image cur: a tag added
// after the plan, a planned untag that did not succeed, or images built on
// it since.
func whyItStayed(cur Image, planned map[string]bool) string {
	if len(cur.Tags) == 0 {
		return "only untagged: the daemon kept the image (images were built on it since the plan)"
	}
	var added, kept []string
	for _, t := range cur.Tags {
		if planned[t] {
			kept = append(kept, t)
		} else {
			added = append(added, t)
		}
	}
	if len(added) > 0 {
		return "only untagged: the image keeps tag " + policy.Examples(added, 3) + ", added after the plan"
	}
	return "only untagged: the image keeps tag " + policy.Examples(kept, 3) + ", whose untag did not succeed"
}

// removeUntagged removes an image that had no tag when planned.
func (a *applier) removeUntagged(ctx context.Context, i int, cur *Image) {
	act := a.actions[i]
	if len(cur.Tags) > 0 {
		a.finish(i, OutcomeSkipped, "the image was tagged "+policy.Examples(cur.Tags, 3)+" since the plan", 0)
		return
	}
	if digestRepos(cur.Digests) > 1 {
		// By ID the daemon refuses (without force) an image referenced in
		// several repositories: remove each reference instead.
		a.removeDigests(ctx, i, cur)
		return
	}
	if !a.intend(i) {
		return
	}
	rm, err := a.api.RemoveImageRef(ctx, act.ID)
	if err != nil {
		a.settle(ctx, i, err)
		return
	}
	also := othersDeleted(rm, act)
	if slices.Contains(rm.Deleted, act.ID) {
		a.finishResult(withParents(Result{Outcome: OutcomeRemoved, Bytes: max(act.Bytes, 0), Deleted: also}), i)
		return
	}
	a.finishResult(withParents(Result{Outcome: OutcomeUntagged, Detail: "only untagged: the daemon kept the image", Deleted: also}), i)
}

// removeDigests removes the image's digest references one by one; the last
// takes the image. It reports whether the image went.
func (a *applier) removeDigests(ctx context.Context, i int, cur *Image) bool {
	act := a.actions[i]
	digests := slices.Clone(cur.Digests)
	var also []string
	for _, d := range digests {
		if reason := a.halted(ctx); reason != "" {
			a.finish(i, OutcomeSkipped, reason, 0)
			return false
		}
		if !a.intend(i) {
			return false
		}
		rm, err := a.api.RemoveImageRef(ctx, d)
		if err != nil && !errors.Is(err, ErrNotFound) {
			a.settle(ctx, i, err)
			return false
		}
		cur.forget(rm.Untagged)
		cur.forget([]string{d})
		also = append(also, othersDeleted(rm, act)...)
		if slices.Contains(rm.Deleted, act.ID) {
			a.finishResult(withParents(Result{Outcome: OutcomeRemoved, Bytes: max(act.Bytes, 0), Deleted: also,
				Detail: "with its digest references " + policy.Examples(digests, 3)}), i)
			return true
		}
	}
	a.finishResult(withParents(Result{Outcome: OutcomeUntagged, Detail: "digest references removed, but the daemon kept the image", Deleted: also}), i)
	return false
}

// tagGone says what became of a tag that is no longer on the planned image.
func (a *applier) tagGone(ctx context.Context, ref, id string) string {
	other, err := a.api.InspectImage(ctx, ref)
	if err == nil && other.ID != "" && other.ID != id {
		return "tag now names another image, " + policy.ShortID(other.ID)
	}
	return "tag already gone"
}

// forget drops references the daemon removed from the image's lists.
func (im *Image) forget(refs []string) {
	for _, r := range refs {
		n := policy.NormalizeRef(r)
		im.Tags = slices.DeleteFunc(im.Tags, func(t string) bool { return t == r || t == n })
		im.Digests = slices.DeleteFunc(im.Digests, func(d string) bool { return d == r || policy.NormalizeRef(d) == n })
	}
}

// digestRepos counts the repositories of digest references.
func digestRepos(digests []string) int {
	repos := make(map[string]bool)
	for _, d := range digests {
		repo, _, _ := strings.Cut(d, "@")
		repos[policy.NormalizeRef(repo)] = true
	}
	return len(repos)
}
