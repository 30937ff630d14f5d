package policy

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Basis names the timestamp an image's age is measured from.
type Basis string

const (
	// BasisSeen is when the image got its current tags on this host:
	// LastTagTime, else the first time docker-shaper observed it, else the
	// plan's Now. Never Created: pulled and loaded images have no
	// LastTagTime and are often years "old" the day they arrive.
	BasisSeen Basis = "seen"
	// BasisCreated is the image's build time.
	BasisCreated Basis = "created"
	// BasisLastUsed is the newest of seen, the times of containers using
	// the image, and the last use the watcher recorded.
	BasisLastUsed Basis = "last_used"
)

// Order names how an image rule ranks images for keep.
type Order string

const (
	OrderAge     Order = "age"
	OrderVersion Order = "version"
)

// Policy is a loaded, validated policy file. Rules keep file order: for each
// object the first matching rule of its kind claims it.
type Policy struct {
	// Filename is where the policy came from, as shown to users.
	Filename string
	// ProtectLatest keeps every tag named "latest" (default true).
	ProtectLatest bool
	// AgeBasis is the default basis for image ages (default seen).
	AgeBasis Basis

	Protects   []*Protect
	Images     []*ImageRule
	Containers []*ContainerRule
	Volumes    []*VolumeRule
	Networks   []*NetworkRule
	BuildCache *BuildCacheRule // nil when the policy has no build_cache block

	// QuietUnclaimed leaves out the warnings about rules that claim
	// nothing on the host. The embedded default sets it: its rules are
	// written for any host, and one that has nothing for them to do is not
	// the user's mistake to be told about on every run.
	QuietUnclaimed bool

	// Warnings found while loading (normalised patterns, a catch-all image
	// rule that is not last, …); Evaluate copies them into every plan.
	Warnings []Warning
}

// Matcher matches one string (an image reference or an object name).
type Matcher interface {
	Match(s string) bool
	String() string
}

// LabelSelector requires a label to be present with a value matching a glob
// ("*" accepts any value).
type LabelSelector struct {
	Key   string
	Value Matcher
}

// Protect is a protect block: whatever it selects is kept, whatever rule
// would claim it.
type Protect struct {
	Label      string
	Images     []Matcher // reference globs and anchored regexes
	Containers []Matcher
	Volumes    []Matcher
	Networks   []Matcher
	Labels     []LabelSelector // any object carrying all of these
	DeclRange  hcl.Range
}

// ImageRule claims image tags (or untagged images with Dangling).
type ImageRule struct {
	Label    string
	Match    []Matcher // match and match_regex; empty with Dangling or Labels alone
	Exclude  []Matcher
	Labels   []LabelSelector
	Dangling bool

	Keep      int // 0 when unset: nothing is kept by rank
	HasKeep   bool
	OlderThan time.Duration // 0 when unset
	UnusedFor time.Duration // 0 when unset
	MaxSize   int64         // 0 when unset
	AgeBasis  Basis         // the rule's basis, the policy default applied
	OrderBy   Order

	DeclRange hcl.Range
}

// ContainerRule claims containers by status and optional selectors.
type ContainerRule struct {
	Label         string
	Status        []string
	Names         []Matcher
	Images        []Matcher
	Labels        []LabelSelector
	ExcludeLabels []LabelSelector
	OlderThan     time.Duration
	RemoveVolumes bool
	DeclRange     hcl.Range
}

// VolumeRule claims unused volumes: anonymous ones unless Names is set.
type VolumeRule struct {
	Label     string
	Names     []Matcher
	Labels    []LabelSelector
	OlderThan time.Duration
	DeclRange hcl.Range
}

// NetworkRule claims unused user-defined networks.
type NetworkRule struct {
	Label     string
	Names     []Matcher
	Labels    []LabelSelector
	OlderThan time.Duration
	DeclRange hcl.Range
}

// BuildCacheRule plans one build cache prune.
type BuildCacheRule struct {
	UnusedFor   time.Duration
	KeepStorage int64
	All         bool
	DeclRange   hcl.Range
}

// Snapshot is everything Evaluate knows about a host: one consistent view,
// built from bulk list calls, plus the time the plan is made for.
type Snapshot struct {
	Now        time.Time
	Images     []Image
	Containers []Container
	Volumes    []Volume
	Networks   []Network
	BuildCache BuildCache
	// ImageSharingUnknown says the daemon does not report how much of each
	// image other images share (Podman): what removing an image frees is
	// then unknown, and its action's Bytes are -1.
	ImageSharingUnknown bool
}

// Image is one image ID with every reference the daemon holds for it.
type Image struct {
	ID          string   // sha256:…
	Tags        []string // familiar references: "nginx:1.27", "ghcr.io/acme/api:pr-12"
	Digests     []string // repo@sha256:… references; not tags
	ParentID    string
	Created     time.Time
	LastTagTime time.Time // zero when unknown (e.g. images from docker load)
	// FirstSeen is the first time docker-shaper observed the image on this
	// daemon (a watcher event, or any command's look at the host); zero
	// when unknown, which the engine reads as "just now".
	FirstSeen time.Time
	// FirstSeenIsLowerBound says FirstSeen is when docker-shaper first
	// looked, not when the image arrived: it may have been there before,
	// so an age measured from it is a lower bound.
	FirstSeenIsLowerBound bool
	LastUsed              time.Time // last use recorded by the watcher; zero when unknown
	Size                  int64     // total size including shared layers
	UniqueSize            int64     // bytes freed by removing only this image; -1 when unknown
	Labels                map[string]string
	// HasChildren is true when another image is built on this one; removing
	// its last tag then untags without freeing anything.
	HasChildren bool
	// UntaggedParents are the intermediate images between this one and
	// ParentID (untagged, with children, so not in the snapshot): the
	// daemon deletes those only this image holds when it removes it.
	UntaggedParents []string
}

// Container states as the daemon reports them.
const (
	StateCreated    = "created"
	StateRunning    = "running"
	StatePaused     = "paused"
	StateRestarting = "restarting"
	StateRemoving   = "removing"
	StateExited     = "exited"
	StateDead       = "dead"
)

// Container is one container in any state.
type Container struct {
	ID         string
	Name       string // without the leading slash
	Image      string // the reference it was created from, as given
	ImageID    string
	State      string
	Labels     map[string]string
	Created    time.Time
	StartedAt  time.Time // zero when never started
	FinishedAt time.Time // zero when never finished
	SizeRw     int64
	Volumes    []string // names of the volumes it mounts
	Networks   []string // IDs of the networks it is attached to
}

// Volume is one volume.
type Volume struct {
	Name      string
	Labels    map[string]string
	CreatedAt time.Time
	Anonymous bool
	Size      int64 // -1 when unknown
}

// Network is one network.
type Network struct {
	ID      string
	Name    string
	Driver  string
	Scope   string // "local", "swarm", "global"
	Labels  map[string]string
	Created time.Time
}

// BuildCache is the build cache as the daemon reports it.
type BuildCache struct {
	Records []CacheRecord
	// Unsupported, when set, says why the daemon has no build cache to
	// prune (Podman): a build_cache rule then plans nothing, with a
	// warning that says so.
	Unsupported string
}

// CacheRecord is one build cache record.
type CacheRecord struct {
	ID         string
	Size       int64
	InUse      bool
	Shared     bool
	LastUsedAt time.Time // zero when never used
	CreatedAt  time.Time
}

// Name returns the rule's name as plans show it: "<block type>.<label>".
func (r *ImageRule) Name() string     { return KindImage + "." + r.Label }
func (r *ContainerRule) Name() string { return KindContainer + "." + r.Label }
func (r *VolumeRule) Name() string    { return KindVolume + "." + r.Label }
func (r *NetworkRule) Name() string   { return KindNetwork + "." + r.Label }
func (r *Protect) Name() string       { return "protect." + r.Label }
