package policy_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/docker-shaper/docker-shaper/policy"
)

func TestExplain(t *testing.T) {
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
			{ID: "sha256:aaaa1111", Tags: []string{"app:2"}, Created: testNow.Add(-2 * day), UniqueSize: -1},
			{ID: "sha256:bbbb2222", Tags: []string{"app:1", "other:1"}, Created: testNow.Add(-3 * day), UniqueSize: -1},
			{ID: "sha256:cccc3333", Tags: []string{"app:0"}, Created: testNow.Add(-30 * day), UniqueSize: -1},
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
			got := summarize(policy.Explain(policy.Evaluate(pol, snap), snap, tt.query))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Explain(%q) (-want +got):\n%s", tt.query, diff)
			}
		})
	}
}

// A tag kept only for being too young says when it will go.
func TestExplainExpiry(t *testing.T) {
	pol := loadPolicy(t, "p.hcl", []byte("image \"app\" {\n  match = [\"app:*\"]\n  older_than = \"7d\"\n}\n"))
	created := testNow.Add(-2 * 24 * time.Hour)
	snap := policy.Snapshot{Now: testNow, Images: []policy.Image{
		{ID: "sha256:aaaa", Tags: []string{"app:1"}, Created: created, UniqueSize: -1},
	}}
	ex := policy.Explain(policy.Evaluate(pol, snap), snap, "app:1")
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
