package commands

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The plugin binaries some tests run (as the docker CLI does, or in a
// container image) are built once per test binary, in one directory that
// TestMain removes at the end.
var (
	buildDirMu sync.Mutex
	buildDir   string
)

func TestMain(m *testing.M) {
	code := m.Run()
	buildDirMu.Lock()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	buildDirMu.Unlock()
	os.Exit(code)
}

// buildPlugin builds the plugin as name in the tests' build directory,
// with env added to the go command's environment.
func buildPlugin(name string, env ...string) (string, error) {
	buildDirMu.Lock()
	if buildDir == "" {
		dir, err := os.MkdirTemp("", "shaper-commands-bin-")
		if err != nil {
			buildDirMu.Unlock()
			return "", err
		}
		buildDir = dir
	}
	bin := filepath.Join(buildDir, name)
	buildDirMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/docker-shaper")
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the plugin (%s): %v\n%s", name, err, out)
	}
	return bin, nil
}

// pluginBinary is the plugin as the docker CLI runs it.
var pluginBinary = sync.OnceValues(func() (string, error) { return buildPlugin("docker-shaper") })

// staticPlugin is the plugin without cgo, as the container image needs it
// on its empty base.
var staticPlugin = sync.OnceValues(func() (string, error) {
	return buildPlugin(filepath.Join("static", "docker-shaper"), "CGO_ENABLED=0")
})
