package commands

// Properties of check and prune on random hosts and random policies,
// against the real daemon: check and prune --dry-run make the same plan;
// a prune leaves nothing for a second prune right after it, so nothing the
// first kept becomes due by the removal of others.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/moby/moby/client"
)

func TestPruneProperties(t *testing.T) {
	e := newPruneEnv(t, idlePolicy)
	planned := 0
	defer func() {
		if planned == 0 && !t.Failed() {
			t.Error("no seed planned anything: the properties held vacuously")
		}
	}()
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			if err := fixture.Wipe(context.Background(), e.api); err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(seed, 0xd0c4e5))
			e.policySource(randomHostPolicy(r))
			randomHost(t, e, r)

			check := planKeys(t, e, "check", "--format", "json")
			dry := planKeys(t, e, "prune", "--dry-run", "--format", "json")
			planned += len(check)
			t.Logf("%d actions", len(check))
			if !slices.Equal(check, dry) {
				t.Errorf("check and prune --dry-run differ:\ncheck %v\n  dry %v", check, dry)
			}
			if _, stderr, err := e.run("prune", "-f"); err != nil {
				t.Fatalf("prune: %v\n%s", err, stderr)
			}
			if again := planKeys(t, e, "check", "--format", "json"); len(again) > 0 {
				t.Errorf("a second prune would remove %v\nafter a first that planned %v", again, check)
			}
			if t.Failed() {
				t.Logf("policy:\n%s", e.policyText)
			}
		})
	}
}

// planKeys runs a command that prints a plan as JSON and returns one key
// per action (kind, action, object, rule), sorted.
func planKeys(t *testing.T, e *pruneEnv, args ...string) []string {
	t.Helper()
	stdout, stderr, err := e.run(args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stderr)
	}
	var plan struct {
		Actions []struct{ Kind, Action, Ref, Name, ID, Rule string }
	}
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stdout)
	}
	var keys []string
	for _, a := range plan.Actions {
		keys = append(keys, strings.Join([]string{a.Kind, a.Action, a.Ref, a.Name, a.ID, a.Rule}, " "))
	}
	slices.Sort(keys)
	return keys
}

// randomHost loads a dozen images of a few repositories, built whole days
// and a half before now (so no age sits near a rule's boundary of whole
// days), some runnable, and makes containers, volumes and networks.
func randomHost(t *testing.T, e *pruneEnv, r *rand.Rand) {
	t.Helper()
	now := time.Now()
	repos := []string{"prop-app", "prop-api", "ghcr.io/acme/prop-web"}
	var images []fixture.Image
	used := map[string]bool{}
	for i := range 8 + r.IntN(6) {
		img := fixture.Image{
			Created:  now.Add(-time.Duration(r.IntN(40))*24*time.Hour - 12*time.Hour),
			Runnable: r.IntN(3) == 0,
		}
		repo := repos[r.IntN(len(repos))]
		for k := range 1 + r.IntN(3) {
			tag := fmt.Sprintf("%s:v%d.%d", repo, i, k)
			if r.IntN(6) == 0 && !used[repo] {
				tag, used[repo] = repo+":latest", true
			}
			img.Refs = append(img.Refs, tag)
		}
		if r.IntN(8) == 0 {
			img.Refs = nil // dangling
		}
		images = append(images, img)
	}
	e.load(images...)
	var cs []fixture.Container
	for i, img := range images {
		if !img.Runnable || len(img.Refs) == 0 {
			continue
		}
		c := fixture.Container{Name: fmt.Sprintf("prop-job-%d", i), Image: img.Refs[0], Cmd: []string{"true"}, Run: r.IntN(2) == 0}
		if r.IntN(2) == 0 {
			c.Volumes = []string{"/data"}
		}
		cs = append(cs, c)
	}
	e.containers(cs...)
	for i := range r.IntN(3) {
		e.volume(fmt.Sprintf("prop-vol-%d", i))
	}
	for i := range r.IntN(3) {
		e.network(fmt.Sprintf("prop_%d", i))
	}
	if _, err := e.api.ImageList(context.Background(), client.ImageListOptions{}); err != nil {
		t.Fatal(err)
	}
}

// randomHostPolicy is a valid policy over randomHost's objects: image rules
// with patterns, keep, ages on several bases, a dangling rule, container,
// volume and network rules, a protection.
func randomHostPolicy(r *rand.Rand) string {
	var b strings.Builder
	pick := func(opts ...string) string { return opts[r.IntN(len(opts))] }
	if r.IntN(2) == 0 {
		fmt.Fprintf(&b, "protect \"p\" {\n  images = [%q]\n}\n", pick("prop-app:v1.*", "**:v2.0", "prop-api:*"))
	}
	for i := range 1 + r.IntN(3) {
		fmt.Fprintf(&b, "image \"i%d\" {\n  match = [%q]\n", i, pick("prop-app:*", "prop-api:*", "**/prop-web:*", "**:*", "prop-*:v*"))
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  keep = %d\n", r.IntN(4))
		}
		fmt.Fprintf(&b, "  older_than = \"%dd\"\n", 1+r.IntN(30))
		fmt.Fprintf(&b, "  age_basis = %q\n", pick("created", "created", "seen", "last_used"))
		b.WriteString("}\n")
	}
	if r.IntN(2) == 0 {
		fmt.Fprintf(&b, "image \"dangling\" {\n  dangling = true\n  older_than = \"%dd\"\n  age_basis = \"created\"\n}\n", 1+r.IntN(10))
	}
	if r.IntN(2) == 0 {
		fmt.Fprintf(&b, "container \"jobs\" {\n  status = [\"exited\", \"created\"]\n  names = [\"prop-job-*\"]\n  remove_volumes = %v\n}\n", r.IntN(2) == 0)
	}
	if r.IntN(2) == 0 {
		b.WriteString("volume \"anon\" {}\n")
	}
	if r.IntN(2) == 0 {
		b.WriteString("network \"nets\" {\n  names = [\"prop_*\"]\n}\n")
	}
	return b.String()
}
