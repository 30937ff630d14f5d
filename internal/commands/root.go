// Package commands holds docker-shaper's cobra commands: one file per
// command, each with its options struct, its newXxxCommand and its runXxx.
// They parse flags and wire the packages that do the work: policyfile finds
// and loads the policy, docker reads and changes the host, store keeps the
// daemon's state, journal and locks, apply carries out plans, watch runs
// the watcher, render prints.
package commands

import (
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker/cli/cli"
	cliplugin "github.com/docker/cli/cli-plugins/plugin"
	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/debug"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
)

// deps are what every command is given: the docker CLI (its streams, its
// API client, its context), the clock, and the docker CLI's configuration
// directory, where docker-shaper keeps its policy and each daemon's files.
// Tests give their own clock and directory, so they run in parallel.
type deps struct {
	cli       command.Cli
	clock     clock.Clock
	configDir func() string
	// build is docker-shaper's version and commit, from main.
	build BuildInfo
}

// NewRootCommand returns the "docker shaper" command with its subcommands.
// The API client is not touched here: commands fetch it inside RunE, so
// --context, -H and DOCKER_HOST are honoured, and commands that need no
// daemon never contact one.
func NewRootCommand(dockerCli command.Cli) *cobra.Command {
	return newRootCommand(deps{cli: dockerCli, clock: clock.Real, configDir: config.Dir})
}

// NewRoot is NewRootCommand for a build: "docker shaper version" and
// --version print it.
func NewRoot(build BuildInfo) func(command.Cli) *cobra.Command {
	return func(dockerCli command.Cli) *cobra.Command {
		return newRootCommand(deps{cli: dockerCli, clock: clock.Real, configDir: config.Dir, build: build})
	}
}

type rootOptions struct {
	logLevel string
}

func newRootCommand(d deps) *cobra.Command {
	var opts rootOptions
	cmd := &cobra.Command{
		Use:   "shaper",
		Short: "Keep a Docker host in shape with retention policies",
		Long: "Keep a Docker host in shape: apply retention policies written in HCL to its\n" +
			"containers, images, volumes, networks and build cache.",
		Args:          cli.NoArgs,
		RunE:          command.ShowHelp(d.cli.Err()),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			// The plugin framework initialises dockerCli (and the context
			// cancelled when docker is interrupted) in its own hook, which
			// this one replaces: call it first.
			if cliplugin.PersistentPreRunE != nil {
				if err := cliplugin.PersistentPreRunE(cmd, args); err != nil {
					return err
				}
			}
			// docker -D, or docker --log-level debug, mean debug here too.
			debugMode := debug.IsEnabled() || logrus.IsLevelEnabled(logrus.DebugLevel)
			logger, err := logging.New(d.cli.Err(), opts.logLevel, debugMode)
			if err != nil {
				return err
			}
			cmd.SetContext(logging.With(cmd.Context(), logger))
			return nil
		},
	}
	cmd.PersistentFlags().StringVar(&opts.logLevel, "log-level", "",
		"Set the logging level: debug, info, warn or error (default info; debug with docker -D)")

	// One line per command; each lives in its own file.
	for _, newCommand := range []func(deps) *cobra.Command{
		newCheckCommand,
		newPruneCommand,
		newValidateCommand,
		newWatchCommand,
		newExplainCommand,
		newStatusCommand,
		newFmtCommand,
		newSchemaCommand,
		newVersionCommand,
	} {
		cmd.AddCommand(newCommand(d))
	}
	b := d.build.complete()
	cmd.Version = b.Version
	if b.Commit != "" {
		cmd.Version += ", commit " + b.Commit
	}
	cmd.SetVersionTemplate("docker-shaper version {{.Version}}\n")
	addCompletions(cmd, d)
	return cmd
}
