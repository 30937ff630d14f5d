package plugin

import (
	"context"
	"fmt"

	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/config"
	"github.com/moby/moby/client"
	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"
)

// planOptions are the flags every plan-making command shares.
type planOptions struct {
	policyFile string
	now        nowValue
	// loaded is a policy already loaded, used instead of loading
	// policyFile: the watcher's, which keeps its last good policy when
	// the file turns bad.
	loaded *loadedPolicy
}

// addPolicyFlag adds --policy to flags.
func addPolicyFlag(flags *pflag.FlagSet, file *string) {
	flags.StringVar(file, "policy", "",
		"Use the policy in `FILE` (default $"+policyEnv+", else $DOCKER_CONFIG/shaper/policy.hcl, else the embedded default)")
}

// addNowFlag adds --now to flags.
func addNowFlag(flags *pflag.FlagSet, now *nowValue) {
	flags.Var(now, "now", `Plan for this time: RFC 3339, a date, or relative to the clock ("+7d", "-2h") (default the current time)`)
}

// planResult is a plan with what it was made from.
type planResult struct {
	Plan     policy.Plan
	Policy   *loadedPolicy
	Snapshot policy.Snapshot
	Host     *host
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
func buildPlan(ctx context.Context, dockerCli command.Cli, opts planOptions, h *host) (*planResult, error) {
	lp := opts.loaded
	if lp == nil {
		var err error
		if lp, err = loadPolicy(dockerCli.Err(), opts.policyFile); err != nil {
			return nil, err
		}
	}
	listedFrom := clock()
	var (
		snap     policy.Snapshot
		resolved *host
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		snap, err = takeSnapshot(gctx, dockerCli.Client(), opts.now.at(listedFrom))
		return err
	})
	g.Go(func() (err error) {
		resolved, err = resolveHost(gctx, dockerCli)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, daemonError(dockerCli, err)
	}
	if h == nil {
		h = resolved
	} else if h.Daemon.ID != resolved.Daemon.ID {
		return nil, fmt.Errorf("the daemon at %s is no longer the one this run started with (ID %s, now %s): nothing was done",
			dockerCli.DockerEndpoint().Host, h.Daemon.ID, resolved.Daemon.ID)
	}
	observe(ctx, h.Dir, &snap, listedFrom, clock())
	plan := policy.Evaluate(lp.Policy, snap)
	plan.Policy = lp.Name
	daemon := h.Daemon
	plan.Daemon = &daemon
	return &planResult{Plan: plan, Policy: lp, Snapshot: snap, Host: h}, nil
}

// resolveHost asks the daemon who it is and finds its directory, moving
// the files an earlier docker-shaper kept per context into it.
func resolveHost(ctx context.Context, dockerCli command.Cli) (*host, error) {
	d, err := identify(ctx, dockerCli.Client())
	if err != nil {
		return nil, err
	}
	d.Context = dockerCli.CurrentContext()
	if d.ID == "" {
		d.ID = endpointID(dockerCli.DockerEndpoint().Host)
	}
	cfg := config.Dir()
	h := &host{Daemon: d, Dir: daemonDir(cfg, d.ID)}
	adoptContextFiles(ctx, contextDir(cfg, d.Context), h.Dir)
	return h, nil
}

// daemonError says which daemon could not be reached, and through which
// docker context, when that is the problem.
func daemonError(dockerCli command.Cli, err error) error {
	if !client.IsErrConnectionFailed(err) {
		return err
	}
	return fmt.Errorf("cannot reach the Docker daemon at %s (docker context %q): %w",
		dockerCli.DockerEndpoint().Host, dockerCli.CurrentContext(), err)
}
