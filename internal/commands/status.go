package commands

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/policyfile"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/internal/status"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli"
	"github.com/spf13/cobra"
)

type statusOptions struct {
	plan planOptions
	// format is set by --format; unset, a terminal gets the live view and
	// anything else one table.
	format    render.Format
	formatSet bool
	fleet     fleetFlags
}

func newStatusCommand(d deps) *cobra.Command {
	var opts statusOptions
	cmd := &cobra.Command{
		Use:   "status [OPTIONS]",
		Short: "Show the host through the policy's eyes, live",
		Long: "Show the host through the policy's eyes: every image, container, volume and\n" +
			"network with what the plan decides about it and when, the build cache, how each\n" +
			"rule fares, and the watcher. On a terminal it is a live, full-screen view that\n" +
			"follows the daemon's events (? lists its keys; x runs the plan as prune does,\n" +
			"after showing what it removes). Piped, or with --format, it prints one snapshot\n" +
			"and exits.",
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.formatSet = cmd.Flags().Changed("format")
			return runStatus(cmd.Context(), d, opts)
		},
	}
	flags := cmd.Flags()
	addPolicyFlag(flags, &opts.plan.policy)
	addNowFlag(flags, &opts.plan.now)
	addFormatFlag(flags, &opts.format)
	addFleetFlags(flags, &opts.fleet)
	return cmd
}

// runStatus runs the live view on a terminal, or prints one snapshot.
// Both make their plans as check does (buildPlan), and the live view runs
// the plan as prune does (enforce).
func runStatus(ctx context.Context, d deps, opts statusOptions) error {
	if opts.fleet.enabled() {
		return runStatusFleet(ctx, d, opts)
	}
	sopts := d.statusOptions(opts, nil)
	live := !opts.formatSet && d.cli.Out().IsTerminal() && d.cli.In().IsTerminal()
	if live {
		// The terminal itself: the program puts it in raw mode.
		return status.Run(ctx, sopts, status.Terminal{In: os.Stdin, Out: os.Stdout, Err: d.cli.Err()})
	}
	doc, err := status.Snapshot(ctx, sopts, d.cli.Err())
	if err != nil {
		return err
	}
	if opts.format == render.FormatJSON {
		return render.JSON(d.cli.Out(), doc)
	}
	render.PlanHeader(d.cli.Err(), doc.Plan)
	return status.WriteTable(d.cli.Out(), doc, d.clock().Truncate(time.Second))
}

// statusOptions wires status to the commands' ways of loading the policy,
// planning (as check does) and running the plan (as prune does). host is
// the daemon when the caller resolved it; every snapshot must be of it.
func (d deps) statusOptions(opts statusOptions, host *store.Host) status.Options {
	sopts := status.Options{
		Policy: func(diags io.Writer) (*policyfile.Loaded, error) {
			if opts.plan.loaded != nil {
				return opts.plan.loaded, nil
			}
			return d.loadPolicy(diags, opts.plan.policy)
		},
		Snapshot: func(ctx context.Context, lp *policyfile.Loaded) (policy.Snapshot, *store.Host, error) {
			po := opts.plan
			po.loaded = lp
			res, err := d.buildPlan(ctx, po, host)
			if err != nil {
				return policy.Snapshot{}, nil, err
			}
			host = res.Host
			return res.Snapshot, res.Host, nil
		},
		API:   d.cli.Client(),
		Clock: d.clock,
		Now:   opts.plan.now.at,
	}
	if opts.plan.now.raw == "" {
		// Running the plan is prune's: now, on the policy as the file says
		// it (loaded again under the lock).
		sopts.Enforce = func(ctx context.Context, approve func(policy.Plan) error, progress apply.Progress) (*apply.Report, error) {
			_, report, err := d.enforce(ctx, enforceOptions{
				Command:  "status",
				Plan:     planOptions{policy: opts.plan.policy},
				Host:     host,
				Approve:  func(res *planResult) error { return approve(res.Plan) },
				Progress: progress,
			})
			return report, err
		}
	}

	return sopts
}

// runStatusFleet prints one snapshot of each host of a fleet, planned in
// parallel with the one policy loaded for the run: the live view follows
// one daemon.
func runStatusFleet(ctx context.Context, d deps, opts statusOptions) error {
	jsonOut := opts.format == render.FormatJSON
	lp, err := d.loadPolicy(d.cli.Err(), opts.plan.policy)
	if err != nil {
		return err
	}
	if !jsonOut {
		fmt.Fprintf(d.cli.Err(), "Policy: %s\n", lp.Name())
	}
	hosts, err := d.openFleet(ctx, opts.fleet)
	if err != nil {
		return err
	}
	defer hosts.close()
	opts.plan.loaded = lp
	docs := make(map[*fleetHost]*status.Document)
	var mu sync.Mutex
	d.eachHost(hosts, func(h *fleetHost) error {
		doc, err := status.Snapshot(ctx, h.d.statusOptions(opts, h.host), h.d.cli.Err())
		if err != nil {
			return err
		}
		mu.Lock()
		docs[h] = doc
		mu.Unlock()
		return nil
	})
	views := hosts.views()
	for i, h := range hosts {
		if doc := docs[h]; doc != nil {
			views[i].Plan, views[i].Status = &doc.Plan, doc
		}
	}
	if jsonOut {
		err = render.FleetPlanJSON(d.cli.Out(), lp.Name(), views)
	} else {
		err = writeStatusFleetTable(d.cli.Out(), views, d.clock().Truncate(time.Second))
	}
	if err != nil {
		return err
	}
	return fleetError("looked at", hosts)
}

// writeStatusFleetTable writes each host's status tables under its
// header, then the fleet's totals.
func writeStatusFleetTable(w io.Writer, views []render.FleetHost, now time.Time) error {
	err := render.FleetSections(w, views, func(v render.FleetHost) bool { return v.Status != nil },
		func(w io.Writer, v render.FleetHost) error {
			return status.WriteTable(w, v.Status.(*status.Document), now)
		})
	if err != nil {
		return err
	}
	return render.FleetTotals(w, views)
}
