package commands

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/docker-shaper/docker-shaper/policy"
)

const scalePolicy = `
protect "pinned" {
  images = ["repo0:*"]
  labels = { "pin" = "yes" }
}
container "jobs" {
  status = ["exited"]
  names  = ["job-*"]
}
image "repos" {
  match = ["repo*:*"]
  keep  = 3
}
`

// TestPruneScale is the acceptance test at scale: 300 images with 1,000
// tags across 20 repositories and 200 exited containers. prune -f must
// remove exactly what check listed just before, leave every protected and
// in-use object, and print a summary whose counts match the journal.
func TestPruneScale(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test: skipped with -short")
	}
	e := newPruneEnv(t, scalePolicy)
	start := time.Now()

	// Image i is in repository repo<i mod 20>, created i hours before the
	// newest; tag k goes to image k mod 300 and is named t<k>, except the
	// last 20, which give each repository one "latest". Every 25th image
	// is pinned by label; images 200-259 are runnable: the containers of
	// 200-229 are all removed (job-*), those of 230-259 stay (svc-*).
	const nImages, nTags, nRepos = 300, 1000, 20
	newest := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	images := fixture.Deal{
		Images: nImages, Tags: nTags, Newest: newest, Step: time.Hour,
		Name: func(i, k int) string {
			name := fmt.Sprintf("t%04d", k)
			if k >= nTags-nRepos {
				name = "latest"
			}
			return fmt.Sprintf("repo%d:%s", i%nRepos, name)
		},
	}.Deal()
	for i := range images {
		images[i].Runnable = i >= 200 && i < 260
		if i%25 == 7 {
			images[i].Labels = map[string]string{"pin": "yes"}
		}
	}
	ids := e.load(images...)
	loaded := time.Since(start)

	var cs []fixture.Container
	for j := 0; j < 200; j++ {
		// The host network: a container starts twice as fast without
		// a network namespace of its own, and "true" uses none.
		c := fixture.Container{Cmd: []string{"true"}, Run: true, Network: "host"}
		if j < 150 {
			c.Name, c.Image = fmt.Sprintf("job-%03d", j), ids[200+j%30]
		} else {
			c.Name, c.Image = fmt.Sprintf("svc-%03d", j), ids[230+j%30]
		}
		cs = append(cs, c)
	}
	e.containers(cs...)
	made := time.Since(start)
	t.Logf("fixture: %d images, %d tags loaded in %v; 200 containers run in %v", nImages, nTags,
		loaded.Round(time.Millisecond), (made - loaded).Round(time.Millisecond))
	before := daemonState(t, e.api)

	// What check lists just before.
	checkStart := time.Now()
	out, stderr, err := e.run("check", "--format", "json")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, stderr)
	}
	checkTook := time.Since(checkStart)
	var checked struct {
		Actions []map[string]any `json:"actions"`
		Kept    []policy.Kept    `json:"kept"`
	}
	if err := json.Unmarshal([]byte(out), &checked); err != nil {
		t.Fatal(err)
	}

	pruneStart := time.Now()
	out, stderr, err = e.run("prune", "-f", "--format", "json")
	if err != nil {
		t.Fatalf("prune: %v\n%s", err, lastLines(stderr, 20))
	}
	pruneTook := time.Since(pruneStart)
	doc := decodePrune(t, out)

	// prune's plan is check's.
	key := func(a map[string]any) string {
		return fmt.Sprint(a["kind"], " ", a["action"], " ", a["ref"], a["name"], " ", a["id"])
	}
	var checkKeys, pruneKeys []string
	for _, a := range checked.Actions {
		checkKeys = append(checkKeys, key(a))
	}
	for _, a := range doc.Plan.Actions {
		pruneKeys = append(pruneKeys, key(a))
	}
	if !slices.Equal(checkKeys, pruneKeys) {
		t.Fatalf("prune's plan (%d actions) differs from check's (%d)", len(pruneKeys), len(checkKeys))
	}

	// The expected state: the state before, less every planned tag,
	// every image with a remove, every planned container.
	gone := map[string]bool{}         // image IDs and container IDs
	untagged := map[string][]string{} // image ID -> tags that go
	counts := map[string]int{}
	for _, r := range doc.Results {
		counts[r.Kind+" "+r.Action]++
		if r.Outcome != apply.OutcomeRemoved && r.Outcome != apply.OutcomeUntagged {
			t.Errorf("%s %s %s%s: %s %s", r.Kind, r.Action, r.Ref, r.Name, r.Outcome, r.Detail)
		}
		switch {
		case r.Kind == policy.KindImage:
			untagged[r.ID] = append(untagged[r.ID], r.Ref)
			if r.Action == policy.ActionRemove {
				gone[r.ID] = true
			}
		case r.Kind == policy.KindContainer:
			gone[r.ID] = true
		}
	}
	t.Logf("plan: %v", counts)
	// Containers carry their image's labels: the 5 jobs of image 207 are
	// pinned with it.
	if counts["container remove"] != 145 || counts["image remove"] == 0 || counts["image untag"] == 0 {
		t.Errorf("the plan is not the one this test is about: %v", counts)
	}
	var want []string
	for _, l := range before {
		f := strings.SplitN(l, " ", 3)
		switch f[0] {
		case "image":
			if gone[f[1]] {
				continue
			}
			if drop := untagged[f[1]]; len(drop) > 0 {
				var tags []string
				for _, tg := range strings.Fields(strings.Trim(f[2], "[]")) {
					if !slices.Contains(drop, tg) {
						tags = append(tags, tg)
					}
				}
				l = fmt.Sprintf("image %s %v", f[1], tags)
			}
		case "container":
			if gone[f[1]] {
				continue
			}
		}
		want = append(want, l)
	}
	after := daemonState(t, e.api)
	if !slices.Equal(after, want) {
		t.Errorf("after prune the daemon is not the state before less the plan:\n%s", diffLines(want, after))
	}

	// Every protected and in-use object is still there.
	afterText := strings.Join(after, "\n")
	for _, k := range checked.Kept {
		what := k.Ref
		if what == "" {
			what = k.Name
		}
		if !strings.Contains(afterText, what) {
			t.Errorf("kept %s %s (%s: %s) is gone", k.Kind, what, k.Rule, k.Reason)
		}
	}
	for i := 230; i < 260; i++ {
		if !strings.Contains(afterText, "image "+ids[i]) {
			t.Errorf("image %d, used by a remaining container, is gone", i)
		}
	}
	for _, name := range []string{"repo0:t0000", "repo7:latest", "svc-150"} {
		if !strings.Contains(afterText, name) {
			t.Errorf("%s is gone", name)
		}
	}

	// The summary counts are the journal's.
	s := doc.Summary
	entries, err := journalOutcomes(e.journalPath())
	if err != nil {
		t.Fatal(err)
	}
	jc := map[string]int{}
	for _, en := range entries {
		if en.Run == doc.Run {
			jc[en.Outcome]++
		}
	}
	if jc[apply.OutcomeRemoved] != s.Removed || jc[apply.OutcomeUntagged] != s.Untagged || jc[apply.OutcomeSkipped] != s.Skipped ||
		jc[apply.OutcomeFailed] != s.Failed || len(entries) != s.Actions || s.Actions != len(checked.Actions) {
		t.Errorf("journal %v (%d entries), summary %+v", jc, len(entries), s)
	}
	if s.Removed+s.Untagged != len(checked.Actions) {
		t.Errorf("summary %+v for %d planned actions", s, len(checked.Actions))
	}
	t.Logf("check: %v; prune -f: %v for %d actions (%d removed, %d untagged); whole test so far %v",
		checkTook.Round(time.Millisecond), pruneTook.Round(time.Millisecond), s.Actions, s.Removed, s.Untagged,
		time.Since(start).Round(time.Millisecond))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// diffLines lists the lines only in want (-) and only in got (+), at most 20.
func diffLines(want, got []string) string {
	var b strings.Builder
	n := 0
	for _, l := range want {
		if !slices.Contains(got, l) && n < 20 {
			fmt.Fprintf(&b, "- %s\n", l)
			n++
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) && n < 20 {
			fmt.Fprintf(&b, "+ %s\n", l)
			n++
		}
	}
	return b.String()
}
