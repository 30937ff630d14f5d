// Package logging builds the one logger of a run and carries it through
// contexts, the way charmbracelet/log is meant to be used: key/value pairs
// on stderr, never on stdout.
package logging

import (
	"context"
	"fmt"
	"io"

	"github.com/charmbracelet/log"
)

// New builds the logger of a run. An explicit level wins; else debug when
// debug is set (docker -D), else info.
func New(w io.Writer, level string, debug bool) (*log.Logger, error) {
	lvl := log.InfoLevel
	switch {
	case level != "":
		switch level {
		case "debug", "info", "warn", "error":
			lvl, _ = log.ParseLevel(level)
		default:
			return nil, fmt.Errorf("invalid --log-level %q: use debug, info, warn or error", level)
		}
	case debug:
		lvl = log.DebugLevel
	}
	return log.NewWithOptions(w, log.Options{Level: lvl, Prefix: "shaper"}), nil
}

type key struct{}

// With returns ctx carrying logger.
func With(ctx context.Context, logger *log.Logger) context.Context {
	return context.WithValue(ctx, key{}, logger)
}

// From returns the logger ctx carries, or one that discards everything
// (for tests and code run outside a command).
func From(ctx context.Context) *log.Logger {
	if l, ok := ctx.Value(key{}).(*log.Logger); ok {
		return l
	}
	return log.New(io.Discard)
}
