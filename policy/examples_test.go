package policy_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/docker-shaper/docker-shaper/policy"
)

// The policies users start from load without a single diagnostic, warnings
// included: an example that warns teaches the warning.
func TestExamplePolicies(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../examples/policies/*.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no example policies found")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			l := policy.NewLoader()
			p, diags := l.Load(file, src)
			if len(diags) > 0 {
				t.Fatalf("diagnostics:\n%s", render(l, diags))
			}
			if len(p.Images)+len(p.Containers)+len(p.Volumes)+len(p.Networks) == 0 && p.BuildCache == nil {
				t.Error("the example has no rules")
			}
		})
	}
}
