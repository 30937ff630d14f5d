package commands

// The watcher across a daemon restart. The shared test daemon must never
// be restarted (other packages' tests use it), so this test starts a
// private dockerd of its own, the way scripts/test.sh starts the shared one,
// and stops it at the end.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/docker/cli/cli/command"
	"github.com/moby/moby/client"
)

// privateDaemon is a dockerd a test starts and stops.
type privateDaemon struct {
	t   testing.TB
	dir string
	cmd *exec.Cmd
	api *client.Client
	// bridges are the network interfaces of the networks the daemon had
	// when it was stopped: dockerd leaves them on the host, where they
	// would hold address pools every later daemon on the machine needs.
	bridges []string
}

// startPrivateDaemon starts a dockerd in a fresh directory, or skips the
// test when this machine cannot (not root, no dockerd), unless tests must
// have a daemon (fixture.Required). It is stopped and removed when the test
// ends.
func startPrivateDaemon(t testing.TB) *privateDaemon {
	t.Helper()
	bin, err := exec.LookPath("dockerd")
	if err != nil {
		for _, p := range []string{"/usr/local/sbin/dockerd", "/usr/sbin/dockerd", "/usr/bin/dockerd"} {
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
				break
			}
		}
	}
	switch {
	case err != nil && fixture.Required():
		t.Fatalf("dockerd is missing: %v", err)
	case err != nil:
		t.Skipf("no dockerd to start a private daemon: %v", err)
	case os.Geteuid() != 0 && fixture.Required():
		t.Fatal("starting a private dockerd needs root")
	case os.Geteuid() != 0:
		t.Skip("starting a private dockerd needs root")
	}
	// A short path: a unix socket's must stay under about 100 bytes.
	dir, err := os.MkdirTemp("/tmp", "shw-")
	if err != nil {
		t.Fatal(err)
	}
	d := &privateDaemon{t: t, dir: dir}
	t.Cleanup(d.remove)
	api, err := client.New(client.WithHost("unix://" + d.socket()))
	if err != nil {
		t.Fatal(err)
	}
	d.api = api
	d.start(bin)
	return d
}

// socket is the daemon's unix socket.
func (d *privateDaemon) socket() string { return filepath.Join(d.dir, "d.sock") }

func (d *privateDaemon) start(bin string) {
	d.t.Helper()
	logf, err := os.OpenFile(filepath.Join(d.dir, "dockerd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		d.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin,
		"--host", "unix://"+filepath.Join(d.dir, "d.sock"),
		"--data-root", filepath.Join(d.dir, "root"),
		"--exec-root", filepath.Join(d.dir, "exec"),
		"--pidfile", filepath.Join(d.dir, "d.pid"),
		"--iptables=false", "--bridge=none",
		"--label", fixture.TestLabel)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.cmd = cmd
	waitFor(d.t, 60*time.Second, "the private dockerd to answer", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := d.api.Ping(ctx, client.PingOptions{})
		return err == nil
	})
}

// stop stops the daemon as scripts/test.sh does: SIGTERM, then SIGKILL
// after 20 seconds.
func (d *privateDaemon) stop() {
	if d.cmd == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if list, err := d.api.NetworkList(ctx, client.NetworkListOptions{}); err == nil {
		for _, n := range list.Items {
			if n.Driver == "bridge" && len(n.ID) >= 12 {
				d.bridges = append(d.bridges, "br-"+n.ID[:12])
			}
		}
	}
	cancel()
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		d.t.Logf("the private dockerd did not stop within 20s: killing it")
		_ = d.cmd.Process.Kill()
		<-done
	}
	d.cmd = nil
	// Its containerd, should it have outlived the daemon.
	if data, err := os.ReadFile(filepath.Join(d.dir, "exec", "containerd", "containerd.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && syscall.Kill(pid, 0) == nil {
			_ = syscall.Kill(pid, syscall.SIGTERM)
			time.Sleep(2 * time.Second)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// remove stops the daemon, unmounts whatever it left mounted, and removes
// its directory.
func (d *privateDaemon) remove() {
	d.stop()
	d.api.Close()
	if data, err := os.ReadFile("/proc/mounts"); err == nil {
		var mounts []string
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[1], d.dir+"/") {
				mounts = append(mounts, f[1])
			}
		}
		sort.Sort(sort.Reverse(sort.StringSlice(mounts))) // deepest first
		for _, m := range mounts {
			if err := syscall.Unmount(m, 0); err != nil {
				_ = syscall.Unmount(m, syscall.MNT_DETACH)
			}
		}
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		ip = "/usr/sbin/ip"
	}
	for _, br := range d.bridges {
		// Gone already when the test removed the network.
		_ = exec.Command(ip, "link", "delete", br).Run()
	}
	if d.t.Failed() {
		if data, err := os.ReadFile(filepath.Join(d.dir, "dockerd.log")); err == nil {
			d.t.Logf("the private dockerd's log (end):\n%s", lastLines(string(data), 30))
		}
	}
	if err := os.RemoveAll(d.dir); err != nil {
		d.t.Errorf("removing the private daemon's directory: %v", err)
	}
}

func TestWatchSurvivesADaemonRestart(t *testing.T) {
	d := startPrivateDaemon(t)
	bin := d.cmd.Path
	cfg := t.TempDir()
	policyFile := filepath.Join(cfg, "policy.hcl")
	if err := os.WriteFile(policyFile, []byte("image \"doomed\" {\n  match = [\"doomed:*\"]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dc, err := command.NewDockerCli(command.WithOutputStream(new(syncBuffer)), command.WithErrorStream(new(syncBuffer)))
	if err != nil {
		t.Fatal(err)
	}
	cli := deps{cli: daemonCli{DockerCli: dc, api: d.api}, clock: clock.Seconds, configDir: func() string { return cfg }}
	ids, err := fixture.Load(context.Background(), d.api, fixture.Image{Refs: []string{"kept:1"}})
	if err != nil {
		t.Fatal(err)
	}

	dir := testDaemonDir(t, d.api, cfg)
	w := startWatcher(t, cli, watchOptions{policy: policyFlag{path: policyFile, set: true}, interval: durationValue(2 * time.Second), noInitial: true})
	w.waitLog("following the daemon's events", 1, 30*time.Second)
	recordOf(t, dir, ids[0], nil)

	d.stop()
	w.waitLog("daemon unreachable, retrying in", 2, 30*time.Second)
	// An interval passes while the daemon is away: the enforcement waits
	// for it.
	w.waitLog("daemon unreachable: enforcing as soon as it is back", 1, 30*time.Second)
	horizon := stateOf(t, dir).Horizon

	d.start(bin)
	w.waitLog("daemon reachable again: following its events", 1, 60*time.Second)
	doomed, err := fixture.Load(context.Background(), d.api, fixture.Image{Refs: []string{"doomed:1"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := recordOf(t, dir, doomed[0], nil)
	if !rec.FirstSeen.After(horizon) {
		t.Errorf("doomed:1 first seen %v, not after the horizon %v: its load event was missed", rec.FirstSeen, horizon)
	}
	waitFor(t, 30*time.Second, "the watcher to remove doomed:1", func() bool { return !imageExists(t, d.api, "doomed:1") })
	if !imageExists(t, d.api, "kept:1") {
		t.Error("kept:1 was removed")
	}
	waitFor(t, 20*time.Second, "doomed:1 to leave the state", func() bool {
		_, ok := stateOf(t, dir).Images[doomed[0]]
		return !ok
	})
	if err := w.stop(); err != nil {
		t.Fatal(err)
	}
	if rec := stateOf(t, dir).Images[ids[0]]; rec == nil {
		t.Error("kept:1 lost from the state across the restart")
	}
}
