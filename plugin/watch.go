package plugin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/charmbracelet/log"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli"
	"github.com/docker/cli/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type watchOptions struct {
	policyFile string
	interval   durationValue
	noInitial  bool
	// timing is the watcher's pace; zero fields take the defaults (tests
	// make it quicker).
	timing watchTiming
}

// watchTiming is how often the watcher does what it does besides
// following events.
type watchTiming struct {
	// saveDelay is how long changes to the state wait before they are
	// written, so a burst of events costs one write.
	saveDelay time.Duration
	// heartbeat is how often the state is written while nothing happens,
	// which keeps the horizon close should the watcher be killed.
	heartbeat time.Duration
	// pollPolicy is how often the policy file is looked at for changes.
	pollPolicy time.Duration
	// retryMin and retryMax bound the wait between attempts to reach the
	// daemon; it doubles from one to the other.
	retryMin, retryMax time.Duration
	// requestTimeout bounds each call made on (re)connecting and to
	// resolve an event.
	requestTimeout time.Duration
}

func (t watchTiming) withDefaults() watchTiming {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.saveDelay, 5*time.Second)
	def(&t.heartbeat, 5*time.Minute)
	def(&t.pollPolicy, 2*time.Second)
	def(&t.retryMin, time.Second)
	def(&t.retryMax, 30*time.Second)
	def(&t.requestTimeout, 30*time.Second)
	return t
}

// defaultWatchInterval is how often the watcher enforces the policy.
const defaultWatchInterval = time.Hour

func newWatchCommand(dockerCli command.Cli) *cobra.Command {
	opts := watchOptions{interval: durationValue(defaultWatchInterval)}
	cmd := &cobra.Command{
		Use:   "watch [OPTIONS]",
		Short: "Follow the daemon's events and enforce the policy periodically",
		Long: "Run in the foreground: follow the daemon's events to learn when each image\n" +
			"arrived and was last used (kept in the daemon's state file,\n" +
			"$DOCKER_CONFIG/shaper/daemons/<daemon ID>/state.json, which check, prune and\n" +
			"explain read and add to), and enforce the policy as\n" +
			"\"docker shaper prune -f\" does, every --interval and once at start. The policy\n" +
			"is reloaded when its file changes, or on SIGHUP; a policy with errors is\n" +
			"reported and the previous one kept. The watcher outlives daemon restarts.\n" +
			"SIGINT or SIGTERM stop it cleanly.",
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runWatch(cmd.Context(), dockerCli, opts) },
	}
	flags := cmd.Flags()
	addPolicyFlag(flags, &opts.policyFile)
	flags.Var(&opts.interval, "interval", `Enforce the policy every `+"`DURATION`"+` ("30m", "6h", "1d")`)
	flags.BoolVar(&opts.noInitial, "no-initial", false, "Do not enforce at start: first after one interval")
	return cmd
}

// durationValue is a flag holding a positive duration written as policies
// write them (Go syntax, plus d and w).
type durationValue time.Duration

func (d *durationValue) String() string { return policy.FormatDuration(time.Duration(*d)) }
func (d *durationValue) Type() string   { return "DURATION" }

func (d *durationValue) Set(s string) error {
	v, err := policy.ParseDuration(s)
	if err != nil {
		return err
	}
	if v <= 0 {
		return fmt.Errorf("%q: the interval must be longer than zero", s)
	}
	*d = durationValue(v)
	return nil
}

// runWatch runs the watcher until ctx is cancelled or SIGINT or SIGTERM
// arrives; then it lets the current removals stop (applyPlan starts no
// new action once cancelled), saves the state and returns nil. It fails
// only at start: when the policy has errors, or another watcher runs for
// the Docker context. The daemon may be away at start, and come and go.
func runWatch(ctx context.Context, dockerCli command.Cli, opts watchOptions) error {
	// The docker CLI cancels ctx when it is interrupted; a terminal, or a
	// service manager, may signal this process directly too.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process the usual way
	}()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	w, err := newWatcher(ctx, dockerCli, opts)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting for the daemon
		}
		return err
	}
	defer w.release()
	return w.run(ctx, hup)
}

// watcher is one run of docker shaper watch. Its fields are touched by the
// run loop only; the enforcement goroutine reports through enforceDone.
type watcher struct {
	cli    command.Cli
	api    watchAPI
	opts   watchOptions
	timing watchTiming
	logger *log.Logger

	host      *host
	statePath string
	release   func() error
	tr        *tracker

	pol *watchPolicy

	stream     *eventStream // nil while the daemon is unreachable
	streamUp   time.Time
	retryDelay time.Duration
	retry      <-chan time.Time // set while waiting to reconnect
	everUp     bool

	saveTimer *time.Timer // set while a save is pending

	enforcing   bool
	pending     bool // enforce as soon as the daemon can be reached
	enforceDone chan enforceOutcome

	// failure stops the watcher: what it watched is gone (see connect).
	failure error
}

func newWatcher(ctx context.Context, dockerCli command.Cli, opts watchOptions) (*watcher, error) {
	w := &watcher{
		cli:         dockerCli,
		opts:        opts,
		timing:      opts.timing.withDefaults(),
		logger:      loggerFrom(ctx),
		enforceDone: make(chan enforceOutcome, 1),
	}
	w.retryDelay = w.timing.retryMin
	var err error
	if w.pol, err = loadWatchPolicy(dockerCli.Err(), opts.policyFile); err != nil {
		return nil, err
	}
	w.api = dockerCli.Client()
	// Everything the watcher keeps belongs to the daemon, so it must know
	// which daemon it watches before it starts: wait for it.
	if w.host, err = w.waitForHost(ctx); err != nil {
		return nil, err
	}
	if w.release, err = acquireWatchLock(w.host.Dir); err != nil {
		return nil, err
	}
	w.statePath = filepath.Join(w.host.Dir, stateFileName)
	w.tr = newTracker(loadState(ctx, w.statePath, time.Now()))
	return w, nil
}

// waitForHost resolves the daemon (see resolveHost), trying again, backing
// off, while it cannot be reached. It fails when ctx ends first.
func (w *watcher) waitForHost(ctx context.Context) (*host, error) {
	for {
		rctx, cancel := context.WithTimeout(ctx, w.timing.requestTimeout)
		h, err := resolveHost(rctx, w.cli)
		cancel()
		if err == nil {
			return h, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !isConnectionError(err) {
			return nil, err
		}
		delay := w.retryDelay
		w.retryDelay = min(2*w.retryDelay, w.timing.retryMax)
		w.logger.Warn(fmt.Sprintf("daemon unreachable, retrying in %s", delay), "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
	}
}

// run is the watcher's loop: one goroutine owns the state, and waits for
// whatever comes first. Nothing polls the daemon: between events the
// watcher sleeps, waking only to look at the policy file's modification
// time, and to save the state now and then.
//
// It returns nil when stopped, and an error only when it cannot go on:
// the endpoint now answers as another daemon, whose state is not this one.
func (w *watcher) run(ctx context.Context, hup <-chan os.Signal) error {
	w.logger.Info("watching", "policy", w.pol.current.Name, "interval", time.Duration(w.opts.interval),
		"state", w.statePath)
	w.logPolicyWarnings(w.pol.current)
	w.pending = !w.opts.noInitial
	w.connect(ctx)

	interval := time.NewTicker(time.Duration(w.opts.interval))
	defer interval.Stop()
	pollPolicy := time.NewTicker(w.timing.pollPolicy)
	defer pollPolicy.Stop()
	heartbeat := time.NewTicker(w.timing.heartbeat)
	defer heartbeat.Stop()

	for {
		if w.failure != nil {
			w.shutdown()
			return w.failure
		}
		if w.pending && !w.enforcing && w.stream != nil {
			w.startEnforcement(ctx)
		}
		var (
			evc   <-chan daemonEvent
			errc  <-chan error
			saveC <-chan time.Time
		)
		if w.stream != nil {
			evc, errc = w.stream.Events, w.stream.Err
		}
		if w.saveTimer != nil {
			saveC = w.saveTimer.C
		}
		select {
		case <-ctx.Done():
			w.shutdown()
			return nil
		case ev := <-evc:
			w.handleEvent(ctx, ev)
		case err := <-errc:
			w.lostDaemon(err)
		case <-w.retry:
			w.retry = nil
			w.connect(ctx)
		case <-saveC:
			w.saveTimer = nil
			w.save()
		case <-heartbeat.C:
			if w.stream != nil {
				w.save()
			}
		case <-interval.C:
			w.due()
		case out := <-w.enforceDone:
			w.enforcing = false
			w.enforced(out)
		case <-pollPolicy.C:
			w.reloadPolicy(false)
		case <-hup:
			w.logger.Info("SIGHUP: reloading the policy")
			w.reloadPolicy(true)
		}
	}
}

// connect (re)establishes the event stream: subscribe first, from the
// horizon, so nothing between the view and the stream is missed; then take
// a fresh view and reconcile the state with it. On failure it schedules
// another attempt.
func (w *watcher) connect(ctx context.Context) {
	since := w.tr.st.Horizon
	stream := subscribe(ctx, w.api, since)
	rctx, cancel := context.WithTimeout(ctx, w.timing.requestTimeout)
	defer cancel()
	view, err := takeView(rctx, w.api, time.Now().UTC())
	var d policy.Daemon
	if err == nil {
		d, err = identify(rctx, w.api)
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
			w.cli.DockerEndpoint().Host, d.ID, w.host.Daemon.ID)
		return
	}
	added, forgotten := w.tr.reconcile(view)
	w.stream, w.streamUp = stream, time.Now()
	msg := "following the daemon's events"
	if w.everUp {
		msg = "daemon reachable again: following its events"
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
	w.tr.advanceHorizon(time.Now().UTC())
	w.save()
	if time.Since(w.streamUp) > w.timing.retryMax {
		w.retryDelay = w.timing.retryMin // it was up a good while: start over
	}
	w.retryLater(err)
}

// retryLater schedules the next attempt to reach the daemon, backing off.
func (w *watcher) retryLater(err error) {
	delay := w.retryDelay
	w.retryDelay = min(2*w.retryDelay, w.timing.retryMax)
	w.logger.Warn(fmt.Sprintf("daemon unreachable, retrying in %s", delay), "err", err)
	w.retry = time.After(delay)
}

// handleEvent resolves what an event leaves out and updates the state.
func (w *watcher) handleEvent(ctx context.Context, ev daemonEvent) {
	w.logger.Debug("event", "type", ev.Type, "action", ev.Action, "id", ev.ID, "name", ev.Name, "image", ev.Image,
		"at", ev.Time.Format(time.RFC3339Nano))
	rctx, cancel := context.WithTimeout(ctx, w.timing.requestTimeout)
	defer cancel()
	tr := w.tr
	switch ev.Type + " " + ev.Action {
	case "image tag":
		tr.tagged(ev.ID, ev.Name, ev.Time)
	case "image pull", "image load", "image import":
		// A pull names the reference pulled, a load or import the ID; the
		// image's tags come with neither.
		id, refs, err := inspectImageRefs(rctx, w.api, ev.ID)
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
		id, refs, err := inspectImageRefs(rctx, w.api, ev.ID)
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
func (w *watcher) containerImage(ctx context.Context, ev daemonEvent) string {
	id, err := inspectContainerImage(ctx, w.api, ev.ID)
	if err == nil {
		return id
	}
	if !isNotFound(err) {
		w.eventError(ev, err)
		return ""
	}
	switch {
	case isImageID(ev.Image):
		return ev.Image
	case ev.Image == "":
		return ""
	}
	if id, ok := w.tr.imageByRef(policy.NormalizeRef(ev.Image)); ok {
		return id
	}
	id, _, err = inspectImageRefs(ctx, w.api, ev.Image)
	if err != nil {
		w.eventError(ev, err)
		return ""
	}
	return id
}

// eventError notes an event that could not be resolved: the object is
// gone already (normal for short-lived ones), or the daemon is going away
// (the stream's end says so next).
func (w *watcher) eventError(ev daemonEvent, err error) {
	w.logger.Debug("event not resolved", "type", ev.Type, "action", ev.Action, "id", ev.ID, "err", err)
}

// scheduleSave saves the state after a short delay, so that a burst of
// events is one write.
func (w *watcher) scheduleSave() {
	if w.saveTimer == nil {
		w.saveTimer = time.NewTimer(w.timing.saveDelay)
	}
}

// save writes the state now, merged with what other commands recorded in
// the file since (check, prune and explain record the images they see for
// the first time), under the state lock. While the daemon is followed, the
// horizon moves to now: the watcher knew everything until then.
func (w *watcher) save() {
	if w.saveTimer != nil {
		w.saveTimer.Stop()
		w.saveTimer = nil
	}
	if w.stream != nil {
		w.tr.advanceHorizon(time.Now().UTC())
	}
	if err := w.saveMerged(); err != nil {
		w.logger.Error("cannot save the watcher's state", "err", err)
		return
	}
	w.tr.dirty = false
	clear(w.tr.gone)
	w.logger.Debug("saved the state", "images", len(w.tr.st.Images), "horizon", w.tr.st.Horizon.Format(time.RFC3339))
}

func (w *watcher) saveMerged() error {
	unlock, err := lockState(context.Background(), w.host.Dir)
	if err != nil {
		return err
	}
	defer unlock()
	disk, err := readState(w.statePath)
	switch {
	case err == nil:
		w.tr.merge(disk)
	case errors.Is(err, fs.ErrNotExist):
	default:
		w.logger.Warn("cannot read the state file to merge with it: replacing it", "err", err)
	}
	return w.tr.st.save(w.statePath)
}

// shutdown waits for a running enforcement to stop (it was cancelled with
// the watcher: the removals in flight end, no new one starts), and saves
// the state.
func (w *watcher) shutdown() {
	w.logger.Info("stopping")
	if w.enforcing {
		w.enforced(<-w.enforceDone)
		w.enforcing = false
	}
	w.save()
	if w.stream != nil {
		w.stream.Close()
	}
	w.logger.Info("stopped", "state", w.statePath)
}

// acquireWatchLock makes the watcher the only one of its Docker context
// (two would write one state file): an flock on <dir>/watch.lock, held for
// the watcher's life. It is not the removal lock (acquireLock), which the
// watcher takes only while it enforces, so prune can run meanwhile.
func acquireWatchLock(dir string) (release func() error, err error) {
	release, err = lockFile(dir, "watch.lock", "docker shaper watch")
	var locked *lockedError
	if errors.As(err, &locked) {
		who := "another process"
		if locked.Holder != nil {
			who = locked.Holder.String()
		}
		return nil, cli.StatusError{StatusCode: 1, Status: fmt.Sprintf(
			"a watcher already runs for this Docker context: %s holds %s", who, locked.Path)}
	}
	return release, err
}

// isConnectionError says whether err means the daemon could not be
// reached.
func isConnectionError(err error) bool { return client.IsErrConnectionFailed(err) }
