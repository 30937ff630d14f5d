package render

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/policy"
)

func fleetOf() []FleetHost {
	plan := func(bytes int64, actions ...string) *policy.Plan {
		p := &policy.Plan{Summary: policy.Summary{Actions: len(actions), ReclaimableBytes: bytes}}
		for _, a := range actions {
			p.Actions = append(p.Actions, policy.Action{Kind: policy.KindImage, Action: a})
		}
		return p
	}
	return []FleetHost{
		{Contexts: []string{"ci-1", "ci-1-old"}, Endpoint: "unix:///a.sock", Plan: plan(3000, "remove", "untag", "untag")},
		{Contexts: []string{"ci-2"}, Endpoint: "unix:///b.sock", Plan: plan(0)},
		{Contexts: []string{"ci-3"}, Endpoint: "unix:///c.sock", Err: errors.New("cannot reach it")},
		{Contexts: []string{"ci-4"}, Endpoint: "unix:///d.sock", Plan: plan(2000, "remove")},
	}
}

func TestFleetQuestion(t *testing.T) {
	lines, what, bytes, due := FleetQuestion(fleetOf())
	want := []string{"  ci-1: 1 object and 2 tags, 3kB", "  ci-2: nothing to remove", "  ci-3: not planned (see above)", "  ci-4: 1 object, 2kB"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if what != "2 objects and 2 tags on 2 hosts" || bytes != 5000 || !due {
		t.Errorf("what %q, bytes %d, due %v", what, bytes, due)
	}
	if _, _, _, due := FleetQuestion(fleetOf()[1:3]); due {
		t.Error("a fleet with nothing to remove is due")
	}
}

func TestFleetTotals(t *testing.T) {
	hosts := fleetOf()
	if s := SummarizeFleet(hosts); s != (FleetSummary{Hosts: 4, Planned: 3, FailedHosts: 1, Actions: 4, ReclaimableBytes: 5000}) {
		t.Errorf("SummarizeFleet = %+v", s)
	}
	var b strings.Builder
	if err := FleetTotals(&b, hosts); err != nil {
		t.Fatal(err)
	}
	if want := "FLEET\n3 hosts planned, 1 failed (ci-3): 4 actions, 5kB reclaimable\n"; b.String() != want {
		t.Errorf("FleetTotals = %q, want %q", b.String(), want)
	}
	if h := FleetHostHeader(hosts[0]); h != "HOST ci-1: at unix:///a.sock (also context ci-1-old)" {
		t.Errorf("FleetHostHeader = %q", h)
	}

	hosts[0].Report = &apply.Report{Summary: apply.Summary{Counts: apply.Counts{Actions: 3, Removed: 1, Untagged: 1, Failed: 1, PlannedBytes: 3000, ReclaimedBytes: 1000}}}
	hosts[3].Report = &apply.Report{Summary: apply.Summary{Counts: apply.Counts{Actions: 1, Removed: 1, PlannedBytes: 2000, ReclaimedBytes: 2000}}}
	got := SummarizeFleetPrune(hosts)
	want := FleetPruneSummary{Hosts: 4, FailedHosts: 1, Counts: apply.Counts{Actions: 4, Removed: 2, Untagged: 1, Failed: 1, PlannedBytes: 5000, ReclaimedBytes: 3000}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SummarizeFleetPrune = %+v, want %+v", got, want)
	}
}

// Lines written by many hosts at once come out whole, each with its
// host's prefix.
func TestLinePrefixers(t *testing.T) {
	var out strings.Builder
	ps := NewLinePrefixers(&out, []string{"a: ", "b: "})
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				p.Write([]byte("[1/2] rem"))
				p.Write([]byte("oved x\n[2/2] "))
				p.Write([]byte("removed y\n"))
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines, want 400", len(lines))
	}
	for _, l := range lines {
		switch strings.TrimPrefix(strings.TrimPrefix(l, "a: "), "b: ") {
		case "[1/2] removed x", "[2/2] removed y":
		default:
			t.Fatalf("a line cut or mixed: %q", l)
		}
	}
}
