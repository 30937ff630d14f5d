package plugin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli"
	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/config"
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
			"$DOCKER_CONFIG/shaper/<context>/journal.jsonl.",
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

// runPrune plans with the real clock, shows the plan, asks (unless -f), and
// applies it under the Docker context's lock.
func runPrune(ctx context.Context, dockerCli command.Cli, opts pruneOptions) error {
	dir := contextDir(config.Dir(), dockerCli.CurrentContext())
	if !opts.dryRun {
		// Locked before planning: the plan is not made from a host another
		// prune (or the watcher) is changing, and a second prune fails
		// before it shows a plan it could not carry out.
		release, err := acquireLock(dir, "docker shaper prune")
		if err != nil {
			var locked *lockedError
			if errors.As(err, &locked) {
				return cli.StatusError{StatusCode: 1, Status: err.Error() + ": nothing was removed"}
			}
			return err
		}
		defer release()
	}

	res, err := buildPlan(ctx, dockerCli, planOptions{policyFile: opts.policyFile})
	if err != nil {
		return err
	}
	plan := res.Plan
	out, errOut := dockerCli.Out(), dockerCli.Err()
	jsonOut := opts.format == formatJSON

	if !jsonOut {
		fmt.Fprintf(errOut, "Policy: %s\n", plan.Policy)
		if err := renderPlan(out, plan, formatTable); err != nil {
			return err
		}
	}
	if opts.dryRun || len(plan.Actions) == 0 {
		switch {
		case jsonOut && opts.dryRun:
			// Exactly what check prints: a dry run is a check made the
			// way prune makes its plan.
			return renderPlanJSON(out, plan)
		case jsonOut:
			return renderPruneJSON(out, plan, nil)
		}
		if opts.dryRun && len(plan.Actions) > 0 {
			fmt.Fprintln(errOut, "Dry run: nothing was removed.")
		}
		return nil
	}

	if !opts.force {
		question := fmt.Sprintf("Remove %s, reclaiming %s?", plural(len(plan.Actions), "object", "objects"),
			humanSize(plan.Summary.ReclaimableBytes))
		if !dockerCli.In().IsTerminal() {
			return cli.StatusError{StatusCode: 1, Status: fmt.Sprintf(
				"refusing to remove %s without confirmation: standard input is not a terminal, so nothing was removed; "+
					"run \"docker shaper prune -f\" to remove without asking, or --dry-run to only look",
				plural(len(plan.Actions), "object", "objects"))}
		}
		if jsonOut { // the plan was not shown: show it where the question is asked
			if err := renderPlan(errOut, plan, formatTable); err != nil {
				return err
			}
		}
		ok, err := confirm(ctx, dockerCli.In(), errOut, question)
		if err != nil {
			return err
		}
		if !ok {
			return cli.StatusError{StatusCode: 1, Status: "prune cancelled: nothing was removed"}
		}
	}

	j, err := openJournal(filepath.Join(dir, journalFileName))
	if err != nil {
		return fmt.Errorf("%w: nothing was removed", err)
	}
	report, applyErr := applyPlan(ctx, newDaemonApplier(dockerCli.Client()), res, applyOptions{
		Command:  "prune",
		Journal:  j,
		Progress: newProgressWriter(errOut, errOut.IsTerminal()),
		Measure:  true,
	})
	if err := j.Close(); err != nil && applyErr == nil {
		applyErr = err
	}
	loggerFrom(ctx).Debug("applied", "took", report.Took, "journal", j.Path())

	if jsonOut {
		err = renderPruneJSON(out, plan, report)
	} else {
		fmt.Fprintln(out)
		err = renderPruneTable(out, report)
	}
	switch {
	case applyErr != nil:
		return applyErr
	case err != nil:
		return err
	case report.Summary.Failed > 0:
		return cli.StatusError{StatusCode: 1, Status: fmt.Sprintf("%s of %d failed: see the journal, %s",
			plural(report.Summary.Failed, "removal", "removals"), report.Summary.Actions, j.Path())}
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
