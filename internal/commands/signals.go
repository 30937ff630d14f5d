package commands

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// interrupted is the cause of a context cancelled by a signal.
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string { return fmt.Sprintf("interrupted (%v)", e.sig) }

// exitCode is the shell's status for a process ended by the signal.
func (e interrupted) exitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}

// interruptible returns a context cancelled, with an interrupted cause,
// by the first SIGINT or SIGTERM. On a terminal, Ctrl-C reaches the plugin
// itself (it shares the docker CLI's process group), so it must catch it
// to stop cleanly: no new removal starts, those already sent finish and
// are journalled, and the summary is printed. A second signal ends the
// process the usual way. (Without a terminal the docker CLI cancels the
// plugin's context itself, which ends the same way.) stop releases the
// signals.
func interruptible(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-ch:
			signal.Stop(ch) // a second signal ends the process the usual way
			cancel(interrupted{sig})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}
