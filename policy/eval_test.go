package policy_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/docker-shaper/docker-shaper/policy"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The evaluation corpus: each testdata/eval/*.txtar holds a policy
// (policy.hcl), a snapshot (snapshot.json, times relative to "now" as
// "-30d") and the plan Evaluate must produce (plan.golden, the JSON plan).
// The comment at the top of each archive says what the case shows; a
// golden is only refreshed with -update after reading that it still does.
func TestEvaluateCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/eval/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no evaluation cases found")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sections := map[string][]byte{}
			for _, f := range ar.Files {
				sections[f.Name] = f.Data
			}
			pol := loadPolicy(t, "policy.hcl", sections["policy.hcl"])
			snap := decodeSnapshot(t, sections["snapshot.json"])

			got, err := json.MarshalIndent(policy.Evaluate(pol, snap), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')

			if *update {
				setSection(ar, "plan.golden", got)
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, ok := sections["plan.golden"]
			if !ok {
				t.Fatalf("no plan.golden section; run go test ./policy -run TestEvaluateCorpus -update")
			}
			if !bytes.Equal(got, want) {
				t.Errorf("plan differs from golden (run with -update after checking):\n--- got\n%s\n--- want\n%s", got, want)
			}
		})
	}
}

func setSection(ar *txtar.Archive, name string, data []byte) {
	for i := range ar.Files {
		if ar.Files[i].Name == name {
			ar.Files[i].Data = data
			return
		}
	}
	ar.Files = append(ar.Files, txtar.File{Name: name, Data: data})
}

func loadPolicy(t *testing.T, name string, src []byte) *policy.Policy {
	t.Helper()
	pol, diags := policy.NewLoader().Load(name, src)
	if diags.HasErrors() {
		t.Fatalf("policy does not load: %s", diags.Error())
	}
	return pol
}

// testNow is the fixed time every corpus snapshot is evaluated at.
var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// relTime is a time written relative to testNow ("-30d", "-90m"), or as
// RFC 3339 for absolute dates such as 1970-01-01T00:00:00Z.
type relTime struct{ time.Time }

func (r *relTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if strings.HasPrefix(s, "-") {
		d, err := policy.ParseDuration(s[1:])
		if err != nil {
			return err
		}
		r.Time = testNow.Add(-d)
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	r.Time = t
	return err
}

type testSnapshot struct {
	Images []struct {
		ID          string            `json:"id"`
		Tags        []string          `json:"tags"`
		Digests     []string          `json:"digests"`
		Created     relTime           `json:"created"`
		LastTagTime relTime           `json:"last_tag"`
		FirstSeen   relTime           `json:"first_seen"`
		FirstLooked bool              `json:"first_seen_lower_bound"`
		LastUsed    relTime           `json:"last_used"`
		Size        int64             `json:"size"`
		Unique      *int64            `json:"unique"`
		Labels      map[string]string `json:"labels"`
		Children    bool              `json:"children"`
		Parent      string            `json:"parent"`
	} `json:"images"`
	Containers []struct {
		ID       string            `json:"id"`
		Name     string            `json:"name"`
		Image    string            `json:"image"`
		ImageID  string            `json:"image_id"`
		State    string            `json:"state"`
		Labels   map[string]string `json:"labels"`
		Created  relTime           `json:"created"`
		Started  relTime           `json:"started"`
		Finished relTime           `json:"finished"`
		Volumes  []string          `json:"volumes"`
		Networks []string          `json:"networks"`
	} `json:"containers"`
	Volumes []struct {
		Name      string            `json:"name"`
		Labels    map[string]string `json:"labels"`
		Created   relTime           `json:"created"`
		Anonymous bool              `json:"anonymous"`
	} `json:"volumes"`
	Networks []struct {
		ID      string            `json:"id"`
		Name    string            `json:"name"`
		Driver  string            `json:"driver"`
		Scope   string            `json:"scope"`
		Labels  map[string]string `json:"labels"`
		Created relTime           `json:"created"`
	} `json:"networks"`
	BuildCache []struct {
		ID       string  `json:"id"`
		Size     int64   `json:"size"`
		InUse    bool    `json:"in_use"`
		Shared   bool    `json:"shared"`
		LastUsed relTime `json:"last_used"`
		Created  relTime `json:"created"`
	} `json:"build_cache"`
}

func decodeSnapshot(t *testing.T, data []byte) policy.Snapshot {
	t.Helper()
	var ts testSnapshot
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ts); err != nil {
		t.Fatalf("snapshot.json: %v", err)
	}
	s := policy.Snapshot{Now: testNow}
	for _, i := range ts.Images {
		unique := int64(-1)
		if i.Unique != nil {
			unique = *i.Unique
		}
		s.Images = append(s.Images, policy.Image{
			ID: i.ID, Tags: i.Tags, Digests: i.Digests, Created: i.Created.Time,
			LastTagTime: i.LastTagTime.Time, FirstSeen: i.FirstSeen.Time, FirstSeenIsLowerBound: i.FirstLooked,
			LastUsed: i.LastUsed.Time,
			Size:     i.Size, UniqueSize: unique, Labels: i.Labels, HasChildren: i.Children, ParentID: i.Parent,
		})
	}
	for _, c := range ts.Containers {
		s.Containers = append(s.Containers, policy.Container{
			ID: c.ID, Name: c.Name, Image: c.Image, ImageID: c.ImageID, State: c.State, Labels: c.Labels,
			Created: c.Created.Time, StartedAt: c.Started.Time, FinishedAt: c.Finished.Time,
			Volumes: c.Volumes, Networks: c.Networks,
		})
	}
	for _, v := range ts.Volumes {
		s.Volumes = append(s.Volumes, policy.Volume{Name: v.Name, Labels: v.Labels, CreatedAt: v.Created.Time, Anonymous: v.Anonymous, Size: -1})
	}
	for _, n := range ts.Networks {
		driver, scope := n.Driver, n.Scope
		if driver == "" {
			driver = "bridge"
		}
		if scope == "" {
			scope = "local"
		}
		s.Networks = append(s.Networks, policy.Network{ID: n.ID, Name: n.Name, Driver: driver, Scope: scope, Labels: n.Labels, Created: n.Created.Time})
	}
	for _, r := range ts.BuildCache {
		s.BuildCache.Records = append(s.BuildCache.Records, policy.CacheRecord{
			ID: r.ID, Size: r.Size, InUse: r.InUse, Shared: r.Shared, LastUsedAt: r.LastUsed.Time, CreatedAt: r.Created.Time,
		})
	}
	return s
}

// Ranges are not part of the JSON plan, but prune and explain rely on them.
func TestActionsCarryRuleRange(t *testing.T) {
	t.Parallel()
	src := []byte("image \"all\" {\n  match = [\"app:*\"]\n}\n")
	pol := loadPolicy(t, "r.hcl", src)
	plan := policy.Evaluate(pol, policy.Snapshot{Now: testNow, Images: []policy.Image{
		{ID: "sha256:a", Tags: []string{"app:1"}, Created: testNow.Add(-time.Hour), UniqueSize: -1},
	}})
	if len(plan.Actions) != 1 {
		t.Fatalf("want 1 action, got %+v", plan.Actions)
	}
	want := hcl.Pos{Line: 1, Column: 1, Byte: 0}
	if r := plan.Actions[0].Range; r.Filename != "r.hcl" || r.Start != want {
		t.Errorf("action range = %v, want r.hcl:1,1", r)
	}
}
