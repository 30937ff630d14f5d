package plugin

import (
	"context"
	"errors"
	"time"

	"github.com/charmbracelet/log"
)

// enforceOutcome is what one enforcement of the watcher came to.
type enforceOutcome struct {
	res    *planResult
	report *applyReport
	err    error
	took   time.Duration
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
// prune -f does (enforce: the removal lock, the plan, the journal, the
// removals), logging every outcome. The state is saved first: the plan
// dates images from the state file. When the watcher is stopped, no new
// removal starts and those in flight finish (enforce applies through
// finishingClient).
func (w *watcher) startEnforcement(ctx context.Context) {
	w.pending = false
	w.enforcing = true
	w.resync(ctx)
	w.save()
	lp, logger, cli, h := w.pol.current, w.logger, w.cli, w.host
	go func() {
		start := time.Now()
		res, report, err := enforce(ctx, cli, enforceOptions{
			Command:  "watch",
			Plan:     planOptions{loaded: lp},
			Host:     h,
			Progress: logProgress{logger},
		})
		w.enforceDone <- enforceOutcome{res: res, report: report, err: err, took: time.Since(start)}
	}()
}

// resync reconciles the state with a fresh view of the host, as on
// (re)connecting: whatever came or went without an event the watcher
// followed (an image a builder stored without a tag event, events the
// daemon dropped) is caught up with once per interval, at the cost of two
// list calls. Events older than the view then only refine it.
func (w *watcher) resync(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, w.timing.requestTimeout)
	defer cancel()
	view, err := takeView(rctx, w.api, time.Now().UTC())
	if err != nil {
		w.logger.Debug("no fresh view before enforcing", "err", err)
		return
	}
	if added, forgotten := w.tr.reconcile(view); added+forgotten > 0 {
		w.logger.Info("caught up with the daemon: images that came or went without an event", "new", added, "gone", forgotten)
	}
}

// enforced logs the one-line summary of an enforcement.
func (w *watcher) enforced(out enforceOutcome) {
	var locked *lockedError
	switch {
	case errors.As(out.err, &locked):
		holder := "another process"
		if locked.Holder != nil {
			holder = locked.Holder.String()
		}
		w.logger.Warn("enforcement skipped: another docker-shaper is removing objects", "holder", holder)
		return
	case errors.Is(out.err, context.Canceled) && out.report == nil:
		w.logger.Info("enforcement interrupted")
		return
	case out.res == nil && isConnectionError(out.err):
		w.pending = true
		w.logger.Warn("enforcement postponed: daemon unreachable", "err", out.err)
		return
	case out.res == nil:
		w.logger.Error("enforcement failed", "err", out.err)
		return
	}
	plan := out.res.Plan
	kv := []any{"policy", plan.Policy, "actions", len(plan.Actions)}
	if out.report != nil {
		s := out.report.Summary
		kv = append(kv, "removed", s.Removed, "untagged", s.Untagged, "skipped", s.Skipped, "failed", s.Failed,
			"reclaimed", humanSize(s.ReclaimedBytes))
	}
	kv = append(kv, "took", out.took.Round(time.Millisecond))
	if out.err != nil {
		w.logger.Error("enforced, with an error", append(kv, "err", out.err)...)
		return
	}
	w.logger.Info("enforced", kv...)
}

// logProgress logs each outcome of an enforcement as it is known.
type logProgress struct{ logger *log.Logger }

func (p logProgress) Start(total int) { p.logger.Debug("enforcing", "actions", total) }
func (p logProgress) Finish()         {}

func (p logProgress) Done(r actionResult, _, _ int) {
	act := r.Action
	kv := []any{"kind", act.Kind, "object", objectName(act), "rule", act.Rule, "reason", act.Reason}
	if r.Bytes > 0 {
		kv = append(kv, "bytes", humanSize(r.Bytes))
	}
	if r.Detail != "" {
		kv = append(kv, "detail", r.Detail)
	}
	if r.Outcome == outcomeFailed {
		p.logger.Warn(r.Outcome, kv...)
		return
	}
	p.logger.Info(r.Outcome, kv...)
}
