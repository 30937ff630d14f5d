package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/internal/policyfile"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli"
	"golang.org/x/sync/errgroup"
)

// planOptions are what every plan-making command shares.
type planOptions struct {
	policy policyFlag
	now    nowValue
	// loaded is a policy already loaded, used instead of looking one up:
	// the watcher's, which keeps its last good policy when the file turns
	// bad.
	loaded *policyfile.Loaded
	// jsonDiagnostics, when set, receives the diagnostics of a policy
	// that does not load as a JSON document (render.DiagnosticsDocument)
	// instead of as text on stderr: check --format json.
	jsonDiagnostics io.Writer
	// analyze asks for the plan's Analysis too (check --rules).
	analyze bool
	// filter narrows the plan (--filter); nil or empty keeps all of it.
	filter *filterFlag
}

// planFilter is the plan's --filter; nil selects everything.
func (o planOptions) planFilter() policy.Filter {
	if o.filter == nil {
		return nil
	}
	return o.filter.f
}

// planResult is a plan with what it was made from.
type planResult struct {
	Plan     policy.Plan
	Policy   *policyfile.Loaded
	Snapshot policy.Snapshot
	Host     *store.Host
	// Analysis is set when planOptions.analyze asked for it.
	Analysis *policy.Analysis
	// Usage is the disk usage the snapshot read, per kind.
	Usage apply.DiskTotals
}

// loadPolicy finds and loads the policy. A policy with errors is never
// used: its diagnostics are rendered to errOut, and the error says how
// many there were and that nothing was done.
func (d deps) loadPolicy(errOut io.Writer, p policyFlag) (*policyfile.Loaded, error) {
	return d.loadPolicyTo(errOut, nil, p)
}

// loadPolicyTo is loadPolicy, with the diagnostics of a policy that does
// not load written as JSON to jsonOut instead, when it is set.
func (d deps) loadPolicyTo(errOut, jsonOut io.Writer, p policyFlag) (*policyfile.Loaded, error) {
	src, err := d.lookup(p).Find()
	if err != nil {
		return nil, err
	}
	lp, err := policyfile.Load(src)
	var le *policyfile.LoadError
	if errors.As(err, &le) {
		var rerr error
		if jsonOut != nil {
			var doc render.DiagnosticsDocument
			doc.AddDiagnostics(le.Loaded.Name(), -1, le.Loaded.Diags)
			rerr = render.DiagnosticsJSON(jsonOut, doc)
		} else {
			rerr = render.Diagnostics(errOut, le.Loaded.Files(), le.Loaded.Diags)
		}
		if rerr != nil {
			return nil, rerr
		}
		return nil, cli.StatusError{StatusCode: 1, Status: err.Error()}
	}
	return lp, err
}

// buildPlan is the one way a plan is made: load the policy (its errors stop
// everything before the daemon is contacted), take a snapshot of the host
// while asking the daemon who it is, record the images seen for the first
// time in the daemon's state, and evaluate. check, prune, explain and watch
// all go through it, so they tell the same story and date images alike.
//
// h is the daemon the caller already resolved (prune and the watcher lock
// its directory first); nil resolves it here. Either way the daemon that
// answers must be that one: a plan is never made for one daemon with
// another's state.
func (d deps) buildPlan(ctx context.Context, opts planOptions, h *store.Host) (*planResult, error) {
	lp := opts.loaded
	if lp == nil {
		var err error
		if lp, err = d.loadPolicyTo(d.cli.Err(), opts.jsonDiagnostics, opts.policy); err != nil {
			return nil, err
		}
	}
	if err := checkFilter(opts.planFilter(), lp); err != nil {
		return nil, err
	}
	listedFrom := d.clock()
	var (
		snap     policy.Snapshot
		usage    apply.DiskTotals
		recall   *docker.Recall
		resolved *store.Host
		daemonAt docker.DaemonClock
		peeked   *store.State
	)
	// The snapshot lists while the daemon says who it is; it needs to know
	// only to find what earlier snapshots of the daemon inspected.
	identified := make(chan struct{})
	prior := func(ctx context.Context) (docker.Prior, error) {
		select {
		case <-identified:
		case <-ctx.Done():
			return docker.Prior{}, ctx.Err()
		}
		// What the state knows is read now too, while the daemon computes
		// its disk usage.
		peeked = store.PeekState(resolved.Dir)
		return docker.Prior{
			Recall:         readRecall(ctx, resolved.Dir),
			Clock:          daemonAt,
			DiskUsageLists: resolved.Daemon.Engine == docker.EngineDocker,
		}, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		// Plans are made for a whole second, so they print the way they
		// are stored.
		snap, usage, recall, err = docker.TakeSnapshotRecall(gctx, d.cli.Client(), opts.now.at(listedFrom).Truncate(time.Second), d.clock, prior)
		return err
	})
	g.Go(func() (err error) {
		if resolved, daemonAt, err = d.resolveHostClock(gctx); err == nil {
			close(identified)
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, d.daemonError(err)
	}
	if h == nil {
		h = resolved
	} else if h.Dir != resolved.Dir {
		return nil, fmt.Errorf("the daemon at %s is no longer the one this run started with (ID %s, now %s): nothing was done",
			d.cli.DockerEndpoint().Host, h.Daemon.ID, resolved.Daemon.ID)
	}
	if recall.Changed() {
		if err := store.WriteCache(h.Dir, recall); err != nil {
			logging.From(ctx).Debug("cannot keep what this snapshot inspected: the next one asks again", "err", err)
		}
	}
	docker.ForEngine(&snap, h.Daemon.Engine)
	store.ObserveFrom(ctx, h.Dir, peeked, &snap, listedFrom, d.clock())
	var analysis *policy.Analysis
	var plan policy.Plan
	if opts.analyze {
		var a policy.Analysis
		plan, a = policy.Analyze(lp.Policy, snap)
		analysis = &a
	} else {
		plan = policy.Evaluate(lp.Policy, snap)
	}
	plan.Policy = lp.Name()
	daemon := h.Daemon
	plan.Daemon = &daemon
	res := &planResult{Plan: plan, Policy: lp, Snapshot: snap, Host: h, Analysis: analysis, Usage: usage}
	filterPlan(d.cli.Err(), res, opts.planFilter())
	return res, nil
}

// resolveHost asks the daemon who it is and finds its directory, moving
// the files an earlier docker-shaper kept per context into it.
func (d deps) resolveHost(ctx context.Context) (*store.Host, error) {
	h, _, err := d.resolveHostClock(ctx)
	return h, err
}

// resolveHostClock is resolveHost that also reads the daemon's clock.
func (d deps) resolveHostClock(ctx context.Context) (*store.Host, docker.DaemonClock, error) {
	daemon, clock, err := docker.IdentifyClock(ctx, d.cli.Client())
	if err != nil {
		return nil, clock, err
	}
	daemon.Context = d.cli.CurrentContext()
	if daemon.ID == "" {
		daemon.ID = store.EndpointID(d.cli.DockerEndpoint().Host)
	}
	cfg := d.configDir()
	h := &store.Host{Daemon: daemon, Dir: store.DaemonDir(cfg, daemon)}
	store.AdoptContextFiles(ctx, store.ContextDir(cfg, daemon.Context), h.Dir)
	return h, clock, nil
}

// readRecall reads what earlier snapshots of the daemon in dir inspected;
// nil when there is nothing usable (see store.CacheFile).
func readRecall(ctx context.Context, dir string) *docker.Recall {
	var r docker.Recall
	if err := store.ReadCache(dir, &r); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			logging.From(ctx).Debug("cannot use what earlier snapshots inspected: asking again", "err", err)
		}
		return nil
	}
	return &r
}

// daemonError says, when err means the daemon could not be reached, which
// docker context was used: the client's message already names the address
// and the reason.
func (d deps) daemonError(err error) error {
	cerr := docker.ConnectionError(err)
	if cerr == nil {
		return err
	}
	return fmt.Errorf("cannot reach the Docker daemon (docker context %q): %w", d.cli.CurrentContext(), cerr)
}
