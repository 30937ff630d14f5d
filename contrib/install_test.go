package contrib_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// installEnv runs ../install.sh with a home and a docker config of the
// test's own, and fake systemctl and launchctl that log their arguments:
// the test must not touch the user's real services.
type installEnv struct {
	t                    *testing.T
	home, config, called string
	env                  []string
}

func newInstallEnv(t *testing.T) *installEnv {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go on PATH")
	}
	tmp := t.TempDir()
	e := &installEnv{t: t, home: filepath.Join(tmp, "home"), config: filepath.Join(tmp, "docker"), called: filepath.Join(tmp, "called")}
	bin := filepath.Join(tmp, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"systemctl", "launchctl"} {
		script := "#!/bin/sh\necho " + name + " \"$@\" >>'" + e.called + "'\n"
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Go's caches stay where they are: a home of its own would build
	// everything again, and fetch modules from the network.
	goenv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	vals := strings.Split(strings.TrimSpace(string(goenv)), "\n")
	e.env = append(os.Environ(),
		"HOME="+e.home, "DOCKER_CONFIG="+e.config, "XDG_CONFIG_HOME=",
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GOCACHE="+vals[0], "GOMODCACHE="+vals[1], "GOPATH="+vals[2])
	return e
}

// run runs install.sh with args, and returns its output (stdout and
// stderr) and exit code.
func (e *installEnv) run(args ...string) (string, int) {
	e.t.Helper()
	cmd := exec.Command("sh", append([]string{"../install.sh"}, args...)...)
	cmd.Env = e.env
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			e.t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	return string(out), code
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func TestInstallScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin")
	}
	if runtime.GOOS == "windows" {
		t.Skip("install.sh is a POSIX shell script")
	}
	e := newInstallEnv(t)

	// --help is the usage, not the script's source.
	out, code := e.run("--help")
	if code != 0 || !strings.HasPrefix(out, "Usage: ./install.sh") {
		t.Fatalf("--help: exit %d, %q", code, out)
	}
	for _, want := range []string{"--service", "--uninstall", "--purge"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help does not mention %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "set -eu") || strings.Contains(out, "#") {
		t.Errorf("--help prints the script:\n%s", out)
	}
	if out, code := e.run("--bogus"); code != 2 || !strings.Contains(out, "unknown option: --bogus") {
		t.Errorf("--bogus: exit %d, %q; want 2 and the option named", code, out)
	}
	if out, code := e.run("--purge"); code != 2 {
		t.Errorf("--purge alone: exit %d, %q; want 2", code, out)
	}

	// Install, with the service where this system has one install.sh knows.
	plugin := filepath.Join(e.config, "cli-plugins", "docker-shaper")
	var service string
	switch runtime.GOOS {
	case "linux":
		service = filepath.Join(e.home, ".config", "systemd", "user", "docker-shaper-watch.service")
	case "darwin":
		service = filepath.Join(e.home, "Library", "LaunchAgents", "io.docker-shaper.watch.plist")
	}
	args := []string{}
	if service != "" {
		args = append(args, "--service")
	}
	out, code = e.run(args...)
	if code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "installed "+plugin) {
		t.Errorf("install does not say where the plugin went:\n%s", out)
	}
	meta, err := exec.Command(plugin, "docker-cli-plugin-metadata").Output()
	if err != nil || !strings.Contains(string(meta), `"SchemaVersion"`) {
		t.Fatalf("the installed plugin: %v, %s", err, meta)
	}
	if service != "" && !exists(service) {
		t.Fatalf("no service at %s:\n%s", service, out)
	}
	// A policy and a daemon's files, as a user would have them.
	policy := filepath.Join(e.config, "shaper", "policy.hcl")
	if err := os.MkdirAll(filepath.Dir(policy), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(policy, []byte("image \"x\" { match = [\"x:*\"] }\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// Uninstall: the service (stopped first), the plugin; the policy stays.
	out, code = e.run("--uninstall")
	if code != 0 {
		t.Fatalf("--uninstall: exit %d\n%s", code, out)
	}
	if exists(plugin) || (service != "" && exists(service)) {
		t.Errorf("--uninstall left the plugin or the service:\n%s", out)
	}
	for _, want := range []string{"removed " + plugin, "kept " + filepath.Join(e.config, "shaper")} {
		if !strings.Contains(out, want) {
			t.Errorf("--uninstall does not say %q:\n%s", want, out)
		}
	}
	if service != "" && !strings.Contains(out, "removed "+service) {
		t.Errorf("--uninstall does not say it removed the service:\n%s", out)
	}
	if !exists(policy) {
		t.Errorf("--uninstall removed the policy")
	}
	called, _ := os.ReadFile(e.called)
	switch runtime.GOOS {
	case "linux":
		if !strings.Contains(string(called), "systemctl --user disable --now docker-shaper-watch.service") {
			t.Errorf("the unit was not stopped first; calls:\n%s", called)
		}
	case "darwin":
		if !strings.Contains(string(called), "launchctl bootout gui/") {
			t.Errorf("the agent was not stopped first; calls:\n%s", called)
		}
	}

	// Again: nothing left but the policy; --purge removes it.
	if out, _ := e.run("--uninstall"); !strings.Contains(out, "nothing to remove") {
		t.Errorf("a second --uninstall:\n%s", out)
	}
	out, code = e.run("--uninstall", "--purge")
	if code != 0 || exists(filepath.Dir(policy)) || !strings.Contains(out, "removed "+filepath.Join(e.config, "shaper")) {
		t.Errorf("--uninstall --purge: exit %d, the policy's directory there: %v\n%s", code, exists(filepath.Dir(policy)), out)
	}
}
