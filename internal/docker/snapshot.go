// Package docker is docker-shaper's only door to the Docker API, and the
// only importer of moby: it reads a snapshot of the host, identifies the
// daemon, follows its events, and carries out removals for internal/apply,
// classifying the daemon's errors on the way. Moby types stop here:
// everything else sees the policy package's types and apply's.
package docker

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"
	"golang.org/x/sync/errgroup"
)

// SnapshotAPI is the part of client.APIClient a snapshot reads. Every call
// is read-only.
type SnapshotAPI interface {
	ImageList(ctx context.Context, options client.ImageListOptions) (client.ImageListResult, error)
	ImageInspect(ctx context.Context, image string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error)
	ContainerList(ctx context.Context, options client.ContainerListOptions) (client.ContainerListResult, error)
	ContainerInspect(ctx context.Context, container string, options client.ContainerInspectOptions) (client.ContainerInspectResult, error)
	VolumeList(ctx context.Context, options client.VolumeListOptions) (client.VolumeListResult, error)
	NetworkList(ctx context.Context, options client.NetworkListOptions) (client.NetworkListResult, error)
	DiskUsage(ctx context.Context, options client.DiskUsageOptions) (client.DiskUsageResult, error)
	ClientVersion() string
}

// IdentifyAPI is what Identify reads.
type IdentifyAPI interface {
	Info(ctx context.Context, options client.InfoOptions) (client.SystemInfoResult, error)
	ClientVersion() string
}

// Identify asks the daemon who it is: its ID (empty for a daemon that has
// none), engine and version, and the API version negotiated with it.
func Identify(ctx context.Context, api IdentifyAPI) (policy.Daemon, error) {
	res, err := api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return policy.Daemon{}, wrapAPIError("asking the daemon who it is", err)
	}
	return policy.Daemon{
		ID:      res.Info.ID,
		Engine:  "docker",
		Version: res.Info.ServerVersion,
		API:     api.ClientVersion(),
	}, nil
}

var _ SnapshotAPI = client.APIClient(nil)

// inspectConcurrency bounds the inspect calls in flight.
const inspectConcurrency = 8

// TakeSnapshot reads the host for a plan made at now. It makes five bulk
// calls at once (ImageList all, ContainerList all, VolumeList, NetworkList,
// DiskUsage), then one ImageInspect per distinct image ID (for LastTagTime)
// and one ContainerInspect per container (for StartedAt and FinishedAt), a
// few at a time. Objects that vanish between the list and the inspect are
// left out. What docker-shaper recorded (Image.FirstSeen, Image.LastUsed)
// is not set: see store.Observe. clk only times the phases for the debug
// log.
func TakeSnapshot(ctx context.Context, api SnapshotAPI, now time.Time, clk clock.Clock) (policy.Snapshot, error) {
	logger := logging.From(ctx)
	start := clk()
	lists, err := listAll(ctx, api)
	if err != nil {
		return policy.Snapshot{}, err
	}
	logger.Debug("listed", "images", len(lists.images.Items), "containers", len(lists.containers.Items),
		"volumes", len(lists.volumes.Items), "networks", len(lists.networks.Items),
		"cache_records", len(lists.du.BuildCache.Items), "took", clk.Since(start).Round(time.Millisecond))

	snap := policy.Snapshot{
		Now:        now,
		Images:     imagesFromList(lists.images.Items, uniqueSizes(lists.du.Images.Items)),
		Containers: containersFromList(lists.containers.Items, containerSizes(lists.du.Containers.Items), networkIDs(lists.networks.Items)),
		Volumes:    volumesFromList(lists.volumes.Items, volumeSizes(lists.du.Volumes.Items), namesMarkAnonymous(api.ClientVersion())),
		Networks:   networksFromList(lists.networks.Items),
		BuildCache: buildCacheFromDiskUsage(lists.du.BuildCache.Items),
	}

	start = clk()
	images, containers := len(snap.Images), len(snap.Containers)
	if err := inspectAll(ctx, api, &snap); err != nil {
		return policy.Snapshot{}, err
	}
	logger.Debug("inspected", "images", images, "containers", containers,
		"gone", images-len(snap.Images)+containers-len(snap.Containers), "took", clk.Since(start).Round(time.Millisecond))
	return snap, nil
}

// lists are the results of the bulk calls of a snapshot.
type lists struct {
	images     client.ImageListResult
	containers client.ContainerListResult
	volumes    client.VolumeListResult
	networks   client.NetworkListResult
	du         client.DiskUsageResult
}

// listAll makes the bulk calls of a snapshot, all at once.
func listAll(ctx context.Context, api SnapshotAPI) (lists, error) {
	var l lists
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		l.images, err = api.ImageList(gctx, client.ImageListOptions{All: true})
		return wrapAPIError("listing images", err)
	})
	g.Go(func() (err error) {
		l.containers, err = api.ContainerList(gctx, client.ContainerListOptions{All: true})
		return wrapAPIError("listing containers", err)
	})
	g.Go(func() (err error) {
		l.volumes, err = api.VolumeList(gctx, client.VolumeListOptions{})
		return wrapAPIError("listing volumes", err)
	})
	g.Go(func() (err error) {
		l.networks, err = api.NetworkList(gctx, client.NetworkListOptions{})
		return wrapAPIError("listing networks", err)
	})
	g.Go(func() (err error) {
		l.du, err = diskUsage(gctx, api)
		return wrapAPIError("reading disk usage", err)
	})
	return l, g.Wait()
}

// inspectAll adds what only inspect knows to the snapshot's images and
// containers, a few at a time, and leaves out those that are gone.
func inspectAll(ctx context.Context, api SnapshotAPI, snap *policy.Snapshot) error {
	imageFound := make([]bool, len(snap.Images))
	containerFound := make([]bool, len(snap.Containers))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(inspectConcurrency)
	for i := range snap.Images {
		g.Go(func() error {
			img := &snap.Images[i]
			res, err := api.ImageInspect(gctx, img.ID)
			if cerrdefs.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return wrapAPIError("inspecting image "+policy.ShortID(img.ID), err)
			}
			applyImageInspect(img, res.InspectResponse)
			imageFound[i] = true
			return nil
		})
	}
	for i := range snap.Containers {
		g.Go(func() error {
			c := &snap.Containers[i]
			res, err := api.ContainerInspect(gctx, c.ID, client.ContainerInspectOptions{})
			if cerrdefs.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return wrapAPIError("inspecting container "+c.Name, err)
			}
			applyContainerInspect(c, res.Container)
			containerFound[i] = true
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	snap.Images = keepFound(snap.Images, imageFound)
	snap.Containers = keepFound(snap.Containers, containerFound)
	return nil
}

// diskUsage asks for everything (older daemons ignore the type filter and
// compute it all anyway). Daemons before API 1.42 refuse a second disk usage
// computation while one runs (another docker system df, a watcher): wait
// for it a little.
func diskUsage(ctx context.Context, api SnapshotAPI) (client.DiskUsageResult, error) {
	opts := client.DiskUsageOptions{Containers: true, Images: true, Volumes: true, BuildCache: true, Verbose: true}
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		du, err := api.DiskUsage(ctx, opts)
		if err == nil || attempt == 6 || !strings.Contains(err.Error(), "already running") {
			return du, err
		}
		select {
		case <-ctx.Done():
			return du, ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// keepFound returns the items whose found flag is set, in order.
func keepFound[T any](items []T, found []bool) []T {
	out := items[:0]
	for i, it := range items {
		if found[i] {
			out = append(out, it)
		}
	}
	return out
}

// imagesFromList turns ImageList(all) items into snapshot images, one per
// image ID. Intermediate images (no tag, but other images built on them)
// are left out: they are not dangling and cannot be removed on their own.
// unique maps image IDs to the bytes only that image holds.
func imagesFromList(items []image.Summary, unique map[string]int64) []policy.Image {
	hasChildren := make(map[string]bool)
	for _, it := range items {
		if it.ParentID != "" {
			hasChildren[it.ParentID] = true
		}
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
		if len(tags) == 0 && hasChildren[it.ID] {
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
		out = append(out, policy.Image{
			ID:          it.ID,
			Tags:        tags,
			Digests:     digests,
			ParentID:    it.ParentID,
			Created:     unixTime(it.Created),
			Size:        it.Size,
			UniqueSize:  size,
			Labels:      it.Labels,
			HasChildren: hasChildren[it.ID],
		})
	}
	return out
}

// applyImageInspect adds what only inspect knows to img.
func applyImageInspect(img *policy.Image, r image.InspectResponse) {
	img.LastTagTime = r.Metadata.LastTagTime
	if t := parseAPITime(r.Created); !t.IsZero() {
		img.Created = t // more precise than the list's seconds
	}
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
	if t := parseAPITime(r.Created); !t.IsZero() {
		c.Created = t
	}
	if r.State == nil {
		return
	}
	c.StartedAt = parseAPITime(r.State.StartedAt)
	c.FinishedAt = parseAPITime(r.State.FinishedAt)
	if r.State.Status != "" {
		c.State = string(r.State.Status)
	}
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
// with a generated name is one a user created without naming it.
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
