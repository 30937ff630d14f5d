package commands

import (
	"context"
	"fmt"

	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli"
	"github.com/spf13/cobra"
)

type explainOptions struct {
	plan   planOptions
	format render.Format
	query  string
}

func newExplainCommand(d deps) *cobra.Command {
	var opts explainOptions
	cmd := &cobra.Command{
		Use:   "explain [OPTIONS] REFERENCE|CONTAINER|VOLUME|NETWORK",
		Short: "Say what the policy decides about one object, and why",
		Long: "Say what the policy decides about an image (by reference or ID), a container,\n" +
			"a volume or a network: the rule that claims it or the protection that keeps it,\n" +
			"every other protection that applies and the containers that use it, the\n" +
			"timestamps used and their basis, its keep rank, and whether the plan removes\n" +
			"it now or from when its age conditions hold. It only reads from the daemon.",
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.query = args[0]
			return runExplain(cmd.Context(), d, opts)
		},
	}
	flags := cmd.Flags()
	addPolicyFlag(flags, &opts.plan.policy)
	addNowFlag(flags, &opts.plan.now)
	addFormatFlag(flags, &opts.format)
	return cmd
}

// runExplain explains from the very plan check would print, so the two
// can never disagree.
func runExplain(ctx context.Context, d deps, opts explainOptions) error {
	res, err := d.buildPlan(ctx, opts.plan, nil)
	if err != nil {
		return err
	}
	ex := policy.Explain(res.Policy.Policy, res.Plan, res.Snapshot, opts.query)
	if len(ex.Objects) == 0 {
		return cli.StatusError{StatusCode: 1,
			Status: fmt.Sprintf("no image, container, volume or network is named %q on this host", opts.query)}
	}
	if opts.format == render.FormatJSON {
		return render.JSON(d.cli.Out(), ex)
	}
	render.PlanHeader(d.cli.Err(), res.Plan)
	return render.Explanation(d.cli.Out(), ex, res.Plan.Now)
}
