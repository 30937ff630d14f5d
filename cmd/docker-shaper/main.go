// Command docker-shaper is the Docker CLI plugin behind "docker shaper".
//
// It also runs on its own, outside the docker CLI (in a container, from a
// service manager): `docker-shaper watch` is `docker shaper watch`, with
// the daemon named by DOCKER_HOST (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)
// or the configuration in DOCKER_CONFIG.
package main

import (
	"os"

	"github.com/docker-shaper/docker-shaper/internal/commands"
	"github.com/docker/cli/cli-plugins/metadata"
	cliplugin "github.com/docker/cli/cli-plugins/plugin"
)

// version and commit are set at build time: -ldflags "-X main.version=v1.2.3
// -X main.commit=0123abc" (install.sh does). Unset, the commit is the one
// go build records from the git checkout.
var (
	version = "dev"
	commit  = ""
)

func main() {
	if cliplugin.RunningStandalone() {
		os.Args = standaloneArgs(os.Args)
	}
	cliplugin.Run(commands.NewRoot(commands.BuildInfo{Version: version, Commit: commit}), metadata.Metadata{
		SchemaVersion:    "0.1.0",
		Vendor:           "docker-shaper",
		Version:          version,
		ShortDescription: "Keep a Docker host in shape with retention policies",
		URL:              "https://github.com/docker-shaper/docker-shaper",
	})
}

// standaloneArgs lets the binary run as `docker-shaper watch …`: the
// plugin framework expects the plugin's name first, as the docker CLI
// passes it (`docker-shaper shaper watch …`).
func standaloneArgs(args []string) []string {
	if len(args) > 1 && args[1] == "shaper" {
		return args
	}
	return append([]string{args[0], "shaper"}, args[1:]...)
}
