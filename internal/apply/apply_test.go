package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/policy"
)

// fakeDaemon is an Daemon over an in-memory host, recording every call.
type fakeDaemon struct {
	mu         sync.Mutex
	images     map[string]*fakeImage // by ID
	containers map[string]*Container
	volumes    map[string]Volume
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
		containers: map[string]*Container{},
		volumes:    map[string]Volume{},
		networks:   map[string]bool{},
		errs:       map[string]error{},
		inFlight:   map[string]int{},
	}
}

func (f *fakeDaemon) record(call string) error {
	f.calls = append(f.calls, call)
	return f.errs[call]
}

// kindError is an error the way internal/docker classifies the daemon's:
// its message, and the kind errors.Is finds.
type kindError struct {
	msg  string
	kind error
}

func (e kindError) Error() string { return e.msg }
func (e kindError) Unwrap() error { return e.kind }

func notFound(what string) error { return kindError{"No such " + what, ErrNotFound} }

// changed is a refusal the daemon makes when an object changed since the
// plan (it came into use): a safe race.
func changed(msg string) error { return kindError{msg, ErrChanged} }

// refused is any other refusal.
func refused(msg string) error { return kindError{msg, nil} }

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

func (f *fakeDaemon) InspectImage(_ context.Context, ref string) (Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, img := f.findImage(ref)
	if img == nil {
		return Image{}, notFound("image " + ref)
	}
	return Image{ID: id, Tags: slices.Clone(img.tags), Digests: slices.Clone(img.digests)}, nil
}

func (f *fakeDaemon) ImageUsers(_ context.Context, id string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if img := f.images[id]; img != nil {
		return slices.Clone(img.users), nil
	}
	return nil, nil
}

func (f *fakeDaemon) InspectContainer(_ context.Context, id string) (Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c == nil {
		return Container{}, notFound("container " + id)
	}
	return *c, nil
}

func (f *fakeDaemon) RemoveContainer(_ context.Context, id string, force, volumes bool) error {
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
func (f *fakeDaemon) RemoveImageRef(_ context.Context, ref string) (ImageRemoval, error) {
	f.mu.Lock()
	id, img := f.findImage(ref)
	if err := f.record("rmi " + ref); err != nil {
		f.mu.Unlock()
		return ImageRemoval{}, err
	}
	if img == nil {
		f.mu.Unlock()
		return ImageRemoval{}, notFound("image " + ref)
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
	var out ImageRemoval
	if ref == id {
		repos := map[string]bool{}
		for _, d := range img.digests {
			repos[strings.Split(d, "@")[0]] = true
		}
		if len(img.tags) > 0 || len(repos) > 1 {
			return out, refused("conflict: unable to delete " + policy.ShortID(id) + " (must be forced) - image is referenced in multiple repositories")
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
		return out, changed("conflict: unable to delete (must be forced) - image is being used by stopped container")
	}
	delete(f.images, id)
	out.Deleted = []string{id}
	return out, nil
}

func (f *fakeDaemon) InspectVolume(_ context.Context, name string) (Volume, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.volumes[name]
	if !ok {
		return Volume{}, notFound("volume " + name)
	}
	return v, nil
}

func (f *fakeDaemon) RemoveVolume(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("volume rm " + name); err != nil {
		return err
	}
	delete(f.volumes, name)
	return nil
}

func (f *fakeDaemon) RemoveNetwork(_ context.Context, id string) error {
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

func (f *fakeDaemon) PruneBuildCache(_ context.Context, r policy.BuildCacheRule) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return 4096, f.record(fmt.Sprintf("builder prune all=%v keep=%d until=%v", r.All, r.KeepStorage, r.UnusedFor))
}

func (f *fakeDaemon) Usage(context.Context) (DiskTotals, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	for _, img := range f.images {
		_ = img
		n += 100
	}
	return DiskTotals{policy.KindImage: n, policy.KindContainer: int64(10 * len(f.containers))}, nil
}

func imgID(n int) string { return fmt.Sprintf("sha256:%064d", n) }

func imageAction(action, ref string, id int, bytes int64, digests ...string) policy.Action {
	return policy.Action{Kind: policy.KindImage, Action: action, Ref: ref, ID: imgID(id), Rule: "image.test",
		Reason: "test", Bytes: bytes, Digests: digests}
}

// outcomes maps each action's object to "outcome: detail".
func outcomes(rep *Report) map[string]string {
	m := map[string]string{}
	for _, r := range rep.Results {
		key := r.Action.Kind + " " + r.Action.Ref + r.Action.Name
		if r.Action.Kind == policy.KindImage && r.Action.Ref == "" {
			key += policy.ShortID(r.Action.ID)
		}
		m[key] = strings.TrimSpace(r.Outcome + ": " + r.Detail)
	}
	return m
}

func TestApplyImagesAgainstFake(t *testing.T) {
	t.Parallel()
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
	f.errs["rmi boom:1"] = refused("conflict: something unexpected")
	f.errs["rmi race:1"] = changed("conflict: unable to remove repository reference \"race:1\" (must force) - container 123 is using its referenced image")

	actions := []policy.Action{
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
	}
	j := &recordingJournal{}
	rep, err := Apply(context.Background(), f, actions, Options{Command: "test", Journal: j, Measure: true, Clock: testClock})
	if err != nil {
		t.Fatal(err)
	}
	got := outcomes(rep)
	want := map[string]string{
		"image app:1":                       "untagged:",
		"image app:1b":                      "removed:",
		"image app:2":                       "untagged: only untagged: the image keeps tag extra:x, added after the plan",
		"image app:3":                       "skipped: image now used by container late",
		"image " + policy.ShortID(imgID(4)): "removed: with its digest references a/x@sha256:aa, b/y@sha256:bb",
		"image " + policy.ShortID(imgID(5)): "removed:",
		"image app:6":                       "removed: with its digest references other/app@sha256:dd",
		"image moved:1":                     "skipped: tag now names another image, " + policy.ShortID(imgID(7)),
		"image gone:1":                      "skipped: image already gone",
		"image boom:1":                      "failed: daemon: conflict: something unexpected",
		"image race:1":                      `skipped: changed since the plan (daemon: conflict: unable to remove repository reference "race:1" (must force) - container 123 is using its referenced image)`,
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
	if len(j.records) != len(actions) {
		t.Fatalf("journal has %d records for %d actions", len(j.records), len(actions))
	}
	for _, r := range j.records {
		if r.run != rep.Run || r.command != "test" || r.result.Action.ID == "" || !r.result.Time.Equal(testNow) {
			t.Errorf("journal record %+v", r)
		}
	}
}

var (
	testNow   = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	testClock = clock.Fixed(testNow)
)

// recordingJournal keeps what Apply journals.
type recordingJournal struct {
	mu      sync.Mutex
	records []journalRecord
}

type journalRecord struct {
	run, command string
	result       Result
}

func (j *recordingJournal) Record(run, command string, r Result) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.records = append(j.records, journalRecord{run, command, r})
	return nil
}

func TestApplySerialisesEachImage(t *testing.T) {
	t.Parallel()
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
	rep, err := Apply(context.Background(), f, actions, Options{Concurrency: 4, Clock: testClock})
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
	t.Parallel()
	f := newFakeDaemon()
	started := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.containers["c-exited"] = &Container{Name: "exited", State: "exited", StartedAt: started, FinishedAt: started.Add(time.Hour)}
	f.containers["c-running"] = &Container{Name: "running", State: "running", StartedAt: started}
	f.containers["c-changed"] = &Container{Name: "changed", State: "running", StartedAt: started.Add(48 * time.Hour)}
	f.containers["c-restarted"] = &Container{Name: "restarted", State: "exited", StartedAt: started.Add(48 * time.Hour), FinishedAt: started.Add(49 * time.Hour)}
	f.volumes["v1"] = Volume{CreatedAt: started}
	f.volumes["v-recreated"] = Volume{CreatedAt: started.Add(time.Hour)}
	f.volumes["v-busy"] = Volume{CreatedAt: started}
	f.errs["volume rm v-busy"] = changed("remove v-busy: volume is in use - [abc]")
	f.networks["n1"] = true

	expect := map[string]policy.Expectation{
		"c-exited":    {State: "exited", StartedAt: started, FinishedAt: started.Add(time.Hour)},
		"c-running":   {State: "running", StartedAt: started},
		"c-changed":   {State: "exited", StartedAt: started, FinishedAt: started.Add(time.Hour)},
		"c-restarted": {State: "exited", StartedAt: started, FinishedAt: started.Add(time.Hour)},
		"c-gone":      {State: "exited"},
	}
	ctr := func(id string, force, vols bool) policy.Action {
		return policy.Action{Kind: policy.KindContainer, Action: "remove", ID: id, Name: strings.TrimPrefix(id, "c-"), Rule: "container.t",
			Force: force, RemoveVolumes: vols, Bytes: 10, Expect: expect[id]}
	}
	vol := func(name string) policy.Action {
		return policy.Action{Kind: policy.KindVolume, Action: "remove", Name: name, Rule: "volume.t", Expect: policy.Expectation{CreatedAt: started}}
	}
	actions := []policy.Action{
		ctr("c-exited", false, true),
		ctr("c-running", true, false),
		ctr("c-changed", false, false),
		ctr("c-restarted", false, false),
		ctr("c-gone", false, false),
		vol("v1"),
		vol("v-recreated"),
		vol("v-busy"),
		{Kind: policy.KindNetwork, Action: "remove", Name: "net1", ID: "n1", Rule: "network.t"},
		{Kind: policy.KindNetwork, Action: "remove", Name: "net2", ID: "n2", Rule: "network.t"},
		{Kind: policy.KindBuildCache, Action: "prune", Rule: "build_cache", Bytes: 5000,
			BuildCache: &policy.BuildCacheRule{UnusedFor: 48 * time.Hour, KeepStorage: 1000, All: true}},
	}
	rep, err := Apply(context.Background(), f, actions, Options{Clock: testClock})
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
		"volume v-busy":       "skipped: changed since the plan (daemon: remove v-busy: volume is in use - [abc])",
		"network net1":        "removed:",
		"network net2":        "skipped: already gone (daemon: No such network n2)",
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
	t.Parallel()
	f := newFakeDaemon()
	f.images[imgID(1)] = &fakeImage{tags: []string{"a:1"}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := Apply(ctx, f, []policy.Action{imageAction("remove", "a:1", 1, 1)}, Options{Clock: testClock})
	if err == nil {
		t.Error("want an error for an interrupted apply")
	}
	if rep.Results[0].Outcome != OutcomeSkipped || len(f.calls) != 0 {
		t.Errorf("result %+v, calls %v", rep.Results[0], f.calls)
	}
}

func TestClassifyRemoveError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err     error
		outcome string
	}{
		{notFound("image x"), OutcomeSkipped},
		{changed("volume is in use"), OutcomeSkipped},
		{context.Canceled, OutcomeSkipped},
		{refused("unable to delete abc (must be forced) - image is referenced in multiple repositories"), OutcomeFailed},
		{fmt.Errorf("boom"), OutcomeFailed},
	} {
		if got, detail := classifyRemoveError(tt.err); got != tt.outcome {
			t.Errorf("%v: %s (%s), want %s", tt.err, got, detail, tt.outcome)
		}
	}
}
