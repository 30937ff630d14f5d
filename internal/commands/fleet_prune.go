package commands

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/docker-shaper/docker-shaper/internal/logging"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli"
)

// runPruneFleet is prune over several contexts. Every host is planned
// under its own removal lock, as prune plans one; then one question
// covers the whole fleet, showing what goes on each host; then the hosts
// are pruned in parallel, each through the same apply, re-checks and
// journal as a prune of that host alone. A host that cannot be reached,
// planned or locked is reported and left out; the others go on, and the
// exit status says that one failed.
func runPruneFleet(ctx context.Context, d deps, opts pruneOptions) error {
	return untilInterrupted(ctx, "the hosts' journals", func(ctx context.Context) error { return pruneFleet(ctx, d, opts) })
}

func pruneFleet(ctx context.Context, d deps, opts pruneOptions) error {
	out, errOut := d.cli.Out(), d.cli.Err()
	jsonOut := opts.output.format == render.FormatJSON
	lp, err := d.loadPolicyTo(errOut, opts.planOptions(out).jsonDiagnostics, opts.policy)
	if err != nil {
		return err
	}
	if err := checkFilter(opts.output.filter.f, lp); err != nil {
		return err
	}
	if !jsonOut {
		fmt.Fprintf(errOut, "Policy: %s\n", lp.Name())
	}
	hosts, err := d.openFleet(ctx, opts.fleet)
	if err != nil {
		return err
	}
	defer hosts.close()

	gate := newFleetGate()
	var prefixes []string
	for _, h := range hosts {
		prefixes = append(prefixes, h.contexts[0]+": ")
	}
	progress := render.NewLinePrefixers(errOut, prefixes)
	var printing sync.Mutex
	for i, h := range hosts {
		if h.err != nil {
			continue
		}
		pass := gate.join()
		go func() {
			defer pass.leave()
			pass.start()
			ctx := logging.With(ctx, logging.From(ctx).With("context", h.contexts[0]))
			res, report, err := h.d.enforce(ctx, enforceOptions{
				Command: "prune",
				Plan:    planOptions{loaded: lp, filter: &opts.output.filter},
				Host:    h.host,
				Approve: func(res *planResult) error {
					h.plan = res
					return pass.await(ctx)
				},
				Progress: render.NewProgress(progress[i], false),
				Measure:  true,
			})
			if res != nil {
				h.plan = res
			}
			h.report = report
			if err != nil && !gate.isVerdict(err) {
				printing.Lock()
				h.err = err
				d.reportHostError(h)
				printing.Unlock()
			}
		}()
	}

	if err := gate.allArrived(ctx); err != nil {
		gate.decide(err)
		return err
	}
	verdict := d.approveFleet(ctx, hosts, opts, jsonOut)
	gate.decide(verdict)
	if verdict != nil {
		return verdict
	}

	if jsonOut {
		err = render.FleetPruneJSON(out, lp.Name(), hosts.views())
	} else {
		fmt.Fprintln(out)
		err = render.FleetPruneTable(out, hosts.views())
	}
	if err != nil {
		return err
	}
	if err := fleetError("pruned", hosts); err != nil {
		return err
	}
	return removalsError(render.SummarizeFleetPrune(hosts.views()).Counts, "the hosts' journals")
}

// approveFleet shows the fleet's plans and asks once whether to carry
// them out (unless -f). nil means go; an error is the verdict every host
// gets instead, and nothing is removed anywhere.
func (d deps) approveFleet(ctx context.Context, hosts fleet, opts pruneOptions, jsonOut bool) error {
	views := hosts.views()
	lines, what, reclaims, due := render.FleetQuestion(views)
	if !jsonOut {
		if err := render.FleetPlanTable(d.cli.Out(), views); err != nil {
			return err
		}
	}
	if !due || opts.force {
		return nil
	}
	if !d.cli.In().IsTerminal() {
		return cli.StatusError{StatusCode: 1, Status: fmt.Sprintf(
			"refusing to remove %s without confirmation: standard input is not a terminal, so nothing was removed on any host; "+
				"run \"docker shaper prune -f\" to remove without asking, or --dry-run to only look", what)}
	}
	if jsonOut { // the plans go to stdout only at the end: show them where the question is
		if err := render.FleetPlanTable(d.cli.Err(), views); err != nil {
			return err
		}
	}
	for _, l := range lines {
		fmt.Fprintln(d.cli.Err(), l)
	}
	question := fmt.Sprintf("Remove %s, reclaiming %s?", what, policy.HumanSize(reclaims))
	ok, err := confirm(ctx, d.cli.In(), d.cli.Err(), question)
	if err != nil {
		return err
	}
	if !ok {
		return cli.StatusError{StatusCode: 1, Status: "prune cancelled: nothing was removed on any host"}
	}
	return nil
}

// fleetGate holds every host's prune at its approval until all hosts
// have a plan (or have failed, or have nothing to do), so that one
// question covers the fleet, and then lets them all go, or stops them
// all, with one verdict. It also bounds how many hosts plan, and then
// apply, at once; a host waiting for the verdict does not count.
type fleetGate struct {
	slots   chan struct{}
	arrived sync.WaitGroup
	running sync.WaitGroup
	decided chan struct{}
	mu      sync.Mutex
	verdict error
}

func newFleetGate() *fleetGate {
	return &fleetGate{slots: make(chan struct{}, fleetParallelism), decided: make(chan struct{})}
}

// fleetPass is one host's way through the gate, used by its goroutine
// only.
type fleetPass struct {
	g       *fleetGate
	once    sync.Once
	holding bool
}

// join counts a host in, before its goroutine starts.
func (g *fleetGate) join() *fleetPass {
	g.arrived.Add(1)
	g.running.Add(1)
	return &fleetPass{g: g}
}

// start waits for a slot to plan in.
func (p *fleetPass) start() {
	p.g.slots <- struct{}{}
	p.holding = true
}

// arrive says the host has its plan, or will never have one; it gives up
// the slot meanwhile.
func (p *fleetPass) arrive() {
	p.once.Do(func() {
		if p.holding {
			<-p.g.slots
			p.holding = false
		}
		p.g.arrived.Done()
	})
}

// await arrives, then waits for the verdict: nil, with a slot to apply
// in, or the verdict's error.
func (p *fleetPass) await(ctx context.Context) error {
	p.arrive()
	select {
	case <-p.g.decided:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	if v := p.g.theVerdict(); v != nil {
		return v
	}
	p.start()
	return nil
}

// leave is the host's prune returning.
func (p *fleetPass) leave() {
	p.arrive()
	if p.holding {
		<-p.g.slots
		p.holding = false
	}
	p.g.running.Done()
}

// allArrived waits until every host has arrived, or ctx ends.
func (g *fleetGate) allArrived(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		g.arrived.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// decide gives every host the verdict and waits for all of them to
// return.
func (g *fleetGate) decide(verdict error) {
	g.mu.Lock()
	g.verdict = verdict
	g.mu.Unlock()
	close(g.decided)
	g.running.Wait()
}

// isVerdict says whether err is the gate's verdict coming back from a
// host, rather than the host's own failure.
func (g *fleetGate) isVerdict(err error) bool {
	v := g.theVerdict()
	return v != nil && errors.Is(err, v)
}

func (g *fleetGate) theVerdict() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.verdict
}
