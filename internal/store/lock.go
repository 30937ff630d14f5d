package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
)

// The daemon's locks, in its directory.
const (
	// LockFile is held by whoever removes objects from the daemon: a
	// prune, or a watcher while it enforces.
	LockFile = "lock"
	// WatchLockFile is held by the daemon's one watcher for its life.
	WatchLockFile = "watch.lock"
)

// Holder is what the process holding a lock writes into the lock file, so
// that whoever finds it taken can say who has it.
type Holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Host    string    `json:"host"`
	Since   time.Time `json:"since"`

	// The watcher's schedule, in watch.lock only (see WatchLock.Schedule),
	// for docker shaper status to show: how often it enforces ("1h"),
	// when it last did and how that went, and when it will next.
	Interval        string    `json:"interval,omitempty"`
	LastEnforcement time.Time `json:"last_enforcement,omitzero"`
	LastOutcome     string    `json:"last_outcome,omitempty"`
	NextEnforcement time.Time `json:"next_enforcement,omitzero"`
}

func (h Holder) String() string {
	s := fmt.Sprintf("pid %d", h.PID)
	if h.Command != "" {
		s += fmt.Sprintf(" (%s)", h.Command)
	}
	if h.Host != "" {
		s += " on " + h.Host
	}
	if !h.Since.IsZero() {
		s += " since " + h.Since.Local().Format(time.RFC3339)
	}
	return s
}

// LockedError is returned when another process holds a lock.
type LockedError struct {
	Path   string
	Holder *Holder // nil when the holder wrote nothing (yet)
}

// Who names the holder for people.
func (e *LockedError) Who() string {
	if e.Holder == nil {
		return "another process (it has not said which)"
	}
	return e.Holder.String()
}

func (e *LockedError) Error() string {
	switch filepath.Base(e.Path) {
	case WatchLockFile:
		return fmt.Sprintf("a watcher already runs for this daemon: %s holds %s", e.Who(), e.Path)
	case LockFile:
		return fmt.Sprintf("another docker-shaper is removing objects from this daemon: %s holds %s; "+
			"try again when it has finished", e.Who(), e.Path)
	}
	return fmt.Sprintf("%s holds %s", e.Who(), e.Path)
}

// AcquireRemovalLock takes the daemon's removal lock in dir (created if
// needed), without waiting: prune holds it for a whole apply, and the
// watcher for each enforcement, so two of them never remove from one
// daemon at once, through whichever context. command says who holds it
// ("docker shaper prune"); now dates it. When the lock is taken, the error
// is a *LockedError naming the holder.
//
// release gives the lock up; it is safe to call more than once.
func AcquireRemovalLock(dir, command string, now time.Time) (release func() error, err error) {
	l, err := lockFile(dir, LockFile, command, now)
	if err != nil {
		return nil, err
	}
	return l.release, nil
}

// WatchLock is a watcher's hold on the daemon's watch.lock.
type WatchLock struct{ l *heldLock }

// AcquireWatchLock makes the caller the daemon's only watcher (two would
// write one state file), for as long as it holds the lock. It is not the
// removal lock, which a watcher takes only while it enforces, so prune can
// run meanwhile. interval is how often it enforces, for the holder
// information.
func AcquireWatchLock(dir string, now time.Time, interval time.Duration) (*WatchLock, error) {
	l, err := lockFile(dir, WatchLockFile, "docker shaper watch", now)
	if err != nil {
		return nil, err
	}
	l.holder.Interval = policy.FormatDuration(interval)
	if err := writeHolder(l.f, l.holder); err != nil {
		_ = l.release()
		return nil, fmt.Errorf("writing %s: %w", l.path, err)
	}
	return &WatchLock{l}, nil
}

// Release gives the lock up; it is safe to call more than once.
func (w *WatchLock) Release() error { return w.l.release() }

// Schedule rewrites the holder information with the watcher's last
// enforcement (zero when none yet), how it went, and when the next is
// due, so that docker shaper status can show them.
func (w *WatchLock) Schedule(last time.Time, outcome string, next time.Time) error {
	if w.l.released {
		return nil
	}
	h := w.l.holder
	h.LastEnforcement, h.LastOutcome, h.NextEnforcement = last.UTC(), outcome, next.UTC()
	if err := writeHolder(w.l.f, h); err != nil {
		return fmt.Errorf("writing %s: %w", w.l.path, err)
	}
	w.l.holder = h
	return nil
}

// ProbeWatcher says whether a watcher holds the daemon's watch.lock in
// dir, and who it is when it said so (holder is nil when it cannot be
// read: a watcher that has not written it yet, or a system that keeps
// others from reading a locked file). It takes a shared lock for an
// instant, never the exclusive one, and a watcher starting at that very
// moment waits for it (see lockFile): probing cannot stop a watcher.
func ProbeWatcher(dir string) (holder *Holder, running bool, err error) {
	path := filepath.Join(dir, WatchLockFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	switch err := tryLockShared(f); {
	case errors.Is(err, errLocked):
		return readHolder(f), true, nil
	case err != nil:
		return nil, false, fmt.Errorf("probing %s: %w", path, err)
	}
	return nil, false, unlock(f)
}

// heldLock is a lock file this process holds.
type heldLock struct {
	f        *os.File
	path     string
	holder   Holder
	released bool
}

// probeWait is how long a locker waits for a lock held only by probes
// (ProbeWatcher holds a shared lock for an instant) before it says the
// lock is taken.
const probeWait = 50 * time.Millisecond

// lockFile takes an exclusive lock on dir/name (dir created if needed),
// waiting no longer than probeWait, and writes the holder information into
// it; when another process has it, the error is a *LockedError naming that
// process. The lock is the operating system's (flock, LockFileEx), so it
// goes with the process however that ends. The file stays when released
// (removing a lock file races with the next locker); only the holder
// information goes.
func lockFile(dir, name, command string, now time.Time) (*heldLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	path := filepath.Join(dir, name)
	f, err := openRegular(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	for waited := time.Duration(0); ; waited += probeWait / 5 {
		err = tryLock(f)
		if !errors.Is(err, errLocked) || waited >= probeWait {
			break
		}
		time.Sleep(probeWait / 5)
	}
	if err != nil {
		defer f.Close()
		if errors.Is(err, errLocked) {
			return nil, &LockedError{Path: path, Holder: readHolder(f)}
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	host, _ := os.Hostname()
	l := &heldLock{f: f, path: path, holder: Holder{PID: os.Getpid(), Command: command, Host: host, Since: now.UTC().Truncate(time.Second)}}
	if err := writeHolder(f, l.holder); err != nil {
		_ = unlock(f)
		f.Close()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return l, nil
}

// release gives the lock up; it is safe to call more than once.
func (l *heldLock) release() error {
	if l.released {
		return nil
	}
	l.released = true
	terr := l.f.Truncate(0)
	uerr := unlock(l.f)
	cerr := l.f.Close()
	return errors.Join(terr, uerr, cerr)
}

// errLocked is what tryLock returns when another process holds the lock.
var errLocked = errors.New("locked by another process")

func writeHolder(f *os.File, h Holder) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(data, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

// readHolder reads the holder information of a taken lock; nil when there
// is none or it cannot be read.
func readHolder(f *os.File) *Holder {
	data, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<16))
	if err != nil || strings.TrimSpace(string(data)) == "" {
		return nil
	}
	var h Holder
	if json.Unmarshal(data, &h) != nil || h.PID == 0 {
		return nil
	}
	return &h
}
