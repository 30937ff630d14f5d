// Package render prints what docker-shaper's commands produce, for people
// (tables, like docker's own, with sizes and ages the way docker prints
// them) and for machines (JSON, one writer for every document): plans,
// prune results and progress, explanations, and policy diagnostics.
// Data goes to the writer it is given; colour only on a terminal.
package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/docker-shaper/docker-shaper/policy"
)

// Output formats.
const (
	FormatTable = "table"
	FormatJSON  = "json"
)

// Format is a --format flag: table, json, or a Go template as docker's
// --format takes them ("{{.Ref}} {{.Reason}}", "table {{.Kind}}\t{{.Ref}}").
type Format string

func (f *Format) String() string { return string(*f) }
func (f *Format) Type() string   { return "FORMAT" }

func (f *Format) Set(s string) error {
	switch s {
	case FormatTable, FormatJSON:
		*f = Format(s)
		return nil
	}
	if !strings.Contains(s, "{{") {
		return fmt.Errorf("unknown format %q: use table, json, or a Go template such as '{{.Ref}} {{.Reason}}'", s)
	}
	if _, err := parseTemplate(Format(s)); err != nil {
		return err
	}
	*f = Format(s)
	return nil
}

// Plan writes plan to w in format.
func Plan(w io.Writer, plan policy.Plan, format Format) error {
	if format == FormatJSON {
		return PlanJSON(w, plan)
	}
	return planTable(w, plan)
}

// ShowPlan prints a plan the way check does: the JSON document alone, or a
// table with the policy it came from named on stderr. prune shows its plan
// through it too, so the two print the same thing.
func ShowPlan(out, errOut io.Writer, plan policy.Plan, format Format) error {
	if format == FormatTable {
		PlanHeader(errOut, plan)
	}
	return Plan(out, plan, format)
}

// PlanHeader says, for people, which policy a plan comes from and which
// daemon it is for.
func PlanHeader(w io.Writer, plan policy.Plan) {
	fmt.Fprintf(w, "Policy: %s\n", plan.Policy)
	if plan.Daemon != nil {
		fmt.Fprintf(w, "Daemon: %s\n", DaemonLine(*plan.Daemon))
	}
}

// DaemonLine names a daemon for people: "docker 20.10.24 (API 1.41),
// ID 6PEG:KZU6:ZOLW, through context default".
func DaemonLine(d policy.Daemon) string {
	id := d.ID
	if len(id) > 14 {
		id = id[:14]
	}
	return fmt.Sprintf("%s %s (API %s), ID %s, through context %s", d.Engine, d.Version, d.API, id, d.Context)
}

// PlanJSON writes the plan document of the contract, as JSON writes
// it: two-space indent, empty lists as [] rather than null.
func PlanJSON(w io.Writer, plan policy.Plan) error {
	_, err := w.Write(appendPlanJSON(nil, plan))
	return err
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
			return []string{a.Action, a.Name, policy.ShortID(a.ID), a.Rule, a.Reason, policy.HumanSize(a.Bytes)}
		}},
	{policy.KindImage, "IMAGES", []string{"ACTION", "REFERENCE", "IMAGE ID", "RULE", "REASON", "SIZE"},
		func(a policy.Action) []string {
			ref := a.Ref
			if ref == "" {
				ref = "<none>"
			}
			return []string{a.Action, ref, policy.ShortID(a.ID), a.Rule, a.Reason, policy.HumanSize(a.Bytes)}
		}},
	{policy.KindVolume, "VOLUMES", []string{"ACTION", "NAME", "RULE", "REASON", "SIZE"},
		func(a policy.Action) []string {
			return []string{a.Action, a.Name, a.Rule, a.Reason, policy.HumanSize(a.Bytes)}
		}},
	{policy.KindNetwork, "NETWORKS", []string{"ACTION", "NAME", "NETWORK ID", "RULE", "REASON"},
		func(a policy.Action) []string {
			return []string{a.Action, a.Name, policy.ShortID(a.ID), a.Rule, a.Reason}
		}},
	{policy.KindBuildCache, "BUILD CACHE", []string{"ACTION", "RULE", "REASON", "SIZE"},
		func(a policy.Action) []string {
			return []string{a.Action, a.Rule, a.Reason, policy.HumanSize(a.Bytes)}
		}},
}

// planTable writes the plan for people: one table per kind of object
// acted on, the warnings, and a summary line.
func planTable(w io.Writer, plan policy.Plan) error { return planTableWith(w, plan, false) }

// PlanTableKept writes the plan's table with a KEPT section: what the
// rules claimed and keep, and why.
func PlanTableKept(w io.Writer, plan policy.Plan) error { return planTableWith(w, plan, true) }

func planTableWith(w io.Writer, plan policy.Plan, kept bool) error {
	var b strings.Builder
	for _, s := range sections {
		var rows [][]string
		for _, a := range plan.Actions {
			if a.Kind == s.kind {
				rows = append(rows, s.row(a))
			}
		}
		if err := Section(&b, s.title, s.headers, rows); err != nil {
			return err
		}
	}
	if kept {
		if err := keptSection(&b, plan.Kept); err != nil {
			return err
		}
	}
	PlanFooter(&b, plan)
	_, err := io.WriteString(w, b.String())
	return err
}

// PlanFooter writes what ends a plan's table: the warnings, and the
// summary line.
func PlanFooter(b *strings.Builder, plan policy.Plan) {
	if len(plan.Warnings) > 0 {
		b.WriteString("WARNINGS\n")
		for _, wn := range plan.Warnings {
			fmt.Fprintf(b, "%s\n", WarningText(wn))
		}
		b.WriteString("\n")
	}
	b.WriteString(summaryLine(plan))
	b.WriteString("\n")
}

// WarningText is a warning with its place, when known: "ci.hcl:12:3: …".
func WarningText(w policy.Warning) string {
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
		kept = fmt.Sprintf(" (%s kept on purpose)", Plural(len(plan.Kept), "object", "objects"))
	}
	if n == 0 {
		return "Nothing to do: no object is due for removal" + kept
	}
	unknown := ""
	if u := plan.Summary.UnknownBytes; u > 0 {
		unknown = fmt.Sprintf(" (and %s of unknown size)", Plural(u, "image", "images"))
	}
	return fmt.Sprintf("%s, %s reclaimable%s%s", Plural(n, "action", "actions"),
		policy.HumanSize(plan.Summary.ReclaimableBytes), unknown, kept)
}

// Plural counts things for people: "1 error", "3 errors".
func Plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Section writes a titled table, as docker prints its own (UPPERCASE
// headers, columns three spaces apart), and a blank line; nothing when
// there are no rows.
func Section(b *strings.Builder, title string, headers []string, rows [][]string) error {
	if len(rows) == 0 {
		return nil
	}
	b.WriteString(title + "\n")
	tw := tabwriter.NewWriter(b, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")
	return nil
}
