package docker

import (
	"context"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

func TestFinishingOutlivesItsCallerByTheGrace(t *testing.T) {
	t.Parallel()
	type key struct{}
	// A grace no test run comes near: however slow the machine, the call in
	// flight is not cut short when its caller is cancelled.
	parent, cancelParent := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	ctx, cancel := finishing(parent, time.Hour)
	defer cancel()
	if ctx.Value(key{}) != "v" {
		t.Error("the caller's values are lost")
	}
	cancelParent()
	select {
	case <-ctx.Done():
		t.Fatal("cancelled with its caller: the call in flight would be cut short")
	case <-time.After(50 * time.Millisecond):
	}

	// A short grace: cancelled once it is over.
	parent, cancelParent = context.WithCancel(context.Background())
	ctx, cancel = finishing(parent, time.Millisecond)
	defer cancel()
	cancelParent()
	select {
	case <-ctx.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("not cancelled once the grace was over")
	}

	// Done before its caller is cancelled: cancel ends it, and nothing
	// fires later.
	parent, cancelParent = context.WithCancel(context.Background())
	ctx, cancel = finishing(parent, time.Hour)
	cancel()
	cancelParent()
	if ctx.Err() == nil {
		t.Error("cancel did not cancel")
	}
}

// removalRecorder is an API client that records whether removal calls
// came with a live context.
type removalRecorder struct {
	client.APIClient
	live map[string]bool
}

func (r *removalRecorder) ImageRemove(ctx context.Context, _ string, _ client.ImageRemoveOptions) (client.ImageRemoveResult, error) {
	r.live["image"] = ctx.Err() == nil
	return client.ImageRemoveResult{}, nil
}

func (r *removalRecorder) ContainerRemove(ctx context.Context, _ string, _ client.ContainerRemoveOptions) (client.ContainerRemoveResult, error) {
	r.live["container"] = ctx.Err() == nil
	return client.ContainerRemoveResult{}, nil
}

func (r *removalRecorder) VolumeRemove(ctx context.Context, _ string, _ client.VolumeRemoveOptions) (client.VolumeRemoveResult, error) {
	r.live["volume"] = ctx.Err() == nil
	return client.VolumeRemoveResult{}, nil
}

func (r *removalRecorder) NetworkRemove(ctx context.Context, _ string, _ client.NetworkRemoveOptions) (client.NetworkRemoveResult, error) {
	r.live["network"] = ctx.Err() == nil
	return client.NetworkRemoveResult{}, nil
}

func TestFinishingClientLetsRemovalsFinish(t *testing.T) {
	t.Parallel()
	rec := &removalRecorder{live: map[string]bool{}}
	api := FinishingClient{rec}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the watcher was stopped while these calls were being made
	api.ImageRemove(ctx, "app:1", client.ImageRemoveOptions{})
	api.ContainerRemove(ctx, "c", client.ContainerRemoveOptions{})
	api.VolumeRemove(ctx, "v", client.VolumeRemoveOptions{})
	api.NetworkRemove(ctx, "n", client.NetworkRemoveOptions{})
	for _, kind := range []string{"image", "container", "volume", "network"} {
		if live, called := rec.live[kind]; !called || !live {
			t.Errorf("%s removal: called %v, with a live context %v", kind, called, live)
		}
	}
}
