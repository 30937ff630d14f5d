package store

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func appendAll(t *testing.T, j *Journal, es ...Entry) {
	t.Helper()
	for _, e := range es {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
}

// A journal whose last line was cut (a full disk, a crash in the middle
// of a write) is ended before the next run appends: its records start on
// a fresh line, and a reader reports the torn line and reads on.
func TestJournalRepairsATornLastLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), JournalFile)
	torn := `{"time":"2026-11-22T12:00:00Z","run":"r1","command":"prune","record":"outcome","seq":0,"kind":"image","outc`
	if err := os.WriteFile(path, []byte(`{"time":"2026-11-22T12:00:00Z","run":"r1","command":"prune","record":"begin","bytes":0}`+"\n"+torn), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, j, Entry{Time: lockNow, Run: "r2", Command: "prune", Record: RecordBegin})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	lines, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines.Entries) != 2 || lines.Entries[1].Run != "r2" || !slices.Equal(lines.Torn, []int{2}) {
		t.Errorf("read %+v, torn lines %v: want r1's begin, r2's begin, and line 2 torn", lines.Entries, lines.Torn)
	}
}

// The journal and the locks are never written through a symbolic link or
// into anything but a regular file: a link would have docker-shaper append
// to, or truncate, whatever it points at.
func TestNoWritesThroughLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "precious")
	if err := os.WriteFile(target, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{JournalFile, LockFile, WatchLockFile} {
		link := filepath.Join(dir, name)
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := OpenJournal(filepath.Join(dir, JournalFile)); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("journal through a link: %v", err)
	}
	if _, err := AcquireRemovalLock(dir, "docker shaper prune", lockNow); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("lock through a link: %v", err)
	}
	if _, err := AcquireWatchLock(dir, lockNow, 3600e9); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("watch lock through a link: %v", err)
	}
	if data, _ := os.ReadFile(target); string(data) != "keep me\n" {
		t.Errorf("the link's target was written: %q", data)
	}

	// Nor into a directory or a FIFO where the journal should be.
	dir2 := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir2, JournalFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenJournal(filepath.Join(dir2, JournalFile)); err == nil {
		t.Error("a directory was opened as the journal")
	}
}

// Unfinished reads back to the last end record: what comes after it are
// runs that were interrupted.
func TestJournalUnfinished(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), JournalFile)
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if got, err := j.Unfinished(); err != nil || len(got) != 0 {
		t.Fatalf("empty journal: %v, %v", got, err)
	}
	// A finished run, long enough to span the reader's chunks.
	appendAll(t, j, Entry{Time: lockNow, Run: "r1", Command: "prune", Record: RecordBegin})
	for i := range 2000 {
		appendAll(t, j,
			Entry{Time: lockNow, Run: "r1", Command: "prune", Record: RecordIntent, Seq: i, Kind: "image", Ref: "a:1", Reason: strings.Repeat("x", 40)},
			Entry{Time: lockNow, Run: "r1", Command: "prune", Record: RecordOutcome, Seq: i, Kind: "image", Ref: "a:1", Outcome: "removed"})
	}
	appendAll(t, j, Entry{Time: lockNow, Run: "r1", Command: "prune", Record: RecordEnd})
	if got, err := j.Unfinished(); err != nil || len(got) != 0 {
		t.Fatalf("after a finished run: %d records, %v", len(got), err)
	}
	// An interrupted one.
	appendAll(t, j,
		Entry{Time: lockNow, Run: "r2", Command: "watch", Record: RecordBegin},
		Entry{Time: lockNow, Run: "r2", Command: "watch", Record: RecordIntent, Seq: 0, Kind: "container", ID: "c1"})
	got, err := j.Unfinished()
	if err != nil || len(got) != 2 || got[0].Record != RecordBegin || got[1].Record != RecordIntent || got[1].Run != "r2" {
		t.Errorf("unfinished %+v, %v: want r2's begin and intent", got, err)
	}
}
