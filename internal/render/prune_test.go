package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/policy"
)

func sampleReport() (policy.Plan, *apply.Report) {
	plan := policy.Plan{Version: 1, Policy: "p.hcl", Actions: []policy.Action{
		{Kind: policy.KindContainer, Action: "remove", ID: "c1c1c1c1c1c1c1c1", Name: "job", Rule: "container.jobs", Reason: "exited 2d ago", Bytes: 10},
		{Kind: policy.KindImage, Action: "untag", Ref: "app:1", ID: imgID(1), Rule: "image.apps", Reason: "r"},
		{Kind: policy.KindImage, Action: "remove", Ref: "app:2", ID: imgID(1), Rule: "image.apps", Reason: "r", Bytes: 1000},
		{Kind: policy.KindNetwork, Action: "remove", ID: "n1n1n1n1n1n1n1", Name: "net", Rule: "network.n", Reason: "r"},
	}}
	plan.Summary = policy.Summary{Actions: 4, ReclaimableBytes: 1010}
	results := []apply.Result{
		{Action: plan.Actions[0], Outcome: apply.OutcomeRemoved, Bytes: 10},
		{Action: plan.Actions[1], Outcome: apply.OutcomeUntagged},
		{Action: plan.Actions[2], Outcome: apply.OutcomeSkipped, Detail: "image now used by container web"},
		{Action: plan.Actions[3], Outcome: apply.OutcomeFailed, Detail: "daemon: boom"},
	}
	before := apply.DiskTotals{policy.KindImage: 5000, policy.KindContainer: 10}
	after := apply.DiskTotals{policy.KindImage: 5000, policy.KindContainer: 0}
	return plan, &apply.Report{Run: "run-1", Results: results, Summary: apply.Summarize(plan.Actions, results, before, after)}
}

func TestRenderPruneTable(t *testing.T) {
	t.Parallel()
	_, rep := sampleReport()
	var b bytes.Buffer
	if err := PruneTable(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"SKIPPED\nKIND    ACTION   OBJECT                 REASON\nimage   remove   app:2 (000000000000)   image now used by container web\n",
		"FAILED\nKIND      ACTION   OBJECT               REASON\nnetwork   remove   net (n1n1n1n1n1n1)   daemon: boom\n",
		"containers   1         0          0         0        10B       10B         10B\n",
		"images       0         1          1         0        1kB       0B          0B\n",
		"networks     0         0          0         1        0B        0B          -\n",
		"Removed 1 object and 1 tag, skipped 1, failed 1: reclaimed 10B of 1.01kB planned (docker system df: 10B less)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestRenderPruneJSON(t *testing.T) {
	t.Parallel()
	plan, rep := sampleReport()
	var b bytes.Buffer
	if err := PruneJSON(&b, plan, rep); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"plan", "run", "results", "summary"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("no %q in %s", k, b.String())
		}
	}
	var got pruneJSON
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Plan.Actions) != 4 || len(got.Results) != 4 || got.Results[2].Outcome != apply.OutcomeSkipped ||
		got.Results[0].Reason != "exited 2d ago" || got.Summary.Failed != 1 || *got.Summary.MeasuredBytes != 10 {
		t.Errorf("document:\n%s", b.String())
	}
	if !strings.Contains(b.String(), `"measured_bytes": null`) {
		t.Errorf("network kind should have a null measurement:\n%s", b.String())
	}

	// Nothing to do: no results, zero totals.
	b.Reset()
	if err := PruneJSON(&b, policy.Plan{Version: 1}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"results": []`) || !strings.Contains(b.String(), `"kinds": []`) {
		t.Errorf("empty document:\n%s", b.String())
	}
}

func TestProgressWriter(t *testing.T) {
	t.Parallel()
	_, rep := sampleReport()
	for _, terminal := range []bool{false, true} {
		var b bytes.Buffer
		p := NewProgress(&b, terminal)
		p.Start(len(rep.Results))
		for i, r := range rep.Results {
			p.Done(r, i+1, len(rep.Results))
		}
		p.Finish()
		out := b.String()
		if !terminal {
			want := "[1/4] removed container job (c1c1c1c1c1c1)\n[2/4] untagged image app:1 (000000000000)\n" +
				"[3/4] skipped image app:2 (000000000000): image now used by container web\n[4/4] failed network net (n1n1n1n1n1n1): daemon: boom\n"
			if out != want {
				t.Errorf("plain progress:\n%q\nwant\n%q", out, want)
			}
			continue
		}
		if strings.Count(out, "\r\033[K") < 5 || !strings.Contains(out, "\r\033[Kskipped image app:2 (000000000000): image now used by container web\n") ||
			!strings.HasSuffix(out, "Pruning: 4/4 done (1 removed, 1 untagged, 1 skipped, 1 failed)\n") || strings.Contains(out, "removed container job (") {
			t.Errorf("terminal progress:\n%q", out)
		}
	}
}

func TestWhatGoes(t *testing.T) {
	t.Parallel()
	plan, _ := sampleReport()
	if got := WhatGoes(plan); got != "3 objects and 1 tag" {
		t.Errorf("WhatGoes = %q", got)
	}
	if got := WhatGoes(policy.Plan{Actions: plan.Actions[:1]}); got != "1 object" {
		t.Errorf("WhatGoes = %q", got)
	}
}

func imgID(n int) string { return fmt.Sprintf("sha256:%064d", n) }

// pruneJSON decodes prune's document with the plan's actions readable.
type pruneJSON struct {
	Plan struct {
		Actions []map[string]any `json:"actions"`
		Summary policy.Summary   `json:"summary"`
	} `json:"plan"`
	Run     string        `json:"run"`
	Results []PruneResult `json:"results"`
	Summary apply.Summary `json:"summary"`
}
