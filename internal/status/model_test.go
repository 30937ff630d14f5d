package status

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/muesli/termenv"
)

// updating says whether -update was given (teatest's golden package
// defines the flag): the golden screens are then rewritten.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// testNow is the fixed time of every screen here.
var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

const testPolicy = `
protect "bases" {
  images = ["debian:*"]
}
container "finished jobs" {
  status     = ["exited"]
  older_than = "6h"
}
image "pull requests" {
  match      = ["app:pr-*"]
  keep       = 1
  older_than = "7d"
}
image "everything" {
  match      = ["**:*"]
  older_than = "30d"
}
image "dangling" {
  dangling = true
}
volume "anonymous" {
  older_than = "1d"
}
network "ci" {
  names      = ["ci_*"]
  older_than = "1d"
}
build_cache {
  unused_for = "7d"
}
`

// testInput is a small host: images due, kept, protected and unclaimed;
// a running and two exited containers; volumes, networks, build cache;
// and a watcher with a schedule and a journal.
func testInput(t testing.TB) Input {
	t.Helper()
	p, diags := policy.NewLoader().Load("policy.hcl", []byte(testPolicy))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	day := 24 * time.Hour
	ago := func(d time.Duration) time.Time { return testNow.Add(-d) }
	snap := policy.Snapshot{
		Now: testNow,
		Images: []policy.Image{
			{ID: "sha256:1111aaaa1111aaaa", Tags: []string{"app:pr-3"}, Created: ago(2 * day), LastTagTime: ago(2 * day), Size: 120e6, UniqueSize: 20e6},
			{ID: "sha256:2222bbbb2222bbbb", Tags: []string{"app:pr-2"}, Created: ago(5 * day), LastTagTime: ago(5 * day), Size: 118e6, UniqueSize: 18e6},
			{ID: "sha256:3333cccc3333cccc", Tags: []string{"app:pr-1", "app:old"}, Created: ago(40 * day), LastTagTime: ago(40 * day), Size: 110e6, UniqueSize: 10e6},
			{ID: "sha256:4444dddd4444dddd", Tags: []string{"debian:12"}, Created: ago(400 * day), FirstSeen: ago(60 * day), FirstSeenIsLowerBound: true, Size: 75e6, UniqueSize: 75e6},
			{ID: "sha256:5555eeee5555eeee", Tags: []string{"registry.example.com/tools/lint:1.4"}, Created: ago(90 * day), LastTagTime: ago(3 * day), Size: 45e6, UniqueSize: 45e6},
			{ID: "sha256:6666ffff6666ffff", Created: ago(10 * day), FirstSeen: ago(10 * day), Size: 5e6, UniqueSize: 5e6},
		},
		Containers: []policy.Container{
			{ID: "c1c1c1c1c1c1c1c1", Name: "web", Image: "app:pr-3", ImageID: "sha256:1111aaaa1111aaaa", State: policy.StateRunning,
				Created: ago(3 * time.Hour), StartedAt: ago(3 * time.Hour), Volumes: []string{"pgdata"}, Networks: []string{"n1n1n1n1n1n1"}},
			{ID: "c2c2c2c2c2c2c2c2", Name: "job-17", Image: "debian:12", ImageID: "sha256:4444dddd4444dddd", State: policy.StateExited,
				Created: ago(2 * day), StartedAt: ago(2 * day), FinishedAt: ago(47 * time.Hour)},
			{ID: "c3c3c3c3c3c3c3c3", Name: "job-18", Image: "debian:12", ImageID: "sha256:4444dddd4444dddd", State: policy.StateExited,
				Created: ago(3 * time.Hour), StartedAt: ago(3 * time.Hour), FinishedAt: ago(2 * time.Hour)},
		},
		Volumes: []policy.Volume{
			{Name: "pgdata", CreatedAt: ago(30 * day), Size: 2e9},
			{Name: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Anonymous: true, CreatedAt: ago(3 * day), Size: 12e6},
		},
		Networks: []policy.Network{
			{ID: "n0n0n0n0n0n0", Name: "bridge", Driver: "bridge", Scope: "local", Created: ago(100 * day)},
			{ID: "n1n1n1n1n1n1", Name: "ci_default", Driver: "bridge", Scope: "local", Created: ago(2 * day)},
			{ID: "n2n2n2n2n2n2", Name: "ci_old", Driver: "bridge", Scope: "local", Created: ago(9 * day)},
		},
		BuildCache: policy.BuildCache{Records: []policy.CacheRecord{
			{ID: "r1", Size: 300e6, LastUsedAt: ago(20 * day), CreatedAt: ago(30 * day)},
			{ID: "r2", Size: 100e6, LastUsedAt: ago(day), CreatedAt: ago(2 * day)},
			{ID: "r3", Size: 50e6, InUse: true, CreatedAt: ago(day)},
		}},
	}
	return Input{
		Policy: p, PolicyName: "policy.hcl", Snapshot: snap,
		Daemon: policy.Daemon{ID: "6PEG:KZU6", Context: "default", Engine: "docker", Version: "20.10.24", API: "1.41"},
		Usage:  map[string]Usage{"c1c1c1c1c1c1c1c1": {CPUPercent: ptr(12.5), Memory: ptr(uint64(52e6)), MemoryLimit: ptr(uint64(2e9))}},
		Watcher: Watcher{
			Running: true,
			Holder: &store.Holder{PID: 4242, Command: "docker shaper watch", Host: "ci-7", Since: ago(26 * time.Hour), Interval: "1h",
				LastEnforcement: ago(20 * time.Minute), LastOutcome: "1 removed, 0 untagged, 0 skipped, 0 failed, 12MB reclaimed",
				NextEnforcement: testNow.Add(40 * time.Minute)},
			StateFile: "/home/me/.docker/shaper/daemons/6PEG_KZU6/state.json", StateImages: 6, Horizon: ago(26 * time.Hour),
			JournalFile: "/home/me/.docker/shaper/daemons/6PEG_KZU6/journal.jsonl",
			Journal: []store.Entry{
				{Time: ago(2 * day), Command: "prune", Kind: "container", Action: "remove", Name: "job-9", Rule: "container.finished jobs", Outcome: "removed"},
				{Time: ago(20 * time.Minute), Command: "watch", Kind: "image", Action: "remove", Ref: "app:pr-0", Rule: "image.pull requests", Bytes: 12e6, Outcome: "removed"},
			},
		},
	}
}

// testModel is a Model on testInput's Document, at testNow, in plain text.
func testModel(t testing.TB, enforce enforceFunc) *Model {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	m := newModel(modelConfig{renderer: r, clock: clock.Fixed(testNow), nowAt: func(t time.Time) time.Time { return t },
		enforce: enforce, inbox: make(chan any, 8), noTick: true})
	in := testInput(t)
	doc := Build(in)
	m.setData(dataMsg{doc: &doc, policy: in.Policy, snap: in.Snapshot})
	return m
}

// golden compares a screen with testdata/NAME.golden (-update rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("screen %s differs from %s (-update rewrites it):\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// keyMsg is a key as the terminal sends it.
func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEscape}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// screen runs the program at a size, types keys, and returns the screen
// after the last one.
func screen(t *testing.T, m *Model, w, h int, keys ...string) string {
	t.Helper()
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	for _, k := range keys {
		tm.Send(keyMsg(k))
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).View()
}

// Key sequences, and the screen each leaves, at 80×24 and at 160×45.
func TestScreens(t *testing.T) {
	tests := []struct {
		name string
		w, h int
		keys []string
	}{
		{"images", 80, 24, nil},
		{"images_large", 160, 45, nil},
		{"images_moved", 80, 24, []string{"j", "j", "j"}},
		{"containers", 80, 24, []string{"2"}},
		{"containers_large", 160, 45, []string{"2"}},
		{"volumes", 80, 24, []string{"3"}},
		{"networks", 80, 24, []string{"4"}},
		{"build_cache", 80, 24, []string{"5"}},
		{"rules", 80, 24, []string{"6"}},
		{"rules_explained", 80, 24, []string{"6", "j", "j", "j", "enter"}},
		{"watcher", 80, 24, []string{"7"}},
		{"watcher_large", 160, 45, []string{"tab", "tab", "tab", "tab", "tab", "tab"}},
		{"help", 80, 24, []string{"?"}},
		{"explain", 80, 24, []string{"j", "j", "enter"}},
		{"explain_closed", 80, 24, []string{"j", "j", "enter", "esc"}},
		{"filter_typing", 80, 24, []string{"/", "p", "r", "-"}},
		{"filter_kept", 80, 24, []string{"/", "p", "r", "-", "enter"}},
		{"filter_cleared", 80, 24, []string{"/", "p", "r", "-", "enter", "esc"}},
		{"verdict_due", 80, 24, []string{"v"}},
		{"verdict_protected", 80, 24, []string{"v", "v", "v"}},
		{"sort_by_size", 80, 24, []string{"s", "s", "s", "s"}},
		{"sort_by_size_reversed", 80, 24, []string{"s", "s", "s", "s", "S"}},
		{"sort_by_expiry", 80, 24, []string{"s", "s", "s", "s", "s", "s", "s", "s", "s", "s"}},
		{"typed_fast", 80, 24, []string{"2j"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name, screen(t, testModel(t, nil), tt.w, tt.h, tt.keys...))
		})
	}
}

// x shows exactly what the plan removes, made by the enforce function
// (under the lock, in the command), and removes nothing until y; n
// declines.
func TestRunThePlan(t *testing.T) {
	for _, answer := range []string{"y", "n"} {
		t.Run(answer, func(t *testing.T) {
			approved := make(chan error, 1)
			var m *Model
			enforce := func(ctx context.Context, approve func(policy.Plan) error, p apply.Progress) (*apply.Report, error) {
				err := approve(m.doc.Plan)
				approved <- err
				if err != nil {
					return nil, err
				}
				p.Start(1)
				p.Done(apply.Result{}, 1, 1)
				return &apply.Report{Summary: apply.Summary{Counts: apply.Counts{Actions: 1, Removed: 1, ReclaimedBytes: 10e6}}}, nil
			}
			m = testModel(t, enforce)
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
			tm.Send(keyMsg("x"))
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("RUN THE PLAN")) },
				teatest.WithDuration(10*time.Second))
			select {
			case err := <-approved:
				t.Fatalf("approved before the answer: %v", err)
			default:
			}
			tm.Send(keyMsg(answer))
			err := <-approved
			if (err == nil) != (answer == "y") {
				t.Fatalf("answer %s: approve returned %v", answer, err)
			}
			want := "done: 1 removed"
			if answer == "n" {
				want = "not run: nothing was removed"
			}
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
				teatest.WithDuration(10*time.Second))
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			golden(t, "run_"+answer, tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).View())
		})
	}
	t.Run("confirmation", func(t *testing.T) {
		m := testModel(t, nil)
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		m.Update(confirmMsg{plan: m.doc.Plan, reply: make(chan bool, 1)})
		golden(t, "run_confirmation", m.View())
	})
	t.Run("what if", func(t *testing.T) {
		m := testModel(t, nil) // --now: no enforce function
		m.Update(keyMsg("x"))
		if !strings.Contains(m.View(), "the view is for another time (--now)") {
			t.Errorf("x with --now:\n%s", m.View())
		}
	})
}

// q quits; the program ends.
func TestQuit(t *testing.T) {
	tm := teatest.NewTestModel(t, testModel(t, nil), teatest.WithInitialTermSize(80, 24))
	tm.Send(keyMsg("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	if !tm.FinalModel(t).(*Model).quitting {
		t.Error("the model did not quit")
	}
}

// Every line of every screen fits the terminal, however small.
func TestScreensFit(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {60, 15}, {40, 10}, {200, 60}} {
		for p := range numPanes {
			m := testModel(t, nil)
			m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			m.pane = p
			lines := strings.Split(m.View(), "\n")
			if len(lines) != size[1] {
				t.Errorf("%dx%d pane %d: %d lines", size[0], size[1], p, len(lines))
			}
			for _, l := range lines {
				if w := lipgloss.Width(l); w > size[0] {
					t.Errorf("%dx%d pane %d: a line of %d cells: %q", size[0], size[1], p, w, l)
				}
			}
		}
	}
}
