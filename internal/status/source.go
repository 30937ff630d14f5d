package status

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/policyfile"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/policy"
)

// Options are what docker shaper status is given: how to load the policy
// and snapshot the host (as check does), the daemon's API for what
// follows, and how to enforce (as prune does).
type Options struct {
	// Policy finds and loads the policy, writing the diagnostics of a
	// policy with errors to diags.
	Policy func(diags io.Writer) (*policyfile.Loaded, error)
	// Snapshot takes a snapshot of the host for lp, as check does (the
	// state file's dates applied, new images recorded in it), and says
	// which daemon and directory it is.
	Snapshot func(ctx context.Context, lp *policyfile.Loaded) (policy.Snapshot, *store.Host, error)
	// API is the daemon, for events, single objects and statistics.
	API API
	// Enforce runs the plan as prune does (lock, plan, approve, apply,
	// journal), asking approve before removing anything; nil when the view
	// is for another time (--now), where running the plan makes no sense.
	Enforce func(ctx context.Context, approve func(policy.Plan) error, progress apply.Progress) (*apply.Report, error)
	// Clock is the real clock; Now turns it into the time plans are made
	// for (--now).
	Clock clock.Clock
	Now   func(time.Time) time.Time
}

// API is the part of the daemon's API the live view reads.
type API interface {
	docker.EventsAPI
	docker.ObjectAPI
}

// source is the host as the live view reads it: the daemon, the policy
// file and the daemon's directory. The daemon-backed one is daemonSource;
// tests have their own.
type source interface {
	policy(diags io.Writer) (*policyfile.Loaded, error)
	// policyStamp says when the policy file changed (its path, size and
	// modification time); "" for the embedded default.
	policyStamp(lp *policyfile.Loaded) string
	snapshot(ctx context.Context, lp *policyfile.Loaded) (policy.Snapshot, *store.Host, error)
	subscribe(ctx context.Context) *docker.EventStream
	image(ctx context.Context, ref string) (policy.Image, error)
	container(ctx context.Context, id string) (policy.Container, error)
	volume(ctx context.Context, name string) (policy.Volume, error)
	network(ctx context.Context, id string) (policy.Network, error)
	usage(ctx context.Context, id string, previous bool) (docker.Usage, error)
	recordArrivals(ctx context.Context, dir string, arrivals map[string]store.ImageRecord, at time.Time) map[string]store.ImageRecord
	watcher(dir string) Watcher
}

// daemonSource reads the daemon through internal/docker, and the
// daemon's files through internal/store.
type daemonSource struct {
	opts Options
	// The journal and the state are read again only when they change.
	journalStamp, stateStamp fileStamp
	journal                  []store.Entry
	stateImages              int
	horizon                  time.Time
}

func (s *daemonSource) policy(diags io.Writer) (*policyfile.Loaded, error) {
	return s.opts.Policy(diags)
}

func (s *daemonSource) policyStamp(lp *policyfile.Loaded) string {
	if lp.Source.Path == "" {
		return ""
	}
	return stampOf(lp.Source.Path).String()
}

func (s *daemonSource) snapshot(ctx context.Context, lp *policyfile.Loaded) (policy.Snapshot, *store.Host, error) {
	return s.opts.Snapshot(ctx, lp)
}

func (s *daemonSource) subscribe(ctx context.Context) *docker.EventStream {
	return docker.SubscribeHost(ctx, s.opts.API)
}

func (s *daemonSource) image(ctx context.Context, ref string) (policy.Image, error) {
	return docker.InspectImage(ctx, s.opts.API, ref)
}

func (s *daemonSource) container(ctx context.Context, id string) (policy.Container, error) {
	return docker.InspectContainer(ctx, s.opts.API, id)
}

func (s *daemonSource) volume(ctx context.Context, name string) (policy.Volume, error) {
	return docker.InspectVolume(ctx, s.opts.API, name)
}

func (s *daemonSource) network(ctx context.Context, id string) (policy.Network, error) {
	return docker.InspectNetwork(ctx, s.opts.API, id)
}

func (s *daemonSource) usage(ctx context.Context, id string, previous bool) (docker.Usage, error) {
	return docker.ContainerUsage(ctx, s.opts.API, id, previous)
}

func (s *daemonSource) recordArrivals(ctx context.Context, dir string, arrivals map[string]store.ImageRecord, at time.Time) map[string]store.ImageRecord {
	return store.RecordArrivals(ctx, dir, arrivals, at)
}

// journalTail is how many of the journal's entries the view shows.
const journalTail = 10

// watcher reads what is known of the daemon's watcher: whether one holds
// watch.lock (and its schedule), the state file's size and horizon, and
// the journal's last entries; the files are read again only when they
// changed.
func (s *daemonSource) watcher(dir string) Watcher {
	w := Watcher{StateFile: filepath.Join(dir, store.StateFile), JournalFile: filepath.Join(dir, store.JournalFile)}
	holder, running, err := store.ProbeWatcher(dir)
	if err == nil {
		w.Running, w.Holder = running, holder
	}
	if st := stampOf(w.StateFile); st != s.stateStamp {
		s.stateStamp = st
		s.stateImages, s.horizon = 0, time.Time{}
		if state, err := store.ReadState(w.StateFile); err == nil {
			s.stateImages, s.horizon = len(state.Images), state.Horizon
		}
	}
	if st := stampOf(w.JournalFile); st != s.journalStamp {
		s.journalStamp = st
		s.journal = nil
		if entries, err := store.JournalTail(w.JournalFile, journalTail); err == nil {
			s.journal = entries
		}
	}
	w.StateImages, w.Horizon, w.Journal = s.stateImages, s.horizon, s.journal
	return w
}

// fileStamp tells whether a file changed: its size and modification time
// (zero when it does not exist).
type fileStamp struct {
	size    int64
	modTime time.Time
	path    string
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{path: path}
	}
	return fileStamp{size: fi.Size(), modTime: fi.ModTime(), path: path}
}

func (f fileStamp) String() string {
	return fmt.Sprintf("%s %d %d", f.path, f.size, f.modTime.UnixNano())
}
