package apply

import (
	"slices"

	"github.com/docker-shaper/docker-shaper/policy"
)

// Summary totals an apply, overall and per kind of object.
type Summary struct {
	Counts
	// Kinds are the totals of each kind the plan acts on, in execution
	// order.
	Kinds []KindSummary `json:"kinds"`
}

// KindSummary totals the actions of one kind.
type KindSummary struct {
	Kind string `json:"kind"`
	Counts
}

// Counts are the totals an apply reports, overall and per kind.
type Counts struct {
	Actions  int `json:"actions"`
	Removed  int `json:"removed"`
	Untagged int `json:"untagged"`
	Skipped  int `json:"skipped"`
	Failed   int `json:"failed"`
	// Unknown are removals whose effect could not be known (see
	// OutcomeUnknown).
	Unknown int `json:"unknown"`
	// PlannedBytes is what the plan expected to reclaim.
	PlannedBytes int64 `json:"planned_bytes"`
	// ReclaimedBytes is the plan's figure for what was actually removed
	// (for the build cache, the daemon's figure).
	ReclaimedBytes int64 `json:"reclaimed_bytes"`
	// MeasuredBytes is the drop in disk usage (docker system df) from
	// before to after; null when it was not measured. Other users of the
	// daemon change it too.
	MeasuredBytes *int64 `json:"measured_bytes"`
	// Unmeasured are the kinds acted on whose disk usage the daemon does
	// not report (Podman's images): MeasuredBytes leaves them out.
	Unmeasured []string `json:"unmeasured,omitempty"`
}

// Add adds o's outcomes and bytes to c; what was measured is not additive
// and stays c's.
func (c *Counts) Add(o Counts) {
	c.Removed += o.Removed
	c.Untagged += o.Untagged
	c.Skipped += o.Skipped
	c.Failed += o.Failed
	c.Unknown += o.Unknown
	c.PlannedBytes += o.PlannedBytes
	c.ReclaimedBytes += o.ReclaimedBytes
}

// KindOrder is the order kinds are applied and reported in.
var KindOrder = []string{policy.KindContainer, policy.KindImage, policy.KindVolume, policy.KindNetwork, policy.KindBuildCache}

// Summarize totals results; before and after are disk usage measurements
// (nil when not measured).
func Summarize(actions []policy.Action, results []Result, before, after DiskTotals) Summary {
	s := Summary{Kinds: []KindSummary{}}
	s.Actions = len(actions)
	order := slices.Clone(KindOrder)
	kinds := make(map[string]*KindSummary)
	for _, k := range order {
		kinds[k] = &KindSummary{Kind: k}
	}
	for i, act := range actions {
		k := kinds[act.Kind]
		if k == nil {
			k = &KindSummary{Kind: act.Kind}
			kinds[act.Kind] = k
			order = append(order, act.Kind)
		}
		k.Actions++
		k.PlannedBytes += max(act.Bytes, 0) // -1: unknown
		r := results[i]
		switch r.Outcome {
		case OutcomeRemoved:
			k.Removed++
			k.ReclaimedBytes += r.Bytes
		case OutcomeUntagged:
			k.Untagged++
		case OutcomeSkipped:
			k.Skipped++
		case OutcomeFailed:
			k.Failed++
		case OutcomeUnknown:
			k.Unknown++
		}
	}
	measured := before != nil && after != nil
	var total int64
	for _, name := range order {
		k := kinds[name]
		_, known := before[name]
		if measured && known {
			d := before[name] - after[name]
			k.MeasuredBytes = &d
			total += d
		}
		// A kind nothing acted on is listed when its disk usage changed
		// (the volumes removed with their containers, or another user of
		// the daemon): the kinds' measured bytes then add up to the total.
		if k.Actions == 0 && (k.MeasuredBytes == nil || *k.MeasuredBytes == 0) {
			continue
		}
		if measured && !known && name != policy.KindNetwork { // networks take no space
			s.Unmeasured = append(s.Unmeasured, name)
		}
		s.Add(k.Counts)
		s.Kinds = append(s.Kinds, *k)
	}
	if measured {
		s.MeasuredBytes = &total
	}
	return s
}
