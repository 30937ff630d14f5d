package commands

// The watcher as a container (contrib/container) and as a Swarm global
// service (contrib/swarm), run for real: built with the daemon's legacy
// builder from a static binary, run against the daemon's socket, with its
// policy mounted and its state on a volume.

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/moby/moby/client"
)

// buildImage builds the container image from contrib/container/Dockerfile
// on the daemon at host, as contrib/container/build.sh does.
func buildImage(t *testing.T, host, tag string) {
	t.Helper()
	bin, err := staticPlugin()
	if err != nil {
		t.Fatal(err)
	}
	ctxDir := t.TempDir()
	for src, dst := range map[string]string{bin: "docker-shaper", "../../contrib/container/Dockerfile": "Dockerfile"} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ctxDir, dst), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dockerCLI(t, host, "build", "-q", "-t", tag, ctxDir)
}

// dockerCLI runs the docker CLI against host and returns its output.
func dockerCLI(t *testing.T, host string, args ...string) string {
	t.Helper()
	cmd := exec.Command("docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host, "DOCKER_BUILDKIT=0", "DOCKER_CONFIG="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// stateFiles reads the files of the container's /state, by path.
func stateFiles(t *testing.T, host, container string) map[string]string {
	t.Helper()
	cmd := exec.Command("docker", "cp", container+":/state", "-")
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host, "DOCKER_CONFIG="+t.TempDir())
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("docker cp: %v\n%s", err, errOut.String())
	}
	files := map[string]string{}
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			data, _ := io.ReadAll(tr)
			files[h.Name] = string(data)
		}
	}
	return files
}

// daemonFile finds the file of the daemon's directory whose name ends
// with name.
func daemonFile(t *testing.T, files map[string]string, name string) string {
	t.Helper()
	for path, data := range files {
		if strings.Contains(path, "/shaper/daemons/") && strings.HasSuffix(path, "/"+name) {
			return data
		}
	}
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	t.Fatalf("no %s in the state volume: %v", name, paths)
	return ""
}

// The image runs watch against the mounted socket, enforces the mounted
// policy, keeps its state and journal on its volume, and stops cleanly.
func TestWatchAsAContainer(t *testing.T) {
	api := fixture.TestDaemon(t)
	host := api.DaemonHost()
	sock, ok := strings.CutPrefix(host, "unix://")
	if !ok {
		t.Fatalf("the test daemon is at %s: the container mounts its unix socket", host)
	}
	buildImage(t, host, "docker-shaper:test")
	if _, err := fixture.Load(context.Background(), api,
		fixture.Image{Refs: []string{"ctr-doomed:1"}}, fixture.Image{Refs: []string{"ctr-keep:1"}}); err != nil {
		t.Fatal(err)
	}
	policyDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(policyDir, "policy.hcl"), []byte(`image "doomed" { match = ["ctr-doomed:*"] }`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dockerCLI(t, host, "run", "-d", "--name", "shaper-watch", "--network", "none",
		"-v", sock+":/var/run/docker.sock",
		"-v", "shaper-state:/state",
		"-v", filepath.Join(policyDir, "policy.hcl")+":/etc/docker-shaper/policy.hcl:ro",
		"-e", "DOCKER_SHAPER_POLICY=/etc/docker-shaper/policy.hcl",
		"docker-shaper:test", "watch", "--interval", "1h")
	logs := func() string {
		cmd := exec.Command("docker", "logs", "shaper-watch")
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	waitFor(t, 60*time.Second, "the container to remove ctr-doomed:1", func() bool {
		_, err := api.ImageInspect(context.Background(), "ctr-doomed:1")
		return err != nil
	})
	if _, err := api.ImageInspect(context.Background(), "ctr-keep:1"); err != nil {
		t.Errorf("ctr-keep:1: %v\n%s", err, logs())
	}
	dockerCLI(t, host, "stop", "shaper-watch")
	res, err := api.ContainerInspect(context.Background(), "shaper-watch", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if code := res.Container.State.ExitCode; code != 0 {
		t.Errorf("the watcher exited %d on SIGTERM, want 0:\n%s", code, logs())
	}
	files := stateFiles(t, host, "shaper-watch")
	journal := daemonFile(t, files, "journal.jsonl")
	if !strings.Contains(journal, `"command":"watch","record":"outcome"`) || !strings.Contains(journal, `"ref":"ctr-doomed:1"`) ||
		!strings.Contains(journal, `"outcome":"removed"`) {
		t.Errorf("the journal on the volume does not record the removal:\n%s", journal)
	}
	if state := daemonFile(t, files, "state.json"); !strings.Contains(state, `"horizon"`) {
		t.Errorf("state.json on the volume:\n%s", state)
	}
	if !strings.Contains(logs(), "stopped") {
		t.Errorf("no clean stop in the logs:\n%s", logs())
	}
}

// The stack runs one watcher on the node (a global service), with the
// policy given as a Swarm config, and it enforces it.
func TestWatchAsASwarmGlobalService(t *testing.T) {
	d := startPrivateDaemon(t)
	host := "unix://" + filepath.Join(d.dir, "d.sock")
	buildImage(t, host, "docker-shaper:swarm")
	if _, err := fixture.Load(context.Background(), d.api,
		fixture.Image{Refs: []string{"sw-doomed:1"}}, fixture.Image{Refs: []string{"sw-keep:1"}}); err != nil {
		t.Fatal(err)
	}
	dockerCLI(t, host, "swarm", "init", "--advertise-addr", "127.0.0.1")
	t.Cleanup(func() { leaveSwarm(t, host, d) })
	policy := filepath.Join(t.TempDir(), "policy.hcl")
	if err := os.WriteFile(policy, []byte(`image "doomed" { match = ["sw-doomed:*"] }`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stack, err := filepath.Abs("../../contrib/swarm/docker-shaper.yml")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("docker", "stack", "deploy", "-c", stack, "shaper")
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host, "DOCKER_CONFIG="+t.TempDir(),
		"DOCKER_SHAPER_IMAGE=docker-shaper:swarm", "DOCKER_SHAPER_POLICY_FILE="+policy, "DOCKER_SHAPER_INTERVAL=1h",
		"DOCKER_SHAPER_SOCKET="+filepath.Join(d.dir, "d.sock"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker stack deploy: %v\n%s", err, out)
	}
	waitFor(t, 90*time.Second, "the global service to run on the node", func() bool {
		cmd := exec.Command("docker", "service", "ls", "--format", "{{.Mode}} {{.Replicas}}")
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
		out, _ := cmd.Output()
		return strings.TrimSpace(string(out)) == "global 1/1"
	})
	waitFor(t, 90*time.Second, "the service to remove sw-doomed:1", func() bool {
		_, err := d.api.ImageInspect(context.Background(), "sw-doomed:1")
		return err != nil
	})
	if _, err := d.api.ImageInspect(context.Background(), "sw-keep:1"); err != nil {
		t.Errorf("sw-keep:1: %v", err)
	}
}

// leaveSwarm takes the private daemon out of its swarm, and removes what
// swarm leaves behind on the machine (the docker_gwbridge link; its
// network namespace mounts go with the daemon's directory).
func leaveSwarm(t *testing.T, host string, d *privateDaemon) {
	cmd := exec.Command("docker", "stack", "rm", "shaper")
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
	_ = cmd.Run()
	cmd = exec.Command("docker", "swarm", "leave", "--force")
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("docker swarm leave: %v\n%s", err, out)
	}
	d.stop()
	_ = exec.Command("ip", "link", "delete", "docker_gwbridge").Run()
}
