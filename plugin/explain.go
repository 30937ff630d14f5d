package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker/cli/cli"
	"github.com/docker/cli/cli/command"
	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/docker-shaper/docker-shaper/policy"
)

type explainOptions struct {
	plan   planOptions
	format formatValue
	query  string
}

func newExplainCommand(dockerCli command.Cli) *cobra.Command {
	var opts explainOptions
	cmd := &cobra.Command{
		Use:   "explain [OPTIONS] REFERENCE|CONTAINER|VOLUME|NETWORK",
		Short: "Say what the policy decides about one object, and why",
		Long: "Say what the policy decides about an image (by reference or ID), a container,\n" +
			"a volume or a network: the rule that claims it or the protection that keeps it,\n" +
			"the timestamps used and their basis, its keep rank, and whether the plan removes\n" +
			"it now or from when its age conditions hold. It only reads from the daemon.",
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.query = args[0]
			return runExplain(cmd.Context(), dockerCli, opts)
		},
	}
	flags := cmd.Flags()
	addPolicyFlag(flags, &opts.plan.policyFile)
	addNowFlag(flags, &opts.plan.now)
	addFormatFlag(flags, &opts.format)
	return cmd
}

// runExplain explains from the very plan check would print, so the two
// can never disagree.
func runExplain(ctx context.Context, dockerCli command.Cli, opts explainOptions) error {
	res, err := buildPlan(ctx, dockerCli, opts.plan, nil)
	if err != nil {
		return err
	}
	ex := policy.Explain(res.Policy.Policy, res.Plan, res.Snapshot, opts.query)
	if len(ex.Objects) == 0 {
		return cli.StatusError{StatusCode: 1,
			Status: fmt.Sprintf("no image, container, volume or network is named %q on this host", opts.query)}
	}
	if opts.format == formatJSON {
		if ex.Objects == nil {
			ex.Objects = []policy.ExplainedObject{}
		}
		enc := json.NewEncoder(dockerCli.Out())
		enc.SetIndent("", "  ")
		return enc.Encode(ex)
	}
	fmt.Fprintf(dockerCli.Err(), "Policy: %s\n", res.Plan.Policy)
	if d := res.Plan.Daemon; d != nil {
		fmt.Fprintf(dockerCli.Err(), "Daemon: %s\n", daemonLine(*d))
	}
	return renderExplanation(dockerCli.Out(), ex, res.Plan.Now)
}

// renderExplanation prints each object: a heading, its timestamps, one
// line per decision (per tag for images) with every protection that also
// applies, and the containers that use it with their own fate.
func renderExplanation(w io.Writer, ex policy.Explanation, now time.Time) error {
	for i, obj := range ex.Objects {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, explainHeading(obj))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, t := range obj.Times {
			note := ""
			if t.LowerBound {
				note = "  at least: when docker-shaper first looked"
			}
			fmt.Fprintf(tw, "  %s\t%s\t(%s)%s\n", t.Name, t.Time.UTC().Format(time.RFC3339), relative(t.Time, now), note)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		if obj.Kind == policy.KindImage {
			fmt.Fprintln(tw, "  TAG\tVERDICT\tRULE\tREASON")
		} else {
			fmt.Fprintln(tw, "  \tVERDICT\tRULE\tREASON")
		}
		for _, d := range obj.Decisions {
			ref := d.Ref
			if obj.Kind == policy.KindImage && ref == "" {
				ref = "<none>"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", ref, d.Verdict, dash(d.Rule), d.Reason)
			if line := decisionDetail(d, now); line != "" {
				fmt.Fprintf(tw, "  \t\t\t%s\n", line)
			}
			for _, p := range d.Protections {
				if p.Rule == d.Rule && d.Verdict == policy.VerdictProtected {
					continue // the one the plan gives, shown above
				}
				fmt.Fprintf(tw, "  \t\t\talso kept: %s (%s)\n", p.Reason, p.Rule)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(obj.Users) > 0 {
			fmt.Fprintln(w, "  used by:")
			tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "    CONTAINER\tSTATE\tVERDICT\tRULE\tREASON")
			for _, u := range obj.Users {
				fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\n", u.Name, u.State, u.Decision.Verdict, dash(u.Decision.Rule), u.Decision.Reason)
				if !u.Decision.ExpiresAt.IsZero() {
					fmt.Fprintf(tw, "    \t\t\t\tremovable from %s (%s)\n",
						u.Decision.ExpiresAt.UTC().Format(time.RFC3339), relative(u.Decision.ExpiresAt, now))
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func explainHeading(obj policy.ExplainedObject) string {
	switch obj.Kind {
	case policy.KindImage:
		return "IMAGE " + shortID(obj.ID)
	case policy.KindVolume:
		return "VOLUME " + obj.Name
	default:
		return strings.ToUpper(obj.Kind) + " " + obj.Name + " " + shortID(obj.ID)
	}
}

// decisionDetail says which time decided and, for an object kept only for
// being young, from when the plan would remove it.
func decisionDetail(d policy.Decision, now time.Time) string {
	var parts []string
	if !d.Timestamp.IsZero() && d.Basis != "" {
		parts = append(parts, fmt.Sprintf("basis %s: %s", d.Basis, d.Timestamp.UTC().Format(time.RFC3339)))
	}
	if d.Rank > 0 {
		parts = append(parts, fmt.Sprintf("keep rank %d", d.Rank))
	}
	if !d.ExpiresAt.IsZero() {
		parts = append(parts, fmt.Sprintf("removable from %s (%s) if nothing else changes",
			d.ExpiresAt.UTC().Format(time.RFC3339), relative(d.ExpiresAt, now)))
	}
	return strings.Join(parts, "; ")
}

// relative prints t against now: "3 days ago", "in 5 days".
func relative(t, now time.Time) string {
	if t.After(now) {
		return "in " + units.HumanDuration(t.Sub(now))
	}
	return units.HumanDuration(now.Sub(t)) + " ago"
}
