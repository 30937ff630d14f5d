package policy_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/docker-shaper/docker-shaper/policy"
)

func TestAnalyze(t *testing.T) {
	t.Parallel()
	pol := loadPolicy(t, "p.hcl", []byte(`
protect "bases" {
  images = ["base:*"]
}
container "done" {
  status = ["exited"]
}
image "pull requests" {
  match = ["app:pr-*"]
  keep  = 1
}
image "apps" {
  match = ["app:*", "base:*"]
}
image "everything" {
  match      = ["**:*"]
  older_than = "30d"
}
volume "anon" {}
`))
	day := 24 * time.Hour
	snap := policy.Snapshot{
		Now: testNow,
		Images: []policy.Image{
			{ID: "sha256:aaaa1111", Tags: []string{"app:pr-2"}, Created: testNow.Add(-2 * day), LastTagTime: testNow.Add(-2 * day), Size: 10, UniqueSize: 10},
			{ID: "sha256:bbbb2222", Tags: []string{"app:pr-1"}, Created: testNow.Add(-3 * day), LastTagTime: testNow.Add(-3 * day), Size: 20, UniqueSize: 20},
			{ID: "sha256:cccc3333", Tags: []string{"app:1", "base:1"}, Created: testNow.Add(-30 * day), FirstSeen: testNow.Add(-5 * day),
				FirstSeenIsLowerBound: true, Size: 40, UniqueSize: 40},
		},
		Containers: []policy.Container{
			{ID: "dddd4444", Name: "job", ImageID: "sha256:eeee", State: policy.StateExited,
				Created: testNow.Add(-3 * day), StartedAt: testNow.Add(-3 * day), FinishedAt: testNow.Add(-day)},
		},
		Volumes: []policy.Volume{{Name: "named", CreatedAt: testNow.Add(-day), Size: -1}},
	}
	plan, a := policy.Analyze(pol, snap)
	if diff := cmp.Diff(policy.Evaluate(pol, snap), plan); diff != "" {
		t.Errorf("Analyze's plan differs from Evaluate's (-Evaluate +Analyze):\n%s", diff)
	}
	want := []policy.RuleStats{
		{Rule: "protect.bases", Kind: "protect", Protected: 1, Overlaps: []policy.Overlap{}},
		{Rule: "container.done", Kind: "container", Claimed: 1, Due: 1, Overlaps: []policy.Overlap{}},
		{Rule: "image.pull requests", Kind: "image", Claimed: 2, Due: 1, BytesDue: 20, Overlaps: []policy.Overlap{
			{Object: "app:pr-1", Also: []string{"image.apps", "image.everything"}},
			{Object: "app:pr-2", Also: []string{"image.apps", "image.everything"}},
		}},
		// app:1 goes (image.apps has no condition); base:1 is protected.
		{Rule: "image.apps", Kind: "image", Claimed: 2, Due: 1, Overlaps: []policy.Overlap{
			{Object: "app:1", Also: []string{"image.everything"}},
			{Object: "base:1", Also: []string{"image.everything"}},
		}},
		{Rule: "image.everything", Kind: "image", Overlaps: []policy.Overlap{}},
		{Rule: "volume.anon", Kind: "volume", Overlaps: []policy.Overlap{}},
	}
	if diff := cmp.Diff(want, a.Rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	wantDates := map[string]policy.ImageDates{
		"sha256:aaaa1111": {Seen: testNow.Add(-2 * day), LastUsed: testNow.Add(-2 * day)},
		"sha256:bbbb2222": {Seen: testNow.Add(-3 * day), LastUsed: testNow.Add(-3 * day)},
		"sha256:cccc3333": {Seen: testNow.Add(-5 * day), SeenLowerBound: true, LastUsed: testNow.Add(-5 * day), LastUsedLowerBound: true},
	}
	if diff := cmp.Diff(wantDates, a.Images); diff != "" {
		t.Errorf("image dates (-want +got):\n%s", diff)
	}
}

// The index answers what a scan of the plan answers: Explain's decisions
// come from it.
func TestDecisions(t *testing.T) {
	t.Parallel()
	plan := policy.Plan{
		Actions: []policy.Action{
			{Kind: policy.KindImage, Action: policy.ActionUntag, Ref: "app:1", ID: "sha256:aa", Rule: "image.a", Reason: "old"},
			{Kind: policy.KindVolume, Action: policy.ActionRemove, Name: "v", Rule: "volume.v", Reason: "unused"},
			{Kind: policy.KindBuildCache, Action: policy.ActionPrune, Rule: "build_cache", Reason: "3 records"},
		},
		Kept: []policy.Kept{
			{Kind: policy.KindImage, Ref: "app:2", ID: "sha256:aa", Rule: "image.a", Reason: "young", ExpiresAt: testNow},
			{Kind: policy.KindContainer, ID: "c1", Name: "web", Rule: "protect.web", Reason: "protected", Protected: true},
		},
	}
	d := policy.NewDecisions(plan)
	tests := []struct {
		kind, key, ref string
		want           policy.Decision
	}{
		{"image", "sha256:aa", "app:1", policy.Decision{Ref: "app:1", Verdict: "untag", Rule: "image.a", Reason: "old"}},
		{"image", "sha256:aa", "app:2", policy.Decision{Ref: "app:2", Verdict: "keep", Rule: "image.a", Reason: "young", ExpiresAt: testNow}},
		{"image", "sha256:aa", "app:3", policy.Decision{Ref: "app:3", Verdict: "unclaimed", Reason: "no image rule claims it, so it is kept"}},
		{"volume", "v", "", policy.Decision{Verdict: "remove", Rule: "volume.v", Reason: "unused"}},
		{"container", "c1", "", policy.Decision{Verdict: "protected", Rule: "protect.web", Reason: "protected"}},
		{"build_cache", "", "", policy.Decision{Verdict: "prune", Rule: "build_cache", Reason: "3 records"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, d.For(tt.kind, tt.key, tt.ref)); diff != "" {
			t.Errorf("For(%s, %s, %s) (-want +got):\n%s", tt.kind, tt.key, tt.ref, diff)
		}
	}
}
