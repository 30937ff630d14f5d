package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var lockNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func TestLockIsExclusiveAndNamesTheHolder(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "shaper", "default")
	release, err := AcquireRemovalLock(dir, "docker shaper prune", lockNow)
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireRemovalLock(dir, "docker shaper watch", lockNow)
	var locked *LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second AcquireRemovalLock: %v, want a LockedError", err)
	}
	if locked.Holder == nil || locked.Holder.PID != os.Getpid() || locked.Holder.Command != "docker shaper prune" {
		t.Errorf("holder %+v", locked.Holder)
	}
	for _, want := range []string{"pid " + strconv.Itoa(os.Getpid()), "(docker shaper prune)", filepath.Join(dir, "lock")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Fatalf("second release: %v", err)
	}
	release2, err := AcquireRemovalLock(dir, "docker shaper watch", lockNow)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	defer release2()
	data, _ := os.ReadFile(filepath.Join(dir, "lock"))
	if !strings.Contains(string(data), `"command":"docker shaper watch"`) || !strings.Contains(string(data), `"since":"2026-11-22T12:00:00Z"`) {
		t.Errorf("lock file holds %q", data)
	}
}

// The watcher's lock is its own, and says so when taken.
func TestWatchLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	wl, err := AcquireWatchLock(dir, lockNow, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer wl.Release()
	if _, err := AcquireWatchLock(dir, lockNow, time.Hour); err == nil || !strings.HasPrefix(err.Error(), "a watcher already runs for this daemon: pid ") {
		t.Errorf("second watcher: %v", err)
	}
	// The removal lock is another.
	rel, err := AcquireRemovalLock(dir, "docker shaper prune", lockNow)
	if err != nil {
		t.Fatalf("removal lock while a watcher runs: %v", err)
	}
	rel()
}

func TestSafeContextName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":              "default",
		"default":       "default",
		"prod-eu.1+x":   "prod-eu.1+x",
		"../../etc":     ".._.._etc",
		"..":            "_..",
		"a/b c":         "a_b_c",
		"ünïcode":       "_n_code",
		"desktop-linux": "desktop-linux",
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := ContextDir("/cfg", "../x"); got != "/cfg/shaper/.._x" {
		t.Errorf("ContextDir = %q", got)
	}
}

func TestJournalAppendsWholeLines(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ctx", "journal.jsonl")
	for round := 0; round < 2; round++ { // a second run appends
		j, err := OpenJournal(path)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := j.Append(Entry{Time: lockNow, Run: strconv.Itoa(round), Kind: "image", Action: "remove",
					Ref: "app:" + strconv.Itoa(i), ID: "sha256:x", Digests: []string{"app@sha256:y"}, Outcome: "removed"})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		if err := j.Append(Entry{}); err == nil {
			t.Error("Append after Close: want an error")
		}
	}
	lines, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	entries := lines.Entries
	if len(entries) != 100 || len(lines.Torn) != 0 {
		t.Fatalf("%d entries, want 100", len(entries))
	}
	if entries[0].Run != "0" || entries[99].Run != "1" || entries[5].Digests[0] != "app@sha256:y" {
		t.Errorf("entries %+v … %+v", entries[0], entries[99])
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v, want 0600", fi.Mode().Perm())
	}
}

// status learns from watch.lock whether a watcher runs and when it
// enforces, without ever keeping one from starting.
func TestProbeWatcher(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if h, running, err := ProbeWatcher(dir); err != nil || running || h != nil {
		t.Fatalf("no watcher yet: %v %v %v", h, running, err)
	}
	wl, err := AcquireWatchLock(dir, lockNow, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h, running, err := ProbeWatcher(dir)
	if err != nil || !running || h == nil || h.PID != os.Getpid() || h.Interval != "1h" || !h.NextEnforcement.IsZero() {
		t.Fatalf("watcher running: %+v %v %v", h, running, err)
	}
	next := lockNow.Add(time.Hour)
	if err := wl.Schedule(lockNow, "nothing to do", next); err != nil {
		t.Fatal(err)
	}
	h, _, _ = ProbeWatcher(dir)
	if h == nil || !h.LastEnforcement.Equal(lockNow) || h.LastOutcome != "nothing to do" || !h.NextEnforcement.Equal(next) || h.Command != "docker shaper watch" {
		t.Errorf("after Schedule: %+v", h)
	}
	if err := wl.Release(); err != nil {
		t.Fatal(err)
	}
	if h, running, err := ProbeWatcher(dir); err != nil || running || h != nil {
		t.Errorf("after release: %v %v %v", h, running, err)
	}
	if err := wl.Schedule(lockNow, "late", next); err != nil {
		t.Errorf("Schedule after Release: %v, want a no-op", err)
	}
}

// A watcher starting while status probes waits for the probe: both
// goroutines here stand for processes (flock locks are per open file), the
// prober a thousand times busier than status, which probes every few
// seconds.
func TestWatcherStartsWhileProbed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				if _, _, err := ProbeWatcher(dir); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Millisecond)
			}
		}
	}()
	for range 20 {
		wl, err := AcquireWatchLock(dir, lockNow, time.Hour)
		if err != nil {
			t.Fatalf("a probe kept the watcher from starting: %v", err)
		}
		wl.Release()
	}
	close(stop)
	<-done
}

func TestJournalTail(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	if _, err := JournalTail(path, 5); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing journal: %v", err)
	}
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 300) // 1,000 entries span several chunks
	for i := range 1000 {
		// An intent and its outcome, as a run writes them: the tail is of
		// outcomes.
		if err := j.Append(Entry{Time: lockNow, Run: strconv.Itoa(i), Record: RecordIntent, Reason: long}); err != nil {
			t.Fatal(err)
		}
		if err := j.Append(Entry{Time: lockNow, Run: strconv.Itoa(i), Record: RecordOutcome, Outcome: "removed", Reason: long}); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	for _, n := range []int{1, 5, 200, 2000} {
		got, err := JournalTail(path, n)
		if err != nil {
			t.Fatal(err)
		}
		want := min(n, 1000)
		if len(got) != want || got[len(got)-1].Run != "999" || got[0].Run != strconv.Itoa(1000-want) || !got[0].IsOutcome() {
			t.Errorf("JournalTail(%d): %d entries, %q…%q", n, len(got), got[0].Run, got[len(got)-1].Run)
		}
	}
}
