package commands

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli"
	"github.com/spf13/cobra"
)

type pruneOptions struct {
	policy policyFlag
	dryRun bool
	force  bool
	output outputOptions
	fleet  fleetFlags
}

func newPruneCommand(d deps) *cobra.Command {
	var opts pruneOptions
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove what the policy says should go",
		Long: "Remove what the policy says should go: the plan \"docker shaper check\" shows, made\n" +
			"now. Each object is re-checked just before it is removed; whatever changed since\n" +
			"the plan (a tag that moved, an image that got a container, an object that is\n" +
			"gone) is skipped and reported. Every outcome is appended to the journal,\n" +
			"$DOCKER_CONFIG/shaper/daemons/<daemon>/journal.jsonl.",
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.fleet.enabled() {
				if err := opts.output.fleetSupported(false); err != nil {
					return err
				}
			}
			switch {
			case opts.fleet.enabled() && opts.dryRun:
				return runPlanFleet(cmd.Context(), d, opts.planOptions(d.cli.Out()), opts.output.format, opts.fleet, true, false)
			case opts.fleet.enabled():
				return runPruneFleet(cmd.Context(), d, opts)
			case opts.dryRun:
				return runPruneDryRun(cmd.Context(), d, opts)
			}
			return runPrune(cmd.Context(), d, opts)
		},
	}
	flags := cmd.Flags()
	addPolicyFlag(flags, &opts.policy)
	flags.BoolVar(&opts.dryRun, "dry-run", false, "Show what would be removed, and remove nothing")
	flags.BoolVarP(&opts.force, "force", "f", false, "Do not prompt for confirmation")
	addOutputFlags(flags, &opts.output)
	addFleetFlags(flags, &opts.fleet)
	return cmd
}

// runPruneDryRun prints exactly what check prints: a dry run is a check
// made the way prune makes its plan. It takes no lock and calls no
// removal.
func runPruneDryRun(ctx context.Context, d deps, opts pruneOptions) error {
	res, err := d.buildPlan(ctx, opts.planOptions(d.cli.Out()), nil)
	if err != nil {
		return err
	}
	if err := opts.output.showPlan(d, res.Plan, false); err != nil {
		return err
	}
	if !opts.output.jsonOut() && !opts.output.quiet && len(res.Plan.Actions) > 0 {
		fmt.Fprintln(d.cli.Err(), "Dry run: nothing was removed.")
	}
	return nil
}

// runPrune plans with the real clock, shows the plan, asks (unless -f),
// and applies it under the daemon's removal lock (see enforce). SIGINT and
// SIGTERM stop it cleanly (see interruptible): the exit status says so.
func runPrune(ctx context.Context, d deps, opts pruneOptions) error {
	return untilInterrupted(ctx, "the journal", func(ctx context.Context) error { return prune(ctx, d, opts) })
}

// untilInterrupted runs a prune that SIGINT and SIGTERM stop cleanly (see
// interruptible), and says so in its error: the exit status is the
// signal's, and every outcome is in journals.
func untilInterrupted(ctx context.Context, journals string, run func(context.Context) error) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	err := run(ctx)
	var sig interrupted
	if errors.As(context.Cause(ctx), &sig) && err != nil {
		return cli.StatusError{StatusCode: sig.exitCode(), Status: fmt.Sprintf(
			"prune %s: no removal was started after it; every outcome is in %s", sig, journals)}
	}
	return err
}

func prune(ctx context.Context, d deps, opts pruneOptions) error {
	out, errOut := d.cli.Out(), d.cli.Err()
	jsonOut := opts.output.jsonOut()
	// dataOut: stdout gets only the document or the rows, at the end;
	// the plan is shown on stderr, where the question is.
	dataOut := jsonOut || opts.output.rows()
	shown := false
	show := func(res *planResult) error {
		shown = true
		if dataOut {
			return nil
		}
		return render.ShowPlan(out, errOut, res.Plan, render.FormatTable)
	}
	res, report, err := d.enforce(ctx, enforceOptions{
		Command: "prune",
		Plan:    opts.planOptions(d.cli.Out()),
		Approve: func(res *planResult) error {
			if err := show(res); err != nil {
				return err
			}
			if opts.force {
				return nil
			}
			return askToPrune(ctx, d, res.Plan, dataOut)
		},
		Progress: render.NewProgress(errOut, errOut.IsTerminal()),
		Measure:  true,
		// Without a question the removals start right after the
		// snapshot: its disk usage is the usage before.
		MeasureFromPlan: opts.force,
	})
	var locked *store.LockedError
	switch {
	case errors.As(err, &locked):
		return cli.StatusError{StatusCode: 1, Status: err.Error() + ": nothing was removed"}
	case res == nil:
		return err
	case report == nil: // nothing to do, or not approved
		if err != nil {
			return err
		}
		if jsonOut {
			return render.PruneJSON(out, res.Plan, nil)
		}
		if dataOut {
			return nil
		}
		if !shown {
			return show(res)
		}
		return nil
	}
	return reportPrune(d, res.Plan, report, err, opts.output)
}

// planOptions are how prune makes its plan: with the real clock; with
// --format json, a policy that does not load is a JSON document on out,
// as for check.
func (opts pruneOptions) planOptions(out io.Writer) planOptions {
	po := planOptions{policy: opts.policy, filter: &opts.output.filter}
	if opts.output.jsonOut() {
		po.jsonDiagnostics = out
	}
	return po
}

// reportPrune prints the outcome of an apply, and says how it ended: the
// apply's own error first, then a failed removal.
func reportPrune(d deps, plan policy.Plan, report *apply.Report, applyErr error, output outputOptions) error {
	var rerr error
	switch {
	case output.jsonOut():
		rerr = render.PruneJSON(d.cli.Out(), plan, report)
	case output.rows():
		rerr = output.showResults(d.cli.Out(), report)
	default:
		fmt.Fprintln(d.cli.Out())
		rerr = render.PruneTable(d.cli.Out(), report)
	}
	switch {
	case applyErr != nil:
		return applyErr
	case rerr != nil:
		return rerr
	}
	return removalsError(report.Summary.Counts, "the journal")
}

// removalsError ends a prune whose removals did not all go as planned
// with a non-zero exit: some failed, or what some did is unknown.
// journals says where each outcome is recorded.
func removalsError(c apply.Counts, journals string) error {
	switch {
	case c.Failed > 0:
		return cli.StatusError{StatusCode: 1, Status: fmt.Sprintf("%s of %d failed: see above, and %s",
			render.Plural(c.Failed, "removal", "removals"), c.Actions, journals)}
	case c.Unknown > 0:
		return cli.StatusError{StatusCode: 1, Status: fmt.Sprintf("what %s of %d did is unknown: the daemon could not be asked; "+
			"the next prune or watch reconciles it", render.Plural(c.Unknown, "removal", "removals"), c.Actions)}
	}
	return nil
}

// askToPrune asks whether to carry out plan. Without a terminal to ask on
// it refuses: prune deletes nothing that nobody confirmed.
func askToPrune(ctx context.Context, d deps, plan policy.Plan, dataOut bool) error {
	objects := render.WhatGoes(plan)
	if !d.cli.In().IsTerminal() {
		return cli.StatusError{StatusCode: 1, Status: fmt.Sprintf(
			"refusing to remove %s without confirmation: standard input is not a terminal, so nothing was removed; "+
				"run \"docker shaper prune -f\" to remove without asking, or --dry-run to only look", objects)}
	}
	if dataOut { // stdout gets only the document or the rows, at the end: show the plan where the question is
		if err := render.Plan(d.cli.Err(), plan, render.FormatTable); err != nil {
			return err
		}
	}
	question := fmt.Sprintf("Remove %s, reclaiming %s?", objects, policy.HumanSize(plan.Summary.ReclaimableBytes))
	ok, err := confirm(ctx, d.cli.In(), d.cli.Err(), question)
	if err != nil {
		return err
	}
	if !ok {
		return cli.StatusError{StatusCode: 1, Status: "prune cancelled: nothing was removed"}
	}
	return nil
}

// confirm asks question on out and reads the answer from in: only "y" or
// "yes" (any case) is a yes. An interrupt (ctx) is a no.
func confirm(ctx context.Context, in io.Reader, out io.Writer, question string) (bool, error) {
	fmt.Fprintf(out, "%s [y/N] ", question)
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(in).ReadString('\n')
		answer <- line
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(out)
		return false, nil
	case line := <-answer:
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return true, nil
		}
		return false, nil
	}
}
