package watch

import (
	"context"
	"fmt"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/policy"
)

// Following the daemon: connecting, losing it, and resolving what each
// event leaves out before the tracker records it.

// connect (re)establishes the event stream: subscribe first, from the
// horizon, so nothing between the view and the stream is missed; then take
// a fresh view and reconcile the state with it. On failure it schedules
// another attempt.
func (w *watcher) connect(ctx context.Context) {
	since := w.tr.st.Horizon
	stream := docker.Subscribe(ctx, w.api, since)
	rctx, cancel := context.WithTimeout(ctx, w.timing.RequestTimeout)
	defer cancel()
	view, err := docker.TakeView(rctx, w.api, w.clock())
	var d policy.Daemon
	if err == nil {
		d, err = docker.Identify(rctx, w.api)
	}
	if err != nil {
		stream.Close()
		if ctx.Err() == nil {
			w.retryLater(err)
		}
		return
	}
	if d.ID != "" && d.ID != w.host.Daemon.ID {
		stream.Close()
		w.failure = fmt.Errorf("the daemon at %s is now another daemon (ID %s, was %s): "+
			"stopping, as its images are not the ones this watcher's state describes; start the watcher again to watch it",
			w.opts.Endpoint, d.ID, w.host.Daemon.ID)
		return
	}
	added, forgotten := w.tr.reconcile(view)
	w.stream, w.streamUp = stream, w.clock()
	w.obs.Following(true)
	w.obs.Tracked(len(w.tr.st.Images))
	msg := "following the daemon's events"
	if w.everUp {
		msg = "daemon reachable again: following its events"
		w.obs.Reconnected()
	}
	w.everUp = true
	kv := []any{"images", len(view.Images), "containers", len(view.Containers), "new", added, "gone", forgotten}
	if !since.IsZero() {
		kv = append(kv, "horizon", since.Local().Format(time.RFC3339))
	}
	w.logger.Info(msg, kv...)
	w.save()
}

// lostDaemon handles the end of the event stream: the daemon stopped or
// the connection dropped. The horizon is now, the last moment the watcher
// knew everything; it tries again later, for as long as it runs.
func (w *watcher) lostDaemon(err error) {
	w.stream.Close()
	w.stream = nil
	w.obs.Following(false)
	w.obs.Failed("daemon")
	w.tr.advanceHorizon(w.clock())
	w.save()
	if w.clock.Since(w.streamUp) > w.timing.RetryMax {
		w.retryDelay = w.timing.RetryMin // it was up a good while: start over
	}
	w.retryLater(err)
}

// retryLater schedules the next attempt to reach the daemon, backing off.
func (w *watcher) retryLater(err error) {
	delay := w.retryDelay
	w.retryDelay = min(2*w.retryDelay, w.timing.RetryMax)
	w.logger.Warn(fmt.Sprintf("daemon unreachable, retrying in %s", delay), "err", err)
	w.retry = time.After(delay)
}

// handleEvent resolves what an event leaves out and updates the state.
func (w *watcher) handleEvent(ctx context.Context, ev docker.Event) {
	w.logger.Debug("event", "type", ev.Type, "action", ev.Action, "id", ev.ID, "name", ev.Name, "image", ev.Image,
		"at", ev.Time.Format(time.RFC3339Nano))
	w.obs.Event(ev.Type, ev.Action, w.clock.Since(ev.Time))
	rctx, cancel := context.WithTimeout(ctx, w.timing.RequestTimeout)
	defer cancel()
	tr := w.tr
	switch ev.Type + " " + ev.Action {
	case "image tag":
		tr.tagged(ev.ID, ev.Name, ev.Time)
	case "image pull", "image load", "image import":
		// A pull names the reference pulled, a load or import the ID; the
		// image's tags come with neither.
		id, refs, err := docker.InspectImageRefs(rctx, w.api, ev.ID)
		if err != nil {
			w.eventError(ev, err)
			return
		}
		tr.arrived(id, refs, ev.Time)
	case "image untag":
		// Which tag went, the event does not say: ask for those left.
		if tr.replayed(ev.Time) {
			return
		}
		id, refs, err := docker.InspectImageRefs(rctx, w.api, ev.ID)
		if err != nil {
			w.eventError(ev, err) // deleted: its delete event follows
			return
		}
		tr.setRefs(id, refs)
	case "image delete":
		tr.deleted(ev.ID, ev.Time)
	case "container create", "container start", "container die":
		id, ok := tr.containerImage(ev.ID)
		if !ok {
			id = w.containerImage(rctx, ev)
			if id == "" {
				return
			}
			tr.rememberContainer(ev.ID, id)
		}
		tr.used(id, ev.Time)
	case "container destroy":
		tr.forgetContainer(ev.ID)
	}
	if tr.dirty {
		w.scheduleSave()
	}
}

// containerImage finds the image of a container the watcher has not met:
// the container says; when it is gone already, its event names the image
// (an ID, or a tag the watcher knows, or one the daemon resolves now).
func (w *watcher) containerImage(ctx context.Context, ev docker.Event) string {
	id, err := docker.InspectContainerImage(ctx, w.api, ev.ID)
	if err == nil {
		return id
	}
	if !docker.IsNotFound(err) {
		w.eventError(ev, err)
		return ""
	}
	switch {
	case policy.IsImageID(ev.Image) && len(ev.Image) == len("sha256:")+64:
		return ev.Image // a full ID: the key of the state
	case ev.Image == "":
		return ""
	}
	if id, ok := w.tr.imageByRef(policy.NormalizeRef(ev.Image)); ok {
		return id
	}
	id, _, err = docker.InspectImageRefs(ctx, w.api, ev.Image)
	if err != nil {
		w.eventError(ev, err)
		return ""
	}
	return id
}

// eventError notes an event that could not be resolved: the object is
// gone already (normal for short-lived ones), or the daemon is going away
// (the stream's end says so next).
func (w *watcher) eventError(ev docker.Event, err error) {
	w.logger.Debug("event not resolved", "type", ev.Type, "action", ev.Action, "id", ev.ID, "err", err)
}
