package main

// CLI end-to-end tests: testdata/script/*.txtar, run by testscript against
// the real binary, installed as a Docker CLI plugin and driven through the
// real docker CLI. Scripts that need a daemon use the throwaway one
// scripts/test.sh starts; they run one at a time, each on a wiped daemon, so
// their assertions on whole plans are exact.
//
// Run them all with ./scripts/test.sh. Without a daemon (and without
// SHAPER_TEST_DAEMON=1 or CI), `go test` still runs the scripts that need
// none and skips the rest. -update rewrites the expected files in the
// scripts from what the commands printed; -v -scriptlog prints every
// script's log, not only failing ones'.

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/moby/moby/client"
	"github.com/rogpeppe/go-internal/testscript"
)

// scriptNow is $NOW in scripts: the fixed time they pass as --now, and
// from which mkimage -age dates images. shiftedNow is $NOW in the second
// pass, TestScriptShiftedNow: years away from any day the suite runs on.
const (
	scriptNow  = "2026-11-22T12:00:00Z"
	shiftedNow = "2031-06-15T12:00:00Z"
)

var (
	update    = flag.Bool("update", false, "rewrite the scripts' expected files from actual output")
	scriptLog = flag.Bool("scriptlog", false, "with -v, print the log of passing scripts too (failing ones always print theirs)")
)

// pluginBin is the docker-shaper binary TestMain builds.
var pluginBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	flag.Parse()
	dir, err := os.MkdirTemp("", "shaper-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	pluginBin = filepath.Join(dir, "docker-shaper")
	build := exec.Command(goTool(), "build", "-ldflags", "-X main.version=test", "-o", pluginBin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building docker-shaper: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// goTool is the go command that runs the tests (it is on PATH for the
// test command, scripts/test.sh).
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

// registerCommands adds script commands to scriptCommands, once each.
func registerCommands(cmds map[string]func(ts *testscript.TestScript, neg bool, args []string)) {
	for name, f := range cmds {
		if _, dup := scriptCommands[name]; dup {
			panic("script command " + name + " is defined twice")
		}
		scriptCommands[name] = f
	}
}

// daemonKey is where Setup leaves the test daemon's client for commands.
type daemonKey struct{}

func TestScript(t *testing.T) { runScripts(t, scriptNow) }

// TestScriptShiftedNow runs every script again with $NOW years from today.
// A script's outcome must not depend on how far the real clock is from
// $NOW: one that dates fixtures from $NOW but judges them by the real clock
// (a relative --now, prune) passes on the day it is written and fails some
// days later. Here it fails at once.
func TestScriptShiftedNow(t *testing.T) { runScripts(t, shiftedNow) }

func runScripts(t *testing.T, now string) {
	cli := scriptDaemon(t)
	p := testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *update,
		Setup: func(env *testscript.Env) error {
			return setupScript(env, cli, now)
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "daemon":
				return cli != nil, nil
			case "pause": // the daemon can pause containers (check_cmds_test.go)
				if cli == nil {
					return false, nil
				}
				return canPause(cli)
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: scriptCommands,
	}
	if deadline, ok := t.Deadline(); ok {
		p.Deadline = deadline
	}
	// Work directories go in the test's temporary directory, which testing
	// removes even when only some scripts run (-run) or some fail; with
	// testscript's -testwork they stay where it puts them.
	if f := flag.Lookup("testwork"); f == nil || f.Value.String() != "true" {
		p.WorkdirRoot = t.TempDir()
	}
	testscript.RunT(serialT{t}, p)
}

// scriptDaemon returns the test daemon, locked for the whole test, or nil
// when there is none and none is required.
func scriptDaemon(t *testing.T) *client.Client {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli, err := fixture.Connect(ctx)
	if err != nil {
		if fixture.Required() {
			t.Fatalf("no Docker daemon: %v\n(SHAPER_TEST_DAEMON=1 or CI is set, so the daemon-backed scripts must run: %s)", err, fixture.NoDaemonHint)
		}
		t.Logf("no Docker daemon (%v): scripts marked [!daemon] skip are skipped; %s", err, fixture.NoDaemonHint)
		return nil
	}
	t.Cleanup(func() { cli.Close() })
	if err := fixture.CheckTestDaemon(ctx, cli); err != nil {
		t.Fatal(err)
	}
	unlock, err := fixture.Lock(cli)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unlock)
	t.Cleanup(func() {
		if err := fixture.Wipe(context.Background(), cli); err != nil {
			t.Errorf("wiping the test daemon: %v", err)
		}
	})
	return cli
}

// setupScript gives each script its environment:
//
//	NOW            the fixed time to pass as --now (see scriptNow and
//	               TestScriptShiftedNow)
//	DOCKER_CONFIG  $WORK/.docker, with cli-plugins/docker-shaper installed
//	HOME           $WORK/home
//	PATH           the built docker-shaper first
//	DOCKER_HOST    (and TLS settings) passed through from the test's environment
//
// and, with a daemon, wipes it.
func setupScript(env *testscript.Env, cli *client.Client, now string) error {
	env.Setenv("NOW", now)
	home := filepath.Join(env.WorkDir, "home")
	dockerConfig := filepath.Join(env.WorkDir, ".docker")
	plugins := filepath.Join(dockerConfig, "cli-plugins")
	for _, d := range []string{home, plugins} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.Symlink(pluginBin, filepath.Join(plugins, "docker-shaper")); err != nil {
		return err
	}
	env.Setenv("HOME", home)
	env.Setenv("DOCKER_CONFIG", dockerConfig)
	env.Setenv("PATH", filepath.Dir(pluginBin)+string(os.PathListSeparator)+env.Getenv("PATH"))
	for _, name := range []string{"DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_API_VERSION"} {
		if v, ok := os.LookupEnv(name); ok {
			env.Setenv(name, v)
		}
	}
	if cli == nil {
		return nil
	}
	env.Values[daemonKey{}] = cli
	if err := fixture.Wipe(context.Background(), cli); err != nil {
		return fmt.Errorf("wiping the test daemon: %w", err)
	}
	return nil
}

// serialT runs scripts one after another: they share one daemon.
type serialT struct{ *testing.T }

func (serialT) Parallel() {}

func (t serialT) Run(name string, f func(testscript.T)) {
	t.T.Run(name, func(t *testing.T) { f(serialT{t}) })
}

// Verbose makes testscript print the logs of passing scripts: only with
// -scriptlog, so `go test -v` lists each script's PASS line without pages
// of plans.
func (serialT) Verbose() bool { return testing.Verbose() && *scriptLog }
