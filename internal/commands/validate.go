package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/docker-shaper/docker-shaper/internal/policyfile"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker/cli/cli"
	"github.com/spf13/cobra"
)

type validateOptions struct {
	policy policyFlag
}

func newValidateCommand(d deps) *cobra.Command {
	var opts validateOptions
	cmd := &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a policy file for errors, without contacting the daemon",
		Long: "Check a policy file for errors, without contacting the daemon. Without FILE,\n" +
			"the policy check and prune would use ($" + policyfile.Env + ", then\n" +
			"$DOCKER_CONFIG/shaper/policy.hcl, then the embedded default).",
		Args: cli.RequiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				// A FILE given is a file named: "" is an error, as for --policy.
				if args[0] == "" {
					return errors.New(`validate "" names no file: give a policy file, or no argument for the usual lookup`)
				}
				opts.policy = policyFlag{path: args[0], set: true}
			}
			return runValidate(cmd.Context(), d, opts)
		},
	}
	return cmd
}

// runValidate loads the policy and reports: diagnostics to stderr, one OK
// line to stdout when there is no error. It never contacts the daemon.
func runValidate(_ context.Context, d deps, opts validateOptions) error {
	lp, err := d.loadPolicy(d.cli.Err(), opts.policy)
	if err != nil {
		return err
	}
	if err := render.Diagnostics(d.cli.Err(), lp.Files(), lp.Diags); err != nil {
		return err
	}
	_, err = fmt.Fprintf(d.cli.Out(), "OK: %s (%s)\n", lp.Name(), render.Plural(policyfile.RuleCount(lp.Policy), "rule", "rules"))
	return err
}
