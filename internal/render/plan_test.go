package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// samplePlan has an action of every kind, kept objects and warnings.
func samplePlan() policy.Plan {
	return policy.Plan{
		Version: policy.PlanVersion,
		Policy:  "ci.hcl",
		Now:     time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Actions: []policy.Action{
			{Kind: policy.KindContainer, Action: policy.ActionRemove, ID: "0ecabaa1e6aa659613ae34aa36e8ef5d227a04c46076aee60ca57d3c28bb4b89",
				Name: "job-17", Rule: "container.finished jobs", Reason: "exited 3d ago, older than 6h", Bytes: 0},
			{Kind: policy.KindContainer, Action: policy.ActionRemove, ID: "186f0c0a79ce6b237a17a8310bf72f405b2303dd5a775782aef9571facbd227a",
				Name: "ci-build-4", Rule: "container.runaway ci jobs", Reason: "running for 13h, older than 12h", Bytes: 52_000, Force: true},
			{Kind: policy.KindImage, Action: policy.ActionUntag, Ref: "app:pr-12", ID: "sha256:f15100db244fd51276fc536c3511a12f2295b2c142213bcbb6ed231fa962801c",
				Rule: "image.pull requests", Reason: "rank 4 beyond keep 3, seen 9d ago", Bytes: 0},
			{Kind: policy.KindImage, Action: policy.ActionRemove, Ref: "app:pr-11", ID: "sha256:42f5526531923711f5fdf02052aed71268ab28a020e0cc4e474e06493a851d25",
				Rule: "image.pull requests", Reason: "rank 5 beyond keep 3, seen 12d ago", Bytes: 123_456_789},
			{Kind: policy.KindImage, Action: policy.ActionRemove, Ref: "", ID: "sha256:669bec68257575a9d3899da028e933c9d7aa2682c11300c70ee9827fc15d427d",
				Rule: "image.dangling", Reason: "dangling, created 3d ago, older than 1d", Bytes: 42},
			{Kind: policy.KindVolume, Action: policy.ActionRemove, Name: "87d0ffbe35cdf2d48d87c6fdd86d2bc02ac47d46d459bf29de5c7d75e3f65399",
				Rule: "volume.anonymous", Reason: "anonymous, unused, created 4d ago, older than 3d", Bytes: 2_048},
			{Kind: policy.KindNetwork, Action: policy.ActionRemove, Name: "ci_1", ID: "b8b93b8b7aeaa90c103a7bcc66bcd1c9a44d7151aca792f2aad866afd44f8e5b",
				Rule: "network.leftovers", Reason: "unused, created 2d ago, older than 1d"},
			{Kind: policy.KindBuildCache, Action: policy.ActionPrune, Rule: "build_cache", Reason: "12 records unused for 7d", Bytes: 1_500_000_000},
		},
		Kept: []policy.Kept{
			{Kind: policy.KindImage, Ref: "app:pr-13", ID: "sha256:784773cd3512a64b2b73fefd088b85f472db2f4225fe7cda3574dc8df50be44d",
				Rule: "image.pull requests", Reason: "rank 1 of keep 3"},
			{Kind: policy.KindContainer, Name: "db", ID: "14f73341d294f8aaac812be2f45399f3011a839f2932da7bc28a402847f646b0",
				Rule: "protect.databases", Reason: "protected"},
		},
		Warnings: []policy.Warning{
			{Message: `rule "image.old" claimed nothing`, Filename: "ci.hcl", Line: 12, Column: 3},
			{Message: "14 tags no rule claims, e.g. nginx:1.27, redis:7"},
		},
		Summary: policy.Summary{Actions: 8, ReclaimableBytes: 1_623_508_879},
	}
}

func TestRenderPlanGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		plan   policy.Plan
		format Format
	}{
		{"plan.table", samplePlan(), FormatTable},
		{"plan.json", samplePlan(), FormatJSON},
		{"empty.table", policy.Plan{Version: policy.PlanVersion, Policy: "embedded default",
			Now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}, FormatTable},
		{"empty.json", policy.Plan{Version: policy.PlanVersion, Policy: "embedded default",
			Now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}, FormatJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Plan(&buf, tt.plan, tt.format); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "render", tt.name), buf.Bytes())
		})
	}
}

// TestRenderPlanJSONContract checks the document's shape the way a script
// reads it: field names, and lists that are never null.
func TestRenderPlanJSONContract(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := PlanJSON(&buf, policy.Plan{Version: 1, Policy: "p.hcl"}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"version", "policy", "now", "actions", "kept", "warnings", "summary"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("plan document has no %q", key)
		}
	}
	for _, key := range []string{"actions", "kept", "warnings"} {
		if string(doc[key]) != "[]" {
			t.Errorf("%s = %s, want []", key, doc[key])
		}
	}
}

func TestFormatFlag(t *testing.T) {
	t.Parallel()
	var f Format
	for _, ok := range []string{"table", "json"} {
		if err := f.Set(ok); err != nil || string(f) != ok {
			t.Errorf("Set(%q) = %v, value %q", ok, err, f)
		}
	}
	if err := f.Set("yaml"); err == nil {
		t.Error(`Set("yaml"): want an error`)
	}
}

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
