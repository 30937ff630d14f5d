package plugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// lockFileName is the lock of one Docker context, in its contextDir.
const lockFileName = "lock"

// lockHolder is what the process holding a lock writes into the lock file,
// so that whoever finds it taken can say who has it.
type lockHolder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Host    string    `json:"host"`
	Since   time.Time `json:"since"`
}

func (h lockHolder) String() string {
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

// lockedError is returned by acquireLock when another process holds the
// lock.
type lockedError struct {
	Path   string
	Holder *lockHolder // nil when the holder wrote nothing (yet)
}

func (e *lockedError) Error() string {
	who := "another process (it has not said which)"
	if e.Holder != nil {
		who = e.Holder.String()
	}
	return fmt.Sprintf("another docker-shaper is removing objects through this Docker context: %s holds %s; "+
		"try again when it has finished", who, e.Path)
}

// acquireLock takes the exclusive lock of dir (created if needed), without
// waiting: prune holds it for a whole apply, and the watcher for each
// enforcement, so two of them never remove from one daemon through one
// context at once. The lock is an flock on dir/lock, so it goes with the
// process however that ends; command says who holds it ("docker shaper
// prune") in the holder information written into the file. When the lock
// is taken, the error is a *lockedError naming the holder.
//
// release gives the lock up; it is safe to call more than once.
func acquireLock(dir, command string) (release func() error, err error) {
	return lockFile(dir, lockFileName, command)
}

// lockFile takes an exclusive flock on dir/name (dir created if needed)
// without waiting, and writes the holder information into it; when another
// process has it, the error is a *lockedError naming that process. The
// file stays when released (removing a lock file races with the next
// locker); only the holder information goes. release is safe to call more
// than once.
func lockFile(dir, name, command string) (release func() error, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, &lockedError{Path: path, Holder: readHolder(f)}
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	host, _ := os.Hostname()
	holder := lockHolder{PID: os.Getpid(), Command: command, Host: host, Since: time.Now().UTC().Truncate(time.Second)}
	if err := writeHolder(f, holder); err != nil {
		_ = flock(f, unix.LOCK_UN)
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
		uerr := flock(f, unix.LOCK_UN)
		cerr := f.Close()
		return errors.Join(terr, uerr, cerr)
	}, nil
}

// flock retries flock when a signal interrupts it.
func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
}

func writeHolder(f *os.File, h lockHolder) error {
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
func readHolder(f *os.File) *lockHolder {
	data, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<16))
	if err != nil || strings.TrimSpace(string(data)) == "" {
		return nil
	}
	var h lockHolder
	if json.Unmarshal(data, &h) != nil || h.PID == 0 {
		return nil
	}
	return &h
}
