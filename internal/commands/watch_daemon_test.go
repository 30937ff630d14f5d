package commands

// Tests of the watcher against the real test daemon (see
// internal/fixture.TestDaemon), run in-process with a quick pace. They
// wait for conditions with a deadline, never for a fixed time.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/log"
	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/internal/watch"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// quickTiming is the watcher's pace in tests.
var quickTiming = watch.Timing{
	SaveDelay:  50 * time.Millisecond,
	Heartbeat:  time.Second,
	PollPolicy: 100 * time.Millisecond,
	RetryMin:   100 * time.Millisecond,
	RetryMax:   time.Second,
}

// syncBuffer is a buffer the watcher logs to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runningWatcher is a watcher run in-process by a test.
type runningWatcher struct {
	t      testing.TB
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
	err    error
	ended  bool
}

// startWatcher runs runWatch until the test stops it (or ends).
func startWatcher(t testing.TB, d deps, opts watchOptions) *runningWatcher {
	t.Helper()
	if opts.timing == (watch.Timing{}) {
		opts.timing = quickTiming
	}
	w := &runningWatcher{t: t, logs: new(syncBuffer), done: make(chan error, 1)}
	logger := log.NewWithOptions(w.logs, log.Options{Level: log.DebugLevel, ReportTimestamp: true, TimeFormat: "15:04:05.000"})
	ctx, cancel := context.WithCancel(logging.With(context.Background(), logger))
	w.cancel = cancel
	go func() { w.done <- runWatch(ctx, d, opts) }()
	t.Cleanup(func() {
		w.stop()
		if t.Failed() {
			t.Logf("the watcher's log:\n%s", w.logs)
		}
	})
	return w
}

// stop cancels the watcher (as SIGTERM does) and waits for it to return.
func (w *runningWatcher) stop() error {
	w.t.Helper()
	if w.ended {
		return w.err
	}
	w.cancel()
	select {
	case w.err = <-w.done:
	case <-time.After(60 * time.Second):
		w.t.Fatalf("the watcher did not stop within 60s")
	}
	w.ended = true
	return w.err
}

// waitLog waits until the log has n lines containing s.
func (w *runningWatcher) waitLog(s string, n int, timeout time.Duration) {
	w.t.Helper()
	waitFor(w.t, timeout, fmt.Sprintf("%d log lines with %q", n, s), func() bool {
		select {
		case err := <-w.done:
			w.t.Fatalf("the watcher ended early: %v", err)
		default:
		}
		return strings.Count(w.logs.String(), s) >= n
	})
}

// assertOneRecordPerLine fails when a line of the watcher's log neither
// starts a record (with its time) nor continues one, indented: a fragment
// that reads as a record of its own (and is one, in the journal).
func assertOneRecordPerLine(t testing.TB, logs string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimRight(logs, "\n"), "\n") {
		if !recordStart.MatchString(line) && !strings.HasPrefix(line, "  ") {
			t.Errorf("a stray line in the log: %q", line)
		}
	}
}

// recordStart is how a record of startWatcher's logger starts.
var recordStart = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} (DEBU|INFO|WARN|ERRO) `)

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stateOf reads the state file of the daemon directory dir.
func stateOf(t testing.TB, dir string) *store.State {
	t.Helper()
	st, err := store.ReadState(filepath.Join(dir, store.StateFile))
	if err != nil {
		if os.IsNotExist(err) {
			return store.NewState()
		}
		t.Fatal(err)
	}
	return st
}

// recordOf waits until the state has a record of id that satisfies ok,
// and returns it.
func recordOf(t testing.TB, dir, id string, ok func(*store.ImageRecord) bool) *store.ImageRecord {
	t.Helper()
	var rec *store.ImageRecord
	waitFor(t, 20*time.Second, "the state's record of "+policy.ShortID(id), func() bool {
		rec = stateOf(t, dir).Images[id]
		return rec != nil && (ok == nil || ok(rec))
	})
	return rec
}

func imageExists(t testing.TB, api client.APIClient, ref string) bool {
	t.Helper()
	_, err := api.ImageInspect(context.Background(), ref)
	if err != nil && !docker.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

// A policy that claims nothing the tests load (a rule must be able to
// remove something).
const idlePolicy = `image "nothing here" { match = ["nothing-here:*"] }` + "\n"

func TestWatchRecordsArrivalAndLastUse(t *testing.T) {
	e := newPruneEnv(t, idlePolicy)
	cli, _, _ := e.cli("", false)
	w := startWatcher(t, cli, watchOptions{policy: policyFlag{path: e.policy, set: true}, interval: durationValue(time.Hour), noInitial: true})
	w.waitLog("following the daemon's events", 1, 30*time.Second)

	before := time.Now().Add(-time.Second) // the daemon's clock is this machine's; allow rounding
	ids := e.load(fixture.Image{Refs: []string{"wt-use:1"}, Runnable: true, Created: fixture.DefaultCreated})
	rec := recordOf(t, e.dir(), ids[0], nil)
	if rec.FirstSeen.Before(before) || rec.FirstSeen.After(time.Now()) {
		t.Errorf("first seen %v, want the time of the load (after %v)", rec.FirstSeen, before)
	}
	if fmt.Sprint(rec.Refs) != "[wt-use:1]" || !rec.LastUsed.IsZero() {
		t.Errorf("record %+v: want refs [wt-use:1], no use yet", rec)
	}

	// A container run from it, then removed (as docker run --rm does):
	// the use outlives the container.
	started := time.Now().Add(-time.Second)
	cids := e.containers(fixture.Container{Name: "wt-use-job", Image: "wt-use:1", Cmd: []string{"true"}, Run: true})
	rec = recordOf(t, e.dir(), ids[0], func(r *store.ImageRecord) bool { return r.LastUsed.After(started) })
	if _, err := e.api.ContainerRemove(context.Background(), cids[0], client.ContainerRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	// A container created from the image by ID counts too.
	used := rec.LastUsed
	e.containers(fixture.Container{Name: "wt-use-byid", Image: ids[0], Cmd: []string{"true"}})
	recordOf(t, e.dir(), ids[0], func(r *store.ImageRecord) bool { return r.LastUsed.After(used) })

	// A tag moved onto another image leaves the first.
	ids2 := e.load(fixture.Image{Refs: []string{"wt-use:2"}})
	e.tag("wt-use:2", "wt-use:1")
	recordOf(t, e.dir(), ids2[0], func(r *store.ImageRecord) bool { return fmt.Sprint(r.Refs) == "[wt-use:1 wt-use:2]" })
	recordOf(t, e.dir(), ids[0], func(r *store.ImageRecord) bool { return len(r.Refs) == 0 })

	// check, prune and explain see the same dates: buildPlan reads them.
	if err := w.stop(); err != nil {
		t.Fatalf("the watcher returned %v", err)
	}
	final := stateOf(t, e.dir()).Images[ids[0]]
	res := e.plan()
	for _, img := range res.Snapshot.Images {
		if img.ID == ids[0] && (!img.FirstSeen.Equal(final.FirstSeen) || !img.LastUsed.Equal(final.LastUsed)) {
			t.Errorf("the plan's image: first seen %v, last used %v; the state says %v, %v",
				img.FirstSeen, img.LastUsed, final.FirstSeen, final.LastUsed)
		}
	}
	if !strings.Contains(w.logs.String(), "stopped") {
		t.Errorf("no clean stop in the log")
	}
}

func TestWatchStateSurvivesARestart(t *testing.T) {
	e := newPruneEnv(t, idlePolicy)
	cli, _, _ := e.cli("", false)
	opts := watchOptions{policy: policyFlag{path: e.policy, set: true}, interval: durationValue(time.Hour), noInitial: true}

	ids := e.load(
		fixture.Image{Refs: []string{"wt-keep:1"}, Created: fixture.DefaultCreated},
		fixture.Image{Refs: []string{"wt-gone:1"}, Created: fixture.DefaultCreated},
	)
	w := startWatcher(t, cli, opts)
	w.waitLog("following the daemon's events", 1, 30*time.Second)
	kept := recordOf(t, e.dir(), ids[0], nil)
	recordOf(t, e.dir(), ids[1], nil)
	if err := w.stop(); err != nil {
		t.Fatal(err)
	}
	horizon := stateOf(t, e.dir()).Horizon
	if horizon.Before(kept.FirstSeen) {
		t.Fatalf("horizon %v before the first sighting %v", horizon, kept.FirstSeen)
	}

	// While no watcher runs: one image goes, one comes, and then more
	// events than the daemon keeps (256), so the new image's arrival is
	// not replayed: it is dated from when the watcher first sees it.
	if _, err := e.api.ImageRemove(context.Background(), "wt-gone:1", client.ImageRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	newIDs := e.load(fixture.Image{Refs: []string{"wt-new:1"}, Created: fixture.DefaultCreated})
	for i := range 300 {
		e.tag("wt-keep:1", fmt.Sprintf("wt-keep:t%d", i))
	}

	w = startWatcher(t, cli, opts)
	w.waitLog("following the daemon's events", 1, 30*time.Second)
	if err := w.stop(); err != nil {
		t.Fatal(err)
	}
	st := stateOf(t, e.dir())
	if rec := st.Images[ids[0]]; rec == nil || !rec.FirstSeen.Equal(kept.FirstSeen) || len(rec.Refs) != 301 {
		t.Errorf("the kept image: %+v; want first seen %v as before, and 301 tags", rec, kept.FirstSeen)
	}
	if rec := st.Images[ids[1]]; rec != nil {
		t.Errorf("the removed image is still in the state: %+v", rec)
	}
	// Not at the horizon, when it may not have been there yet: when the
	// watcher saw it, as a lower bound.
	if rec := st.Images[newIDs[0]]; rec == nil || !rec.FirstSeen.After(horizon) || !rec.FirstSeenLowerBound {
		t.Errorf("the image loaded in the gap: %+v; want it first seen after the horizon %v, as a lower bound", rec, horizon)
	}
	if !strings.Contains(w.logs.String(), "new=1 gone=1") {
		t.Errorf("the restart does not say what changed in the gap")
	}
}

func TestWatchReloadsThePolicy(t *testing.T) {
	e := newPruneEnv(t, idlePolicy)
	cli, _, _ := e.cli("", false)
	e.load(
		fixture.Image{Refs: []string{"wt-keep:1"}},
		fixture.Image{Refs: []string{"wt-doomed:1"}},
	)
	// Editors save by renaming a new file over the old.
	writePolicy := func(src string) {
		t.Helper()
		tmp := e.policy + ".new"
		if err := os.WriteFile(tmp, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, e.policy); err != nil {
			t.Fatal(err)
		}
	}

	w := startWatcher(t, cli, watchOptions{policy: policyFlag{path: e.policy, set: true}, interval: durationValue(300 * time.Millisecond)})
	w.waitLog("INFO enforced", 2, 30*time.Second)
	if !imageExists(t, e.api, "wt-doomed:1") {
		t.Fatal("removed before the policy said so")
	}

	// A broken edit: reported with its diagnostics, and ignored.
	writePolicy(idlePolicy + "image \"broken\" {\n  match = [\"wt-doomed:*\"]\n  keep = \"three\"\n}\n")
	w.waitLog("policy not loaded: keeping the previous one", 1, 10*time.Second)
	logs := w.logs.String()
	if !strings.Contains(logs, filepath.Base(e.policy)+":4:10") || !strings.Contains(logs, "keep") {
		t.Errorf("the diagnostics are not in the log:\n%s", logs)
	}
	assertOneRecordPerLine(t, logs)
	n := strings.Count(logs, "INFO enforced")
	w.waitLog("INFO enforced", n+2, 10*time.Second)
	if !imageExists(t, e.api, "wt-doomed:1") {
		t.Fatal("the broken policy was applied")
	}
	if c := strings.Count(w.logs.String(), "policy not loaded"); c != 1 {
		t.Errorf("the broken policy was reported %d times, want once", c)
	}

	// A good edit that removes something: applied without a restart.
	writePolicy(idlePolicy + "image \"doomed\" {\n  match = [\"wt-doomed:*\"]\n}\n")
	w.waitLog("policy loaded", 1, 10*time.Second)
	waitFor(t, 20*time.Second, "wt-doomed:1 to be removed", func() bool { return !imageExists(t, e.api, "wt-doomed:1") })
	if !imageExists(t, e.api, "wt-keep:1") {
		t.Error("wt-keep:1 was removed")
	}
	w.waitLog(`removed kind=image object="wt-doomed:1`, 1, 10*time.Second)

	// SIGHUP reloads at once, whether the file changed or not.
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	w.waitLog("SIGHUP: reloading the policy", 1, 10*time.Second)
	w.waitLog("policy loaded", 2, 10*time.Second)
	if err := w.stop(); err != nil {
		t.Fatal(err)
	}

	entries, err := journalOutcomes(e.journalPath())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Command != "watch" || entries[0].Ref != "wt-doomed:1" || entries[0].Outcome != apply.OutcomeRemoved {
		t.Errorf("journal %+v, want one removal of wt-doomed:1 by watch", entries)
	}
}

func TestWatchSkipsARoundWhileLocked(t *testing.T) {
	e := newPruneEnv(t, idlePolicy+"image \"doomed\" {\n  match = [\"wt-doomed:*\"]\n}\n")
	cli, _, _ := e.cli("", false)
	e.load(fixture.Image{Refs: []string{"wt-doomed:1"}})
	release, err := store.AcquireRemovalLock(e.dir(), "docker shaper prune", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	w := startWatcher(t, cli, watchOptions{policy: policyFlag{path: e.policy, set: true}, interval: durationValue(200 * time.Millisecond)})
	w.waitLog("enforcement skipped: another docker-shaper is removing objects", 2, 20*time.Second)
	if !imageExists(t, e.api, "wt-doomed:1") {
		t.Fatal("removed while another process held the lock")
	}
	// watch.lock tells docker shaper status what the watcher does.
	h, running, err := store.ProbeWatcher(e.dir())
	if err != nil || !running || h == nil {
		t.Fatalf("probing the watcher: %+v %v %v", h, running, err)
	}
	if h.Interval != "200ms" || h.LastOutcome != "skipped: another docker-shaper was removing objects" ||
		h.LastEnforcement.IsZero() || h.NextEnforcement.Before(h.LastEnforcement.Add(-time.Second)) {
		t.Errorf("the watcher's schedule: %+v", h)
	}
	release()
	waitFor(t, 20*time.Second, "wt-doomed:1 to be removed", func() bool { return !imageExists(t, e.api, "wt-doomed:1") })
	waitFor(t, 20*time.Second, "the schedule to say the next round had nothing to do", func() bool {
		h, _, _ := store.ProbeWatcher(e.dir())
		return h != nil && h.LastOutcome == "nothing to do"
	})

	// One watcher per daemon.
	err = runWatch(context.Background(), cli, watchOptions{policy: policyFlag{path: e.policy, set: true}})
	if err == nil || !strings.Contains(err.Error(), "a watcher already runs for this daemon") {
		t.Errorf("a second watcher: %v", err)
	}
}

// Stopped in the middle of an enforcement, the watcher returns nil, having
// saved its state, and its journal is the truth: every image it says it
// removed is gone, every one it did not attempt is still there.
func TestWatchStopsCleanlyWhileEnforcing(t *testing.T) {
	e := newPruneEnv(t, "image \"doomed\" {\n  match = [\"wt-stop/**:*\"]\n}\n")
	cli, _, _ := e.cli("", false)
	images := make([]fixture.Image, 150)
	for i := range images {
		images[i] = fixture.Image{Refs: []string{fmt.Sprintf("wt-stop/r%d:%d", i%10, i)}}
	}
	e.load(images...)
	w := startWatcher(t, cli, watchOptions{policy: policyFlag{path: e.policy, set: true}, interval: durationValue(time.Hour)})
	w.waitLog("INFO removed", 1, 30*time.Second)
	stopped := time.Now()
	if err := w.stop(); err != nil {
		t.Fatalf("the watcher returned %v", err)
	}
	logs := w.logs.String()
	if !strings.Contains(logs, "stopped") {
		t.Error("no clean stop in the log")
	}
	if st := stateOf(t, e.dir()); st.Horizon.Before(stopped.Add(-time.Second)) {
		t.Errorf("state not saved at the stop: horizon %v", st.Horizon)
	}
	entries, err := journalOutcomes(e.journalPath())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(images) {
		t.Fatalf("%d journal entries, want one per planned action (%d)", len(entries), len(images))
	}
	// (A re-check cut short is journalled as failed, not as skipped, by
	// applyPlan; either way nothing was removed.)
	removed, other := 0, 0
	for _, en := range entries {
		exists := imageExists(t, e.api, en.Ref)
		switch {
		case en.Outcome == apply.OutcomeRemoved && !exists:
			removed++
		case en.Outcome != apply.OutcomeRemoved && exists:
			other++
		default:
			t.Errorf("journal says %s %s (%s), but the image exists: %v", en.Ref, en.Outcome, en.Detail, exists)
		}
	}
	t.Logf("removed %d, not removed %d", removed, other)
}

// An image that arrives without an event the watcher follows (an untagged
// commit: only the container says "commit") is caught up with before the
// next enforcement, from a fresh view.
func TestWatchCatchesUpBeforeEnforcing(t *testing.T) {
	e := newPruneEnv(t, idlePolicy)
	cli, _, _ := e.cli("", false)
	e.load(fixture.Image{Refs: []string{"wt-base:1"}, Runnable: true})
	cids := e.containers(fixture.Container{Name: "wt-commit", Image: "wt-base:1", Cmd: []string{"true"}})

	w := startWatcher(t, cli, watchOptions{policy: policyFlag{path: e.policy, set: true}, interval: durationValue(300 * time.Millisecond), noInitial: true})
	w.waitLog("following the daemon's events", 1, 30*time.Second)
	// An empty config rather than none: Podman refuses a commit without a
	// body (Docker takes either).
	res, err := e.api.ContainerCommit(context.Background(), cids[0], client.ContainerCommitOptions{Config: &container.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	committed := time.Now()
	rec := recordOf(t, e.dir(), docker.FullImageID(res.ID), nil) // Podman's is bare
	w.waitLog("caught up with the daemon", 1, 10*time.Second)
	if rec.FirstSeen.After(committed.Add(5 * time.Second)) {
		t.Errorf("the committed image first seen %v, long after its commit at %v", rec.FirstSeen, committed)
	}
}

// The policy file the watcher found by the usual lookup
// ($DOCKER_CONFIG/shaper/policy.hcl) is deleted while it runs: it keeps
// that policy and warns, as for a broken edit, rather than switch to the
// embedded default (which once happened, at INFO level).
func TestWatchKeepsItsPolicyWhenTheFileIsDeleted(t *testing.T) {
	e := newPruneEnv(t, idlePolicy)
	cli, _, _ := e.cli("", false)
	configPolicy := filepath.Join(e.cfg, "shaper", "policy.hcl")
	if err := os.MkdirAll(filepath.Dir(configPolicy), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(configPolicy, []byte(idlePolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	w := startWatcher(t, cli, watchOptions{interval: durationValue(time.Hour), noInitial: true})
	w.waitLog("following the daemon's events", 1, 30*time.Second)
	if err := os.Remove(configPolicy); err != nil {
		t.Fatal(err)
	}
	w.waitLog("the policy file is gone: keeping its last version", 1, 10*time.Second)
	logs := w.logs.String()
	if !strings.Contains(logs, "WARN the policy file is gone") || strings.Contains(logs, "policy loaded") {
		t.Errorf("want a warning and no reload:\n%s", logs)
	}
	// Written again: loaded again.
	if err := os.WriteFile(configPolicy, []byte(idlePolicy+"# edited\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.waitLog("policy loaded", 1, 10*time.Second)
}

// watch --dry-run follows the events and records last use as usual, and
// each enforcement logs what it would remove, removing nothing and
// journalling nothing.
func TestWatchDryRunRemovesNothing(t *testing.T) {
	e := newPruneEnv(t, idlePolicy+"image \"dry\" {\n  match = [\"wt-dry:*\"]\n}\n")
	cli, _, _ := e.cli("", false)
	ids := e.load(fixture.Image{Refs: []string{"wt-dry:1"}, Runnable: true, Created: fixture.DefaultCreated})

	w := startWatcher(t, cli, watchOptions{policy: policyFlag{path: e.policy, set: true}, interval: durationValue(300 * time.Millisecond), dryRun: true})
	w.waitLog("dry run: each enforcement logs what it would remove", 1, 30*time.Second)
	w.waitLog("dry run: nothing removed", 2, 30*time.Second)
	if !imageExists(t, e.api, "wt-dry:1") {
		t.Fatal("the dry run removed wt-dry:1")
	}
	logs := w.logs.String()
	for _, want := range []string{
		`would remove kind=image object="wt-dry:1 (`, // the object, with its ID
		"rule=image.dry",
		"would_remove=1 would_untag=0",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not say %q", want)
		}
	}
	if strings.Contains(logs, "INFO removed") || strings.Contains(logs, "INFO enforced") {
		t.Errorf("the dry run logged a removal or a real enforcement")
	}
	assertOneRecordPerLine(t, logs)

	// Use is recorded as usual.
	started := time.Now().Add(-time.Second)
	e.containers(fixture.Container{Name: "wt-dry-job", Image: "wt-dry:1", Cmd: []string{"true"}, Run: true})
	recordOf(t, e.dir(), ids[0], func(r *store.ImageRecord) bool { return r.LastUsed.After(started) })

	if err := w.stop(); err != nil {
		t.Fatal(err)
	}
	entries, err := journalOutcomes(e.journalPath())
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("the dry run journalled %+v", entries)
	}
}
