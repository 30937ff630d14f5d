package docker

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
)

// recallHost is a host of two images (one with three tags) and two
// containers, whose event buffer holds two events.
func recallHost() *fakeAPI {
	return &fakeAPI{
		images: []image.Summary{
			{ID: idMulti, RepoTags: []string{"app:v1", "app:v2"}, RepoDigests: []string{"app@sha256:abcd"}, Size: 200, SharedSize: -1},
			{ID: idBase, RepoTags: []string{"base:1"}, Size: 100, SharedSize: -1},
		},
		containers: []container.Summary{
			{ID: "c1", Names: []string{"/job-1"}, State: container.StateExited},
			{ID: "c2", Names: []string{"/job-2"}, State: container.StateExited},
		},
		events: []events.Message{
			event(1, events.ContainerEventType, "start", "c1"),
			event(2, events.ContainerEventType, "die", "c1"),
		},
	}
}

var recallNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// event is a message logged at second n after recallNow.
func event(n int, typ events.Type, action events.Action, id string, attrs ...string) events.Message {
	m := events.Message{Type: typ, Action: action, Actor: events.Actor{ID: id}, TimeNano: recallNow.Add(time.Duration(n) * time.Second).UnixNano()}
	if len(attrs) == 2 {
		m.Actor.Attributes = map[string]string{attrs[0]: attrs[1]}
	}
	return m
}

// priorOf is a prior that recalls r, on a daemon whose clock reads an hour
// after recallNow.
func priorOf(r *Recall, diskUsageLists bool) PriorFunc {
	return func(context.Context) (Prior, error) {
		return Prior{Recall: r, Clock: DaemonClock{reported: recallNow.Add(time.Hour), received: clock.Start()}, DiskUsageLists: diskUsageLists}, nil
	}
}

func snapshotRecall(t *testing.T, api *fakeAPI, prior PriorFunc) (policy.Snapshot, *Recall) {
	t.Helper()
	api.calls = nil
	snap, _, next, err := TakeSnapshotRecall(context.Background(), api, recallNow, clock.Fixed(recallNow), prior)
	if err != nil {
		t.Fatal(err)
	}
	return snap, next
}

// inspects are the inspect calls api received, by object.
func inspects(api *fakeAPI) []string {
	var out []string
	for _, id := range []string{idMulti, idBase} {
		if api.calls["ImageInspect "+id] > 0 {
			out = append(out, id)
		}
	}
	for _, id := range []string{"c1", "c2"} {
		if api.calls["ContainerInspect "+id] > 0 {
			out = append(out, id)
		}
	}
	return out
}

// A snapshot without a recall inspects everything and leaves one marked
// with the newest event; the next snapshot of the unchanged host inspects
// nothing, and is the same snapshot.
func TestSnapshotRecallReuses(t *testing.T) {
	t.Parallel()
	api := recallHost()
	first, r := snapshotRecall(t, api, priorOf(nil, false))
	if got := inspects(api); len(got) != 4 {
		t.Errorf("first snapshot inspected %v, want everything", got)
	}
	if r == nil || !r.Changed() || r.Mark == nil || !r.Mark.is(api.events[1]) || len(r.Images) != 2 || len(r.Containers) != 2 {
		t.Fatalf("recall = %+v, want every object's facts, marked with the newest event", r)
	}
	second, r2 := snapshotRecall(t, api, priorOf(r, false))
	if got := inspects(api); len(got) != 0 {
		t.Errorf("second snapshot inspected %v, want nothing", got)
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("snapshot with the recall differs:\n got %+v\nwant %+v", second, first)
	}
	if r2.Changed() {
		t.Errorf("recall of an unchanged host says it changed")
	}
}

// What the events since the mark name is inspected again, and only that:
// an image by ID, an image by the reference a pull names, a container by
// ID; and a container the list shows in another state than recalled.
func TestSnapshotRecallInspectsWhatChanged(t *testing.T) {
	t.Parallel()
	retagged := time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		event *events.Message
		state container.ContainerState // c2's state in the list, when set
		want  []string
	}{
		{name: "tag of an image", event: new(event(3, events.ImageEventType, "tag", idBase, "name", "base:1")), want: []string{idBase}},
		{name: "pull by reference", event: new(event(3, events.ImageEventType, "pull", "docker.io/library/app:v2")), want: []string{idMulti}},
		{name: "pull by digest", event: new(event(3, events.ImageEventType, "pull", "app@sha256:abcd")), want: []string{idMulti}},
		{name: "container event", event: new(event(3, events.ContainerEventType, "start", "c2")), want: []string{"c2"}},
		{name: "deleted image", event: new(event(3, events.ImageEventType, "delete", idDangling)), want: nil},
		{name: "state differs", state: container.StateRunning, want: []string{"c2"}},
		{name: "reference nothing holds", event: new(event(3, events.ImageEventType, "pull", "gone:1")), want: []string{idMulti, idBase}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := recallHost()
			_, r := snapshotRecall(t, api, priorOf(nil, false))
			if tc.event != nil {
				api.events = append(api.events, *tc.event)
			}
			if tc.state != "" {
				api.containers[1].State = tc.state
			}
			api.lastTag = map[string]time.Time{idBase: retagged, idMulti: retagged}
			snap, next := snapshotRecall(t, api, priorOf(r, false))
			if got := inspects(api); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("inspected %v, want %v", got, tc.want)
			}
			for _, img := range snap.Images {
				inspected := api.calls["ImageInspect "+img.ID] > 0
				if inspected != img.LastTagTime.Equal(retagged) {
					t.Errorf("image %s: LastTagTime %v, inspected %v: want the new time exactly when inspected", img.ID, img.LastTagTime, inspected)
				}
			}
			if tc.event != nil && !next.Mark.is(*tc.event) {
				t.Errorf("next mark = %+v, want the newest event", next.Mark)
			}
		})
	}
}

// When the daemon no longer holds the mark (more than its buffer happened
// since, or it restarted), nothing recalled is used.
func TestSnapshotRecallMarkLost(t *testing.T) {
	t.Parallel()
	api := recallHost()
	_, r := snapshotRecall(t, api, priorOf(nil, false))
	api.events = []events.Message{event(5, events.ContainerEventType, "create", "c9")}
	_, next := snapshotRecall(t, api, priorOf(r, false))
	if got := inspects(api); len(got) != 4 {
		t.Errorf("inspected %v, want everything", got)
	}
	if !next.Changed() || !next.Mark.is(api.events[0]) {
		t.Errorf("next recall = %+v, want one marked with the buffer's newest event", next)
	}
}

// Without the daemon's clock (Podman), no event is replayed, everything is
// inspected, and there is nothing to recall; a daemon that holds no event
// leaves nothing to recall either.
func TestSnapshotRecallNothingToMark(t *testing.T) {
	t.Parallel()
	api := recallHost()
	_, next := snapshotRecall(t, api, func(context.Context) (Prior, error) { return Prior{}, nil })
	if api.calls["Events"] != 0 || len(inspects(api)) != 4 || next != nil {
		t.Errorf("without a clock: %d replays, inspected %v, recall %+v: want none, everything, none", api.calls["Events"], inspects(api), next)
	}
	api.events = nil
	if _, next := snapshotRecall(t, api, priorOf(nil, false)); next != nil {
		t.Errorf("recall %+v from a daemon without events, want none", next)
	}
}

// On Docker the disk usage lists the images and containers: they are not
// listed again, unless an image names a parent only the full image list
// holds (an intermediate image of a legacy build).
func TestSnapshotListsFromDiskUsage(t *testing.T) {
	t.Parallel()
	api := recallHost()
	du := client.DiskUsageResult{}
	du.Images.Items = []image.Summary{
		{ID: idMulti, RepoTags: []string{"app:v1"}, Size: 200, SharedSize: 50},
		{ID: idBuilt, ParentID: idStep, RepoTags: []string{"built:1"}, Size: 120, SharedSize: 110},
	}
	du.Images.TotalSize = 320 // Docker measures what images share
	du.Containers.Items = []container.Summary{{ID: "c1", Names: []string{"/job-1"}, State: container.StateExited, SizeRw: 7}}
	api.du = &du
	api.images = []image.Summary{
		{ID: idMulti, RepoTags: []string{"app:v1"}, Size: 200, SharedSize: -1},
		{ID: idStep, RepoTags: []string{"<none>:<none>"}, Size: 110, SharedSize: -1},
		{ID: idBuilt, ParentID: idStep, RepoTags: []string{"built:1"}, Size: 120, SharedSize: -1},
	}
	snap, _ := snapshotRecall(t, api, priorOf(nil, true))
	if api.calls["ContainerList"] != 0 || api.calls["ImageList"] != 1 {
		t.Errorf("ContainerList called %d times, ImageList %d: want 0 and 1 (an image names an unlisted parent)",
			api.calls["ContainerList"], api.calls["ImageList"])
	}
	if len(snap.Containers) != 1 || snap.Containers[0].SizeRw != 7 || len(snap.Images) != 2 {
		t.Errorf("snapshot = %+v, want the disk usage's container and both images", snap)
	}
	du.Images.Items = du.Images.Items[:1]
	snap, _ = snapshotRecall(t, api, priorOf(nil, true))
	if api.calls["ContainerList"] != 0 || api.calls["ImageList"] != 0 {
		t.Errorf("ContainerList called %d times, ImageList %d: want neither", api.calls["ContainerList"], api.calls["ImageList"])
	}
	if len(snap.Images) != 1 || snap.Images[0].UniqueSize != 150 {
		t.Errorf("images = %+v, want the disk usage's one, with its unique size", snap.Images)
	}
}
