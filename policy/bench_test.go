package policy_test

// Benchmarks of the engine: Evaluate on synthetic hosts of 1,000 and 10,000
// tags under a policy that uses every kind of rule (keep, ages, regexes,
// version order, a size budget, containers, volumes, networks, build
// cache), and Load of a large policy. They assert nothing about time: run
// them with
//
//	go test -run '^$' -bench . -benchmem ./policy/
//
// (scripts/bench.sh does, and docs/benchmarks.md has the figures).

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
)

var benchNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// benchPolicy uses every block type and most conditions, in the order a
// real CI-node policy would.
const benchPolicy = `
protect "base images" {
  images       = ["python:*", "debian:*", "**:stable"]
  images_regex = ["registry.example.com/base/.*:v\\d+"]
  labels       = { "shaper.keep" = "true" }
  containers   = ["buildkitd*"]
  volumes      = ["pgdata"]
}

container "finished jobs" {
  status         = ["exited", "dead", "created"]
  older_than     = "6h"
  exclude_labels = { "com.docker.compose.project" = "*" }
  remove_volumes = true
}

container "runaway ci jobs" {
  status     = ["running"]
  names      = ["ci-*"]
  older_than = "12h"
}

image "pull requests" {
  match      = ["ghcr.io/acme/**:pr-*"]
  exclude    = ["ghcr.io/acme/**:pr-keep-*"]
  keep       = 3
  older_than = "7d"
}

image "releases" {
  match_regex = ["registry.example.com/app\\d*:v\\d+\\.\\d+\\.\\d+"]
  keep        = 5
  order_by    = "version"
}

image "nightlies" {
  match_regex = [".*:nightly-\\d{8}"]
  keep        = 2
  unused_for  = "14d"
  age_basis   = "last_used"
}

image "dangling" {
  dangling   = true
  older_than = "1d"
}

image "everything else" {
  match      = ["**:*"]
  unused_for = "30d"
  max_size   = "20GB"
}

volume "anonymous" {
  older_than = "3d"
}

network "leftovers" {
  names      = ["ci_*", "*_default"]
  older_than = "1d"
}

build_cache {
  unused_for   = "7d"
  keep_storage = "20GB"
}
`

// benchSnapshot is a host with tags tags on tags/4 images (a few tags per
// image, as CI hosts have), spread over 40 repositories of four kinds,
// containers containers in every state (spread over the images, one per
// 10 images by default), an anonymous volume per container, 50 networks
// and 100 build cache records. It is the same for the same arguments.
func benchSnapshot(tags, containers int) policy.Snapshot {
	const repos = 40
	nImages := max(tags/4, 1)
	s := policy.Snapshot{Now: benchNow}
	hour := time.Hour
	repoName := func(r int) string {
		switch r % 4 {
		case 0:
			return fmt.Sprintf("ghcr.io/acme/svc%d", r)
		case 1:
			return fmt.Sprintf("registry.example.com/app%d", r)
		case 2:
			return fmt.Sprintf("tool%d", r)
		default:
			return fmt.Sprintf("localhost:5000/team/lib%d", r)
		}
	}
	s.Images = make([]policy.Image, nImages)
	for i := range s.Images {
		created := benchNow.Add(-time.Duration(i) * hour)
		img := policy.Image{
			ID:         fmt.Sprintf("sha256:%064x", i+1),
			Created:    created,
			Size:       int64(50+i%200) << 20,
			UniqueSize: int64(10+i%50) << 20,
		}
		if i%97 == 0 {
			img.Labels = map[string]string{"shaper.keep": "true"}
		}
		if i%50 == 49 {
			// dangling: no tags at all
			img.Created = benchNow.Add(-time.Duration(i%72) * hour)
		}
		s.Images[i] = img
	}
	for k := 0; k < tags; k++ {
		i := k % nImages
		if i%50 == 49 {
			i-- // keep the dangling images untagged
		}
		r := i % repos
		var tag string
		switch r % 4 {
		case 0:
			tag = fmt.Sprintf("pr-%d", k)
		case 1:
			tag = fmt.Sprintf("v%d.%d.%d", k/100, (k/10)%10, k%10)
		case 2:
			tag = fmt.Sprintf("nightly-%08d", 20260000+k)
		default:
			tag = fmt.Sprintf("sha-%07x", k*2654435761%(1<<28))
		}
		if k%500 == 0 {
			tag = "latest"
		}
		s.Images[i].Tags = append(s.Images[i].Tags, repoName(r)+":"+tag)
	}
	states := []string{policy.StateExited, policy.StateCreated, policy.StateRunning, policy.StateExited, policy.StateDead, policy.StatePaused}
	if containers < 0 {
		containers = nImages / 10
	}
	spread := max(nImages/max(containers, 1), 1)
	for c := 0; c < containers; c++ {
		img := &s.Images[(c*spread)%nImages]
		created := benchNow.Add(-time.Duration(c) * 2 * hour)
		ctr := policy.Container{
			ID:      fmt.Sprintf("%064x", 1<<40+c),
			Name:    fmt.Sprintf("ci-job-%d", c),
			ImageID: img.ID,
			State:   states[c%len(states)],
			Created: created,
			Volumes: []string{fmt.Sprintf("%064x", 1<<50+c)},
		}
		if len(img.Tags) > 0 {
			ctr.Image = img.Tags[0]
		}
		if ctr.State != policy.StateCreated {
			ctr.StartedAt = created.Add(time.Minute)
		}
		if ctr.State == policy.StateExited || ctr.State == policy.StateDead {
			ctr.FinishedAt = created.Add(10 * time.Minute)
		}
		if c%7 == 0 {
			ctr.Labels = map[string]string{"com.docker.compose.project": "web"}
		}
		s.Containers = append(s.Containers, ctr)
		s.Volumes = append(s.Volumes, policy.Volume{
			Name: ctr.Volumes[0], Anonymous: true, CreatedAt: created, Size: 1 << 20,
		})
	}
	for v := 0; v < 50; v++ {
		s.Volumes = append(s.Volumes, policy.Volume{
			Name: fmt.Sprintf("%064x", 1<<52+v), Anonymous: true,
			CreatedAt: benchNow.Add(-time.Duration(v) * 6 * hour), Size: 4 << 20,
		})
	}
	s.Volumes = append(s.Volumes, policy.Volume{Name: "pgdata", CreatedAt: benchNow.Add(-90 * 24 * hour), Size: 1 << 30})
	for n := 0; n < 50; n++ {
		s.Networks = append(s.Networks, policy.Network{
			ID: fmt.Sprintf("%064x", 1<<54+n), Name: fmt.Sprintf("ci_%d", n),
			Driver: "bridge", Scope: "local", Created: benchNow.Add(-time.Duration(n) * 3 * hour),
		})
	}
	s.Networks = append(s.Networks,
		policy.Network{ID: "bridge0", Name: "bridge", Driver: "bridge", Scope: "local"},
		policy.Network{ID: "host0", Name: "host", Driver: "host", Scope: "local"},
		policy.Network{ID: "none0", Name: "none", Driver: "null", Scope: "local"},
	)
	for r := 0; r < 100; r++ {
		t := benchNow.Add(-time.Duration(r) * 5 * hour)
		s.BuildCache.Records = append(s.BuildCache.Records, policy.CacheRecord{
			ID: fmt.Sprintf("rec%d", r), Size: 300 << 20, Shared: r%5 == 0, InUse: r%17 == 0,
			CreatedAt: t, LastUsedAt: t,
		})
	}
	return s
}

func loadBench(b *testing.B, src string) *policy.Policy {
	b.Helper()
	p, diags := policy.NewLoader().Load("bench.hcl", []byte(src))
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	return p
}

func BenchmarkEvaluate(b *testing.B) {
	p := loadBench(b, benchPolicy)
	// The largest is the host issue 11 sets the target on: 100,000 tags on
	// 25,000 images with 10,000 containers (under 150 ms, under 50 MB).
	for _, host := range []struct{ tags, containers int }{{1000, -1}, {10000, -1}, {100000, 10000}} {
		tags := host.tags
		s := benchSnapshot(tags, host.containers)
		b.Run(fmt.Sprintf("tags=%d", tags), func(b *testing.B) {
			// A plan that does nothing would make a meaningless benchmark.
			plan := policy.Evaluate(p, s)
			if plan.Summary.Actions == 0 || len(plan.Kept) == 0 {
				b.Fatalf("the benchmark plan has %d actions and %d kept", plan.Summary.Actions, len(plan.Kept))
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				policy.Evaluate(p, s)
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/float64(tags), "ns/tag")
		})
	}
}

// largePolicy has n rules of each kind besides the realistic ones of
// benchPolicy: n image rules with globs, regexes, labels and conditions,
// n container, volume and network rules, and a protect block with n
// patterns of each sort.
func largePolicy(n int) string {
	var sb strings.Builder
	sb.WriteString("protect \"generated\" {\n")
	list := func(name, format string) {
		fmt.Fprintf(&sb, "  %s = [", name)
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, format, i)
		}
		sb.WriteString("]\n")
	}
	list("images", `"pinned%d/**:*"`)
	list("images_regex", `"regpin%d/app:v\\d+"`)
	list("containers", `"keep-%d-*"`)
	list("volumes", `"data%d"`)
	list("networks", `"net%d"`)
	sb.WriteString("}\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, `
image "team %d" {
  match       = ["ghcr.io/team%d/**:pr-*", "team%d/*:{dev,test}-*"]
  match_regex = ["registry.example.com/team%d/.*:v\\d+\\.\\d+"]
  exclude     = ["**:pr-keep-*"]
  labels      = { team = "t%d" }
  keep        = %d
  older_than  = "%dd"
  unused_for  = "%dw"
  max_size    = "%dGB"
  order_by    = "version"
}

container "team %d jobs" {
  status         = ["exited", "dead"]
  names          = ["team%d-*"]
  exclude_labels = { keep = "*" }
  older_than     = "%dh"
}

volume "team %d scratch" {
  names      = ["team%d-*"]
  older_than = "%dd"
}

network "team %d nets" {
  names  = ["team%d_*"]
  labels = { team = "t%d" }
}
`, i, i, i, i, i, 1+i%5, 1+i%30, 1+i%4, 1+i%50,
			i, i, 1+i%48,
			i, i, 1+i%10,
			i, i, i)
	}
	return sb.String() + benchPolicy
}

func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{10, 200} {
		src := []byte(largePolicy(n))
		b.Run(fmt.Sprintf("blocks=%d", 4*n+12), func(b *testing.B) {
			if _, diags := policy.NewLoader().Load("large.hcl", src); diags.HasErrors() {
				b.Fatal(diags)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				policy.NewLoader().Load("large.hcl", src)
			}
		})
	}
}
