package plugin

import (
	"bytes"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/docker/cli/cli/config"
	"github.com/hashicorp/hcl/v2"
)

// watchPolicy is the watcher's policy: the last one that loaded without
// errors, and what its file looked like then.
type watchPolicy struct {
	flag    string // --policy, "" for the usual lookup
	current *loadedPolicy
	// loaded is the file the current policy came from; tried is the last
	// file looked at, loaded or not, so a broken file is reported once.
	loaded, tried fileStamp
}

// fileStamp tells whether the policy file changed: its path (the lookup
// may pick another file: one created at the default place, or none, which
// is the embedded default), and its size, modification time and inode
// (editors that save by renaming change the inode).
type fileStamp struct {
	path    string
	exists  bool
	size    int64
	modTime time.Time
	ino     uint64
	err     string // why the lookup failed
}

func statPolicy(path string) fileStamp {
	st := fileStamp{path: path}
	if path == "" {
		return st
	}
	fi, err := os.Stat(path)
	if err != nil {
		return st
	}
	st.exists, st.size, st.modTime = true, fi.Size(), fi.ModTime()
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = sys.Ino
	}
	return st
}

// loadWatchPolicy loads the policy the watcher starts with. A policy with
// errors is rendered to errOut and stops the watcher before it starts, as
// it stops check.
func loadWatchPolicy(errOut io.Writer, flag string) (*watchPolicy, error) {
	path, err := policyPath(flag, config.Dir())
	if err != nil {
		return nil, err
	}
	stamp := statPolicy(path)
	lp, err := loadPolicyFile(errOut, path)
	if err != nil {
		return nil, err
	}
	return &watchPolicy{flag: flag, current: lp, loaded: stamp, tried: stamp}, nil
}

// reloadPolicy loads the policy again when its file changed since it was
// last looked at, or always when force is set (SIGHUP). A policy that
// fails to load is reported, diagnostics and all, and the previous one
// stays in force.
func (w *watcher) reloadPolicy(force bool) {
	p := w.pol
	path, err := policyPath(p.flag, config.Dir())
	if err != nil {
		stamp := fileStamp{err: err.Error()}
		if force || stamp != p.tried {
			p.tried = stamp
			w.logger.Error("cannot look for the policy: keeping the previous one", "policy", p.current.Name, "err", err)
		}
		return
	}
	stamp := statPolicy(path)
	if !force && (stamp == p.loaded || stamp == p.tried) {
		return
	}
	p.tried = stamp
	var diags bytes.Buffer
	lp, err := loadPolicyFile(&diags, path)
	if err != nil {
		name := path
		if name == "" {
			name = embeddedName
		}
		kv := []any{"policy", name, "err", err}
		if d := strings.TrimRight(diags.String(), "\n"); d != "" {
			kv = append(kv, "diagnostics", d)
		}
		kv = append(kv, "keeping", p.current.Name)
		w.logger.Error("policy not loaded: keeping the previous one", kv...)
		return
	}
	p.current, p.loaded = lp, stamp
	w.logger.Info("policy loaded", "policy", lp.Name, "rules", ruleCount(lp.Policy))
	w.logPolicyWarnings(lp)
}

// logPolicyWarnings logs the warnings of a policy that loaded.
func (w *watcher) logPolicyWarnings(lp *loadedPolicy) {
	for _, d := range lp.Diags {
		if d.Severity != hcl.DiagWarning {
			continue
		}
		kv := []any{"policy", lp.Name}
		if d.Subject != nil {
			kv = append(kv, "at", diagPlace(d.Subject))
		}
		if d.Detail != "" {
			kv = append(kv, "detail", d.Detail)
		}
		w.logger.Warn(d.Summary, kv...)
	}
}
