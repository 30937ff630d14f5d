package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/policy"
)

// StateFile is the state of one daemon, in its DaemonDir.
const StateFile = "state.json"

// StateLockFile is the lock every writer of the state file holds while it
// reads, merges and replaces it.
const StateLockFile = "state.lock"

// stateVersion is the version of the state file this code writes and reads.
const stateVersion = 1

// State is what docker-shaper knows about a daemon's images, as it
// keeps it in <DaemonDir>/state.json:
//
//	{
//	  "version": 1,
//	  "horizon": "2026-11-22T10:00:00Z",
//	  "images": {
//	    "sha256:…": {"first_seen": "…", "last_used": "…", "refs": ["app:1"]}
//	  }
//	}
//
// Every command that reads the daemon records the images it sees for the
// first time (check, prune and explain as they plan, the watcher as it
// follows events); the watcher also records last use. Horizon is when
// docker-shaper first looked at the daemon, then, while a watcher runs,
// the last time it knew the full state of the Host: events since then are
// what a watcher replays when it starts. Images are keyed by ID; Refs are
// the tags the image had when last looked at, for people and for resolving
// the references containers are created from.
type State struct {
	Version int                     `json:"version"`
	Horizon time.Time               `json:"horizon,omitzero"`
	Images  map[string]*ImageRecord `json:"images"`
}

// ImageRecord is what docker-shaper knows about one image.
type ImageRecord struct {
	// FirstSeen is when the image arrived: the time of the event that
	// brought it, or when docker-shaper first saw it there.
	FirstSeen time.Time `json:"first_seen"`
	// FirstSeenLowerBound says FirstSeen is only when docker-shaper first
	// saw the image, which may have been there long before: an age
	// measured from it is a lower bound. An event that dates the arrival
	// replaces it.
	FirstSeenLowerBound bool `json:"first_seen_lower_bound,omitempty"`
	// LastUsed is the newest create, start or die of a container of the
	// image (zero when none was seen).
	LastUsed time.Time `json:"last_used,omitzero"`
	Refs     []string  `json:"refs,omitempty"`
}

func NewState() *State {
	return &State{Version: stateVersion, Images: make(map[string]*ImageRecord)}
}

// ErrStateCorrupt marks a state file that exists but cannot be used.
var ErrStateCorrupt = errors.New("state file is corrupt")

// ReadState reads the state file at path. A missing file is an error that
// wraps fs.ErrNotExist; a file that cannot be decoded, or is of another
// version, wraps ErrStateCorrupt.
func ReadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st State
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrStateCorrupt, path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: %s: data after the JSON document", ErrStateCorrupt, path)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("%w: %s: version %d, this docker-shaper reads version %d", ErrStateCorrupt, path, st.Version, stateVersion)
	}
	if st.Images == nil {
		st.Images = make(map[string]*ImageRecord)
	}
	for id, rec := range st.Images {
		if rec == nil || id == "" {
			delete(st.Images, id)
		}
	}
	return &st, nil
}

// LoadState is ReadState for the watcher: a missing file is a new, empty
// state; a file that cannot be read or used is moved aside (to
// state.json.corrupt-<time>) with a warning, and the watcher starts afresh.
// It never fails: at worst the watcher forgets what it knew.
func LoadState(ctx context.Context, path string, now time.Time) *State {
	logger := logging.From(ctx)
	st, err := ReadState(path)
	switch {
	case err == nil:
		return st
	case errors.Is(err, fs.ErrNotExist):
		return NewState()
	}
	aside := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	if rerr := os.Rename(path, aside); rerr != nil {
		logger.Warn("cannot read the watcher's state, and cannot move it aside: starting afresh, and it will be overwritten",
			"state", path, "err", err, "rename_err", rerr)
	} else {
		logger.Warn("cannot read the watcher's state: moved it aside, starting afresh",
			"state", path, "moved_to", aside, "err", err)
	}
	return NewState()
}

// Save writes the state to path atomically: a temporary file in the same
// directory, synced, renamed over path, and the directory synced, so a
// crash leaves the old state or the new one, never a mix.
func (st *State) Save(path string) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(path, append(data, '\n'), true); err != nil {
		return fmt.Errorf("saving the watcher's state: %w", err)
	}
	return nil
}

// writeAtomic replaces path with data through a temporary file in the same
// directory, so that readers see the old file or the new one, never a mix.
// durable also syncs the file and the directory, so that a crash cannot
// lose the new file once it has been written.
func writeAtomic(path string, data []byte, durable bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	_, werr := f.Write(data)
	var serr error
	if durable {
		serr = f.Sync()
	}
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if durable {
		return syncDir(dir)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if err := errors.Join(serr, cerr); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// ApplyTo gives the snapshot's images what the state knows: FirstSeen
// (and whether it is a lower bound) and LastUsed. An image without a record
// keeps a zero FirstSeen, which the engine reads as "just arrived".
func (st *State) ApplyTo(snap *policy.Snapshot) {
	for i := range snap.Images {
		img := &snap.Images[i]
		if rec := st.Images[img.ID]; rec != nil {
			img.FirstSeen = rec.FirstSeen
			img.FirstSeenIsLowerBound = rec.FirstSeenLowerBound
			img.LastUsed = rec.LastUsed
		}
	}
}

// Observe records, in the state file of dir, the first sighting of every
// image of snap that has no record yet, dated at (when the snapshot was
// taken, on the real clock) and marked a lower bound; it forgets records
// of images that were recorded before the snapshot began (listedFrom) and
// are not in it, which keeps the file as large as the Host's image list.
// The first observation of a daemon sets the horizon. Then it gives the
// snapshot the state's facts (applyTo).
//
// It holds the state lock while it reads, merges and replaces the file, so
// a watcher saving at the same time loses nothing. When the state cannot
// be recorded (a read-only directory, a lock held too long), it says so
// and dates images from what it could read: an image without a record is
// taken to have just arrived, which never makes anything due sooner.
func Observe(ctx context.Context, dir string, snap *policy.Snapshot, listedFrom, at time.Time) {
	ObserveFrom(ctx, dir, nil, snap, listedFrom, at)
}

// PeekState reads dir's state file without the lock (every save replaces
// the file whole), for ObserveFrom; nil when there is none or it cannot
// be used.
func PeekState(dir string) *State {
	st, err := ReadState(filepath.Join(dir, StateFile))
	if err != nil {
		return nil
	}
	return st
}

// ObserveFrom is Observe, given the state as it was read while the
// snapshot was taken (PeekState; nil for none): when the snapshot adds
// nothing to it, as when the same host is checked again, that state is
// what the snapshot gets, and the file is neither locked nor written.
func ObserveFrom(ctx context.Context, dir string, peeked *State, snap *policy.Snapshot, listedFrom, at time.Time) {
	if peeked != nil {
		if _, _, changed := peeked.Record(*snap, listedFrom, at); !changed {
			peeked.ApplyTo(snap)
			return
		}
	}
	logger := logging.From(ctx)
	path := filepath.Join(dir, StateFile)
	unlock, err := LockState(ctx, dir)
	if err != nil {
		logger.Warn("cannot record what docker-shaper sees: images it has not recorded yet count as just arrived", "err", err)
		if st, rerr := ReadState(path); rerr == nil {
			st.ApplyTo(snap)
		}
		return
	}
	defer unlock()
	st := LoadState(ctx, path, at)
	added, forgotten, changed := st.Record(*snap, listedFrom, at)
	if changed {
		if err := st.Save(path); err != nil {
			logger.Warn("cannot record what docker-shaper sees: images it has not recorded yet count as just arrived", "err", err)
		} else {
			logger.Debug("recorded images", "state", path, "new", added, "gone", forgotten)
		}
	}
	st.ApplyTo(snap)
}

// Record adds a record, dated at and marked a lower bound, for each image
// of snap without one, and forgets records older than listedFrom of images
// not in snap. It records the use each container of snap shows (its
// creation, start or finish; now for a running one) as its image's last
// use, so the use outlives the container: removing a container never
// makes its image look unused for longer. It sets the horizon when there
// is none. changed says whether st changed.
func (st *State) Record(snap policy.Snapshot, listedFrom, at time.Time) (added, forgotten int, changed bool) {
	present := make(map[string]bool, len(snap.Images))
	for i := range snap.Images {
		img := &snap.Images[i]
		present[img.ID] = true
		if st.Images[img.ID] == nil {
			st.Images[img.ID] = &ImageRecord{FirstSeen: at, FirstSeenLowerBound: true, Refs: slices.Compact(slices.Sorted(slices.Values(img.Tags)))}
			added++
		}
	}
	for id, rec := range st.Images {
		if !present[id] && rec.FirstSeen.Before(listedFrom) {
			delete(st.Images, id)
			forgotten++
		}
	}
	changed = added+forgotten > 0
	for i := range snap.Containers {
		c := &snap.Containers[i]
		rec := st.Images[c.ImageID]
		if rec == nil {
			continue
		}
		use := c.Created
		for _, t := range []time.Time{c.StartedAt, c.FinishedAt} {
			if t.After(use) {
				use = t
			}
		}
		if c.State == policy.StateRunning || c.State == policy.StatePaused || c.State == policy.StateRestarting {
			if at.Sub(rec.LastUsed) < runningUseStep {
				continue
			}
			use = at
		}
		if use.After(rec.LastUsed) && !use.After(at) {
			rec.LastUsed = use
			changed = true
		}
	}
	if st.Horizon.IsZero() {
		st.Horizon = at
		changed = true
	}
	return added, forgotten, changed
}

// runningUseStep is how far a running container's use may run ahead of
// what the state records of it: it is recorded as it is seen, at most
// once a step, so that checks a few seconds apart do not rewrite the state
// each time. The engine sees the container itself while it exists; the
// record matters only once it is gone, and is then at most a step old.
const runningUseStep = time.Minute

// Merge adds to st what another writer recorded in disk since st was read:
// records st lacks (but for those in gone, images st knows were deleted),
// the earlier first sighting of an image both know, and the later use.
func (st *State) Merge(disk *State, gone map[string]bool) {
	for id, drec := range disk.Images {
		rec := st.Images[id]
		switch {
		case rec == nil && gone[id]:
		case rec == nil:
			cp := *drec
			st.Images[id] = &cp
		default:
			if drec.FirstSeen.Before(rec.FirstSeen) {
				rec.FirstSeen, rec.FirstSeenLowerBound = drec.FirstSeen, drec.FirstSeenLowerBound
			}
			if drec.LastUsed.After(rec.LastUsed) {
				rec.LastUsed = drec.LastUsed
			}
		}
	}
	if st.Horizon.IsZero() {
		st.Horizon = disk.Horizon
	}
}

// stateLockWait is how long a writer waits for another to finish with the
// state file; writers hold it for the few milliseconds a save takes.
const stateLockWait = 10 * time.Second

// LockState takes the state lock of dir, waiting up to stateLockWait.
func LockState(ctx context.Context, dir string) (unlock func() error, err error) {
	deadline := time.After(stateLockWait)
	for {
		l, err := lockFile(dir, StateLockFile, "docker shaper", time.Time{})
		if err == nil {
			return l.release, nil
		}
		var locked *LockedError
		if !errors.As(err, &locked) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline:
			return nil, fmt.Errorf("the state file's lock is held: %w", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// RecordArrivals records, in the state file of dir, the images of arrivals
// (by ID) that have no record yet, as the watcher records an arrival it
// hears of: the live view (docker shaper status) calls it for the images
// events bring. It returns the state's record of every image of arrivals
// after the merge (an earlier record wins), so the caller dates them as
// check will. When the state cannot be written, it says so and returns
// arrivals as given.
func RecordArrivals(ctx context.Context, dir string, arrivals map[string]ImageRecord, at time.Time) map[string]ImageRecord {
	logger := logging.From(ctx)
	path := filepath.Join(dir, StateFile)
	unlock, err := LockState(ctx, dir)
	if err != nil {
		logger.Warn("cannot record what docker-shaper sees", "err", err)
		return arrivals
	}
	defer unlock()
	st := LoadState(ctx, path, at)
	out := make(map[string]ImageRecord, len(arrivals))
	changed := false
	for id, rec := range arrivals {
		if cur := st.Images[id]; cur != nil {
			out[id] = *cur
			continue
		}
		r := rec
		st.Images[id] = &r
		out[id] = r
		changed = true
	}
	if st.Horizon.IsZero() {
		st.Horizon = at
		changed = true
	}
	if changed {
		if err := st.Save(path); err != nil {
			logger.Warn("cannot record what docker-shaper sees", "err", err)
		}
	}
	return out
}
