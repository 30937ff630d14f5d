package plugin

import (
	"context"
	"strings"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/client"
)

// This file holds the Docker API calls that change the host, and the
// re-checks made just before each change. Like daemon.go, it keeps moby
// types to itself: apply.go sees only the applyAPI interface.

// removeAPI is the part of client.APIClient that applying a plan uses.
type removeAPI interface {
	snapshotAPI // the reads, DiskUsage among them
	ImageRemove(ctx context.Context, image string, options client.ImageRemoveOptions) (client.ImageRemoveResult, error)
	ContainerRemove(ctx context.Context, container string, options client.ContainerRemoveOptions) (client.ContainerRemoveResult, error)
	VolumeInspect(ctx context.Context, volumeID string, options client.VolumeInspectOptions) (client.VolumeInspectResult, error)
	VolumeRemove(ctx context.Context, volumeID string, options client.VolumeRemoveOptions) (client.VolumeRemoveResult, error)
	NetworkRemove(ctx context.Context, networkID string, options client.NetworkRemoveOptions) (client.NetworkRemoveResult, error)
	BuildCachePrune(ctx context.Context, opts client.BuildCachePruneOptions) (client.BuildCachePruneResult, error)
}

var _ removeAPI = client.APIClient(nil)

// daemonApplier is applyAPI over the Docker API.
type daemonApplier struct{ api removeAPI }

// newDaemonApplier returns the applyAPI that talks to the daemon through api.
func newDaemonApplier(api removeAPI) applyAPI { return daemonApplier{api} }

func (d daemonApplier) inspectImage(ctx context.Context, id string) (imageNow, error) {
	res, err := d.api.ImageInspect(ctx, id)
	if err != nil {
		return imageNow{}, err
	}
	return imageNow{
		ID:      res.ID,
		Tags:    refsExcept(res.RepoTags, "<none>:<none>", policy.NormalizeRef),
		Digests: refsExcept(res.RepoDigests, "<none>@<none>", nil),
	}, nil
}

func (d daemonApplier) imageUsers(ctx context.Context, id string) ([]string, error) {
	// The ancestor filter also returns containers of images built on this
	// one: keep those created from exactly this image.
	res, err := d.api.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("ancestor", id),
	})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range res.Items {
		if c.ImageID == id {
			names = append(names, containerName(c.Names))
		}
	}
	return names, nil
}

func (d daemonApplier) inspectContainer(ctx context.Context, id string) (containerNow, error) {
	res, err := d.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return containerNow{}, err
	}
	c := containerNow{Name: strings.TrimPrefix(res.Container.Name, "/"), ImageID: res.Container.Image}
	if s := res.Container.State; s != nil {
		c.State = string(s.Status)
		c.StartedAt = parseAPITime(s.StartedAt)
		c.FinishedAt = parseAPITime(s.FinishedAt)
	}
	return c, nil
}

func (d daemonApplier) removeContainer(ctx context.Context, id string, force, volumes bool) error {
	_, err := d.api.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: force, RemoveVolumes: volumes})
	return err
}

// removeImageRef removes one reference (a tag, a digest reference, or an
// image ID), never forced; untagged parents go with a removed image.
func (d daemonApplier) removeImageRef(ctx context.Context, ref string) (imageRemoval, error) {
	res, err := d.api.ImageRemove(ctx, ref, client.ImageRemoveOptions{PruneChildren: true})
	var out imageRemoval
	for _, it := range res.Items {
		if it.Untagged != "" {
			out.Untagged = append(out.Untagged, it.Untagged)
		}
		if it.Deleted != "" {
			out.Deleted = append(out.Deleted, it.Deleted)
		}
	}
	return out, err
}

func (d daemonApplier) inspectVolume(ctx context.Context, name string) (volumeNow, error) {
	res, err := d.api.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
	if err != nil {
		return volumeNow{}, err
	}
	return volumeNow{CreatedAt: parseAPITime(res.Volume.CreatedAt)}, nil
}

func (d daemonApplier) removeVolume(ctx context.Context, name string) error {
	_, err := d.api.VolumeRemove(ctx, name, client.VolumeRemoveOptions{})
	return err
}

func (d daemonApplier) removeNetwork(ctx context.Context, id string) error {
	_, err := d.api.NetworkRemove(ctx, id, client.NetworkRemoveOptions{})
	return err
}

// pruneBuildCache prunes the build cache as the policy's build_cache block
// says. On API 1.41 the client sends all=1, keep-storage=<bytes> (the
// client maps ReservedSpace to keep-storage up to API 1.47) and the filter
// until=<duration>, which BuildKit reads as "unused for".
func (d daemonApplier) pruneBuildCache(ctx context.Context, r policy.BuildCacheRule) (int64, error) {
	opts := client.BuildCachePruneOptions{All: r.All, ReservedSpace: r.KeepStorage}
	if r.UnusedFor > 0 {
		opts.Filters = make(client.Filters).Add("until", r.UnusedFor.String())
	}
	res, err := d.api.BuildCachePrune(ctx, opts)
	if err != nil {
		return 0, err
	}
	return int64(res.Report.SpaceReclaimed), nil
}

// usage is what docker system df counts, per kind: image layers,
// containers' writable layers, volumes and build cache.
func (d daemonApplier) usage(ctx context.Context) (diskTotals, error) {
	start := time.Now()
	du, err := diskUsage(ctx, d.api)
	if err != nil {
		return diskTotals{}, err
	}
	loggerFrom(ctx).Debug("measured disk usage", "took", time.Since(start).Round(time.Millisecond))
	return diskTotals{
		policy.KindImage:      du.Images.TotalSize,
		policy.KindContainer:  du.Containers.TotalSize,
		policy.KindVolume:     du.Volumes.TotalSize,
		policy.KindBuildCache: du.BuildCache.TotalSize,
	}, nil
}
