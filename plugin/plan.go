package plugin

import (
	"context"
	"fmt"

	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/config"
	"github.com/moby/moby/client"
	"github.com/spf13/pflag"
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
}

// buildPlan is the one way a plan is made: load the policy (its errors stop
// everything before the daemon is contacted), take a snapshot of the host,
// and evaluate. check, prune, explain and watch all go through it, so they
// tell the same story, dating images with the watcher's state alike.
func buildPlan(ctx context.Context, dockerCli command.Cli, opts planOptions) (*planResult, error) {
	lp := opts.loaded
	if lp == nil {
		var err error
		if lp, err = loadPolicy(dockerCli.Err(), opts.policyFile); err != nil {
			return nil, err
		}
	}
	snap, err := takeSnapshot(ctx, dockerCli.Client(), opts.now.at(clock()))
	if err != nil {
		return nil, daemonError(dockerCli, err)
	}
	// The watcher's first-seen and last-use dates, when it keeps any for
	// this context: every command dates images as the watcher does.
	applyWatchState(ctx, &snap, contextDir(config.Dir(), dockerCli.CurrentContext()))
	plan := policy.Evaluate(lp.Policy, snap)
	plan.Policy = lp.Name
	return &planResult{Plan: plan, Policy: lp, Snapshot: snap}, nil
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
