package apply

import (
	"context"
	"errors"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
)

// Daemon is what applying a plan needs from the daemon, in apply's own
// terms; internal/docker implements it over the Docker API. Its errors are
// classified: errors.Is(err, ErrNotFound) when the object is gone,
// errors.Is(err, ErrChanged) when the daemon refused because the object
// changed since the plan (it came into use, someone else is removing it),
// and context.Canceled when the call was cut short.
type Daemon interface {
	// InspectImage returns the image's current references; ref may be an
	// ID or a reference.
	InspectImage(ctx context.Context, ref string) (Image, error)
	// ImageUsers names the containers, in any state, created from exactly
	// the image id.
	ImageUsers(ctx context.Context, id string) ([]string, error)
	InspectContainer(ctx context.Context, id string) (Container, error)
	RemoveContainer(ctx context.Context, id string, force, volumes bool) error
	// RemoveImageRef removes one reference (tag, digest reference or
	// image ID), never forced; untagged parents go with a removed image.
	RemoveImageRef(ctx context.Context, ref string) (ImageRemoval, error)
	InspectVolume(ctx context.Context, name string) (Volume, error)
	RemoveVolume(ctx context.Context, name string) error
	// InspectNetwork returns nil when the network exists.
	InspectNetwork(ctx context.Context, id string) error
	RemoveNetwork(ctx context.Context, id string) error
	// PruneBuildCache prunes as the rule says and returns the bytes the
	// daemon reports reclaimed.
	PruneBuildCache(ctx context.Context, rule policy.BuildCacheRule) (int64, error)
	// Usage measures disk usage per kind, as docker system df does.
	Usage(ctx context.Context) (DiskTotals, error)
}

// Kinds of errors a Daemon's errors are classified into.
var (
	// ErrNotFound: the object is gone.
	ErrNotFound = errors.New("not found")
	// ErrChanged: the daemon refused because the object changed since the
	// plan: it came into use, or is being removed by someone else. A race
	// with the daemon's other users, not a failure.
	ErrChanged = errors.New("changed since the plan")
)

// Image is an image as the daemon has it at the moment of acting.
type Image struct {
	ID      string
	Tags    []string // familiar, as plans write them
	Digests []string // repo@sha256:… references
}

// Container is a container as the daemon has it at the moment of acting.
type Container struct {
	Name, ImageID, State  string
	StartedAt, FinishedAt time.Time
}

// Volume is a volume as the daemon has it at the moment of acting.
type Volume struct{ CreatedAt time.Time }

// ImageRemoval is what one image removal call did.
type ImageRemoval struct {
	Untagged []string // references removed
	Deleted  []string // image IDs deleted (the image, and parents pruned with it)
}

// DiskTotals are bytes per object kind (policy.KindImage, …).
type DiskTotals map[string]int64
