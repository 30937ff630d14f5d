package policy

import (
	"strings"
	"testing"
)

func TestFilterAdd(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ term, want string }{
		{"kind=image", ""},
		{"kind=build_cache", ""},
		{" action = untag ", ""},
		{"rule=image.ci", ""},
		{"kind=images", "kind is one of image, container, volume, network, build_cache"},
		{"action=delete", "action is one of remove, untag, prune"},
		{"until=24h", `unknown key "until"`},
		{"kind", "use KEY=VALUE"},
		{"kind=", "use KEY=VALUE"},
		{"=image", "use KEY=VALUE"},
	} {
		err := Filter{}.Add(tt.term)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Add(%q) = %v, want %q", tt.term, err, tt.want)
		}
	}
}

func TestFilterCheckRules(t *testing.T) {
	t.Parallel()
	p := &Policy{Filename: "p.hcl", Images: []*ImageRule{{Label: "ci"}}, Volumes: []*VolumeRule{{Label: "old"}},
		BuildCache: &BuildCacheRule{}, Protects: []*Protect{{Label: "db"}}}
	f := Filter{}
	for _, term := range []string{"rule=image.ci", "rule=volume.old", "rule=build_cache", "rule=protect.db"} {
		if err := f.Add(term); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.CheckRules(p); err != nil {
		t.Errorf("CheckRules: %v", err)
	}
	_ = f.Add("rule=ci")
	err := f.CheckRules(p)
	if err == nil || !strings.Contains(err.Error(), `the policy p.hcl has no rule "ci"; its rules are image.ci, volume.old, build_cache, protect.db`) {
		t.Errorf("CheckRules with rule=ci = %v", err)
	}
}

// filterFixture is a plan with the dependencies a filter must respect:
// an image with two expired tags (an untag, then the removal), used by a
// container the plan removes; a parent image removed after its child; a
// volume and a network of a removed container; and unrelated actions.
func filterFixture() (Plan, Snapshot) {
	s := Snapshot{Containers: []Container{
		{ID: "c1", Name: "job", ImageID: "sha256:app", Volumes: []string{"data"}, Networks: []string{"n1"}},
	}}
	plan := Plan{Actions: []Action{
		{Kind: KindContainer, Action: ActionRemove, ID: "c1", Name: "job", Rule: "container.jobs", Bytes: 1},
		{Kind: KindImage, Action: ActionUntag, Ref: "app:1", ID: "sha256:app", Rule: "image.apps"},
		{Kind: KindImage, Action: ActionRemove, Ref: "app:2", ID: "sha256:app", Rule: "image.old", Bytes: 10},
		{Kind: KindImage, Action: ActionRemove, Ref: "child:1", ID: "sha256:child", Parent: "sha256:base", Rule: "image.apps", Bytes: 100},
		{Kind: KindImage, Action: ActionRemove, Ref: "base:1", ID: "sha256:base", Rule: "image.base", Bytes: 1000},
		{Kind: KindImage, Action: ActionRemove, Ref: "other:1", ID: "sha256:other", Rule: "image.apps", Bytes: -1},
		{Kind: KindVolume, Action: ActionRemove, Name: "data", Rule: "volume.all", Bytes: 10000},
		{Kind: KindVolume, Action: ActionRemove, Name: "free", Rule: "volume.all", Bytes: 20000},
		{Kind: KindNetwork, Action: ActionRemove, Name: "net", ID: "n1", Rule: "network.all"},
		{Kind: KindBuildCache, Action: ActionPrune, Rule: "build_cache", Bytes: 100000},
	}, Kept: []Kept{
		{Kind: KindImage, Ref: "app:3", Rule: "image.apps"},
		{Kind: KindVolume, Name: "keep", Rule: "protect.volumes"},
	}}
	return plan, s
}

func TestFilterPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		terms   []string
		want    []string // ObjectText of the actions left
		dropped []string // "ObjectText needs …"
		kept    int
	}{
		{"none", nil, []string{"container job", "image app:1", "image app:2", "image child:1", "image base:1", "image other:1",
			"volume data", "volume free", "network net", "build cache"}, nil, 2},
		{"one kind", []string{"kind=build_cache"}, []string{"build cache"}, nil, 0},
		{"same key ors", []string{"kind=volume", "kind=network"}, []string{"volume free"},
			[]string{"volume data needs remove container job", "network net needs remove container job"}, 1},
		{"keys and", []string{"kind=image", "rule=image.apps"}, []string{"image app:1", "image child:1", "image other:1"}, nil, 1},
		{"untag alone is safe", []string{"action=untag"}, []string{"image app:1"}, nil, 0},
		{"removal needs the other tags and the container", []string{"rule=image.old"}, nil,
			[]string{"image app:2 needs remove container job"}, 0},
		{"parent needs its child", []string{"rule=image.base"}, nil, []string{"image base:1 needs remove image child:1"}, 0},
		{"parent with its child", []string{"rule=image.base", "rule=image.apps", "kind=image"},
			[]string{"image app:1", "image child:1", "image base:1", "image other:1"}, nil, 1},
		{"with the container, all of it", []string{"rule=container.jobs", "rule=image.apps", "rule=image.old", "rule=volume.all", "rule=network.all"},
			[]string{"container job", "image app:1", "image app:2", "image child:1", "image other:1", "volume data", "volume free", "network net"},
			nil, 1},
		{"container only: its image stays", []string{"kind=container", "kind=image", "action=remove"},
			[]string{"container job", "image child:1", "image base:1", "image other:1"},
			[]string{"image app:2 needs untag image app:1"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, s := filterFixture()
			f := Filter{}
			for _, term := range tt.terms {
				if err := f.Add(term); err != nil {
					t.Fatal(err)
				}
			}
			got, dropped := FilterPlan(plan, s, f)
			var names []string
			var bytes int64
			unknown := 0
			for _, a := range got.Actions {
				names = append(names, ObjectText(a))
				if a.Bytes < 0 {
					unknown++
				} else {
					bytes += a.Bytes
				}
			}
			if strings.Join(names, ", ") != strings.Join(tt.want, ", ") {
				t.Errorf("actions:\n got %s\nwant %s", strings.Join(names, ", "), strings.Join(tt.want, ", "))
			}
			var drops []string
			for _, d := range dropped {
				drops = append(drops, ObjectText(d.Action)+" needs "+d.Needs)
			}
			if strings.Join(drops, "; ") != strings.Join(tt.dropped, "; ") {
				t.Errorf("dropped:\n got %s\nwant %s", strings.Join(drops, "; "), strings.Join(tt.dropped, "; "))
			}
			if len(tt.terms) > 0 && got.Summary != (Summary{Actions: len(got.Actions), ReclaimableBytes: bytes, UnknownBytes: unknown}) {
				t.Errorf("summary %+v does not total the actions", got.Summary)
			}
			if len(got.Kept) != tt.kept {
				t.Errorf("kept %d, want %d", len(got.Kept), tt.kept)
			}
		})
	}
}
