package render

import (
	"strings"

	"github.com/docker-shaper/docker-shaper/policy"
)

// keptSection writes the objects a plan keeps, with the rule (or
// protection) that keeps each and why: check --show-kept.
func keptSection(b *strings.Builder, kept []policy.Kept) error {
	rows := make([][]string, 0, len(kept))
	for _, k := range kept {
		rows = append(rows, []string{k.Kind, keptName(k), k.Rule, k.Reason})
	}
	return Section(b, "KEPT", []string{"KIND", "OBJECT", "RULE", "REASON"}, rows)
}

// keptName names a kept object as the action tables do.
func keptName(k policy.Kept) string {
	return ObjectName(policy.Action{Kind: k.Kind, Ref: k.Ref, ID: k.ID, Name: k.Name})
}
