package commands

import (
	"errors"
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

// checkRulesOptions refuses, before the daemon is contacted, what the
// rules report does not have: a --format other than table or JSON
// (templates apply to the plan), and several hosts (it reports one).
func checkRulesOptions(format render.Format, fleet fleetFlags) error {
	if format != render.FormatTable && format != render.FormatJSON {
		return fmt.Errorf("--rules prints a table or JSON: use --format table or --format json, not %q", string(format))
	}
	if fleet.enabled() {
		return errors.New("--rules reports the rules against one host: leave out --contexts and --all-contexts, " +
			"and run it with docker --context NAME for each")
	}
	return nil
}
