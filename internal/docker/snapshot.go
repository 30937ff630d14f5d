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
	"github.com/moby/moby/api/types/events"
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
	EventsAPI
	ClientVersion() string
}

// inspectConcurrency bounds the inspect calls in flight.
const inspectConcurrency = 8

// TakeSnapshot reads the host for a plan made at now, asking the daemon
// for everything: TakeSnapshotRecall without a prior.
func TakeSnapshot(ctx context.Context, api SnapshotAPI, now time.Time, clk clock.Clock) (policy.Snapshot, error) {
	snap, _, _, err := TakeSnapshotRecall(ctx, api, now, clk, nil)
	return snap, err
}

// TakeSnapshotRecall reads the host for a plan made at now. It asks at once
// for the disk usage (the bytes each removal frees, and the slowest call by
// far), the volumes and the networks, and for prior (nil for none). The
// images and containers come from the disk usage when prior says the
// daemon's lists them as its lists do (Docker), else from ImageList (all)
// and ContainerList (all) beside it. Then one ImageInspect per distinct
// image ID (for LastTagTime) and one ContainerInspect per container (for
// StartedAt and FinishedAt), a few at a time, but for what the recall of
// earlier snapshots vouches for (see Recall): the events since its mark
// are replayed meanwhile. Objects that vanish between the list and the
// inspect are left out. What docker-shaper recorded (Image.FirstSeen,
// Image.LastUsed) is not set: see store.Observe. clk only times the phases
// for the debug log.
//
// It also returns the disk usage it read, totalled per kind as
// Remover.Usage measures it (a prune that acts at once on the plan
// measures nothing twice), and the recall of this snapshot: nil when there
// is nothing to mark it with (no prior, an engine without a clock, a
// daemon that holds no event).
func TakeSnapshotRecall(ctx context.Context, api SnapshotAPI, now time.Time, clk clock.Clock, prior PriorFunc) (policy.Snapshot, apply.DiskTotals, *Recall, error) {
	logger := logging.From(ctx)
	start := clk()
	var (
		l    lists
		ins  inspected
		next *Recall
	)
	measured := make(chan struct{}) // the disk usage is in l.du
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		l.du, err = diskUsage(gctx, api)
		logger.Debug("disk usage", "took", clk.Since(start).Round(time.Millisecond))
		if err != nil {
			return wrapAPIError("reading disk usage", err)
		}
		close(measured)
		return nil
	})
	g.Go(func() error { return listVolumesNetworks(gctx, api, &l) })
	g.Go(func() (err error) {
		var p Prior
		if prior != nil {
			if p, err = prior(gctx); err != nil {
				return err
			}
		}
		// The events since the recall's mark are read while the daemon
		// lists: what changes between the two is either an object the
		// lists show anew or in another state (inspected), or a change
		// the next look replays, the mark being no later than the replay.
		var (
			r        *Recall
			msgs     []events.Message
			replayed = make(chan struct{})
		)
		if until := p.Clock.Now(); !until.IsZero() {
			r = p.Recall
			go func() {
				defer close(replayed)
				var err error
				if msgs, err = replay(gctx, api, recallMark(r), until); err != nil {
					logger.Debug("cannot replay the daemon's events: inspecting everything", "err", err)
					msgs = nil
				}
			}()
		} else {
			close(replayed)
		}
		err = listImagesContainers(gctx, api, &l, p.DiskUsageLists, measured)
		<-replayed
		if err != nil {
			return err
		}
		logger.Debug("listed", "images", len(l.images.Items), "containers", len(l.containers.Items),
			"from_disk_usage", l.fromDiskUsage, "events_replayed", len(msgs), "took", clk.Since(start).Round(time.Millisecond))
		inspectFrom := clk()
		images := imagesFromList(l.images.Items, nil)
		ins, err = inspectAll(gctx, api, images, l.containers.Items, usableFacts(r, msgs, images))
		if len(msgs) > 0 {
			next = &Recall{Mark: markOf(msgs[len(msgs)-1]), Images: ins.images, Containers: ins.containers}
			next.changed = ins.inspectedImages+ins.inspectedContainers > 0 || recallMark(r) == nil ||
				*r.Mark != *next.Mark || len(r.Images) != len(next.Images) || len(r.Containers) != len(next.Containers)
		}
		logger.Debug("inspected", "images", ins.inspectedImages, "of", len(ins.images),
			"containers", ins.inspectedContainers, "of", len(ins.containers),
			"took", clk.Since(inspectFrom).Round(time.Millisecond))
		return err
	})
	if err := g.Wait(); err != nil {
		return policy.Snapshot{}, nil, nil, err
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
	return snap, diskTotals(l.du), next, nil
}

// lists are the results of the bulk calls of a snapshot.
type lists struct {
	images     client.ImageListResult
	containers client.ContainerListResult
	volumes    client.VolumeListResult
	networks   client.NetworkListResult
	du         client.DiskUsageResult
	// fromDiskUsage says the images and containers are the disk usage's.
	fromDiskUsage bool
}

// listVolumesNetworks lists the volumes (all of them: the disk usage
// counts only the local driver's) and the networks.
func listVolumesNetworks(ctx context.Context, api SnapshotAPI, l *lists) error {
	g, gctx := errgroup.WithContext(ctx)
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

// listImagesContainers lists the images and containers, and evens out what
// differs between engines (normalize.go). Docker's disk usage holds both
// lists already (every container, sizes included; every image but the
// intermediate ones of legacy builds), and computing them once more beside
// it slows it down by a third: with fromDiskUsage, the lists are taken
// from it once it is in (measured closes), and the images are listed
// apart only when one names a parent the disk usage does not hold.
func listImagesContainers(ctx context.Context, api SnapshotAPI, l *lists, fromDiskUsage bool, measured <-chan struct{}) error {
	listImages := true
	if fromDiskUsage {
		select {
		case <-measured:
		case <-ctx.Done():
			return ctx.Err()
		}
		l.fromDiskUsage = true
		l.containers.Items = l.du.Containers.Items
		l.images.Items = l.du.Images.Items
		if listImages = hasUnlistedParent(l.images.Items); !listImages {
			return nil
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	if listImages {
		g.Go(func() (err error) {
			l.images, err = api.ImageList(gctx, client.ImageListOptions{All: true})
			normImages(l.images.Items)
			return wrapAPIError("listing images", err)
		})
	}
	if !fromDiskUsage {
		g.Go(func() (err error) {
			l.containers, err = api.ContainerList(gctx, client.ContainerListOptions{All: true})
			normContainers(l.containers.Items)
			return wrapAPIError("listing containers", err)
		})
	}
	return g.Wait()
}

// hasUnlistedParent says whether an image's parent is not among images:
// an intermediate image, which only the full image list holds.
func hasUnlistedParent(images []image.Summary) bool {
	ids := make(map[string]bool, len(images))
	for _, it := range images {
		ids[it.ID] = true
	}
	for _, it := range images {
		if it.ParentID != "" && !ids[it.ParentID] {
			return true
		}
	}
	return false
}

// inspected are the facts only inspects tell of a snapshot's images and
// containers, by ID, asked or recalled; an object that is gone has none.
type inspected struct {
	images     map[string]ImageFacts
	containers map[string]ContainerFacts
	// inspectedImages and inspectedContainers count the inspects made.
	inspectedImages, inspectedContainers int
}

// inspectAll asks, a few at a time, what only inspect knows about the
// listed images (those the snapshot keeps: not the intermediate ones) and
// containers, but for what recalled vouches for. With lists of their own
// (not the disk usage's) it runs while the daemon computes the disk usage.
func inspectAll(ctx context.Context, api SnapshotAPI, images []policy.Image, containers []container.Summary, recalled usable) (inspected, error) {
	ins := inspected{
		images:     make(map[string]ImageFacts, len(images)),
		containers: make(map[string]ContainerFacts, len(containers)),
	}
	// The recalled facts go in first: the inspects write the maps too.
	var askImages []string
	for _, img := range images {
		if f, ok := recalled.image(img.ID); ok {
			ins.images[img.ID] = f
		} else {
			askImages = append(askImages, img.ID)
		}
	}
	var askContainers []container.Summary
	for _, c := range containers {
		if f, ok := recalled.container(c); ok {
			ins.containers[c.ID] = f
		} else {
			askContainers = append(askContainers, c)
		}
	}
	ins.inspectedImages, ins.inspectedContainers = len(askImages), len(askContainers)
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(inspectConcurrency)
	for _, id := range askImages {
		g.Go(func() error {
			res, err := api.ImageInspect(gctx, id)
			if cerrdefs.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return wrapAPIError("inspecting image "+policy.ShortID(id), err)
			}
			normInspect(&res.InspectResponse)
			f := imageFactsOf(res.InspectResponse)
			mu.Lock()
			ins.images[id] = f
			mu.Unlock()
			return nil
		})
	}
	for _, c := range askContainers {
		g.Go(func() error {
			res, err := api.ContainerInspect(gctx, c.ID, client.ContainerInspectOptions{})
			if cerrdefs.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return wrapAPIError("inspecting container "+containerName(c.Names), err)
			}
			normContainerInspect(&res.Container)
			f := containerFactsOf(res.Container)
			mu.Lock()
			ins.containers[c.ID] = f
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
		if f, ok := ins.images[snap.Images[i].ID]; ok {
			applyImageFacts(&snap.Images[i], f)
			imageFound[i] = true
		}
	}
	containerFound := make([]bool, len(snap.Containers))
	for i := range snap.Containers {
		if f, ok := ins.containers[snap.Containers[i].ID]; ok {
			applyContainerFacts(&snap.Containers[i], f)
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
