package policy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/docker-shaper/docker-shaper/policy"
)

func TestFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"canonical", "image \"x\" {\n  match = [\"a:*\"]\n}\n", "image \"x\" {\n  match = [\"a:*\"]\n}\n"},
		{"indent and align",
			"image \"x\"{\nmatch=[\"a:*\"]\n    keep = 3\n}\n",
			"image \"x\" {\n  match = [\"a:*\"]\n  keep  = 3\n}\n"},
		{"comments kept",
			"# head\nimage \"x\" { # opening\n// line\nmatch = [\"a:*\"] /* inline */\n}\n",
			"# head\nimage \"x\" { # opening\n  // line\n  match = [\"a:*\"] /* inline */\n}\n"},
		{"one final newline", "volume \"v\" {\n}\n\n\n", "volume \"v\" {\n}\n"},
		{"newline added", "volume \"v\" {\n}", "volume \"v\" {\n}\n"},
		{"empty", "", ""},
		{"only blank lines", "\n\n", ""},
		// Meaning is validate's business: a misspelt attribute is formatted.
		{"unknown attribute", "image \"x\" {\nkepp=3\n}\n", "image \"x\" {\n  kepp = 3\n}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := policy.NewLoader().Format("p.hcl", []byte(tc.in))
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("Format (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormatRefuses(t *testing.T) {
	t.Parallel()
	for name, src := range map[string]string{
		"unclosed block": "image \"x\" {\n",
		"not text":       "image \"x\" {\x00}",
		"too large":      strings.Repeat("#", policy.MaxPolicySize+1),
		"too deep":       "image \"x\" {\n  match = " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n}\n",
	} {
		out, diags := policy.NewLoader().Format("p.hcl", []byte(src))
		if !diags.HasErrors() || out != nil {
			t.Errorf("%s: formatted (%d bytes), diags %v", name, len(out), diags)
		}
	}
}

// Every policy of the test corpus and the examples that parses formats to
// a text that parses, with the same comments in the same order, that
// formats to itself, and that loads to the same result: the same rules or
// the same diagnostics.
func TestFormatCorpus(t *testing.T) {
	t.Parallel()
	var files []string
	for _, glob := range []string{"testdata/load/*.hcl", "testdata/*.hcl", "../examples/policies/*.hcl", "../internal/policyfile/default.hcl"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 100 {
		t.Fatalf("only %d files", len(files))
	}
	formatted := 0
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(file)
		out, diags := policy.NewLoader().Format(name, src)
		if diags.HasErrors() {
			continue // not HCL: the loader reports it
		}
		formatted++
		if again, _ := policy.NewLoader().Format(name, out); string(again) != string(out) {
			t.Errorf("%s: formatting is not idempotent:\n%s", file, cmp.Diff(string(out), string(again)))
		}
		if diff := cmp.Diff(comments(t, src), comments(t, out)); diff != "" {
			t.Errorf("%s: comments differ after formatting (-before +after):\n%s", file, diff)
		}
		p1, d1 := policy.NewLoader().Load(name, src)
		p2, d2 := policy.NewLoader().Load(name, out)
		if diff := cmp.Diff(summaries(d1), summaries(d2)); diff != "" {
			t.Errorf("%s: diagnostics differ after formatting (-before +after):\n%s", file, diff)
		}
		if diff := cmp.Diff(p1, p2, policyCmp...); diff != "" {
			t.Errorf("%s: policy differs after formatting (-before +after):\n%s", file, diff)
		}
	}
	if formatted < 100 {
		t.Errorf("only %d files formatted", formatted)
	}
}

func comments(t *testing.T, src []byte) []string {
	t.Helper()
	tokens, _ := hclsyntax.LexConfig(src, "p.hcl", hcl.InitialPos)
	var cs []string
	for _, tok := range tokens {
		if tok.Type == hclsyntax.TokenComment {
			cs = append(cs, strings.TrimSpace(string(tok.Bytes)))
		}
	}
	return cs
}

func summaries(diags hcl.Diagnostics) []string {
	var s []string
	for _, d := range diags {
		s = append(s, fmt.Sprint(d.Severity)+" "+d.Summary)
	}
	return s
}
