package plugin

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/docker-shaper/docker-shaper/policy"
)

// applySummary totals an apply, overall and per kind of object.
type applySummary struct {
	outcomeCounts
	// Kinds are the totals of each kind the plan acts on, in execution
	// order.
	Kinds []kindSummary `json:"kinds"`
}

// kindSummary totals the actions of one kind.
type kindSummary struct {
	Kind string `json:"kind"`
	outcomeCounts
}

// outcomeCounts are the totals an apply reports, overall and per kind.
type outcomeCounts struct {
	Actions  int `json:"actions"`
	Removed  int `json:"removed"`
	Untagged int `json:"untagged"`
	Skipped  int `json:"skipped"`
	Failed   int `json:"failed"`
	// PlannedBytes is what the plan expected to reclaim.
	PlannedBytes int64 `json:"planned_bytes"`
	// ReclaimedBytes is the plan's figure for what was actually removed
	// (for the build cache, the daemon's figure).
	ReclaimedBytes int64 `json:"reclaimed_bytes"`
	// MeasuredBytes is the drop in disk usage (docker system df) from
	// before to after; null when it was not measured. Other users of the
	// daemon change it too.
	MeasuredBytes *int64 `json:"measured_bytes"`
}

var kindOrder = []string{policy.KindContainer, policy.KindImage, policy.KindVolume, policy.KindNetwork, policy.KindBuildCache}

// summarize totals results; before and after are disk usage measurements
// (nil when not measured).
func summarize(actions []policy.Action, results []actionResult, before, after diskTotals) applySummary {
	s := applySummary{Kinds: []kindSummary{}}
	s.Actions = len(actions)
	order := slices.Clone(kindOrder)
	kinds := make(map[string]*kindSummary)
	for _, k := range order {
		kinds[k] = &kindSummary{Kind: k}
	}
	for i, act := range actions {
		k := kinds[act.Kind]
		if k == nil {
			k = &kindSummary{Kind: act.Kind}
			kinds[act.Kind] = k
			order = append(order, act.Kind)
		}
		k.Actions++
		k.PlannedBytes += act.Bytes
		r := results[i]
		switch r.Outcome {
		case outcomeRemoved:
			k.Removed++
			k.ReclaimedBytes += r.Bytes
		case outcomeUntagged:
			k.Untagged++
		case outcomeSkipped:
			k.Skipped++
		case outcomeFailed:
			k.Failed++
		}
	}
	measured := before != nil && after != nil
	var total int64
	for _, name := range order {
		k := kinds[name]
		if measured {
			if b, ok := before[name]; ok {
				d := b - after[name]
				k.MeasuredBytes = &d
				total += d
			}
		}
		if k.Actions == 0 {
			continue
		}
		s.Removed += k.Removed
		s.Untagged += k.Untagged
		s.Skipped += k.Skipped
		s.Failed += k.Failed
		s.PlannedBytes += k.PlannedBytes
		s.ReclaimedBytes += k.ReclaimedBytes
		s.Kinds = append(s.Kinds, *k)
	}
	if measured {
		s.MeasuredBytes = &total
	}
	return s
}

// resultJSON is one result in prune's JSON document: the planned action's
// identity, and its outcome.
type resultJSON struct {
	Kind    string `json:"kind"`
	Action  string `json:"action"`
	Ref     string `json:"ref"`
	Name    string `json:"name"`
	ID      string `json:"id"`
	Rule    string `json:"rule"`
	Reason  string `json:"reason"`
	Outcome string `json:"outcome"`
	Detail  string `json:"detail"`
	Bytes   int64  `json:"bytes"`
}

// pruneDocument is prune's --format json output.
type pruneDocument struct {
	Plan    json.RawMessage `json:"plan"`
	Run     string          `json:"run,omitempty"`
	Results []resultJSON    `json:"results"`
	Summary applySummary    `json:"summary"`
}

// renderPruneJSON writes prune's JSON document: the plan (exactly as check
// writes it), then one result per action in plan order, then the summary.
// report is nil when there was nothing to do: no results.
func renderPruneJSON(w io.Writer, plan policy.Plan, report *applyReport) error {
	var planBuf strings.Builder
	if err := renderPlanJSON(&planBuf, plan); err != nil {
		return err
	}
	doc := pruneDocument{Plan: json.RawMessage(planBuf.String()), Results: []resultJSON{}}
	if report != nil {
		doc.Run = report.Run
		doc.Summary = report.Summary
		for _, r := range report.Results {
			a := r.Action
			doc.Results = append(doc.Results, resultJSON{
				Kind: a.Kind, Action: a.Action, Ref: a.Ref, Name: a.Name, ID: a.ID, Rule: a.Rule, Reason: a.Reason,
				Outcome: r.Outcome, Detail: r.Detail, Bytes: r.Bytes,
			})
		}
	} else {
		doc.Summary = summarize(nil, nil, nil, nil)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// kindTitles name kinds in the summary table.
var kindTitles = map[string]string{
	policy.KindContainer:  "containers",
	policy.KindImage:      "images",
	policy.KindVolume:     "volumes",
	policy.KindNetwork:    "networks",
	policy.KindBuildCache: "build cache",
}

// renderPruneTable writes the outcome of an apply for people: the actions
// that were skipped or failed, with why; a table of totals per kind; and a
// closing line.
func renderPruneTable(w io.Writer, report *applyReport) error {
	var b strings.Builder
	for _, outcome := range []string{outcomeSkipped, outcomeFailed} {
		var rows [][]string
		for _, r := range report.Results {
			if r.Outcome == outcome {
				rows = append(rows, []string{r.Action.Kind, r.Action.Action, objectName(r.Action), r.Detail})
			}
		}
		if len(rows) == 0 {
			continue
		}
		b.WriteString(strings.ToUpper(outcome) + "\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "KIND\tACTION\tOBJECT\tREASON")
		for _, r := range rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		b.WriteString("\n")
	}

	s := report.Summary
	b.WriteString("RESULT\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "KIND\tREMOVED\tUNTAGGED\tSKIPPED\tFAILED\tPLANNED\tRECLAIMED\tMEASURED")
	for _, k := range s.Kinds {
		title := kindTitles[k.Kind]
		if title == "" {
			title = k.Kind
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", title, k.Removed, k.Untagged, k.Skipped, k.Failed,
			humanSize(k.PlannedBytes), humanSize(k.ReclaimedBytes), measuredSize(k.MeasuredBytes))
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", s.Removed, s.Untagged, s.Skipped, s.Failed,
		humanSize(s.PlannedBytes), humanSize(s.ReclaimedBytes), measuredSize(s.MeasuredBytes))
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")
	b.WriteString(resultLine(s))
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// resultLine closes the table: "Removed 12 objects and 30 tags, skipped 1,
// failed 0: reclaimed 1.2GB of 1.3GB planned (measured: 1.19GB)."
func resultLine(s applySummary) string {
	line := fmt.Sprintf("Removed %s and %s, skipped %d, failed %d: reclaimed %s of %s planned",
		plural(s.Removed, "object", "objects"), plural(s.Untagged, "tag", "tags"), s.Skipped, s.Failed,
		humanSize(s.ReclaimedBytes), humanSize(s.PlannedBytes))
	if s.MeasuredBytes != nil {
		line += " (docker system df: " + signedSize(*s.MeasuredBytes) + " less)"
	}
	return line
}

func measuredSize(n *int64) string {
	if n == nil {
		return "-"
	}
	return signedSize(*n)
}

// signedSize is a size that may be negative (disk usage that grew).
func signedSize(n int64) string {
	if n < 0 {
		return "-" + humanSize(-n)
	}
	return humanSize(n)
}

// objectName is how results name an action's object.
func objectName(a policy.Action) string {
	switch {
	case a.Kind == policy.KindImage && a.Ref != "":
		return a.Ref + " (" + shortID(a.ID) + ")"
	case a.Kind == policy.KindImage:
		return "<none> (" + shortID(a.ID) + ")"
	case a.Kind == policy.KindBuildCache:
		return "build cache"
	case a.Name != "" && a.ID != "":
		return a.Name + " (" + shortID(a.ID) + ")"
	case a.Name != "":
		return a.Name
	}
	return shortID(a.ID)
}

// progressWriter shows an apply's progress on stderr. On a terminal it
// keeps one counter line, rewritten in place, and prints skipped and
// failed actions above it; elsewhere (logs, CI, tests) it prints one line
// per action, numbered.
type progressWriter struct {
	w        io.Writer
	terminal bool
	counts   map[string]int
	width    int
}

func newProgressWriter(w io.Writer, terminal bool) *progressWriter {
	return &progressWriter{w: w, terminal: terminal, counts: make(map[string]int)}
}

func (p *progressWriter) Start(total int) {
	p.width = len(strconv.Itoa(total))
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K%s", p.counter(0, total))
	}
}

func (p *progressWriter) Done(r actionResult, done, total int) {
	p.counts[r.Outcome]++
	line := fmt.Sprintf("%s %s %s", r.Outcome, r.Action.Kind, objectName(r.Action))
	if r.Detail != "" {
		line += ": " + r.Detail
	}
	if !p.terminal {
		fmt.Fprintf(p.w, "[%*d/%d] %s\n", p.width, done, total, line)
		return
	}
	if r.Outcome == outcomeSkipped || r.Outcome == outcomeFailed {
		fmt.Fprintf(p.w, "\r\033[K%s\n", line)
	}
	fmt.Fprintf(p.w, "\r\033[K%s", p.counter(done, total))
}

func (p *progressWriter) Finish() {
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}

func (p *progressWriter) counter(done, total int) string {
	return fmt.Sprintf("Pruning: %d/%d done (%d removed, %d untagged, %d skipped, %d failed)", done, total,
		p.counts[outcomeRemoved], p.counts[outcomeUntagged], p.counts[outcomeSkipped], p.counts[outcomeFailed])
}
