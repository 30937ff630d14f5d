package render

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderRowsGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		format Format
		kept   bool
		quiet  bool
	}{
		{"rows.template", `{{.Kind}} {{.Action}} {{.Object}} {{.Rule}} {{.Size}}`, false, false},
		{"rows.table-template", `table {{.Kind}}\t{{.Action}}\t{{.Ref}}\t{{.Name}}\t{{.ID}}\t{{.Size}}`, false, false},
		{"rows.kept-template", `{{.Action}} {{.Kind}} {{.Object}}: {{.Reason}}`, true, false},
		{"rows.functions", `{{upper .Kind}} {{json .Ref}} {{len .FullID}} {{.Bytes}}`, false, false},
		{"rows.quiet", FormatTable, false, true},
		{"plan-kept.table", FormatTable, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			rows := PlanRows(samplePlan(), tt.kept)
			var err error
			switch {
			case tt.quiet:
				err = Quiet(&buf, rows)
			case tt.format == FormatTable:
				err = PlanTableKept(&buf, samplePlan())
			default:
				var f Format
				if err := f.Set(string(tt.format)); err != nil {
					t.Fatal(err)
				}
				err = Rows(&buf, f, rows)
			}
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "render", tt.name), buf.Bytes())
		})
	}
}

func TestFormatTemplateErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ format, want string }{
		{"{{.Nope}}", "can't evaluate field Nope"},
		{"{{.Ref", "unclosed action"},
		{"table {{.Ref}", "invalid --format template"},
		{"{{nofunc .Ref}}", `function "nofunc" not defined`},
		{"yaml", "use table, json, or a Go template"},
		{"", "unknown format"},
	} {
		var f Format
		err := f.Set(tt.format)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Set(%q) = %v, want an error with %q", tt.format, err, tt.want)
		}
	}
}
