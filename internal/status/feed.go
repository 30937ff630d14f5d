package status

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/policyfile"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/policy"
)

// The feed's pace. Nothing here polls the daemon while nothing happens:
// the feed waits for events, and wakes on its own only to look at two
// files and a lock (poll), to re-plan as time passes (replan, or sooner
// when an object's age conditions come true), and for a full snapshot now
// and then (resnapshot), which also catches what no event announces (the
// build cache, sizes).
type pace struct {
	debounce   time.Duration // events are gathered this long before re-planning
	poll       time.Duration // policy file, watch.lock, state file, journal
	replan     time.Duration
	resnapshot time.Duration
	usage      time.Duration // resource use of the running containers shown
	retryMin   time.Duration // reconnecting to the daemon, doubling up to retryMax
	retryMax   time.Duration
	request    time.Duration // bound on each call to the daemon
}

var defaultPace = pace{
	debounce:   150 * time.Millisecond,
	poll:       3 * time.Second,
	replan:     time.Minute,
	resnapshot: 10 * time.Minute,
	usage:      5 * time.Second,
	retryMin:   time.Second,
	retryMax:   30 * time.Second,
	request:    30 * time.Second,
}

// Messages from the feed to the program.
type (
	// dataMsg is a new plan of the host: every object and its verdict.
	dataMsg struct {
		doc    *Document
		policy *policy.Policy
		snap   policy.Snapshot
	}
	// usageMsg is the resource use of running containers, by ID.
	usageMsg map[string]Usage
	// watcherMsg is news of the watcher and the daemon's files.
	watcherMsg Watcher
	// connMsg says whether the feed follows the daemon's events.
	connMsg struct {
		live bool
		err  error
	}
	// noticeMsg is something to tell the user in the status line.
	noticeMsg struct {
		text string
		err  bool
	}
)

// feed keeps the live view's copy of the host up to date: it follows the
// daemon's events, applies each to the one object it names (inspecting
// that object, never listing the host again), re-plans a moment later
// (Evaluate is a pure function of the policy and the snapshot, and fast),
// and sends the program each new Document. It runs in one goroutine, which
// owns everything here but the requests.
type feed struct {
	src   source
	out   chan<- any
	clock clock.Clock
	nowAt func(time.Time) time.Time
	pace  pace

	lp      *policyfile.Loaded
	lpStamp string
	daemon  policy.Daemon
	dir     string
	h       host

	samples map[string]docker.Usage
	usage   map[string]Usage
	watch   Watcher

	// Requests from the program (see requestRefresh, requestUsage).
	mu        sync.Mutex
	usageIDs  []string
	requested chan struct{} // a request is waiting
	refresh   bool
}

func newFeed(src source, out chan<- any, clk clock.Clock, nowAt func(time.Time) time.Time, p pace) *feed {
	return &feed{src: src, out: out, clock: clk, nowAt: nowAt, pace: p,
		samples: make(map[string]docker.Usage), usage: make(map[string]Usage), requested: make(chan struct{}, 1)}
}

// start sets the feed's first view: the policy, the snapshot, the daemon's
// directory.
func (f *feed) start(lp *policyfile.Loaded, snap policy.Snapshot, h *store.Host) {
	f.lp, f.lpStamp = lp, f.src.policyStamp(lp)
	f.h.snap = snap
	f.daemon, f.dir = h.Daemon, h.Dir
	f.watch = f.src.watcher(f.dir)
}

// requestRefresh asks for a full snapshot and a fresh look at the policy.
func (f *feed) requestRefresh() {
	f.mu.Lock()
	f.refresh = true
	f.mu.Unlock()
	f.signal()
}

// requestUsage sets the running containers whose resource use is
// sampled: those the program shows, none when it shows no containers.
func (f *feed) requestUsage(ids []string) {
	f.mu.Lock()
	same := slices.Equal(ids, f.usageIDs)
	f.usageIDs = ids
	f.mu.Unlock()
	if !same {
		f.signal()
	}
}

func (f *feed) signal() {
	select {
	case f.requested <- struct{}{}:
	default:
	}
}

// send hands the program a message, unless the feed is stopping.
func (f *feed) send(ctx context.Context, msg any) {
	select {
	case f.out <- msg:
	case <-ctx.Done():
	}
}

// run follows the daemon until ctx ends. stream is the subscription made
// before the first snapshot, so that nothing between the two is missed.
func (f *feed) run(ctx context.Context, stream *docker.EventStream) {
	defer func() {
		if stream != nil {
			stream.Close()
		}
	}()
	var (
		debounce   <-chan time.Time // set while events wait to be planned
		replan     = time.NewTimer(0)
		retry      <-chan time.Time
		retryDelay = f.pace.retryMin
		usageTick  <-chan time.Time
		usageIDs   []string
	)
	defer replan.Stop()
	poll := time.NewTicker(f.pace.poll)
	defer poll.Stop()
	resnapshot := time.NewTicker(f.pace.resnapshot)
	defer resnapshot.Stop()

	plan := func() {
		debounce = nil
		next := f.evaluate(ctx)
		replan.Reset(next)
	}
	for {
		var (
			evc  <-chan docker.Event
			errc <-chan error
		)
		if stream != nil {
			evc, errc = stream.Events, stream.Err
		}
		select {
		case <-ctx.Done():
			return
		case ev := <-evc:
			f.apply(ctx, ev)
			if debounce == nil {
				debounce = time.After(f.pace.debounce)
			}
		case err := <-errc:
			stream.Close()
			stream = nil
			f.send(ctx, connMsg{live: false, err: err})
			retry = time.After(retryDelay)
			retryDelay = min(2*retryDelay, f.pace.retryMax)
		case <-retry:
			retry = nil
			stream = f.src.subscribe(ctx)
			if err := f.resnapshot(ctx, false); err != nil {
				stream.Close()
				stream = nil
				f.send(ctx, connMsg{live: false, err: err})
				retry = time.After(retryDelay)
				retryDelay = min(2*retryDelay, f.pace.retryMax)
				continue
			}
			retryDelay = f.pace.retryMin
			f.send(ctx, connMsg{live: true})
			plan()
		case <-debounce:
			plan()
		case <-replan.C:
			plan()
		case <-poll.C:
			if f.pollFiles(ctx) {
				plan()
			}
		case <-resnapshot.C:
			if stream != nil && f.resnapshot(ctx, false) == nil {
				plan()
			}
		case <-usageTick:
			f.sample(ctx, usageIDs)
			usageTick = time.After(f.pace.usage)
		case <-f.requested:
			f.mu.Lock()
			refresh, ids := f.refresh, f.usageIDs
			f.refresh = false
			f.mu.Unlock()
			if refresh && stream != nil {
				if err := f.resnapshot(ctx, true); err == nil {
					f.send(ctx, noticeMsg{text: "refreshed: a full snapshot of the host"})
				}
				plan()
			}
			if !slices.Equal(ids, usageIDs) {
				usageIDs = ids
				usageTick = nil
				if len(ids) > 0 {
					// A first sample now gives memory, a second soon after
					// the CPU.
					f.sample(ctx, ids)
					usageTick = time.After(min(time.Second, f.pace.usage))
				}
			}
		}
	}
}

// evaluate plans the host as it is now, sends the program the Document,
// and says when to plan again: when the first object kept for being too
// young comes of age, or after pace.replan.
func (f *feed) evaluate(ctx context.Context) time.Duration {
	now := f.nowAt(f.clock())
	snap := f.h.copied()
	snap.Now = now
	doc := Build(Input{Policy: f.lp.Policy, PolicyName: f.lp.Name(), Daemon: f.daemon, Snapshot: snap,
		Usage: maps.Clone(f.usage), Watcher: f.watch})
	f.send(ctx, dataMsg{doc: &doc, policy: f.lp.Policy, snap: snap})
	next := f.pace.replan
	for _, k := range doc.Kept {
		if d := k.ExpiresAt.Sub(now); !k.ExpiresAt.IsZero() && d > 0 && d < next {
			next = d + time.Second/10
		}
	}
	return next
}

// apply brings the host up to date with one event: it reads the object
// the event names, or forgets it when it is gone.
func (f *feed) apply(ctx context.Context, ev docker.Event) {
	rctx, cancel := context.WithTimeout(ctx, f.pace.request)
	defer cancel()
	var err error
	switch ev.Type {
	case "image":
		err = f.applyImage(rctx, ev)
	case "container":
		if ev.Action == "destroy" {
			f.h.removeContainer(ev.ID)
			return
		}
		err = f.applyContainer(rctx, ev.ID)
	case "volume":
		if ev.Action == "destroy" {
			f.h.removeVolume(ev.ID)
			return
		}
		var v policy.Volume
		if v, err = f.src.volume(rctx, ev.ID); err == nil {
			f.h.putVolume(v)
		} else if docker.IsNotFound(err) {
			f.h.removeVolume(ev.ID)
			err = nil
		}
	case "network":
		switch ev.Action {
		case "destroy":
			f.h.removeNetwork(ev.ID)
		case "connect", "disconnect":
			err = f.applyContainer(rctx, ev.Container)
		default:
			var n policy.Network
			if n, err = f.src.network(rctx, ev.ID); err == nil {
				f.h.putNetwork(n)
			} else if docker.IsNotFound(err) {
				f.h.removeNetwork(ev.ID)
				err = nil
			}
		}
	}
	if err != nil && ctx.Err() == nil {
		f.send(ctx, noticeMsg{text: fmt.Sprintf("%s %s: %v", ev.Type, ev.Action, err), err: true})
	}
}

// applyImage reads the image an image event names (a pull names the
// reference pulled, the others the ID). An image that arrives is recorded
// in the daemon's state file, dated by the event, as the watcher records
// it: every command dates it alike.
func (f *feed) applyImage(ctx context.Context, ev docker.Event) error {
	if ev.ID == "" {
		// A load on Podman does not say what it loaded.
		f.requestRefresh()
		return nil
	}
	// Podman says delete when it only untags: there the image is read.
	if ev.Action == "delete" && f.daemon.Engine != docker.EnginePodman {
		f.h.removeImage(ev.ID)
		return nil
	}
	img, err := f.src.image(ctx, ev.ID)
	if docker.IsNotFound(err) {
		if ev.Action == "untag" || ev.Action == "delete" { // an untag's delete event follows
			f.h.removeImage(ev.ID)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if f.h.image(img.ID) == nil {
		// untag is no arrival: the image was there before (a first
		// sighting, as check records one).
		rec := store.ImageRecord{FirstSeen: ev.Time, FirstSeenLowerBound: ev.Action == "untag", Refs: img.Tags}
		recs := f.src.recordArrivals(ctx, f.dir, map[string]store.ImageRecord{img.ID: rec}, f.clock())
		if r, ok := recs[img.ID]; ok {
			img.FirstSeen, img.FirstSeenIsLowerBound, img.LastUsed = r.FirstSeen, r.FirstSeenLowerBound, r.LastUsed
		}
	}
	f.h.putImage(img)
	return nil
}

func (f *feed) applyContainer(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	c, err := f.src.container(ctx, id)
	switch {
	case docker.IsNotFound(err):
		f.h.removeContainer(id)
		return nil
	case err != nil:
		return err
	}
	f.h.putContainer(c)
	return nil
}

// resnapshot takes a full snapshot of the host, after loading the policy
// again when reload is set (a policy with errors is reported, and the
// current one kept).
func (f *feed) resnapshot(ctx context.Context, reload bool) error {
	if reload {
		f.reloadPolicy(ctx)
	}
	rctx, cancel := context.WithTimeout(ctx, f.pace.request)
	defer cancel()
	snap, h, err := f.src.snapshot(rctx, f.lp)
	if err != nil {
		if ctx.Err() == nil {
			f.send(ctx, noticeMsg{text: "cannot take a snapshot of the host: " + err.Error(), err: true})
		}
		return err
	}
	f.h.snap = snap
	f.daemon, f.dir = h.Daemon, h.Dir
	return nil
}

// reloadPolicy loads the policy again; a policy with errors is reported
// and the current one stays. It says whether the policy changed.
func (f *feed) reloadPolicy(ctx context.Context) bool {
	var diags bytes.Buffer
	lp, err := f.src.policy(&diags)
	f.lpStamp = f.src.policyStamp(f.lp)
	if err != nil {
		msg := err.Error()
		if first, _, _ := strings.Cut(strings.TrimSpace(diags.String()), "\n"); first != "" {
			msg = first + " (" + msg + ")"
		}
		f.send(ctx, noticeMsg{text: "policy not loaded, the previous one stays: " + msg, err: true})
		return false
	}
	f.lp, f.lpStamp = lp, f.src.policyStamp(lp)
	f.send(ctx, noticeMsg{text: "policy loaded: " + lp.Name()})
	return true
}

// pollFiles looks at the policy file (reloading it when it changed) and at
// the watcher and the daemon's files (telling the program when they
// changed). It says whether the plan must be made again.
func (f *feed) pollFiles(ctx context.Context) bool {
	replan := false
	if f.src.policyStamp(f.lp) != f.lpStamp {
		replan = f.reloadPolicy(ctx)
	}
	if w := f.src.watcher(f.dir); !reflect.DeepEqual(w, f.watch) {
		f.watch = w
		if !replan {
			f.send(ctx, watcherMsg(w))
		}
	}
	return replan
}

// sampleConcurrency bounds the statistics calls in flight.
const sampleConcurrency = 4

// sample reads the resource use of the containers ids, a few at a time,
// and sends it: memory from each sample, CPU from two in a row.
func (f *feed) sample(ctx context.Context, ids []string) {
	if len(ids) == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, f.pace.request)
	defer cancel()
	samples := make([]docker.Usage, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	sem := make(chan struct{}, sampleConcurrency)
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			samples[i], errs[i] = f.src.usage(rctx, id, false)
		}()
	}
	wg.Wait()
	for i, id := range ids {
		if errs[i] != nil {
			continue
		}
		f.usage[id] = usageFrom(samples[i], f.samples[id])
		f.samples[id] = samples[i]
	}
	for id := range f.samples {
		if !slices.Contains(ids, id) {
			delete(f.samples, id)
		}
	}
	f.send(ctx, usageMsg(maps.Clone(f.usage)))
}

// usageFrom is a sample as the view shows it: memory, and CPU when an
// earlier sample (or the sample's own previous one) allows.
func usageFrom(u, earlier docker.Usage) Usage {
	out := Usage{Memory: ptr(u.Memory)}
	if u.MemoryLimit > 0 {
		out.MemoryLimit = ptr(u.MemoryLimit)
	}
	if u.PreSystem > 0 {
		earlier = docker.Usage{CPU: u.PreCPU, System: u.PreSystem}
	}
	if pct, ok := u.CPUPercent(earlier); ok {
		out.CPUPercent = ptr(pct)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
