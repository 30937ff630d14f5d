package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
)

// The live view's side of the API: one object at a time, as events name
// them, in the snapshot's terms, so that a view of the host is kept up to
// date without listing everything again; and one-shot resource usage of a
// running container.

// ObjectAPI is what the live view reads besides the snapshot and the
// events. Every call is read-only.
type ObjectAPI interface {
	ImageInspect(ctx context.Context, image string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error)
	ContainerInspect(ctx context.Context, container string, options client.ContainerInspectOptions) (client.ContainerInspectResult, error)
	VolumeInspect(ctx context.Context, volumeID string, options client.VolumeInspectOptions) (client.VolumeInspectResult, error)
	NetworkInspect(ctx context.Context, network string, options client.NetworkInspectOptions) (client.NetworkInspectResult, error)
	ContainerStats(ctx context.Context, container string, options client.ContainerStatsOptions) (client.ContainerStatsResult, error)
	ClientVersion() string
}

var _ ObjectAPI = client.APIClient(nil)

// InspectImage reads one image (by ID or reference) as a snapshot holds
// it, but for what only lists say: its parent, whether other images are
// built on it, and its unique size (-1, unknown). A missing image is an
// IsNotFound error.
func InspectImage(ctx context.Context, api ObjectAPI, ref string) (policy.Image, error) {
	res, err := api.ImageInspect(ctx, ref)
	if err != nil {
		return policy.Image{}, wrapAPIError("inspecting image "+ref, err)
	}
	r := res.InspectResponse
	img := policy.Image{
		ID:         r.ID,
		Tags:       refsExcept(r.RepoTags, "<none>:<none>", policy.NormalizeRef),
		Digests:    refsExcept(r.RepoDigests, "<none>@<none>", nil),
		Size:       r.Size,
		UniqueSize: -1,
	}
	if r.Config != nil && len(r.Config.Labels) > 0 {
		img.Labels = r.Config.Labels
	}
	applyImageInspect(&img, r)
	return img, nil
}

// InspectContainer reads one container as a snapshot holds it, but for
// the size of its writable layer (0: inspecting without sizes is what
// keeps it cheap). A missing container is an IsNotFound error.
func InspectContainer(ctx context.Context, api ObjectAPI, id string) (policy.Container, error) {
	res, err := api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return policy.Container{}, wrapAPIError("inspecting container "+id, err)
	}
	r := res.Container
	c := policy.Container{ID: r.ID, Name: containerName([]string{r.Name}), ImageID: r.Image}
	if r.Config != nil {
		c.Image = r.Config.Image
		if len(r.Config.Labels) > 0 {
			c.Labels = r.Config.Labels
		}
	}
	applyContainerInspect(&c, r)
	for _, m := range r.Mounts {
		if m.Type == mount.TypeVolume && m.Name != "" {
			c.Volumes = appendNew(c.Volumes, m.Name)
		}
	}
	if r.NetworkSettings != nil {
		for _, ep := range r.NetworkSettings.Networks {
			if ep != nil && ep.NetworkID != "" {
				c.Networks = appendNew(c.Networks, ep.NetworkID)
			}
		}
		slices.Sort(c.Networks)
	}
	return c, nil
}

// InspectVolume reads one volume as a snapshot holds it; its size is
// unknown (-1), as only the disk usage computation knows it. A missing
// volume is an IsNotFound error.
func InspectVolume(ctx context.Context, api ObjectAPI, name string) (policy.Volume, error) {
	res, err := api.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
	if err != nil {
		return policy.Volume{}, wrapAPIError("inspecting volume "+name, err)
	}
	vs := volumesFromList([]volume.Volume{res.Volume}, nil, namesMarkAnonymous(api.ClientVersion()))
	return vs[0], nil
}

// InspectNetwork reads one network as a snapshot holds it. A missing
// network is an IsNotFound error.
func InspectNetwork(ctx context.Context, api ObjectAPI, id string) (policy.Network, error) {
	res, err := api.NetworkInspect(ctx, id, client.NetworkInspectOptions{})
	if err != nil {
		return policy.Network{}, wrapAPIError("inspecting network "+id, err)
	}
	n := res.Network
	return policy.Network{ID: n.ID, Name: n.Name, Driver: n.Driver, Scope: n.Scope, Labels: n.Labels, Created: n.Created}, nil
}

// Usage is one sample of a running container's resource use.
type Usage struct {
	Read time.Time
	// CPU is the container's CPU time and System the host's, both in
	// nanoseconds since some start; Pre* are the same a moment before,
	// when the daemon was asked for them (zero otherwise). CPUs is the
	// number of CPUs online.
	CPU, System       uint64
	PreCPU, PreSystem uint64
	CPUs              uint32
	// Memory is the memory in use, as docker stats counts it (without the
	// inactive page cache), and MemoryLimit its limit.
	Memory, MemoryLimit uint64
}

// CPUPercent is the container's CPU use between an earlier sample and this
// one, as docker stats shows it (100% is one CPU busy); ok is false when
// the two cannot be compared (a restart, no time between them).
func (u Usage) CPUPercent(earlier Usage) (percent float64, ok bool) {
	if earlier.System == 0 || u.CPU < earlier.CPU || u.System <= earlier.System || u.CPUs == 0 {
		return 0, false
	}
	return float64(u.CPU-earlier.CPU) / float64(u.System-earlier.System) * float64(u.CPUs) * 100, true
}

// ContainerUsage takes one sample of a running container's resource use.
// It returns at once (the daemon's one-shot statistics), unless previous
// is set: then the daemon takes two samples a second apart, and the
// result's Pre* fields hold the first, for a CPU figure from one call.
func ContainerUsage(ctx context.Context, api ObjectAPI, id string, previous bool) (Usage, error) {
	res, err := api.ContainerStats(ctx, id, client.ContainerStatsOptions{IncludePreviousSample: previous})
	if err != nil {
		return Usage{}, wrapAPIError("reading the statistics of container "+id, err)
	}
	defer res.Body.Close()
	var st container.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		return Usage{}, fmt.Errorf("reading the statistics of container %s: %w", id, err)
	}
	u := Usage{
		Read:        st.Read,
		CPU:         st.CPUStats.CPUUsage.TotalUsage,
		System:      st.CPUStats.SystemUsage,
		PreCPU:      st.PreCPUStats.CPUUsage.TotalUsage,
		PreSystem:   st.PreCPUStats.SystemUsage,
		CPUs:        st.CPUStats.OnlineCPUs,
		Memory:      st.MemoryStats.Usage,
		MemoryLimit: st.MemoryStats.Limit,
	}
	if u.CPUs == 0 {
		u.CPUs = uint32(len(st.CPUStats.CPUUsage.PercpuUsage))
	}
	// docker stats leaves the inactive page cache out: cgroup v1 calls it
	// total_inactive_file, v2 inactive_file.
	for _, key := range []string{"total_inactive_file", "inactive_file"} {
		if v, ok := st.MemoryStats.Stats[key]; ok && v < u.Memory {
			u.Memory -= v
			break
		}
	}
	return u, nil
}
