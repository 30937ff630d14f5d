package status

import (
	"slices"

	"github.com/docker-shaper/docker-shaper/policy"
)

// host is the live view's copy of the host: a snapshot, kept up to date
// one object at a time as events name them. An object read alone lacks
// what only the list calls know (an image's parent and unique size, a
// container's writable layer, a volume's size): what the snapshot had for
// it stays, until the next full snapshot.
type host struct {
	snap policy.Snapshot
}

// image returns the image with ID id, or nil.
func (h *host) image(id string) *policy.Image {
	for i := range h.snap.Images {
		if h.snap.Images[i].ID == id {
			return &h.snap.Images[i]
		}
	}
	return nil
}

// putImage adds or replaces an image. Its tags leave whichever image had
// them (a tag moving says nothing about its old image); an untagged image
// other images are built on is not one plans act on, and leaves the view,
// as it never enters a snapshot. isNew says the image was not there.
func (h *host) putImage(img policy.Image) (isNew bool) {
	for i := range h.snap.Images {
		other := &h.snap.Images[i]
		if other.ID != img.ID && slices.ContainsFunc(other.Tags, func(t string) bool { return slices.Contains(img.Tags, t) }) {
			// A new slice: copies handed out share the old one (see copied).
			other.Tags = slices.DeleteFunc(slices.Clone(other.Tags), func(t string) bool { return slices.Contains(img.Tags, t) })
		}
	}
	old := h.image(img.ID)
	if old == nil {
		h.snap.Images = append(h.snap.Images, img)
		isNew = true
	} else {
		img.ParentID, img.HasChildren, img.UniqueSize = old.ParentID, old.HasChildren, old.UniqueSize
		img.FirstSeen, img.FirstSeenIsLowerBound, img.LastUsed = old.FirstSeen, old.FirstSeenIsLowerBound, old.LastUsed
		*old = img
	}
	h.snap.Images = slices.DeleteFunc(h.snap.Images, func(i policy.Image) bool { return len(i.Tags) == 0 && i.HasChildren })
	return isNew
}

// removeImage forgets an image (deleted).
func (h *host) removeImage(id string) {
	h.snap.Images = slices.DeleteFunc(h.snap.Images, func(i policy.Image) bool { return i.ID == id })
}

// put replaces in list the item same picks with v, once keep has given v
// what the old one knew and v does not, or appends v.
func put[T any](list []T, v T, same func(*T) bool, keep func(old, v *T)) []T {
	for i := range list {
		if old := &list[i]; same(old) {
			keep(old, &v)
			*old = v
			return list
		}
	}
	return append(list, v)
}

// putContainer adds or replaces a container, keeping its writable layer's
// size as the snapshot had it.
func (h *host) putContainer(c policy.Container) {
	h.snap.Containers = put(h.snap.Containers, c, func(o *policy.Container) bool { return o.ID == c.ID },
		func(old, c *policy.Container) { c.SizeRw = old.SizeRw })
}

// removeContainer forgets a container (destroyed).
func (h *host) removeContainer(id string) {
	h.snap.Containers = slices.DeleteFunc(h.snap.Containers, func(c policy.Container) bool { return c.ID == id })
}

// putVolume adds or replaces a volume, keeping its size as the snapshot
// had it.
func (h *host) putVolume(v policy.Volume) {
	h.snap.Volumes = put(h.snap.Volumes, v, func(o *policy.Volume) bool { return o.Name == v.Name },
		func(old, v *policy.Volume) { v.Size = old.Size })
}

// removeVolume forgets a volume (destroyed).
func (h *host) removeVolume(name string) {
	h.snap.Volumes = slices.DeleteFunc(h.snap.Volumes, func(v policy.Volume) bool { return v.Name == name })
}

// putNetwork adds or replaces a network.
func (h *host) putNetwork(n policy.Network) {
	h.snap.Networks = put(h.snap.Networks, n, func(o *policy.Network) bool { return o.ID == n.ID }, func(_, _ *policy.Network) {})
}

// removeNetwork forgets a network (destroyed).
func (h *host) removeNetwork(id string) {
	h.snap.Networks = slices.DeleteFunc(h.snap.Networks, func(n policy.Network) bool { return n.ID == id })
}

// copied returns a copy of the snapshot that later changes to the host
// leave alone: the lists are copied, and the objects in them are only ever
// replaced, never changed in place.
func (h *host) copied() policy.Snapshot {
	s := h.snap
	s.Images = slices.Clone(s.Images)
	s.Containers = slices.Clone(s.Containers)
	s.Volumes = slices.Clone(s.Volumes)
	s.Networks = slices.Clone(s.Networks)
	s.BuildCache.Records = slices.Clone(s.BuildCache.Records)
	return s
}
