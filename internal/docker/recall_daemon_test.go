package docker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/moby/moby/client"
)

// countingAPI counts the inspects a snapshot makes.
type countingAPI struct {
	*client.Client
	images, containers atomic.Int32
}

func (c *countingAPI) ImageInspect(ctx context.Context, id string, opts ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	c.images.Add(1)
	return c.Client.ImageInspect(ctx, id, opts...)
}

func (c *countingAPI) ContainerInspect(ctx context.Context, id string, opts client.ContainerInspectOptions) (client.ContainerInspectResult, error) {
	c.containers.Add(1)
	return c.Client.ContainerInspect(ctx, id, opts)
}

// On a real daemon, a snapshot that starts from the last one's recall is
// the snapshot taken from scratch, after the changes that matter to what
// only inspects tell: a tag applied again to the image that holds it (its
// last tag time moves, and the list shows nothing new), a tag added, a
// running container stopped, a created one started. Only the objects those
// changes touched are inspected again.
func TestSnapshotRecallOnTheDaemon(t *testing.T) {
	cli := fixture.TestDaemon(t)
	api := &countingAPI{Client: cli}
	ctx := context.Background()
	created := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	ids, err := fixture.Load(ctx, cli,
		fixture.Image{Refs: []string{"recall/a:1"}, Runnable: true, Created: created},
		fixture.Image{Refs: []string{"recall/b:1"}, Runnable: true, Created: created},
		fixture.Image{Refs: []string{"recall/c:1"}, Runnable: true, Created: created})
	if err != nil {
		t.Fatal(err)
	}
	cids, err := fixture.CreateContainers(ctx, cli,
		fixture.Container{Name: "recall-run", Image: ids[0], Detach: true},
		fixture.Container{Name: "recall-new", Image: ids[1]},
		fixture.Container{Name: "recall-done", Image: ids[2], Cmd: []string{"true"}, Run: true})
	if err != nil {
		t.Fatal(err)
	}
	var recall *Recall
	prior := func(ctx context.Context) (Prior, error) {
		_, clk, err := IdentifyClock(ctx, cli)
		return Prior{Recall: recall, Clock: clk, DiskUsageLists: true}, err
	}
	snapshot := func() (inspectedImages, inspectedContainers int32) {
		t.Helper()
		api.images.Store(0)
		api.containers.Store(0)
		now := time.Now()
		_, _, next, err := TakeSnapshotRecall(ctx, api, now, clock.Real, prior)
		if err != nil {
			t.Fatal(err)
		}
		if next == nil {
			t.Fatal("no recall from a daemon that holds events")
		}
		recall = next
		return api.images.Load(), api.containers.Load()
	}
	if i, c := snapshot(); i != 3 || c != 3 {
		t.Errorf("first snapshot inspected %d images and %d containers, want all 3 and 3", i, c)
	}
	if i, c := snapshot(); i != 0 || c != 0 {
		t.Errorf("snapshot of an unchanged host inspected %d images and %d containers, want none", i, c)
	}

	time.Sleep(10 * time.Millisecond) // a tag time the first inspect cannot have seen
	for _, tag := range []client.ImageTagOptions{{Source: ids[0], Target: "recall/a:1"}, {Source: ids[1], Target: "recall/b:2"}} {
		if _, err := cli.ImageTag(ctx, tag); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cli.ContainerKill(ctx, cids[0], client.ContainerKillOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ContainerStart(ctx, cids[1], client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	// The kill's die event may come a moment after the call returns.
	waitFor(t, func() bool {
		res, err := cli.ContainerInspect(ctx, cids[0], client.ContainerInspectOptions{})
		return err == nil && res.Container.State != nil && !res.Container.State.Running
	})

	now := time.Now()
	if i, c := snapshot(); i != 2 || c != 2 {
		t.Errorf("after retagging 2 images and changing 2 containers, inspected %d images and %d containers, want 2 and 2", i, c)
	}
	recalled, _, _, err := TakeSnapshotRecall(ctx, cli, now, clock.Real, prior)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := TakeSnapshot(ctx, cli, now, clock.Real)
	if err != nil {
		t.Fatal(err)
	}
	// The lists and the disk usage give objects in orders of their own.
	byKey := cmp.Options{
		cmpopts.SortSlices(func(a, b policy.Image) bool { return a.ID < b.ID }),
		cmpopts.SortSlices(func(a, b policy.Container) bool { return a.ID < b.ID }),
		cmpopts.SortSlices(func(a, b policy.Network) bool { return a.ID < b.ID }),
		cmpopts.SortSlices(func(a, b policy.Volume) bool { return a.Name < b.Name }),
	}
	if diff := cmp.Diff(fresh, recalled, byKey); diff != "" {
		t.Errorf("snapshot with the recall differs from one without (-without +with):\n%s", diff)
	}
	for _, img := range recalled.Images {
		if img.ID == ids[0] && !img.LastTagTime.After(created) {
			t.Errorf("recall/a's last tag time %v: the tag applied again is not seen", img.LastTagTime)
		}
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the daemon")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
