package commands

import (
	"context"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/internal/metrics"
	"github.com/docker-shaper/docker-shaper/internal/policyfile"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/internal/watch"
	"github.com/docker/cli/cli"
	"github.com/spf13/cobra"
)

type watchOptions struct {
	policy    policyFlag
	interval  durationValue
	noInitial bool
	// dryRun plans each enforcement and logs it, removing nothing.
	dryRun bool
	// metricsAddr serves Prometheus metrics and /healthz; "" for none.
	metricsAddr string
	// metricsBound hears the address metrics are served on (tests pass
	// port 0); nil for none.
	metricsBound chan<- string
	// timing is the watcher's pace; zero fields take the defaults (tests
	// make it quicker).
	timing watch.Timing
}

func newWatchCommand(d deps) *cobra.Command {
	opts := watchOptions{interval: durationValue(watch.DefaultInterval)}
	cmd := &cobra.Command{
		Use:   "watch [OPTIONS]",
		Short: "Follow the daemon's events and enforce the policy periodically",
		Long: "Run in the foreground: follow the daemon's events to learn when each image\n" +
			"arrived and was last used (kept in the daemon's state file,\n" +
			"$DOCKER_CONFIG/shaper/daemons/<daemon>/state.json, which check, prune and\n" +
			"explain read and add to), and enforce the policy as\n" +
			"\"docker shaper prune -f\" does, every --interval and once at start. The policy\n" +
			"is reloaded when its file changes, or on SIGHUP; a policy with errors is\n" +
			"reported and the previous one kept. The watcher outlives daemon restarts.\n" +
			"SIGINT or SIGTERM stop it cleanly. With --dry-run it removes nothing: each\n" +
			"enforcement logs what it would remove, and why.",
		Args: cli.NoArgs,
		// The watcher runs for days: its log lines are dated (the root's
		// PersistentPreRunE has built the logger by now).
		PreRun: func(cmd *cobra.Command, _ []string) { logging.Stamp(logging.From(cmd.Context()), d.cli.Err()) },
		RunE:   func(cmd *cobra.Command, _ []string) error { return runWatch(cmd.Context(), d, opts) },
	}
	flags := cmd.Flags()
	addPolicyFlag(flags, &opts.policy)
	flags.Var(&opts.interval, "interval", `Enforce the policy every DURATION ("30m", "6h", "1d")`)
	flags.BoolVar(&opts.noInitial, "no-initial", false, "Do not enforce at start: first after one interval")
	flags.BoolVar(&opts.dryRun, "dry-run", false,
		"Remove nothing: log what each enforcement would remove, and why (events are followed and last use recorded as usual)")
	flags.StringVar(&opts.metricsAddr, "metrics-addr", "",
		`Serve Prometheus metrics (/metrics) and a health check (/healthz) on this HOST:PORT, e.g. 127.0.0.1:9323`)
	return cmd
}

// runWatch runs the watcher (see watch.Run), enforcing as prune -f does.
func runWatch(ctx context.Context, d deps, opts watchOptions) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	// A broken policy stops the watcher before it contacts the daemon.
	lp, err := d.loadPolicy(d.cli.Err(), opts.policy)
	if err != nil {
		return err
	}
	var observer watch.Observer
	if opts.metricsAddr != "" {
		m := metrics.New(d.clock)
		ln, err := metrics.Listen(opts.metricsAddr)
		if err != nil {
			return err
		}
		if opts.metricsBound != nil {
			opts.metricsBound <- ln.Addr().String()
		}
		go func() {
			if err := m.Serve(ctx, ln); err != nil {
				logging.From(ctx).Error("the metrics server stopped", "err", err)
			}
		}()
		logging.From(ctx).Info("serving metrics", "addr", "http://"+ln.Addr().String()+"/metrics")
		observer = m
	}
	return watch.Run(ctx, watch.Options{
		Observer:    observer,
		API:         d.cli.Client(),
		Endpoint:    d.cli.DockerEndpoint().Host,
		Policy:      d.lookup(opts.policy),
		Initial:     lp,
		Interval:    time.Duration(opts.interval),
		NoInitial:   opts.noInitial,
		Timing:      opts.timing,
		Clock:       d.clock,
		ResolveHost: d.resolveHost,
		DryRun:      opts.dryRun,
		Enforce: func(ctx context.Context, lp *policyfile.Loaded, h *store.Host) watch.Outcome {
			if opts.dryRun {
				// Only the plan: no removal lock (nothing is removed), no
				// journal (nothing to record, nothing of it to finish).
				res, err := d.buildPlan(ctx, planOptions{loaded: lp}, h)
				if err != nil {
					return watch.Outcome{Err: err}
				}
				return watch.Outcome{Plan: &res.Plan}
			}
			res, report, err := d.enforce(ctx, enforceOptions{
				Command:  "watch",
				Plan:     planOptions{loaded: lp},
				Host:     h,
				Progress: render.LogProgress{Logger: logging.From(ctx)},
			})
			out := watch.Outcome{Report: report, Err: err}
			if res != nil {
				out.Plan = &res.Plan
			}
			return out
		},
	})
}
