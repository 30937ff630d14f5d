package plugin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli"
	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"
)

type pruneOptions struct {
	policyFile string
	dryRun     bool
	force      bool
	format     formatValue
}

func newPruneCommand(dockerCli command.Cli) *cobra.Command {
	var opts pruneOptions
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove what the policy says should go",
		Long: "Remove what the policy says should go: the plan \"docker shaper check\" shows, made\n" +
			"now. Each object is re-checked just before it is removed; whatever changed since\n" +
			"the plan (a tag that moved, an image that got a container, an object that is\n" +
			"gone) is skipped and reported. Every outcome is appended to the journal,\n" +
			"$DOCKER_CONFIG/shaper/daemons/<daemon ID>/journal.jsonl.",
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPrune(cmd.Context(), dockerCli, opts) },
	}
	flags := cmd.Flags()
	addPolicyFlag(flags, &opts.policyFile)
	flags.BoolVar(&opts.dryRun, "dry-run", false, "Show what would be removed, and remove nothing")
	flags.BoolVarP(&opts.force, "force", "f", false, "Do not prompt for confirmation")
	addFormatFlag(flags, &opts.format)
	return cmd
}

// runPrune plans with the real clock, shows the plan, asks (unless -f),
// and applies it under the Docker context's lock (see enforce). A dry run
// only plans: it takes no lock and calls no removal.
func runPrune(ctx context.Context, dockerCli command.Cli, opts pruneOptions) error {
	out, errOut := dockerCli.Out(), dockerCli.Err()
	jsonOut := opts.format == formatJSON
	planOpts := planOptions{policyFile: opts.policyFile}

	if opts.dryRun {
		res, err := buildPlan(ctx, dockerCli, planOpts, nil)
		if err != nil {
			return err
		}
		// Exactly what check prints: a dry run is a check made the way
		// prune makes its plan.
		if err := showPlan(out, errOut, res.Plan, opts.format); err != nil {
			return err
		}
		if !jsonOut && len(res.Plan.Actions) > 0 {
			fmt.Fprintln(errOut, "Dry run: nothing was removed.")
		}
		return nil
	}

	shown := false
	show := func(res *planResult) error {
		shown = true
		if jsonOut {
			return nil
		}
		return showPlan(out, errOut, res.Plan, formatTable)
	}
	res, report, err := enforce(ctx, dockerCli, enforceOptions{
		Command: "prune",
		Plan:    planOpts,
		Approve: func(res *planResult) error {
			if err := show(res); err != nil {
				return err
			}
			if opts.force {
				return nil
			}
			return askToPrune(ctx, dockerCli, res.Plan, jsonOut)
		},
		Progress: newProgressWriter(errOut, errOut.IsTerminal()),
		Measure:  true,
	})
	var locked *lockedError
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
			return renderPruneJSON(out, res.Plan, nil)
		}
		if !shown {
			return show(res)
		}
		return nil
	}

	var rerr error
	if jsonOut {
		rerr = renderPruneJSON(out, res.Plan, report)
	} else {
		fmt.Fprintln(out)
		rerr = renderPruneTable(out, report)
	}
	switch {
	case err != nil:
		return err
	case rerr != nil:
		return rerr
	case report.Summary.Failed > 0:
		return cli.StatusError{StatusCode: 1, Status: fmt.Sprintf("%s of %d failed: see above, and the journal",
			plural(report.Summary.Failed, "removal", "removals"), report.Summary.Actions)}
	}
	return nil
}

// askToPrune asks whether to carry out plan. Without a terminal to ask on
// it refuses: prune deletes nothing that nobody confirmed.
func askToPrune(ctx context.Context, dockerCli command.Cli, plan policy.Plan, jsonOut bool) error {
	objects := whatGoes(plan)
	if !dockerCli.In().IsTerminal() {
		return cli.StatusError{StatusCode: 1, Status: fmt.Sprintf(
			"refusing to remove %s without confirmation: standard input is not a terminal, so nothing was removed; "+
				"run \"docker shaper prune -f\" to remove without asking, or --dry-run to only look", objects)}
	}
	if jsonOut { // the plan goes to stdout only at the end: show it where the question is
		if err := renderPlan(dockerCli.Err(), plan, formatTable); err != nil {
			return err
		}
	}
	question := fmt.Sprintf("Remove %s, reclaiming %s?", objects, humanSize(plan.Summary.ReclaimableBytes))
	ok, err := confirm(ctx, dockerCli.In(), dockerCli.Err(), question)
	if err != nil {
		return err
	}
	if !ok {
		return cli.StatusError{StatusCode: 1, Status: "prune cancelled: nothing was removed"}
	}
	return nil
}

// whatGoes counts a plan's actions for people: "12 objects", or "3
// objects and 9 tags" when some actions only untag.
func whatGoes(plan policy.Plan) string {
	tags := 0
	for _, a := range plan.Actions {
		if a.Action == policy.ActionUntag {
			tags++
		}
	}
	s := plural(len(plan.Actions)-tags, "object", "objects")
	if tags > 0 {
		s += " and " + plural(tags, "tag", "tags")
	}
	return s
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
