package status

import (
	"bytes"
	stdcmp "cmp"
	"encoding/json"
	"testing"

	"github.com/docker-shaper/docker-shaper/internal/render"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/google/go-cmp/cmp"
)

// The JSON snapshot is check's plan with the host added: the plan's fields
// are there under the same names with the same values, so whatever reads
// a plan reads it.
func TestDocumentIsAPlan(t *testing.T) {
	in := testInput(t)
	doc := Build(in)
	var buf bytes.Buffer
	if err := render.JSON(&buf, &doc); err != nil {
		t.Fatal(err)
	}
	golden(t, "document.json", buf.String())

	plan := policy.Evaluate(in.Policy, in.Snapshot)
	plan.Policy = in.PolicyName
	plan.Daemon = &in.Daemon
	var want bytes.Buffer
	if err := render.PlanJSON(&want, plan); err != nil {
		t.Fatal(err)
	}
	var asPlan, wantPlan map[string]any
	if err := json.Unmarshal(buf.Bytes(), &asPlan); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want.Bytes(), &wantPlan); err != nil {
		t.Fatal(err)
	}
	for k, v := range wantPlan {
		if diff := cmp.Diff(v, asPlan[k]); diff != "" {
			t.Errorf("the plan's %q differs in the snapshot (-plan +snapshot):\n%s", k, diff)
		}
	}
}

// The table is the panes, one after another, with each reason.
func TestWriteTable(t *testing.T) {
	doc := Build(testInput(t))
	var buf bytes.Buffer
	if err := WriteTable(&buf, &doc, testNow); err != nil {
		t.Fatal(err)
	}
	golden(t, "document.table", buf.String())
}

// An image read alone keeps what only the lists knew; a tag that moves
// leaves its old image; an untagged parent leaves the view.
func TestHostPutImage(t *testing.T) {
	h := host{snap: policy.Snapshot{Images: []policy.Image{
		{ID: "a", Tags: []string{"app:1", "app:latest"}, UniqueSize: 10, ParentID: "p", FirstSeen: testNow},
		{ID: "b", Tags: []string{"app:2"}, HasChildren: true},
	}}}
	shared := h.copied()
	if h.putImage(policy.Image{ID: "a", Tags: []string{"app:1"}, UniqueSize: -1}) {
		t.Error("a is not new")
	}
	if h.putImage(policy.Image{ID: "c", Tags: []string{"app:2", "app:latest"}}) != true {
		t.Error("c is new")
	}
	want := []policy.Image{
		{ID: "a", Tags: []string{"app:1"}, UniqueSize: 10, ParentID: "p", FirstSeen: testNow},
		{ID: "c", Tags: []string{"app:2", "app:latest"}},
	}
	if diff := cmp.Diff(want, h.snap.Images); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"app:1", "app:latest"}, shared.Images[0].Tags); diff != "" {
		t.Errorf("a copy handed out changed (-want +got):\n%s", diff)
	}
}

func TestCompareNatural(t *testing.T) {
	sorted := []string{"", "1", "2", "10", "pr-2", "pr-9", "pr-10", "pr-010x", "pr-100", "v1.9.0", "v1.10.0", "v1.10.1", "x"}
	for i := range sorted {
		for j := range sorted {
			if got, want := compareNatural(sorted[i], sorted[j]), stdcmp.Compare(i, j); got != want {
				t.Errorf("compareNatural(%q, %q) = %d, want %d", sorted[i], sorted[j], got, want)
			}
		}
	}
}
