package docker

import (
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
)

// What differs between engines in the IDs they answer, evened out where
// the answers come in. Docker writes image IDs with their algorithm
// ("sha256:6d63…"); Podman's compatible API writes most of them bare
// ("6d63…"): image delete results, ParentId, disk usage, event IDs, and
// the ancestor filter matches only the bare form. Everything this package
// hands on (snapshots, views, events, removal results) carries the full
// form, which plans, the journal and the state file key images by: every
// API answer that holds image IDs passes through one of these first.

// FullImageID is id with its algorithm: a bare 64-hex ID gets "sha256:";
// anything else (a full ID, a reference, "") is returned as it is. Tests
// that call the API themselves use it too.
func FullImageID(id string) string {
	if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
		return id
	}
	return "sha256:" + id
}

// bareImageID is id without "sha256:", the form every engine's ancestor
// filter accepts (Podman's matches no other).
func bareImageID(id string) string { return strings.TrimPrefix(id, "sha256:") }

// normImages gives the images of a list (or of disk usage) full IDs.
func normImages(items []image.Summary) {
	for i := range items {
		items[i].ID = FullImageID(items[i].ID)
		items[i].ParentID = FullImageID(items[i].ParentID)
	}
}

// normContainers gives the containers of a list full image IDs.
func normContainers(items []container.Summary) {
	for i := range items {
		items[i].ImageID = FullImageID(items[i].ImageID)
	}
}

// normDiskUsage gives the images and containers of disk usage full IDs.
func normDiskUsage(du *client.DiskUsageResult) {
	normImages(du.Images.Items)
	normContainers(du.Containers.Items)
}

// normInspect gives an image inspect's result its full ID.
func normInspect(r *image.InspectResponse) { r.ID = FullImageID(r.ID) }

// normContainerInspect gives a container inspect's image its full ID.
func normContainerInspect(r *container.InspectResponse) { r.Image = FullImageID(r.Image) }

// normRemoved gives the images a removal deleted full IDs.
func normRemoved(items []image.DeleteResponse) {
	for i := range items {
		items[i].Deleted = FullImageID(items[i].Deleted)
	}
}

// normEvent gives an image event's actor its full ID.
func normEvent(m *events.Message) {
	if m.Type == events.ImageEventType {
		m.Actor.ID = FullImageID(m.Actor.ID)
	}
}

// layerSharingUnknown says the daemon's disk usage does not know how much
// of each image is shared: Podman reports LayersSize 0, and SharedSize 0 on
// every image, whatever they share. Its images' unique sizes, and its
// image disk usage, are then unknown, not zero.
func layerSharingUnknown(du client.DiskUsageResult) bool {
	if du.Images.TotalSize != 0 {
		return false
	}
	for _, it := range du.Images.Items {
		if it.Size > 0 {
			return true
		}
	}
	return false
}

// normSharing marks the shared sizes of a list's images, and of disk
// usage's, unknown (-1, as Docker's list reports them) when the daemon
// wrote 0 without knowing (layerSharingUnknown).
func normSharing(images []image.Summary, du *client.DiskUsageResult) {
	if !layerSharingUnknown(*du) {
		return
	}
	for _, items := range [][]image.Summary{images, du.Images.Items} {
		for i := range items {
			items[i].SharedSize = -1
		}
	}
}

// podmanNoBuildCache is why a build_cache rule does nothing on Podman.
const podmanNoBuildCache = "Podman has no build cache API (its builder keeps intermediate images instead, which image rules and the dangling rule cover)"
