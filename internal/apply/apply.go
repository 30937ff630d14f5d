// Package apply carries out a plan: it removes what the plan's actions name,
// through a Daemon it is given, re-checking each object just before acting
// on it, and reports what became of every action. It knows nothing of the
// Docker API (internal/docker implements Daemon over it) nor of where the
// journal is kept.
package apply

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/policy"
	"golang.org/x/sync/errgroup"
)

// Outcomes of an applied action.
const (
	OutcomeRemoved  = "removed"  // the object is gone (build cache: pruned)
	OutcomeUntagged = "untagged" // the tag is gone, the image stays
	OutcomeSkipped  = "skipped"  // not done, for a safe reason (it changed since the plan, or is already gone)
	OutcomeFailed   = "failed"   // the daemon refused, or an error
)

// DefaultConcurrency is how many images (and containers, volumes,
// networks) are removed at once. The daemon serialises much of the work on
// its side: more buys little and makes its lock contention worse.
const DefaultConcurrency = 4

// Daemon is what applying a plan needs from the daemon, in apply's own
// terms; internal/docker implements it over the Docker API. Its errors are
// classified: errors.Is(err, ErrNotFound) when the object is gone,
// errors.Is(err, ErrChanged) when the daemon refused because the object
// changed since the plan (it came into use, someone else is removing it),
// and context.Canceled when the call was cut short.
type Daemon interface {
	// InspectImage returns the image's current references; ref may be an
	// ID or a reference.
	InspectImage(ctx context.Context, ref string) (Image, error)
	// ImageUsers names the containers, in any state, created from exactly
	// the image id.
	ImageUsers(ctx context.Context, id string) ([]string, error)
	InspectContainer(ctx context.Context, id string) (Container, error)
	RemoveContainer(ctx context.Context, id string, force, volumes bool) error
	// RemoveImageRef removes one reference (tag, digest reference or
	// image ID), never forced; untagged parents go with a removed image.
	RemoveImageRef(ctx context.Context, ref string) (ImageRemoval, error)
	InspectVolume(ctx context.Context, name string) (Volume, error)
	RemoveVolume(ctx context.Context, name string) error
	RemoveNetwork(ctx context.Context, id string) error
	// PruneBuildCache prunes as the rule says and returns the bytes the
	// daemon reports reclaimed.
	PruneBuildCache(ctx context.Context, rule policy.BuildCacheRule) (int64, error)
	// Usage measures disk usage per kind, as docker system df does.
	Usage(ctx context.Context) (DiskTotals, error)
}

// Kinds of errors a Daemon's errors are classified into.
var (
	// ErrNotFound: the object is gone.
	ErrNotFound = errors.New("not found")
	// ErrChanged: the daemon refused because the object changed since the
	// plan: it came into use, or is being removed by someone else. A race
	// with the daemon's other users, not a failure.
	ErrChanged = errors.New("changed since the plan")
)

// Image is an image as the daemon has it at the moment of acting.
type Image struct {
	ID      string
	Tags    []string // familiar, as plans write them
	Digests []string // repo@sha256:… references
}

// Container is a container as the daemon has it at the moment of acting.
type Container struct {
	Name, ImageID, State  string
	StartedAt, FinishedAt time.Time
}

// Volume is a volume as the daemon has it at the moment of acting.
type Volume struct{ CreatedAt time.Time }

// ImageRemoval is what one image removal call did.
type ImageRemoval struct {
	Untagged []string // references removed
	Deleted  []string // image IDs deleted (the image, and parents pruned with it)
}

// DiskTotals are bytes per object kind (policy.KindImage, …).
type DiskTotals map[string]int64

// Result is what became of one planned action.
type Result struct {
	Action  policy.Action
	Outcome string
	// Detail says why an action was skipped or failed, or what happened
	// instead of the plan (a remove that only untagged).
	Detail string
	// Bytes is what the outcome frees by the plan's figure (the action's
	// bytes when the object was removed, else 0); for the build cache, the
	// bytes the daemon reports reclaimed.
	Bytes int64
	Time  time.Time
}

// Progress is told about every result as it is known; calls are
// serialised by Apply.
type Progress interface {
	Start(total int)
	Done(r Result, done, total int)
	Finish()
}

// Journal records every result. A write error stops the apply: actions
// not yet attempted are skipped.
type Journal interface {
	Record(run, command string, r Result) error
}

// Options are the parameters of one apply.
type Options struct {
	// Command is who applies, for the journal: "prune", "watch".
	Command string
	// Concurrency bounds the removals in flight; 0 means DefaultConcurrency.
	Concurrency int
	// Journal receives every result; nil for none.
	Journal Journal
	// Progress is told about each result; nil for none.
	Progress Progress
	// Measure measures disk usage (docker system df) before and after.
	Measure bool
	// Clock dates results and names the run.
	Clock clock.Clock
}

// Report is the outcome of Apply.
type Report struct {
	// Run identifies this apply in the journal.
	Run string
	// Results has one entry per action, in plan order.
	Results []Result
	Summary Summary
	// Took is how long the removals took, measurements excluded.
	Took time.Duration
}

// Apply carries out a plan's actions against the daemon: containers first,
// then tags and images (the actions of one image one after the other, in
// plan order; different images in parallel), then volumes, networks and
// the build cache. Every object is re-checked just before acting on it,
// against what the plan saw (policy.Action.Expect), and whatever changed
// since the plan in a way that makes the action unsafe or pointless is
// skipped with the reason:
//
//   - container: gone, or its state or start time changed;
//   - image: gone, or now used by a container (its whole group is skipped);
//     a tag that is gone or now names another image; a removal whose image
//     gained a tag the plan keeps only untags, and an untagged image that
//     gained a tag is skipped;
//   - volume: gone, or recreated; any object: the daemon says it is gone
//     or in use.
//
// Image removals are never forced; container removals are forced only for
// running containers a rule named explicitly (Action.Force). The error is
// for what stops the apply as a whole (cancellation, an unwritable
// journal); per-action failures are results, counted in the summary.
// Apply does not lock: the caller holds the daemon's removal lock.
func Apply(ctx context.Context, d Daemon, actions []policy.Action, opts Options) (*Report, error) {
	if opts.Clock == nil {
		return nil, errors.New("apply: no clock")
	}
	a := newApplier(d, actions, opts)
	report := &Report{Run: a.run, Results: a.results}
	logger := logging.From(ctx)

	var before, after DiskTotals
	if opts.Measure {
		var err error
		if before, err = d.Usage(ctx); err != nil {
			logger.Warn("cannot measure disk usage before pruning", "err", err)
			before = nil
		}
	}

	start := opts.Clock()
	if opts.Progress != nil {
		opts.Progress.Start(len(a.actions))
	}
	a.applyAll(ctx)
	if opts.Progress != nil {
		opts.Progress.Finish()
	}
	report.Took = opts.Clock.Since(start)

	if opts.Measure && before != nil {
		var err error
		if after, err = d.Usage(context.WithoutCancel(ctx)); err != nil {
			logger.Warn("cannot measure disk usage after pruning", "err", err)
			after = nil
		}
	}
	report.Summary = Summarize(a.actions, a.results, before, after)

	switch {
	case a.journalErr != nil:
		return report, a.journalErr
	case ctx.Err() != nil:
		return report, fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}
	return report, nil
}

// applier is the state of one Apply call.
type applier struct {
	api     Daemon
	opts    Options
	run     string
	actions []policy.Action
	results []Result

	mu         sync.Mutex // guards done, journalErr, and calls to Progress
	done       int
	journalErr error
}

func newApplier(api Daemon, actions []policy.Action, opts Options) *applier {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	return &applier{
		api:     api,
		opts:    opts,
		run:     fmt.Sprintf("%s-%d", opts.Clock().UTC().Format("20060102T150405.000Z"), os.Getpid()),
		actions: actions,
		results: make([]Result, len(actions)),
	}
}

// applyAll runs the phases in order; each waits for the one before.
func (a *applier) applyAll(ctx context.Context) {
	byKind := make(map[string][]int)
	var imageGroups [][]int
	groupOf := make(map[string]int)
	for i, act := range a.actions {
		if act.Kind == policy.KindImage {
			g, ok := groupOf[act.ID]
			if !ok {
				g = len(imageGroups)
				groupOf[act.ID] = g
				imageGroups = append(imageGroups, nil)
			}
			imageGroups[g] = append(imageGroups[g], i)
			continue
		}
		byKind[act.Kind] = append(byKind[act.Kind], i)
	}

	a.parallel(ctx, byKind[policy.KindContainer], a.container)
	a.parallelGroups(ctx, imageGroups, a.imageGroup)
	a.parallel(ctx, byKind[policy.KindVolume], a.volume)
	a.parallel(ctx, byKind[policy.KindNetwork], a.network)
	a.parallel(ctx, byKind[policy.KindBuildCache], a.pruneCache)

	// Anything of a kind this version does not know is left alone.
	for i := range a.results {
		if a.results[i].Outcome == "" {
			a.finish(i, OutcomeSkipped, "not attempted: unknown kind of action", 0)
		}
	}
}

func (a *applier) parallel(ctx context.Context, idx []int, do func(context.Context, int)) {
	groups := make([][]int, len(idx))
	for k, i := range idx {
		groups[k] = []int{i}
	}
	a.parallelGroups(ctx, groups, func(ctx context.Context, g []int) { do(ctx, g[0]) })
}

// parallelGroups runs do for each group, a few at once.
func (a *applier) parallelGroups(ctx context.Context, groups [][]int, do func(context.Context, []int)) {
	var g errgroup.Group
	g.SetLimit(a.opts.Concurrency)
	for _, grp := range groups {
		g.Go(func() error {
			if reason := a.halted(ctx); reason != "" {
				for _, i := range grp {
					a.finish(i, OutcomeSkipped, reason, 0)
				}
				return nil
			}
			do(ctx, grp)
			return nil
		})
	}
	_ = g.Wait()
}

// halted says why no further action may start ("" when they may).
func (a *applier) halted(ctx context.Context) string {
	a.mu.Lock()
	jerr := a.journalErr
	a.mu.Unlock()
	switch {
	case jerr != nil:
		return "not attempted: the journal cannot be written"
	case ctx.Err() != nil:
		return "not attempted: interrupted"
	}
	return ""
}

// finish records the result of action i, journals it and reports progress.
func (a *applier) finish(i int, outcome, detail string, bytes int64) {
	act := a.actions[i]
	r := Result{Action: act, Outcome: outcome, Detail: detail, Bytes: bytes, Time: a.opts.Clock()}
	a.results[i] = r // each index is written by one goroutine only
	a.mu.Lock()
	defer a.mu.Unlock()
	if j := a.opts.Journal; j != nil && a.journalErr == nil {
		if err := j.Record(a.run, a.opts.Command, r); err != nil {
			a.journalErr = err
		}
	}
	a.done++
	if a.opts.Progress != nil {
		a.opts.Progress.Done(r, a.done, len(a.actions))
	}
}

// finishErr records a failed removal call: gone and known-safe races are
// skipped, anything else failed, with the daemon's message.
func (a *applier) finishErr(i int, err error) {
	outcome, detail := classifyRemoveError(err)
	a.finish(i, outcome, detail, 0)
}

// recheckFailed classifies a re-check that could not be made: the object
// is gone (a skip), the run was interrupted (nothing was attempted), or the
// re-check failed, described by what it was doing.
func recheckFailed(err error, object, doing string) (outcome, detail string) {
	switch {
	case errors.Is(err, ErrNotFound):
		return OutcomeSkipped, object + " already gone"
	case errors.Is(err, context.Canceled):
		return OutcomeSkipped, "not attempted: interrupted"
	}
	return OutcomeFailed, doing + ": " + err.Error()
}

func classifyRemoveError(err error) (outcome, detail string) {
	switch {
	case errors.Is(err, ErrNotFound):
		return OutcomeSkipped, "already gone (daemon: " + err.Error() + ")"
	case errors.Is(err, ErrChanged):
		return OutcomeSkipped, "changed since the plan (daemon: " + err.Error() + ")"
	case errors.Is(err, context.Canceled):
		return OutcomeSkipped, "not attempted: interrupted"
	}
	return OutcomeFailed, "daemon: " + err.Error()
}

// container removes one container unless it changed since the plan.
func (a *applier) container(ctx context.Context, i int) {
	act := a.actions[i]
	planned := act.Expect
	cur, err := a.api.InspectContainer(ctx, act.ID)
	if err != nil {
		a.finishInspectErr(i, "container", err)
		return
	}
	if cur.State != planned.State {
		a.finish(i, OutcomeSkipped, fmt.Sprintf("state changed since the plan: was %s, now %s", planned.State, cur.State), 0)
		return
	}
	if !cur.StartedAt.Equal(planned.StartedAt) || !cur.FinishedAt.Equal(planned.FinishedAt) {
		a.finish(i, OutcomeSkipped, "restarted since the plan", 0)
		return
	}
	force := act.Force && (cur.State == policy.StateRunning || cur.State == policy.StatePaused || cur.State == policy.StateRestarting)
	if err := a.api.RemoveContainer(ctx, act.ID, force, act.RemoveVolumes); err != nil {
		a.finishErr(i, err)
		return
	}
	a.finish(i, OutcomeRemoved, "", max(act.Bytes, 0))
}

// finishInspectErr records a failed re-check of one object.
func (a *applier) finishInspectErr(i int, what string, err error) {
	outcome, detail := recheckFailed(err, what, "re-checking the "+what)
	a.finish(i, outcome, detail, 0)
}

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
	cur, err := a.api.InspectImage(ctx, id)
	if err != nil {
		all(recheckFailed(err, "image", "re-checking the image"))
		return Image{}, false
	}
	users, err := a.api.ImageUsers(ctx, id)
	if err != nil {
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
	rm, err := a.api.RemoveImageRef(ctx, act.Ref)
	if err != nil {
		a.finishErr(i, err)
		return false
	}
	cur.forget(rm.Untagged)
	cur.forget([]string{act.Ref})
	switch {
	case slices.Contains(rm.Deleted, act.ID):
		if act.Action == policy.ActionRemove {
			a.finish(i, OutcomeRemoved, "", max(act.Bytes, 0))
		} else {
			a.finish(i, OutcomeRemoved, "the image went with the tag: no other reference was left", 0)
		}
		return true
	case act.Action != policy.ActionRemove:
		a.finish(i, OutcomeUntagged, "", 0)
		return false
	case len(cur.Tags) == 0 && len(cur.Digests) > 0:
		// Digest references of other repositories keep it: the image has
		// no tag left, so they go too.
		return a.removeDigests(ctx, i, cur)
	}
	a.finish(i, OutcomeUntagged, whyItStayed(*cur, planned), 0)
	return false
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
	rm, err := a.api.RemoveImageRef(ctx, act.ID)
	if err != nil {
		a.finishErr(i, err)
		return
	}
	if slices.Contains(rm.Deleted, act.ID) {
		a.finish(i, OutcomeRemoved, "", max(act.Bytes, 0))
		return
	}
	a.finish(i, OutcomeUntagged, "only untagged: the daemon kept the image", 0)
}

// removeDigests removes the image's digest references one by one; the last
// takes the image. It reports whether the image went.
func (a *applier) removeDigests(ctx context.Context, i int, cur *Image) bool {
	act := a.actions[i]
	digests := slices.Clone(cur.Digests)
	for _, d := range digests {
		if reason := a.halted(ctx); reason != "" {
			a.finish(i, OutcomeSkipped, reason, 0)
			return false
		}
		rm, err := a.api.RemoveImageRef(ctx, d)
		if err != nil && !errors.Is(err, ErrNotFound) {
			a.finishErr(i, err)
			return false
		}
		cur.forget(rm.Untagged)
		cur.forget([]string{d})
		if slices.Contains(rm.Deleted, act.ID) {
			a.finish(i, OutcomeRemoved, "with its digest references "+policy.Examples(digests, 3), max(act.Bytes, 0))
			return true
		}
	}
	a.finish(i, OutcomeUntagged, "digest references removed, but the daemon kept the image", 0)
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

// volume removes one volume unless it was recreated since the plan.
func (a *applier) volume(ctx context.Context, i int) {
	act := a.actions[i]
	cur, err := a.api.InspectVolume(ctx, act.Name)
	if err != nil {
		a.finishInspectErr(i, "volume", err)
		return
	}
	if planned := act.Expect; !planned.CreatedAt.IsZero() && !cur.CreatedAt.IsZero() &&
		!planned.CreatedAt.Equal(cur.CreatedAt) {
		a.finish(i, OutcomeSkipped, "volume recreated since the plan", 0)
		return
	}
	if err := a.api.RemoveVolume(ctx, act.Name); err != nil {
		a.finishErr(i, err)
		return
	}
	a.finish(i, OutcomeRemoved, "", max(act.Bytes, 0))
}

// network removes one network, by ID: a network recreated under the same
// name is another network, which the daemon reports as not found.
func (a *applier) network(ctx context.Context, i int) {
	act := a.actions[i]
	ref := act.ID
	if ref == "" {
		ref = act.Name
	}
	if err := a.api.RemoveNetwork(ctx, ref); err != nil {
		a.finishErr(i, err)
		return
	}
	a.finish(i, OutcomeRemoved, "", 0)
}

// pruneCache prunes the build cache with the policy's build_cache rule.
func (a *applier) pruneCache(ctx context.Context, i int) {
	act := a.actions[i]
	if act.BuildCache == nil {
		a.finish(i, OutcomeFailed, "the plan carries no build cache parameters", 0)
		return
	}
	n, err := a.api.PruneBuildCache(ctx, *act.BuildCache)
	if err != nil {
		a.finishErr(i, err)
		return
	}
	a.finish(i, OutcomeRemoved, "the daemon reclaimed "+policy.HumanSize(n), n)
}
