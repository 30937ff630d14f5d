package plugin

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/docker/cli/cli/command"
)

// enforceOptions are the parameters of one plan-and-apply.
type enforceOptions struct {
	// Command names who enforces, "prune" or "watch": the lock's holder is
	// "docker shaper <Command>", and journal entries carry it.
	Command string
	// Plan is how the plan is made (policy file, time).
	Plan planOptions
	// Host is the daemon to enforce on, when the caller resolved it (the
	// watcher does, once); nil resolves it here.
	Host *host
	// Approve sees the plan before anything is removed, when it has
	// actions; an error stops there, with nothing removed (prune asks its
	// question here). nil approves every plan.
	Approve func(*planResult) error
	// Progress, Measure and Concurrency are passed on to applyPlan.
	Progress    applyProgress
	Measure     bool
	Concurrency int
}

// enforce is "plan and apply" as prune and the watcher do it: take the
// daemon's removal lock (a *lockedError names the holder when another
// prune or watcher has it, through whichever context), build the plan with
// buildPlan, let Approve see it, then apply it with applyPlan, journalling
// every outcome to the daemon's journal.jsonl. The lock is held from before
// the plan is made until the journal is synced.
//
// The plan result is returned whenever a plan was made; the report is nil
// when nothing was applied (the plan was empty or not approved). The error
// is the first of: lock, plan, approval, journal, or what stopped the
// apply as a whole; removals that failed are only counted in the report.
func enforce(ctx context.Context, dockerCli command.Cli, opts enforceOptions) (*planResult, *applyReport, error) {
	h := opts.Host
	if h == nil {
		var err error
		if h, err = resolveHost(ctx, dockerCli); err != nil {
			return nil, nil, daemonError(dockerCli, err)
		}
	}
	dir := h.Dir
	release, err := acquireLock(dir, "docker shaper "+opts.Command)
	if err != nil {
		return nil, nil, err
	}
	defer release()

	res, err := buildPlan(ctx, dockerCli, opts.Plan, h)
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

	j, err := openJournal(filepath.Join(dir, journalFileName))
	if err != nil {
		return res, nil, fmt.Errorf("%w: nothing was removed", err)
	}
	report, err := applyPlan(ctx, newDaemonApplier(finishingClient{dockerCli.Client()}), res, applyOptions{
		Command:     opts.Command,
		Journal:     j,
		Progress:    opts.Progress,
		Measure:     opts.Measure,
		Concurrency: opts.Concurrency,
	})
	if cerr := j.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	loggerFrom(ctx).Debug("applied", "actions", len(res.Plan.Actions), "took", report.Took, "journal", j.Path())
	return res, report, err
}
