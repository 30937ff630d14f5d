package commands

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker/cli/cli"
	"github.com/spf13/cobra"
)

// BuildInfo is what docker-shaper knows of its own build: the version and
// commit main is given with -ldflags -X (install.sh sets both), else what
// the Go toolchain stamped in the binary (go build in a git checkout
// records the commit; go install module@version the version).
type BuildInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	// Modified is set when the binary was built from a work tree with
	// uncommitted changes.
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// complete fills what main was not given from the binary's build
// information.
func (b BuildInfo) complete() BuildInfo {
	b.Go = runtime.Version()
	b.Platform = runtime.GOOS + "/" + runtime.GOARCH
	info, ok := debug.ReadBuildInfo()
	if ok {
		if (b.Version == "" || b.Version == "dev") && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if len(b.Commit) > 12 {
		b.Commit = b.Commit[:12]
	}
	return b
}

// versionDocument is version's --format json output.
type versionDocument struct {
	Client BuildInfo      `json:"client"`
	Daemon *versionDaemon `json:"daemon"`
	// DaemonError says why the daemon could not be asked; the daemon is
	// then null.
	DaemonError string `json:"daemon_error,omitempty"`
}

type versionDaemon struct {
	Engine  string `json:"engine"`
	Version string `json:"version"`
	// API is the API version the client negotiated with the daemon.
	API     string `json:"api"`
	Context string `json:"context"`
}

type versionOptions struct {
	format render.Format
}

func newVersionCommand(d deps) *cobra.Command {
	var opts versionOptions
	cmd := &cobra.Command{
		Use:   "version [OPTIONS]",
		Short: "Show docker-shaper's version, and the daemon's",
		Long: "Show docker-shaper's version and commit, the Go it was built with, and the\n" +
			"daemon's engine, version and the API version negotiated with it. Without a\n" +
			"daemon it says so, and exits 0.",
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runVersion(cmd.Context(), d, opts) },
	}
	addFormatFlag(cmd.Flags(), &opts.format)
	return cmd
}

func runVersion(ctx context.Context, d deps, opts versionOptions) error {
	doc := versionDocument{Client: d.build.complete()}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if daemon, err := docker.Identify(ctx, d.cli.Client()); err != nil {
		doc.DaemonError = d.daemonError(err).Error()
	} else {
		doc.Daemon = &versionDaemon{Engine: daemon.Engine, Version: daemon.Version, API: daemon.API, Context: d.cli.CurrentContext()}
	}
	if opts.format == render.FormatJSON {
		return render.JSON(d.cli.Out(), doc)
	}
	c := doc.Client
	commit := c.Commit
	if commit == "" {
		commit = "unknown"
	}
	if c.Modified {
		commit += " (modified)"
	}
	out := d.cli.Out()
	fmt.Fprintf(out, "docker-shaper:\n Version:     %s\n Commit:      %s\n Go version:  %s\n OS/Arch:     %s\n", c.Version, commit, c.Go, c.Platform)
	if doc.Daemon == nil {
		_, err := fmt.Fprintf(out, "Daemon:\n Not reachable: %s\n", doc.DaemonError)
		return err
	}
	dm := doc.Daemon
	_, err := fmt.Fprintf(out, "Daemon:\n Engine:      %s %s\n API version: %s (negotiated)\n Context:     %s\n", dm.Engine, dm.Version, dm.API, dm.Context)
	return err
}
