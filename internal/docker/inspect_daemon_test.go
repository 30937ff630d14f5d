package docker

import (
	"context"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/moby/moby/client"
)

// An object inspected alone is what the snapshot holds for it, but for
// what only the list and disk usage calls know: that is what lets the
// live view follow events without listing the host again.
func TestInspectedObjectsMatchTheSnapshot(t *testing.T) {
	api := fixture.TestDaemon(t)
	ctx := context.Background()
	ids, err := fixture.Load(ctx, api, fixture.Image{Refs: []string{"insp/app:1", "insp/app:latest"}, Runnable: true,
		Labels: map[string]string{"team": "a"}, Created: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.VolumeCreate(ctx, client.VolumeCreateOptions{Name: "insp-data", Labels: map[string]string{"v": "1"}}); err != nil {
		t.Fatal(err)
	}
	_, err = api.NetworkCreate(ctx, "insp-net", client.NetworkCreateOptions{Labels: map[string]string{"n": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	cids, err := fixture.CreateContainers(ctx, api,
		fixture.Container{Name: "insp-run", Image: ids[0], Detach: true, NamedVolumes: map[string]string{"insp-data": "/data"},
			Volumes: []string{"/scratch"}, Labels: map[string]string{"c": "1"}},
		fixture.Container{Name: "insp-done", Image: "insp/app:1", Cmd: []string{"true"}, Run: true, Network: "insp-net"})
	if err != nil {
		t.Fatal(err)
	}

	snap, err := TakeSnapshot(ctx, api, time.Now(), clock.Real)
	if err != nil {
		t.Fatal(err)
	}
	listOnly := cmp.Options{
		cmpopts.IgnoreFields(policy.Image{}, "ParentID", "HasChildren", "UniqueSize"),
		cmpopts.IgnoreFields(policy.Container{}, "SizeRw"),
		cmpopts.IgnoreFields(policy.Volume{}, "Size"),
		cmpopts.EquateEmpty(),
		// Lists and inspects give mounts and tags in orders of their own.
		cmpopts.SortSlices(func(a, b string) bool { return a < b }),
	}
	for _, want := range snap.Images {
		got, err := InspectImage(ctx, api, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, listOnly); diff != "" {
			t.Errorf("image %s (-snapshot +inspect):\n%s", want.ID, diff)
		}
	}
	for _, want := range snap.Containers {
		got, err := InspectContainer(ctx, api, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, listOnly); diff != "" {
			t.Errorf("container %s (-snapshot +inspect):\n%s", want.Name, diff)
		}
	}
	for _, want := range snap.Volumes {
		got, err := InspectVolume(ctx, api, want.Name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, listOnly); diff != "" {
			t.Errorf("volume %s (-snapshot +inspect):\n%s", want.Name, diff)
		}
	}
	for _, want := range snap.Networks {
		got, err := InspectNetwork(ctx, api, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, listOnly); diff != "" {
			t.Errorf("network %s (-snapshot +inspect):\n%s", want.Name, diff)
		}
	}
	if _, err := InspectContainer(ctx, api, "insp-nothing"); !IsNotFound(err) {
		t.Errorf("a missing container: %v, want a not-found error", err)
	}
	if _, err := InspectImage(ctx, api, "insp/nothing:1"); !IsNotFound(err) {
		t.Errorf("a missing image: %v, want a not-found error", err)
	}

	// One-shot statistics of the running container: memory at once, CPU
	// from two samples.
	first, err := ContainerUsage(ctx, api, cids[0], false)
	if err != nil {
		t.Fatal(err)
	}
	if first.Memory == 0 || first.CPUs == 0 || first.Read.IsZero() {
		t.Errorf("first sample %+v: want memory, CPUs and a time", first)
	}
	second, err := ContainerUsage(ctx, api, cids[0], true)
	if err != nil {
		t.Fatal(err)
	}
	if pct, ok := second.CPUPercent(first); !ok || pct < 0 || pct > 100*float64(second.CPUs) {
		t.Errorf("CPU between two samples: %v %v (%+v, %+v)", pct, ok, first, second)
	}
	if pct, ok := second.CPUPercent(Usage{CPU: second.PreCPU, System: second.PreSystem}); !ok || pct < 0 {
		t.Errorf("CPU from one call with the previous sample: %v %v", pct, ok)
	}
}

// The live view hears of volumes and networks, and of containers joining
// networks, besides what the watcher hears.
func TestSubscribeHost(t *testing.T) {
	api := fixture.TestDaemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ids, err := fixture.Load(ctx, api, fixture.Image{Refs: []string{"sub/app:1"}, Runnable: true})
	if err != nil {
		t.Fatal(err)
	}
	stream := SubscribeHost(ctx, api)
	defer stream.Close()
	if _, err := api.VolumeCreate(ctx, client.VolumeCreateOptions{Name: "sub-data"}); err != nil {
		t.Fatal(err)
	}
	nw, err := api.NetworkCreate(ctx, "sub-net", client.NetworkCreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cids, err := fixture.CreateContainers(ctx, api, fixture.Container{Name: "sub-c", Image: ids[0], Network: "sub-net"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.ContainerStart(ctx, cids[0], client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]Event{
		"volume create":    {Type: "volume", Action: "create", ID: "sub-data"},
		"network create":   {Type: "network", Action: "create", ID: nw.ID, Name: "sub-net"},
		"container create": {Type: "container", Action: "create", ID: cids[0], Image: ids[0]},
		"network connect":  {Type: "network", Action: "connect", ID: nw.ID, Name: "sub-net", Container: cids[0]},
		"container start":  {Type: "container", Action: "start", ID: cids[0], Image: ids[0]},
	}
	for len(want) > 0 {
		select {
		case ev := <-stream.Events:
			key := ev.Type + " " + ev.Action
			w, ok := want[key]
			if !ok {
				continue
			}
			ev.Time = time.Time{}
			if diff := cmp.Diff(w, ev); diff != "" {
				t.Errorf("%s (-want +got):\n%s", key, diff)
			}
			delete(want, key)
		case err := <-stream.Err:
			t.Fatalf("stream ended: %v; still waiting for %v", err, want)
		case <-ctx.Done():
			t.Fatalf("no event for %v", want)
		}
	}
}
