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
