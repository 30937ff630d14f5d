package docker

import (
	"context"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/docker-shaper/docker-shaper/policy"
)

// The daemon accepts the build cache prune as the client sends it (all,
// keep-storage, until), on API 1.41 too.
func TestPruneBuildCacheOnTheDaemon(t *testing.T) {
	api := fixture.TestDaemon(t)
	_, err := NewRemover(api, clock.Seconds).PruneBuildCache(context.Background(),
		policy.BuildCacheRule{UnusedFor: 7 * 24 * time.Hour, KeepStorage: 20e9, All: true})
	if err != nil {
		t.Fatalf("build cache prune: %v", err)
	}
}
