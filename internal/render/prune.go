package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/policy"
)

// PruneResult is one result in prune's JSON document: the planned action's
// identity, and its outcome.
type PruneResult struct {
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

// PruneDocument is prune's --format json output.
type PruneDocument struct {
	Plan    json.RawMessage `json:"plan"`
	Run     string          `json:"run,omitempty"`
	Results []PruneResult   `json:"results"`
	Summary apply.Summary   `json:"summary"`
}

// PruneJSON writes prune's JSON document: the plan (exactly as check
// writes it), then one result per action in plan order, then the summary.
// report is nil when there was nothing to do: no results.
func PruneJSON(w io.Writer, plan policy.Plan, report *apply.Report) error {
	var planBuf strings.Builder
	if err := PlanJSON(&planBuf, plan); err != nil {
		return err
	}
	doc := pruneDocument(report)
	doc.Plan = json.RawMessage(planBuf.String())
	return JSON(w, doc)
}

// pruneDocument is prune's document but for its plan: one result per
// action in plan order, then the summary.
func pruneDocument(report *apply.Report) PruneDocument {
	doc := PruneDocument{Results: []PruneResult{}}
	if report == nil {
		doc.Summary = apply.Summarize(nil, nil, nil, nil)
		return doc
	}
	doc.Run = report.Run
	doc.Summary = report.Summary
	for _, r := range report.Results {
		a := r.Action
		doc.Results = append(doc.Results, PruneResult{
			Kind: a.Kind, Action: a.Action, Ref: a.Ref, Name: a.Name, ID: a.ID, Rule: a.Rule, Reason: a.Reason,
			Outcome: r.Outcome, Detail: r.Detail, Bytes: r.Bytes,
		})
	}
	return doc
}

// kindTitles name kinds in the summary table.
var kindTitles = map[string]string{
	policy.KindContainer:  "containers",
	policy.KindImage:      "images",
	policy.KindVolume:     "volumes",
	policy.KindNetwork:    "networks",
	policy.KindBuildCache: "build cache",
}

// PruneTable writes the outcome of an apply for people: the actions
// that were skipped or failed, with why; a table of totals per kind; and a
// closing line.
func PruneTable(w io.Writer, report *apply.Report) error {
	var b strings.Builder
	for _, outcome := range []string{apply.OutcomeSkipped, apply.OutcomeFailed, apply.OutcomeUnknown} {
		var rows [][]string
		for _, r := range report.Results {
			if r.Outcome == outcome {
				rows = append(rows, []string{r.Action.Kind, r.Action.Action, ObjectName(r.Action), r.Detail})
			}
		}
		if err := Section(&b, strings.ToUpper(outcome), []string{"KIND", "ACTION", "OBJECT", "REASON"}, rows); err != nil {
			return err
		}
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
			policy.HumanSize(k.PlannedBytes), policy.HumanSize(k.ReclaimedBytes), measuredSize(k.MeasuredBytes))
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", s.Removed, s.Untagged, s.Skipped, s.Failed,
		policy.HumanSize(s.PlannedBytes), policy.HumanSize(s.ReclaimedBytes), measuredSize(s.MeasuredBytes))
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
func resultLine(s apply.Summary) string {
	failed := fmt.Sprintf("failed %d", s.Failed)
	if s.Unknown > 0 {
		failed += fmt.Sprintf(", unknown %d (see UNKNOWN above: the next run reconciles them)", s.Unknown)
	}
	line := fmt.Sprintf("Removed %s and %s, skipped %d, %s: reclaimed %s of %s planned",
		Plural(s.Removed, "object", "objects"), Plural(s.Untagged, "tag", "tags"), s.Skipped, failed,
		policy.HumanSize(s.ReclaimedBytes), policy.HumanSize(s.PlannedBytes))
	if s.MeasuredBytes != nil {
		line += " (docker system df: " + signedSize(*s.MeasuredBytes) + " less"
		if len(s.Unmeasured) > 0 {
			line += "; the daemon does not report the disk usage of " + strings.Join(kindNames(s.Unmeasured), " or ")
		}
		line += ")"
	}
	return line
}

// kindNames are kinds as people say them: "images", "build cache".
func kindNames(kinds []string) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = kindTitles[k]
		if out[i] == "" {
			out[i] = k
		}
	}
	return out
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
		return "-" + policy.HumanSize(-n)
	}
	return policy.HumanSize(n)
}

// ObjectName is how results name an action's object.
func ObjectName(a policy.Action) string {
	switch {
	case a.Kind == policy.KindImage && a.Ref != "":
		return a.Ref + " (" + policy.ShortID(a.ID) + ")"
	case a.Kind == policy.KindImage:
		return "<none> (" + policy.ShortID(a.ID) + ")"
	case a.Kind == policy.KindBuildCache:
		return "build cache"
	case a.Name != "" && a.ID != "":
		return a.Name + " (" + policy.ShortID(a.ID) + ")"
	case a.Name != "":
		return a.Name
	}
	return policy.ShortID(a.ID)
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

func NewProgress(w io.Writer, terminal bool) *progressWriter {
	return &progressWriter{w: w, terminal: terminal, counts: make(map[string]int)}
}

func (p *progressWriter) Start(total int) {
	p.width = len(strconv.Itoa(total))
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K%s", p.counter(0, total))
	}
}

func (p *progressWriter) Done(r apply.Result, done, total int) {
	p.counts[r.Outcome]++
	line := fmt.Sprintf("%s %s %s", r.Outcome, r.Action.Kind, ObjectName(r.Action))
	if r.Detail != "" {
		line += ": " + r.Detail
	}
	if !p.terminal {
		fmt.Fprintf(p.w, "[%*d/%d] %s\n", p.width, done, total, line)
		return
	}
	if r.Outcome == apply.OutcomeSkipped || r.Outcome == apply.OutcomeFailed || r.Outcome == apply.OutcomeUnknown {
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
		p.counts[apply.OutcomeRemoved], p.counts[apply.OutcomeUntagged], p.counts[apply.OutcomeSkipped], p.counts[apply.OutcomeFailed])
}
