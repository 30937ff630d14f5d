package plugin

import (
	"context"
	"fmt"

	"github.com/docker/cli/cli"
	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"
)

type validateOptions struct {
	file string
}

func newValidateCommand(dockerCli command.Cli) *cobra.Command {
	var opts validateOptions
	cmd := &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a policy file for errors, without contacting the daemon",
		Long: "Check a policy file for errors, without contacting the daemon. Without FILE,\n" +
			"the policy check and prune would use ($" + policyEnv + ", then\n" +
			"$DOCKER_CONFIG/shaper/policy.hcl, then the embedded default).",
		Args: cli.RequiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				opts.file = args[0]
			}
			return runValidate(cmd.Context(), dockerCli, opts)
		},
	}
	return cmd
}

// runValidate loads the policy and reports: diagnostics to stderr, one OK
// line to stdout when there is no error. It never contacts the daemon.
func runValidate(_ context.Context, dockerCli command.Cli, opts validateOptions) error {
	lp, err := loadPolicy(dockerCli.Err(), opts.file)
	if err != nil {
		return err
	}
	if err := lp.renderDiagnostics(dockerCli.Err()); err != nil {
		return err
	}
	_, err = fmt.Fprintf(dockerCli.Out(), "OK: %s (%s)\n", lp.Name, plural(ruleCount(lp.Policy), "rule", "rules"))
	return err
}
