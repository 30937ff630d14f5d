package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/docker-shaper/docker-shaper/policy"
)

// container removes one container unless it changed since the plan.
func (a *applier) container(ctx context.Context, i int) {
	act := a.actions[i]
	planned := expected(act)
	cur, err := a.api.InspectContainer(ctx, act.ID)
	if err != nil {
		a.finishInspectErr(i, "container", err)
		return
	}
	if cur.State != planned.State {
		a.finish(i, OutcomeSkipped, fmt.Sprintf("state changed since the plan: was %s, now %s", planned.State, cur.State), 0)
		return
	}
	if !cur.StartedAt.Equal(planned.StartedAt) || !cur.FinishedAt.Equal(planned.FinishedAt) {
		a.finish(i, OutcomeSkipped, "restarted since the plan", 0)
		return
	}
	force := act.Force && (cur.State == policy.StateRunning || cur.State == policy.StatePaused || cur.State == policy.StateRestarting)
	if !a.intend(i) {
		return
	}
	if err := a.api.RemoveContainer(ctx, act.ID, force, act.RemoveVolumes); err != nil {
		a.settle(ctx, i, err)
		return
	}
	a.finish(i, OutcomeRemoved, "", max(act.Bytes, 0))
}

// expected is what the plan saw of the action's object, the zero value
// when it recorded nothing.
func expected(act policy.Action) policy.Expectation {
	if act.Expect == nil {
		return policy.Expectation{}
	}
	return *act.Expect
}

// finishInspectErr records a failed re-check of one object.
func (a *applier) finishInspectErr(i int, what string, err error) {
	outcome, detail := recheckFailed(err, what, "re-checking the "+what)
	a.finish(i, outcome, detail, 0)
}

// volume removes one volume unless it was recreated since the plan. A
// volume planned to go with its container (remove_volumes) is only
// confirmed gone: the daemon removed it with the container.
func (a *applier) volume(ctx context.Context, i int) {
	act := a.actions[i]
	with, withOutcome := a.withContainer(act)
	if with != "" && withOutcome != OutcomeRemoved {
		a.finish(i, OutcomeSkipped, fmt.Sprintf("its container %s was not removed (%s): the volume stays with it", with, withOutcome), 0)
		return
	}
	cur, err := a.api.InspectVolume(ctx, act.Name)
	if err != nil {
		if with != "" && errors.Is(err, ErrNotFound) {
			if a.intend(i) {
				a.finish(i, OutcomeRemoved, "with container "+with, max(act.Bytes, 0))
			}
			return
		}
		a.finishInspectErr(i, "volume", err)
		return
	}
	if planned := expected(act); !planned.CreatedAt.IsZero() && !cur.CreatedAt.IsZero() &&
		!planned.CreatedAt.Equal(cur.CreatedAt) {
		a.finish(i, OutcomeSkipped, "volume recreated since the plan", 0)
		return
	}
	if !a.intend(i) {
		return
	}
	if err := a.api.RemoveVolume(ctx, act.Name); err != nil {
		a.settle(ctx, i, err)
		return
	}
	a.finish(i, OutcomeRemoved, "", max(act.Bytes, 0))
}

// withContainer returns, for a volume that goes with its container, the
// container's name and the outcome of its removal in this apply; "" when
// the volume goes on its own (or its container is not in this apply).
func (a *applier) withContainer(act policy.Action) (name, outcome string) {
	if act.WithContainer == "" {
		return "", ""
	}
	for j, c := range a.actions {
		if c.Kind == policy.KindContainer && c.ID == act.WithContainer {
			return c.Name, a.results[j].Outcome
		}
	}
	return "", ""
}

// network removes one network, by ID: a network recreated under the same
// name is another network, which the daemon reports as not found.
func (a *applier) network(ctx context.Context, i int) {
	act := a.actions[i]
	ref := act.ID
	if ref == "" {
		ref = act.Name
	}
	if !a.intend(i) {
		return
	}
	if err := a.api.RemoveNetwork(ctx, ref); err != nil {
		a.settle(ctx, i, err)
		return
	}
	a.finish(i, OutcomeRemoved, "", 0)
}

// pruneCache prunes the build cache with the policy's build_cache rule.
func (a *applier) pruneCache(ctx context.Context, i int) {
	act := a.actions[i]
	if act.BuildCache == nil {
		a.finish(i, OutcomeFailed, "the plan carries no build cache parameters", 0)
		return
	}
	if !a.intend(i) {
		return
	}
	n, err := a.api.PruneBuildCache(ctx, *act.BuildCache)
	if err != nil {
		a.settle(ctx, i, err)
		return
	}
	a.finish(i, OutcomeRemoved, "the daemon reclaimed "+policy.HumanSize(n), n)
}
