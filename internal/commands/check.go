package commands

import (
	"context"

	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker/cli/cli"
	"github.com/spf13/cobra"
)

type checkOptions struct {
	plan   planOptions
	format render.Format
	fleet  fleetFlags
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
	addFormatFlag(flags, &opts.format)
	addFleetFlags(flags, &opts.fleet)
	return cmd
}

// runCheck prints the plan. It only reads from the daemon (and records the
// images it sees for the first time in the daemon's state).
func runCheck(ctx context.Context, d deps, opts checkOptions) error {
	if opts.fleet.enabled() {
		return runPlanFleet(ctx, d, opts.plan, opts.format, opts.fleet, false)
	}
	res, err := d.buildPlan(ctx, opts.plan, nil)
	if err != nil {
		return err
	}
	return render.ShowPlan(d.cli.Out(), d.cli.Err(), res.Plan, opts.format)
}
