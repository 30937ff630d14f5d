package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// CacheFile, in a DaemonDir, holds what the last snapshot of the daemon
// learned from inspects, so that the next one need not ask again (see
// docker.Recall). It is only a cache: losing it, or finding it unreadable,
// costs one snapshot the time of those inspects, and nothing else.
const CacheFile = "inspected.json"

// ReadCache decodes dir's cache file into v. Callers take any error (a
// missing file, one cut short by a crash) as "no cache".
func ReadCache(dir string, v any) error {
	data, err := os.ReadFile(filepath.Join(dir, CacheFile))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Join(dir, CacheFile), err)
	}
	return nil
}

// WriteCache replaces dir's cache file with v. Readers see the old file or
// the new one; it is not synced to disk (a crash may lose it, which costs
// only time), so that writing it costs a snapshot next to nothing.
func WriteCache(dir string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, CacheFile), data, false); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(dir, CacheFile), err)
	}
	return nil
}
