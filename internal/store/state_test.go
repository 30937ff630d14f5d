package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/log"
	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/google/go-cmp/cmp"
)

var (
	stT0  = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	stDay = func(days float64) time.Time { return stT0.Add(time.Duration(days * 24 * float64(time.Hour))) }
)

const (
	stIDA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	stIDB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	stIDC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
)

// logTo returns a context whose logger writes to a buffer.
func logTo() (context.Context, *bytes.Buffer) {
	var buf bytes.Buffer
	return logging.With(context.Background(), log.NewWithOptions(&buf, log.Options{Level: log.DebugLevel})), &buf
}

func TestStateSaveAndRead(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "shaper", "default") // created by save
	path := filepath.Join(dir, StateFile)
	st := NewState()
	st.Horizon = stDay(3)
	st.Images[stIDA] = &ImageRecord{FirstSeen: stDay(1), LastUsed: stDay(2), Refs: []string{"app:1", "app:latest"}}
	st.Images[stIDB] = &ImageRecord{FirstSeen: stDay(1.5)}
	if err := st.Save(path); err != nil {
		t.Fatal(err)
	}
	// Saved again over the first: the rename replaces it.
	st.Images[stIDB].LastUsed = stDay(2.5)
	if err := st.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, got); diff != "" {
		t.Errorf("read back (-saved +read):\n%s", diff)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only %s (no temporary files left)", names, StateFile)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, %v; want 0600", fi.Mode(), err)
	}
	data, _ := os.ReadFile(path)
	for _, want := range []string{`"version": 1`, `"horizon": "2026-11-04T12:00:00Z"`, `"first_seen": "2026-11-02T12:00:00Z"`, `"refs": [`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("state file lacks %s:\n%s", want, data)
		}
	}
}

func TestLoadStateSetsBadFilesAside(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		name    string
		content string // "" for no file
		aside   bool
		images  int
		warning string
	}{
		{name: "missing", content: ""},
		{name: "good", content: `{"version":1,"horizon":"2026-11-01T00:00:00Z","images":{"` + stIDA + `":{"first_seen":"2026-11-01T00:00:00Z"}}}`, images: 1},
		{name: "no images", content: `{"version":1}`},
		{name: "truncated", content: `{"version":1,"images":{"sha`, aside: true, warning: "moved it aside"},
		{name: "garbage", content: "\x00\x01not json", aside: true, warning: "moved it aside"},
		{name: "two documents", content: `{"version":1} {"version":1}`, aside: true, warning: "data after the JSON document"},
		{name: "other version", content: `{"version":2,"images":{}}`, aside: true, warning: "version 2"},
		{name: "wrong types", content: `{"version":1,"images":{"x":{"first_seen":42}}}`, aside: true, warning: "moved it aside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, StateFile)
			if tt.content != "" {
				if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ctx, logs := logTo()
			st := LoadState(ctx, path, now)
			if st == nil || st.Images == nil || st.Version != stateVersion {
				t.Fatalf("LoadState = %+v, want a usable state", st)
			}
			if len(st.Images) != tt.images {
				t.Errorf("%d images, want %d", len(st.Images), tt.images)
			}
			aside := path + ".corrupt-20261122T103000Z"
			data, err := os.ReadFile(aside)
			if tt.aside {
				if err != nil || string(data) != tt.content {
					t.Errorf("not moved aside to %s: %v", aside, err)
				}
				if _, err := os.Stat(path); !os.IsNotExist(err) {
					t.Errorf("state file still there: %v", err)
				}
			} else if err == nil {
				t.Errorf("moved aside, but it was fine")
			}
			if tt.warning == "" && logs.Len() > 0 {
				t.Errorf("logged %q", logs)
			}
			if tt.warning != "" && (!strings.Contains(logs.String(), "WARN") || !strings.Contains(logs.String(), tt.warning)) {
				t.Errorf("log %q does not warn %q", logs, tt.warning)
			}
		})
	}
}

func TestStateAppliesToSnapshot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		rec           *ImageRecord
		seen, lastUse time.Time
		lowerBound    bool
	}{
		{name: "recorded", rec: &ImageRecord{FirstSeen: stDay(1), LastUsed: stDay(5)}, seen: stDay(1), lastUse: stDay(5)},
		{name: "recorded, never used", rec: &ImageRecord{FirstSeen: stDay(1)}, seen: stDay(1)},
		{name: "first looked", rec: &ImageRecord{FirstSeen: stDay(1), FirstSeenLowerBound: true}, seen: stDay(1), lowerBound: true},
		// Not recorded: nothing set, which the engine reads as "just
		// arrived"; never the horizon, never Created.
		{name: "not recorded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := NewState()
			st.Horizon = stDay(10)
			if tt.rec != nil {
				st.Images[stIDA] = tt.rec
			}
			snap := policy.Snapshot{Images: []policy.Image{{ID: stIDA, Created: stDay(-300)}}}
			st.ApplyTo(&snap)
			img := snap.Images[0]
			if !img.FirstSeen.Equal(tt.seen) || !img.LastUsed.Equal(tt.lastUse) || img.FirstSeenIsLowerBound != tt.lowerBound {
				t.Errorf("FirstSeen %v (lower bound %v), LastUsed %v; want %v (%v), %v",
					img.FirstSeen, img.FirstSeenIsLowerBound, img.LastUsed, tt.seen, tt.lowerBound, tt.lastUse)
			}
		})
	}
}

func snapOf(ids ...string) policy.Snapshot {
	var snap policy.Snapshot
	for _, id := range ids {
		snap.Images = append(snap.Images, policy.Image{ID: id, Created: stDay(-300)})
	}
	return snap
}

// Every command that reads the daemon records the images it sees for the
// first time, as lower bounds; the first look sets the horizon; records of
// images that are gone are forgotten, but not those another writer made
// while the snapshot was being taken.
func TestObserveRecordsFirstSightings(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "daemon")
	ctx, _ := logTo()

	snap := snapOf(stIDA, stIDB)
	Observe(ctx, dir, &snap, stDay(0), stDay(0))
	for _, img := range snap.Images {
		if !img.FirstSeen.Equal(stDay(0)) || !img.FirstSeenIsLowerBound {
			t.Errorf("%s: first seen %v (lower bound %v), want %v as a lower bound", policy.ShortID(img.ID), img.FirstSeen, img.FirstSeenIsLowerBound, stDay(0))
		}
	}
	st, err := ReadState(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if !st.Horizon.Equal(stDay(0)) || len(st.Images) != 2 {
		t.Fatalf("state after the first look: horizon %v, %d images; want %v, 2", st.Horizon, len(st.Images), stDay(0))
	}

	// A watcher records C at day 2.5 while a check lists from day 2 and
	// misses it; B is gone.
	st.Images[stIDC] = &ImageRecord{FirstSeen: stDay(2.5)}
	st.Images[stIDA].LastUsed = stDay(1)
	if err := st.Save(filepath.Join(dir, StateFile)); err != nil {
		t.Fatal(err)
	}
	snap = snapOf(stIDA)
	Observe(ctx, dir, &snap, stDay(2), stDay(3))
	if img := snap.Images[0]; !img.FirstSeen.Equal(stDay(0)) || !img.LastUsed.Equal(stDay(1)) {
		t.Errorf("A: first seen %v, last used %v; want the first look's %v and the recorded use %v", img.FirstSeen, img.LastUsed, stDay(0), stDay(1))
	}
	st, _ = ReadState(filepath.Join(dir, StateFile))
	if _, ok := st.Images[stIDB]; ok {
		t.Error("B, gone since the first look, is still recorded")
	}
	if _, ok := st.Images[stIDC]; !ok {
		t.Error("C, recorded by another writer while the snapshot was taken, was forgotten")
	}
	if !st.Horizon.Equal(stDay(0)) {
		t.Errorf("horizon moved to %v: only the first look (and a watcher) sets it", st.Horizon)
	}
}

// A corrupt state file is set aside and the images recorded afresh: they
// look just arrived, which never makes anything due sooner.
func TestObserveSetsACorruptFileAside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, StateFile)
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, logs := logTo()
	snap := snapOf(stIDA)
	Observe(ctx, dir, &snap, stDay(5), stDay(5))
	if img := snap.Images[0]; !img.FirstSeen.Equal(stDay(5)) || !img.FirstSeenIsLowerBound {
		t.Errorf("first seen %v (lower bound %v), want %v as a lower bound", img.FirstSeen, img.FirstSeenIsLowerBound, stDay(5))
	}
	if !strings.Contains(logs.String(), "moved it aside") {
		t.Errorf("no warning: %q", logs)
	}
}

// Where nothing can be recorded, images are left undated (just arrived),
// and the command goes on, saying so.
func TestObserveInAnUnwritableDirectory(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "daemon")
	// A plain file where the directory should be: writable by nobody, root
	// included.
	if err := os.WriteFile(dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, logs := logTo()
	snap := snapOf(stIDA)
	Observe(ctx, dir, &snap, stDay(5), stDay(5))
	if img := snap.Images[0]; !img.FirstSeen.IsZero() {
		t.Errorf("first seen %v, want none", img.FirstSeen)
	}
	if !strings.Contains(logs.String(), "cannot record") {
		t.Errorf("no warning: %q", logs)
	}
}

// Merging keeps the earlier first sighting and the later use, adds what
// only the file has, and does not bring back an image the watcher saw
// deleted.
func TestStateMerge(t *testing.T) {
	t.Parallel()
	mem := NewState()
	mem.Images[stIDA] = &ImageRecord{FirstSeen: stDay(3), FirstSeenLowerBound: true, LastUsed: stDay(4)}
	disk := NewState()
	disk.Horizon = stDay(1)
	disk.Images[stIDA] = &ImageRecord{FirstSeen: stDay(2), LastUsed: stDay(3)}
	disk.Images[stIDB] = &ImageRecord{FirstSeen: stDay(2), FirstSeenLowerBound: true}
	disk.Images[stIDC] = &ImageRecord{FirstSeen: stDay(2)}
	mem.Merge(disk, map[string]bool{stIDC: true})
	want := map[string]*ImageRecord{
		stIDA: {FirstSeen: stDay(2), LastUsed: stDay(4)},
		stIDB: {FirstSeen: stDay(2), FirstSeenLowerBound: true},
	}
	if diff := cmp.Diff(want, mem.Images); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
	if !mem.Horizon.Equal(stDay(1)) {
		t.Errorf("horizon %v, want the file's %v when none was set", mem.Horizon, stDay(1))
	}
}

// Commands recording at the same time as a watcher saves lose nothing:
// every image any of them saw is in the file at the end.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, _ := logTo()
	const writers, rounds = 4, 25
	id := func(w, r int) string { return fmt.Sprintf("sha256:%02d%02d", w, r) }
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				// Each writer sees only its own images, all of them from
				// round 0 on, as a host whose images only accumulate.
				var ids []string
				for k := 0; k <= r; k++ {
					ids = append(ids, id(w, k))
				}
				snap := snapOf(ids...)
				Observe(ctx, dir, &snap, stDay(0), stDay(float64(r)))
			}
		}()
	}
	// And a watcher-like writer that merges its own records in.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for r := range rounds {
			unlock, err := LockState(ctx, dir)
			if err != nil {
				t.Error(err)
				return
			}
			mem := NewState()
			mem.Images[id(9, r)] = &ImageRecord{FirstSeen: stDay(1)}
			if disk, err := ReadState(filepath.Join(dir, StateFile)); err == nil {
				mem.Merge(disk, nil)
			}
			if err := mem.Save(filepath.Join(dir, StateFile)); err != nil {
				t.Error(err)
			}
			unlock()
		}
	}()
	wg.Wait()
	st, err := ReadState(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := writers*rounds + rounds; len(st.Images) != want {
		t.Errorf("%d records, want %d: updates were lost", len(st.Images), want)
	}
}

// The live view records the images events bring, as the watcher would, and
// never replaces a record another command made first.
func TestRecordArrivals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	first := RecordArrivals(ctx, dir, map[string]ImageRecord{
		"sha256:a": {FirstSeen: at.Add(-time.Minute), Refs: []string{"app:1"}},
	}, at)
	if rec := first["sha256:a"]; !rec.FirstSeen.Equal(at.Add(-time.Minute)) || rec.FirstSeenLowerBound {
		t.Errorf("first record %+v", rec)
	}
	second := RecordArrivals(ctx, dir, map[string]ImageRecord{
		"sha256:a": {FirstSeen: at, FirstSeenLowerBound: true},
		"sha256:b": {FirstSeen: at, FirstSeenLowerBound: true},
	}, at)
	if rec := second["sha256:a"]; !rec.FirstSeen.Equal(at.Add(-time.Minute)) {
		t.Errorf("the earlier record was replaced: %+v", rec)
	}
	st, err := ReadState(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Images) != 2 || !st.Horizon.Equal(at) || !st.Images["sha256:b"].FirstSeenLowerBound {
		t.Errorf("state %+v", st)
	}
}

// Every look at the daemon records the use its containers show, so a use
// outlives the container: once a prune removes the container, its image
// does not look unused for longer than it was.
func TestObserveRecordsContainerUses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, _ := logTo()
	snap := snapOf(stIDA, stIDB)
	snap.Containers = []policy.Container{
		{ID: "c1", ImageID: stIDA, State: policy.StateExited, Created: stDay(1), StartedAt: stDay(1), FinishedAt: stDay(2)},
		{ID: "c2", ImageID: stIDB, State: policy.StateRunning, Created: stDay(1), StartedAt: stDay(1)},
	}
	observe := func(snap policy.Snapshot, at time.Time) policy.Snapshot {
		Observe(ctx, dir, &snap, at, at)
		return snap
	}
	observe(snap, stDay(3))
	// Seen running again within a step: not worth a write; a step later,
	// recorded.
	if got := observe(snap, stDay(3).Add(runningUseStep/2)); !got.Images[1].LastUsed.Equal(stDay(3)) {
		t.Errorf("running use recorded again within a step: %v, want %v", got.Images[1].LastUsed, stDay(3))
	}
	if got := observe(snap, stDay(3).Add(runningUseStep)); !got.Images[1].LastUsed.Equal(stDay(3).Add(runningUseStep)) {
		t.Errorf("running use a step later: %v, want %v", got.Images[1].LastUsed, stDay(3).Add(runningUseStep))
	}
	// The containers are gone: their uses stay.
	got := observe(snapOf(stIDA, stIDB), stDay(4))
	if !got.Images[0].LastUsed.Equal(stDay(2)) || !got.Images[1].LastUsed.Equal(stDay(3).Add(runningUseStep)) {
		t.Errorf("last uses %v, %v: want the exited container's finish (%v) and the running one's last sighting (%v)",
			got.Images[0].LastUsed, got.Images[1].LastUsed, stDay(2), stDay(3).Add(runningUseStep))
	}
}
