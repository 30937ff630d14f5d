package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
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
	return lockFile(dir, LockFile, command, now)
}

// AcquireWatchLock makes the caller the daemon's only watcher (two would
// write one state file), for as long as it holds the lock. It is not the
// removal lock, which a watcher takes only while it enforces, so prune can
// run meanwhile.
func AcquireWatchLock(dir string, now time.Time) (release func() error, err error) {
	return lockFile(dir, WatchLockFile, "docker shaper watch", now)
}

// lockFile takes an exclusive lock on dir/name (dir created if needed)
// without waiting, and writes the holder information into it; when another
// process has it, the error is a *LockedError naming that process. The lock
// is the operating system's (flock, LockFileEx), so it goes with the
// process however that ends. The file stays when released (removing a lock
// file races with the next locker); only the holder information goes.
// release is safe to call more than once.
func lockFile(dir, name, command string, now time.Time) (release func() error, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	path := filepath.Join(dir, name)
	f, err := openRegular(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := tryLock(f); err != nil {
		defer f.Close()
		if errors.Is(err, errLocked) {
			return nil, &LockedError{Path: path, Holder: readHolder(f)}
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	host, _ := os.Hostname()
	holder := Holder{PID: os.Getpid(), Command: command, Host: host, Since: now.UTC().Truncate(time.Second)}
	if err := writeHolder(f, holder); err != nil {
		_ = unlock(f)
		f.Close()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	released := false
	return func() error {
		if released {
			return nil
		}
		released = true
		terr := f.Truncate(0)
		uerr := unlock(f)
		cerr := f.Close()
		return errors.Join(terr, uerr, cerr)
	}, nil
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
