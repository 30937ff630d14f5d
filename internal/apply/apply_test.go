package apply

import (
	"context"
	"errors"
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
	// lost makes a removal call take effect and then fail, as when the
	// daemon dies before it answers: call -> error.
	lost map[string]error
	// down makes every later inspect fail: the daemon is gone.
	down bool
	// inFlight counts removal calls in progress per image, to catch
	// concurrent removals of one image.
	inFlight   map[string]int
	overlapped []string
}

type fakeImage struct {
	tags, digests []string
	users         []string
	parent        string
}

func newFakeDaemon() *fakeDaemon {
	return &fakeDaemon{
		images:     map[string]*fakeImage{},
		containers: map[string]*Container{},
		volumes:    map[string]Volume{},
		networks:   map[string]bool{},
		errs:       map[string]error{},
		lost:       map[string]error{},
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

// errDown is what every call gets from a daemon that is gone.
var errDown = errors.New("cannot connect to the Docker daemon")

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
	if f.down {
		return Image{}, errDown
	}
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
	if f.down {
		return Container{}, errDown
	}
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
	if f.hasChildren(id) {
		if ref == id {
			return out, changed("conflict: unable to delete " + policy.ShortID(id) + " (cannot be forced) - image has dependent child images")
		}
		return out, nil // untagged; the children keep it
	}
	delete(f.images, id)
	out.Deleted = []string{id}
	// Untagged parents go with it, as PruneChildren does.
	for p := img.parent; p != ""; {
		pimg := f.images[p]
		if pimg == nil || len(pimg.tags) > 0 || f.hasChildren(p) {
			break
		}
		delete(f.images, p)
		out.Deleted = append(out.Deleted, p)
		p = pimg.parent
	}
	if err := f.lost["rmi "+ref]; err != nil {
		return ImageRemoval{}, err
	}
	return out, nil
}

func (f *fakeDaemon) hasChildren(id string) bool {
	for _, img := range f.images {
		if img.parent == id {
			return true
		}
	}
	return false
}

func (f *fakeDaemon) InspectVolume(_ context.Context, name string) (Volume, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return Volume{}, errDown
	}
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

func (f *fakeDaemon) InspectNetwork(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errDown
	}
	if !f.networks[id] {
		return notFound("network " + id)
	}
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
	act := policy.Action{Kind: policy.KindImage, Action: action, Ref: ref, ID: imgID(id), Rule: "image.test",
		Reason: "test", Bytes: bytes}
	if digests != nil {
		act.Image = &policy.ImageInfo{Digests: digests}
	}
	return act
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
	// log is every call, in order: "begin N", "intent SEQ", "outcome SEQ
	// OUTCOME", "end".
	log []string
	// failIntent makes every Intend fail, as a full disk would.
	failIntent bool
}

type journalRecord struct {
	run, command string
	result       Result
}

func (j *recordingJournal) Record(run, command string, r Result) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.records = append(j.records, journalRecord{run, command, r})
	j.log = append(j.log, fmt.Sprintf("outcome %d %s", r.Seq, r.Outcome))
	return nil
}

func (j *recordingJournal) Begin(run, command string, actions int) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.log = append(j.log, fmt.Sprintf("begin %d", actions))
	return nil
}

func (j *recordingJournal) Intend(run, command string, seq int, act policy.Action) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.failIntent {
		return errors.New("disk full")
	}
	j.log = append(j.log, fmt.Sprintf("intent %d", seq))
	return nil
}

func (j *recordingJournal) End(run, command string, s Summary) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.log = append(j.log, "end")
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
			Force: force, RemoveVolumes: vols, Bytes: 10, Expect: new(expect[id])}
	}
	vol := func(name string) policy.Action {
		return policy.Action{Kind: policy.KindVolume, Action: "remove", Name: name, Rule: "volume.t", Expect: &policy.Expectation{CreatedAt: started}}
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

// The journal hears of a run in order: its beginning, then for each action
// that changes the host an intent before its outcome, then its end. An
// action skipped before any call has an outcome and no intent.
func TestApplyJournalsIntentsBeforeOutcomes(t *testing.T) {
	t.Parallel()
	f := newFakeDaemon()
	f.images[imgID(1)] = &fakeImage{tags: []string{"a:1"}}
	f.containers["c1"] = &Container{Name: "c1", State: "exited"}
	j := &recordingJournal{}
	actions := []policy.Action{
		{Kind: policy.KindContainer, Action: "remove", ID: "c1", Name: "c1", Expect: &policy.Expectation{State: "exited"}},
		imageAction("remove", "a:1", 1, 10),
		imageAction("remove", "gone:1", 2, 10), // skipped at its re-check: no intent
	}
	if _, err := Apply(context.Background(), f, actions, Options{Command: "test", Journal: j, Clock: testClock}); err != nil {
		t.Fatal(err)
	}
	// Images go in parallel: order only within each action.
	at := func(s string) int { return slices.Index(j.log, s) }
	switch {
	case len(j.log) != 7 || j.log[0] != "begin 3" || j.log[6] != "end":
		t.Errorf("journal calls %v: want begin first and end last, 7 in all", j.log)
	case at("intent 0") > at("outcome 0 removed") || at("intent 0") < 0:
		t.Errorf("container: %v", j.log)
	case at("intent 1") > at("outcome 1 removed") || at("intent 1") < 0:
		t.Errorf("image a:1: %v", j.log)
	case at("outcome 2 skipped") < 0 || at("intent 2") >= 0:
		t.Errorf("gone:1 has an intent, or no outcome: %v", j.log)
	}
}

// When the journal cannot take an intent (a full disk), the removal is
// not sent: nothing changes that the journal did not record first.
func TestApplySendsNothingTheJournalDidNotRecord(t *testing.T) {
	t.Parallel()
	f := newFakeDaemon()
	f.images[imgID(1)] = &fakeImage{tags: []string{"a:1"}}
	j := &recordingJournal{failIntent: true}
	rep, err := Apply(context.Background(), f, []policy.Action{imageAction("remove", "a:1", 1, 10)},
		Options{Journal: j, Clock: testClock})
	if err == nil {
		t.Error("want the journal's error")
	}
	for _, c := range f.calls {
		if strings.HasPrefix(c, "rmi") {
			t.Errorf("removal sent without an intent: %v", f.calls)
		}
	}
	if got := outcomes(rep)["image a:1"]; got != "skipped: not attempted: the journal cannot be written" {
		t.Errorf("result %q", got)
	}
}

// A removal whose answer is lost (the daemon died in the middle) is looked
// at again: gone is removed, still there is failed, and a daemon that
// cannot be asked makes the outcome unknown, and the run stays open in the
// journal for the next one to reconcile.
func TestApplySettlesLostAnswers(t *testing.T) {
	t.Parallel()
	dropped := errors.New("connection reset by peer")
	f := newFakeDaemon()
	f.images[imgID(1)] = &fakeImage{tags: []string{"took:1"}}
	f.images[imgID(2)] = &fakeImage{tags: []string{"kept:1"}}
	f.lost["rmi took:1"] = dropped
	f.errs["rmi kept:1"] = dropped
	j := &recordingJournal{}
	rep, err := Apply(context.Background(), f, []policy.Action{
		imageAction("remove", "took:1", 1, 10),
		imageAction("remove", "kept:1", 2, 10),
	}, Options{Journal: j, Clock: testClock})
	if err != nil {
		t.Fatal(err)
	}
	got := outcomes(rep)
	if !strings.HasPrefix(got["image took:1"], "removed: the image is gone (the call itself failed: connection reset by peer)") {
		t.Errorf("took:1: %q", got["image took:1"])
	}
	if got["image kept:1"] != "failed: daemon: connection reset by peer" {
		t.Errorf("kept:1: %q", got["image kept:1"])
	}
	if rep.Summary.Removed != 1 || rep.Summary.Failed != 1 || rep.Summary.ReclaimedBytes != 10 {
		t.Errorf("summary %+v", rep.Summary)
	}

	// The daemon is gone after the call: unknown.
	f = newFakeDaemon()
	f.images[imgID(1)] = &fakeImage{tags: []string{"took:1"}}
	f.lost["rmi took:1"] = dropped
	f.errs["rmi took:1"] = nil
	j = &recordingJournal{}
	fd := &downAfterRemoval{fakeDaemon: f}
	rep, _ = Apply(context.Background(), fd, []policy.Action{imageAction("remove", "took:1", 1, 10)},
		Options{Journal: j, Clock: testClock})
	if rep.Results[0].Outcome != OutcomeUnknown || rep.Summary.Unknown != 1 {
		t.Errorf("result %+v, summary %+v: want unknown", rep.Results[0], rep.Summary)
	}
	if slices.Contains(j.log, "end") {
		t.Errorf("the run was ended with an unknown outcome: %v", j.log)
	}
}

// downAfterRemoval is a daemon that goes away once it has removed an image.
type downAfterRemoval struct{ *fakeDaemon }

func (d *downAfterRemoval) RemoveImageRef(ctx context.Context, ref string) (ImageRemoval, error) {
	out, err := d.fakeDaemon.RemoveImageRef(ctx, ref)
	d.mu.Lock()
	d.down = true
	d.mu.Unlock()
	return out, err
}

// A child's removal that takes its untagged parent with it says so.
func TestApplyReportsParentsDeletedWithAChild(t *testing.T) {
	t.Parallel()
	f := newFakeDaemon()
	f.images[imgID(1)] = &fakeImage{} // an untagged parent
	f.images[imgID(2)] = &fakeImage{tags: []string{"child:1"}, parent: imgID(1)}
	act := imageAction("remove", "child:1", 2, 10)
	act.Image = &policy.ImageInfo{UntaggedParents: []string{imgID(1)}}
	rep, err := Apply(context.Background(), f, []policy.Action{act}, Options{Clock: testClock})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if r.Outcome != OutcomeRemoved || !slices.Equal(r.Deleted, []string{imgID(1)}) ||
		!strings.Contains(r.Detail, "also deleted untagged parent image "+policy.ShortID(imgID(1))) {
		t.Errorf("result %+v", r)
	}
}

// Reconcile tells what an interrupted run's intents came to.
func TestReconcile(t *testing.T) {
	t.Parallel()
	f := newFakeDaemon()
	f.images[imgID(1)] = &fakeImage{tags: []string{"still:1"}}
	f.images[imgID(3)] = &fakeImage{tags: []string{"other:1"}}
	f.containers["c-there"] = &Container{Name: "there"}
	intents := []Intent{
		{Seq: 0, Action: imageAction("remove", "gone:1", 2, 10)},  // the image is gone: removed
		{Seq: 1, Action: imageAction("remove", "still:1", 1, 10)}, // as planned: not done
		{Seq: 2, Action: imageAction("untag", "moved:1", 3, 0)},   // the tag is gone: untagged
		{Seq: 3, Action: policy.Action{Kind: policy.KindContainer, Action: "remove", ID: "c-there"}},
		{Seq: 4, Action: policy.Action{Kind: policy.KindBuildCache, Action: "prune"}}, // cannot tell
	}
	rs := Reconcile(context.Background(), f, intents, testClock)
	var got []string
	for _, r := range rs {
		got = append(got, fmt.Sprintf("%d %s", r.Seq, r.Outcome))
	}
	want := []string{"0 removed", "1 skipped", "2 untagged", "3 skipped", "4 unknown"}
	if !slices.Equal(got, want) {
		t.Errorf("reconciled %v, want %v", got, want)
	}
	if rs[0].Bytes != 10 {
		t.Errorf("a reconciled removal frees the plan's bytes: %+v", rs[0])
	}
}

// A parent and its child in one plan: the child goes first, so the
// parent goes by its own removal and each result says what happened to
// its image. (Untagged first, the parent would have gone with the child's
// removal, reported as only untagged.)
func TestApplyRemovesChildrenBeforeParents(t *testing.T) {
	t.Parallel()
	f := newFakeDaemon()
	f.images[imgID(1)] = &fakeImage{tags: []string{"pc-base:1"}}
	f.images[imgID(2)] = &fakeImage{tags: []string{"pc-mid:1"}, parent: imgID(1)}
	f.images[imgID(3)] = &fakeImage{tags: []string{"pc-top:1"}, parent: imgID(2)}
	withParent := func(a policy.Action, parent int) policy.Action {
		a.Parent = imgID(parent)
		return a
	}
	// In plan order the parents come first, as a plan sorts them.
	actions := []policy.Action{
		imageAction("remove", "pc-base:1", 1, 10),
		withParent(imageAction("remove", "pc-mid:1", 2, 20), 1),
		withParent(imageAction("remove", "pc-top:1", 3, 30), 2),
	}
	rep, err := Apply(context.Background(), f, actions, Options{Concurrency: 4, Clock: testClock})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Outcome != OutcomeRemoved || r.Detail != "" || len(r.Deleted) != 0 {
			t.Errorf("%s: %s %q deleted %v: want removed by its own removal", r.Action.Ref, r.Outcome, r.Detail, r.Deleted)
		}
	}
	if len(f.images) != 0 || rep.Summary.ReclaimedBytes != 60 {
		t.Errorf("%d images left, %d bytes reclaimed", len(f.images), rep.Summary.ReclaimedBytes)
	}
	want := []string{"rmi pc-top:1", "rmi pc-mid:1", "rmi pc-base:1"}
	var got []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, "rmi") {
			got = append(got, c)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("removal order %v, want %v", got, want)
	}
}

// A volume planned with its container (remove_volumes) is removed by the
// container's removal: prune confirms it is gone and reports it removed,
// with its bytes; when the container stays, so does the volume; when the
// daemon kept it, it is removed on its own.
func TestApplyVolumesWithTheirContainer(t *testing.T) {
	t.Parallel()
	f := newFakeDaemon()
	started := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exp := policy.Expectation{State: "exited", StartedAt: started, FinishedAt: started.Add(time.Hour)}
	f.containers["c-job"] = &Container{Name: "job", State: "exited", StartedAt: started, FinishedAt: started.Add(time.Hour)}
	f.containers["c-kept"] = &Container{Name: "kept", State: "exited", StartedAt: started, FinishedAt: started.Add(time.Hour)}
	f.containers["c-old"] = &Container{Name: "old", State: "exited", StartedAt: started, FinishedAt: started.Add(time.Hour)}
	f.errs["rm force=false v=true c-kept"] = refused("conflict")
	f.volumes["anon-kept"] = Volume{CreatedAt: started}
	f.volumes["anon-left"] = Volume{CreatedAt: started} // the daemon did not remove it with c-old
	ctr := func(id string) policy.Action {
		return policy.Action{Kind: policy.KindContainer, Action: "remove", ID: id, Name: strings.TrimPrefix(id, "c-"), Rule: "container.t",
			RemoveVolumes: true, Expect: &exp}
	}
	vol := func(name, with string) policy.Action {
		return policy.Action{Kind: policy.KindVolume, Action: "remove", Name: name, Rule: "container.t", Bytes: 700,
			WithContainer: with, Expect: &policy.Expectation{CreatedAt: started}}
	}
	rep, err := Apply(context.Background(), f, []policy.Action{
		ctr("c-job"), ctr("c-kept"), ctr("c-old"),
		vol("anon-job", "c-job"), vol("anon-kept", "c-kept"), vol("anon-left", "c-old"),
	}, Options{Clock: testClock})
	if err != nil {
		t.Fatal(err)
	}
	got := outcomes(rep)
	for k, w := range map[string]string{
		"volume anon-job":  "removed: with container job",
		"volume anon-kept": "skipped: its container kept was not removed (failed): the volume stays with it",
		"volume anon-left": "removed:",
	} {
		if got[k] != w {
			t.Errorf("%s: got %q\n want %q", k, got[k], w)
		}
	}
	if slices.Contains(f.calls, "volume rm anon-job") || !slices.Contains(f.calls, "volume rm anon-left") {
		t.Errorf("calls %v: want no removal of anon-job, one of anon-left", f.calls)
	}
	var vols KindSummary
	for _, k := range rep.Summary.Kinds {
		if k.Kind == policy.KindVolume {
			vols = k
		}
	}
	if vols.Removed != 2 || vols.Skipped != 1 || vols.ReclaimedBytes != 1400 {
		t.Errorf("volumes summary %+v", vols)
	}
}
