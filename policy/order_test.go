package policy

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// The order in which the daemon lists objects means nothing, and differs
// between its calls (a snapshot takes Docker's images and containers from
// the disk usage, other engines' from the lists): Evaluate gives the same
// plan, and Analyze the same report, whatever the order of the snapshot's
// images, tags, containers, volumes, networks and cache records.
func TestPlanIgnoresListOrder(t *testing.T) {
	for seed := range uint64(200) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(seed, 0x0bde5))
			p, src, s := randomCase(t, r)
			plan, report := Analyze(p, s)

			shuffled := s
			shuffled.Images = slices.Clone(s.Images)
			for i := range shuffled.Images {
				shuffled.Images[i].Tags = slices.Clone(s.Images[i].Tags)
				shuffle(r, shuffled.Images[i].Tags)
			}
			shuffle(r, shuffled.Images)
			shuffled.Containers = slices.Clone(s.Containers)
			shuffle(r, shuffled.Containers)
			shuffled.Volumes = slices.Clone(s.Volumes)
			shuffle(r, shuffled.Volumes)
			shuffled.Networks = slices.Clone(s.Networks)
			shuffle(r, shuffled.Networks)
			shuffled.BuildCache.Records = slices.Clone(s.BuildCache.Records)
			shuffle(r, shuffled.BuildCache.Records)

			plan2, report2 := Analyze(p, shuffled)
			if !reflect.DeepEqual(plan, plan2) || !reflect.DeepEqual(report, report2) {
				t.Fatalf("the plan depends on the order of the lists\npolicy:\n%s\nhost: %+v\n first: %+v\nsecond: %+v", src, s, plan, plan2)
			}
		})
	}
}

func shuffle[T any](r *rand.Rand, s []T) {
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}
