// Package status is docker shaper status: the host seen through the
// policy's eyes, live on a terminal (a bubbletea program following the
// daemon's events) or as one snapshot (a table or a JSON document).
//
// Every view is built from one Document: the plan check would print, and
// every object of the host with what the plan decides about it, every rule
// with what it claims, and the watcher. The daemon is reached through
// internal/docker and the functions commands hands over (Options); the
// program itself (Model) is handed Documents and never calls the daemon,
// so tests drive it with a fixed snapshot and clock.
package status

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/policy"
)

// Document is one snapshot of the host through the policy's eyes. It is
// the JSON plan of check (every field of it, the same names) with the
// host's objects added, so a script that reads a plan reads it too, and a
// run over several hosts can wrap one Document per host as it wraps plans.
type Document struct {
	policy.Plan
	// Images has one row per tag (one per untagged image), by repository
	// and tag.
	Images []ImageRow `json:"images"`
	// Containers, Volumes and Networks are by name.
	Containers []ContainerRow `json:"containers"`
	Volumes    []VolumeRow    `json:"volumes"`
	Networks   []NetworkRow   `json:"networks"`
	BuildCache BuildCacheRow  `json:"build_cache"`
	// Rules are the policy's rules, in evaluation order, then the built-in
	// protections that kept something.
	Rules   []policy.RuleStats `json:"rules"`
	Watcher Watcher            `json:"watcher"`
}

// ImageRow is one tag of an image, or an untagged image (ref ""). The
// embedded decision (ref, verdict, rule, reason, basis, timestamp, rank,
// expires_at) is what explain says about the tag.
type ImageRow struct {
	Repository string    `json:"repository"`
	Tag        string    `json:"tag"`
	ID         string    `json:"id"`
	Size       int64     `json:"size"`
	Created    time.Time `json:"created"`
	// Seen and LastUsed are the image's dates on the seen and last_used
	// bases; a lower bound is a first sighting (the image may be older).
	Seen               time.Time `json:"seen"`
	SeenLowerBound     bool      `json:"seen_lower_bound,omitempty"`
	LastUsed           time.Time `json:"last_used"`
	LastUsedLowerBound bool      `json:"last_used_lower_bound,omitempty"`
	// Containers counts the containers made from the image.
	Containers int `json:"containers"`
	policy.Decision
}

// Age is the time the row's age counts from: the one the rule decided by,
// or, when no rule dated it, when it was seen.
func (r *ImageRow) Age() (time.Time, bool) {
	if !r.Timestamp.IsZero() {
		return r.Timestamp, r.Basis == string(policy.BasisSeen) && r.SeenLowerBound
	}
	return r.Seen, r.SeenLowerBound
}

// ContainerRow is one container, with its resource use when it was
// sampled (running containers only; null otherwise).
type ContainerRow struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Image      string    `json:"image"`
	ImageID    string    `json:"image_id"`
	State      string    `json:"state"`
	Created    time.Time `json:"created"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Usage
	policy.Decision
}

// Usage is a running container's resource use: CPU as docker stats shows
// it (100 is one CPU busy), memory in bytes. Nil fields were not measured.
type Usage struct {
	CPUPercent  *float64 `json:"cpu_percent"`
	Memory      *uint64  `json:"memory_bytes"`
	MemoryLimit *uint64  `json:"memory_limit_bytes"`
}

// Since is the time a container's age counts from for its state, as
// container rules measure it.
func (r *ContainerRow) Since() time.Time {
	switch r.State {
	case policy.StateExited, policy.StateDead:
		if !r.FinishedAt.IsZero() {
			return r.FinishedAt
		}
	case policy.StateRunning, policy.StatePaused, policy.StateRestarting:
		if !r.StartedAt.IsZero() {
			return r.StartedAt
		}
	}
	return r.Created
}

// VolumeRow is one volume; Size is -1 when the daemon did not compute it.
type VolumeRow struct {
	Name      string    `json:"name"`
	Anonymous bool      `json:"anonymous"`
	Size      int64     `json:"size"`
	Created   time.Time `json:"created,omitzero"`
	// Users are the containers that mount it, by name.
	Users []string `json:"users"`
	policy.Decision
}

// NetworkRow is one network.
type NetworkRow struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Driver  string    `json:"driver"`
	Scope   string    `json:"scope"`
	Created time.Time `json:"created,omitzero"`
	// Users are the containers attached to it, by name.
	Users []string `json:"users"`
	policy.Decision
}

// BuildCacheRow is the build cache: its records and what the plan prunes
// (the decision's verdict is "prune" then).
type BuildCacheRow struct {
	Records     int   `json:"records"`
	InUse       int   `json:"in_use"`
	Bytes       int64 `json:"bytes"`
	Reclaimable int64 `json:"reclaimable_bytes"`
	// LastUsed is the newest use of any record.
	LastUsed time.Time `json:"last_used,omitzero"`
	policy.Decision
}

// Watcher is what is known of the daemon's watcher and its files: whether
// one runs (and its holder information, with its schedule, when it could
// be read), the state file and the journal's last entries.
type Watcher struct {
	Running bool `json:"running"`
	*store.Holder
	StateFile string `json:"state_file"`
	// StateImages counts the images the state file has records of.
	StateImages int       `json:"state_images"`
	Horizon     time.Time `json:"horizon,omitzero"`
	JournalFile string    `json:"journal_file"`
	// Journal are the journal's last entries, oldest first.
	Journal []store.Entry `json:"journal"`
}

// Input is what a Document is built from.
type Input struct {
	Policy     *policy.Policy
	PolicyName string
	Daemon     policy.Daemon
	// Snapshot is the host, with Now the time the plan is made for.
	Snapshot policy.Snapshot
	// Usage is the resource use of running containers, by ID.
	Usage   map[string]Usage
	Watcher Watcher
}

// Build evaluates the policy on the snapshot and lays out every object
// with the plan's decision about it.
func Build(in Input) Document {
	plan, an := policy.Analyze(in.Policy, in.Snapshot)
	plan.Policy = in.PolicyName
	daemon := in.Daemon
	plan.Daemon = &daemon
	dec := policy.NewDecisions(plan)
	s := &in.Snapshot

	doc := Document{
		Plan:       plan,
		Images:     []ImageRow{},
		Containers: []ContainerRow{},
		Volumes:    []VolumeRow{},
		Networks:   []NetworkRow{},
		Rules:      an.Rules,
		Watcher:    in.Watcher,
	}
	if doc.Watcher.Journal == nil {
		doc.Watcher.Journal = []store.Entry{}
	}

	users := make(map[string]int)
	containerNames := make(map[string]string)
	for i := range s.Containers {
		c := &s.Containers[i]
		users[c.ImageID]++
		containerNames[c.ID] = c.Name
	}
	for i := range s.Images {
		img := &s.Images[i]
		dates := an.Images[img.ID]
		refs := slices.Sorted(slices.Values(img.Tags))
		if len(refs) == 0 {
			refs = []string{""}
		}
		for _, ref := range refs {
			repo, tag := splitRef(ref)
			doc.Images = append(doc.Images, ImageRow{
				Repository: repo, Tag: tag, ID: img.ID, Size: img.Size, Created: img.Created,
				Seen: dates.Seen, SeenLowerBound: dates.SeenLowerBound,
				LastUsed: dates.LastUsed, LastUsedLowerBound: dates.LastUsedLowerBound,
				Containers: users[img.ID],
				Decision:   dec.For(policy.KindImage, img.ID, ref),
			})
		}
	}
	slices.SortFunc(doc.Images, func(a, b ImageRow) int {
		if c := compareNone(a.Repository, b.Repository); c != 0 {
			return c
		}
		if c := compareNatural(a.Tag, b.Tag); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})

	for i := range s.Containers {
		c := &s.Containers[i]
		doc.Containers = append(doc.Containers, ContainerRow{
			ID: c.ID, Name: c.Name, Image: c.Image, ImageID: c.ImageID, State: c.State,
			Created: c.Created, StartedAt: c.StartedAt, FinishedAt: c.FinishedAt,
			Usage:    in.Usage[c.ID],
			Decision: dec.For(policy.KindContainer, c.ID, ""),
		})
	}
	slices.SortFunc(doc.Containers, func(a, b ContainerRow) int { return strings.Compare(a.Name+"\x00"+a.ID, b.Name+"\x00"+b.ID) })

	for i := range s.Volumes {
		v := &s.Volumes[i]
		doc.Volumes = append(doc.Volumes, VolumeRow{
			Name: v.Name, Anonymous: v.Anonymous, Size: v.Size, Created: v.CreatedAt,
			Users:    usersOf(s, func(c *policy.Container) bool { return slices.Contains(c.Volumes, v.Name) }),
			Decision: dec.For(policy.KindVolume, v.Name, ""),
		})
	}
	slices.SortFunc(doc.Volumes, func(a, b VolumeRow) int { return strings.Compare(a.Name, b.Name) })

	for i := range s.Networks {
		n := &s.Networks[i]
		doc.Networks = append(doc.Networks, NetworkRow{
			ID: n.ID, Name: n.Name, Driver: n.Driver, Scope: n.Scope, Created: n.Created,
			Users: usersOf(s, func(c *policy.Container) bool {
				return slices.Contains(c.Networks, n.ID) || slices.Contains(c.Networks, n.Name)
			}),
			Decision: dec.For(policy.KindNetwork, n.ID, ""),
		})
	}
	slices.SortFunc(doc.Networks, func(a, b NetworkRow) int { return strings.Compare(a.Name+"\x00"+a.ID, b.Name+"\x00"+b.ID) })

	doc.BuildCache = buildCacheRow(s.BuildCache, in.Policy, plan, dec)
	return doc
}

// buildCacheRow totals the build cache's records and says what the plan
// does with them.
func buildCacheRow(bc policy.BuildCache, p *policy.Policy, plan policy.Plan, dec policy.Decisions) BuildCacheRow {
	row := BuildCacheRow{Records: len(bc.Records), Decision: dec.For(policy.KindBuildCache, "", "")}
	for _, r := range bc.Records {
		row.Bytes += r.Size
		if r.InUse {
			row.InUse++
		}
		if r.LastUsedAt.After(row.LastUsed) {
			row.LastUsed = r.LastUsedAt
		}
	}
	switch {
	case row.Verdict == policy.ActionPrune:
		for _, a := range plan.Actions {
			if a.Kind == policy.KindBuildCache {
				row.Reclaimable += a.Bytes
			}
		}
	case p.BuildCache != nil:
		row.Verdict, row.Rule = policy.VerdictKeep, policy.KindBuildCache
		row.Reason = "no record is due: none is unused for long enough, or the cache is within keep_storage"
	default:
		row.Reason = "no build_cache block: the build cache is kept"
	}
	return row
}

// usersOf names the containers that use an object, sorted.
func usersOf(s *policy.Snapshot, uses func(*policy.Container) bool) []string {
	out := []string{}
	for i := range s.Containers {
		if uses(&s.Containers[i]) {
			out = append(out, s.Containers[i].Name)
		}
	}
	slices.Sort(out)
	return out
}

// splitRef splits a tag into repository and tag as docker image ls shows
// them; an untagged image is <none> <none>.
func splitRef(ref string) (repo, tag string) {
	if ref == "" {
		return "<none>", "<none>"
	}
	slash := strings.LastIndex(ref, "/")
	if colon := strings.LastIndex(ref, ":"); colon > slash {
		return ref[:colon], ref[colon+1:]
	}
	return ref, ""
}

// compareNone orders names, with <none> last.
func compareNone(a, b string) int {
	if (a == "<none>") != (b == "<none>") {
		if a == "<none>" {
			return 1
		}
		return -1
	}
	return strings.Compare(a, b)
}

// compareNatural orders strings with their runs of digits as numbers:
// pr-9 before pr-10, v1.9.0 before v1.10.0.
func compareNatural(a, b string) int {
	for a != "" && b != "" {
		da, db := digitsPrefix(a), digitsPrefix(b)
		if da != "" && db != "" {
			na, nb := strings.TrimLeft(da, "0"), strings.TrimLeft(db, "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

// digitsPrefix is the run of digits s starts with.
func digitsPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
