package docker

import (
	"context"

	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/client"
)

// IdentifyAPI is what Identify reads.
type IdentifyAPI interface {
	Info(ctx context.Context, options client.InfoOptions) (client.SystemInfoResult, error)
	ClientVersion() string
}

// Identify asks the daemon who it is: its ID (empty for a daemon that has
// none), its host name and data root (which tell apart daemons with one
// ID), engine and version, and the API version negotiated with it.
func Identify(ctx context.Context, api IdentifyAPI) (policy.Daemon, error) {
	res, err := api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return policy.Daemon{}, wrapAPIError("asking the daemon who it is", err)
	}
	return policy.Daemon{
		ID:       res.Info.ID,
		Engine:   "docker",
		Version:  res.Info.ServerVersion,
		API:      api.ClientVersion(),
		Instance: res.Info.Name + "\x00" + res.Info.DockerRootDir,
	}, nil
}

var _ SnapshotAPI = client.APIClient(nil)
