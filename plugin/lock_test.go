package plugin

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLockIsExclusiveAndNamesTheHolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shaper", "default")
	release, err := acquireLock(dir, "docker shaper prune")
	if err != nil {
		t.Fatal(err)
	}
	_, err = acquireLock(dir, "docker shaper watch")
	var locked *lockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second acquireLock: %v, want a lockedError", err)
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
	release2, err := acquireLock(dir, "docker shaper watch")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	defer release2()
	data, _ := os.ReadFile(filepath.Join(dir, "lock"))
	if !strings.Contains(string(data), `"command":"docker shaper watch"`) {
		t.Errorf("lock file holds %q", data)
	}
}

func TestSafeContextName(t *testing.T) {
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
	if got := contextDir("/cfg", "../x"); got != "/cfg/shaper/.._x" {
		t.Errorf("contextDir = %q", got)
	}
}

func TestJournalAppendsWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctx", "journal.jsonl")
	for round := 0; round < 2; round++ { // a second run appends
		j, err := openJournal(path)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := j.Append(journalEntry{Time: time.Now(), Run: strconv.Itoa(round), Kind: "image", Action: "remove",
					Ref: "app:" + strconv.Itoa(i), ID: "sha256:x", Digests: []string{"app@sha256:y"}, Outcome: outcomeRemoved})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		if err := j.Append(journalEntry{}); err == nil {
			t.Error("Append after Close: want an error")
		}
	}
	entries, err := readJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 100 {
		t.Fatalf("%d entries, want 100", len(entries))
	}
	if entries[0].Run != "0" || entries[99].Run != "1" || entries[5].Digests[0] != "app@sha256:y" {
		t.Errorf("entries %+v … %+v", entries[0], entries[99])
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v, want 0600", fi.Mode().Perm())
	}
}
