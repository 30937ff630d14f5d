package plugin

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/log"
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

// testCli is a docker CLI writing to buffers, with no daemon.
func testCli(t *testing.T) (cli command.Cli, out, errOut *bytes.Buffer) {
	t.Helper()
	out, errOut = new(bytes.Buffer), new(bytes.Buffer)
	dc, err := command.NewDockerCli(command.WithOutputStream(out), command.WithErrorStream(errOut))
	if err != nil {
		t.Fatal(err)
	}
	return noClientCli{dc, t}, out, errOut
}

func TestRootCommandHasSubcommands(t *testing.T) {
	cli, _, _ := testCli(t)
	root := NewRootCommand(cli)
	if root.Name() != "shaper" {
		t.Errorf("Name() = %q, want shaper", root.Name())
	}
	for _, name := range []string{"check", "validate"} {
		if c, _, err := root.Find([]string{name}); err != nil || c.Name() != name {
			t.Errorf("no %s command: %v", name, err)
		}
	}
}

func TestNewLogger(t *testing.T) {
	tests := []struct {
		level string
		debug bool
		want  log.Level
	}{
		{"", false, log.InfoLevel},
		{"", true, log.DebugLevel},
		{"warn", true, log.WarnLevel}, // the flag wins over docker -D
		{"error", false, log.ErrorLevel},
		{"debug", false, log.DebugLevel},
	}
	for _, tt := range tests {
		l, err := newLogger(&bytes.Buffer{}, tt.level, tt.debug)
		if err != nil {
			t.Errorf("newLogger(%q, %v): %v", tt.level, tt.debug, err)
			continue
		}
		if l.GetLevel() != tt.want {
			t.Errorf("newLogger(%q, %v) level = %v, want %v", tt.level, tt.debug, l.GetLevel(), tt.want)
		}
	}
	if _, err := newLogger(&bytes.Buffer{}, "fatal", false); err == nil {
		t.Error(`newLogger("fatal"): want an error`)
	}
}

func TestLoggerThroughContext(t *testing.T) {
	if loggerFrom(context.Background()) == nil {
		t.Fatal("no logger without one in the context")
	}
	var buf bytes.Buffer
	l := log.New(&buf)
	loggerFrom(withLogger(context.Background(), l)).Info("hello")
	if !strings.Contains(buf.String(), "hello") {
		t.Errorf("the context's logger was not used: %q", buf.String())
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.hcl")
	writeFile(t, good, "image \"hub\" {\n  match = [\"docker.io/library/nginx:*\"]\n  keep = 1\n}\ncontainer \"done\" {\n  status = [\"exited\"]\n}\n")
	bad := filepath.Join(dir, "bad.hcl")
	writeFile(t, bad, "container \"done\" {\n  status = [\"exited\"]\n  older_than = \"3 months\"\n}\n")

	cli, out, errOut := testCli(t)
	if err := runValidate(context.Background(), cli, validateOptions{file: good}); err != nil {
		t.Fatalf("validate good.hcl: %v\n%s", err, errOut)
	}
	if want := "OK: " + good + " (2 rules)\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out.String(), want)
	}
	if !strings.Contains(errOut.String(), "Warning: Pattern normalised") {
		t.Errorf("the warning was not rendered to stderr: %q", errOut.String())
	}

	cli, out, errOut = testCli(t)
	err := runValidate(context.Background(), cli, validateOptions{file: bad})
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
