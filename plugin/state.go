package plugin

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

	"github.com/docker-shaper/docker-shaper/policy"
)

// stateFileName is the watcher's state of one Docker context, in its
// contextDir.
const stateFileName = "state.json"

// stateVersion is the version of the state file this code writes and reads.
const stateVersion = 1

// watchState is what the watcher knows about a Docker host's images, as it
// keeps it in <contextDir>/state.json:
//
//	{
//	  "version": 1,
//	  "horizon": "2026-11-22T10:00:00Z",
//	  "images": {
//	    "sha256:…": {"first_seen": "…", "last_used": "…", "refs": ["app:1"]}
//	  }
//	}
//
// Horizon is the last time the watcher knew the full state of the host:
// an image that is not in Images arrived after it. Images are keyed by ID;
// Refs are the tags the image had when last looked at, for people and for
// resolving the references containers are created from.
type watchState struct {
	Version int                     `json:"version"`
	Horizon time.Time               `json:"horizon,omitzero"`
	Images  map[string]*imageRecord `json:"images"`
}

// imageRecord is what the watcher knows about one image.
type imageRecord struct {
	// FirstSeen is when the image arrived: the time of the event that
	// brought it, or, for an image found in a snapshot, the horizon before
	// it (never before the image's Created), or the first snapshot's time.
	FirstSeen time.Time `json:"first_seen"`
	// LastUsed is the newest create, start or die of a container of the
	// image (zero when none was seen).
	LastUsed time.Time `json:"last_used,omitzero"`
	Refs     []string  `json:"refs,omitempty"`
}

func newWatchState() *watchState {
	return &watchState{Version: stateVersion, Images: make(map[string]*imageRecord)}
}

// errStateCorrupt marks a state file that exists but cannot be used.
var errStateCorrupt = errors.New("state file is corrupt")

// readState reads the state file at path. A missing file is an error that
// wraps fs.ErrNotExist; a file that cannot be decoded, or is of another
// version, wraps errStateCorrupt.
func readState(path string) (*watchState, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st watchState
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errStateCorrupt, path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: %s: data after the JSON document", errStateCorrupt, path)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("%w: %s: version %d, this docker-shaper reads version %d", errStateCorrupt, path, st.Version, stateVersion)
	}
	if st.Images == nil {
		st.Images = make(map[string]*imageRecord)
	}
	for id, rec := range st.Images {
		if rec == nil || id == "" {
			delete(st.Images, id)
		}
	}
	return &st, nil
}

// loadState is readState for the watcher: a missing file is a new, empty
// state; a file that cannot be read or used is moved aside (to
// state.json.corrupt-<time>) with a warning, and the watcher starts afresh.
// It never fails: at worst the watcher forgets what it knew.
func loadState(ctx context.Context, path string, now time.Time) *watchState {
	logger := loggerFrom(ctx)
	st, err := readState(path)
	switch {
	case err == nil:
		return st
	case errors.Is(err, fs.ErrNotExist):
		return newWatchState()
	}
	aside := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	if rerr := os.Rename(path, aside); rerr != nil {
		logger.Warn("cannot read the watcher's state, and cannot move it aside: starting afresh, and it will be overwritten",
			"state", path, "err", err, "rename_err", rerr)
	} else {
		logger.Warn("cannot read the watcher's state: moved it aside, starting afresh",
			"state", path, "moved_to", aside, "err", err)
	}
	return newWatchState()
}

// save writes the state to path atomically: a temporary file in the same
// directory, synced, renamed over path, and the directory synced, so a
// crash leaves the old state or the new one, never a mix.
func (st *watchState) save(path string) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving the watcher's state: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving the watcher's state: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("saving the watcher's state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("saving the watcher's state: %w", err)
	}
	return syncDir(dir)
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

// applyTo gives the snapshot's images the watcher's facts: FirstSeen and
// LastUsed from their records; an image without a record arrived after the
// horizon (when there is one), and is dated from it, as the watcher itself
// will date it when it next looks (see horizonDate).
func (st *watchState) applyTo(snap *policy.Snapshot) {
	for i := range snap.Images {
		img := &snap.Images[i]
		if rec := st.Images[img.ID]; rec != nil {
			img.FirstSeen = rec.FirstSeen
			img.LastUsed = rec.LastUsed
			continue
		}
		if !st.Horizon.IsZero() {
			img.FirstSeen = horizonDate(st.Horizon, img.Created)
		}
	}
}

// horizonDate is the date given to an image found after a gap in the
// watcher's knowledge: the horizon, the last time the watcher knew the
// full state (the image arrived after it), but never before the image was
// created.
func horizonDate(horizon, created time.Time) time.Time {
	if created.After(horizon) {
		return created
	}
	return horizon
}

// applyWatchState sets the snapshot's watcher facts from the state file in
// dir, when there is one, so check, prune and explain date images as the
// watcher does. A state file that cannot be read is reported and ignored
// (the watcher moves it aside when it next starts).
func applyWatchState(ctx context.Context, snap *policy.Snapshot, dir string) {
	path := filepath.Join(dir, stateFileName)
	st, err := readState(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return
	case err != nil:
		loggerFrom(ctx).Warn("ignoring the watcher's state: images are dated without it", "err", err)
		return
	}
	st.applyTo(snap)
	loggerFrom(ctx).Debug("dated images with the watcher's state", "state", path,
		"records", len(st.Images), "horizon", st.Horizon.Format(time.RFC3339))
}

// sortedRefs returns refs sorted, without duplicates.
func sortedRefs(refs []string) []string {
	out := slices.Clone(refs)
	slices.Sort(out)
	return slices.Compact(out)
}
