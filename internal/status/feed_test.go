package status

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/policyfile"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/policy"
)

// fakeSource is a host in memory: the objects inspects return, and a
// count of every call, so a test can say that an event costs one inspect
// and no snapshot.
type fakeSource struct {
	mu         sync.Mutex
	lp         *policyfile.Loaded
	images     map[string]policy.Image
	containers map[string]policy.Container
	usages     map[string]docker.Usage
	calls      map[string]int
	recorded   map[string]store.ImageRecord
	events     chan docker.Event
	errs       chan error
	// stamp is the policy file's stamp; policyErr what loading it gives.
	stamp     string
	policyErr error
}

func newFakeSource(t *testing.T, in Input) *fakeSource {
	f := &fakeSource{
		lp:         &policyfile.Loaded{Policy: in.Policy, Source: policyfile.Source{Path: ""}},
		images:     map[string]policy.Image{},
		containers: map[string]policy.Container{},
		usages:     map[string]docker.Usage{},
		calls:      map[string]int{},
		recorded:   map[string]store.ImageRecord{},
		events:     make(chan docker.Event),
		errs:       make(chan error, 1),
	}
	for _, img := range in.Snapshot.Images {
		f.images[img.ID] = img
	}
	for _, c := range in.Snapshot.Containers {
		f.containers[c.ID] = c
	}
	return f
}

func (f *fakeSource) count(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[call]++
}

func (f *fakeSource) callCount(call string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[call]
}

var errNotFound = fmt.Errorf("gone: %w", apply.ErrNotFound)

func (f *fakeSource) policy(io.Writer) (*policyfile.Loaded, error) {
	f.count("policy")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.policyErr != nil {
		return nil, f.policyErr
	}
	return f.lp, nil
}
func (f *fakeSource) policyStamp(*policyfile.Loaded) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stamp
}
func (f *fakeSource) snapshot(context.Context, *policyfile.Loaded) (policy.Snapshot, *store.Host, error) {
	f.count("snapshot")
	return policy.Snapshot{}, &store.Host{}, nil
}
func (f *fakeSource) subscribe(ctx context.Context) *docker.EventStream {
	f.count("subscribe")
	return nil
}
func (f *fakeSource) image(_ context.Context, ref string) (policy.Image, error) {
	f.count("image")
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, img := range f.images {
		if img.ID == ref {
			return img, nil
		}
		for _, t := range img.Tags {
			if t == ref {
				return img, nil
			}
		}
	}
	return policy.Image{}, errNotFound
}
func (f *fakeSource) container(_ context.Context, id string) (policy.Container, error) {
	f.count("container")
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.containers[id]; ok {
		return c, nil
	}
	return policy.Container{}, errNotFound
}
func (f *fakeSource) volume(context.Context, string) (policy.Volume, error) {
	return policy.Volume{}, errNotFound
}
func (f *fakeSource) network(context.Context, string) (policy.Network, error) {
	return policy.Network{}, errNotFound
}
func (f *fakeSource) usage(_ context.Context, id string, _ bool) (docker.Usage, error) {
	f.count("usage")
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.usages[id]
	// The next sample is a second later, with the container busy half of it.
	next := u
	next.CPU += 5e8
	next.System += 1e9
	f.usages[id] = next
	return u, nil
}
func (f *fakeSource) recordArrivals(_ context.Context, _ string, arrivals map[string]store.ImageRecord, _ time.Time) map[string]store.ImageRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, r := range arrivals {
		f.recorded[id] = r
	}
	return arrivals
}
func (f *fakeSource) watcher(string) Watcher { f.count("watcher"); return Watcher{} }

// nextDoc waits for the next Document the feed sends, skipping other
// messages into the returned list.
func nextDoc(t *testing.T, out <-chan any) *Document {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case msg := <-out:
			if d, ok := msg.(dataMsg); ok {
				return d.doc
			}
		case <-deadline:
			t.Fatal("no Document from the feed")
		}
	}
}

func rowOf(doc *Document, ref string) *ImageRow {
	for i := range doc.Images {
		if doc.Images[i].Ref == ref || doc.Images[i].Repository+":"+doc.Images[i].Tag == ref {
			return &doc.Images[i]
		}
	}
	return nil
}

func containerOf(doc *Document, name string) *ContainerRow {
	for i := range doc.Containers {
		if doc.Containers[i].Name == name {
			return &doc.Containers[i]
		}
	}
	return nil
}

// runFeed runs a feed at pace p on testInput's host, in memory: stop it
// with cancel, and done closes when it has stopped.
func runFeed(t *testing.T, p pace) (src *fakeSource, f *feed, out chan any, cancel context.CancelFunc, done chan struct{}) {
	return runFeedOn(t, p, "")
}

// runFeedOn is runFeed with the daemon saying it is engine ("" as in
// testInput).
func runFeedOn(t *testing.T, p pace, engine string) (src *fakeSource, f *feed, out chan any, cancel context.CancelFunc, done chan struct{}) {
	in := testInput(t)
	if engine != "" {
		in.Daemon.Engine = engine
	}
	src = newFakeSource(t, in)
	out = make(chan any, 64)
	f = newFeed(src, out, clock.Fixed(testNow), func(t time.Time) time.Time { return t }, p)
	f.start(src.lp, in.Snapshot, &store.Host{Daemon: in.Daemon, Dir: "/nowhere"})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done = make(chan struct{})
	go func() { defer close(done); f.run(ctx, docker.NewEventStream(src.events, src.errs, func() {})) }()
	return src, f, out, cancel, done
}

// An event re-reads the one object it names and the plan follows: a
// container that appears, one that goes, a tag that moves, an image that
// arrives (recorded in the state as the watcher would) and one deleted;
// never a snapshot of the whole host.
func TestFeedFollowsEvents(t *testing.T) {
	p := defaultPace
	p.debounce = 10 * time.Millisecond
	src, f, out, cancel, done := runFeed(t, p)

	doc := nextDoc(t, out) // the first plan, at once
	if len(doc.Containers) != 3 || rowOf(doc, "app:pr-2").Verdict != policy.VerdictKeep {
		t.Fatalf("first Document: %d containers, app:pr-2 %+v", len(doc.Containers), rowOf(doc, "app:pr-2"))
	}

	// A container appears: one inspect.
	src.mu.Lock()
	src.containers["c4"] = policy.Container{ID: "c4", Name: "new-job", Image: "app:pr-2", ImageID: "sha256:2222bbbb2222bbbb",
		State: policy.StateExited, Created: testNow.Add(-8 * time.Hour), FinishedAt: testNow.Add(-7 * time.Hour)}
	src.mu.Unlock()
	src.events <- docker.Event{Type: "container", Action: "create", ID: "c4"}
	doc = nextDoc(t, out)
	if c := containerOf(doc, "new-job"); c == nil || c.Verdict != policy.VerdictRemove {
		t.Errorf("the new container: %+v", c)
	}
	// Its image is in use now, unless the plan removes the container too
	// (it does: exited 7h ago, older than 6h).
	if r := rowOf(doc, "app:pr-2"); r.Containers != 1 {
		t.Errorf("app:pr-2 after the container: %+v", r)
	}

	// A container goes: no inspect at all.
	before := src.callCount("container")
	src.events <- docker.Event{Type: "container", Action: "destroy", ID: "c2c2c2c2c2c2c2c2"}
	doc = nextDoc(t, out)
	if containerOf(doc, "job-17") != nil || src.callCount("container") != before {
		t.Errorf("job-17 still there, or inspected: %d inspects", src.callCount("container")-before)
	}

	// A tag moves to a new image that arrives: the tag leaves its old
	// image, the new one is recorded as arrived at the event's time.
	arrived := testNow.Add(-time.Minute)
	src.mu.Lock()
	src.images["sha256:7777"] = policy.Image{ID: "sha256:7777", Tags: []string{"app:pr-2"}, Created: testNow.Add(-time.Hour), Size: 1e6, UniqueSize: -1}
	src.mu.Unlock()
	src.events <- docker.Event{Type: "image", Action: "tag", ID: "sha256:7777", Name: "app:pr-2", Time: arrived}
	doc = nextDoc(t, out)
	if r := rowOf(doc, "app:pr-2"); r == nil || r.ID != "sha256:7777" {
		t.Errorf("app:pr-2 after the tag moved: %+v", r)
	}
	if r := src.recorded["sha256:7777"]; !r.FirstSeen.Equal(arrived) || r.FirstSeenLowerBound {
		t.Errorf("the arrival was recorded as %+v", r)
	}
	var oldImage *ImageRow
	for i := range doc.Images {
		if doc.Images[i].ID == "sha256:2222bbbb2222bbbb" {
			oldImage = &doc.Images[i]
		}
	}
	if oldImage == nil || oldImage.Ref != "" {
		t.Errorf("the old image of app:pr-2: %+v, want it untagged", oldImage)
	}

	// An image is deleted: gone without an inspect.
	before = src.callCount("image")
	src.events <- docker.Event{Type: "image", Action: "delete", ID: "sha256:6666ffff6666ffff"}
	doc = nextDoc(t, out)
	for _, r := range doc.Images {
		if r.ID == "sha256:6666ffff6666ffff" {
			t.Error("the deleted image is still shown")
		}
	}
	if src.callCount("image") != before || src.callCount("snapshot") != 0 {
		t.Errorf("image inspects %d, snapshots %d: events must not list the host", src.callCount("image")-before, src.callCount("snapshot"))
	}

	// Resource use: only for the containers asked for, memory at once,
	// CPU from the second sample.
	src.mu.Lock()
	src.usages["c1c1c1c1c1c1c1c1"] = docker.Usage{CPU: 1e9, System: 1e12, CPUs: 2, Memory: 64e6, MemoryLimit: 1e9}
	src.mu.Unlock()
	f.requestUsage([]string{"c1c1c1c1c1c1c1c1"})
	var u Usage
	deadline := time.After(10 * time.Second)
	for u.CPUPercent == nil {
		select {
		case msg := <-out:
			if um, ok := msg.(usageMsg); ok {
				u = um["c1c1c1c1c1c1c1c1"]
				if u.Memory == nil || *u.Memory != 64e6 {
					t.Fatalf("memory %v", u.Memory)
				}
			}
		case <-deadline:
			t.Fatal("no CPU figure")
		}
	}
	if *u.CPUPercent != 100 { // half a CPU's time of one CPU's worth, on 2 CPUs
		t.Errorf("CPU %v%%, want 100%%", *u.CPUPercent)
	}
	if src.callCount("usage") != 2 {
		t.Errorf("%d statistics calls, want 2", src.callCount("usage"))
	}

	// The stream ends (the daemon went away): the program is told.
	src.errs <- io.EOF
	deadline = time.After(10 * time.Second)
	for {
		select {
		case msg := <-out:
			if c, ok := msg.(connMsg); ok && !c.live {
				cancel()
				<-done
				return
			}
		case <-deadline:
			t.Fatal("not told the daemon is gone")
		}
	}
}

// An edit of the policy file is seen within a poll: the plan is made again
// with the new policy, without a snapshot; a broken edit is reported and
// the previous policy stays.
func TestFeedReloadsThePolicy(t *testing.T) {
	p := defaultPace
	p.poll = 20 * time.Millisecond
	src, _, out, cancel, done := runFeed(t, p)
	nextDoc(t, out)

	edited, diags := policy.NewLoader().Load("policy.hcl", []byte(`image "all" {
  match = ["**:*"]
}
`))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	src.mu.Lock()
	src.lp = &policyfile.Loaded{Policy: edited}
	src.stamp = "edited"
	src.mu.Unlock()
	doc := nextDoc(t, out)
	if len(doc.Rules) != 2 || doc.Rules[0].Rule != "image.all" { // and builtin.in_use
		t.Errorf("rules after the edit: %+v", doc.Rules)
	}

	src.mu.Lock()
	src.policyErr = fmt.Errorf("policy policy.hcl has 1 error: nothing was done")
	src.stamp = "broken"
	src.mu.Unlock()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case msg := <-out:
			if n, ok := msg.(noticeMsg); ok && n.err {
				if !strings.Contains(n.text, "policy not loaded, the previous one stays") {
					t.Errorf("notice %q", n.text)
				}
				if src.callCount("snapshot") != 0 {
					t.Error("a policy edit took a snapshot")
				}
				cancel()
				<-done
				return
			}
		case <-deadline:
			t.Fatal("the broken policy was not reported")
		}
	}
}

// Podman says delete when it only untags, and does not say what a load
// loaded: there a delete is read, and a load takes a full snapshot.
func TestFeedOnPodman(t *testing.T) {
	p := defaultPace
	p.debounce = 10 * time.Millisecond
	src, _, out, _, _ := runFeedOn(t, p, docker.EnginePodman)
	nextDoc(t, out)

	// An image still there after its delete event stays, untagged.
	src.mu.Lock()
	img := src.images["sha256:6666ffff6666ffff"]
	img.Tags = nil
	src.images[img.ID] = img
	src.mu.Unlock()
	src.events <- docker.Event{Type: "image", Action: "delete", ID: img.ID}
	doc := nextDoc(t, out)
	found := false
	for _, r := range doc.Images {
		found = found || r.ID == img.ID
	}
	if !found || src.callCount("image") != 1 {
		t.Errorf("an image Podman only untagged: shown %v, %d inspects", found, src.callCount("image"))
	}

	// Gone for real: forgotten.
	src.mu.Lock()
	delete(src.images, img.ID)
	src.mu.Unlock()
	src.events <- docker.Event{Type: "image", Action: "delete", ID: img.ID}
	doc = nextDoc(t, out)
	for _, r := range doc.Images {
		if r.ID == img.ID {
			t.Error("the deleted image is still shown")
		}
	}

	// A load that names nothing: one full snapshot.
	src.events <- docker.Event{Type: "image", Action: "load"}
	deadline := time.After(10 * time.Second)
	for src.callCount("snapshot") == 0 {
		select {
		case <-out:
		case <-deadline:
			t.Fatal("a load that names nothing took no snapshot")
		}
	}
}
