package status

import (
	"context"
	"errors"
	"io"
	"sync"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/log"
	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/policy"
)

// Terminal is where the live view runs: the keyboard, and the screen
// (diagnostics of a broken policy, before the view starts, go to Err).
type Terminal struct {
	In       io.Reader
	Out, Err io.Writer
}

// fps bounds how often the screen is redrawn: the view changes at most a
// few times a second, and a redraw nobody needs costs CPU.
const fps = 20

// Run runs the live view until the user quits or ctx ends. The policy is
// loaded and the host read before the screen is taken over, so a broken
// policy or an unreachable daemon is an error like check's. The terminal
// is restored however it ends; an enforcement under way is stopped
// between two removals and finished (journal and all) before Run returns.
func Run(ctx context.Context, opts Options, term Terminal) error {
	src := &daemonSource{opts: opts}
	lp, err := src.policy(term.Err)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Subscribe first, then read the host: what happens in between is
	// among the events.
	stream := src.subscribe(ctx)
	snap, h, err := src.snapshot(ctx, lp)
	if err != nil {
		stream.Close()
		return err
	}
	// Logs would write over the screen.
	ctx = logging.With(ctx, log.New(io.Discard))

	inbox := make(chan any, 64)
	f := newFeed(src, inbox, opts.Clock, opts.Now, defaultPace)
	f.start(lp, snap, h)

	var running sync.WaitGroup
	var enforce enforceFunc
	if opts.Enforce != nil {
		enforce = func(ctx context.Context, approve func(policy.Plan) error, p apply.Progress) (*apply.Report, error) {
			running.Add(1)
			defer running.Done()
			return opts.Enforce(ctx, approve, p)
		}
	}
	m := newModel(modelConfig{renderer: lipgloss.NewRenderer(term.Out), clock: opts.Clock, nowAt: opts.Now,
		ctl: f, enforce: enforce, ctx: ctx, inbox: inbox})

	var feeding sync.WaitGroup
	feeding.Add(1)
	go func() {
		defer feeding.Done()
		f.run(ctx, stream)
	}()
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithInput(term.In), tea.WithOutput(term.Out),
		tea.WithFPS(fps))
	_, err = p.Run()
	cancel()
	running.Wait()
	feeding.Wait()
	if errors.Is(err, tea.ErrProgramKilled) || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
