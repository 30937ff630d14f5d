package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

func TestRenderDiagnostics(t *testing.T) {
	t.Parallel()
	p := hclparse.NewParser()
	src := []byte("image \"x\" {\n  match = [\"nginx\"]\n}\n")
	if _, diags := p.ParseHCL(src, "ci.hcl"); diags.HasErrors() {
		t.Fatal(diags)
	}
	diags := hcl.Diagnostics{
		{
			Severity: hcl.DiagError,
			Summary:  "Pattern has no tag",
			Detail:   `Write "nginx:*" for every tag.`,
			Subject: &hcl.Range{Filename: "ci.hcl",
				Start: hcl.Pos{Line: 2, Column: 12, Byte: 23}, End: hcl.Pos{Line: 2, Column: 19, Byte: 30}},
		},
		{Severity: hcl.DiagWarning, Summary: "No place"},
	}
	var buf bytes.Buffer
	if err := Diagnostics(&buf, p.Files(), diags); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{
		"ci.hcl:2:12: Error: Pattern has no tag\n",
		"  on ci.hcl line 2, in image \"x\":\n",
		`   2:   match = ["nginx"]`,
		`Write "nginx:*" for every tag.`,
		"\nWarning: No place\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\x1b[") {
		t.Errorf("colour on a non-terminal:\n%q", got)
	}
}
