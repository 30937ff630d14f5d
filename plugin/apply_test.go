package plugin

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker-shaper/docker-shaper/policy"
)

// fakeDaemon is an applyAPI over an in-memory host, recording every call.
type fakeDaemon struct {
	mu         sync.Mutex
	images     map[string]*fakeImage // by ID
	containers map[string]*containerNow
	volumes    map[string]volumeNow
	networks   map[string]bool
	calls      []string
	// errs makes a removal call fail: call ("rmi app:1") -> error.
	errs map[string]error
	// inFlight counts removal calls in progress per image, to catch
	// concurrent removals of one image.
	inFlight   map[string]int
	overlapped []string
}

type fakeImage struct {
	tags, digests []string
	users         []string
}

func newFakeDaemon() *fakeDaemon {
	return &fakeDaemon{
		images:     map[string]*fakeImage{},
		containers: map[string]*containerNow{},
		volumes:    map[string]volumeNow{},
		networks:   map[string]bool{},
		errs:       map[string]error{},
		inFlight:   map[string]int{},
	}
}

func (f *fakeDaemon) record(call string) error {
	f.calls = append(f.calls, call)
	return f.errs[call]
}

func notFound(what string) error { return fmt.Errorf("No such %s: %w", what, cerrdefs.ErrNotFound) }
func conflict(msg string) error  { return fmt.Errorf("%s: %w", msg, cerrdefs.ErrConflict) }

func (f *fakeDaemon) findImage(ref string) (string, *fakeImage) {
	if img, ok := f.images[ref]; ok {
		return ref, img
	}
	for id, img := range f.images {
		if slices.Contains(img.tags, ref) || slices.Contains(img.digests, ref) {
			return id, img
		}
	}
	return "", nil
}

func (f *fakeDaemon) inspectImage(_ context.Context, ref string) (imageNow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, img := f.findImage(ref)
	if img == nil {
		return imageNow{}, notFound("image " + ref)
	}
	return imageNow{ID: id, Tags: slices.Clone(img.tags), Digests: slices.Clone(img.digests)}, nil
}

func (f *fakeDaemon) imageUsers(_ context.Context, id string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if img := f.images[id]; img != nil {
		return slices.Clone(img.users), nil
	}
	return nil, nil
}

func (f *fakeDaemon) inspectContainer(_ context.Context, id string) (containerNow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil {
		return containerNow{}, notFound("container " + id)
	}
	return *c, nil
}

func (f *fakeDaemon) removeContainer(_ context.Context, id string, force, volumes bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(fmt.Sprintf("rm force=%v v=%v %s", force, volumes, id)); err != nil {
		return err
	}
	if f.containers[id] == nil {
		return notFound("container " + id)
	}
	delete(f.containers, id)
	return nil
}

// removeImageRef behaves like the daemon without force: a reference is
// removed; the image goes with its last reference; by ID, an image with
// references in several repositories is refused.
func (f *fakeDaemon) removeImageRef(_ context.Context, ref string) (imageRemoval, error) {
	f.mu.Lock()
	id, img := f.findImage(ref)
	if err := f.record("rmi " + ref); err != nil {
		f.mu.Unlock()
		return imageRemoval{}, err
	}
	if img == nil {
		f.mu.Unlock()
		return imageRemoval{}, notFound("image " + ref)
	}
	f.inFlight[id]++
	if f.inFlight[id] > 1 {
		f.overlapped = append(f.overlapped, id)
	}
	f.mu.Unlock()
	time.Sleep(time.Millisecond) // let concurrent calls overlap if they can
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight[id]--
	var out imageRemoval
	if ref == id {
		repos := map[string]bool{}
		for _, d := range img.digests {
			repos[strings.Split(d, "@")[0]] = true
		}
		if len(img.tags) > 0 || len(repos) > 1 {
			return out, conflict("conflict: unable to delete " + shortID(id) + " (must be forced) - image is referenced in multiple repositories")
		}
		out.Untagged = img.digests
	} else {
		img.tags = slices.DeleteFunc(img.tags, func(s string) bool { return s == ref })
		img.digests = slices.DeleteFunc(img.digests, func(s string) bool { return s == ref })
		out.Untagged = []string{ref}
		if len(img.tags)+len(img.digests) > 0 {
			return out, nil
		}
	}
	if len(img.users) > 0 {
		return out, conflict("conflict: unable to delete (must be forced) - image is being used by stopped container")
	}
	delete(f.images, id)
	out.Deleted = []string{id}
	return out, nil
}

func (f *fakeDaemon) inspectVolume(_ context.Context, name string) (volumeNow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.volumes[name]
	if !ok {
		return volumeNow{}, notFound("volume " + name)
	}
	return v, nil
}

func (f *fakeDaemon) removeVolume(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("volume rm " + name); err != nil {
		return err
	}
	delete(f.volumes, name)
	return nil
}

func (f *fakeDaemon) removeNetwork(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("network rm " + id); err != nil {
		return err
	}
	if !f.networks[id] {
		return notFound("network " + id)
	}
	delete(f.networks, id)
	return nil
}

func (f *fakeDaemon) pruneBuildCache(_ context.Context, r policy.BuildCacheRule) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return 4096, f.record(fmt.Sprintf("builder prune all=%v keep=%d until=%v", r.All, r.KeepStorage, r.UnusedFor))
}

func (f *fakeDaemon) usage(context.Context) (diskTotals, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	for _, img := range f.images {
		_ = img
		n += 100
	}
	return diskTotals{policy.KindImage: n, policy.KindContainer: int64(10 * len(f.containers))}, nil
}

func imgID(n int) string { return fmt.Sprintf("sha256:%064d", n) }

func imageAction(action, ref string, id int, bytes int64, digests ...string) policy.Action {
	return policy.Action{Kind: policy.KindImage, Action: action, Ref: ref, ID: imgID(id), Rule: "image.test",
		Reason: "test", Bytes: bytes, Digests: digests}
}

// outcomes maps each action's object to "outcome: detail".
func outcomes(rep *applyReport) map[string]string {
	m := map[string]string{}
	for _, r := range rep.Results {
		key := r.Action.Kind + " " + r.Action.Ref + r.Action.Name
		if r.Action.Kind == policy.KindImage && r.Action.Ref == "" {
			key += shortID(r.Action.ID)
		}
		m[key] = strings.TrimSpace(r.Outcome + ": " + r.Detail)
	}
	return m
}

func TestApplyImagesAgainstFake(t *testing.T) {
	f := newFakeDaemon()
	f.images[imgID(1)] = &fakeImage{tags: []string{"app:1", "app:1b"}}                                 // untag, remove
	f.images[imgID(2)] = &fakeImage{tags: []string{"app:2", "extra:x"}}                                // gained extra:x
	f.images[imgID(3)] = &fakeImage{tags: []string{"app:3"}, users: []string{"late"}}                  // gained a container
	f.images[imgID(4)] = &fakeImage{digests: []string{"a/x@sha256:aa", "b/y@sha256:bb"}}               // two repositories
	f.images[imgID(5)] = &fakeImage{digests: []string{"a/x@sha256:cc"}}                                // one repository: by ID
	f.images[imgID(6)] = &fakeImage{tags: []string{"app:6"}, digests: []string{"other/app@sha256:dd"}} // digest of another repo
	f.images[imgID(7)] = &fakeImage{tags: []string{"moved:1"}}                                         // moved:1 was on image 8
	f.images[imgID(8)] = &fakeImage{tags: []string{"still:8"}}
	f.images[imgID(9)] = &fakeImage{tags: []string{"boom:1"}}  // daemon refuses
	f.images[imgID(10)] = &fakeImage{tags: []string{"race:1"}} // in use, per the daemon
	f.errs["rmi boom:1"] = conflict("conflict: something unexpected")
	f.errs["rmi race:1"] = conflict("conflict: unable to remove repository reference \"race:1\" (must force) - container 123 is using its referenced image")

	res := &planResult{Plan: policy.Plan{Actions: []policy.Action{
		imageAction("untag", "app:1", 1, 0),
		imageAction("remove", "app:1b", 1, 100),
		imageAction("remove", "app:2", 2, 100),
		imageAction("remove", "app:3", 3, 100),
		imageAction("remove", "", 4, 100, "a/x@sha256:aa", "b/y@sha256:bb"),
		imageAction("remove", "", 5, 100, "a/x@sha256:cc"),
		imageAction("remove", "app:6", 6, 100, "other/app@sha256:dd"),
		imageAction("remove", "moved:1", 8, 100),
		imageAction("remove", "gone:1", 11, 100),
		imageAction("remove", "boom:1", 9, 100),
		imageAction("remove", "race:1", 10, 100),
	}}}
	dir := t.TempDir()
	j, err := openJournal(filepath.Join(dir, "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := applyPlan(context.Background(), f, res, applyOptions{Command: "test", Journal: j, Measure: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	got := outcomes(rep)
	want := map[string]string{
		"image app:1":                "untagged:",
		"image app:1b":               "removed:",
		"image app:2":                "untagged: only untagged: the image keeps tag extra:x, added after the plan",
		"image app:3":                "skipped: image now used by container late",
		"image " + shortID(imgID(4)): "removed: with its digest references a/x@sha256:aa, b/y@sha256:bb",
		"image " + shortID(imgID(5)): "removed:",
		"image app:6":                "removed: with its digest references other/app@sha256:dd",
		"image moved:1":              "skipped: tag now names another image, " + shortID(imgID(7)),
		"image gone:1":               "skipped: image already gone",
		"image boom:1":               "failed: daemon: conflict: something unexpected: conflict",
		"image race:1":               `skipped: changed since the plan (daemon: conflict: unable to remove repository reference "race:1" (must force) - container 123 is using its referenced image: conflict)`,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %q\n want %q", k, got[k], w)
		}
	}
	for _, c := range f.calls {
		if strings.Contains(c, "force=true") {
			t.Errorf("forced call %q", c)
		}
	}
	if slices.Contains(f.calls, "rmi "+imgID(4)) {
		t.Errorf("image 4 (two repositories) removed by ID: %v", f.calls)
	}
	if !slices.Contains(f.calls, "rmi "+imgID(5)) {
		t.Errorf("image 5 (one repository) not removed by ID: %v", f.calls)
	}
	// Untag before remove, in plan order, for image 1.
	i1, i2 := slices.Index(f.calls, "rmi app:1"), slices.Index(f.calls, "rmi app:1b")
	if i1 < 0 || i2 < 0 || i1 > i2 {
		t.Errorf("image 1 calls out of order: %v", f.calls)
	}
	s := rep.Summary
	if s.Removed != 4 || s.Untagged != 2 || s.Skipped != 4 || s.Failed != 1 {
		t.Errorf("summary %+v", s)
	}
	if s.ReclaimedBytes != 400 || s.PlannedBytes != 1000 {
		t.Errorf("bytes: reclaimed %d planned %d", s.ReclaimedBytes, s.PlannedBytes)
	}
	if s.MeasuredBytes == nil || *s.MeasuredBytes != 400 {
		t.Errorf("measured %v, want 400 (4 images of 100 in the fake)", s.MeasuredBytes)
	}
	entries, err := readJournal(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(res.Plan.Actions) {
		t.Fatalf("journal has %d entries for %d actions", len(entries), len(res.Plan.Actions))
	}
	for _, e := range entries {
		if e.Run != rep.Run || e.Command != "test" || e.Kind != "image" || e.ID == "" || e.Rule != "image.test" || e.Time.IsZero() {
			t.Errorf("journal entry %+v", e)
		}
		if e.ID == imgID(6) && !slices.Equal(e.Digests, []string{"other/app@sha256:dd"}) {
			t.Errorf("journal entry without digests: %+v", e)
		}
	}
}

func TestApplySerialisesEachImage(t *testing.T) {
	f := newFakeDaemon()
	var actions []policy.Action
	for i := 1; i <= 12; i++ {
		var tags []string
		for k := 0; k < 6; k++ {
			tags = append(tags, fmt.Sprintf("r%d:t%d", i, k))
		}
		f.images[imgID(i)] = &fakeImage{tags: tags}
		for k, tag := range tags {
			act := "untag"
			if k == len(tags)-1 {
				act = "remove"
			}
			actions = append(actions, imageAction(act, tag, i, 1))
		}
	}
	rep, err := applyPlan(context.Background(), f, &planResult{Plan: policy.Plan{Actions: actions}}, applyOptions{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.overlapped) > 0 {
		t.Errorf("concurrent removals of one image: %v", f.overlapped)
	}
	if rep.Summary.Removed != 12 || rep.Summary.Untagged != 60 || len(f.images) != 0 {
		t.Errorf("summary %+v, %d images left", rep.Summary, len(f.images))
	}
}

func TestApplyContainersVolumesNetworksCache(t *testing.T) {
	f := newFakeDaemon()
	started := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.containers["c-exited"] = &containerNow{Name: "exited", State: "exited", StartedAt: started, FinishedAt: started.Add(time.Hour)}
	f.containers["c-running"] = &containerNow{Name: "running", State: "running", StartedAt: started}
	f.containers["c-changed"] = &containerNow{Name: "changed", State: "running", StartedAt: started.Add(48 * time.Hour)}
	f.containers["c-restarted"] = &containerNow{Name: "restarted", State: "exited", StartedAt: started.Add(48 * time.Hour), FinishedAt: started.Add(49 * time.Hour)}
	f.volumes["v1"] = volumeNow{CreatedAt: started}
	f.volumes["v-recreated"] = volumeNow{CreatedAt: started.Add(time.Hour)}
	f.volumes["v-busy"] = volumeNow{CreatedAt: started}
	f.errs["volume rm v-busy"] = conflict("remove v-busy: volume is in use - [abc]")
	f.networks["n1"] = true

	snap := policy.Snapshot{
		Containers: []policy.Container{
			{ID: "c-exited", State: "exited", StartedAt: started, FinishedAt: started.Add(time.Hour)},
			{ID: "c-running", State: "running", StartedAt: started},
			{ID: "c-changed", State: "exited", StartedAt: started, FinishedAt: started.Add(time.Hour)},
			{ID: "c-restarted", State: "exited", StartedAt: started, FinishedAt: started.Add(time.Hour)},
			{ID: "c-gone", State: "exited"},
		},
		Volumes: []policy.Volume{{Name: "v1", CreatedAt: started}, {Name: "v-recreated", CreatedAt: started}, {Name: "v-busy", CreatedAt: started}},
	}
	ctr := func(id string, force, vols bool) policy.Action {
		return policy.Action{Kind: policy.KindContainer, Action: "remove", ID: id, Name: strings.TrimPrefix(id, "c-"), Rule: "container.t", Force: force, RemoveVolumes: vols, Bytes: 10}
	}
	res := &planResult{
		Plan: policy.Plan{Actions: []policy.Action{
			ctr("c-exited", false, true),
			ctr("c-running", true, false),
			ctr("c-changed", false, false),
			ctr("c-restarted", false, false),
			ctr("c-gone", false, false),
			{Kind: policy.KindVolume, Action: "remove", Name: "v1", Rule: "volume.t"},
			{Kind: policy.KindVolume, Action: "remove", Name: "v-recreated", Rule: "volume.t"},
			{Kind: policy.KindVolume, Action: "remove", Name: "v-busy", Rule: "volume.t"},
			{Kind: policy.KindNetwork, Action: "remove", Name: "net1", ID: "n1", Rule: "network.t"},
			{Kind: policy.KindNetwork, Action: "remove", Name: "net2", ID: "n2", Rule: "network.t"},
			{Kind: policy.KindBuildCache, Action: "prune", Rule: "build_cache", Bytes: 5000},
		}},
		Snapshot: snap,
		Policy:   &loadedPolicy{Policy: &policy.Policy{BuildCache: &policy.BuildCacheRule{UnusedFor: 48 * time.Hour, KeepStorage: 1000, All: true}}},
	}
	rep, err := applyPlan(context.Background(), f, res, applyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := outcomes(rep)
	want := map[string]string{
		"container exited":    "removed:",
		"container running":   "removed:",
		"container changed":   "skipped: state changed since the plan: was exited, now running",
		"container restarted": "skipped: restarted since the plan",
		"container gone":      "skipped: container already gone",
		"volume v1":           "removed:",
		"volume v-recreated":  "skipped: volume recreated since the plan",
		"volume v-busy":       "skipped: changed since the plan (daemon: remove v-busy: volume is in use - [abc]: conflict)",
		"network net1":        "removed:",
		"network net2":        "skipped: already gone (daemon: No such network n2: not found)",
		"build_cache ":        "removed: the daemon reclaimed 4.1kB",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %q\n want %q", k, got[k], w)
		}
	}
	for _, c := range []string{"rm force=false v=true c-exited", "rm force=true v=false c-running", "builder prune all=true keep=1000 until=48h0m0s"} {
		if !slices.Contains(f.calls, c) {
			t.Errorf("no call %q in %v", c, f.calls)
		}
	}
	if rep.Summary.Kinds[len(rep.Summary.Kinds)-1].ReclaimedBytes != 4096 {
		t.Errorf("build cache reclaimed: %+v", rep.Summary.Kinds)
	}
}

func TestApplyInterrupted(t *testing.T) {
	f := newFakeDaemon()
	f.images[imgID(1)] = &fakeImage{tags: []string{"a:1"}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := applyPlan(ctx, f, &planResult{Plan: policy.Plan{Actions: []policy.Action{imageAction("remove", "a:1", 1, 1)}}}, applyOptions{})
	if err == nil {
		t.Error("want an error for an interrupted apply")
	}
	if rep.Results[0].Outcome != outcomeSkipped || len(f.calls) != 0 {
		t.Errorf("result %+v, calls %v", rep.Results[0], f.calls)
	}
}

func TestClassifyRemoveError(t *testing.T) {
	for _, tt := range []struct {
		err     error
		outcome string
	}{
		{notFound("image x"), outcomeSkipped},
		{conflict("volume is in use"), outcomeSkipped},
		{conflict("unable to delete abc (cannot be forced) - image has dependent child images"), outcomeSkipped},
		{conflict("You cannot remove a running container abc. Stop the container before attempting removal or force remove"), outcomeSkipped},
		{fmt.Errorf("error while removing network: network n id x has active endpoints: %w", cerrdefs.ErrPermissionDenied), outcomeSkipped},
		{conflict("unable to delete abc (must be forced) - image is referenced in multiple repositories"), outcomeFailed},
		{fmt.Errorf("boom"), outcomeFailed},
	} {
		if got, detail := classifyRemoveError(tt.err); got != tt.outcome {
			t.Errorf("%v: %s (%s), want %s", tt.err, got, detail, tt.outcome)
		}
	}
}
