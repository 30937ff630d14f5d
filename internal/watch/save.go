package watch

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/store"
)

// scheduleSave saves the state after a short delay, so that a burst of
// events is one write.
func (w *watcher) scheduleSave() {
	if w.saveTimer == nil {
		w.saveTimer = time.NewTimer(w.timing.SaveDelay)
	}
}

// save writes the state now, merged with what other commands recorded in
// the file since (check, prune and explain record the images they see for
// the first time), under the state lock. While the daemon is followed, the
// horizon moves to now: the watcher knew everything until then.
func (w *watcher) save() {
	if w.saveTimer != nil {
		w.saveTimer.Stop()
		w.saveTimer = nil
	}
	if w.stream != nil {
		w.tr.advanceHorizon(w.clock())
	}
	if err := w.saveMerged(); err != nil {
		w.logger.Error("cannot save the watcher's state", "err", err)
		w.obs.Failed("state")
		return
	}
	w.tr.dirty = false
	w.obs.Tracked(len(w.tr.st.Images))
	clear(w.tr.gone)
	w.logger.Debug("saved the state", "images", len(w.tr.st.Images), "horizon", w.tr.st.Horizon.Format(time.RFC3339))
}

func (w *watcher) saveMerged() error {
	unlock, err := store.LockState(context.Background(), w.host.Dir)
	if err != nil {
		return err
	}
	defer unlock()
	disk, err := store.ReadState(w.statePath)
	switch {
	case err == nil:
		w.tr.merge(disk)
	case errors.Is(err, fs.ErrNotExist):
	default:
		w.logger.Warn("cannot read the state file to merge with it: replacing it", "err", err)
	}
	return w.tr.st.Save(w.statePath)
}
