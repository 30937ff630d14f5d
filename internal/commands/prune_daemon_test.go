package commands

// Tests of prune and applyPlan against the real test daemon (see
// internal/fixture.TestDaemon: they skip without one, and fail without one
// under scripts/test.sh or CI).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli/command"
	"github.com/moby/moby/client"
)

// daemonCli is a docker CLI on the test daemon, with buffers for streams
// and the "default" context.
type daemonCli struct {
	*command.DockerCli
	api client.APIClient
	// context is the docker context's name; "" is "default".
	context string
}

func (c daemonCli) Client() client.APIClient { return c.api }

func (c daemonCli) CurrentContext() string {
	if c.context == "" {
		return "default"
	}
	return c.context
}

// pruneEnv is a test daemon, a docker config directory of the test's own
// and a policy file.
type pruneEnv struct {
	t      testing.TB
	api    *client.Client
	cfg    string
	policy string
	// context names the docker context commands run through.
	context string
	// daemonDir caches dir.
	daemonDir string
	// policyText is the policy file's content.
	policyText string
}

// policySource replaces the policy file's content.
func (e *pruneEnv) policySource(src string) {
	e.t.Helper()
	if err := os.WriteFile(e.policy, []byte(src), 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.policyText = src
}

func newPruneEnv(t testing.TB, policySrc string) *pruneEnv {
	t.Helper()
	api := fixture.TestDaemon(t)
	cfg := t.TempDir()
	path := filepath.Join(cfg, "policy.hcl")
	if err := os.WriteFile(path, []byte(policySrc), 0o644); err != nil {
		t.Fatal(err)
	}
	return &pruneEnv{t: t, api: api, cfg: cfg, policy: path}
}

// cli returns the commands' dependencies: a docker CLI reading stdin
// (terminal says whether stdin claims to be a terminal), the real clock,
// and the test's own config directory.
func (e *pruneEnv) cli(stdin string, terminal bool) (deps, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := new(bytes.Buffer), new(bytes.Buffer)
	dc, err := command.NewDockerCli(
		command.WithInputStream(io.NopCloser(strings.NewReader(stdin))),
		command.WithOutputStream(out), command.WithErrorStream(errOut))
	if err != nil {
		e.t.Fatal(err)
	}
	dc.In().SetIsTerminal(terminal)
	cli := daemonCli{DockerCli: dc, api: e.api, context: e.context}
	return deps{cli: cli, clock: clock.Seconds, configDir: func() string { return e.cfg }}, out, errOut
}

// run runs "docker shaper ARGS" (--policy added), with no terminal.
func (e *pruneEnv) run(args ...string) (stdout, stderr string, err error) {
	return e.runWith("", false, args...)
}

func (e *pruneEnv) runWith(stdin string, terminal bool, args ...string) (stdout, stderr string, err error) {
	cli, out, errOut := e.cli(stdin, terminal)
	root := newRootCommand(cli)
	root.SetArgs(append(args, "--policy", e.policy))
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// plan builds the plan the way prune does.
func (e *pruneEnv) plan() *planResult {
	e.t.Helper()
	cli, _, _ := e.cli("", false)
	res, err := cli.buildPlan(context.Background(), planOptions{policy: policyFlag{path: e.policy, set: true}}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func (e *pruneEnv) journalPath() string {
	return filepath.Join(e.dir(), store.JournalFile)
}

// dir is the test daemon's directory in the test's docker config (asked
// once: Podman takes seconds to say who it is).
func (e *pruneEnv) dir() string {
	e.t.Helper()
	if e.daemonDir == "" {
		e.daemonDir = testDaemonDir(e.t, e.api, e.cfg)
	}
	return e.daemonDir
}

// testDaemonDir is the directory of the daemon api talks to, in the docker
// config directory cfg.
func testDaemonDir(t testing.TB, api docker.IdentifyAPI, cfg string) string {
	t.Helper()
	d, err := docker.Identify(context.Background(), api)
	if err != nil {
		t.Fatal(err)
	}
	return store.DaemonDir(cfg, d)
}

// engine is the test daemon's engine: docker, or podman (scripts/test.sh
// runs some of these tests against Podman too). Tests branch on it only
// where the engines differ by design, and say why.
func (e *pruneEnv) engine() string {
	e.t.Helper()
	engine, err := docker.DetectEngine(context.Background(), e.api)
	if err != nil {
		e.t.Fatal(err)
	}
	return engine
}

func (e *pruneEnv) load(images ...fixture.Image) []string {
	e.t.Helper()
	ids, err := fixture.Load(context.Background(), e.api, images...)
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func (e *pruneEnv) containers(cs ...fixture.Container) []string {
	e.t.Helper()
	ids, err := fixture.CreateContainers(context.Background(), e.api, cs...)
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func (e *pruneEnv) volume(name string) {
	e.t.Helper()
	if _, err := e.api.VolumeCreate(context.Background(), client.VolumeCreateOptions{Name: name}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *pruneEnv) network(name string) string {
	e.t.Helper()
	res, err := e.api.NetworkCreate(context.Background(), name, client.NetworkCreateOptions{Driver: "bridge"})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.ID
}

func (e *pruneEnv) tag(source, target string) {
	e.t.Helper()
	if _, err := e.api.ImageTag(context.Background(), client.ImageTagOptions{Source: source, Target: target}); err != nil {
		e.t.Fatal(err)
	}
}

// daemonState lists everything on the daemon, one sorted line per object:
// images (all, with ID and sorted tags), containers, volumes, networks.
func daemonState(t testing.TB, api client.APIClient) []string {
	t.Helper()
	ctx := context.Background()
	var lines []string
	imgs, err := api.ImageList(ctx, client.ImageListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range imgs.Items {
		var tags []string // familiar, as plans write them (Podman lists docker.io/library/…)
		for _, r := range im.RepoTags {
			tags = append(tags, policy.NormalizeRef(r))
		}
		sort.Strings(tags)
		lines = append(lines, fmt.Sprintf("image %s %v", im.ID, tags))
	}
	cs, err := api.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs.Items {
		lines = append(lines, fmt.Sprintf("container %s %v %s %s", c.ID, c.Names, c.State, c.ImageID))
	}
	vs, err := api.VolumeList(ctx, client.VolumeListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Items {
		lines = append(lines, "volume "+v.Name)
	}
	ns, err := api.NetworkList(ctx, client.NetworkListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns.Items {
		lines = append(lines, "network "+n.ID+" "+n.Name)
	}
	sort.Strings(lines)
	return lines
}

// resultKey names a result for assertions: "image app:1", "image <none>
// 0123456789ab", "container job", "volume v", "network n".
func resultKey(a policy.Action) string {
	switch {
	case a.Kind == policy.KindImage && a.Ref == "":
		return "image <none> " + policy.ShortID(a.ID)
	case a.Kind == policy.KindImage:
		return "image " + a.Ref
	}
	return a.Kind + " " + a.Name
}

const recheckPolicy = `
container "jobs" {
  status = ["exited", "created"]
  names  = ["job-*"]
}
image "apps" {
  match = ["app*:*"]
}
image "dangling" {
  dangling = true
}
volume "vols" {
  names = ["vol-*"]
}
network "nets" {
  names = ["net-*"]
}
`

// TestApplyRechecksEachObject changes the daemon between plan and apply in
// every way the re-checks guard against, and checks that each changed
// object is skipped with its reason while the others go.
func TestApplyRechecksEachObject(t *testing.T) {
	e := newPruneEnv(t, recheckPolicy)
	ctx := context.Background()
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	ids := e.load(
		fixture.Image{Refs: []string{"base:1"}, Runnable: true, Created: old},
		fixture.Image{Refs: []string{"appused:1"}, Runnable: true, Created: old},
		fixture.Image{Refs: []string{"appmoved:1"}, Created: old},
		fixture.Image{Refs: []string{"other:1"}, Created: old},
		fixture.Image{Refs: []string{"appgone:1"}, Created: old},
		fixture.Image{Refs: []string{"appgained:1"}, Created: old},
		fixture.Image{Refs: []string{"appok:1", "appok:2"}, Created: old, Size: 1000},
		fixture.Image{Created: old},
		fixture.Image{Created: old},
	)
	danglingOK, danglingTagged := ids[7], ids[8]
	e.containers(
		fixture.Container{Name: "job-gone", Image: "base:1"},
		fixture.Container{Name: "job-started", Image: "base:1", Cmd: []string{"sleep", "600"}},
		fixture.Container{Name: "job-ok", Image: "base:1", Cmd: []string{"true"}, Run: true},
	)
	e.volume("vol-gone")
	e.volume("vol-ok")
	e.network("net-gone")
	e.network("net-ok")

	res := e.plan()
	var planned []string
	for _, a := range res.Plan.Actions {
		planned = append(planned, a.Action+" "+resultKey(a))
	}
	wantPlanned := []string{
		"remove container job-gone", "remove container job-ok", "remove container job-started",
		"remove image appgained:1", "remove image appgone:1", "remove image appmoved:1",
		"untag image appok:1", "remove image appok:2", "remove image appused:1",
		"remove image <none> " + policy.ShortID(danglingOK), "remove image <none> " + policy.ShortID(danglingTagged),
		"remove volume vol-gone", "remove volume vol-ok", "remove network net-gone", "remove network net-ok",
	}
	if !sameSet(planned, wantPlanned) {
		t.Fatalf("plan:\n got %v\nwant %v", planned, wantPlanned)
	}

	// The world moves on between plan and apply.
	e.containers(fixture.Container{Name: "late-user", Image: "appused:1"})
	e.tag("other:1", "appmoved:1")
	if _, err := e.api.ImageRemove(ctx, "appgone:1", client.ImageRemoveOptions{PruneChildren: true}); err != nil {
		t.Fatal(err)
	}
	e.tag("appgained:1", "keepme:1")
	e.tag(danglingTagged, "tagged:1")
	if _, err := e.api.ContainerRemove(ctx, "job-gone", client.ContainerRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.ContainerStart(ctx, "job-started", client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.VolumeRemove(ctx, "vol-gone", client.VolumeRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.NetworkRemove(ctx, "net-gone", client.NetworkRemoveOptions{}); err != nil {
		t.Fatal(err)
	}

	j, err := store.OpenJournal(e.journalPath())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := apply.Apply(ctx, docker.NewRemover(e.api, clock.Seconds), res.Plan.Actions,
		apply.Options{Command: "test", Journal: journal{j: j, clock: clock.Seconds}, Measure: true, Clock: clock.Seconds})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rep.Results {
		got[resultKey(r.Action)] = r.Outcome + ": " + r.Detail
	}
	want := map[string]string{
		"container job-gone":                             "skipped: container already gone",
		"container job-started":                          "skipped: state changed since the plan: was created, now running",
		"container job-ok":                               "removed: ",
		"image appused:1":                                "skipped: image now used by container late-user",
		"image appmoved:1":                               "skipped: tag now names another image, " + policy.ShortID(ids[3]),
		"image appgone:1":                                "skipped: image already gone",
		"image appgained:1":                              "untagged: only untagged: the image keeps tag keepme:1, added after the plan",
		"image appok:1":                                  "untagged: ",
		"image appok:2":                                  "removed: ",
		"image <none> " + policy.ShortID(danglingOK):     "removed: ",
		"image <none> " + policy.ShortID(danglingTagged): "skipped: the image was tagged tagged:1 since the plan",
		"volume vol-gone":                                "skipped: volume already gone",
		"volume vol-ok":                                  "removed: ",
		"network net-gone":                               "skipped: already gone",
		"network net-ok":                                 "removed: ",
	}
	for k, w := range want {
		g := got[k]
		if k == "network net-gone" {
			g, _, _ = strings.Cut(g, " (daemon:")
		}
		if g != w {
			t.Errorf("%s:\n got %q\nwant %q", k, g, w)
		}
	}

	// What the daemon has now.
	state := strings.Join(daemonState(t, e.api), "\n")
	for _, gone := range []string{"appok:1", "appok:2", "appgained:1", danglingOK, "job-ok", "vol-ok", "net-ok"} {
		if strings.Contains(state, gone) {
			t.Errorf("%s is still there:\n%s", gone, state)
		}
	}
	for _, kept := range []string{"appused:1", "appmoved:1", "other:1", "keepme:1", "tagged:1", "job-started", "late-user"} {
		if !strings.Contains(state, kept) {
			t.Errorf("%s was removed:\n%s", kept, state)
		}
	}

	entries, err := journalOutcomes(e.journalPath())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(res.Plan.Actions) {
		t.Errorf("journal: %d entries for %d actions", len(entries), len(res.Plan.Actions))
	}
	for _, en := range entries {
		key := en.Kind + " " + en.Ref + en.Name
		if en.Kind == policy.KindImage && en.Ref == "" {
			key = "image <none> " + policy.ShortID(en.ID)
		}
		if w, ok := want[key]; !ok || !strings.HasPrefix(w, en.Outcome+":") {
			t.Errorf("journal entry %s: outcome %s, want %q", key, en.Outcome, w)
		}
		if en.Run != rep.Run || en.Rule == "" || en.Reason == "" || en.Time.IsZero() {
			t.Errorf("journal entry %+v", en)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// pruneJSON is prune's --format json document, as tests read it.
type pruneJSON struct {
	Plan struct {
		Actions []map[string]any `json:"actions"`
		Summary policy.Summary   `json:"summary"`
	} `json:"plan"`
	Run     string               `json:"run"`
	Results []render.PruneResult `json:"results"`
	Summary apply.Summary        `json:"summary"`
}

func decodePrune(t testing.TB, out string) pruneJSON {
	t.Helper()
	var doc pruneJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("prune output is not its JSON document: %v\n%s", err, out)
	}
	return doc
}

const mixedPolicy = `
protect "keep" {
  images = ["keep:*"]
  labels = { "shaper.keep" = "true" }
}
container "jobs" {
  status         = ["exited", "created"]
  names          = ["job-*"]
  remove_volumes = true
}
image "apps" {
  match = ["app:*", "lib/**:*"]
  keep  = 1
}
image "dangling" {
  dangling = true
}
volume "vols" {
  names = ["vol-*"]
}
network "nets" {
  names = ["net-*"]
}
`

// TestPruneMixedPlan prunes a plan of every kind through the command and
// checks that exactly the planned set went, that the JSON results and the
// journal agree with it, and that the bytes were measured.
func TestPruneMixedPlan(t *testing.T) {
	e := newPruneEnv(t, mixedPolicy)
	day := func(n int) time.Time { return time.Date(2020, 1, n, 0, 0, 0, 0, time.UTC) }
	ids := e.load(
		fixture.Image{Refs: []string{"base:1"}, Runnable: true},
		fixture.Image{Refs: []string{"app:3"}, Created: day(3), Size: 2000},                      // kept: rank 1
		fixture.Image{Refs: []string{"app:2", "app:2b", "lib/x:2"}, Created: day(2), Size: 3000}, // two untags; lib/x:2 is rank 1 of its repository
		fixture.Image{Refs: []string{"app:1", "keep:1"}, Created: day(1), Size: 4000},            // app:1 untagged, keep:1 protected
		fixture.Image{Refs: []string{"app:0"}, Created: day(1), Labels: map[string]string{"shaper.keep": "true"}},
		fixture.Image{Refs: []string{"app:used"}, Created: day(1), Runnable: true},      // used by a running container
		fixture.Image{Created: day(1), Size: 500},                                       // dangling
		fixture.Image{Refs: []string{"lib/y:1", "lib/y:2"}, Created: day(1), Size: 600}, // an untag and a remove
		fixture.Image{Refs: []string{"lib/y:new"}, Created: day(2)},
		fixture.Image{Refs: []string{"unclaimed:1"}, Created: day(1)},                // no rule
		fixture.Image{Refs: []string{"app:latest"}, Created: day(1), Seed: "latest"}, // builtin latest
	)
	e.volume("vol-old")
	e.volume("named-data")
	netOld := e.network("net-old")
	e.network("net-used")
	e.network("other-net")
	e.containers(
		fixture.Container{Name: "job-1", Image: "base:1", Cmd: []string{"true"}, Run: true, Volumes: []string{"/scratch"}},
		fixture.Container{Name: "job-2", Image: "base:1"},
		fixture.Container{Name: "job-keep", Image: "base:1", Labels: map[string]string{"shaper.keep": "true"}},
		fixture.Container{Name: "svc", Image: "app:used", Detach: true, Cmd: []string{"sleep", "600"}},
		fixture.Container{Name: "holder", Image: "base:1", Network: "net-used", NamedVolumes: map[string]string{"named-data": "/data"}},
	)
	before := daemonState(t, e.api)

	out, stderr, err := e.run("check", "--format", "json")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, stderr)
	}
	var checkDoc struct {
		Actions []map[string]any `json:"actions"`
		Daemon  policy.Daemon    `json:"daemon"`
	}
	if err := json.Unmarshal([]byte(out), &checkDoc); err != nil {
		t.Fatal(err)
	}
	if engine := e.engine(); checkDoc.Daemon.Engine != engine {
		t.Errorf("the plan names the engine %q, want %q", checkDoc.Daemon.Engine, engine)
	}

	out, stderr, err = e.run("prune", "-f", "--format", "json")
	if err != nil {
		t.Fatalf("prune: %v\n%s", err, stderr)
	}
	doc := decodePrune(t, out)
	if len(doc.Plan.Actions) != len(checkDoc.Actions) {
		t.Errorf("prune planned %d actions, check %d", len(doc.Plan.Actions), len(checkDoc.Actions))
	}
	var planned []string
	for _, r := range doc.Results {
		key := r.Kind + " " + r.Action + " " + r.Ref + r.Name
		if r.Kind == policy.KindVolume && strings.HasPrefix(r.Rule, "container.") {
			key = r.Kind + " " + r.Action + " (with " + strings.TrimPrefix(r.Detail, "with container ") + ")"
		}
		planned = append(planned, key)
		if r.Outcome != apply.OutcomeRemoved && r.Outcome != apply.OutcomeUntagged {
			t.Errorf("%s: %s %s", key, r.Outcome, r.Detail)
		}
	}
	wantPlanned := []string{
		"container remove job-1", "container remove job-2",
		"image untag app:2", "image untag app:2b", "image untag lib/y:1", "image remove lib/y:2",
		"image untag app:1",
		"image remove ",
		"volume remove vol-old",
		"volume remove (with job-1)", // remove_volumes: its anonymous volume
		"network remove net-old",
	}
	if !sameSet(planned, wantPlanned) {
		t.Fatalf("results:\n got %v\nwant %v", planned, wantPlanned)
	}
	for i, r := range doc.Results {
		checkKey := fmt.Sprint(checkDoc.Actions[i]["kind"], checkDoc.Actions[i]["action"], checkDoc.Actions[i]["ref"], checkDoc.Actions[i]["name"])
		if got := fmt.Sprint(r.Kind, r.Action, orNil(r.Kind, "ref", r.Ref), orNil(r.Kind, "name", r.Name)); got != checkKey {
			t.Errorf("action %d: prune %s, check %s", i, got, checkKey)
		}
	}

	// Exactly the planned objects are gone.
	after := daemonState(t, e.api)
	removed := map[string]bool{}
	for _, l := range before {
		if !slices.Contains(after, l) {
			removed[l] = true
		}
	}
	anon := ""
	for _, l := range before {
		if strings.HasPrefix(l, "volume ") && len(strings.TrimPrefix(l, "volume ")) == 64 {
			anon = l
		}
	}
	if anon == "" {
		t.Fatalf("no anonymous volume in %v", before)
	}
	var changed []string // images that lost tags but stayed
	for _, l := range after {
		if strings.HasPrefix(l, "image "+ids[2]) || strings.HasPrefix(l, "image "+ids[3]) {
			changed = append(changed, l)
		}
	}
	if !sameSet(changed, []string{"image " + ids[2] + " [lib/x:2]", "image " + ids[3] + " [keep:1]"}) {
		t.Errorf("images that lost tags: %v", changed)
	}
	var containersGone, imagesGone, volumesGone, networksGone []string
	for _, l := range before {
		if slices.Contains(after, l) {
			continue
		}
		f := strings.Fields(l)
		switch f[0] {
		case "container":
			containersGone = append(containersGone, f[2])
		case "image":
			if f[1] != ids[2] && f[1] != ids[3] {
				imagesGone = append(imagesGone, f[1])
			}
		case "volume":
			volumesGone = append(volumesGone, f[1])
		case "network":
			networksGone = append(networksGone, f[1])
		}
	}
	if !sameSet(containersGone, []string{"[/job-1]", "[/job-2]"}) {
		t.Errorf("containers gone: %v", containersGone)
	}
	if !sameSet(imagesGone, []string{ids[6], ids[7]}) {
		t.Errorf("images gone: %v, want %v", imagesGone, []string{ids[6], ids[7]})
	}
	if !sameSet(volumesGone, []string{"vol-old", strings.TrimPrefix(anon, "volume ")}) {
		t.Errorf("volumes gone: %v (the anonymous volume of job-1 goes with it)", volumesGone)
	}
	if !sameSet(networksGone, []string{netOld}) {
		t.Errorf("networks gone: %v", networksGone)
	}

	// The summary, the results and the journal agree.
	s := doc.Summary
	if s.Removed != 7 || s.Untagged != 4 || s.Skipped != 0 || s.Failed != 0 || s.Actions != 11 {
		t.Errorf("summary %+v", s)
	}
	if s.PlannedBytes != doc.Plan.Summary.ReclaimableBytes || s.ReclaimedBytes != s.PlannedBytes {
		t.Errorf("bytes: planned %d (plan %d), reclaimed %d", s.PlannedBytes, doc.Plan.Summary.ReclaimableBytes, s.ReclaimedBytes)
	}
	switch e.engine() {
	case docker.EnginePodman:
		// Podman reports no disk usage for images (LayersSize 0): it is
		// said to be unmeasured, not measured as 0, and what removing an
		// image frees is unknown, not its whole size.
		if s.MeasuredBytes == nil || !slices.Equal(s.Unmeasured, []string{policy.KindImage}) {
			t.Errorf("measured %v, unmeasured %v: want containers and volumes measured, images said to be unmeasured", s.MeasuredBytes, s.Unmeasured)
		}
		if doc.Plan.Summary.UnknownBytes != 2 {
			t.Errorf("plan summary %+v: want the bytes of the two image removals unknown", doc.Plan.Summary)
		}
	case docker.EngineDocker:
		if s.MeasuredBytes == nil {
			t.Error("bytes not measured")
		} else if *s.MeasuredBytes < 1100 {
			t.Errorf("measured %d bytes, want at least the 1100 payload bytes of the two removed images", *s.MeasuredBytes)
		}
	}
	entries, err := journalOutcomes(e.journalPath())
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, en := range entries {
		if en.Run != doc.Run || en.Command != "prune" {
			t.Errorf("journal entry of another run: %+v", en)
		}
		counts[en.Outcome]++
		if en.Kind == policy.KindImage && !strings.HasPrefix(en.ID, "sha256:") {
			t.Errorf("image entry without ID: %+v", en)
		}
	}
	if counts[apply.OutcomeRemoved] != s.Removed || counts[apply.OutcomeUntagged] != s.Untagged || len(entries) != s.Actions {
		t.Errorf("journal counts %v, summary %+v", counts, s)
	}
	if !strings.Contains(stderr, "[11/11]") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}

	// A second prune has nothing left to do.
	out, _, err = e.run("prune", "-f")
	if err != nil || !strings.Contains(out, "Nothing to do") {
		t.Errorf("second prune: %v\n%s", err, out)
	}
}

// orNil mirrors the plan contract's fields: check's JSON has "ref" only on
// image actions and "name" only on others.
func orNil(kind, field, v string) any {
	if field == "ref" && kind != policy.KindImage || field == "name" && (kind == policy.KindImage || kind == policy.KindBuildCache) {
		return nil
	}
	return v
}

// TestPruneSafety: without a terminal and without -f prune refuses; a
// dry run, a "no" and a held lock change nothing.
func TestPruneSafety(t *testing.T) {
	e := newPruneEnv(t, mixedPolicy)
	e.load(
		fixture.Image{Refs: []string{"base:1"}, Runnable: true},
		fixture.Image{Refs: []string{"app:2"}, Created: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)},
		fixture.Image{Refs: []string{"app:1"}, Created: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		fixture.Image{},
	)
	e.volume("vol-1")
	e.network("net-1")
	e.containers(fixture.Container{Name: "job-1", Image: "base:1", Cmd: []string{"true"}, Run: true, Volumes: []string{"/v"}})
	before := daemonState(t, e.api)
	unchanged := func(what string) {
		t.Helper()
		if after := daemonState(t, e.api); !slices.Equal(before, after) {
			t.Errorf("%s changed the daemon:\nbefore %v\nafter  %v", what, before, after)
		}
	}

	// No terminal, no -f.
	out, stderr, err := e.run("prune")
	if err == nil || !strings.Contains(err.Error(), "standard input is not a terminal") || !strings.Contains(err.Error(), "nothing was removed") {
		t.Errorf("prune without a terminal: %v", err)
	}
	if !strings.Contains(out, "job-1") {
		t.Errorf("the plan was not shown:\n%s\n%s", out, stderr)
	}
	unchanged("prune without a terminal")
	if _, err := os.Stat(e.journalPath()); err == nil {
		t.Error("a refused prune wrote the journal")
	}

	// A terminal, answered no (and an empty answer).
	for _, answer := range []string{"n\n", "\n", ""} {
		_, stderr, err = e.runWith(answer, true, "prune")
		if err == nil || !strings.Contains(err.Error(), "cancelled") {
			t.Errorf("answer %q: %v", answer, err)
		}
		// 6: job-1's anonymous volume goes with it (remove_volumes).
		if !strings.Contains(stderr, "Remove 6 objects, reclaiming") || !strings.Contains(stderr, "[y/N]") {
			t.Errorf("no question:\n%s", stderr)
		}
	}
	unchanged("prune answered no")

	// Dry run, table and JSON: the JSON is check's plan.
	if _, _, err := e.run("prune", "--dry-run"); err != nil {
		t.Error(err)
	}
	dry, _, err := e.run("prune", "--dry-run", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	checked, _, err := e.run("check", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := actionsOf(t, dry), actionsOf(t, checked); a != b {
		t.Errorf("dry run actions differ from check's:\n%s\n%s", a, b)
	}
	unchanged("prune --dry-run")

	// Someone holds the lock.
	release, err := store.AcquireRemovalLock(e.dir(), "docker shaper watch", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.run("prune", "-f")
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("pid %d (docker shaper watch)", os.Getpid())) ||
		!strings.Contains(err.Error(), "nothing was removed") {
		t.Errorf("prune with the lock held: %v", err)
	}
	unchanged("prune with the lock held")
	// A dry run needs no lock.
	if _, _, err := e.run("prune", "--dry-run"); err != nil {
		t.Errorf("dry run with the lock held: %v", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}

	// A terminal, answered yes.
	out, stderr, err = e.runWith("y\n", true, "prune")
	if err != nil {
		t.Fatalf("prune answered yes: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "Removed 6 objects and 0 tags, skipped 0, failed 0") {
		t.Errorf("summary:\n%s", out)
	}
}

// actionsOf is the actions of a plan document, without reasons (their
// coarse ages may tick between two plans).
func actionsOf(t testing.TB, doc string) string {
	t.Helper()
	var p struct {
		Actions []map[string]any `json:"actions"`
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	var b strings.Builder
	for _, a := range p.Actions {
		delete(a, "reason")
		fmt.Fprintln(&b, a)
	}
	return b.String()
}

// journalOutcomes reads the outcome records of the journal at path: what
// became of each action.
func journalOutcomes(path string) ([]store.Entry, error) {
	lines, err := store.ReadJournal(path)
	if err != nil {
		return nil, err
	}
	var out []store.Entry
	for _, e := range lines.Entries {
		if e.IsOutcome() {
			out = append(out, e)
		}
	}
	if len(lines.Torn) > 0 {
		return out, fmt.Errorf("%s: torn lines %v", path, lines.Torn)
	}
	return out, nil
}
