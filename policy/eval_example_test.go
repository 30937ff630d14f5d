package policy_test

import (
	"fmt"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
)

func ExampleEvaluate() {
	pol, diags := policy.NewLoader().Load("ci.hcl", []byte(`
image "pull requests" {
  match      = ["app:pr-*"]
  keep       = 1
  older_than = "7d"
}
`))
	if diags.HasErrors() {
		panic(diags)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	// Images built here: the daemon records when each was tagged, which is
	// when the default basis, "seen", says it arrived.
	built := func(id, tag string, age time.Duration) policy.Image {
		return policy.Image{ID: id, Tags: []string{tag}, Created: now.Add(-age), LastTagTime: now.Add(-age),
			Size: 100, UniqueSize: 40}
	}
	plan := policy.Evaluate(pol, policy.Snapshot{
		Now: now,
		Images: []policy.Image{
			built("sha256:new", "app:pr-3", 1*day),
			built("sha256:mid", "app:pr-2", 3*day),
			built("sha256:old", "app:pr-1", 9*day),
		},
	})
	for _, a := range plan.Actions {
		fmt.Printf("%s %s: %s\n", a.Action, a.Ref, a.Reason)
	}
	for _, k := range plan.Kept {
		fmt.Printf("keep %s: %s\n", k.Ref, k.Reason)
	}
	fmt.Printf("%d action(s), %d bytes\n", plan.Summary.Actions, plan.Summary.ReclaimableBytes)
	// Output:
	// remove app:pr-1: rank 3 beyond keep 1, seen 9d ago, older than 7d
	// keep app:pr-2: rank 2 beyond keep 1, seen 3d ago, younger than 7d
	// keep app:pr-3: rank 1 of keep 1
	// 1 action(s), 40 bytes
}

func ExampleExplain() {
	pol, _ := policy.NewLoader().Load("ci.hcl", []byte(`
image "everything" {
  match      = ["**:*"]
  older_than = "7d"
}
`))
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	snap := policy.Snapshot{Now: now, Images: []policy.Image{
		// Pulled a year after it was built; docker-shaper saw it arrive 2 days ago.
		{ID: "sha256:1234567890ab", Tags: []string{"tool:2"}, Created: now.Add(-400 * 24 * time.Hour),
			FirstSeen: now.Add(-48 * time.Hour), UniqueSize: -1},
	}}
	for _, obj := range policy.Explain(pol, policy.Evaluate(pol, snap), snap, "tool:2").Objects {
		for _, d := range obj.Decisions {
			fmt.Printf("%s: %s by %s (%s), from %s\n", d.Ref, d.Verdict, d.Rule, d.Reason, d.ExpiresAt.Format(time.DateOnly))
		}
	}
	// Output:
	// tool:2: keep by image.everything (seen 2d ago, younger than 7d), from 2026-11-27
}
