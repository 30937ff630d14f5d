package watch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/policy"
)

// enforced is what one enforcement came to, and how long it took.
type enforced struct {
	Outcome
	took time.Duration
}

// due is the interval's tick: enforce now, or as soon as the daemon is
// back; a tick during an enforcement is skipped.
func (w *watcher) due() {
	switch {
	case w.enforcing:
		w.logger.Warn("the previous enforcement is still running: skipping this round")
	case w.stream == nil:
		w.pending = true
		w.logger.Info("daemon unreachable: enforcing as soon as it is back")
	default:
		w.pending = true
	}
}

// startEnforcement enforces the current policy in the background, the way
// prune -f does (Options.Enforce: the removal lock, the plan, the journal,
// the removals, each outcome logged). The state is saved first: the plan
// dates images from the state file. When the watcher is stopped, no new
// removal starts and those in flight finish.
func (w *watcher) startEnforcement(ctx context.Context) {
	w.pending = false
	w.enforcing = true
	w.resync(ctx)
	w.save()
	lp, h, enforce, clk := w.pol.current, w.host, w.opts.Enforce, w.clock
	go func() {
		start := clk()
		out := enforce(ctx, lp, h)
		w.enforceDone <- enforced{Outcome: out, took: clk.Since(start)}
	}()
}

// resync reconciles the state with a fresh view of the host, as on
// (re)connecting: whatever came or went without an event the watcher
// followed (an image a builder stored without a tag event, events the
// daemon dropped) is caught up with once per interval, at the cost of two
// list calls. Events older than the view then only refine it.
func (w *watcher) resync(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, w.timing.RequestTimeout)
	defer cancel()
	view, err := docker.TakeView(rctx, w.api, w.clock())
	if err != nil {
		w.logger.Debug("no fresh view before enforcing", "err", err)
		return
	}
	if added, forgotten := w.tr.reconcile(view); added+forgotten > 0 {
		w.logger.Info("caught up with the daemon: images that came or went without an event", "new", added, "gone", forgotten)
	}
}

// finished logs the one-line summary of an enforcement, and publishes
// how it went (see publishSchedule).
func (w *watcher) finished(out enforced) {
	w.obs.Enforced(out.Outcome, out.took, w.clock())
	w.lastEnforced = w.clock()
	w.lastOutcome = w.logOutcome(out)
	w.publishSchedule()
}

// publishSchedule writes the watcher's last and next enforcement into
// watch.lock, for docker shaper status. The next one is now while one is
// pending (at start, or waiting for the daemon), else the interval's next
// tick.
func (w *watcher) publishSchedule() {
	next := w.nextTick
	if w.pending {
		next = w.clock()
	}
	if err := w.lock.Schedule(w.lastEnforced, w.lastOutcome, next); err != nil {
		w.logger.Debug("cannot publish the schedule", "err", err)
	}
}

// logOutcome logs the one-line summary of an enforcement, and returns it
// in short, for status.
func (w *watcher) logOutcome(out enforced) string {
	var locked *store.LockedError
	switch {
	case errors.As(out.Err, &locked):
		w.logger.Warn("enforcement skipped: another docker-shaper is removing objects", "holder", locked.Who())
		return "skipped: another docker-shaper was removing objects"
	case errors.Is(out.Err, context.Canceled) && out.Report == nil:
		w.logger.Info("enforcement interrupted")
		return "interrupted"
	case out.Plan == nil && docker.IsConnectionError(out.Err):
		w.pending = true
		w.logger.Warn("enforcement postponed: daemon unreachable", "err", out.Err)
		return "postponed: daemon unreachable"
	case out.Plan == nil:
		w.logger.Error("enforcement failed", "err", out.Err)
		return "failed: " + out.Err.Error()
	}
	if w.opts.DryRun && out.Err == nil {
		return w.logRehearsal(*out.Plan, out.took)
	}
	kv := []any{"policy", out.Plan.Policy, "actions", len(out.Plan.Actions)}
	short := "nothing to do"
	if out.Report != nil {
		s := out.Report.Summary
		kv = append(kv, "removed", s.Removed, "untagged", s.Untagged, "skipped", s.Skipped, "failed", s.Failed,
			"reclaimed", policy.HumanSize(s.ReclaimedBytes))
		short = fmt.Sprintf("%d removed, %d untagged, %d skipped, %d failed, %s reclaimed",
			s.Removed, s.Untagged, s.Skipped, s.Failed, policy.HumanSize(s.ReclaimedBytes))
	}
	kv = append(kv, "took", out.took.Round(time.Millisecond))
	if out.Err != nil {
		w.logger.Error("enforced, with an error", append(kv, "err", out.Err)...)
		return short + "; error: " + out.Err.Error()
	}
	w.logger.Info("enforced", kv...)
	return short
}

// logRehearsal logs what an enforcement under --dry-run would have done:
// each action, as the removals it stands for are logged ("would remove",
// "would untag", with the object, the rule and the reason), then the
// summary. It returns the summary in short, for status.
func (w *watcher) logRehearsal(plan policy.Plan, took time.Duration) string {
	var remove, untag int
	var bytes int64
	for _, a := range plan.Actions {
		kv := []any{"kind", a.Kind, "object", render.ObjectName(a), "rule", a.Rule, "reason", a.Reason}
		if a.Bytes > 0 {
			kv = append(kv, "bytes", policy.HumanSize(a.Bytes))
			bytes += a.Bytes
		}
		if a.Action == policy.ActionUntag {
			untag++
		} else {
			remove++
		}
		w.logger.Info("would "+a.Action, kv...)
	}
	w.logger.Info("dry run: nothing removed", "policy", plan.Policy, "actions", len(plan.Actions),
		"would_remove", remove, "would_untag", untag, "reclaimable", policy.HumanSize(bytes),
		"took", took.Round(time.Millisecond))
	if len(plan.Actions) == 0 {
		return "dry run: nothing to do"
	}
	return fmt.Sprintf("dry run: %d would be removed, %d untagged, %s reclaimable; nothing removed",
		remove, untag, policy.HumanSize(bytes))
}
