package docker

import (
	"context"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"
)

// IdentifyAPI is what Identify reads.
type IdentifyAPI interface {
	Info(ctx context.Context, options client.InfoOptions) (client.SystemInfoResult, error)
	VersionAPI
	ClientVersion() string
}

// Identify asks the daemon who it is: its ID (empty for a daemon that has
// none), its host name and data root (which tell apart daemons with one
// ID), engine and version, and the API version negotiated with it. A
// Podman service, whose info ID changes on every call, is identified by its
// host name and storage root instead (podmanID).
func Identify(ctx context.Context, api IdentifyAPI) (policy.Daemon, error) {
	d, _, err := IdentifyClock(ctx, api)
	return d, err
}

// IdentifyClock is Identify that also reads the daemon's clock (zero on
// Podman, whose events a snapshot does not replay: see Recall).
func IdentifyClock(ctx context.Context, api IdentifyAPI) (policy.Daemon, DaemonClock, error) {
	var (
		at     DaemonClock
		info   client.SystemInfoResult
		engine string
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		info, err = api.Info(gctx, client.InfoOptions{})
		at = DaemonClock{reported: parseAPITime(info.Info.SystemTime), received: clock.Start()}
		return wrapAPIError("asking the daemon who it is", err)
	})
	g.Go(func() (err error) {
		engine, err = DetectEngine(gctx, api)
		return err
	})
	if err := g.Wait(); err != nil {
		return policy.Daemon{}, DaemonClock{}, err
	}
	id := info.Info.ID
	if engine == EnginePodman {
		id = podmanID(info.Info.Name, info.Info.DockerRootDir)
		at = DaemonClock{}
	}
	return policy.Daemon{
		ID:       id,
		Engine:   engine,
		Version:  info.Info.ServerVersion,
		API:      api.ClientVersion(),
		Instance: info.Info.Name + "\x00" + info.Info.DockerRootDir,
	}, at, nil
}

var _ SnapshotAPI = client.APIClient(nil)
