package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/docker-shaper/docker-shaper/policy"
)

func TestRulesTable(t *testing.T) {
	t.Parallel()
	var many []policy.Overlap
	for i := range 12 {
		many = append(many, policy.Overlap{Object: fmt.Sprintf("app:pr-%d", i), Also: []string{"image.all"}})
	}
	doc := NewRulesDocument(policy.Plan{Policy: "p.hcl"}, policy.Analysis{Rules: []policy.RuleStats{
		{Rule: "protect.keep", Kind: "protect", Protected: 2, Overlaps: []policy.Overlap{}},
		{Rule: "image.pr", Kind: "image", Claimed: 12, Due: 3, BytesDue: 3_000_000, Overlaps: many},
		{Rule: "image.all", Kind: "image", Claimed: 1, Overlaps: []policy.Overlap{}},
		{Rule: "builtin.in_use", Kind: "builtin", Protected: 1, Overlaps: []policy.Overlap{}},
	}})
	var buf bytes.Buffer
	if err := Rules(&buf, doc, FormatTable); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{
		"RULE             CLAIMED   DUE   BYTES DUE   PROTECTED   OVERLAPS\n",
		"protect.keep     -         -     -           2           -\n",
		"image.pr         12        3     3MB         -           12\n",
		"image.all        1         0     -           -           -\n",
		"builtin.in_use   -         -     -           1           -\n",
		"image.pr     app:pr-9   image.all\n",
		"image.pr     …          and 2 more (--format json lists them all)\n",
		"4 rules, 1 with overlaps",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "app:pr-10") {
		t.Errorf("the table lists more than %d overlaps of a rule:\n%s", overlapsShown, got)
	}

	buf.Reset()
	if err := Rules(&buf, doc, FormatJSON); err != nil {
		t.Fatal(err)
	}
	var back RulesDocument
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Rules) != 4 || len(back.Rules[1].Overlaps) != 12 {
		t.Errorf("JSON lost rules or overlaps: %+v", back.Rules)
	}

	// No rules at all: an empty list, not null.
	buf.Reset()
	if err := Rules(&buf, NewRulesDocument(policy.Plan{}, policy.Analysis{}), FormatJSON); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"rules": []`) {
		t.Errorf("no rules: %s", buf.String())
	}
}
