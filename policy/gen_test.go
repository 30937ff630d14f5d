package policy

// Random hosts and random valid policies, for the fuzz and property tests.
// Everything is drawn from small pools so that rules and objects meet
// often: a random policy over random names would match nothing.

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var genNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

var (
	genRepos = []string{"app", "nginx", "acme/web", "ghcr.io/acme/api", "ghcr.io/acme/team/job",
		"localhost:5000/tool", "registry.example.com/ci/runner"}
	genTags = []string{"latest", "1.0", "1.2.3", "v2", "v1.10.0-rc.1", "pr-1", "pr-2", "pr-13",
		"dev", "stable", "nightly", "keep-1"}
	genStates     = []string{StateCreated, StateRunning, StatePaused, StateRestarting, StateRemoving, StateExited, StateDead}
	genNames      = []string{"ci-1", "ci-2", "web", "job-7", "buildkitd-1", "db", "app_worker_1"}
	genLabelKeys  = []string{"tier", "shaper.keep", "ci", "com.docker.compose.project"}
	genLabelVals  = []string{"db", "true", "1", "shop"}
	genVolumes    = []string{"pgdata", "cache-1", "cache-2"}
	genNetworks   = []string{"bridge", "host", "none", "ci_1", "app_default", "overlay_net"}
	genDurations  = []string{"0", "1h", "6h", "1d", "3d", "7d", "30d"}
	genSizes      = []string{"0", "50B", "120B", "1kB", "20GB"}
	genRefGlobs   = []string{"**:*", "*:*", "app:*", "nginx:1.*", "acme/*:*", "ghcr.io/acme/**:pr-*", "ghcr.io/acme/**:*", "**:latest", "**:v*", "{app,nginx}:*", "localhost:5000/*:*", "**/runner:*", "app:[0-9]*", "*/web:?ev"}
	genExcludes   = []string{"**:keep-*", "app:dev", "**:stable"}
	genRegexes    = []string{`app:\d.*`, `.*:pr-\d+`, `ghcr\.io/.*`, `(nginx|app):(latest|dev)`}
	genProtImages = []string{"app:1.0", "**:stable", "ghcr.io/acme/api@*", "nginx@*", "**@sha256:0*"}
	genNameGlobs  = []string{"ci-*", "web", "job-*", "*_1", "buildkitd*"}
	genVolGlobs   = []string{"cache-*", "pgdata", "*"}
	genNetGlobs   = []string{"ci_*", "*_default", "*"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// some picks up to n distinct elements of xs, maybe none.
func some[T any](r *rand.Rand, xs []T, n int) []T {
	var out []T
	for _, i := range r.Perm(len(xs))[:r.IntN(min(n, len(xs))+1)] {
		out = append(out, xs[i])
	}
	return out
}

func ago(r *rand.Rand) time.Time {
	return genNow.Add(-time.Duration(r.IntN(60*24)) * time.Hour).Add(-time.Duration(r.IntN(3600)) * time.Second)
}

func maybeTime(r *rand.Rand) time.Time {
	if r.IntN(2) == 0 {
		return time.Time{}
	}
	return ago(r)
}

func genLabels(r *rand.Rand) map[string]string {
	if r.IntN(2) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, k := range some(r, genLabelKeys, 2) {
		m[k] = pick(r, genLabelVals)
	}
	return m
}

func hex64(r *rand.Rand) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 64)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

// randomSnapshot is a host: images (tags unique across the host, some
// with digests, some parents of others), containers in every state using
// some of them, volumes, networks and build cache records.
func randomSnapshot(r *rand.Rand) Snapshot {
	s := Snapshot{Now: genNow}
	var refs []string
	for _, repo := range genRepos {
		for _, tag := range genTags {
			refs = append(refs, repo+":"+tag)
		}
	}
	r.Shuffle(len(refs), func(i, j int) { refs[i], refs[j] = refs[j], refs[i] })
	n := r.IntN(14)
	for i := range n {
		img := Image{
			ID:          fmt.Sprintf("sha256:%02d%s", i, hex64(r)[:10]),
			Created:     ago(r),
			LastTagTime: maybeTime(r),
			FirstSeen:   maybeTime(r),
			LastUsed:    maybeTime(r),
			Size:        int64(10 + r.IntN(100)),
			UniqueSize:  int64(r.IntN(50)) - 1,
			Labels:      genLabels(r),
		}
		for range r.IntN(4) {
			if len(refs) > 0 && r.IntN(5) > 0 {
				img.Tags = append(img.Tags, refs[0])
				refs = refs[1:]
			}
		}
		if r.IntN(3) == 0 {
			img.Digests = append(img.Digests, pick(r, genRepos)+"@sha256:"+hex64(r))
		}
		if i > 0 && r.IntN(4) == 0 {
			img.ParentID = s.Images[r.IntN(i)].ID
		}
		s.Images = append(s.Images, img)
	}
	setHasChildren(s.Images)

	volumeNames := map[string]bool{}
	for range r.IntN(6) {
		v := Volume{Name: pick(r, genVolumes), CreatedAt: ago(r), Labels: genLabels(r), Size: int64(r.IntN(40)) - 1}
		if r.IntN(2) == 0 {
			v.Name, v.Anonymous = hex64(r), true
		}
		if volumeNames[v.Name] {
			continue // names are unique on a daemon
		}
		volumeNames[v.Name] = true
		s.Volumes = append(s.Volumes, v)
	}
	for i, name := range some(r, genNetworks, 4) {
		nw := Network{ID: fmt.Sprintf("net%d", i), Name: name, Driver: "bridge", Scope: "local", Labels: genLabels(r), Created: ago(r)}
		if name == "overlay_net" {
			nw.Driver, nw.Scope = "overlay", pick(r, []string{"swarm", "local"})
		}
		s.Networks = append(s.Networks, nw)
	}
	for i := range r.IntN(8) {
		c := Container{
			ID:      fmt.Sprintf("c%02d", i),
			Name:    fmt.Sprintf("%s-%d", pick(r, genNames), i),
			State:   pick(r, genStates),
			Labels:  genLabels(r),
			Created: ago(r),
			SizeRw:  int64(r.IntN(10)),
		}
		c.StartedAt, c.FinishedAt = maybeTime(r), maybeTime(r)
		if len(s.Images) > 0 {
			img := pick(r, s.Images)
			c.ImageID = img.ID
			switch {
			case len(img.Tags) > 0 && r.IntN(2) == 0:
				c.Image = pick(r, img.Tags)
			case len(img.Digests) > 0 && r.IntN(2) == 0:
				c.Image = img.Digests[0]
			default:
				c.Image = img.ID
			}
		} else {
			c.ImageID, c.Image = "sha256:gone", "gone:1"
		}
		for _, v := range s.Volumes {
			if r.IntN(3) == 0 {
				c.Volumes = append(c.Volumes, v.Name)
			}
		}
		for _, nw := range s.Networks {
			if r.IntN(3) == 0 {
				c.Networks = append(c.Networks, pick(r, []string{nw.ID, nw.Name}))
			}
		}
		s.Containers = append(s.Containers, c)
	}
	for i := range r.IntN(4) {
		s.BuildCache.Records = append(s.BuildCache.Records, CacheRecord{
			ID: fmt.Sprintf("bc%d", i), Size: int64(r.IntN(1000)), InUse: r.IntN(4) == 0,
			Shared: r.IntN(4) == 0, LastUsedAt: maybeTime(r), CreatedAt: ago(r),
		})
	}
	return s
}

// setHasChildren sets HasChildren from the images' parents.
func setHasChildren(images []Image) {
	parents := map[string]bool{}
	for _, img := range images {
		if img.ParentID != "" {
			parents[img.ParentID] = true
		}
	}
	for i := range images {
		images[i].HasChildren = parents[images[i].ID]
	}
}

func hclList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func hclMap(r *rand.Rand) string {
	var kv []string
	for _, k := range some(r, genLabelKeys, 2) {
		kv = append(kv, fmt.Sprintf("%q = %q", k, pick(r, append([]string{"*"}, genLabelVals...))))
	}
	if len(kv) == 0 {
		kv = append(kv, `"tier" = "*"`)
	}
	return "{ " + strings.Join(kv, ", ") + " }"
}

// randomPolicy is the source of a valid policy over the same pools.
func randomPolicy(r *rand.Rand) string {
	var b strings.Builder
	if r.IntN(3) == 0 {
		b.WriteString("protect_latest = false\n")
	}
	if r.IntN(3) == 0 {
		fmt.Fprintf(&b, "age_basis = %q\n", pick(r, basisValues))
	}
	for i := range r.IntN(3) {
		fmt.Fprintf(&b, "protect \"p%d\" {\n", i)
		selects := false
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  images = %s\n", hclList(append(some(r, genProtImages, 2), pick(r, genProtImages))))
			selects = true
		}
		if r.IntN(4) == 0 {
			fmt.Fprintf(&b, "  images_regex = %s\n", hclList([]string{pick(r, genRegexes)}))
		}
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, "  containers = %s\n", hclList([]string{pick(r, genNameGlobs)}))
		}
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, "  volumes = %s\n", hclList([]string{pick(r, genVolGlobs)}))
		}
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, "  networks = %s\n", hclList([]string{pick(r, genNetGlobs)}))
		}
		if r.IntN(3) == 0 || !selects {
			fmt.Fprintf(&b, "  labels = %s\n", hclMap(r))
		}
		b.WriteString("}\n")
	}
	for i := range 1 + r.IntN(4) {
		fmt.Fprintf(&b, "image \"i%d\" {\n", i)
		if r.IntN(6) == 0 {
			b.WriteString("  dangling = true\n")
		} else {
			hasMatch := false
			if r.IntN(4) > 0 {
				fmt.Fprintf(&b, "  match = %s\n", hclList(append(some(r, genRefGlobs, 2), pick(r, genRefGlobs))))
				hasMatch = true
			}
			if r.IntN(4) == 0 {
				fmt.Fprintf(&b, "  match_regex = %s\n", hclList([]string{pick(r, genRegexes)}))
				hasMatch = true
			}
			if r.IntN(4) == 0 {
				fmt.Fprintf(&b, "  exclude = %s\n", hclList([]string{pick(r, genExcludes)}))
			}
			if r.IntN(4) == 0 || !hasMatch {
				fmt.Fprintf(&b, "  labels = %s\n", hclMap(r))
			}
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  keep = %d\n", r.IntN(4))
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  older_than = %q\n", pick(r, genDurations))
		}
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, "  unused_for = %q\n", pick(r, genDurations))
		}
		if r.IntN(4) == 0 {
			fmt.Fprintf(&b, "  max_size = %q\n", pick(r, genSizes))
		}
		if r.IntN(4) == 0 {
			fmt.Fprintf(&b, "  age_basis = %q\n", pick(r, basisValues))
		}
		if r.IntN(4) == 0 {
			fmt.Fprintf(&b, "  order_by = %q\n", pick(r, orderValues))
		}
		b.WriteString("}\n")
	}
	for i := range r.IntN(3) {
		fmt.Fprintf(&b, "container \"c%d\" {\n  status = %s\n", i, hclList(append(some(r, genStates, 3), pick(r, genStates))))
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, "  names = %s\n", hclList([]string{pick(r, genNameGlobs)}))
		}
		if r.IntN(4) == 0 {
			fmt.Fprintf(&b, "  images = %s\n", hclList([]string{pick(r, append(genRefGlobs, "ghcr.io/acme/**@*"))}))
		}
		if r.IntN(4) == 0 {
			fmt.Fprintf(&b, "  labels = %s\n", hclMap(r))
		}
		if r.IntN(4) == 0 {
			fmt.Fprintf(&b, "  exclude_labels = %s\n", hclMap(r))
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  older_than = %q\n", pick(r, genDurations))
		}
		if r.IntN(3) == 0 {
			b.WriteString("  remove_volumes = true\n")
		}
		b.WriteString("}\n")
	}
	for i := range r.IntN(3) {
		fmt.Fprintf(&b, "volume \"v%d\" {\n", i)
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  names = %s\n", hclList([]string{pick(r, genVolGlobs)}))
		}
		if r.IntN(4) == 0 {
			fmt.Fprintf(&b, "  labels = %s\n", hclMap(r))
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  older_than = %q\n", pick(r, genDurations))
		}
		b.WriteString("}\n")
	}
	for i := range r.IntN(3) {
		fmt.Fprintf(&b, "network \"n%d\" {\n", i)
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  names = %s\n", hclList([]string{pick(r, genNetGlobs)}))
		}
		if r.IntN(4) == 0 {
			fmt.Fprintf(&b, "  labels = %s\n", hclMap(r))
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  older_than = %q\n", pick(r, genDurations))
		}
		b.WriteString("}\n")
	}
	if r.IntN(3) == 0 {
		b.WriteString("build_cache {\n")
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  unused_for = %q\n", pick(r, genDurations))
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  keep_storage = %q\n", pick(r, genSizes))
		}
		if r.IntN(3) == 0 {
			b.WriteString("  all = true\n")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// randomCase is a random valid policy, loaded, its source, and a random
// host, from r.
func randomCase(t *testing.T, r *rand.Rand) (*Policy, string, Snapshot) {
	t.Helper()
	src := randomPolicy(r)
	s := randomSnapshot(r)
	p, diags := NewLoader().Load("random.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatalf("the generated policy does not load: %v\n%s", diags, src)
	}
	return p, src, s
}
