package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
)

// RulesDocument is check --rules --format json: how each rule fares on the
// host (policy.Analyze, the numbers docker shaper status shows in its
// rules pane), in evaluation order.
type RulesDocument struct {
	Policy string             `json:"policy"`
	Now    time.Time          `json:"now"`
	Daemon *policy.Daemon     `json:"daemon,omitempty"`
	Rules  []policy.RuleStats `json:"rules"`
}

// NewRulesDocument is the report of the rules that made plan.
func NewRulesDocument(plan policy.Plan, a policy.Analysis) RulesDocument {
	rules := a.Rules
	if rules == nil {
		rules = []policy.RuleStats{}
	}
	return RulesDocument{Policy: plan.Policy, Now: plan.Now, Daemon: plan.Daemon, Rules: rules}
}

// overlapsShown is how many overlaps of one rule the table lists; JSON
// has them all.
const overlapsShown = 10

// Rules writes the report in format: JSON, or a table of the rules
// followed by the overlaps, the objects a rule claims that later rules
// match too (they never see them: the first matching rule claims).
func Rules(w io.Writer, doc RulesDocument, format Format) error {
	if format == FormatJSON {
		return JSON(w, doc)
	}
	var b strings.Builder
	rows := make([][]string, 0, len(doc.Rules))
	overlapping := 0
	for _, r := range doc.Rules {
		claimed, due, bytes, protected := strconv.Itoa(r.Claimed), strconv.Itoa(r.Due), "-", "-"
		if r.Due > 0 {
			bytes = policy.HumanSize(r.BytesDue)
		}
		if r.Kind == "protect" || r.Kind == "builtin" {
			claimed, due, protected = "-", "-", strconv.Itoa(r.Protected)
		}
		overlaps := "-"
		if n := len(r.Overlaps); n > 0 {
			overlaps = strconv.Itoa(n)
			overlapping++
		}
		rows = append(rows, []string{r.Rule, claimed, due, bytes, protected, overlaps})
	}
	if err := Section(&b, "RULES", []string{"RULE", "CLAIMED", "DUE", "BYTES DUE", "PROTECTED", "OVERLAPS"}, rows); err != nil {
		return err
	}
	if overlapping > 0 {
		var orows [][]string
		for _, r := range doc.Rules {
			for i, o := range r.Overlaps {
				if i == overlapsShown {
					orows = append(orows, []string{r.Rule, "…", fmt.Sprintf("and %d more (--format json lists them all)", len(r.Overlaps)-i)})
					break
				}
				orows = append(orows, []string{r.Rule, o.Object, strings.Join(o.Also, ", ")})
			}
		}
		if err := Section(&b, "OVERLAPS", []string{"CLAIMED BY", "OBJECT", "ALSO MATCHED BY"}, orows); err != nil {
			return err
		}
	}
	fmt.Fprintf(&b, "%s, %d with overlaps", Plural(len(doc.Rules), "rule", "rules"), overlapping)
	if overlapping > 0 {
		b.WriteString(" (the first matching rule claims an object: the later rules never see it)")
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}
