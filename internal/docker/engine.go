package docker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/client"
)

// Engines docker-shaper talks to: Docker Engine, and Podman through its
// Docker-compatible API (policy.Daemon.Engine).
const (
	EngineDocker = "docker"
	EnginePodman = "podman"
)

// podmanComponent is how Podman names itself among the version's
// components; its Info and Version otherwise look like Docker's.
const podmanComponent = "Podman Engine"

// VersionAPI is what telling the engine apart reads.
type VersionAPI interface {
	ServerVersion(ctx context.Context, options client.ServerVersionOptions) (client.ServerVersionResult, error)
}

// DetectEngine says which engine answers at api: EnginePodman when the
// version lists Podman's component, else EngineDocker.
func DetectEngine(ctx context.Context, api VersionAPI) (string, error) {
	v, err := api.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return "", wrapAPIError("asking the daemon for its version", err)
	}
	return engineOf(v), nil
}

func engineOf(v client.ServerVersionResult) string {
	for _, c := range v.Components {
		if c.Name == podmanComponent {
			return EnginePodman
		}
	}
	return EngineDocker
}

// podmanID is the identity of a Podman service. Podman's info answers a
// new random ID on every call, so it names nothing: what stays is the host
// it runs on and its storage root, which one Podman service owns.
func podmanID(name, root string) string {
	sum := sha256.Sum256([]byte(name + "\x00" + root))
	return "podman-" + hex.EncodeToString(sum[:12])
}

// ForEngine adds to a snapshot what follows from the engine that answered
// (Identify's Engine), which the snapshot's own calls do not tell: asking
// Podman for its version takes seconds, so a snapshot does not. On Podman,
// a build_cache rule has nothing to prune, and volumes carry no anonymous
// label whatever API version it speaks: a generated name marks them.
func ForEngine(snap *policy.Snapshot, engine string) {
	if engine != EnginePodman {
		return
	}
	snap.BuildCache.Unsupported = podmanNoBuildCache
	for i := range snap.Volumes {
		if generatedName.MatchString(snap.Volumes[i].Name) {
			snap.Volumes[i].Anonymous = true
		}
	}
}
