package plugin

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/docker-shaper/docker-shaper/policy"
	units "github.com/docker/go-units"
	"github.com/spf13/pflag"
)

// Output formats.
const (
	formatTable = "table"
	formatJSON  = "json"
)

// formatValue is a --format flag: table or json.
type formatValue string

func (f *formatValue) String() string { return string(*f) }
func (f *formatValue) Type() string   { return "FORMAT" }

func (f *formatValue) Set(s string) error {
	switch s {
	case formatTable, formatJSON:
		*f = formatValue(s)
		return nil
	}
	return fmt.Errorf("unknown format %q: use table or json", s)
}

// addFormatFlag adds --format to flags; the value starts as table.
func addFormatFlag(flags *pflag.FlagSet, f *formatValue) {
	*f = formatTable
	flags.Var(f, "format", `Output format: "table" or "json"`)
}

// renderPlan writes plan to w in format.
func renderPlan(w io.Writer, plan policy.Plan, format formatValue) error {
	if format == formatJSON {
		return renderPlanJSON(w, plan)
	}
	return renderPlanTable(w, plan)
}

// showPlan prints a plan the way check does: the JSON document alone, or a
// table with the policy it came from named on stderr. prune shows its plan
// through it too, so the two print the same thing.
func showPlan(out, errOut io.Writer, plan policy.Plan, format formatValue) error {
	if format == formatTable {
		fmt.Fprintf(errOut, "Policy: %s\n", plan.Policy)
		if plan.Daemon != nil {
			fmt.Fprintf(errOut, "Daemon: %s\n", daemonLine(*plan.Daemon))
		}
	}
	return renderPlan(out, plan, format)
}

// daemonLine names a daemon for people: "docker 20.10.24 (API 1.41),
// ID 6PEG:KZU6:ZOLW, through context default".
func daemonLine(d policy.Daemon) string {
	id := d.ID
	if len(id) > 14 {
		id = id[:14]
	}
	return fmt.Sprintf("%s %s (API %s), ID %s, through context %s", d.Engine, d.Version, d.API, id, d.Context)
}

// renderPlanJSON writes the plan document of the contract: two-space
// indent, empty lists as [] rather than null.
func renderPlanJSON(w io.Writer, plan policy.Plan) error {
	if plan.Actions == nil {
		plan.Actions = []policy.Action{}
	}
	if plan.Kept == nil {
		plan.Kept = []policy.Kept{}
	}
	if plan.Warnings == nil {
		plan.Warnings = []policy.Warning{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(plan)
}

// section is how the table shows the actions of one kind.
type section struct {
	kind    string
	title   string
	headers []string
	row     func(a policy.Action) []string
}

// sections are the table's, in execution order.
var sections = []section{
	{policy.KindContainer, "CONTAINERS", []string{"ACTION", "NAME", "CONTAINER ID", "RULE", "REASON", "SIZE"},
		func(a policy.Action) []string {
			return []string{a.Action, a.Name, shortID(a.ID), a.Rule, a.Reason, humanSize(a.Bytes)}
		}},
	{policy.KindImage, "IMAGES", []string{"ACTION", "REFERENCE", "IMAGE ID", "RULE", "REASON", "SIZE"},
		func(a policy.Action) []string {
			ref := a.Ref
			if ref == "" {
				ref = "<none>"
			}
			return []string{a.Action, ref, shortID(a.ID), a.Rule, a.Reason, humanSize(a.Bytes)}
		}},
	{policy.KindVolume, "VOLUMES", []string{"ACTION", "NAME", "RULE", "REASON", "SIZE"},
		func(a policy.Action) []string {
			return []string{a.Action, a.Name, a.Rule, a.Reason, humanSize(a.Bytes)}
		}},
	{policy.KindNetwork, "NETWORKS", []string{"ACTION", "NAME", "NETWORK ID", "RULE", "REASON"},
		func(a policy.Action) []string {
			return []string{a.Action, a.Name, shortID(a.ID), a.Rule, a.Reason}
		}},
	{policy.KindBuildCache, "BUILD CACHE", []string{"ACTION", "RULE", "REASON", "SIZE"},
		func(a policy.Action) []string {
			return []string{a.Action, a.Rule, a.Reason, humanSize(a.Bytes)}
		}},
}

// renderPlanTable writes the plan for people: one table per kind of object
// acted on, the warnings, and a summary line.
func renderPlanTable(w io.Writer, plan policy.Plan) error {
	var b strings.Builder
	for _, s := range sections {
		var rows [][]string
		for _, a := range plan.Actions {
			if a.Kind == s.kind {
				rows = append(rows, s.row(a))
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s\n", s.title)
		tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, strings.Join(s.headers, "\t"))
		for _, r := range rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		b.WriteString("\n")
	}
	if len(plan.Warnings) > 0 {
		b.WriteString("WARNINGS\n")
		for _, wn := range plan.Warnings {
			fmt.Fprintf(&b, "%s\n", warningText(wn))
		}
		b.WriteString("\n")
	}
	b.WriteString(summaryLine(plan))
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// warningText is a warning with its place, when known: "ci.hcl:12:3: …".
func warningText(w policy.Warning) string {
	switch {
	case w.Filename != "" && w.Line > 0 && w.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", w.Filename, w.Line, w.Column, w.Message)
	case w.Filename != "" && w.Line > 0:
		return fmt.Sprintf("%s:%d: %s", w.Filename, w.Line, w.Message)
	case w.Filename != "":
		return fmt.Sprintf("%s: %s", w.Filename, w.Message)
	}
	return w.Message
}

// summaryLine totals the plan: "5 actions, 1.2GB reclaimable".
func summaryLine(plan policy.Plan) string {
	n := plan.Summary.Actions
	kept := ""
	if len(plan.Kept) > 0 {
		kept = fmt.Sprintf(" (%s kept on purpose)", plural(len(plan.Kept), "object", "objects"))
	}
	if n == 0 {
		return "Nothing to do: no object is due for removal" + kept
	}
	return fmt.Sprintf("%s, %s reclaimable%s", plural(n, "action", "actions"),
		humanSize(plan.Summary.ReclaimableBytes), kept)
}

// humanSize is a size as docker shows it: "1.23GB".
func humanSize(n int64) string {
	if n < 0 {
		return "-"
	}
	return units.HumanSizeWithPrecision(float64(n), 3)
}

// shortID is an ID as docker shows it: 12 hex digits, no algorithm.
func shortID(id string) string {
	if i := strings.IndexByte(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}
