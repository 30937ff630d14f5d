package docker

import (
	"context"
	"slices"
	"strings"

	"github.com/moby/moby/client"
)

// NamesAPI is the part of client.APIClient ObjectNames reads.
type NamesAPI interface {
	ImageList(ctx context.Context, options client.ImageListOptions) (client.ImageListResult, error)
	ContainerList(ctx context.Context, options client.ContainerListOptions) (client.ContainerListResult, error)
	VolumeList(ctx context.Context, options client.VolumeListOptions) (client.VolumeListResult, error)
	NetworkList(ctx context.Context, options client.NetworkListOptions) (client.NetworkListResult, error)
}

// ObjectNames lists what "docker shaper explain" takes, for shell
// completion: image references, container, volume and network names, each
// list sorted, in that order. A list the daemon does not give is left out.
func ObjectNames(ctx context.Context, api NamesAPI) []string {
	var images, containers, volumes, networks []string
	if r, err := api.ImageList(ctx, client.ImageListOptions{}); err == nil {
		for _, it := range r.Items {
			for _, t := range it.RepoTags {
				if t != "<none>:<none>" {
					images = append(images, t)
				}
			}
		}
	}
	if r, err := api.ContainerList(ctx, client.ContainerListOptions{All: true}); err == nil {
		for _, it := range r.Items {
			if len(it.Names) > 0 {
				containers = append(containers, strings.TrimPrefix(it.Names[0], "/"))
			}
		}
	}
	if r, err := api.VolumeList(ctx, client.VolumeListOptions{}); err == nil {
		for _, v := range r.Items {
			volumes = append(volumes, v.Name)
		}
	}
	if r, err := api.NetworkList(ctx, client.NetworkListOptions{}); err == nil {
		for _, n := range r.Items {
			networks = append(networks, n.Name)
		}
	}
	var out []string
	for _, l := range [][]string{images, containers, volumes, networks} {
		slices.Sort(l)
		out = append(out, slices.Compact(l)...)
	}
	return out
}
