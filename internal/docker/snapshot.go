// Package docker is docker-shaper's only door to the Docker API, and the
// only importer of moby: it reads a snapshot of the host, identifies the
// daemon, follows its events, and carries out removals for internal/apply,
// classifying the daemon's errors on the way. Moby types stop here:
// everything else sees the policy package's types and apply's.
package docker

import (
	"context"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/client"
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
	snap.ImageSharingUnknown = layerSharingUnknown(lists.du)

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

// listAll makes the bulk calls of a snapshot, all at once, and evens out
// what differs between engines (normalize.go).
func listAll(ctx context.Context, api SnapshotAPI) (lists, error) {
	var l lists
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		l.images, err = api.ImageList(gctx, client.ImageListOptions{All: true})
		normImages(l.images.Items)
		return wrapAPIError("listing images", err)
	})
	g.Go(func() (err error) {
		l.containers, err = api.ContainerList(gctx, client.ContainerListOptions{All: true})
		normContainers(l.containers.Items)
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
	if err := g.Wait(); err != nil {
		return l, err
	}
	normSharing(l.images.Items, &l.du)
	return l, nil
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
			normInspect(&res.InspectResponse)
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
			normContainerInspect(&res.Container)
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
			normDiskUsage(&du)
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
