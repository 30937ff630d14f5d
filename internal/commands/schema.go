package commands

import (
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli"
	"github.com/spf13/cobra"
)

func newSchemaCommand(d deps) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print a JSON Schema of the policy language",
		Long: "Print a JSON Schema (draft 2020-12) of the policy language: every block,\n" +
			"attribute, type and allowed value, with what each means. It describes a\n" +
			"policy in HCL's JSON syntax (image \"old\" { … } is {\"image\": {\"old\": {…}}}),\n" +
			"for generators and editors; validate remains the judge of a policy.",
		Args: cli.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return render.JSON(d.cli.Out(), policy.JSONSchema())
		},
	}
}
