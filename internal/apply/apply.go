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
	// OutcomeUnknown: a removal call went wrong in a way that leaves it
	// open whether it took effect (the daemon went away in the middle),
	// and the daemon could not be asked. The next run reconciles it.
	OutcomeUnknown = "unknown"
)

// DefaultConcurrency is how many images (and containers, volumes,
// networks) are removed at once. The daemon serialises much of the work on
// its side: more buys little and makes its lock contention worse.
const DefaultConcurrency = 4

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
	// Deleted are the images the daemon deleted with this action besides
	// the action's own: untagged parents pruned with a child.
	Deleted []string
	// Seq is the action's place in the plan, as the journal numbers it.
	Seq int
}

// Progress is told about every result as it is known; calls are
// serialised by Apply.
type Progress interface {
	Start(total int)
	Done(r Result, done, total int)
	Finish()
}

// Journal records a run: its beginning, the intent of each removal just
// before the first call that changes the host, every result, and its end.
// A write error stops the apply: actions not yet attempted are skipped,
// and nothing is sent to the daemon that the journal did not record first.
type Journal interface {
	Begin(run, command string, actions int) error
	Intend(run, command string, seq int, act policy.Action) error
	Record(run, command string, r Result) error
	End(run, command string, s Summary) error
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
	// Before, when set with Measure, is the disk usage before, measured
	// by the caller just before (the snapshot the plan was made from):
	// only the usage after is measured.
	Before DiskTotals
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
	switch {
	case opts.Measure && opts.Before != nil:
		before = opts.Before
	case opts.Measure:
		var err error
		if before, err = d.Usage(ctx); err != nil {
			logger.Warn("cannot measure disk usage before pruning", "err", err)
			before = nil
		}
	}

	if j := opts.Journal; j != nil {
		if err := j.Begin(a.run, opts.Command, len(actions)); err != nil {
			a.journalErr = err
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
	// A run with an unknown outcome stays open in the journal: the next
	// run reconciles it.
	if j := opts.Journal; j != nil && a.journalErr == nil && report.Summary.Unknown == 0 {
		if err := j.End(a.run, opts.Command, report.Summary); err != nil {
			a.journalErr = err
		}
	}

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

	mu         sync.Mutex // guards done, journalErr, intended, and calls to Progress and Journal
	done       int
	journalErr error
	intended   []bool // the journal has the intent of action i
}

func newApplier(api Daemon, actions []policy.Action, opts Options) *applier {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	return &applier{
		api:      api,
		opts:     opts,
		run:      fmt.Sprintf("%s-%d", opts.Clock().UTC().Format("20060102T150405.000Z"), os.Getpid()),
		actions:  actions,
		results:  make([]Result, len(actions)),
		intended: make([]bool, len(actions)),
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
	for _, wave := range childrenFirst(a.actions, imageGroups) {
		a.parallelGroups(ctx, wave, a.imageGroup)
	}
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

// childrenFirst orders the image groups in waves: the images nothing in
// the plan is built on first, then their parents, and so on. A parent
// removed with its children then goes by its own removal, once the last
// child is gone, and each image's result says what happened to it (a
// parent untagged before its child would be deleted by the child's
// removal instead).
func childrenFirst(actions []policy.Action, groups [][]int) [][][]int {
	groupOf := make(map[string]int, len(groups))
	for g, idx := range groups {
		groupOf[actions[idx[0]].ID] = g
	}
	height := make([]int, len(groups))
	for _, idx := range groups {
		// Walk up from each group: every ancestor in the plan is at least
		// one higher than its child.
		h, id := 0, actions[idx[0]].Parent
		for hops := 0; id != "" && hops < len(groups); hops++ {
			pg, ok := groupOf[id]
			if !ok {
				break
			}
			h++
			height[pg] = max(height[pg], h)
			id = actions[groups[pg][0]].Parent
		}
	}
	var waves [][][]int
	for g, idx := range groups {
		for len(waves) <= height[g] {
			waves = append(waves, nil)
		}
		waves[height[g]] = append(waves[height[g]], idx)
	}
	return waves
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
	a.finishResult(Result{Outcome: outcome, Detail: detail, Bytes: bytes}, i)
}

// finishResult records r as the result of action i.
func (a *applier) finishResult(r Result, i int) {
	r.Action, r.Seq, r.Time = a.actions[i], i, a.opts.Clock()
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

// intend journals that action i is about to change the host. When it
// cannot be journalled, the action is finished as not attempted and
// intend returns false: nothing is removed that the journal did not
// record first.
func (a *applier) intend(i int) bool {
	j := a.opts.Journal
	if j == nil {
		return true
	}
	a.mu.Lock()
	err := a.journalErr
	if err == nil && !a.intended[i] {
		if err = j.Intend(a.run, a.opts.Command, i, a.actions[i]); err != nil {
			a.journalErr = err
		}
		a.intended[i] = true
	}
	a.mu.Unlock()
	if err != nil {
		a.finish(i, OutcomeSkipped, "not attempted: the journal cannot be written", 0)
		return false
	}
	return true
}

// settleTimeout bounds the look at an object after a removal call failed.
const settleTimeout = 10 * time.Second

// settle records the outcome of a removal call for action i that returned
// err. Gone and known-safe races are skipped. Anything else may or may
// not have taken effect (the daemon went away in the middle of the call, a
// connection dropped, the call was cut short), so the object is looked at
// again and what is true is recorded; when the daemon cannot even be
// asked, the outcome is unknown, and the next run reconciles it.
func (a *applier) settle(ctx context.Context, i int, err error) {
	outcome, detail := classifyRemoveError(err)
	if outcome == OutcomeSkipped && !errors.Is(err, context.Canceled) {
		a.finish(i, outcome, detail, 0)
		return
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	truth, lerr := lookAgain(lctx, a.api, a.actions[i])
	switch {
	case lerr != nil:
		a.finish(i, OutcomeUnknown, fmt.Sprintf("the call failed (%s) and the daemon could not be asked what happened (%s): "+
			"the next prune or watch checks", err, lerr), 0)
	case truth.Outcome == "":
		if errors.Is(err, context.Canceled) {
			outcome, detail = OutcomeSkipped, "interrupted: the call was cut short, and the object is unchanged"
		}
		a.finish(i, outcome, detail, 0)
	default:
		truth.Detail += " (the call itself failed: " + err.Error() + ")"
		a.finishResult(truth, i)
	}
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
