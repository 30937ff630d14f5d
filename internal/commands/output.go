package commands

import (
	"fmt"
	"io"
	"strings"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/policyfile"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/docker/cli/cli"
	"github.com/spf13/pflag"
)

// outputOptions are how check and prune print a plan (and prune its
// results): --format (table, json or a Go template), -q and --filter.
type outputOptions struct {
	format render.Format
	quiet  bool
	filter filterFlag
}

// addOutputFlags adds --format, --quiet and --filter to flags.
func addOutputFlags(flags *pflag.FlagSet, o *outputOptions) {
	o.format = render.FormatTable
	flags.Var(&o.format, "format", `Output format: "table", "json", or a Go template such as '{{.Ref}} {{.Reason}}' (see docs/output.md)`)
	flags.BoolVarP(&o.quiet, "quiet", "q", false, "Only print references and IDs")
	addFilterFlag(flags, &o.filter)
}

// jsonOut says whether the output is the JSON document.
func (o outputOptions) jsonOut() bool { return o.format == render.FormatJSON && !o.quiet }

// rows says whether the output is rows (-q or a template), not a table or
// a document.
func (o outputOptions) rows() bool { return o.quiet || o.format.IsTemplate() }

// writeRows prints rows as -q or the template says.
func (o outputOptions) writeRows(w io.Writer, rows []render.Row) error {
	if o.quiet {
		return render.Quiet(w, rows)
	}
	return render.Rows(w, o.format, rows)
}

// showPlan prints a plan as check (and prune --dry-run) does: rows, the
// JSON document, or the table, with what stays when kept is set.
func (o outputOptions) showPlan(d deps, plan policy.Plan, kept bool) error {
	if o.rows() {
		return o.writeRows(d.cli.Out(), render.PlanRows(plan, kept && !o.quiet))
	}
	if kept && o.format == render.FormatTable {
		render.PlanHeader(d.cli.Err(), plan)
		return render.PlanTableKept(d.cli.Out(), plan)
	}
	return render.ShowPlan(d.cli.Out(), d.cli.Err(), plan, o.format)
}

// showResults prints prune's results as rows.
func (o outputOptions) showResults(w io.Writer, report *apply.Report) error {
	return o.writeRows(w, render.ResultRows(report))
}

// fleetSupported refuses, with --contexts, what the fleet's output does
// not do yet: templates, -q and --show-kept (--filter, --exit-code and
// table|json work over a fleet).
func (o outputOptions) fleetSupported(showKept bool) error {
	var flags []string
	if o.format.IsTemplate() {
		flags = append(flags, "a --format template")
	}
	if o.quiet {
		flags = append(flags, "-q")
	}
	if showKept {
		flags = append(flags, "--show-kept")
	}
	if len(flags) == 0 {
		return nil
	}
	return cli.StatusError{StatusCode: 1, Status: fmt.Sprintf(
		"--contexts and --all-contexts do not take %s: use --format table or json, and --filter", strings.Join(flags, ", "))}
}

// filterFlag is --filter, repeatable: KEY=VALUE terms that narrow the plan
// (see policy.Filter). Unknown keys and values are usage errors, before
// the daemon is contacted; a rule= that names no rule of the policy is an
// error as soon as the policy is loaded.
type filterFlag struct {
	f     policy.Filter
	terms []string
}

func (f *filterFlag) String() string { return strings.Join(f.terms, ",") }
func (f *filterFlag) Type() string   { return "filter" }

func (f *filterFlag) Set(s string) error {
	if f.f == nil {
		f.f = policy.Filter{}
	}
	if err := f.f.Add(s); err != nil {
		return err
	}
	f.terms = append(f.terms, s)
	return nil
}

// addFilterFlag adds --filter to flags.
func addFilterFlag(flags *pflag.FlagSet, f *filterFlag) {
	flags.VarP(f, "filter", "", "Only the part of the plan that matches, e.g. kind=image, rule=image.ci, action=untag (repeatable: "+
		"one key's values are alternatives, different keys must all match)")
}

// checkFilter refuses a filter naming a rule the loaded policy does not have.
func checkFilter(f policy.Filter, lp *policyfile.Loaded) error {
	if f.Empty() || lp == nil {
		return nil
	}
	return f.CheckRules(lp.Policy)
}

// filterPlan narrows res's plan by f, saying on errOut which selected
// actions it left out because they need an action the filter excludes.
func filterPlan(errOut io.Writer, res *planResult, f policy.Filter) {
	if f.Empty() {
		return
	}
	plan, dropped := policy.FilterPlan(res.Plan, res.Snapshot, f)
	res.Plan = plan
	for _, dr := range dropped {
		fmt.Fprintf(errOut, "Filter: left out %s %s: it needs %s, which the filter excludes\n",
			dr.Action.Action, render.ObjectName(dr.Action), dr.Needs)
	}
}
