package commands

// check, prune and status over several docker contexts, against two
// private daemons of the test's own and a context whose daemon is not
// there; one daemon is stopped in the middle of a prune.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/config"
	cliflags "github.com/docker/cli/cli/flags"
	"github.com/moby/moby/client"
)

// fleetPolicy removes every unused user-defined network and every volume
// no container uses.
const fleetPolicy = `
network "unused" {
  names      = ["*"]
  older_than = "0s"
}
volume "unused" {
  names = ["*"]
}
`

// fleetEnv is two private daemons, a docker config directory with
// contexts for them, and a policy file.
type fleetEnv struct {
	t       *testing.T
	a, b    *privateDaemon
	dockCfg string // the docker CLI's, with the contexts
	cfg     string // docker-shaper's (per-daemon state and journals)
	policy  string
}

// newFleetEnv starts the daemons and creates the contexts, with the
// docker CLI itself: ci-1 and ci-1-again (both daemon a), ci-2 (daemon b), and gone (a socket
// nobody listens on).
func newFleetEnv(t *testing.T) *fleetEnv {
	e := &fleetEnv{t: t, dockCfg: t.TempDir(), cfg: t.TempDir()}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); e.a = startPrivateDaemon(t) }()
	go func() { defer wg.Done(); e.b = startPrivateDaemon(t) }()
	wg.Wait()
	if t.Failed() || e.a == nil || e.b == nil {
		t.FailNow()
	}
	for name, sock := range map[string]string{
		"ci-1": e.a.socket(), "ci-1-again": e.a.socket(), "ci-2": e.b.socket(),
		"gone": filepath.Join(t.TempDir(), "nobody.sock"),
	} {
		cmd := exec.Command("docker", "context", "create", name, "--docker", "host=unix://"+sock)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+e.dockCfg)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("docker context create %s: %v\n%s", name, err, out)
		}
	}
	e.policy = filepath.Join(e.cfg, "fleet.hcl")
	writeFile(t, e.policy, fleetPolicy)
	return e
}

// objects gives daemon d a network and a volume of each name.
func (e *fleetEnv) objects(d *privateDaemon, names ...string) {
	e.t.Helper()
	ctx := context.Background()
	for _, n := range names {
		if _, err := d.api.NetworkCreate(ctx, n, client.NetworkCreateOptions{}); err != nil {
			e.t.Fatal(err)
		}
		if _, err := d.api.VolumeCreate(ctx, client.VolumeCreateOptions{Name: n}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// networks lists daemon d's user-defined networks.
func (e *fleetEnv) networks(d *privateDaemon) []string {
	e.t.Helper()
	list, err := d.api.NetworkList(context.Background(), client.NetworkListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, n := range list.Items {
		switch n.Name {
		case "bridge", "host", "none":
		default:
			names = append(names, n.Name)
		}
	}
	return names
}

// run runs "docker shaper ARGS --policy FILE" through a docker CLI that
// reads the test's context store, with stdin (a terminal or not).
func (e *fleetEnv) run(stdin io.Reader, terminal bool, args ...string) (stdout, stderr string, err error) {
	e.t.Helper()
	out, errOut := new(syncBuffer), new(syncBuffer)
	dc, err := command.NewDockerCli(command.WithInputStream(io.NopCloser(stdin)),
		command.WithOutputStream(out), command.WithErrorStream(errOut))
	if err != nil {
		e.t.Fatal(err)
	}
	// The docker CLI keeps its configuration directory in a package
	// variable: set it for this run (tests that change it do not run in
	// parallel), and put it back.
	previous := config.Dir()
	defer config.SetDir(previous)
	if err := dc.Initialize(&cliflags.ClientOptions{ConfigDir: e.dockCfg}); err != nil {
		e.t.Fatal(err)
	}
	dc.In().SetIsTerminal(terminal)
	root := newRootCommand(deps{cli: dc, clock: clock.Seconds, configDir: func() string { return e.cfg }})
	root.SetArgs(append(args, "--policy", e.policy))
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// fleetCheckDoc is the part of check's fleet document the tests read.
type fleetCheckDoc struct {
	Version int    `json:"version"`
	Policy  string `json:"policy"`
	Hosts   []struct {
		Context  string   `json:"context"`
		Contexts []string `json:"contexts"`
		Endpoint string   `json:"endpoint"`
		Error    string   `json:"error"`
		Plan     *struct {
			Daemon struct {
				ID      string `json:"id"`
				Context string `json:"context"`
			} `json:"daemon"`
			Actions []struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"actions"`
		} `json:"plan"`
	} `json:"hosts"`
	Summary struct {
		Hosts       int `json:"hosts"`
		Planned     int `json:"planned"`
		FailedHosts int `json:"failed_hosts"`
		Actions     int `json:"actions"`
	} `json:"summary"`
}

func TestFleetCheck(t *testing.T) {
	e := newFleetEnv(t)
	e.objects(e.a, "a-1", "a-2")
	e.objects(e.b, "b-1")

	stdout, stderr, err := e.run(strings.NewReader(""), false,
		"check", "--contexts", "ci-1,ci-1-again,ci-2,gone,ci-1", "--format", "json")
	if err == nil || !strings.Contains(err.Error(), "1 of 3 hosts could not be planned (gone)") {
		t.Errorf("error = %v, want one host of three not planned", err)
	}
	if !strings.Contains(stderr, `cannot reach the Docker daemon (docker context "gone")`) {
		t.Errorf("stderr does not say why gone failed:\n%s", stderr)
	}
	var doc fleetCheckDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("check --format json: %v\n%s", err, stdout)
	}
	if len(doc.Hosts) != 3 {
		t.Fatalf("hosts = %d, want 3 (ci-1 and ci-1-again are one daemon, ci-1 is named twice)\n%s", len(doc.Hosts), stdout)
	}
	want := []struct {
		context  string
		contexts string
		actions  int
	}{{"ci-1", "ci-1,ci-1-again", 4}, {"ci-2", "ci-2", 2}, {"gone", "gone", -1}}
	for i, w := range want {
		h := doc.Hosts[i]
		if h.Context != w.context || strings.Join(h.Contexts, ",") != w.contexts {
			t.Errorf("host %d = %s %v, want %s [%s]", i, h.Context, h.Contexts, w.context, w.contexts)
		}
		switch {
		case w.actions < 0 && (h.Plan != nil || h.Error == ""):
			t.Errorf("host %s: want an error and no plan, got plan %v, error %q", h.Context, h.Plan != nil, h.Error)
		case w.actions >= 0 && (h.Plan == nil || len(h.Plan.Actions) != w.actions):
			t.Errorf("host %s: want a plan of %d actions, got %+v (error %q)", h.Context, w.actions, h.Plan, h.Error)
		case w.actions >= 0 && h.Plan.Daemon.Context != w.context:
			t.Errorf("host %s: plan made through context %q", h.Context, h.Plan.Daemon.Context)
		}
	}
	if s := doc.Summary; s.Hosts != 3 || s.Planned != 2 || s.FailedHosts != 1 || s.Actions != 6 {
		t.Errorf("summary = %+v, want 3 hosts, 2 planned, 1 failed, 6 actions", s)
	}
	// The tables: one per host under its header, then the fleet's line.
	stdout, _, _ = e.run(strings.NewReader(""), false, "check", "--contexts", "ci-1,ci-1-again,ci-2,gone")
	for _, want := range []string{
		"HOST ci-1: docker ", "(also context ci-1-again)", "HOST ci-2: docker ",
		"FLEET\n2 hosts planned, 1 failed (gone): 6 actions, 0B reclaimable\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("check's tables lack %q:\n%s", want, stdout)
		}
	}

	// Every context, the default one (the shared test daemon, or none)
	// included.
	stdout, _, _ = e.run(strings.NewReader(""), false, "check", "--all-contexts", "--format", "json")
	doc = fleetCheckDoc{}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("check --all-contexts: %v\n%s", err, stdout)
	}
	var names []string
	for _, h := range doc.Hosts {
		names = append(names, strings.Join(h.Contexts, "+"))
	}
	if got := strings.Join(names, " "); !strings.Contains(got, "ci-1+ci-1-again") || !strings.Contains(got, "ci-2") || !strings.Contains(got, "gone") {
		t.Errorf("--all-contexts planned %q, want ci-1+ci-1-again, ci-2 and gone among them", got)
	}

	// A context nobody created is an error before any daemon is asked.
	_, _, err = e.run(strings.NewReader(""), false, "check", "--contexts", "ci-1,nope")
	if err == nil || !strings.Contains(err.Error(), `no docker context named "nope"`) {
		t.Errorf("an unknown context: error = %v", err)
	}
	if got := e.networks(e.a); len(got) != 2 {
		t.Errorf("check removed something: networks on a = %v", got)
	}
}

func TestFleetPruneAsksOnceAndGoesOnWhenAHostStops(t *testing.T) {
	e := newFleetEnv(t)
	e.objects(e.a, "a-1", "a-2")
	e.objects(e.b, "b-1")

	// Without a terminal and without -f, nothing goes anywhere.
	_, _, err := e.run(strings.NewReader("y\n"), false, "prune", "--contexts", "ci-1,ci-2")
	if err == nil || !strings.Contains(err.Error(), "refusing to remove 6 objects on 2 hosts without confirmation") {
		t.Errorf("prune without a terminal: error = %v", err)
	}
	if got := e.networks(e.a); len(got) != 2 {
		t.Fatalf("prune without confirmation removed networks on a: left %v", got)
	}

	// Answered "n": nothing goes either.
	_, stderr, err := e.run(strings.NewReader("n\n"), true, "prune", "--contexts", "ci-1,ci-2,gone")
	if err == nil || !strings.Contains(err.Error(), "nothing was removed on any host") {
		t.Errorf("prune answered n: error = %v", err)
	}
	for _, want := range []string{"  ci-1: 4 objects, 0B\n", "  ci-2: 2 objects, 0B\n", "  gone: not planned (see above)\n",
		"Remove 6 objects on 2 hosts, reclaiming 0B? [y/N] "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the question lacks %q:\n%s", want, stderr)
		}
	}
	if got := e.networks(e.b); len(got) != 1 {
		t.Fatalf("prune answered n removed networks on b: left %v", got)
	}

	// Answered "y", and daemon b stops while the question is asked: a is
	// pruned, b's removals fail and are reported, and the exit status
	// says so.
	stdin := &stopOnRead{answer: "y\n", stop: e.b.stop}
	stdout, stderr, err := e.run(stdin, true, "prune", "--contexts", "ci-1,ci-2")
	if err == nil || !strings.Contains(err.Error(), "1 removal of 6 failed") {
		t.Errorf("prune with b stopped: error = %v, want b's failed removal counted\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	if got := e.networks(e.a); len(got) != 0 {
		t.Errorf("networks left on a: %v", got)
	}
	for _, want := range []string{"ci-1: [", "ci-2: ["} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks lines of %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "HOST ci-1: docker ") || !strings.Contains(stdout, "\nFLEET\nRemoved 4 objects and 0 tags on ") {
		t.Errorf("the outcome lacks host a's results or the fleet's line:\n%s", stdout)
	}
	// The journals (one per daemon) hold a's four removals, and none of
	// b's.
	journals, _ := filepath.Glob(filepath.Join(e.cfg, "shaper", "daemons", "*", store.JournalFile))
	removed := 0
	for _, j := range journals {
		data, err := os.ReadFile(j)
		if err != nil {
			t.Fatal(err)
		}
		removed += bytes.Count(data, []byte(`"outcome":"removed"`))
	}
	if removed != 4 {
		t.Errorf("the journals %v record %d removals, want a's 4", journals, removed)
	}
}

// stopOnRead answers the question, after stopping a daemon: the first
// read comes when the plans are made and the question asked.
type stopOnRead struct {
	answer string
	stop   func()
	once   sync.Once
	r      io.Reader
}

func (s *stopOnRead) Read(p []byte) (int, error) {
	s.once.Do(func() {
		s.stop()
		s.r = strings.NewReader(s.answer)
	})
	return s.r.Read(p)
}
