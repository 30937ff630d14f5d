package docker

import (
	"slices"
	"testing"

	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
)

const bareID = "6d63b3b5e0b1a4a1e2c5b8c8d3f4e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2"

func TestFullImageID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		bareID:              "sha256:" + bareID,
		"sha256:" + bareID:  "sha256:" + bareID,
		"":                  "",
		"app:1":             "app:1",
		bareID[:12]:         bareID[:12], // a short ID is not one to complete
		"6D63" + bareID[4:]: "6D63" + bareID[4:],
	} {
		if got := FullImageID(in); got != want {
			t.Errorf("FullImageID(%q) = %q, want %q", in, got, want)
		}
	}
	if got := bareImageID("sha256:" + bareID); got != bareID {
		t.Errorf("bareImageID = %q", got)
	}
}

// Podman's answers, as measured on Podman 4.3 (see docs/podman.md): the
// snapshot sees full IDs, recognises the parent, and knows the sizes are
// unknown.
func TestPodmanAnswersAreNormalised(t *testing.T) {
	t.Parallel()
	parent, child := bareID, "0a4fdb6f031de5d95bb3b97a9d8ce7047b7ea0620fc6597d9a4eeaac1136eab8"
	items := []image.Summary{
		{ID: "sha256:" + parent, Size: 100, SharedSize: 0},
		{ID: "sha256:" + child, ParentID: parent, RepoTags: []string{"docker.io/library/built:1"}, Size: 120, SharedSize: 0},
	}
	normImages(items)
	var du client.DiskUsageResult
	du.Images.Items = []image.Summary{{ID: parent, Size: 100}, {ID: child, Size: 120, RepoTags: []string{"1"}}}
	normDiskUsage(&du)
	if !layerSharingUnknown(du) {
		t.Fatal("LayersSize 0 with images of some size: sharing should be unknown")
	}
	normSharing(items, &du)
	imgs := imagesFromList(items, uniqueSizes(du.Images.Items))
	if len(imgs) != 1 || imgs[0].ID != "sha256:"+child || !slices.Equal(imgs[0].UntaggedParents, []string{"sha256:" + parent}) || imgs[0].UniqueSize != -1 {
		t.Errorf("images = %+v: want only the tagged child (the untagged parent is an intermediate image), its parent recognised, its unique size unknown", imgs)
	}

	removed := []image.DeleteResponse{{Deleted: child}, {Untagged: "docker.io/library/built:1"}}
	normRemoved(removed)
	if removed[0].Deleted != "sha256:"+child || removed[1].Untagged != "docker.io/library/built:1" {
		t.Errorf("removal = %+v", removed)
	}

	du.Images.TotalSize = 220 // Docker measures it
	if layerSharingUnknown(du) {
		t.Error("a daemon that reports its layers' size knows what they share")
	}
}

func TestPodmanEvents(t *testing.T) {
	t.Parallel()
	msg := func(typ events.Type, action events.Action, id string, attrs map[string]string) events.Message {
		return events.Message{Type: typ, Action: action, Actor: events.Actor{ID: id, Attributes: attrs}, TimeNano: 1}
	}
	for _, tc := range []struct {
		m      events.Message
		ok     bool
		action string
		id     string
	}{
		{msg(events.ImageEventType, "delete", bareID, nil), true, "delete", "sha256:" + bareID},
		{msg(events.ImageEventType, "tag", bareID, map[string]string{"name": "docker.io/library/app:1"}), true, "tag", "sha256:" + bareID},
		{msg(events.ImageEventType, "loadfromarchive", "", map[string]string{"name": "/var/tmp/api_load.tar1"}), true, "load", ""},
		{msg(events.ContainerEventType, "remove", "c1", nil), true, "destroy", "c1"},
		{msg(events.ContainerEventType, "die", "c1", map[string]string{"image": "localhost/app:1"}), true, "die", "c1"},
		{msg(events.ContainerEventType, "cleanup", "c1", nil), false, "", ""},
		{msg(events.ContainerEventType, "init", "c1", nil), false, "", ""},
		{msg(events.ImageEventType, "pull", "", nil), false, "", ""},
	} {
		ev, ok := eventFromMessage(tc.m, watchedActions)
		if ok != tc.ok || ok && (ev.Action != tc.action || ev.ID != tc.id) {
			t.Errorf("%s %s: got %+v, %v; want %s %q, %v", tc.m.Type, tc.m.Action, ev, ok, tc.action, tc.id, tc.ok)
		}
		if ok && ev.Action == "tag" && ev.Name != "app:1" {
			t.Errorf("tag name %q, want the familiar app:1", ev.Name)
		}
	}
}

func TestEngineOf(t *testing.T) {
	t.Parallel()
	podman := client.ServerVersionResult{Version: "4.3.1", Components: []system.ComponentVersion{{Name: "Podman Engine", Version: "4.3.1"}}}
	docker := client.ServerVersionResult{Version: "20.10.24", Components: []system.ComponentVersion{{Name: "Engine", Version: "20.10.24"}}}
	if engineOf(podman) != EnginePodman || engineOf(docker) != EngineDocker {
		t.Errorf("engineOf: podman %s, docker %s", engineOf(podman), engineOf(docker))
	}
	if a, b := podmanID("vm", "/var/lib/containers/storage"), podmanID("vm", "/root/.local/share/containers/storage"); a == b || a != podmanID("vm", "/var/lib/containers/storage") {
		t.Errorf("podmanID: %s, %s: want one stable ID per host and storage root", a, b)
	}
}

func TestForEngine(t *testing.T) {
	t.Parallel()
	snap := policy.Snapshot{Volumes: []policy.Volume{{Name: bareID}, {Name: "data"}}}
	ForEngine(&snap, EngineDocker)
	if snap.Volumes[0].Anonymous || snap.BuildCache.Unsupported != "" {
		t.Fatalf("docker: %+v", snap)
	}
	ForEngine(&snap, EnginePodman)
	if !snap.Volumes[0].Anonymous || snap.Volumes[1].Anonymous || snap.BuildCache.Unsupported == "" {
		t.Errorf("podman: %+v: want the generated name anonymous, the build cache unsupported", snap)
	}
}
