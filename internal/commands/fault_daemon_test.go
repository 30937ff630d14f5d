package commands

// Faults in the middle of a prune, against real daemons: Ctrl-C on a
// terminal, the plugin killed outright, the daemon stopped. After each,
// the journal, once the next run has reconciled it, says exactly what
// happened to every object: every tag that went has its outcome, and no
// outcome claims what did not happen.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker/cli/cli/command"
	"github.com/moby/moby/client"
)

// faultPolicy removes every fault-* tag; idlePolicy (watch_daemon_test.go)
// claims nothing, for a run that only reconciles.
const faultPolicy = `image "fault" { match = ["fault-*:*"] }` + "\n"

// faultHost loads n images of four tags each: 4n removals, enough for a
// prune to be caught in the middle.
func faultHost(t *testing.T, api *client.Client, n int) {
	t.Helper()
	images := fixture.Deal{Images: n, Tags: 4 * n, Newest: fixture.DefaultCreated,
		Name: func(i, k int) string { return fmt.Sprintf("fault-%d:t%d", i%7, k) }}.Deal()
	if _, err := fixture.Load(context.Background(), api, images...); err != nil {
		t.Fatal(err)
	}
}

// imageTags is the daemon's fault-* tags by image ID.
func imageTags(t *testing.T, api *client.Client) map[string][]string {
	t.Helper()
	res, err := api.ImageList(context.Background(), client.ImageListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, it := range res.Items {
		for _, tag := range it.RepoTags {
			if strings.HasPrefix(tag, "fault-") {
				out[it.ID] = append(out[it.ID], tag)
			}
		}
	}
	return out
}

// checkJournalTellsTheTruth compares the journal with what happened to the
// daemon's images between before and after: each run in it is ended and
// has no intent left without an outcome; every outcome is true (a removed
// image is gone, an untagged tag is gone, a skipped or failed one is
// still there); every tag that went has an outcome that says so.
func checkJournalTellsTheTruth(t *testing.T, path string, before, after map[string][]string) {
	t.Helper()
	lines, err := store.ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines.Torn) > 0 {
		t.Errorf("torn lines %v", lines.Torn)
	}
	type key struct {
		run string
		seq int
	}
	final := map[key]store.Entry{}
	intents := map[key]bool{}
	ended := map[string]bool{}
	for _, e := range lines.Entries {
		k := key{e.Run, e.Seq}
		switch {
		case e.Record == store.RecordIntent:
			intents[k] = true
		case e.IsOutcome():
			final[k] = e
		case e.Record == store.RecordEnd:
			ended[e.Run] = true
		}
	}
	for k := range intents {
		if _, ok := final[k]; !ok {
			t.Errorf("run %s action %d: an intent without an outcome", k.run, k.seq)
		}
		if !ended[k.run] {
			t.Errorf("run %s is not ended", k.run)
		}
	}
	accounted := map[string]bool{} // "id|tag" or "id|"
	for k, e := range final {
		if e.Outcome == apply.OutcomeUnknown {
			t.Errorf("run %s action %d: outcome still unknown after reconciling", k.run, k.seq)
		}
		if e.Kind != "image" {
			continue
		}
		gone := after[e.ID] == nil
		tagGone := gone || !slices.Contains(after[e.ID], e.Ref)
		switch e.Outcome {
		case apply.OutcomeRemoved:
			if !gone {
				t.Errorf("%s %s: journalled removed, but the image is there with %v", e.Ref, e.ID, after[e.ID])
			}
			accounted[e.ID+"|"] = true
		case apply.OutcomeUntagged:
			if !tagGone {
				t.Errorf("%s: journalled untagged, but the tag is there", e.Ref)
			}
			accounted[e.ID+"|"+e.Ref] = true
		case apply.OutcomeSkipped, apply.OutcomeFailed:
			if tagGone && !strings.Contains(e.Detail, "already") {
				t.Errorf("%s: journalled %s (%s), but the tag went", e.Ref, e.Outcome, e.Detail)
			}
		}
	}
	for id, tags := range before {
		for _, tag := range tags {
			if after[id] != nil && slices.Contains(after[id], tag) {
				continue
			}
			if !accounted[id+"|"] && !accounted[id+"|"+tag] {
				t.Errorf("%s (%s) went, and the journal does not say so", tag, id)
			}
		}
	}
}

// cliEnv is a docker CLI's environment with the plugin installed in a
// config directory of the test's own.
func cliEnv(t *testing.T) (env []string, cfg string) {
	t.Helper()
	bin, err := pluginBinary()
	if err != nil {
		t.Fatal(err)
	}
	cfg = t.TempDir()
	plugins := filepath.Join(cfg, "cli-plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bin, filepath.Join(plugins, "docker-shaper")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "fault.hcl"), []byte(faultPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "idle.hcl"), []byte(idlePolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "DOCKER_CONFIG="+cfg), cfg
}

// waitOutcomes waits until the journal at path has n outcome records.
func waitOutcomes(t *testing.T, path string, n int) {
	t.Helper()
	waitFor(t, 60*time.Second, fmt.Sprintf("%d outcomes in the journal", n), func() bool {
		entries, _ := journalOutcomes(path)
		return len(entries) >= n
	})
}

// reconcileWith runs a prune that removes nothing, whose start reconciles
// what an interrupted run left in the journal.
func reconcileWith(t *testing.T, env []string, cfg string) {
	t.Helper()
	cmd := exec.Command("docker", "shaper", "prune", "-f", "--policy", filepath.Join(cfg, "idle.hcl"))
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the reconciling prune: %v\n%s", err, out)
	}
}

// fault is a host of fault-* images on the test daemon, and a docker CLI
// with the plugin, to prune them with.
type fault struct {
	t        *testing.T
	api      *client.Client
	env      []string
	cfg, dir string
	before   map[string][]string
}

func newFault(t *testing.T) *fault {
	f := &fault{t: t, api: fixture.TestDaemon(t)}
	faultHost(t, f.api, 300)
	f.env, f.cfg = cliEnv(t)
	f.dir = testDaemonDir(t, f.api, f.cfg)
	f.before = imageTags(t, f.api)
	return f
}

// prune is the command that removes them all, not started.
func (f *fault) prune() *exec.Cmd {
	cmd := exec.Command("docker", "shaper", "prune", "-f", "--policy", filepath.Join(f.cfg, "fault.hcl"))
	cmd.Env = f.env
	return cmd
}

// journal is the daemon's journal file.
func (f *fault) journal() string { return filepath.Join(f.dir, store.JournalFile) }

// Ctrl-C on a terminal in the middle of prune -f: no new removal starts,
// those already sent finish, every outcome is journalled, the summary is
// printed, and the exit status says it was interrupted.
func TestPruneCtrlCOnATerminal(t *testing.T) {
	f := newFault(t)
	cmd := f.prune()
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var screen bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&screen, tty); close(copied) }()

	waitOutcomes(t, f.journal(), 20)
	if _, err := tty.Write([]byte{3}); err != nil { // ^C: the terminal signals the foreground group
		t.Fatal(err)
	}
	err = cmd.Wait()
	<-copied
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 130 {
		t.Errorf("exit: %v; want status 130 (interrupted by SIGINT)\n%s", err, screen.String())
	}
	for _, want := range []string{"RESULT", "interrupted", "every outcome is in the journal"} {
		if !strings.Contains(screen.String(), want) {
			t.Errorf("the terminal does not show %q:\n%s", want, screen.String())
		}
	}
	after := imageTags(t, f.api)
	if len(after) == 0 {
		t.Fatal("the prune ran to its end before the interrupt: nothing to test")
	}
	checkJournalTellsTheTruth(t, f.journal(), f.before, after)
}

// The plugin killed outright (SIGKILL) in the middle of prune -f: the
// journal may end on intents without outcomes; the next run reconciles
// them against the daemon, and then the journal is the truth.
func TestPruneKilled(t *testing.T) {
	f := newFault(t)
	cmd := f.prune()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitOutcomes(t, f.journal(), 20)
	plugin := childOf(t, cmd.Process.Pid)
	if err := syscall.Kill(plugin, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Errorf("prune succeeded though its plugin was killed:\n%s", out.String())
	}
	after := imageTags(t, f.api)
	if len(after) == 0 {
		t.Fatal("the prune ran to its end before the kill: nothing to test")
	}
	reconcileWith(t, f.env, f.cfg)
	checkJournalTellsTheTruth(t, f.journal(), f.before, after)
}

// childOf is the process the docker CLI (pid) runs the plugin in.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	var child int
	waitFor(t, 10*time.Second, "the plugin's process", func() bool {
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			p, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
			if err != nil {
				continue
			}
			// pid (comm) state ppid ...: comm may hold spaces, so split
			// after its closing parenthesis.
			fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
			if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
				child = p
				return true
			}
		}
		return false
	})
	return child
}

// The daemon stopped in the middle of a prune: removals in flight may or
// may not have taken effect, and the daemon cannot be asked; later ones
// cannot be attempted. Once the daemon is back, the next run reconciles,
// and the journal is the truth.
func TestPruneWhileTheDaemonStops(t *testing.T) {
	d := startPrivateDaemon(t)
	bin := d.cmd.Path
	faultHost(t, d.api, 300)
	cfg := t.TempDir()
	policyFile := filepath.Join(cfg, "fault.hcl")
	if err := os.WriteFile(policyFile, []byte(faultPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := testDaemonDir(t, d.api, cfg)
	before := imageTags(t, d.api)
	run := func(args ...string) error {
		dc, err := command.NewDockerCli(command.WithOutputStream(io.Discard), command.WithErrorStream(io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		root := newRootCommand(deps{cli: daemonCli{DockerCli: dc, api: d.api}, clock: clock.Seconds,
			configDir: func() string { return cfg }})
		root.SetArgs(args)
		root.SetOut(io.Discard)
		root.SetErr(io.Discard)
		return root.ExecuteContext(context.Background())
	}

	done := make(chan error, 1)
	go func() { done <- run("prune", "-f", "--policy", policyFile) }()
	waitOutcomes(t, filepath.Join(dir, store.JournalFile), 20)
	d.stop()
	select {
	case err := <-done:
		if err == nil {
			t.Error("prune succeeded though its daemon stopped")
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("prune did not end after its daemon stopped")
	}

	d.start(bin)
	after := imageTags(t, d.api)
	if len(after) == 0 {
		t.Fatal("the prune ran to its end before the daemon stopped: nothing to test")
	}
	idle := filepath.Join(cfg, "idle.hcl")
	if err := os.WriteFile(idle, []byte(idlePolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run("prune", "-f", "--policy", idle); err != nil {
		t.Fatalf("the reconciling prune: %v", err)
	}
	checkJournalTellsTheTruth(t, filepath.Join(dir, store.JournalFile), before, after)
}
