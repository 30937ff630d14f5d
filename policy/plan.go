package policy

import (
	"encoding/json"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Kinds of objects a plan acts on.
const (
	KindImage      = "image"
	KindContainer  = "container"
	KindVolume     = "volume"
	KindNetwork    = "network"
	KindBuildCache = "build_cache"
)

// Verbs of a plan action.
const (
	ActionRemove = "remove" // the object goes (for an image: its last tag, and the image with it)
	ActionUntag  = "untag"  // one tag goes, the image stays
	ActionPrune  = "prune"  // build cache prune
)

// PlanVersion is the version of the JSON plan document.
const PlanVersion = 1

// Plan is the outcome of Evaluate: what goes, what is kept on purpose, and
// what the user should look at. Actions are in execution order: containers,
// images, volumes, networks, build cache.
type Plan struct {
	Version int       `json:"version"`
	Policy  string    `json:"policy"`
	Now     time.Time `json:"now"`
	// Daemon is the host the plan is for; the engine leaves it nil, the
	// command that took the snapshot fills it in.
	Daemon   *Daemon   `json:"daemon,omitempty"`
	Actions  []Action  `json:"actions"`
	Kept     []Kept    `json:"kept"`
	Warnings []Warning `json:"warnings"`
	Summary  Summary   `json:"summary"`
}

// Daemon identifies the Docker host a plan was made for.
type Daemon struct {
	// ID is the daemon's identity (docker info's ID), or its endpoint for
	// a daemon that has none.
	ID string `json:"id"`
	// Context is the docker CLI context the daemon was reached through.
	Context string `json:"context"`
	// Engine is "docker", or "podman" for Podman's compatible API.
	Engine  string `json:"engine"`
	Version string `json:"version"`
	// API is the API version negotiated with the daemon.
	API string `json:"api"`
	// Instance tells apart daemons that report one ID: the daemon's host
	// name and data root. Clones of one machine, and daemons sharing
	// /etc/docker/key.json, all have the same ID.
	Instance string `json:"-"`
}

// Action is one removal. The JSON field set depends on Kind, as the plan
// contract shows; the extra fields exist for prune (re-checks) and explain.
//
// A large host's plan has tens of thousands of actions, so what only some
// kinds carry is behind a pointer (Image, Expect, BuildCache) and what
// several actions share is shared (Range, Image).
type Action struct {
	Kind   string
	Action string
	Ref    string // image: the tag acted on; "" for an untagged image
	ID     string
	Name   string // container, volume, network
	Rule   string // "<block type>.<label>"
	Reason string
	Bytes  int64

	// Basis and Timestamp say which time the decision used (zero for none).
	Basis     string
	Timestamp time.Time
	// Rank is the keep rank (1 = newest) for image actions of rules with keep.
	Rank int
	// RemoveVolumes is set on container actions of rules with remove_volumes.
	RemoveVolumes bool
	// Force is set on container actions for running containers, which the
	// daemon only removes with force; images are never forced.
	Force bool
	// WithContainer is, on a volume action, the ID of the container whose
	// removal (RemoveVolumes) takes the volume with it: the volume goes
	// when that container does, not on its own.
	WithContainer string
	// Parent is, on an image action, the image it is built on when the
	// snapshot holds it: prune removes a child before its parent.
	Parent string
	// Image is, on an image action, what the action carries of the image
	// itself, shared by the image's actions; nil on other kinds, and on
	// an image with neither digests nor untagged parents.
	Image *ImageInfo
	// Range is the rule's declaration in the policy file: the rule's own
	// DeclRange, shared by its actions and the policy, so read-only.
	Range *hcl.Range

	// Expect is the object as the plan saw it: what prune re-checks just
	// before acting, so that a plan carries everything its execution
	// needs and nothing reaches back into the policy or the snapshot. It
	// is set on container and volume actions; nil on the kinds prune does
	// not re-check (images, networks, build cache).
	Expect *Expectation
	// BuildCache holds the prune's parameters on a build cache action.
	BuildCache *BuildCacheRule
}

// ImageInfo is what an image action carries of its image.
type ImageInfo struct {
	// Digests are the image's repo digests, for the journal.
	Digests []string
	// UntaggedParents are the intermediate images the daemon may delete
	// with this image (see Image.UntaggedParents).
	UntaggedParents []string
}

// Expectation is the state of an object an action was planned for. prune
// skips the action when the object no longer matches it.
type Expectation struct {
	// State, StartedAt and FinishedAt are a container's: a container that
	// changed state or was restarted since is another decision.
	State                 string
	StartedAt, FinishedAt time.Time
	// CreatedAt is a volume's: a volume recreated under the same name is
	// another volume.
	CreatedAt time.Time
}

// MarshalJSON writes the contract's fields for the action's kind.
func (a Action) MarshalJSON() ([]byte, error) {
	switch a.Kind {
	case KindImage:
		return json.Marshal(struct {
			Kind   string `json:"kind"`
			Action string `json:"action"`
			Ref    string `json:"ref"`
			ID     string `json:"id"`
			Rule   string `json:"rule"`
			Reason string `json:"reason"`
			Bytes  int64  `json:"bytes"`
		}{a.Kind, a.Action, a.Ref, a.ID, a.Rule, a.Reason, a.Bytes})
	case KindContainer:
		return json.Marshal(struct {
			Kind   string `json:"kind"`
			Action string `json:"action"`
			ID     string `json:"id"`
			Name   string `json:"name"`
			Rule   string `json:"rule"`
			Reason string `json:"reason"`
			Bytes  int64  `json:"bytes"`
		}{a.Kind, a.Action, a.ID, a.Name, a.Rule, a.Reason, a.Bytes})
	case KindVolume:
		return json.Marshal(struct {
			Kind   string `json:"kind"`
			Action string `json:"action"`
			Name   string `json:"name"`
			Rule   string `json:"rule"`
			Reason string `json:"reason"`
			Bytes  int64  `json:"bytes"`
		}{a.Kind, a.Action, a.Name, a.Rule, a.Reason, a.Bytes})
	case KindNetwork:
		return json.Marshal(struct {
			Kind   string `json:"kind"`
			Action string `json:"action"`
			Name   string `json:"name"`
			ID     string `json:"id"`
			Rule   string `json:"rule"`
			Reason string `json:"reason"`
		}{a.Kind, a.Action, a.Name, a.ID, a.Rule, a.Reason})
	default:
		return json.Marshal(struct {
			Kind   string `json:"kind"`
			Action string `json:"action"`
			Rule   string `json:"rule"`
			Reason string `json:"reason"`
			Bytes  int64  `json:"bytes"`
		}{a.Kind, a.Action, a.Rule, a.Reason, a.Bytes})
	}
}

// Kept is an object a rule claimed (or would have claimed) and that stays:
// within keep, not old enough yet, or protected.
type Kept struct {
	Kind   string `json:"kind"`
	Ref    string `json:"ref,omitempty"`
	ID     string `json:"id,omitempty"`
	Name   string `json:"name,omitempty"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`

	// Basis and Timestamp say which time the decision used; Rank is the keep
	// rank (0 when the rule has no keep).
	Basis     string    `json:"-"`
	Timestamp time.Time `json:"-"`
	Rank      int       `json:"-"`
	// ExpiresAt is when the object's age conditions become true, when it is
	// kept only for being too young; zero otherwise.
	ExpiresAt time.Time `json:"-"`
	// Protected is set when a protection, not the rule, keeps the object.
	Protected bool `json:"-"`
}

// Warning is something the user should look at that does not stop the plan.
type Warning struct {
	Message  string `json:"message"`
	Filename string `json:"filename,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
}

// Summary totals the plan.
type Summary struct {
	Actions          int   `json:"actions"`
	ReclaimableBytes int64 `json:"reclaimable_bytes"`
	// UnknownBytes counts the actions whose bytes are unknown (-1): image
	// removals on a daemon that does not report what images share.
	// ReclaimableBytes leaves them out.
	UnknownBytes int `json:"unknown_bytes,omitempty"`
}
