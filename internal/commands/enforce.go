package commands

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/internal/store"
)

// enforceOptions are the parameters of one plan-and-apply.
type enforceOptions struct {
	// Command names who enforces, "prune" or "watch": the lock's holder is
	// "docker shaper <Command>", and journal entries carry it.
	Command string
	// Plan is how the plan is made (policy, time).
	Plan planOptions
	// Host is the daemon to enforce on, when the caller resolved it (the
	// watcher does, once); nil resolves it here.
	Host *store.Host
	// Approve sees the plan before anything is removed, when it has
	// actions; an error stops there, with nothing removed (prune asks its
	// question here). nil approves every plan.
	Approve func(*planResult) error
	// Progress, Measure and Concurrency are passed on to apply.
	Progress    apply.Progress
	Measure     bool
	Concurrency int
	// MeasureFromPlan takes the disk usage the plan's snapshot read as the
	// usage before (with Measure): for an apply that follows the plan at
	// once (prune -f), measuring again would repeat the daemon's slowest
	// computation for the same answer.
	MeasureFromPlan bool
}

// enforce is "plan and apply" as prune and the watcher do it: take the
// daemon's removal lock (a *store.LockedError names the holder when another
// prune or watcher has it, through whichever context), build the plan with
// buildPlan, let Approve see it, then apply it, journalling every outcome
// to the daemon's journal. The lock is held from before the plan is made
// until the journal is synced.
//
// The plan result is returned whenever a plan was made; the report is nil
// when nothing was applied (the plan was empty or not approved). The error
// is the first of: lock, plan, approval, journal, or what stopped the
// apply as a whole; removals that failed are only counted in the report.
func (d deps) enforce(ctx context.Context, opts enforceOptions) (*planResult, *apply.Report, error) {
	// A policy that does not load stops the run before the daemon is
	// contacted or the journal is reconciled.
	if opts.Plan.loaded == nil {
		lp, err := d.loadPolicyTo(d.cli.Err(), opts.Plan.jsonDiagnostics, opts.Plan.policy)
		if err != nil {
			return nil, nil, err
		}
		opts.Plan.loaded = lp
	}
	if err := checkFilter(opts.Plan.planFilter(), opts.Plan.loaded); err != nil {
		return nil, nil, err
	}
	h := opts.Host
	if h == nil {
		var err error
		if h, err = d.resolveHost(ctx); err != nil {
			return nil, nil, d.daemonError(err)
		}
	}
	release, err := store.AcquireRemovalLock(h.Dir, "docker shaper "+opts.Command, d.clock())
	if err != nil {
		return nil, nil, err
	}
	defer release()

	jpath := filepath.Join(h.Dir, store.JournalFile)
	remover := docker.NewRemover(docker.FinishingClient{APIClient: d.cli.Client()}, d.clock)
	if err := d.reconcile(ctx, jpath, remover); err != nil {
		return nil, nil, fmt.Errorf("%w: nothing was removed", err)
	}

	res, err := d.buildPlan(ctx, opts.Plan, h)
	if err != nil {
		return nil, nil, err
	}
	if len(res.Plan.Actions) == 0 {
		return res, nil, nil
	}
	if opts.Approve != nil {
		if err := opts.Approve(res); err != nil {
			return res, nil, err
		}
	}

	j, err := store.OpenJournal(jpath)
	if err != nil {
		return res, nil, fmt.Errorf("%w: nothing was removed", err)
	}
	defer j.Close()
	var before apply.DiskTotals
	if opts.Measure && opts.MeasureFromPlan {
		before = res.Usage
	}
	report, err := apply.Apply(ctx, remover, res.Plan.Actions, apply.Options{
		Command:     opts.Command,
		Journal:     journal{j: j, clock: d.clock},
		Progress:    opts.Progress,
		Measure:     opts.Measure,
		Before:      before,
		Concurrency: opts.Concurrency,
		Clock:       d.clock,
	})
	if cerr := j.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	logging.From(ctx).Debug("applied", "actions", len(res.Plan.Actions), "took", report.Took, "journal", j.Path())
	return res, report, err
}
