package main

import (
	"github.com/docker/cli/cli-plugins/metadata"
	cliplugin "github.com/docker/cli/cli-plugins/plugin"
	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"
	"github.com/hashicorp/hcl/v2"
	"github.com/charmbracelet/log"
)

var _ = hcl.Pos{}
var _ = log.New

func main() {
	cliplugin.Run(func(c command.Cli) *cobra.Command { return &cobra.Command{Use: "shaper"} }, metadata.Metadata{SchemaVersion: "0.1.0"})
}
