package watch

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/charmbracelet/log"
	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/internal/policyfile"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/policy"
)

// Options are a watcher's parameters and what it is given to do its work.
type Options struct {
	// API is the daemon, Endpoint where it is (for messages).
	API      docker.WatchAPI
	Endpoint string
	// Policy is where the policy is looked up on each reload; Initial is
	// the policy it starts with, loaded from there.
	Policy  policyfile.Lookup
	Initial *policyfile.Loaded
	// Interval is how often the policy is enforced; NoInitial skips the
	// enforcement at start.
	Interval  time.Duration
	NoInitial bool
	// Timing is the watcher's pace; zero fields take the defaults (tests
	// make it quicker).
	Timing Timing
	Clock  clock.Clock
	// ResolveHost asks the daemon who it is and finds its directory.
	ResolveHost func(context.Context) (*store.Host, error)
	// Enforce plans and applies lp on h, as prune -f does, under the
	// daemon's removal lock; with DryRun, it only plans.
	Enforce func(ctx context.Context, lp *policyfile.Loaded, h *store.Host) Outcome
	// DryRun says that Enforce removes nothing: each enforcement logs what
	// it would do instead (see logOutcome). The watcher still follows the
	// events and records last use.
	DryRun bool
	// Observer hears what the watcher does (metrics); nil for none.
	Observer Observer
}

// Outcome is what one enforcement came to. Plan is nil when no plan was
// made, Report when nothing was applied (nothing to do).
type Outcome struct {
	Plan   *policy.Plan
	Report *apply.Report
	Err    error
}

// Timing is how often the watcher does what it does besides following
// events.
type Timing struct {
	// SaveDelay is how long changes to the state wait before they are
	// written, so a burst of events costs one write.
	SaveDelay time.Duration
	// Heartbeat is how often the state is written while nothing happens,
	// which keeps the horizon close should the watcher be killed.
	Heartbeat time.Duration
	// PollPolicy is how often the policy file is looked at for changes.
	PollPolicy time.Duration
	// RetryMin and RetryMax bound the wait between attempts to reach the
	// daemon; it doubles from one to the other.
	RetryMin, RetryMax time.Duration
	// RequestTimeout bounds each call made on (re)connecting and to
	// resolve an event.
	RequestTimeout time.Duration
}

func (t Timing) withDefaults() Timing {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.SaveDelay, 5*time.Second)
	def(&t.Heartbeat, 5*time.Minute)
	def(&t.PollPolicy, 2*time.Second)
	def(&t.RetryMin, time.Second)
	def(&t.RetryMax, 30*time.Second)
	def(&t.RequestTimeout, 30*time.Second)
	return t
}

// DefaultInterval is how often the watcher enforces the policy.
const DefaultInterval = time.Hour

// Run runs the watcher until ctx is cancelled (the caller cancels it on
// SIGINT and SIGTERM); then it lets the current removals stop (apply starts no new
// action once cancelled), saves the state and returns nil. It fails at
// start when another watcher runs for the daemon, and later only when the
// endpoint turns out to be another daemon. The daemon may be away at
// start, and come and go.
func Run(ctx context.Context, opts Options) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	w, err := newWatcher(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting for the daemon
		}
		return err
	}
	defer w.lock.Release()
	return w.run(ctx, hup)
}

// watcher is one run of docker shaper watch. Its fields are touched by the
// run loop only; the enforcement goroutine reports through enforceDone.
type watcher struct {
	opts   Options
	api    docker.WatchAPI
	timing Timing
	clock  clock.Clock
	logger *log.Logger

	obs Observer

	host      *store.Host
	statePath string
	lock      *store.WatchLock
	tr        *tracker

	pol *watchPolicy

	stream     *docker.EventStream // nil while the daemon is unreachable
	streamUp   time.Time
	retryDelay time.Duration
	retry      <-chan time.Time // set while waiting to reconnect
	everUp     bool

	saveTimer *time.Timer // set while a save is pending

	enforcing   bool
	pending     bool // enforce as soon as the daemon can be reached
	enforceDone chan enforced
	// nextTick is when the interval next falls due; lastEnforced and
	// lastOutcome say when the last enforcement ended and how. The
	// watcher publishes them in watch.lock (see publishSchedule).
	nextTick     time.Time
	lastEnforced time.Time
	lastOutcome  string

	// failure stops the watcher: what it watched is gone (see connect).
	failure error
}

func newWatcher(ctx context.Context, opts Options) (*watcher, error) {
	w := &watcher{
		opts:        opts,
		api:         opts.API,
		timing:      opts.Timing.withDefaults(),
		clock:       opts.Clock,
		logger:      logging.From(ctx),
		enforceDone: make(chan enforced, 1),
	}
	w.retryDelay = w.timing.RetryMin
	if w.obs = opts.Observer; w.obs == nil {
		w.obs = nopObserver{}
	}
	w.pol = newWatchPolicy(opts.Policy, opts.Initial)
	var err error
	// Everything the watcher keeps belongs to the daemon, so it must know
	// which daemon it watches before it starts: wait for it.
	if w.host, err = w.waitForHost(ctx); err != nil {
		return nil, err
	}
	if w.lock, err = store.AcquireWatchLock(w.host.Dir, w.clock(), opts.Interval); err != nil {
		return nil, err
	}
	w.statePath = filepath.Join(w.host.Dir, store.StateFile)
	w.tr = newTracker(store.LoadState(ctx, w.statePath, w.clock()))
	return w, nil
}

// waitForHost resolves the daemon, trying again, backing off, while it
// cannot be reached. It fails when ctx ends first.
func (w *watcher) waitForHost(ctx context.Context) (*store.Host, error) {
	for {
		rctx, cancel := context.WithTimeout(ctx, w.timing.RequestTimeout)
		h, err := w.opts.ResolveHost(rctx)
		cancel()
		if err == nil {
			return h, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !docker.IsConnectionError(err) {
			return nil, err
		}
		delay := w.retryDelay
		w.retryDelay = min(2*w.retryDelay, w.timing.RetryMax)
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
	w.logger.Info("watching", "policy", w.pol.current.Name(), "interval", w.opts.Interval,
		"state", w.statePath)
	if w.opts.DryRun {
		w.logger.Warn("dry run: each enforcement logs what it would remove, and removes nothing")
	}
	w.logPolicyWarnings(w.pol.current)
	w.pending = !w.opts.NoInitial
	w.connect(ctx)

	interval := time.NewTicker(w.opts.Interval)
	defer interval.Stop()
	w.nextTick = w.clock().Add(w.opts.Interval)
	w.publishSchedule()
	pollPolicy := time.NewTicker(w.timing.PollPolicy)
	defer pollPolicy.Stop()
	heartbeat := time.NewTicker(w.timing.Heartbeat)
	defer heartbeat.Stop()

	for {
		w.obs.Alive(w.clock())
		if w.failure != nil {
			w.shutdown()
			return w.failure
		}
		if w.pending && !w.enforcing && w.stream != nil {
			w.startEnforcement(ctx)
		}
		var (
			evc   <-chan docker.Event
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
			w.nextTick = w.clock().Add(w.opts.Interval)
			w.due()
			w.publishSchedule()
		case out := <-w.enforceDone:
			w.enforcing = false
			w.finished(out)
		case <-pollPolicy.C:
			w.reloadPolicy(false)
		case <-hup:
			w.logger.Info("SIGHUP: reloading the policy")
			w.reloadPolicy(true)
		}
	}
}

// shutdown waits for a running enforcement to stop (it was cancelled with
// the watcher: the removals in flight end, no new one starts), and saves
// the state.
func (w *watcher) shutdown() {
	w.logger.Info("stopping")
	if w.enforcing {
		w.finished(<-w.enforceDone)
		w.enforcing = false
	}
	w.save()
	if w.stream != nil {
		w.stream.Close()
	}
	w.logger.Info("stopped", "state", w.statePath)
}
