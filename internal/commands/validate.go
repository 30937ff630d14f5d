package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker-shaper/docker-shaper/internal/policyfile"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli"
	"github.com/spf13/cobra"
)

type validateOptions struct {
	policy policyFlag
	files  []string
	format render.Format
}

func newValidateCommand(d deps) *cobra.Command {
	var opts validateOptions
	cmd := &cobra.Command{
		Use:   "validate [OPTIONS] [FILE|-]...",
		Short: "Check policy files for errors, without contacting the daemon",
		Long: "Check policy files for errors, without contacting the daemon. Without FILE,\n" +
			"the policy check and prune would use ($" + policyfile.Env + ", then\n" +
			"$DOCKER_CONFIG/shaper/policy.hcl, then the embedded default). - reads a\n" +
			"policy from standard input, named <stdin> in messages.\n\n" +
			"With --format json, the diagnostics are printed as data on stdout (file,\n" +
			"line, column, end, severity, summary, detail), for editors and CI.",
		Args: cli.RequiresMinArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				// A FILE given is a file named: "" is an error, as for --policy.
				if a == "" {
					return errors.New(`validate "" names no file: give a policy file, or no argument for the usual lookup`)
				}
			}
			opts.files = args
			return runValidate(cmd.Context(), d, opts)
		},
	}
	addFormatFlag(cmd.Flags(), &opts.format)
	return cmd
}

// runValidate loads each policy and reports. As text: diagnostics to
// stderr, one OK line per policy without errors to stdout. As JSON: one
// document with every policy's diagnostics on stdout. It exits 1 when any
// policy has an error, and never contacts the daemon.
func runValidate(_ context.Context, d deps, opts validateOptions) error {
	var sources []policyfile.Source
	if len(opts.files) == 0 {
		src, err := d.lookup(opts.policy).Find()
		if err != nil {
			return err
		}
		sources = append(sources, src)
	}
	for _, f := range opts.files {
		sources = append(sources, policyfile.Source{Path: f, Named: true})
	}

	var (
		doc    render.DiagnosticsDocument
		failed []string
	)
	for _, src := range sources {
		var lp *policyfile.Loaded
		var err error
		if src.Path == "-" {
			// An editor's buffer, piped.
			var text []byte
			if text, err = io.ReadAll(io.LimitReader(d.cli.In(), policy.MaxPolicySize+1)); err != nil {
				return err
			}
			lp, err = policyfile.LoadSource(stdinName, text)
		} else {
			lp, err = policyfile.Load(src)
		}
		var le *policyfile.LoadError
		switch {
		case errors.As(err, &le):
			failed = append(failed, err.Error())
			lp = le.Loaded
		case err != nil:
			return err
		}
		rules := -1
		if lp.Policy != nil {
			rules = policyfile.RuleCount(lp.Policy)
		}
		if opts.format == render.FormatJSON {
			doc.AddDiagnostics(lp.Name(), rules, lp.Diags)
			continue
		}
		if err := render.Diagnostics(d.cli.Err(), lp.Files(), lp.Diags); err != nil {
			return err
		}
		if rules >= 0 {
			if _, err := fmt.Fprintf(d.cli.Out(), "OK: %s (%s)\n", lp.Name(), render.Plural(rules, "rule", "rules")); err != nil {
				return err
			}
		}
	}
	if opts.format == render.FormatJSON {
		if err := render.DiagnosticsJSON(d.cli.Out(), doc); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return cli.StatusError{StatusCode: 1, Status: strings.Join(failed, "\n")}
	}
	return nil
}
