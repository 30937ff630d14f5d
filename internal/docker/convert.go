package docker

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client/pkg/versions"
)

// Conversions from the API's types to the policy package's: the one place
// that knows what the daemon's lists and inspects hold.

// imagesFromList turns ImageList(all) items into snapshot images, one per
// image ID. Intermediate images (no tag, but other images built on them)
// are left out: they are not dangling and cannot be removed on their own.
// unique maps image IDs to the bytes only that image holds.
//
// An image's ParentID is its nearest ancestor that the snapshot holds,
// skipping the intermediate images left out, so the policy knows which
// images are built on which: a parent can go only with all its children.
func imagesFromList(items []image.Summary, unique map[string]int64) []policy.Image {
	hasChildren := make(map[string]bool)
	parentOf := make(map[string]string)
	for _, it := range items {
		if it.ParentID != "" {
			hasChildren[it.ParentID] = true
			parentOf[it.ID] = it.ParentID
		}
	}
	// Intermediate images: untagged, with children. Not dangling, and not
	// removable on their own.
	tagged := make(map[string]bool)
	for _, it := range items {
		if len(refsExcept(it.RepoTags, "<none>:<none>", nil)) > 0 {
			tagged[it.ID] = true
		}
	}
	intermediates := make(map[string]bool)
	for id := range hasChildren {
		if !tagged[id] {
			intermediates[id] = true
		}
	}
	// nearest is the nearest ancestor the snapshot holds, and the
	// intermediate images on the way.
	nearest := func(id string) (string, []string) {
		var between []string
		p := parentOf[id]
		for hops := 0; intermediates[p] && hops < len(items); hops++ {
			between = append(between, p)
			p = parentOf[p]
		}
		return p, between
	}
	out := make([]policy.Image, 0, len(items))
	index := make(map[string]int, len(items))
	for _, it := range items {
		tags := refsExcept(it.RepoTags, "<none>:<none>", policy.NormalizeRef)
		digests := refsExcept(it.RepoDigests, "<none>@<none>", nil)
		if i, dup := index[it.ID]; dup { // one entry per ID, whatever the store
			out[i].Tags = appendNew(out[i].Tags, tags...)
			out[i].Digests = appendNew(out[i].Digests, digests...)
			continue
		}
		if intermediates[it.ID] {
			continue
		}
		size, ok := unique[it.ID]
		switch {
		case ok:
		case it.SharedSize >= 0 && it.Size >= 0:
			size = it.Size - it.SharedSize
		default:
			size = -1
		}
		index[it.ID] = len(out)
		parent, between := nearest(it.ID)
		out = append(out, policy.Image{
			ID:              it.ID,
			Tags:            tags,
			Digests:         digests,
			ParentID:        parent,
			UntaggedParents: between,
			Created:         unixTime(it.Created),
			Size:            it.Size,
			UniqueSize:      size,
			Labels:          it.Labels,
			HasChildren:     hasChildren[it.ID],
		})
	}
	return out
}

// applyImageInspect adds what only inspect knows to img.
func applyImageInspect(img *policy.Image, r image.InspectResponse) {
	applyImageFacts(img, imageFactsOf(r))
}

// uniqueSizes maps image IDs to Size - SharedSize from DiskUsage items,
// which compute SharedSize even where ImageList reports -1.
func uniqueSizes(items []image.Summary) map[string]int64 {
	m := make(map[string]int64, len(items))
	for _, it := range items {
		if it.SharedSize >= 0 && it.Size >= 0 {
			m[it.ID] = it.Size - it.SharedSize
		}
	}
	return m
}

// refsExcept returns refs without the placeholder the daemon uses for
// "none", normalised by norm when it is set.
func refsExcept(refs []string, none string, norm func(string) string) []string {
	var out []string
	for _, r := range refs {
		if r == "" || r == none {
			continue
		}
		if norm != nil {
			r = norm(r)
		}
		out = appendNew(out, r)
	}
	return out
}

func appendNew(list []string, items ...string) []string {
	for _, s := range items {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

// containersFromList turns ContainerList(all) items into snapshot
// containers; sizes maps container IDs to their writable layer's size, and
// netIDs network names to IDs (a container never started lists its networks
// by name only).
func containersFromList(items []container.Summary, sizes map[string]int64, netIDs map[string]string) []policy.Container {
	out := make([]policy.Container, 0, len(items))
	for _, it := range items {
		c := policy.Container{
			ID:      it.ID,
			Name:    containerName(it.Names),
			Image:   it.Image,
			ImageID: it.ImageID,
			State:   string(it.State),
			Labels:  it.Labels,
			Created: unixTime(it.Created),
			SizeRw:  it.SizeRw,
		}
		if s, ok := sizes[it.ID]; ok {
			c.SizeRw = s
		}
		for _, m := range it.Mounts {
			if m.Type == mount.TypeVolume && m.Name != "" {
				c.Volumes = appendNew(c.Volumes, m.Name)
			}
		}
		if it.NetworkSettings != nil {
			for name, ep := range it.NetworkSettings.Networks {
				id := netIDs[name]
				if ep != nil && ep.NetworkID != "" {
					id = ep.NetworkID
				}
				if id != "" {
					c.Networks = appendNew(c.Networks, id)
				}
			}
			slices.Sort(c.Networks)
		}
		out = append(out, c)
	}
	return out
}

// containerName picks the container's own name among those the list gives
// ("/web", and "/app/db" for a legacy link alias), without the slash.
func containerName(names []string) string {
	for _, n := range names {
		if n = strings.TrimPrefix(n, "/"); n != "" && !strings.Contains(n, "/") {
			return n
		}
	}
	if len(names) > 0 {
		return strings.TrimPrefix(names[0], "/")
	}
	return ""
}

// applyContainerInspect adds what only inspect knows to c: start and finish
// times, and the state at that moment.
func applyContainerInspect(c *policy.Container, r container.InspectResponse) {
	applyContainerFacts(c, containerFactsOf(r))
}

// containerSizes maps container IDs to SizeRw from DiskUsage items.
func containerSizes(items []container.Summary) map[string]int64 {
	m := make(map[string]int64, len(items))
	for _, it := range items {
		m[it.ID] = it.SizeRw
	}
	return m
}

// anonymousVolumeLabel marks anonymous volumes on daemons that label them.
const anonymousVolumeLabel = "com.docker.volume.anonymous"

// generatedName matches the names the daemon gives anonymous volumes.
var generatedName = regexp.MustCompile(`^[0-9a-f]{64}$`)

// namesMarkAnonymous reports whether a generated name is the only sign of
// an anonymous volume: before API 1.42 (Docker 23) the daemon labels none,
// from then on it labels every anonymous volume, and an unlabelled volume
// with a generated name is one a user created without naming it. (Podman
// labels none, whatever API version it speaks: see ForEngine.)
func namesMarkAnonymous(apiVersion string) bool {
	return versions.LessThan(apiVersion, "1.42")
}

// volumesFromList turns VolumeList items into snapshot volumes; sizes maps
// volume names to their size where the daemon computed it; byName says
// whether a generated name marks a volume anonymous (namesMarkAnonymous).
func volumesFromList(items []volume.Volume, sizes map[string]int64, byName bool) []policy.Volume {
	out := make([]policy.Volume, 0, len(items))
	for _, it := range items {
		_, labelled := it.Labels[anonymousVolumeLabel]
		size, ok := sizes[it.Name]
		if !ok {
			size = -1
		}
		out = append(out, policy.Volume{
			Name:      it.Name,
			Labels:    it.Labels,
			CreatedAt: parseAPITime(it.CreatedAt),
			Anonymous: labelled || byName && generatedName.MatchString(it.Name),
			Size:      size,
		})
	}
	return out
}

// volumeSizes maps volume names to sizes from DiskUsage items (-1 there
// means not computed, and is left out).
func volumeSizes(items []volume.Volume) map[string]int64 {
	m := make(map[string]int64, len(items))
	for _, it := range items {
		if it.UsageData != nil && it.UsageData.Size >= 0 {
			m[it.Name] = it.UsageData.Size
		}
	}
	return m
}

// networksFromList turns NetworkList items into snapshot networks.
func networksFromList(items []network.Summary) []policy.Network {
	out := make([]policy.Network, 0, len(items))
	for _, it := range items {
		out = append(out, policy.Network{
			ID:      it.ID,
			Name:    it.Name,
			Driver:  it.Driver,
			Scope:   it.Scope,
			Labels:  it.Labels,
			Created: it.Created,
		})
	}
	return out
}

// networkIDs maps network names to IDs.
func networkIDs(items []network.Summary) map[string]string {
	m := make(map[string]string, len(items))
	for _, it := range items {
		m[it.Name] = it.ID
	}
	return m
}

// buildCacheFromDiskUsage turns DiskUsage build cache records into the
// snapshot's.
func buildCacheFromDiskUsage(items []build.CacheRecord) policy.BuildCache {
	var bc policy.BuildCache
	for _, it := range items {
		r := policy.CacheRecord{
			ID:        it.ID,
			Size:      it.Size,
			InUse:     it.InUse,
			Shared:    it.Shared,
			CreatedAt: it.CreatedAt,
		}
		if it.LastUsedAt != nil {
			r.LastUsedAt = *it.LastUsedAt
		}
		bc.Records = append(bc.Records, r)
	}
	return bc
}

// unixTime converts the seconds lists give, 0 meaning unknown.
func unixTime(sec int64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// parseAPITime parses the RFC 3339 times inspect gives; the zero time
// ("0001-01-01T00:00:00Z", never started) and garbage give a zero time.
func parseAPITime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}
