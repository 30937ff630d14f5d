// Command docker-shaper is the Docker CLI plugin behind "docker shaper".
package main

import (
	"github.com/docker-shaper/docker-shaper/internal/commands"
	"github.com/docker/cli/cli-plugins/metadata"
	cliplugin "github.com/docker/cli/cli-plugins/plugin"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	cliplugin.Run(commands.NewRootCommand, metadata.Metadata{
		SchemaVersion:    "0.1.0",
		Vendor:           "docker-shaper",
		Version:          version,
		ShortDescription: "Keep a Docker host in shape with retention policies",
		URL:              "https://github.com/docker-shaper/docker-shaper",
	})
}
