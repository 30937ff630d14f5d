package docker

import (
	"context"
	"time"

	"github.com/moby/moby/client"
)

// RemovalGrace is how long a removal call already made may go on once
// prune or the watcher is told to stop: enough for any one removal, short
// of a service manager's patience (systemd waits 90 seconds by default).
const RemovalGrace = 20 * time.Second

// FinishingClient runs the calls that change the host with a context that
// outlives its caller's cancellation by RemovalGrace. Reads are cancelled
// at once, as they change nothing. enforce applies every plan through it:
// when stopped, applyPlan starts no new action (it sees the context
// cancelled), while the removals in flight run to their end and are
// journalled as what they did, not as interrupted.
type FinishingClient struct{ client.APIClient }

func (c FinishingClient) ImageRemove(ctx context.Context, image string, options client.ImageRemoveOptions) (client.ImageRemoveResult, error) {
	ctx, cancel := finishing(ctx, RemovalGrace)
	defer cancel()
	return c.APIClient.ImageRemove(ctx, image, options)
}

func (c FinishingClient) ContainerRemove(ctx context.Context, container string, options client.ContainerRemoveOptions) (client.ContainerRemoveResult, error) {
	ctx, cancel := finishing(ctx, RemovalGrace)
	defer cancel()
	return c.APIClient.ContainerRemove(ctx, container, options)
}

func (c FinishingClient) VolumeRemove(ctx context.Context, volume string, options client.VolumeRemoveOptions) (client.VolumeRemoveResult, error) {
	ctx, cancel := finishing(ctx, RemovalGrace)
	defer cancel()
	return c.APIClient.VolumeRemove(ctx, volume, options)
}

func (c FinishingClient) NetworkRemove(ctx context.Context, network string, options client.NetworkRemoveOptions) (client.NetworkRemoveResult, error) {
	ctx, cancel := finishing(ctx, RemovalGrace)
	defer cancel()
	return c.APIClient.NetworkRemove(ctx, network, options)
}

// finishing returns a context with ctx's values that is cancelled grace
// after ctx is, or by cancel.
func finishing(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(grace, cancel)
		context.AfterFunc(fctx, func() { t.Stop() })
	})
	return fctx, func() {
		stop()
		cancel()
	}
}
