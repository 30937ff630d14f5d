package commands

// The trust guarantees against the real test daemon: an image's age never
// comes from its build time by accident, and what docker-shaper keeps
// belongs to the daemon, whichever context reaches it.

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/docker-shaper/docker-shaper/internal/store"
)

const seenPolicy = `image "old" {
  match      = ["trust-*:*"]
  older_than = "7d"
}
`

// A pulled or loaded image built long ago has no last-tag time. Without a
// watcher, the first command that sees it records it; it is not due until
// older_than after that, and then its age is said to be a lower bound.
func TestOldBuildLoadedNowIsNotDue(t *testing.T) {
	e := newPruneEnv(t, seenPolicy)
	ids := e.load(fixture.Image{Refs: []string{"trust-old:1"}, Created: time.Now().AddDate(-1, 0, 0)})

	res := e.plan()
	if len(res.Plan.Actions) != 0 {
		t.Fatalf("a year-old build loaded just now is planned: %+v", res.Plan.Actions)
	}
	for _, k := range res.Plan.Kept {
		if k.Ref == "trust-old:1" && !strings.Contains(k.Reason, "since docker-shaper first looked") {
			t.Errorf("kept for %q: want an age that says it is a lower bound", k.Reason)
		}
	}
	first := stateOf(t, e.dir()).Images[ids[0]]
	if first == nil || !first.FirstSeenLowerBound {
		t.Fatalf("the first look did not record the image as a lower bound: %+v", first)
	}

	// prune -f removes nothing either.
	if _, stderr, err := e.run("prune", "-f"); err != nil {
		t.Fatalf("prune: %v\n%s", err, stderr)
	}
	if !imageExists(t, e.api, "trust-old:1") {
		t.Fatal("prune -f removed an image that arrived just now")
	}

	// Eight days after the first look, it is due, said to be at least
	// that old.
	stdout, stderr, err := e.run("check", "--format", "json", "--now", first.FirstSeen.Add(8*24*time.Hour).Format(time.RFC3339))
	if err != nil {
		t.Fatalf("check: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, `"ref": "trust-old:1"`) || !strings.Contains(stdout, "seen ≥ 8d ago (since docker-shaper first looked), older than 7d") {
		t.Errorf("eight days after the first look, the plan does not remove it as at least 8 days old:\n%s", stdout)
	}
}

// A state record older than the image's build (hand-edited, a skewed
// clock) never makes it look older: not for check, not for prune.
func TestRecordOlderThanCreatedNeverAgesAnImage(t *testing.T) {
	e := newPruneEnv(t, seenPolicy)
	ids := e.load(fixture.Image{Refs: []string{"trust-forged:1"}, Created: time.Now().Add(-time.Hour)})
	e.plan() // the first look creates the state file
	st := stateOf(t, e.dir())
	st.Images[ids[0]] = &store.ImageRecord{FirstSeen: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := st.Save(filepath.Join(e.dir(), store.StateFile)); err != nil {
		t.Fatal(err)
	}
	if res := e.plan(); len(res.Plan.Actions) != 0 {
		t.Fatalf("a record from 2000 ages an image built an hour ago: %+v", res.Plan.Actions)
	}
	if _, stderr, err := e.run("prune", "-f"); err != nil {
		t.Fatalf("prune: %v\n%s", err, stderr)
	}
	if !imageExists(t, e.api, "trust-forged:1") {
		t.Fatal("prune -f removed it")
	}
}

// Two docker contexts, or DOCKER_HOST, naming one daemon share its state,
// its journal and its removal lock.
func TestContextsOfOneDaemonShareItsDirectory(t *testing.T) {
	e := newPruneEnv(t, seenPolicy)
	e.load(fixture.Image{Refs: []string{"trust-shared:1"}})

	e.context = "mine"
	mine := e.plan()
	e.context = ""
	def := e.plan()
	if mine.Host.Dir != def.Host.Dir || mine.Host.Daemon.ID != def.Host.Daemon.ID {
		t.Fatalf("contexts of one daemon got %s and %s", mine.Host.Dir, def.Host.Dir)
	}
	if mine.Plan.Daemon == nil || mine.Plan.Daemon.Context != "mine" || def.Plan.Daemon.Context != "default" {
		t.Errorf("plans do not say which context: %+v, %+v", mine.Plan.Daemon, def.Plan.Daemon)
	}

	// A prune through "mine" holds the lock: one through the default
	// context is refused, and removes nothing.
	release, err := store.AcquireRemovalLock(def.Host.Dir, "docker shaper prune", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	e.context = "mine"
	_, _, err = e.run("prune", "-f")
	if err == nil || !strings.Contains(err.Error(), "another docker-shaper is removing objects") {
		t.Fatalf("prune through another context while the daemon is locked: %v", err)
	}
}

// The files an earlier docker-shaper kept per context move to the daemon's
// directory on first use.
func TestContextFilesMoveToTheDaemon(t *testing.T) {
	e := newPruneEnv(t, seenPolicy)
	ids := e.load(fixture.Image{Refs: []string{"trust-moved:1"}, Created: time.Now().AddDate(0, 0, -30)})
	old := store.ContextDir(e.cfg, "default")
	st := store.NewState()
	recorded := time.Now().Add(-20 * 24 * time.Hour).UTC().Truncate(time.Second)
	st.Horizon = recorded
	st.Images[ids[0]] = &store.ImageRecord{FirstSeen: recorded}
	if err := st.Save(filepath.Join(old, store.StateFile)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, store.JournalFile), []byte(`{"run":"old"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := e.plan()
	if len(res.Plan.Actions) != 1 {
		t.Errorf("the moved record (20 days) does not date the image: %+v", res.Plan)
	}
	if _, err := os.Stat(filepath.Join(old, store.StateFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the context's state file is still there: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(e.dir(), store.JournalFile))
	if err != nil || !strings.Contains(string(data), `"run":"old"`) {
		t.Errorf("the journal did not move: %v %q", err, data)
	}
}
