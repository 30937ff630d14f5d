package policy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-shaper/docker-shaper/policy"
)

// Every example policy, and the embedded default, is evaluated against one
// realistic host (testdata/examples/host.json): a CI node with pull-request
// images, releases, base images, compose services, dangling images,
// anonymous volumes, leftover networks and build cache. The goldens show
// what each policy would do there; they are refreshed with -update after
// reading them.
func TestExamplePoliciesEvaluate(t *testing.T) {
	host, err := os.ReadFile("testdata/examples/host.json")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../examples/policies/*.hcl")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../internal/policyfile/default.hcl")
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".hcl")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			pol := loadPolicy(t, filepath.Base(file), src)
			got, err := json.MarshalIndent(policy.Evaluate(pol, decodeSnapshot(t, host)), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata/examples", name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("plan differs from %s (run with -update after checking):\n%s", golden, got)
			}
		})
	}
}
