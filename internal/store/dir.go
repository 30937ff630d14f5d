package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/policy"
)

// A daemon's directory holds what belongs to one Docker daemon: the removal
// lock, the watcher's lock, the state file and the journal. It is keyed by
// the daemon's identity (docker info's ID), not by the name of the docker
// context that reaches it, so `docker --context mine` and DOCKER_HOST
// pointing at the same socket share one state and exclude each other's
// removals:
//
//	<config dir>/shaper/daemons/<daemon ID>-<instance>/
//
// A daemon that reports no ID is keyed by its endpoint instead.

// Host is the daemon a command works on, and its directory.
type Host struct {
	Daemon policy.Daemon
	Dir    string
}

// DaemonDir is the directory of daemon d: named by its ID (made safe for
// a path, see safeName), and by a short hash of its instance (host name
// and data root), because daemons cloned from one machine, or sharing
// /etc/docker/key.json, report the same ID: they must not share a state.
func DaemonDir(configDir string, d policy.Daemon) string {
	name := safeName(d.ID)
	if d.Instance != "" {
		sum := sha256.Sum256([]byte(d.Instance))
		name += "-" + hex.EncodeToString(sum[:4])
	}
	return filepath.Join(configDir, "shaper", "daemons", name)
}

// EndpointID is the identity of a daemon that reports none: its endpoint,
// hashed into something short and path-safe.
func EndpointID(endpoint string) string {
	sum := sha256.Sum256([]byte(endpoint))
	return "endpoint-" + hex.EncodeToString(sum[:8])
}

// ContextDir is where docker-shaper kept what belongs to a Docker context
// before it keyed everything by daemon: <configDir>/shaper/<context>.
// Only AdoptContextFiles reads it now.
func ContextDir(configDir, context string) string {
	return filepath.Join(configDir, "shaper", safeName(context))
}

// safeName makes a name safe for one path element: characters other than
// letters, digits, '_', '-', '+' and '.' become '_', and a name that is
// empty or made only of dots is prefixed, so it can never point outside
// the shaper directory.
func safeName(name string) string {
	if name == "" {
		return "default"
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '_', r == '-', r == '+', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if strings.Trim(s, ".") == "" {
		s = "_" + s
	}
	return s
}

// AdoptContextFiles moves the state file and the journal that an earlier
// docker-shaper kept per docker context into the daemon's directory, once:
// a state file only when the daemon has none yet; a journal is appended to
// the daemon's. What cannot be moved is left where it is, and said.
func AdoptContextFiles(ctx context.Context, oldDir, newDir string) {
	logger := logging.From(ctx)
	oldState := filepath.Join(oldDir, StateFile)
	oldJournal := filepath.Join(oldDir, JournalFile)
	if !exists(oldState) && !exists(oldJournal) {
		return
	}
	if err := os.MkdirAll(newDir, 0o700); err != nil {
		logger.Warn("cannot create the daemon's directory to move the context's files into", "dir", newDir, "err", err)
		return
	}
	if exists(oldState) {
		newState := filepath.Join(newDir, StateFile)
		switch {
		case exists(newState):
			logger.Debug("the daemon has a state file already: leaving the context's", "state", oldState)
		default:
			if err := os.Rename(oldState, newState); err != nil && !errors.Is(err, fs.ErrNotExist) {
				logger.Warn("cannot move the context's state file to the daemon's directory", "from", oldState, "err", err)
			} else if err == nil {
				logger.Info("moved the state file to the daemon's directory", "from", oldState, "to", newState)
			}
		}
	}
	if exists(oldJournal) {
		newJournal := filepath.Join(newDir, JournalFile)
		if err := appendFile(newJournal, oldJournal); err != nil {
			logger.Warn("cannot move the context's journal to the daemon's directory", "from", oldJournal, "err", err)
		} else {
			logger.Info("moved the journal to the daemon's directory", "from", oldJournal, "to", newJournal)
		}
	}
}

// appendFile appends src to dst (created if needed) and removes src.
func appendFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, cerr := io.Copy(out, in)
	serr := out.Sync()
	if err := errors.Join(cerr, serr, out.Close()); err != nil {
		return fmt.Errorf("appending %s to %s: %w", src, dst, err)
	}
	return os.Remove(src)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
