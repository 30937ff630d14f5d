package commands

import (
	"context"
	"fmt"

	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker/cli/cli"
	"github.com/spf13/cobra"
)

type checkOptions struct {
	plan     planOptions
	output   outputOptions
	showKept bool
	exitCode bool
	rules    bool
	fleet    fleetFlags
}

func newCheckCommand(d deps) *cobra.Command {
	var opts checkOptions
	cmd := &cobra.Command{
		Use:   "check [OPTIONS]",
		Short: "Show what the policy would remove, without removing anything",
		Long: "Show what the policy would remove, without removing anything: the plan that\n" +
			"\"docker shaper prune\" would carry out now (or at --now).",
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCheck(cmd.Context(), d, opts) },
	}
	flags := cmd.Flags()
	addPolicyFlag(flags, &opts.plan.policy)
	addNowFlag(flags, &opts.plan.now)
	addOutputFlags(flags, &opts.output)
	opts.plan.filter = &opts.output.filter
	flags.BoolVar(&opts.showKept, "show-kept", false, "Also list what the rules claim and keep, and why")
	flags.BoolVar(&opts.exitCode, "exit-code", false, "Exit with status 2 when something is due for removal, 0 when nothing is (1 is an error)")
	addRulesFlag(flags, &opts.rules)
	addFleetFlags(flags, &opts.fleet)
	return cmd
}

// runCheck prints the plan. It only reads from the daemon (and records the
// images it sees for the first time in the daemon's state).
func runCheck(ctx context.Context, d deps, opts checkOptions) error {
	if opts.output.jsonOut() {
		opts.plan.jsonDiagnostics = d.cli.Out() // a broken policy is data too
	}
	if opts.rules {
		if err := checkRulesOptions(opts.output.format, opts.fleet); err != nil {
			return err
		}
		opts.plan.analyze = true
	}
	if opts.fleet.enabled() {
		if err := opts.output.fleetSupported(opts.showKept); err != nil {
			return err
		}
		return runPlanFleet(ctx, d, opts.plan, opts.output.format, opts.fleet, false, opts.exitCode)
	}
	res, err := d.buildPlan(ctx, opts.plan, nil)
	if err != nil {
		return err
	}
	if opts.rules {
		return showRules(d, res, opts.output.format)
	}
	if err := opts.output.showPlan(d, res.Plan, opts.showKept); err != nil {
		return err
	}
	if n := len(res.Plan.Actions); opts.exitCode && n > 0 {
		// terraform plan -detailed-exitcode: 2 says "changes", for CI.
		return cli.StatusError{StatusCode: 2, Status: fmt.Sprintf("%s due for removal (--exit-code)", render.WhatGoes(res.Plan))}
	}
	return nil
}
