package plugin

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/log"
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
	return withLogger(context.Background(), log.NewWithOptions(&buf, log.Options{Level: log.DebugLevel})), &buf
}

func TestStateSaveAndRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shaper", "default") // created by save
	path := filepath.Join(dir, stateFileName)
	st := newWatchState()
	st.Horizon = stDay(3)
	st.Images[stIDA] = &imageRecord{FirstSeen: stDay(1), LastUsed: stDay(2), Refs: []string{"app:1", "app:latest"}}
	st.Images[stIDB] = &imageRecord{FirstSeen: stDay(1.5)}
	if err := st.save(path); err != nil {
		t.Fatal(err)
	}
	// Saved again over the first: the rename replaces it.
	st.Images[stIDB].LastUsed = stDay(2.5)
	if err := st.save(path); err != nil {
		t.Fatal(err)
	}
	got, err := readState(path)
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
		t.Errorf("directory holds %v, want only %s (no temporary files left)", names, stateFileName)
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
			path := filepath.Join(dir, stateFileName)
			if tt.content != "" {
				if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ctx, logs := logTo()
			st := loadState(ctx, path, now)
			if st == nil || st.Images == nil || st.Version != stateVersion {
				t.Fatalf("loadState = %+v, want a usable state", st)
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
	tests := []struct {
		name          string
		horizon       time.Time
		created       time.Time
		rec           *imageRecord
		seen, lastUse time.Time
	}{
		{name: "recorded", horizon: stDay(10), created: stDay(-300), rec: &imageRecord{FirstSeen: stDay(1), LastUsed: stDay(5)}, seen: stDay(1), lastUse: stDay(5)},
		{name: "recorded, never used", horizon: stDay(10), created: stDay(-300), rec: &imageRecord{FirstSeen: stDay(1)}, seen: stDay(1)},
		{name: "after the horizon", horizon: stDay(10), created: stDay(-300), seen: stDay(10)},
		{name: "built after the horizon", horizon: stDay(10), created: stDay(12), seen: stDay(12)},
		{name: "no horizon", created: stDay(-300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newWatchState()
			st.Horizon = tt.horizon
			if tt.rec != nil {
				st.Images[stIDA] = tt.rec
			}
			snap := policy.Snapshot{Images: []policy.Image{{ID: stIDA, Created: tt.created}}}
			st.applyTo(&snap)
			img := snap.Images[0]
			if !img.FirstSeen.Equal(tt.seen) || !img.LastUsed.Equal(tt.lastUse) {
				t.Errorf("FirstSeen %v, LastUsed %v; want %v, %v", img.FirstSeen, img.LastUsed, tt.seen, tt.lastUse)
			}
		})
	}
}

func TestApplyWatchStateIgnoresABadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, stateFileName)
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, logs := logTo()
	snap := policy.Snapshot{Images: []policy.Image{{ID: stIDA, Created: stDay(0)}}}
	applyWatchState(ctx, &snap, dir)
	if !snap.Images[0].FirstSeen.IsZero() {
		t.Errorf("FirstSeen set from a corrupt file")
	}
	if !strings.Contains(logs.String(), "ignoring the watcher's state") {
		t.Errorf("no warning: %q", logs)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("check moved the state file: only the watcher does: %v", err)
	}

	// No file at all: silence, and nothing set.
	ctx, logs = logTo()
	applyWatchState(ctx, &snap, t.TempDir())
	if logs.Len() > 0 || !snap.Images[0].FirstSeen.IsZero() {
		t.Errorf("without a state file: log %q, FirstSeen %v", logs, snap.Images[0].FirstSeen)
	}
}
