package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/moby/moby/client"
	"github.com/rogpeppe/go-internal/testscript"
)

// Commands the check_* scripts use besides plan, mkimage and mkimages. They
// join scriptCommands here so the scripts' helpers stay in one file.
func init() {
	registerCommands(map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"envfrom":    cmdEnvfrom,
		"cmpenvsort": cmdCmpenvsort,
		"planbytes":  cmdPlanbytes,
	})
}

// envfrom VAR FILE
//
// sets $VAR to the content of FILE (or stdout/stderr) without surrounding
// space: the way a script keeps a name the daemon chose (an anonymous
// volume's, an image ID docker build printed) for cmpenv.
func cmdEnvfrom(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: envfrom VAR FILE")
	}
	v := strings.TrimSpace(ts.ReadFile(args[1]))
	if v == "" || strings.ContainsAny(v, "\n") {
		ts.Fatalf("envfrom: %s holds %q, want one non-empty line", args[1], v)
	}
	ts.Setenv(args[0], v)
}

// cmpenvsort FILE WANT
//
// is cmpenv for lines whose order depends on names the daemon chose: it
// expands $VARs in WANT, sorts the lines of both, and compares them.
func cmdCmpenvsort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cmpenvsort FILE WANT")
	}
	sorted := func(s string) string {
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		sort.Strings(lines)
		return strings.Join(lines, "\n") + "\n"
	}
	got := sorted(ts.ReadFile(args[0]))
	want := sorted(os.Expand(ts.ReadFile(args[1]), ts.Getenv))
	if got != want {
		ts.Logf("sorted %s:\n%s\nsorted %s, expanded:\n%s", args[0], got, args[1], want)
		ts.Fatalf("%s and %s differ", args[0], args[1])
	}
}

// planbytes FILE
//
// prints one line per action of the plan in FILE (as `check --format json`
// prints it; plan checks the rest of the contract):
//
//	<kind> <action> <ref or name> <id or -> <bytes>
//
// sorted, so scripts can assert what an action frees (untagged images print
// their ref as <none>, actions without bytes print -).
func cmdPlanbytes(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: planbytes FILE")
	}
	var plan struct {
		Actions []struct {
			Kind   string `json:"kind"`
			Action string `json:"action"`
			Ref    string `json:"ref"`
			Name   string `json:"name"`
			ID     string `json:"id"`
			Bytes  *int64 `json:"bytes"`
		} `json:"actions"`
	}
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &plan); err != nil {
		ts.Fatalf("planbytes: %v", err)
	}
	var lines []string
	for _, a := range plan.Actions {
		what := a.Name
		if a.Kind == "image" {
			what = a.Ref
			if what == "" {
				what = "<none>"
			}
		}
		if what == "" {
			what = "-"
		}
		id := a.ID
		if id == "" || a.Kind != "image" {
			id = "-" // only image IDs are worth comparing; others are random
		}
		bytes := "-"
		if a.Bytes != nil {
			bytes = fmt.Sprint(*a.Bytes)
		}
		lines = append(lines, strings.Join([]string{a.Kind, a.Action, what, id, bytes}, " "))
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintln(ts.Stdout(), l)
	}
}

// canPause reports whether the test daemon can pause containers, for the
// [pause] condition: pausing needs the cgroup freezer, which some machines
// and rootless setups lack. It finds out once per test process by pausing a
// probe container, which it removes again with its image.
func canPause(cli *client.Client) (bool, error) {
	pauseProbe.once.Do(func() {
		pauseProbe.ok, pauseProbe.err = probePause(context.Background(), cli)
	})
	return pauseProbe.ok, pauseProbe.err
}

var pauseProbe struct {
	once sync.Once
	ok   bool
	err  error
}

func probePause(ctx context.Context, cli *client.Client) (ok bool, err error) {
	ids, err := fixture.Load(ctx, cli, fixture.Image{Runnable: true})
	if err != nil {
		return false, fmt.Errorf("pause probe: %w", err)
	}
	defer func() {
		if _, rerr := cli.ImageRemove(ctx, ids[0], client.ImageRemoveOptions{Force: true}); rerr != nil && err == nil {
			err = fmt.Errorf("pause probe: %w", rerr)
		}
	}()
	cids, err := fixture.CreateContainers(ctx, cli, fixture.Container{Image: ids[0], Cmd: []string{"sleep", "600"}, Detach: true})
	if err != nil {
		return false, fmt.Errorf("pause probe: %w", err)
	}
	defer func() {
		if _, rerr := cli.ContainerRemove(ctx, cids[0], client.ContainerRemoveOptions{Force: true}); rerr != nil && err == nil {
			err = fmt.Errorf("pause probe: %w", rerr)
		}
	}()
	if _, perr := cli.ContainerPause(ctx, cids[0], client.ContainerPauseOptions{}); perr != nil {
		return false, nil
	}
	return true, nil
}
