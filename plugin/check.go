package plugin

import (
	"context"

	"github.com/docker/cli/cli"
	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"
)

type checkOptions struct {
	plan   planOptions
	format formatValue
}

func newCheckCommand(dockerCli command.Cli) *cobra.Command {
	var opts checkOptions
	cmd := &cobra.Command{
		Use:   "check [OPTIONS]",
		Short: "Show what the policy would remove, without removing anything",
		Long: "Show what the policy would remove, without removing anything: the plan that\n" +
			"\"docker shaper prune\" would carry out now (or at --now).",
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCheck(cmd.Context(), dockerCli, opts) },
	}
	flags := cmd.Flags()
	addPolicyFlag(flags, &opts.plan.policyFile)
	addNowFlag(flags, &opts.plan.now)
	addFormatFlag(flags, &opts.format)
	return cmd
}

// runCheck prints the plan. It only reads from the daemon.
func runCheck(ctx context.Context, dockerCli command.Cli, opts checkOptions) error {
	res, err := buildPlan(ctx, dockerCli, opts.plan, nil)
	if err != nil {
		return err
	}
	return showPlan(dockerCli.Out(), dockerCli.Err(), res.Plan, opts.format)
}
