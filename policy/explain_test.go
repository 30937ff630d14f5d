package policy_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/docker-shaper/docker-shaper/policy"
)

func TestExplain(t *testing.T) {
	t.Parallel()
	pol := loadPolicy(t, "p.hcl", []byte(`
container "done" {
  status     = ["exited"]
  older_than = "1d"
}
image "app" {
  match      = ["app:*"]
  keep       = 1
  older_than = "7d"
}
volume "anon" {}
`))
	day := 24 * time.Hour
	snap := policy.Snapshot{
		Now: testNow,
		Images: []policy.Image{
			{ID: "sha256:aaaa1111", Tags: []string{"app:2"}, Created: testNow.Add(-2 * day), LastTagTime: testNow.Add(-2 * day), UniqueSize: -1},
			{ID: "sha256:bbbb2222", Tags: []string{"app:1", "other:1"}, Created: testNow.Add(-3 * day), LastTagTime: testNow.Add(-3 * day), UniqueSize: -1},
			{ID: "sha256:cccc3333", Tags: []string{"app:0"}, Created: testNow.Add(-30 * day), LastTagTime: testNow.Add(-30 * day), UniqueSize: -1},
		},
		Containers: []policy.Container{
			{ID: "dddd4444", Name: "job", ImageID: "sha256:ffff", State: policy.StateExited,
				Created: testNow.Add(-3 * day), StartedAt: testNow.Add(-3 * day), FinishedAt: testNow.Add(-2 * day)},
		},
		Volumes: []policy.Volume{{Name: "job", Anonymous: true, CreatedAt: testNow.Add(-day), Size: -1}},
	}

	type verdict struct{ Kind, Ref, Verdict, Rule string }
	summarize := func(ex policy.Explanation) []verdict {
		var out []verdict
		for _, o := range ex.Objects {
			for _, d := range o.Decisions {
				out = append(out, verdict{o.Kind, d.Ref, d.Verdict, d.Rule})
			}
		}
		return out
	}
	tests := []struct {
		query string
		want  []verdict
	}{
		{"app:2", []verdict{{"image", "app:2", "keep", "image.app"}}},
		{"app:0", []verdict{{"image", "app:0", "remove", "image.app"}}},
		// Both tags of a multi-tag image are explained; one is unclaimed.
		{"bbbb", []verdict{{"image", "app:1", "keep", "image.app"}, {"image", "other:1", "unclaimed", ""}}},
		{"sha256:bbbb2222", []verdict{{"image", "app:1", "keep", "image.app"}, {"image", "other:1", "unclaimed", ""}}},
		// A name shared by a container and a volume explains both.
		{"job", []verdict{{"container", "", "remove", "container.done"}, {"volume", "", "remove", "volume.anon"}}},
		{"nothing-here", nil},
		// Short prefixes are not IDs: "app" is no tag either (app:latest).
		{"app", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := summarize(policy.Explain(pol, policy.Evaluate(pol, snap), snap, tt.query))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Explain(%q) (-want +got):\n%s", tt.query, diff)
			}
		})
	}
}

// A tag kept only for being too young says when it will go.
func TestExplainExpiry(t *testing.T) {
	t.Parallel()
	pol := loadPolicy(t, "p.hcl", []byte("image \"app\" {\n  match = [\"app:*\"]\n  older_than = \"7d\"\n}\n"))
	created := testNow.Add(-2 * 24 * time.Hour)
	snap := policy.Snapshot{Now: testNow, Images: []policy.Image{
		{ID: "sha256:aaaa", Tags: []string{"app:1"}, Created: created, LastTagTime: created, UniqueSize: -1},
	}}
	ex := policy.Explain(pol, policy.Evaluate(pol, snap), snap, "app:1")
	if len(ex.Objects) != 1 || len(ex.Objects[0].Decisions) != 1 {
		t.Fatalf("want one decision, got %+v", ex)
	}
	d := ex.Objects[0].Decisions[0]
	if want := created.Add(7 * 24 * time.Hour); !d.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", d.ExpiresAt, want)
	}
	if d.Basis != "seen" || !d.Timestamp.Equal(created) {
		t.Errorf("basis %q at %v, want seen at %v", d.Basis, d.Timestamp, created)
	}
}

// explain lists every reason an object stays, not only the one the plan
// gives: each protect block, the latest tag, and the containers using it,
// with what the plan decides about each of them.
func TestExplainListsEveryProtection(t *testing.T) {
	t.Parallel()
	pol := loadPolicy(t, "p.hcl", []byte(`
protect "bases" {
  images = ["base:*"]
  labels = { "keep" = "yes" }
}
container "jobs" {
  status     = ["exited"]
  older_than = "1d"
}
volume "anon" {}
`))
	day := 24 * time.Hour
	snap := policy.Snapshot{
		Now: testNow,
		Images: []policy.Image{
			{ID: "sha256:aaaa1111", Tags: []string{"base:latest"}, Labels: map[string]string{"keep": "yes"},
				Created: testNow.Add(-9 * day), LastTagTime: testNow.Add(-9 * day), UniqueSize: -1},
			{ID: "sha256:bbbb2222", Tags: []string{"tool:1"}, Created: testNow.Add(-9 * day), UniqueSize: -1},
		},
		Containers: []policy.Container{
			// A created container no rule removes, and an exited one the plan
			// removes: only the first keeps the image.
			{ID: "c1c1c1c1", Name: "idle", ImageID: "sha256:aaaa1111", State: policy.StateCreated, Created: testNow.Add(-2 * day)},
			{ID: "c2c2c2c2", Name: "done", ImageID: "sha256:aaaa1111", State: policy.StateExited,
				Created: testNow.Add(-3 * day), FinishedAt: testNow.Add(-2 * day), Volumes: []string{"v1"}},
			{ID: "c3c3c3c3", Name: "fresh", ImageID: "sha256:bbbb2222", State: policy.StateExited,
				Created: testNow.Add(-time.Hour), FinishedAt: testNow.Add(-time.Hour), Volumes: []string{"v1"}},
		},
		Volumes: []policy.Volume{{Name: "v1", Anonymous: true, CreatedAt: testNow.Add(-3 * day), Size: -1}},
	}
	plan := policy.Evaluate(pol, snap)

	ex := policy.Explain(pol, plan, snap, "base:latest")
	if len(ex.Objects) != 1 {
		t.Fatalf("want one object, got %+v", ex.Objects)
	}
	img := ex.Objects[0]
	d := img.Decisions[0]
	if d.Verdict != policy.VerdictUnclaimed {
		t.Errorf("verdict %q, want unclaimed (no image rule)", d.Verdict)
	}
	wantProt := []policy.Protection{
		{Rule: "protect.bases", Reason: "protected by protect.bases"},
		{Rule: policy.BuiltinInUse, Reason: "in use by container idle"},
		{Rule: policy.BuiltinLatest, Reason: "latest tags are protected"},
	}
	if diff := cmp.Diff(wantProt, d.Protections); diff != "" {
		t.Errorf("protections (-want +got):\n%s", diff)
	}
	type fate struct{ Name, Verdict, Rule string }
	var fates []fate
	for _, u := range img.Users {
		fates = append(fates, fate{u.Name, u.Decision.Verdict, u.Decision.Rule})
	}
	wantFates := []fate{{"done", "remove", "container.jobs"}, {"idle", "unclaimed", ""}}
	if diff := cmp.Diff(wantFates, fates); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}

	// A volume mounted by a container that stays, and one the plan
	// removes: in use by the one that stays, and both are listed.
	ex = policy.Explain(pol, plan, snap, "v1")
	vol := ex.Objects[0]
	if got := vol.Decisions[0]; got.Verdict != policy.VerdictProtected ||
		!cmp.Equal(got.Protections, []policy.Protection{{Rule: policy.BuiltinInUse, Reason: "in use by container fresh"}}) {
		t.Errorf("volume decision %+v, want protected, in use by fresh", got)
	}
	if len(vol.Users) != 2 {
		t.Errorf("volume users %+v, want done and fresh", vol.Users)
	}
}
