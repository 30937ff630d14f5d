package status

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/muesli/termenv"
)

// usageWait bounds how long a snapshot waits for the resource use of the
// running containers: the daemon takes a second to sample CPU use.
const usageWait = 5 * time.Second

// Snapshot takes one snapshot of the host through the policy's eyes, the
// data the live view shows: the policy (its diagnostics written to diags
// when it has errors), the host, the resource use of the running
// containers, the watcher.
func Snapshot(ctx context.Context, opts Options, diags io.Writer) (*Document, error) {
	src := &daemonSource{opts: opts}
	lp, err := src.policy(diags)
	if err != nil {
		return nil, err
	}
	snap, h, err := src.snapshot(ctx, lp)
	if err != nil {
		return nil, err
	}
	snap.Now = opts.Now(opts.Clock())
	usage := sampleRunning(ctx, src, snap)
	doc := Build(Input{Policy: lp.Policy, PolicyName: lp.Name(), Daemon: h.Daemon, Snapshot: snap, Usage: usage,
		Watcher: src.watcher(h.Dir)})
	return &doc, nil
}

// sampleRunning reads the resource use of every running container, a few
// at a time, each in one call that samples twice (CPU needs two), within
// usageWait; a container that could not be sampled has none.
func sampleRunning(ctx context.Context, src source, snap policy.Snapshot) map[string]Usage {
	ctx, cancel := context.WithTimeout(ctx, usageWait)
	defer cancel()
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		out = make(map[string]Usage)
		sem = make(chan struct{}, 8)
	)
	for _, c := range snap.Containers {
		if c.State != policy.StateRunning {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			u, err := src.usage(ctx, c.ID, true)
			if err != nil {
				return
			}
			mu.Lock()
			out[c.ID] = usageFrom(u, u)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// WriteTable prints a Document for people: one table per pane, with the
// live view's columns and each decision's reason, then the watcher (its
// times against now, the real clock), the plan's warnings and its summary
// line, as check ends. It never writes colour.
func WriteTable(w io.Writer, doc *Document, now time.Time) error {
	plain := lipgloss.NewRenderer(io.Discard)
	plain.SetColorProfile(termenv.Ascii)
	m := &Model{doc: doc, now: doc.Now, usage: map[string]Usage{}, st: newStyles(plain), clock: func() time.Time { return now }}
	var b strings.Builder
	sections := []struct {
		title string
		pane  paneID
	}{{"IMAGES", paneImages}, {"CONTAINERS", paneContainers}, {"VOLUMES", paneVolumes}, {"NETWORKS", paneNetworks}, {"RULES", paneRules}}
	for _, s := range sections {
		t := tables[s.pane]
		headers := make([]string, 0, len(t.cols)+1)
		for _, c := range t.cols {
			headers = append(headers, c.title)
		}
		reasons := s.pane != paneRules
		if reasons {
			headers = append(headers, "REASON")
		}
		rows := make([][]string, 0, t.rows(doc))
		for i := range t.rows(doc) {
			row := make([]string, 0, len(headers))
			for _, c := range t.cols {
				row = append(row, c.cell(m, i))
			}
			if reasons {
				row = append(row, t.decision(doc, i).Reason)
			}
			rows = append(rows, row)
		}
		if err := render.Section(&b, s.title, headers, rows); err != nil {
			return err
		}
	}
	bc := doc.BuildCache
	if err := render.Section(&b, "BUILD CACHE", []string{"RECORDS", "IN USE", "SIZE", "RULE", "VERDICT", "REASON"},
		[][]string{{fmt.Sprint(bc.Records), fmt.Sprint(bc.InUse), size(bc.Bytes), dash(bc.Rule), bc.Verdict, bc.Reason}}); err != nil {
		return err
	}
	b.WriteString("WATCHER\n")
	for _, l := range m.watcherBody()[1:] {
		b.WriteString(strings.TrimRight(strings.TrimPrefix(l, "  "), " ") + "\n")
	}
	b.WriteString("\n")
	render.PlanFooter(&b, doc.Plan)
	_, err := io.WriteString(w, b.String())
	return err
}
