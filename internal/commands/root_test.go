package commands

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker/cli/cli/command"
	"github.com/moby/moby/client"
)

// noClientCli is a docker CLI that fails the test if a command asks it for
// an API client.
type noClientCli struct {
	*command.DockerCli
	t *testing.T
}

func (c noClientCli) Client() client.APIClient {
	c.t.Error("the command asked for an API client")
	return nil
}

// testCli is the commands' dependencies with a docker CLI writing to
// buffers and no daemon, a fixed clock, and a config directory of the
// test's own.
func testCli(t *testing.T) (d deps, out, errOut *bytes.Buffer) {
	t.Helper()
	out, errOut = new(bytes.Buffer), new(bytes.Buffer)
	dc, err := command.NewDockerCli(command.WithOutputStream(out), command.WithErrorStream(errOut))
	if err != nil {
		t.Fatal(err)
	}
	cfg := t.TempDir()
	return deps{cli: noClientCli{dc, t}, clock: clock.Fixed(testNow), configDir: func() string { return cfg }}, out, errOut
}

var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func TestRootCommandHasSubcommands(t *testing.T) {
	t.Parallel()
	cli, _, _ := testCli(t)
	root := newRootCommand(cli)
	if root.Name() != "shaper" {
		t.Errorf("Name() = %q, want shaper", root.Name())
	}
	for _, name := range []string{"check", "validate", "fmt", "schema"} {
		if c, _, err := root.Find([]string{name}); err != nil || c.Name() != name {
			t.Errorf("no %s command: %v", name, err)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.hcl")
	writeFile(t, good, "image \"hub\" {\n  match = [\"docker.io/library/nginx:*\"]\n  keep = 1\n}\ncontainer \"done\" {\n  status = [\"exited\"]\n}\n")
	bad := filepath.Join(dir, "bad.hcl")
	writeFile(t, bad, "container \"done\" {\n  status = [\"exited\"]\n  older_than = \"3 months\"\n}\n")

	cli, out, errOut := testCli(t)
	if err := runValidate(context.Background(), cli, validateOptions{policy: policyFlag{path: good, set: true}}); err != nil {
		t.Fatalf("validate good.hcl: %v\n%s", err, errOut)
	}
	if want := "OK: " + good + " (2 rules)\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out.String(), want)
	}
	if !strings.Contains(errOut.String(), "Warning: Pattern normalised") {
		t.Errorf("the warning was not rendered to stderr: %q", errOut.String())
	}

	cli, out, errOut = testCli(t)
	err := runValidate(context.Background(), cli, validateOptions{policy: policyFlag{path: bad, set: true}})
	if err == nil || out.Len() != 0 {
		t.Errorf("validate bad.hcl: err %v, stdout %q; want an error and nothing on stdout", err, out.String())
	}
	if !strings.Contains(errOut.String(), "bad.hcl line 3") {
		t.Errorf("stderr lacks the error's place: %q", errOut.String())
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
