package policy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
)

// QuietUnclaimed drops the "claimed nothing" warnings and nothing else: a
// shadowed rule is still reported.
func TestQuietUnclaimed(t *testing.T) {
	t.Parallel()
	src := `
image "all" {
  match = ["**:*"]
}
image "shadowed" {
  match = ["app:*"]
}
volume "none" {
  names = ["nothing-*"]
}
`
	p, diags := policy.NewLoader().Load("p.hcl", []byte(src))
	if p == nil {
		t.Fatal(diags)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	snap := policy.Snapshot{Now: now, Images: []policy.Image{{
		ID: "sha256:aaaa", Tags: []string{"app:1"}, Created: now.Add(-time.Hour),
	}}}
	messages := func() string {
		var b strings.Builder
		for _, w := range policy.Evaluate(p, snap).Warnings {
			b.WriteString(w.Message + "\n")
		}
		return b.String()
	}
	loud := messages()
	if !strings.Contains(loud, "volume.none claimed nothing") || !strings.Contains(loud, "image.shadowed is shadowed") {
		t.Fatalf("warnings without QuietUnclaimed:\n%s", loud)
	}
	p.QuietUnclaimed = true
	quiet := messages()
	if strings.Contains(quiet, "claimed nothing") || !strings.Contains(quiet, "image.shadowed is shadowed") {
		t.Errorf("warnings with QuietUnclaimed:\n%s", quiet)
	}
}
