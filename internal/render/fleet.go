package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/policy"
)

// FleetHost is one daemon of a run over several docker contexts: the
// contexts that reach it (the first is the one used), its address, and
// either what was made for it or why nothing could be.
type FleetHost struct {
	Contexts []string
	Endpoint string
	Plan     *policy.Plan
	Report   *apply.Report // prune's outcome; nil when nothing was applied
	// Status is status's document for the host, when status made one (it
	// holds Plan).
	Status any
	Err    error
}

// Context is the context the host was reached through.
func (h FleetHost) Context() string { return h.Contexts[0] }

// FleetSummary totals a fleet's plans (check) or outcomes (prune).
type FleetSummary struct {
	Hosts            int   `json:"hosts"`
	Planned          int   `json:"planned"`
	FailedHosts      int   `json:"failed_hosts"`
	Actions          int   `json:"actions"`
	ReclaimableBytes int64 `json:"reclaimable_bytes"`
}

// SummarizeFleet counts hosts and adds up their plans.
func SummarizeFleet(hosts []FleetHost) FleetSummary {
	s := FleetSummary{Hosts: len(hosts)}
	for _, h := range hosts {
		if h.Plan == nil {
			s.FailedHosts++
			continue
		}
		s.Planned++
		s.Actions += h.Plan.Summary.Actions
		s.ReclaimableBytes += h.Plan.Summary.ReclaimableBytes
	}
	return s
}

// FailedContexts names the hosts that could not be planned, by context.
func FailedContexts(hosts []FleetHost) []string {
	var names []string
	for _, h := range hosts {
		if h.Plan == nil {
			names = append(names, h.Context())
		}
	}
	return names
}

// fleetHostJSON is one host in a fleet document. Plan is check's document
// for that host, unchanged (Status, status's); a host that could not be
// planned has Error instead.
type fleetHostJSON struct {
	Context  string          `json:"context"`
	Contexts []string        `json:"contexts"`
	Endpoint string          `json:"endpoint"`
	Plan     json.RawMessage `json:"plan,omitempty"`
	Status   any             `json:"status,omitempty"`
	Error    string          `json:"error,omitempty"`
}

func newFleetHostJSON(h FleetHost) (fleetHostJSON, error) {
	j := fleetHostJSON{Context: h.Context(), Contexts: h.Contexts, Endpoint: h.Endpoint}
	if h.Err != nil {
		j.Error = h.Err.Error()
	}
	if h.Status != nil {
		j.Status = h.Status
		return j, nil
	}
	if h.Plan != nil {
		var b strings.Builder
		if err := PlanJSON(&b, *h.Plan); err != nil {
			return j, err
		}
		j.Plan = json.RawMessage(b.String())
	}
	return j, nil
}

// FleetPlanJSON writes check's document for a fleet: the policy, one plan
// per host (or its error) in the order the contexts were given, and the
// fleet's totals. status --format json writes the same document, with
// status's document per host instead of the plan.
func FleetPlanJSON(w io.Writer, policyName string, hosts []FleetHost) error {
	return fleetJSON(w, policyName, hosts, SummarizeFleet(hosts),
		func(_ FleetHost, j fleetHostJSON) fleetHostJSON { return j })
}

// fleetJSON writes a fleet document: the policy, one entry per host in
// the order the contexts were given (what entry makes of the host's
// common fields), and the fleet's totals.
func fleetJSON[E, S any](w io.Writer, policyName string, hosts []FleetHost, summary S, entry func(FleetHost, fleetHostJSON) E) error {
	doc := struct {
		Version int    `json:"version"`
		Policy  string `json:"policy"`
		Hosts   []E    `json:"hosts"`
		Summary S      `json:"summary"`
	}{Version: 1, Policy: policyName, Hosts: []E{}, Summary: summary}
	for _, h := range hosts {
		j, err := newFleetHostJSON(h)
		if err != nil {
			return err
		}
		doc.Hosts = append(doc.Hosts, entry(h, j))
	}
	return JSON(w, doc)
}

// FleetHostHeader names a host above its table: "HOST ci-1: docker
// 20.10.24 (API 1.41), ID 6PEG:KZU6:ZOLW, at unix:///var/run/docker.sock
// (also context ci-1-old)".
func FleetHostHeader(h FleetHost) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HOST %s", h.Context())
	if h.Plan != nil && h.Plan.Daemon != nil {
		d := h.Plan.Daemon
		id := d.ID
		if len(id) > 14 {
			id = id[:14]
		}
		fmt.Fprintf(&b, ": %s %s (API %s), ID %s,", d.Engine, d.Version, d.API, id)
	} else {
		b.WriteString(":")
	}
	fmt.Fprintf(&b, " at %s", h.Endpoint)
	if len(h.Contexts) > 1 {
		fmt.Fprintf(&b, " (also %s %s)", pluralWord(len(h.Contexts)-1, "context", "contexts"), strings.Join(h.Contexts[1:], ", "))
	}
	return b.String()
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// FleetPlanTable writes check's tables for a fleet: each planned host's
// plan under its header, then the fleet's totals. The hosts that could
// not be planned are named in the totals; their errors are the caller's
// to print (on stderr, as they happen).
func FleetPlanTable(w io.Writer, hosts []FleetHost) error {
	err := FleetSections(w, hosts, func(h FleetHost) bool { return h.Plan != nil },
		func(w io.Writer, h FleetHost) error { return planTable(w, *h.Plan) })
	if err != nil {
		return err
	}
	return FleetTotals(w, hosts)
}

// FleetSections writes each host's section that has one (per has), under
// the host's header and followed by a blank line: the tables of a fleet's
// plans, prune results or status snapshots, one host after another.
func FleetSections(w io.Writer, hosts []FleetHost, has func(FleetHost) bool, body func(io.Writer, FleetHost) error) error {
	var b strings.Builder
	for _, h := range hosts {
		if !has(h) {
			continue
		}
		b.WriteString(FleetHostHeader(h))
		b.WriteString("\n\n")
		if err := body(&b, h); err != nil {
			return err
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// FleetTotals ends a fleet's tables: the hosts planned and failed, and
// what their plans add up to.
func FleetTotals(w io.Writer, hosts []FleetHost) error {
	_, err := fmt.Fprintf(w, "FLEET\n%s\n", fleetPlanLine(hosts))
	return err
}

// fleetPlanLine totals a fleet's plans: "3 hosts planned, 1 failed (ci-4):
// 40 actions, 3.2GB reclaimable".
func fleetPlanLine(hosts []FleetHost) string {
	s := SummarizeFleet(hosts)
	line := Plural(s.Planned, "host", "hosts") + " planned"
	if s.FailedHosts > 0 {
		line += fmt.Sprintf(", %d failed (%s)", s.FailedHosts, strings.Join(FailedContexts(hosts), ", "))
	}
	return fmt.Sprintf("%s: %s, %s reclaimable", line, Plural(s.Actions, "action", "actions"), policy.HumanSize(s.ReclaimableBytes))
}

// FleetQuestion is what prune asks once for a whole fleet: a line per
// host with what goes there, and what goes in all ("12 objects and 3
// tags on 2 hosts") with the bytes it reclaims. due is false when no
// host has anything to remove.
func FleetQuestion(hosts []FleetHost) (lines []string, what string, reclaims int64, due bool) {
	var (
		all  policy.Plan
		busy int
	)
	for _, h := range hosts {
		switch {
		case h.Plan == nil:
			lines = append(lines, fmt.Sprintf("  %s: not planned (see above)", h.Context()))
		case len(h.Plan.Actions) == 0:
			lines = append(lines, fmt.Sprintf("  %s: nothing to remove", h.Context()))
		default:
			busy++
			all.Actions = append(all.Actions, h.Plan.Actions...)
			reclaims += h.Plan.Summary.ReclaimableBytes
			lines = append(lines, fmt.Sprintf("  %s: %s, %s", h.Context(), WhatGoes(*h.Plan), policy.HumanSize(h.Plan.Summary.ReclaimableBytes)))
		}
	}
	return lines, WhatGoes(all) + " on " + Plural(busy, "host", "hosts"), reclaims, busy > 0
}

// fleetPruneHostJSON is one host in prune's fleet document: check's host
// entry, and prune's run, results and summary for it.
type fleetPruneHostJSON struct {
	fleetHostJSON
	Run     string        `json:"run,omitempty"`
	Results []PruneResult `json:"results"`
	Summary apply.Summary `json:"summary"`
}

// FleetPruneSummary totals a fleet's prune.
type FleetPruneSummary struct {
	Hosts       int `json:"hosts"`
	FailedHosts int `json:"failed_hosts"`
	apply.Counts
}

// SummarizeFleetPrune adds up the hosts' outcomes; a host counts as failed
// when it could not be planned or its apply stopped with an error.
func SummarizeFleetPrune(hosts []FleetHost) FleetPruneSummary {
	s := FleetPruneSummary{Hosts: len(hosts)}
	for _, h := range hosts {
		if h.Err != nil {
			s.FailedHosts++
		}
		if h.Report == nil {
			continue
		}
		s.Actions += h.Report.Summary.Actions
		s.Add(h.Report.Summary.Counts)
	}
	return s
}

// FleetPruneJSON writes prune's document for a fleet: per host, the plan
// and prune's results as for one host (or the host's error), then the
// fleet's totals.
func FleetPruneJSON(w io.Writer, policyName string, hosts []FleetHost) error {
	return fleetJSON(w, policyName, hosts, SummarizeFleetPrune(hosts),
		func(h FleetHost, j fleetHostJSON) fleetPruneHostJSON {
			pd := pruneDocument(h.Report)
			return fleetPruneHostJSON{fleetHostJSON: j, Run: pd.Run, Results: pd.Results, Summary: pd.Summary}
		})
}

// FleetPruneTable writes prune's outcome for a fleet: each host's result
// table under its header, then the fleet's closing line.
func FleetPruneTable(w io.Writer, hosts []FleetHost) error {
	err := FleetSections(w, hosts, func(h FleetHost) bool { return h.Report != nil },
		func(w io.Writer, h FleetHost) error { return PruneTable(w, h.Report) })
	if err != nil {
		return err
	}
	var b strings.Builder
	s := SummarizeFleetPrune(hosts)
	b.WriteString("FLEET\n")
	fmt.Fprintf(&b, "Removed %s and %s on %s, skipped %d, failed %d", Plural(s.Removed, "object", "objects"),
		Plural(s.Untagged, "tag", "tags"), Plural(s.Hosts-s.FailedHosts, "host", "hosts"), s.Skipped, s.Failed)
	if s.Unknown > 0 {
		fmt.Fprintf(&b, ", unknown %d", s.Unknown)
	}
	fmt.Fprintf(&b, ": reclaimed %s of %s planned", policy.HumanSize(s.ReclaimedBytes), policy.HumanSize(s.PlannedBytes))
	if s.FailedHosts > 0 {
		var failed []string
		for _, h := range hosts {
			if h.Err != nil {
				failed = append(failed, h.Context())
			}
		}
		fmt.Fprintf(&b, "; %s failed (%s)", Plural(s.FailedHosts, "host", "hosts"), strings.Join(failed, ", "))
	}
	b.WriteString("\n")
	_, err = io.WriteString(w, b.String())
	return err
}

// LinePrefixer writes whole lines, each after a prefix, to a writer that
// several prefixers share: the progress of hosts pruned at once, each
// line saying whose it is and none cut by another's.
type LinePrefixer struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

// NewLinePrefixers returns one prefixer per prefix, all writing to w.
func NewLinePrefixers(w io.Writer, prefixes []string) []*LinePrefixer {
	mu := new(sync.Mutex)
	ps := make([]*LinePrefixer, len(prefixes))
	for i, p := range prefixes {
		ps[i] = &LinePrefixer{mu: mu, w: w, prefix: p}
	}
	return ps
}

func (p *LinePrefixer) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		p.mu.Lock()
		_, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i])
		p.mu.Unlock()
		p.buf = p.buf[i+1:]
		if err != nil {
			return len(b), err
		}
	}
}
