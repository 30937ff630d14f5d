// Package docker is docker-shaper's only door to the Docker API, and the
// only importer of moby: it reads a snapshot of the host, identifies the
// daemon, follows its events, and carries out removals for internal/apply,
// classifying the daemon's errors on the way. Moby types stop here:
// everything else sees the policy package's types and apply's.
package docker

import (
	"context"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
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
// DiskUsage), and as soon as the lists are in, while the daemon still
// computes the disk usage (the slowest call by far on a host with many
// volumes or containers), one ImageInspect per distinct image ID (for
// LastTagTime) and one ContainerInspect per container (for StartedAt and
// FinishedAt), a few at a time. Objects that vanish between the list and
// the inspect are left out. What docker-shaper recorded (Image.FirstSeen,
// Image.LastUsed) is not set: see store.Observe. clk only times the phases
// for the debug log.
func TakeSnapshot(ctx context.Context, api SnapshotAPI, now time.Time, clk clock.Clock) (policy.Snapshot, error) {
	snap, _, err := TakeSnapshotUsage(ctx, api, now, clk)
	return snap, err
}

// TakeSnapshotUsage is TakeSnapshot that also returns the disk usage it
// read, totalled per kind as Remover.Usage measures it: a prune that acts
// at once on the plan measures nothing twice.
func TakeSnapshotUsage(ctx context.Context, api SnapshotAPI, now time.Time, clk clock.Clock) (policy.Snapshot, apply.DiskTotals, error) {
	logger := logging.From(ctx)
	start := clk()
	var (
		l   lists
		ins inspected
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		l.du, err = diskUsage(gctx, api)
		logger.Debug("disk usage", "took", clk.Since(start).Round(time.Millisecond))
		return wrapAPIError("reading disk usage", err)
	})
	g.Go(func() (err error) {
		if err := listAll(gctx, api, &l); err != nil {
			return err
		}
		logger.Debug("listed", "images", len(l.images.Items), "containers", len(l.containers.Items),
			"volumes", len(l.volumes.Items), "networks", len(l.networks.Items), "took", clk.Since(start).Round(time.Millisecond))
		inspectFrom := clk()
		ins, err = inspectAll(gctx, api, l)
		logger.Debug("inspected", "images", len(ins.images), "containers", len(ins.containers),
			"took", clk.Since(inspectFrom).Round(time.Millisecond))
		return err
	})
	if err := g.Wait(); err != nil {
		return policy.Snapshot{}, nil, err
	}
	normSharing(l.images.Items, &l.du)

	snap := policy.Snapshot{
		Now:        now,
		Images:     imagesFromList(l.images.Items, uniqueSizes(l.du.Images.Items)),
		Containers: containersFromList(l.containers.Items, containerSizes(l.du.Containers.Items), networkIDs(l.networks.Items)),
		Volumes:    volumesFromList(l.volumes.Items, volumeSizes(l.du.Volumes.Items), namesMarkAnonymous(api.ClientVersion())),
		Networks:   networksFromList(l.networks.Items),
		BuildCache: buildCacheFromDiskUsage(l.du.BuildCache.Items),
	}
	snap.ImageSharingUnknown = layerSharingUnknown(l.du)
	ins.apply(&snap)
	logger.Debug("snapshot", "images", len(snap.Images), "containers", len(snap.Containers),
		"cache_records", len(l.du.BuildCache.Items), "took", clk.Since(start).Round(time.Millisecond))
	return snap, diskTotals(l.du), nil
}

// lists are the results of the bulk calls of a snapshot.
type lists struct {
	images     client.ImageListResult
	containers client.ContainerListResult
	volumes    client.VolumeListResult
	networks   client.NetworkListResult
	du         client.DiskUsageResult
}

// listAll makes the list calls of a snapshot, all at once, and evens out
// what differs between engines (normalize.go). The disk usage is asked for
// apart (see TakeSnapshot).
func listAll(ctx context.Context, api SnapshotAPI, l *lists) error {
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
	return g.Wait()
}

// inspected are the inspect answers of a snapshot, by ID; an object that
// is gone has none.
type inspected struct {
	images     map[string]image.InspectResponse
	containers map[string]container.InspectResponse
}

// inspectAll asks, a few at a time, what only inspect knows about the
// listed images (those the snapshot keeps: not the intermediate ones) and
// containers. It needs the lists only, not the disk usage, so it runs
// while the daemon computes that.
func inspectAll(ctx context.Context, api SnapshotAPI, l lists) (inspected, error) {
	images := imagesFromList(l.images.Items, nil)
	ins := inspected{
		images:     make(map[string]image.InspectResponse, len(images)),
		containers: make(map[string]container.InspectResponse, len(l.containers.Items)),
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(inspectConcurrency)
	for _, img := range images {
		g.Go(func() error {
			res, err := api.ImageInspect(gctx, img.ID)
			if cerrdefs.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return wrapAPIError("inspecting image "+policy.ShortID(img.ID), err)
			}
			normInspect(&res.InspectResponse)
			mu.Lock()
			ins.images[img.ID] = res.InspectResponse
			mu.Unlock()
			return nil
		})
	}
	for _, c := range l.containers.Items {
		g.Go(func() error {
			res, err := api.ContainerInspect(gctx, c.ID, client.ContainerInspectOptions{})
			if cerrdefs.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return wrapAPIError("inspecting container "+containerName(c.Names), err)
			}
			normContainerInspect(&res.Container)
			mu.Lock()
			ins.containers[c.ID] = res.Container
			mu.Unlock()
			return nil
		})
	}
	return ins, g.Wait()
}

// apply adds the inspect answers to the snapshot's images and containers,
// and leaves out those that are gone.
func (ins inspected) apply(snap *policy.Snapshot) {
	imageFound := make([]bool, len(snap.Images))
	for i := range snap.Images {
		if r, ok := ins.images[snap.Images[i].ID]; ok {
			applyImageInspect(&snap.Images[i], r)
			imageFound[i] = true
		}
	}
	containerFound := make([]bool, len(snap.Containers))
	for i := range snap.Containers {
		if r, ok := ins.containers[snap.Containers[i].ID]; ok {
			applyContainerInspect(&snap.Containers[i], r)
			containerFound[i] = true
		}
	}
	snap.Images = keepFound(snap.Images, imageFound)
	snap.Containers = keepFound(snap.Containers, containerFound)
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
