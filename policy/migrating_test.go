package policy_test

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
)

// docs/migrating.md translates other cleaners' settings into policies.
// Every HCL block there is named by a comment before it
// (<!-- policy: NAME -->), and each name has a case here: the block is
// loaded and evaluated on a small hand-made host, and the decisions the
// page's text claims are checked, so the page cannot drift from what the
// engine does.

// migrationCase is what one translation must decide on its host: for each
// object named (an image's tag, an untagged image's ID, a container's,
// volume's or network's name), "remove", "untag" or "keep". loadError,
// when set, is what the block's load error must say instead.
type migrationCase struct {
	host      func() policy.Snapshot
	want      map[string]string
	loadError string
}

const (
	hour = time.Hour
	day  = 24 * time.Hour
	gb   = int64(1_000_000_000)
)

// ago is testNow minus d.
func ago(d time.Duration) time.Time { return testNow.Add(-d) }

// tagged is an image tagged on the host d ago (the daemon's last-tag
// time), built then too.
func tagged(id string, d time.Duration, tags ...string) policy.Image {
	return policy.Image{ID: "sha256:" + id, Tags: tags, Created: ago(d), LastTagTime: ago(d), Size: gb, UniqueSize: gb}
}

// pulled is an image built long ago, first seen on the host d ago.
func pulled(id string, built, seen time.Duration, tags ...string) policy.Image {
	return policy.Image{ID: "sha256:" + id, Tags: tags, Created: ago(built), FirstSeen: ago(seen), Size: gb, UniqueSize: gb}
}

func sized(img policy.Image, bytes int64) policy.Image {
	img.Size, img.UniqueSize = bytes, bytes
	return img
}

func usedAgo(img policy.Image, d time.Duration) policy.Image {
	img.LastUsed = ago(d)
	return img
}

func exited(name, imageID string, created, finished time.Duration) policy.Container {
	return policy.Container{ID: name + "-id", Name: name, ImageID: "sha256:" + imageID, State: policy.StateExited,
		Created: ago(created), StartedAt: ago(created), FinishedAt: ago(finished)}
}

var migrationCases = map[string]migrationCase{
	"python": {
		host: func() policy.Snapshot {
			running := policy.Container{ID: "runner-id", Name: "runner", ImageID: "sha256:runner", State: policy.StateRunning,
				Created: ago(13 * hour), StartedAt: ago(13 * hour)}
			created := policy.Container{ID: "never-id", Name: "never-started", ImageID: "sha256:runner", State: policy.StateCreated,
				Created: ago(2 * hour)}
			return policy.Snapshot{Now: testNow,
				Images: []policy.Image{
					tagged("pr1", 5*day, "ci/app:pr-1"),
					tagged("pr2", 1*day, "ci/app:pr-2"),
					usedAgo(pulled("debian", 400*day, 40*day, "registry.example.com/base/debian:12"), 2*day),
					pulled("python", 400*day, 40*day, "registry.example.com/base/python:3.12"),
					tagged("tool1", 10*day, "tools/lint:1"),
					tagged("pinned", 10*day, "tools/pinned-lint:1"),
					tagged("other", 20*day, "other:1", "other:latest"),
					tagged("recent", 3*day, "other:2"),
					{ID: "sha256:untagged", Created: ago(5 * day), FirstSeen: ago(2 * day), Size: gb, UniqueSize: gb},
					tagged("runner", 1*day, "runner:1"),
				},
				Containers: []policy.Container{
					running, created,
					exited("job-old", "runner", 8*hour, 7*hour),
					exited("job-new", "runner", 2*hour, 1*hour),
				},
			}
		},
		want: map[string]string{
			"ci/app:pr-1":                           "remove", // unused 5d, beyond 3d
			"ci/app:pr-2":                           "keep",
			"registry.example.com/base/debian:12":   "keep",   // used 2d ago
			"registry.example.com/base/python:3.12": "remove", // seen 40d ago, never used
			"tools/lint:1":                          "remove",
			"tools/pinned-lint:1":                   "keep", // excluded from "tools", claimed by "unknown": 10d < 14d
			"other:1":                               "untag",
			"other:latest":                          "remove", // protect_latest = false
			"other:2":                               "keep",
			"sha256:untagged":                       "remove", // tag_default: 1d
			"runner:1":                              "keep",   // in use by a container that stays
			"runner":                                "remove", // running 13h, beyond 12h
			"never-started":                         "remove",
			"job-old":                               "remove",
			"job-new":                               "keep",
		},
	},
	"python-lookahead": {loadError: "(?!"},
	"docuum": {
		host: func() policy.Snapshot {
			return policy.Snapshot{Now: testNow, Images: []policy.Image{
				sized(usedAgo(pulled("alpine", 100*day, 60*day, "alpine:3.20"), 30*day), 4*gb),
				sized(usedAgo(tagged("app1", 60*day, "app:1"), 20*day), 4*gb),
				sized(usedAgo(tagged("app2", 60*day, "app:2"), 10*day), 4*gb),
				sized(usedAgo(tagged("app3", 60*day, "app:3"), 1*day), 4*gb),
			}}
		},
		// 16 GB held, 10 GB allowed: the two least recently used of the
		// unprotected images go; alpine counts, but stays.
		want: map[string]string{"alpine:3.20": "keep", "app:1": "remove", "app:2": "remove", "app:3": "keep"},
	},
	"docker-gc": {
		host: func() policy.Snapshot {
			return policy.Snapshot{Now: testNow,
				Images: []policy.Image{
					pulled("cassandra", 30*day, 1*hour, "spotify/cassandra:latest"),
					pulled("old", 3*day, 1*hour, "app:old"),
					pulled("new", 2*hour, 1*hour, "app:new"),
					{ID: "sha256:dangling", Created: ago(5 * day), FirstSeen: ago(hour), Size: gb, UniqueSize: gb},
					tagged("base", 90*day, "base:1"),
				},
				Containers: []policy.Container{
					exited("job", "base", 3*day, 2*day),
					exited("mariadb-data", "base", 20*day, 10*day),
					exited("fresh", "base", 2*hour, 1*hour),
				},
			}
		},
		want: map[string]string{
			"spotify/cassandra:latest": "keep", "app:old": "remove", "app:new": "keep", "sha256:dangling": "remove",
			"base:1": "keep", // used by containers that stay
			"job":    "remove", "mariadb-data": "keep", "fresh": "keep",
		},
	},
	"docker-custodian": {
		host: func() policy.Snapshot {
			return policy.Snapshot{Now: testNow,
				Images: []policy.Image{
					pulled("a", 40*day, hour, "user/repositoryA:1", "other/name:1"),
					pulled("old", 40*day, hour, "old:1"),
					pulled("new", 10*day, hour, "new:1"),
					{ID: "sha256:dangling", Created: ago(40 * day), FirstSeen: ago(hour), Size: gb, UniqueSize: gb},
				},
				Containers: []policy.Container{
					exited("stale", "new", 5*day, 4*day),
					exited("recent", "new", 2*day, 1*day),
				},
			}
		},
		want: map[string]string{
			"user/repositoryA:1": "keep",
			"other/name:1":       "untag", // dcgc would keep the whole image
			"old:1":              "remove",
			"new:1":              "keep",
			"sha256:dangling":    "remove",
			"stale":              "remove",
			"recent":             "keep",
		},
	},
	"system-prune": {
		host: func() policy.Snapshot {
			return policy.Snapshot{Now: testNow,
				Images: []policy.Image{
					pulled("one", 2*day, hour, "app:1"),
					pulled("two", 2*hour, hour, "app:2"),
					tagged("base", 90*day, "base:1"),
					{ID: "sha256:dangling", Created: ago(2 * day), FirstSeen: ago(hour), Size: gb, UniqueSize: gb},
				},
				Containers: []policy.Container{
					exited("done-long-ago", "base", 3*day, 2*day),
					exited("stopped-an-hour-ago", "base", 2*day, hour), // until= would take it
				},
				Networks: []policy.Network{
					{ID: "n1", Name: "ci_net", Driver: "bridge", Scope: "local", Created: ago(2 * day)},
					{ID: "n2", Name: "new_net", Driver: "bridge", Scope: "local", Created: ago(hour)},
				},
				Volumes: []policy.Volume{
					{Name: strings.Repeat("ab", 32), Anonymous: true, CreatedAt: ago(2 * day), Size: -1},
					{Name: "pgdata", CreatedAt: ago(2 * day), Size: -1},
				},
			}
		},
		want: map[string]string{
			"app:1": "remove", "app:2": "keep", "base:1": "keep", "sha256:dangling": "remove",
			"done-long-ago": "remove", "stopped-an-hour-ago": "keep",
			"ci_net": "remove", "new_net": "keep",
			strings.Repeat("ab", 32): "remove", "pgdata": "keep",
		},
	},
	"keep-versions": {
		host: func() policy.Snapshot {
			return policy.Snapshot{Now: testNow, Images: []policy.Image{
				tagged("v1-9", 40*day, "ghcr.io/acme/app:1.9.0"),
				tagged("v1-10", 50*day, "ghcr.io/acme/app:1.10.0"), // older, yet a newer version
				tagged("v1-10-1", 20*day, "ghcr.io/acme/app:1.10.1"),
				tagged("v1-11", 10*day, "ghcr.io/acme/app:1.11.0", "ghcr.io/acme/app:latest"),
				{ID: "sha256:replaced", Created: ago(30 * day), FirstSeen: ago(10 * day), Size: gb, UniqueSize: gb},
				{ID: "sha256:just-replaced", Created: ago(30 * day), FirstSeen: ago(2 * day), Size: gb, UniqueSize: gb},
			}}
		},
		want: map[string]string{
			"ghcr.io/acme/app:1.9.0":  "remove",
			"ghcr.io/acme/app:1.10.0": "keep",
			"ghcr.io/acme/app:1.10.1": "keep",
			"ghcr.io/acme/app:1.11.0": "keep",
			"ghcr.io/acme/app:latest": "keep",
			"sha256:replaced":         "remove",
			"sha256:just-replaced":    "keep",
		},
	},
}

// policyMarker names the HCL block that follows it in migrating.md.
var policyMarker = regexp.MustCompile(`^<!-- policy: ([a-z0-9-]+) -->$`)

// migratingPolicies returns the named HCL blocks of docs/migrating.md. An
// HCL block without a name is an error: it would be tested by nothing.
func migratingPolicies(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("../docs/migrating.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	blocks := map[string]string{}
	var name, block string
	inBlock := false
	line := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line++
		text := sc.Text()
		switch {
		case inBlock && text == "```":
			inBlock = false
			blocks[name] = block
			name = ""
		case inBlock:
			block += text + "\n"
		case text == "```hcl":
			if name == "" {
				t.Errorf("migrating.md:%d: an HCL block without a <!-- policy: NAME --> line before it", line)
				name = "unnamed-" + string(rune('a'+len(blocks)))
			}
			if _, dup := blocks[name]; dup {
				t.Errorf("migrating.md:%d: a second block named %q", line, name)
			}
			inBlock, block = true, ""
		case policyMarker.MatchString(text):
			name = policyMarker.FindStringSubmatch(text)[1]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// decisions maps each object the plan acts on to its action.
func decisions(plan policy.Plan) map[string]string {
	got := map[string]string{}
	for _, a := range plan.Actions {
		key := a.Name
		if a.Kind == policy.KindImage {
			key = a.Ref
			if key == "" {
				key = a.ID
			}
		}
		got[key] = a.Action
	}
	return got
}

func TestMigratingTranslations(t *testing.T) {
	blocks := migratingPolicies(t)
	for name := range migrationCases {
		if _, ok := blocks[name]; !ok {
			t.Errorf("migrating.md has no policy %q", name)
		}
	}
	for name, src := range blocks {
		t.Run(name, func(t *testing.T) {
			tc, ok := migrationCases[name]
			if !ok {
				t.Fatalf("no test case for the policy %q of migrating.md: add one to migrationCases", name)
			}
			pol, diags := policy.NewLoader().Load(name+".hcl", []byte(src))
			if tc.loadError != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.loadError) {
					t.Fatalf("want a load error saying %q, got %v", tc.loadError, diags)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("does not load:\n%s", diags.Error())
			}
			plan := policy.Evaluate(pol, tc.host())
			got := decisions(plan)
			for obj, want := range tc.want {
				g := got[obj]
				if g == "" {
					g = "keep"
				}
				if g != want {
					t.Errorf("%s: %s, want %s", obj, g, want)
				}
			}
			if t.Failed() {
				for _, a := range plan.Actions {
					t.Logf("action: %s %s%s %s: %s (%s)", a.Action, a.Ref, a.Name, a.ID, a.Reason, a.Rule)
				}
				for _, k := range plan.Kept {
					t.Logf("kept: %s%s %s: %s (%s)", k.Ref, k.Name, k.ID, k.Reason, k.Rule)
				}
				for _, w := range plan.Warnings {
					t.Logf("warning: %s", w.Message)
				}
			}
		})
	}
}
