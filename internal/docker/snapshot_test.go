package docker

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
)

const (
	idBase     = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	idStep     = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	idBuilt    = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
	idDangling = "sha256:4444444444444444444444444444444444444444444444444444444444444444"
	idMulti    = "sha256:5555555555555555555555555555555555555555555555555555555555555555"
)

func TestImagesFromList(t *testing.T) {
	t.Parallel()
	items := []image.Summary{
		{ID: idBase, RepoTags: []string{"base:1"}, Created: 1_700_000_000, Size: 100, SharedSize: -1, Containers: -1},
		// An intermediate build step: untagged, with a child. Not dangling.
		{ID: idStep, ParentID: idBase, RepoTags: []string{"<none>:<none>"}, RepoDigests: []string{"<none>@<none>"}, Size: 110, SharedSize: -1},
		{ID: idBuilt, ParentID: idStep, RepoTags: []string{"built:1"}, Size: 120, SharedSize: -1, Labels: map[string]string{"a": "b"}},
		// A dangling image: untagged, no child.
		{ID: idDangling, ParentID: idStep, RepoTags: []string{"<none>:<none>"}, Size: 115, SharedSize: 110},
		{ID: idMulti, RepoTags: []string{"app:v3", "app:latest", "localhost:5000/app:dev"},
			RepoDigests: []string{"app@sha256:abcd"}, Size: 200, SharedSize: -1, Created: 0},
	}
	unique := map[string]int64{idBase: 0, idBuilt: 10, idMulti: 200}

	got := imagesFromList(items, unique)
	want := []policy.Image{
		{ID: idBase, Tags: []string{"base:1"}, Created: time.Unix(1_700_000_000, 0).UTC(), Size: 100, UniqueSize: 0, HasChildren: true},
		// Their parent is the intermediate step, left out: the nearest
		// ancestor the snapshot holds stands for it.
		{ID: idBuilt, ParentID: idBase, UntaggedParents: []string{idStep}, Tags: []string{"built:1"}, Size: 120, UniqueSize: 10, Labels: map[string]string{"a": "b"}},
		{ID: idDangling, ParentID: idBase, UntaggedParents: []string{idStep}, Size: 115, UniqueSize: 5}, // from the list's SharedSize
		{ID: idMulti, Tags: []string{"app:v3", "app:latest", "localhost:5000/app:dev"}, Digests: []string{"app@sha256:abcd"},
			Size: 200, UniqueSize: 200},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("imagesFromList:\n got %+v\nwant %+v", got, want)
	}
}

func TestImagesFromListUnknownSizeAndDuplicates(t *testing.T) {
	t.Parallel()
	items := []image.Summary{
		{ID: idMulti, RepoTags: []string{"app:v1"}, Size: 200, SharedSize: -1},
		{ID: idMulti, RepoTags: []string{"app:v1", "app:v2"}, Size: 200, SharedSize: -1},
	}
	got := imagesFromList(items, nil)
	if len(got) != 1 {
		t.Fatalf("got %d images, want one per ID", len(got))
	}
	if !reflect.DeepEqual(got[0].Tags, []string{"app:v1", "app:v2"}) {
		t.Errorf("tags = %v, want both entries' tags once", got[0].Tags)
	}
	if got[0].UniqueSize != -1 {
		t.Errorf("UniqueSize = %d, want -1 (unknown)", got[0].UniqueSize)
	}
}

func TestUniqueSizes(t *testing.T) {
	t.Parallel()
	got := uniqueSizes([]image.Summary{
		{ID: "a", Size: 100, SharedSize: 40},
		{ID: "b", Size: 100, SharedSize: -1},
	})
	if !reflect.DeepEqual(got, map[string]int64{"a": 60}) {
		t.Errorf("uniqueSizes = %v", got)
	}
}

func TestContainersFromList(t *testing.T) {
	t.Parallel()
	items := []container.Summary{
		{
			ID: "c1", Names: []string{"/app/db", "/db"}, Image: "postgres:16", ImageID: idBase,
			State: container.StateExited, Created: 1_700_000_000, Labels: map[string]string{"x": "y"},
			Mounts: []container.MountPoint{
				{Type: mount.TypeVolume, Name: "pgdata"},
				{Type: mount.TypeBind, Source: "/srv"},
				{Type: mount.TypeVolume, Name: "pgdata"},
			},
			NetworkSettings: &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{
				"bridge": {NetworkID: "net-bridge"},
			}},
		},
		{
			// Never started: its networks are listed by name, with no ID.
			ID: "c2", Names: []string{"/job"}, State: container.StateCreated,
			NetworkSettings: &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{
				"ci_1": {}, "gone": {},
			}},
		},
		{ID: "c3", Names: []string{"/plain"}, State: container.StateRunning, SizeRw: 7},
	}
	got := containersFromList(items, map[string]int64{"c1": 4096}, map[string]string{"ci_1": "net-ci", "bridge": "net-bridge"})
	want := []policy.Container{
		{ID: "c1", Name: "db", Image: "postgres:16", ImageID: idBase, State: "exited", Labels: map[string]string{"x": "y"},
			Created: time.Unix(1_700_000_000, 0).UTC(), SizeRw: 4096, Volumes: []string{"pgdata"}, Networks: []string{"net-bridge"}},
		{ID: "c2", Name: "job", State: "created", Networks: []string{"net-ci"}},
		{ID: "c3", Name: "plain", State: "running", SizeRw: 7},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("containersFromList:\n got %+v\nwant %+v", got, want)
	}
}

func TestApplyContainerInspect(t *testing.T) {
	t.Parallel()
	c := policy.Container{ID: "c1", State: "running", Created: time.Unix(1_700_000_000, 0).UTC()}
	applyContainerInspect(&c, container.InspectResponse{
		Created: "2026-11-20T10:00:00.123456789Z",
		State: &container.State{
			Status:     container.StateExited,
			StartedAt:  "2026-11-20T10:00:01Z",
			FinishedAt: "2026-11-20T11:00:00Z",
		},
	})
	want := policy.Container{
		ID: "c1", State: "exited",
		Created:    time.Date(2026, 11, 20, 10, 0, 0, 123456789, time.UTC),
		StartedAt:  time.Date(2026, 11, 20, 10, 0, 1, 0, time.UTC),
		FinishedAt: time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC),
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("applyContainerInspect:\n got %+v\nwant %+v", c, want)
	}

	never := policy.Container{ID: "c2", State: "created"}
	applyContainerInspect(&never, container.InspectResponse{State: &container.State{
		Status: container.StateCreated, StartedAt: "0001-01-01T00:00:00Z", FinishedAt: "0001-01-01T00:00:00Z",
	}})
	if !never.StartedAt.IsZero() || !never.FinishedAt.IsZero() {
		t.Errorf("a container never started has times %v, %v; want zero", never.StartedAt, never.FinishedAt)
	}
}

func TestApplyImageInspect(t *testing.T) {
	t.Parallel()
	img := policy.Image{ID: idBase, Created: time.Unix(1_700_000_000, 0).UTC()}
	tagged := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	res := image.InspectResponse{Created: "2023-11-14T22:13:20.5Z"}
	res.Metadata.LastTagTime = tagged
	applyImageInspect(&img, res)
	if !img.LastTagTime.Equal(tagged) {
		t.Errorf("LastTagTime = %v, want %v", img.LastTagTime, tagged)
	}
	if want := time.Date(2023, 11, 14, 22, 13, 20, 5e8, time.UTC); !img.Created.Equal(want) {
		t.Errorf("Created = %v, want %v", img.Created, want)
	}
}

func TestVolumesFromList(t *testing.T) {
	t.Parallel()
	hex := strings.Repeat("0123456789abcdef", 4)
	items := []volume.Volume{
		{Name: "pgdata", CreatedAt: "2026-11-01T00:00:00Z"},
		{Name: hex},
		{Name: strings.ToUpper(hex)}, // not generated: the daemon writes lowercase
		{Name: "labelled", Labels: map[string]string{anonymousVolumeLabel: ""}},
	}
	sizes := volumeSizes([]volume.Volume{
		{Name: "pgdata", UsageData: &volume.UsageData{Size: 1024, RefCount: 1}},
		{Name: hex, UsageData: &volume.UsageData{Size: -1}},
	})
	got := volumesFromList(items, sizes, namesMarkAnonymous("1.41"))
	want := []policy.Volume{
		{Name: "pgdata", CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Size: 1024},
		{Name: hex, Anonymous: true, Size: -1},
		{Name: strings.ToUpper(hex), Size: -1},
		{Name: "labelled", Labels: map[string]string{anonymousVolumeLabel: ""}, Anonymous: true, Size: -1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("volumesFromList (API 1.41):\n got %+v\nwant %+v", got, want)
	}

	// From API 1.42 the daemon labels anonymous volumes, so an unlabelled
	// generated name is a volume a user created without a name: not anonymous.
	got = volumesFromList(items, sizes, namesMarkAnonymous("1.42"))
	want[1].Anonymous = false
	if !reflect.DeepEqual(got, want) {
		t.Errorf("volumesFromList (API 1.42):\n got %+v\nwant %+v", got, want)
	}
}

func TestNetworksAndBuildCache(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	nets := networksFromList([]network.Summary{{Network: network.Network{
		ID: "n1", Name: "ci_1", Driver: "bridge", Scope: "local", Created: created, Labels: map[string]string{"k": "v"},
	}}})
	if want := []policy.Network{{ID: "n1", Name: "ci_1", Driver: "bridge", Scope: "local", Created: created, Labels: map[string]string{"k": "v"}}}; !reflect.DeepEqual(nets, want) {
		t.Errorf("networksFromList = %+v, want %+v", nets, want)
	}

	used := created.Add(time.Hour)
	bc := buildCacheFromDiskUsage([]build.CacheRecord{
		{ID: "r1", Size: 10, InUse: true, CreatedAt: created, LastUsedAt: &used},
		{ID: "r2", Size: 20, Shared: true, CreatedAt: created},
	})
	want := policy.BuildCache{Records: []policy.CacheRecord{
		{ID: "r1", Size: 10, InUse: true, CreatedAt: created, LastUsedAt: used},
		{ID: "r2", Size: 20, Shared: true, CreatedAt: created},
	}}
	if !reflect.DeepEqual(bc, want) {
		t.Errorf("buildCacheFromDiskUsage = %+v, want %+v", bc, want)
	}
}

func TestParseAPITime(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Time{
		"2026-11-20T10:00:00.5Z": time.Date(2026, 11, 20, 10, 0, 0, 5e8, time.UTC),
		"0001-01-01T00:00:00Z":   {},
		"":                       {},
		"garbage":                {},
	} {
		if got := parseAPITime(in); !got.Equal(want) {
			t.Errorf("parseAPITime(%q) = %v, want %v", in, got, want)
		}
	}
}

// fakeAPI serves a fixed host. Objects named in gone vanish between the
// list and the inspect.
type fakeAPI struct {
	images     []image.Summary
	containers []container.Summary
	gone       map[string]bool
	failDU     int // DiskUsage calls that fail as "already running"
	listErr    error
	// events is the daemon's event buffer; lastTag the images' last tag
	// times (a fixed time for those not in it); du, when set, the disk
	// usage.
	events  []events.Message
	lastTag map[string]time.Time
	du      *client.DiskUsageResult

	mu    sync.Mutex
	calls map[string]int
}

func (f *fakeAPI) ClientVersion() string { return "1.41" }

func (f *fakeAPI) count(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[call]++
}

func (f *fakeAPI) ImageList(context.Context, client.ImageListOptions) (client.ImageListResult, error) {
	f.count("ImageList")
	return client.ImageListResult{Items: f.images}, f.listErr
}

func (f *fakeAPI) ImageInspect(_ context.Context, id string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	f.count("ImageInspect " + id)
	if f.gone[id] {
		return client.ImageInspectResult{}, cerrdefs.ErrNotFound.WithMessage("no such image")
	}
	var r client.ImageInspectResult
	r.ID = id
	r.Metadata.LastTagTime = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if t, ok := f.lastTag[id]; ok {
		r.Metadata.LastTagTime = t
	}
	return r, nil
}

func (f *fakeAPI) ContainerList(context.Context, client.ContainerListOptions) (client.ContainerListResult, error) {
	f.count("ContainerList")
	return client.ContainerListResult{Items: f.containers}, nil
}

func (f *fakeAPI) ContainerInspect(_ context.Context, id string, _ client.ContainerInspectOptions) (client.ContainerInspectResult, error) {
	f.count("ContainerInspect " + id)
	if f.gone[id] {
		return client.ContainerInspectResult{}, cerrdefs.ErrNotFound.WithMessage("no such container")
	}
	return client.ContainerInspectResult{Container: container.InspectResponse{ID: id, State: &container.State{
		Status: container.StateExited, StartedAt: "2026-11-20T10:00:00Z", FinishedAt: "2026-11-20T11:00:00Z",
	}}}, nil
}

func (f *fakeAPI) VolumeList(context.Context, client.VolumeListOptions) (client.VolumeListResult, error) {
	f.count("VolumeList")
	return client.VolumeListResult{Items: []volume.Volume{{Name: "v1"}}}, nil
}

func (f *fakeAPI) NetworkList(context.Context, client.NetworkListOptions) (client.NetworkListResult, error) {
	f.count("NetworkList")
	return client.NetworkListResult{Items: []network.Summary{{Network: network.Network{ID: "n1", Name: "bridge"}}}}, nil
}

func (f *fakeAPI) DiskUsage(context.Context, client.DiskUsageOptions) (client.DiskUsageResult, error) {
	f.count("DiskUsage")
	if f.failDU > 0 {
		f.failDU--
		return client.DiskUsageResult{}, errors.New("a disk usage operation is already running")
	}
	if f.du != nil {
		return *f.du, nil
	}
	var du client.DiskUsageResult
	du.Images.TotalSize = 200
	du.Images.Items = []image.Summary{{ID: idMulti, Size: 200, SharedSize: 50}}
	du.BuildCache.Items = []build.CacheRecord{{ID: "r1", Size: 5}}
	return du, nil
}

// Events replays the buffer from the query's since, as the daemon does,
// then ends the stream.
func (f *fakeAPI) Events(_ context.Context, opts client.EventsListOptions) client.EventsResult {
	f.count("Events")
	msgs := make(chan events.Message, len(f.events))
	errs := make(chan error, 1)
	since, _ := strconv.ParseFloat(opts.Since, 64)
	for _, m := range f.events {
		if float64(m.TimeNano)/1e9 >= since {
			msgs <- m
		}
	}
	go func() {
		// The stream ends once every message is read, as the client's does.
		for len(msgs) > 0 {
			time.Sleep(time.Millisecond)
		}
		errs <- io.EOF
	}()
	return client.EventsResult{Messages: msgs, Err: errs}
}

func TestTakeSnapshot(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{
		images: []image.Summary{
			{ID: idMulti, RepoTags: []string{"app:v1", "app:v2", "app:v3"}, Size: 200, SharedSize: -1},
			{ID: idBase, RepoTags: []string{"base:1"}, Size: 100, SharedSize: -1},
		},
		containers: []container.Summary{
			{ID: "c1", Names: []string{"/job-1"}, State: container.StateExited},
			{ID: "c2", Names: []string{"/job-2"}, State: container.StateExited},
		},
		gone:   map[string]bool{idBase: true, "c2": true},
		failDU: 2,
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	snap, err := TakeSnapshot(context.Background(), api, now, clock.Fixed(now))
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Now.Equal(now) {
		t.Errorf("Now = %v, want %v", snap.Now, now)
	}
	if len(snap.Images) != 1 || snap.Images[0].ID != idMulti {
		t.Fatalf("images = %+v, want only %s (the other vanished)", snap.Images, idMulti)
	}
	if img := snap.Images[0]; img.LastTagTime.IsZero() || img.UniqueSize != 150 {
		t.Errorf("image = %+v, want LastTagTime from inspect and UniqueSize 150 from disk usage", img)
	}
	if len(snap.Containers) != 1 || snap.Containers[0].Name != "job-1" || snap.Containers[0].FinishedAt.IsZero() {
		t.Errorf("containers = %+v, want job-1 with its times (job-2 vanished)", snap.Containers)
	}
	if len(snap.Volumes) != 1 || len(snap.Networks) != 1 || len(snap.BuildCache.Records) != 1 {
		t.Errorf("volumes, networks, cache = %+v, %+v, %+v", snap.Volumes, snap.Networks, snap.BuildCache)
	}
	// One inspect per image ID, however many tags it has; one per container.
	for call, want := range map[string]int{
		"ImageList": 1, "ContainerList": 1, "VolumeList": 1, "NetworkList": 1, "DiskUsage": 3,
		"ImageInspect " + idMulti: 1, "ImageInspect " + idBase: 1,
		"ContainerInspect c1": 1, "ContainerInspect c2": 1,
	} {
		if got := api.calls[call]; got != want {
			t.Errorf("%s called %d times, want %d", call, got, want)
		}
	}
}

func TestTakeSnapshotListError(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{listErr: errors.New("boom")}
	_, err := TakeSnapshot(context.Background(), api, time.Time{}, clock.Fixed(time.Time{}))
	if err == nil || !strings.Contains(err.Error(), "listing images: boom") {
		t.Errorf("err = %v, want it to say what failed", err)
	}
}
