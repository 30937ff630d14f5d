package commands

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWatchCommandFlags(t *testing.T) {
	t.Parallel()
	cli, _, _ := testCli(t)
	root := newRootCommand(cli)
	cmd, _, err := root.Find([]string{"watch"})
	if err != nil || cmd.Name() != "watch" {
		t.Fatalf("no watch command: %v", err)
	}
	for _, name := range []string{"policy", "interval", "no-initial", "dry-run"} {
		if cmd.Flags().Lookup(name) == nil {
			t.Errorf("watch has no --%s", name)
		}
	}
	if got := cmd.Flags().Lookup("interval").DefValue; got != "1h" {
		t.Errorf("--interval defaults to %q, want 1h", got)
	}

	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{in: "30m", want: 30 * time.Minute},
		{in: "1d", want: 24 * time.Hour},
		{in: "90s", want: 90 * time.Second},
		{in: "0s", err: "longer than zero"},
		{in: "3mo", err: "month"},
		{in: "soon", err: "soon"},
	}
	for _, tt := range tests {
		var v durationValue
		err := v.Set(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Set(%q) = %v, want an error saying %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || time.Duration(v) != tt.want):
			t.Errorf("Set(%q) = %v, %v; want %v", tt.in, time.Duration(v), err, tt.want)
		}
	}
}

// A policy with errors stops the watcher before it starts (there is no
// previous policy to keep), before it contacts the daemon.
func TestWatchRefusesABrokenPolicyAtStart(t *testing.T) {
	t.Parallel()
	cli, _, errOut := testCli(t)
	cfg := cli.configDir()
	bad := filepath.Join(cfg, "bad.hcl")
	if err := os.WriteFile(bad, []byte("image \"x\" {\n  match = [\"nginx\"]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := runWatch(context.Background(), cli, watchOptions{policy: policyFlag{path: bad, set: true}, interval: durationValue(time.Hour)})
	if err == nil || !strings.Contains(err.Error(), "1 error") {
		t.Fatalf("runWatch = %v, want the policy's error", err)
	}
	if !strings.Contains(errOut.String(), "bad.hcl:2:") {
		t.Errorf("the diagnostics were not rendered:\n%s", errOut)
	}
	// It stopped before it asked which daemon to watch: nothing was locked
	// or written.
	if _, err := os.Stat(filepath.Join(cfg, "shaper")); !os.IsNotExist(err) {
		t.Errorf("the watcher wrote to the config directory: %v", err)
	}
}
