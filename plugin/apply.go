package plugin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker-shaper/docker-shaper/policy"
	"golang.org/x/sync/errgroup"
)

// Outcomes of an applied action.
const (
	outcomeRemoved  = "removed"  // the object is gone (build cache: pruned)
	outcomeUntagged = "untagged" // the tag is gone, the image stays
	outcomeSkipped  = "skipped"  // not done, for a safe reason (it changed since the plan, or is already gone)
	outcomeFailed   = "failed"   // the daemon refused, or an error
)

// defaultApplyConcurrency is how many images (and containers, volumes,
// networks) are removed at once. The daemon serialises much of the work on
// its side: more buys little and makes its lock contention worse.
const defaultApplyConcurrency = 4

// applyAPI is what applying a plan needs from the daemon, in the plugin's
// own terms; daemon_remove.go implements it over the Docker API. Errors
// keep the daemon's kind (cerrdefs.IsNotFound, IsConflict).
type applyAPI interface {
	// inspectImage returns the image's current references; ref may be an
	// ID or a reference.
	inspectImage(ctx context.Context, ref string) (imageNow, error)
	// imageUsers names the containers, in any state, created from exactly
	// the image id.
	imageUsers(ctx context.Context, id string) ([]string, error)
	inspectContainer(ctx context.Context, id string) (containerNow, error)
	removeContainer(ctx context.Context, id string, force, volumes bool) error
	// removeImageRef removes one reference (tag, digest reference or
	// image ID), never forced; untagged parents go with a removed image.
	removeImageRef(ctx context.Context, ref string) (imageRemoval, error)
	inspectVolume(ctx context.Context, name string) (volumeNow, error)
	removeVolume(ctx context.Context, name string) error
	removeNetwork(ctx context.Context, id string) error
	// pruneBuildCache prunes as the rule says and returns the bytes the
	// daemon reports reclaimed.
	pruneBuildCache(ctx context.Context, rule policy.BuildCacheRule) (int64, error)
	// usage measures disk usage per kind, as docker system df does.
	usage(ctx context.Context) (diskTotals, error)
}

// imageNow is an image as the daemon has it at the moment of acting.
type imageNow struct {
	ID      string
	Tags    []string // familiar, as plans write them
	Digests []string // repo@sha256:… references
}

// containerNow is a container as the daemon has it at the moment of acting.
type containerNow struct {
	Name, ImageID, State  string
	StartedAt, FinishedAt time.Time
}

// volumeNow is a volume as the daemon has it at the moment of acting.
type volumeNow struct{ CreatedAt time.Time }

// imageRemoval is what one image removal call did.
type imageRemoval struct {
	Untagged []string // references removed
	Deleted  []string // image IDs deleted (the image, and parents pruned with it)
}

// diskTotals are bytes per object kind (policy.KindImage, …).
type diskTotals map[string]int64

// actionResult is what became of one planned action.
type actionResult struct {
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

// applyProgress is told about every result as it is known; calls are
// serialised by applyPlan.
type applyProgress interface {
	Start(total int)
	Done(r actionResult, done, total int)
	Finish()
}

// applyOptions are the parameters of one apply.
type applyOptions struct {
	// Command is who applies, for the journal: "prune", "watch".
	Command string
	// Concurrency bounds the removals in flight; 0 means 4.
	Concurrency int
	// Journal receives every action's outcome; nil for none. A journal
	// write error stops the apply: actions not yet attempted are skipped.
	Journal *journal
	// Progress is told about each result; nil for none.
	Progress applyProgress
	// Measure measures disk usage (docker system df) before and after.
	Measure bool
}

// applyReport is the outcome of applyPlan.
type applyReport struct {
	// Run identifies this apply in the journal.
	Run string
	// Results has one entry per plan action, in plan order.
	Results []actionResult
	Summary applySummary
	// Took is how long the removals took, measurements excluded.
	Took time.Duration
}

// applyPlan carries out res.Plan against the daemon: containers first, then
// tags and images (the actions of one image one after the other, in plan
// order; different images in parallel), then volumes, networks and the
// build cache. Every object is re-checked just before acting on it, and
// whatever changed since the plan in a way that makes the action unsafe or
// pointless is skipped with the reason:
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
// applyPlan does not lock: the caller holds the context's lock
// (acquireLock) around it.
func applyPlan(ctx context.Context, api applyAPI, res *planResult, opts applyOptions) (*applyReport, error) {
	a := newApplier(api, res, opts)
	report := &applyReport{Run: a.run, Results: a.results}

	var before, after diskTotals
	if opts.Measure {
		var err error
		if before, err = api.usage(ctx); err != nil {
			loggerFrom(ctx).Warn("cannot measure disk usage before pruning", "err", err)
			before = nil
		}
	}

	start := time.Now()
	if opts.Progress != nil {
		opts.Progress.Start(len(a.actions))
	}
	a.applyAll(ctx)
	if opts.Progress != nil {
		opts.Progress.Finish()
	}
	report.Took = time.Since(start)

	if opts.Measure && before != nil {
		var err error
		if after, err = api.usage(context.WithoutCancel(ctx)); err != nil {
			loggerFrom(ctx).Warn("cannot measure disk usage after pruning", "err", err)
			after = nil
		}
	}
	report.Summary = summarize(a.actions, a.results, before, after)

	switch {
	case a.journalErr != nil:
		return report, a.journalErr
	case ctx.Err() != nil:
		return report, fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}
	return report, nil
}

// applier is the state of one applyPlan call.
type applier struct {
	api     applyAPI
	opts    applyOptions
	run     string
	actions []policy.Action
	results []actionResult

	containers map[string]policy.Container
	volumes    map[string]policy.Volume
	buildCache *policy.BuildCacheRule

	mu         sync.Mutex // guards done, journalErr, and calls to Progress
	done       int
	journalErr error
}

func newApplier(api applyAPI, res *planResult, opts applyOptions) *applier {
	if opts.Concurrency <= 0 {
		opts.Concurrency = defaultApplyConcurrency
	}
	a := &applier{
		api:        api,
		opts:       opts,
		run:        fmt.Sprintf("%s-%d", time.Now().UTC().Format("20060102T150405.000Z"), os.Getpid()),
		actions:    res.Plan.Actions,
		results:    make([]actionResult, len(res.Plan.Actions)),
		containers: make(map[string]policy.Container, len(res.Snapshot.Containers)),
		volumes:    make(map[string]policy.Volume, len(res.Snapshot.Volumes)),
	}
	for _, c := range res.Snapshot.Containers {
		a.containers[c.ID] = c
	}
	for _, v := range res.Snapshot.Volumes {
		a.volumes[v.Name] = v
	}
	if res.Policy != nil && res.Policy.Policy != nil {
		a.buildCache = res.Policy.Policy.BuildCache
	}
	return a
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
			a.finish(i, outcomeSkipped, "not attempted: unknown kind of action", 0)
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
					a.finish(i, outcomeSkipped, reason, 0)
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
	r := actionResult{Action: act, Outcome: outcome, Detail: detail, Bytes: bytes, Time: time.Now().UTC()}
	a.results[i] = r // each index is written by one goroutine only
	a.mu.Lock()
	defer a.mu.Unlock()
	if j := a.opts.Journal; j != nil && a.journalErr == nil {
		if err := j.Append(journalEntryFor(a.run, a.opts.Command, r)); err != nil {
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
	case cerrdefs.IsNotFound(err):
		return outcomeSkipped, object + " already gone"
	case errors.Is(err, context.Canceled):
		return outcomeSkipped, "not attempted: interrupted"
	}
	return outcomeFailed, doing + ": " + errorMessage(err)
}

func classifyRemoveError(err error) (outcome, detail string) {
	msg := errorMessage(err)
	switch {
	case cerrdefs.IsNotFound(err):
		return outcomeSkipped, "already gone (daemon: " + msg + ")"
	case (cerrdefs.IsConflict(err) || cerrdefs.IsPermissionDenied(err)) && safeRace(msg):
		return outcomeSkipped, "changed since the plan (daemon: " + msg + ")"
	case errors.Is(err, context.Canceled):
		return outcomeSkipped, "not attempted: interrupted"
	}
	return outcomeFailed, "daemon: " + msg
}

// safeConflicts are the daemon's words for a removal refused because the
// object came into use, or is being removed by someone else: races with
// other users of the daemon, not failures.
var safeConflicts = []string{
	"in use",
	"is using",
	"being used",
	"has dependent child images",
	"already in progress",
	"active endpoints",
	"cannot remove a running container",
	"stop the container before",
}

func safeRace(msg string) bool {
	msg = strings.ToLower(msg)
	for _, s := range safeConflicts {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// errorMessage is an API error's message without the client's prefix.
func errorMessage(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "Error response from daemon: ")
	return msg
}

// container removes one container unless it changed since the plan.
func (a *applier) container(ctx context.Context, i int) {
	act := a.actions[i]
	planned, ok := a.containers[act.ID]
	if !ok {
		a.finish(i, outcomeSkipped, "not in the snapshot the plan was made from", 0)
		return
	}
	cur, err := a.api.inspectContainer(ctx, act.ID)
	if err != nil {
		a.finishInspectErr(i, "container", err)
		return
	}
	if cur.State != planned.State {
		a.finish(i, outcomeSkipped, fmt.Sprintf("state changed since the plan: was %s, now %s", planned.State, cur.State), 0)
		return
	}
	if !cur.StartedAt.Equal(planned.StartedAt) || !cur.FinishedAt.Equal(planned.FinishedAt) {
		a.finish(i, outcomeSkipped, "restarted since the plan", 0)
		return
	}
	force := act.Force && (cur.State == policy.StateRunning || cur.State == policy.StatePaused || cur.State == policy.StateRestarting)
	if err := a.api.removeContainer(ctx, act.ID, force, act.RemoveVolumes); err != nil {
		a.finishErr(i, err)
		return
	}
	a.finish(i, outcomeRemoved, "", max(act.Bytes, 0))
}

// finishInspectErr records a failed re-check of one object.
func (a *applier) finishInspectErr(i int, what string, err error) {
	outcome, detail := recheckFailed(err, what, "re-checking the "+what)
	a.finish(i, outcome, detail, 0)
}

// imageGroup carries out the actions of one image, in plan order, after one
// re-check of the image and its users.
func (a *applier) imageGroup(ctx context.Context, idx []int) {
	id := a.actions[idx[0]].ID
	all := func(outcome, detail string) {
		for _, i := range idx {
			a.finish(i, outcome, detail, 0)
		}
	}
	cur, err := a.api.inspectImage(ctx, id)
	if err != nil {
		all(recheckFailed(err, "image", "re-checking the image"))
		return
	}
	users, err := a.api.imageUsers(ctx, id)
	if err != nil {
		all(recheckFailed(err, "image", "listing the image's containers"))
		return
	}
	if len(users) > 0 {
		all(outcomeSkipped, "image now used by container "+listExamples(users, 3))
		return
	}

	planned := make(map[string]bool, len(idx))
	for _, i := range idx {
		planned[a.actions[i].Ref] = true
	}
	gone := false
	for _, i := range idx {
		act := a.actions[i]
		if reason := a.halted(ctx); reason != "" {
			a.finish(i, outcomeSkipped, reason, 0)
			continue
		}
		if gone {
			a.finish(i, outcomeSkipped, "image already removed with an earlier tag", 0)
			continue
		}
		if act.Ref == "" {
			a.removeUntagged(ctx, i, &cur)
			continue
		}
		if !slices.Contains(cur.Tags, act.Ref) {
			a.finish(i, outcomeSkipped, a.tagGone(ctx, act.Ref, id), 0)
			continue
		}
		rm, err := a.api.removeImageRef(ctx, act.Ref)
		if err != nil {
			a.finishErr(i, err)
			continue
		}
		cur.forget(rm.Untagged)
		cur.forget([]string{act.Ref})
		if slices.Contains(rm.Deleted, id) {
			gone = true
			if act.Action == policy.ActionRemove {
				a.finish(i, outcomeRemoved, "", max(act.Bytes, 0))
			} else {
				a.finish(i, outcomeRemoved, "the image went with the tag: no other reference was left", 0)
			}
			continue
		}
		if act.Action != policy.ActionRemove {
			a.finish(i, outcomeUntagged, "", 0)
			continue
		}
		// A removal that left the image: say what keeps it.
		switch {
		case len(cur.Tags) > 0:
			var added, kept []string
			for _, t := range cur.Tags {
				if planned[t] {
					kept = append(kept, t)
				} else {
					added = append(added, t)
				}
			}
			detail := "only untagged: the image keeps "
			if len(added) > 0 {
				detail += "tag " + listExamples(added, 3) + ", added after the plan"
			} else {
				detail += "tag " + listExamples(kept, 3) + ", whose untag did not succeed"
			}
			a.finish(i, outcomeUntagged, detail, 0)
		case len(cur.Digests) > 0:
			// Digest references of other repositories keep it: the
			// image has no tag left, so they go too.
			gone = a.removeDigests(ctx, i, &cur)
		default:
			a.finish(i, outcomeUntagged, "only untagged: the daemon kept the image (images were built on it since the plan)", 0)
		}
	}
}

// removeUntagged removes an image that had no tag when planned.
func (a *applier) removeUntagged(ctx context.Context, i int, cur *imageNow) {
	act := a.actions[i]
	if len(cur.Tags) > 0 {
		a.finish(i, outcomeSkipped, "the image was tagged "+listExamples(cur.Tags, 3)+" since the plan", 0)
		return
	}
	if digestRepos(cur.Digests) > 1 {
		// By ID the daemon refuses (without force) an image referenced in
		// several repositories: remove each reference instead.
		a.removeDigests(ctx, i, cur)
		return
	}
	rm, err := a.api.removeImageRef(ctx, act.ID)
	if err != nil {
		a.finishErr(i, err)
		return
	}
	if slices.Contains(rm.Deleted, act.ID) {
		a.finish(i, outcomeRemoved, "", max(act.Bytes, 0))
		return
	}
	a.finish(i, outcomeUntagged, "only untagged: the daemon kept the image", 0)
}

// removeDigests removes the image's digest references one by one; the last
// takes the image. It reports whether the image went.
func (a *applier) removeDigests(ctx context.Context, i int, cur *imageNow) bool {
	act := a.actions[i]
	digests := slices.Clone(cur.Digests)
	for _, d := range digests {
		if reason := a.halted(ctx); reason != "" {
			a.finish(i, outcomeSkipped, reason, 0)
			return false
		}
		rm, err := a.api.removeImageRef(ctx, d)
		if err != nil && !cerrdefs.IsNotFound(err) {
			a.finishErr(i, err)
			return false
		}
		cur.forget(rm.Untagged)
		cur.forget([]string{d})
		if slices.Contains(rm.Deleted, act.ID) {
			a.finish(i, outcomeRemoved, "with its digest references "+listExamples(digests, 3), max(act.Bytes, 0))
			return true
		}
	}
	a.finish(i, outcomeUntagged, "digest references removed, but the daemon kept the image", 0)
	return false
}

// tagGone says what became of a tag that is no longer on the planned image.
func (a *applier) tagGone(ctx context.Context, ref, id string) string {
	other, err := a.api.inspectImage(ctx, ref)
	if err == nil && other.ID != "" && other.ID != id {
		return "tag now names another image, " + shortID(other.ID)
	}
	return "tag already gone"
}

// forget drops references the daemon removed from the image's lists.
func (im *imageNow) forget(refs []string) {
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
	cur, err := a.api.inspectVolume(ctx, act.Name)
	if err != nil {
		a.finishInspectErr(i, "volume", err)
		return
	}
	if planned, ok := a.volumes[act.Name]; ok && !planned.CreatedAt.IsZero() && !cur.CreatedAt.IsZero() &&
		!planned.CreatedAt.Equal(cur.CreatedAt) {
		a.finish(i, outcomeSkipped, "volume recreated since the plan", 0)
		return
	}
	if err := a.api.removeVolume(ctx, act.Name); err != nil {
		a.finishErr(i, err)
		return
	}
	a.finish(i, outcomeRemoved, "", max(act.Bytes, 0))
}

// network removes one network, by ID: a network recreated under the same
// name is another network, which the daemon reports as not found.
func (a *applier) network(ctx context.Context, i int) {
	act := a.actions[i]
	ref := act.ID
	if ref == "" {
		ref = act.Name
	}
	if err := a.api.removeNetwork(ctx, ref); err != nil {
		a.finishErr(i, err)
		return
	}
	a.finish(i, outcomeRemoved, "", 0)
}

// pruneCache prunes the build cache with the policy's build_cache rule.
func (a *applier) pruneCache(ctx context.Context, i int) {
	if a.buildCache == nil {
		a.finish(i, outcomeFailed, "the policy has no build_cache block", 0)
		return
	}
	n, err := a.api.pruneBuildCache(ctx, *a.buildCache)
	if err != nil {
		a.finishErr(i, err)
		return
	}
	a.finish(i, outcomeRemoved, "the daemon reclaimed "+humanSize(n), n)
}

// listExamples lists up to n items: "a, b, c and 4 more".
func listExamples(items []string, n int) string {
	items = slices.Clone(items)
	slices.Sort(items)
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// journalEntryFor is the journal line of a result.
func journalEntryFor(run, command string, r actionResult) journalEntry {
	act := r.Action
	e := journalEntry{
		Time: r.Time, Run: run, Command: command,
		Kind: act.Kind, Action: act.Action, Ref: act.Ref, Name: act.Name, ID: act.ID,
		Rule: act.Rule, Reason: act.Reason, Bytes: r.Bytes, Outcome: r.Outcome, Detail: r.Detail,
	}
	if act.Kind == policy.KindImage {
		e.Digests = act.Digests
	}
	return e
}
