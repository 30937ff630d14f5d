// Package plugin is the docker-shaper Docker CLI plugin: the cobra commands,
// the only code that talks to the Docker API, and the rendering of plans.
package plugin

import (
	"context"
	"fmt"
	"io"

	"github.com/charmbracelet/log"
	"github.com/docker/cli/cli"
	cliplugin "github.com/docker/cli/cli-plugins/plugin"
	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/debug"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
)

type rootOptions struct {
	logLevel string
}

// NewRootCommand returns the "docker shaper" command with its subcommands.
// The API client is not touched here: commands fetch it inside RunE, so
// --context, -H and DOCKER_HOST are honoured, and commands that need no
// daemon never contact one.
func NewRootCommand(dockerCli command.Cli) *cobra.Command {
	var opts rootOptions
	cmd := &cobra.Command{
		Use:   "shaper",
		Short: "Keep a Docker host in shape with retention policies",
		Long: "Keep a Docker host in shape: apply retention policies written in HCL to its\n" +
			"containers, images, volumes, networks and build cache.",
		Args:          cli.NoArgs,
		RunE:          command.ShowHelp(dockerCli.Err()),
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
			logger, err := newLogger(dockerCli.Err(), opts.logLevel, debugMode)
			if err != nil {
				return err
			}
			cmd.SetContext(withLogger(cmd.Context(), logger))
			return nil
		},
	}
	cmd.PersistentFlags().StringVar(&opts.logLevel, "log-level", "",
		"Set the logging `LEVEL`: debug, info, warn or error (default info; debug with docker -D)")

	// One line per command; each lives in its own file.
	for _, newCommand := range []func(command.Cli) *cobra.Command{
		newCheckCommand,
		newPruneCommand,
		newValidateCommand,
		newWatchCommand,
		newExplainCommand,
	} {
		cmd.AddCommand(newCommand(dockerCli))
	}
	return cmd
}

// newLogger builds the one logger of a run. An explicit level wins; else
// debug when docker runs with -D, else info.
func newLogger(w io.Writer, level string, debugMode bool) (*log.Logger, error) {
	lvl := log.InfoLevel
	switch {
	case level != "":
		var err error
		switch level {
		case "debug", "info", "warn", "error":
			lvl, err = log.ParseLevel(level)
		default:
			err = fmt.Errorf("invalid --log-level %q: use debug, info, warn or error", level)
		}
		if err != nil {
			return nil, err
		}
	case debugMode:
		lvl = log.DebugLevel
	}
	return log.NewWithOptions(w, log.Options{Level: lvl, Prefix: "shaper"}), nil
}

type loggerKey struct{}

// withLogger returns ctx carrying logger.
func withLogger(ctx context.Context, logger *log.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, logger)
}

// loggerFrom returns the logger carried by ctx, or one that discards
// everything (for tests and code run outside a command).
func loggerFrom(ctx context.Context) *log.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*log.Logger); ok {
		return l
	}
	return log.New(io.Discard)
}
