package watch

import (
	"bytes"
	"os"
	"strings"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/policyfile"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/hashicorp/hcl/v2"
)

// watchPolicy is the watcher's policy: the last one that loaded without
// errors, and what its file looked like then.
type watchPolicy struct {
	lookup  policyfile.Lookup
	current *policyfile.Loaded
	// loaded is the file the current policy came from; tried is the last
	// file looked at, loaded or not, so a broken file is reported once.
	loaded, tried fileStamp
}

// fileStamp tells whether the policy file changed: its path (the lookup
// may pick another file: one created at the default place, or none, which
// is the embedded default), and its size, modification time and file ID
// (editors that save by renaming change the inode).
type fileStamp struct {
	path    string
	exists  bool
	size    int64
	modTime time.Time
	id      uint64
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
	st.exists, st.size, st.modTime, st.id = true, fi.Size(), fi.ModTime(), fileID(fi)
	return st
}

// newWatchPolicy starts from lp, the policy the lookup found at start.
func newWatchPolicy(lookup policyfile.Lookup, lp *policyfile.Loaded) *watchPolicy {
	stamp := statPolicy(lp.Source.Path)
	return &watchPolicy{lookup: lookup, current: lp, loaded: stamp, tried: stamp}
}

// reloadPolicy loads the policy again when its file changed since it was
// last looked at, or always when force is set (SIGHUP). A policy that
// fails to load is reported, diagnostics and all, and the previous one
// stays in force; so it does when the file it came from is gone: a deleted
// file is a mistake to report, not a reason to fall back to the embedded
// default.
func (w *watcher) reloadPolicy(force bool) {
	p := w.pol
	src, err := p.lookup.Find()
	if err != nil {
		stamp := fileStamp{err: err.Error()}
		if force || stamp != p.tried {
			p.tried = stamp
			w.logger.Error("cannot look for the policy: keeping the previous one", "policy", p.current.Name(), "err", err)
			w.obs.Failed("policy")
		}
		return
	}
	stamp := statPolicy(src.Path)
	if !force && (stamp == p.loaded || stamp == p.tried) {
		return
	}
	p.tried = stamp
	if src.Path == "" && p.current.Source.Path != "" && !statPolicy(p.current.Source.Path).exists {
		w.logger.Warn("the policy file is gone: keeping its last version; restore it, or restart the watcher for the usual lookup",
			"policy", p.current.Name())
		return
	}
	lp, err := policyfile.Load(src)
	if err != nil {
		// The diagnostics come last: a value of several lines is written
		// below the record's line, indented, and a key after it would
		// start a line of its own, a fragment that reads as another
		// record (and is one, in the journal).
		kv := []any{"policy", src.Name(), "keeping", p.current.Name(), "err", err}
		if le, ok := err.(*policyfile.LoadError); ok {
			var diags bytes.Buffer
			if rerr := render.Diagnostics(&diags, le.Loaded.Files(), le.Loaded.Diags); rerr == nil {
				kv = append(kv, "diagnostics", strings.TrimRight(diags.String(), "\n"))
			}
		}
		w.logger.Error("policy not loaded: keeping the previous one", kv...)
		w.obs.Failed("policy")
		return
	}
	p.current, p.loaded = lp, stamp
	w.logger.Info("policy loaded", "policy", lp.Name(), "rules", policyfile.RuleCount(lp.Policy))
	w.logPolicyWarnings(lp)
}

// logPolicyWarnings logs the warnings of a policy that loaded.
func (w *watcher) logPolicyWarnings(lp *policyfile.Loaded) {
	for _, d := range lp.Diags {
		if d.Severity != hcl.DiagWarning {
			continue
		}
		kv := []any{"policy", lp.Name()}
		if d.Subject != nil {
			kv = append(kv, "at", render.DiagPlace(d.Subject))
		}
		if d.Detail != "" {
			kv = append(kv, "detail", d.Detail)
		}
		w.logger.Warn(d.Summary, kv...)
	}
}
