package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker/cli/cli"
	"github.com/spf13/pflag"
)

// fleetFlags choose the daemons a command runs on by docker context, as
// "docker --context" does for one: --contexts a,b,c or --all-contexts.
type fleetFlags struct {
	contexts []string
	all      bool
}

// addFleetFlags adds --contexts and --all-contexts to flags.
func addFleetFlags(flags *pflag.FlagSet, f *fleetFlags) {
	flags.StringSliceVar(&f.contexts, "contexts", nil,
		"Run on the daemons of these docker contexts (comma-separated), in parallel")
	flags.BoolVar(&f.all, "all-contexts", false, "Run on the daemons of every docker context, in parallel")
}

// enabled says whether the command runs over a fleet rather than on the
// current context's daemon.
func (f fleetFlags) enabled() bool { return f.all || len(f.contexts) > 0 }

// fleetParallelism bounds how many daemons are asked at once: enough for
// a CI farm's worth of contexts, few enough that the docker CLI's host is
// not the bottleneck and a slow daemon does not hold many connections.
const fleetParallelism = 8

// fleetHost is one daemon of a fleet run, with the commands' dependencies
// bound to the first context that reaches it.
type fleetHost struct {
	contexts []string
	endpoint string
	d        deps
	release  func()
	host     *store.Host // resolved: its per-daemon directory and lock
	plan     *planResult
	report   *apply.Report // prune's outcome, when something was applied
	err      error         // why it could not be reached, planned or pruned
}

// views are the hosts as the renderers see them.
func (f fleet) views() []render.FleetHost {
	vs := make([]render.FleetHost, len(f))
	for i, h := range f {
		vs[i] = render.FleetHost{Contexts: h.contexts, Endpoint: h.endpoint, Report: h.report, Err: h.err}
		if h.plan != nil {
			vs[i].Plan = &h.plan.Plan
		}
	}
	return vs
}

// fleet is the daemons of one run, in the order their contexts were given.
type fleet []*fleetHost

// close closes the clients made for the hosts' contexts.
func (f fleet) close() {
	for _, h := range f {
		h.release()
	}
}

// eachHost runs fn for every host without an error, at most
// fleetParallelism at a time, and waits for all of them. A host whose fn
// fails is marked so, and its error printed on stderr as it happens; the
// others go on.
func (d deps) eachHost(f fleet, fn func(h *fleetHost) error) {
	sem := make(chan struct{}, fleetParallelism)
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for _, h := range f {
		if h.err != nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(h); err != nil {
				mu.Lock()
				defer mu.Unlock()
				h.err = err
				d.reportHostError(h)
			}
		}()
	}
	wg.Wait()
}

// failed counts the hosts with an error.
func (f fleet) failed() []string {
	var names []string
	for _, h := range f {
		if h.err != nil {
			names = append(names, h.contexts[0])
		}
	}
	return names
}

// fleetContextNames are the contexts named by the flags, each once, in
// the order given. A name the context store does not know is an error
// before any daemon is contacted: a typo must not shrink the fleet
// silently.
func (d deps) fleetContextNames(f fleetFlags) ([]string, error) {
	all, err := docker.ContextNames(d.cli)
	if err != nil {
		return nil, err
	}
	if f.all {
		if len(f.contexts) > 0 {
			return nil, fmt.Errorf("--contexts and --all-contexts cannot be used together")
		}
		return all, nil
	}
	var names, unknown []string
	for _, n := range f.contexts {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
			return nil, fmt.Errorf("--contexts: an empty context name in %q", strings.Join(f.contexts, ","))
		case slices.Contains(names, n):
			continue
		case !slices.Contains(all, n):
			unknown = append(unknown, fmt.Sprintf("%q", n))
			continue
		}
		names = append(names, n)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("--contexts: no docker context named %s (there are: %s): nothing was done",
			strings.Join(unknown, ", "), strings.Join(all, ", "))
	}
	return names, nil
}

// openFleet resolves the flags to daemons: it binds a client to each
// context, asks each daemon who it is (in parallel), and merges the
// contexts that reach the same daemon, so that no daemon is planned or
// pruned twice. A context whose daemon cannot be reached is a host with
// an error, printed on stderr as soon as it is known; the others go on.
func (d deps) openFleet(ctx context.Context, flags fleetFlags) (fleet, error) {
	names, err := d.fleetContextNames(flags)
	if err != nil {
		return nil, err
	}
	var hosts fleet
	for _, name := range names {
		h := &fleetHost{contexts: []string{name}, release: func() {}}
		bound, release, err := docker.ForContext(d.cli, name)
		if err != nil {
			h.err = err
			d.reportHostError(h)
		} else {
			h.release = release
			h.d = deps{cli: bound, clock: d.clock, configDir: d.configDir}
			h.endpoint = bound.DockerEndpoint().Host
		}
		hosts = append(hosts, h)
	}
	d.eachHost(hosts, func(h *fleetHost) error {
		var err error
		if h.host, err = h.d.resolveHost(ctx); err != nil {
			return h.d.daemonError(err)
		}
		return nil
	})
	var merged fleet
	byDir := map[string]*fleetHost{}
	for _, h := range hosts {
		if h.err == nil {
			if first, ok := byDir[h.host.Dir]; ok {
				first.contexts = append(first.contexts, h.contexts...)
				h.release()
				continue
			}
			byDir[h.host.Dir] = h
		}
		merged = append(merged, h)
	}
	return merged, nil
}

// reportHostError prints a host's error on stderr, once, saying which
// context it is about (an unreachable daemon's message says so itself).
func (d deps) reportHostError(h *fleetHost) {
	switch {
	case h.err == nil:
	case docker.ConnectionError(h.err) != nil:
		fmt.Fprintln(d.cli.Err(), h.err)
	default:
		fmt.Fprintf(d.cli.Err(), "context %s: %v\n", h.contexts[0], h.err)
	}
}

// fleetError is how a fleet run ends when some hosts failed: a non-zero
// exit naming them, after the others were done.
func fleetError(verb string, f fleet) error {
	failed := f.failed()
	if len(failed) == 0 {
		return nil
	}
	return cli.StatusError{StatusCode: 1, Status: fmt.Sprintf("%d of %s could not be %s (%s): see above; the others were",
		len(failed), render.Plural(len(f), "host", "hosts"), verb, strings.Join(failed, ", "))}
}

// planFleet plans every host with the one policy loaded for the run, in
// parallel. Each plan is made as check makes one (buildPlan), for the
// host's own daemon and with its own state.
func (d deps) planFleet(ctx context.Context, f fleet, opts planOptions) {
	d.eachHost(f, func(h *fleetHost) error {
		res, err := h.d.buildPlan(ctx, opts, h.host)
		h.plan = res
		return err
	})
}

// runPlanFleet is check (and prune --dry-run) over several contexts: the
// policy loaded once (its errors stop everything before any daemon is
// contacted), every host planned, and one document or one set of tables
// for the fleet. With exitCode, something due on any host is exit status
// 2, as check --exit-code is for one host; a host that failed is 1.
func runPlanFleet(ctx context.Context, d deps, opts planOptions, format render.Format, flags fleetFlags, dryRun, exitCode bool) error {
	lp, err := d.loadPolicyTo(d.cli.Err(), opts.jsonDiagnostics, opts.policy)
	if err != nil {
		return err
	}
	if err := checkFilter(opts.planFilter(), lp); err != nil {
		return err
	}
	if format != render.FormatJSON {
		fmt.Fprintf(d.cli.Err(), "Policy: %s\n", lp.Name())
	}
	hosts, err := d.openFleet(ctx, flags)
	if err != nil {
		return err
	}
	defer hosts.close()
	opts.loaded = lp
	d.planFleet(ctx, hosts, opts)
	views := hosts.views()
	if format == render.FormatJSON {
		err = render.FleetPlanJSON(d.cli.Out(), lp.Name(), views)
	} else {
		err = render.FleetPlanTable(d.cli.Out(), views)
		if dryRun && render.SummarizeFleet(views).Actions > 0 {
			fmt.Fprintln(d.cli.Err(), "Dry run: nothing was removed.")
		}
	}
	if err != nil {
		return err
	}
	if err := fleetError("planned", hosts); err != nil {
		return err
	}
	if s := render.SummarizeFleet(views); exitCode && s.Actions > 0 {
		return cli.StatusError{StatusCode: 2, Status: fmt.Sprintf("%s due for removal on %s (--exit-code)",
			render.Plural(s.Actions, "action", "actions"), render.Plural(s.Planned, "host", "hosts"))}
	}
	return nil
}
