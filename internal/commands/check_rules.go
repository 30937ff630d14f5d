package commands

import (
	"fmt"

	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/spf13/pflag"
)

// addRulesFlag adds check's --rules.
func addRulesFlag(flags *pflag.FlagSet, rules *bool) {
	flags.BoolVar(rules, "rules", false,
		"Report the rules instead of the plan: per rule, what it claims, what is due and what later rules also match")
}

// showRules prints the report of check --rules: the same evaluation as
// the plan (policy.Analyze), told per rule.
func showRules(d deps, res *planResult, format render.Format) error {
	if format == render.FormatTable {
		render.PlanHeader(d.cli.Err(), res.Plan)
	}
	return render.Rules(d.cli.Out(), render.NewRulesDocument(res.Plan, *res.Analysis), format)
}

// checkRulesFormat refuses, before the daemon is contacted, a --format
// the rules report does not have: it is a table or JSON.
func checkRulesFormat(format render.Format) error {
	if format != render.FormatTable && format != render.FormatJSON {
		return fmt.Errorf("--rules prints a table or JSON: use --format table or --format json, not %q", string(format))
	}
	return nil
}
