package commands

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/fixture"
	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/policy"
)

// BenchmarkCheck measures where the time of `docker shaper check` goes on a
// real daemon holding 2,000 tags on 300 images (20 repositories, tags named
// as on a CI host) and 45 containers, under examples/policies/ci-node.hcl:
// the snapshot (the daemon's list, inspect and disk usage calls), the
// evaluation, and the JSON rendering, each on its own and all three in a
// row. It needs the test daemon, and wipes it, like every daemon-backed
// test:
//
//	./scripts/test.sh -run '^$' -bench Check ./internal/commands/
//
// scripts/bench.sh runs it after timing the CLI; docs/benchmarks.md has
// the figures. It asserts nothing about time.
func BenchmarkCheck(b *testing.B) {
	cli := fixture.TestDaemon(b)
	ctx := context.Background()

	const nImages, nTags, repos = 300, 2000, 20
	now := time.Now().UTC()
	images := fixture.Deal{
		Images: nImages, Tags: nTags, Newest: now.Add(-24 * time.Hour), Step: time.Hour, Runnable: true,
		Name: func(i, k int) string {
			return fmt.Sprintf("registry.example.com/ci/app%d:%s", i%repos, fixture.CITag(k))
		},
	}.Deal()
	if _, err := fixture.Load(ctx, cli, images...); err != nil {
		b.Fatal(err)
	}
	var cs []fixture.Container
	for c := 0; c < 45; c++ {
		ctr := fixture.Container{Name: fmt.Sprintf("ci-job-%d", c), Image: images[c].Refs[0]}
		switch {
		case c < 10:
			ctr.Cmd, ctr.Run = []string{"true"}, true
			ctr.Volumes = []string{"/data"}
		case c < 15:
			ctr.Cmd, ctr.Detach = []string{"sleep", "600"}, true
		}
		cs = append(cs, ctr)
	}
	if _, err := fixture.CreateContainers(ctx, cli, cs...); err != nil {
		b.Fatal(err)
	}
	pol, diags := policy.NewLoader().LoadFile("../../examples/policies/ci-node.hcl")
	if diags.HasErrors() {
		b.Fatal(diags)
	}

	snap, err := docker.TakeSnapshot(ctx, cli, now, clock.Seconds)
	if err != nil {
		b.Fatal(err)
	}
	if len(snap.Images) != nImages || len(snap.Containers) != len(cs) {
		b.Fatalf("snapshot has %d images and %d containers, want %d and %d", len(snap.Images), len(snap.Containers), nImages, len(cs))
	}
	plan := policy.Evaluate(pol, snap)
	b.Logf("plan: %d actions, %d kept, %d warnings", len(plan.Actions), len(plan.Kept), len(plan.Warnings))

	b.Run("snapshot", func(b *testing.B) {
		for b.Loop() {
			if _, err := docker.TakeSnapshot(ctx, cli, now, clock.Seconds); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("evaluate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			policy.Evaluate(pol, snap)
		}
	})
	b.Run("render_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := render.PlanJSON(io.Discard, plan); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			s, err := docker.TakeSnapshot(ctx, cli, now, clock.Seconds)
			if err != nil {
				b.Fatal(err)
			}
			if err := render.PlanJSON(io.Discard, policy.Evaluate(pol, s)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
