package docker

import (
	"context"
	"fmt"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/client"
)

// The Docker API calls that change the host, and the re-checks made just
// before each change, for internal/apply. Every error is classified (see
// classify) so apply can tell a race from a failure without knowing the
// daemon's words.

// RemoveAPI is the part of client.APIClient that applying a plan uses.
type RemoveAPI interface {
	SnapshotAPI // the reads, DiskUsage among them
	ImageRemove(ctx context.Context, image string, options client.ImageRemoveOptions) (client.ImageRemoveResult, error)
	ContainerRemove(ctx context.Context, container string, options client.ContainerRemoveOptions) (client.ContainerRemoveResult, error)
	VolumeInspect(ctx context.Context, volumeID string, options client.VolumeInspectOptions) (client.VolumeInspectResult, error)
	VolumeRemove(ctx context.Context, volumeID string, options client.VolumeRemoveOptions) (client.VolumeRemoveResult, error)
	NetworkInspect(ctx context.Context, networkID string, options client.NetworkInspectOptions) (client.NetworkInspectResult, error)
	NetworkRemove(ctx context.Context, networkID string, options client.NetworkRemoveOptions) (client.NetworkRemoveResult, error)
	BuildCachePrune(ctx context.Context, opts client.BuildCachePruneOptions) (client.BuildCachePruneResult, error)
}

var _ RemoveAPI = client.APIClient(nil)

// Remover is apply.Daemon over the Docker API.
type Remover struct {
	api   RemoveAPI
	clock clock.Clock
}

// NewRemover returns the apply.Daemon that talks to the daemon through
// api; clk times the disk usage measurements for the debug log.
func NewRemover(api RemoveAPI, clk clock.Clock) apply.Daemon { return Remover{api, clk} }

func (d Remover) InspectImage(ctx context.Context, id string) (apply.Image, error) {
	res, err := d.api.ImageInspect(ctx, id)
	if err != nil {
		return apply.Image{}, classify(err)
	}
	normInspect(&res.InspectResponse)
	return apply.Image{
		ID:      res.ID,
		Tags:    refsExcept(res.RepoTags, "<none>:<none>", policy.NormalizeRef),
		Digests: refsExcept(res.RepoDigests, "<none>@<none>", nil),
	}, nil
}

func (d Remover) ImageUsers(ctx context.Context, id string) ([]string, error) {
	// The ancestor filter also returns containers of images built on this
	// one: keep those created from exactly this image.
	res, err := d.api.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("ancestor", bareImageID(id)),
	})
	if err != nil {
		return nil, classify(err)
	}
	normContainers(res.Items)
	var names []string
	for _, c := range res.Items {
		if c.ImageID == id {
			names = append(names, containerName(c.Names))
		}
	}
	return names, nil
}

func (d Remover) InspectContainer(ctx context.Context, id string) (apply.Container, error) {
	res, err := d.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return apply.Container{}, classify(err)
	}
	normContainerInspect(&res.Container)
	c := apply.Container{Name: strings.TrimPrefix(res.Container.Name, "/"), ImageID: res.Container.Image}
	if s := res.Container.State; s != nil {
		c.State = string(s.Status)
		c.StartedAt = parseAPITime(s.StartedAt)
		c.FinishedAt = parseAPITime(s.FinishedAt)
	}
	return c, nil
}

func (d Remover) RemoveContainer(ctx context.Context, id string, force, volumes bool) error {
	_, err := d.api.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: force, RemoveVolumes: volumes})
	return classify(err)
}

// RemoveImageRef removes one reference (a tag, a digest reference, or an
// image ID), never forced; untagged parents go with a removed image.
func (d Remover) RemoveImageRef(ctx context.Context, ref string) (apply.ImageRemoval, error) {
	res, err := d.api.ImageRemove(ctx, ref, client.ImageRemoveOptions{PruneChildren: true})
	normRemoved(res.Items)
	var out apply.ImageRemoval
	for _, it := range res.Items {
		if it.Untagged != "" {
			out.Untagged = append(out.Untagged, it.Untagged)
		}
		if it.Deleted != "" {
			out.Deleted = append(out.Deleted, it.Deleted)
		}
	}
	return out, classify(err)
}

func (d Remover) InspectVolume(ctx context.Context, name string) (apply.Volume, error) {
	res, err := d.api.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
	if err != nil {
		return apply.Volume{}, classify(err)
	}
	return apply.Volume{CreatedAt: parseAPITime(res.Volume.CreatedAt)}, nil
}

func (d Remover) RemoveVolume(ctx context.Context, name string) error {
	_, err := d.api.VolumeRemove(ctx, name, client.VolumeRemoveOptions{})
	return classify(err)
}

func (d Remover) InspectNetwork(ctx context.Context, id string) error {
	_, err := d.api.NetworkInspect(ctx, id, client.NetworkInspectOptions{})
	return classify(err)
}

func (d Remover) RemoveNetwork(ctx context.Context, id string) error {
	_, err := d.api.NetworkRemove(ctx, id, client.NetworkRemoveOptions{})
	return classify(err)
}

// PruneBuildCache prunes the build cache as the policy's build_cache block
// says. On API 1.41 the client sends all=1, keep-storage=<bytes> (the
// client maps ReservedSpace to keep-storage up to API 1.47) and the filter
// until=<duration>, which BuildKit reads as "unused for".
func (d Remover) PruneBuildCache(ctx context.Context, r policy.BuildCacheRule) (int64, error) {
	opts := client.BuildCachePruneOptions{All: r.All, ReservedSpace: r.KeepStorage}
	if r.UnusedFor > 0 {
		opts.Filters = make(client.Filters).Add("until", r.UnusedFor.String())
	}
	res, err := d.api.BuildCachePrune(ctx, opts)
	if cerrdefs.IsNotFound(err) {
		// No build cache API at all (Podman): nothing was pruned, and
		// nothing is "already gone".
		return 0, fmt.Errorf("the daemon has no build cache API (%s): build_cache is not supported there", classify(err))
	}
	if err != nil {
		return 0, classify(err)
	}
	return int64(res.Report.SpaceReclaimed), nil
}

// Usage is what docker system df counts, per kind: image layers,
// containers' writable layers, volumes and build cache.
func (d Remover) Usage(ctx context.Context) (apply.DiskTotals, error) {
	start := d.clock()
	du, err := diskUsage(ctx, d.api)
	if err != nil {
		return apply.DiskTotals{}, classify(err)
	}
	logging.From(ctx).Debug("measured disk usage", "took", d.clock.Since(start).Round(time.Millisecond))
	return diskTotals(du), nil
}

// diskTotals are the bytes per kind of a disk usage answer, as docker
// system df totals them.
func diskTotals(du client.DiskUsageResult) apply.DiskTotals {
	totals := apply.DiskTotals{
		policy.KindImage:      du.Images.TotalSize,
		policy.KindContainer:  du.Containers.TotalSize,
		policy.KindVolume:     du.Volumes.TotalSize,
		policy.KindBuildCache: du.BuildCache.TotalSize,
	}
	if layerSharingUnknown(du) {
		delete(totals, policy.KindImage) // Podman's 0 is not a measurement
	}
	return totals
}
