package docker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/docker-shaper/docker-shaper/policy"
)

// Docker accepts the build cache prune as the client sends it (all,
// keep-storage, until), on API 1.41 too. Podman has no build cache API
// (404): the prune must say so, not pass for "already gone".
func TestPruneBuildCacheOnTheDaemon(t *testing.T) {
	api := fixture.TestDaemon(t)
	ctx := context.Background()
	engine, err := DetectEngine(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewRemover(api, clock.Seconds).PruneBuildCache(ctx,
		policy.BuildCacheRule{UnusedFor: 7 * 24 * time.Hour, KeepStorage: 20e9, All: true})
	switch engine {
	case EngineDocker:
		if err != nil {
			t.Fatalf("build cache prune: %v", err)
		}
	case EnginePodman:
		if err == nil || IsNotFound(err) || !strings.Contains(err.Error(), "build_cache is not supported there") {
			t.Errorf("build cache prune on Podman: %v; want an error that says it is not supported, not a not-found", err)
		}
	default:
		t.Fatalf("engine %q", engine)
	}
}
