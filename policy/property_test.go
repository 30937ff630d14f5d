package policy

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// Properties of Evaluate on random hosts and random valid policies, each
// iteration with its own fixed seed (a failure names it; rerun it with
// -run 'TestPlanProperties/seed=N'):
//
//	(a) Evaluate is deterministic;
//	(b) applying the plan (simulate) and evaluating again at the same Now
//	    plans nothing more: a second prune right after the first finds
//	    nothing;
//	(c) nothing the first plan kept is due in the second;
//	(d) both plans keep the safety invariants (planViolations).
//
// (b) and (c) are narrowed for one documented reason: an untagged image
// is kept while other images are built on it ("parent of other images");
// when the first plan removes its last child, the second plan may claim it
// as dangling. Such images are left out of (b) and (c), and so are the
// other images of the rule that claims them: a newcomer to a rule's claims
// can push another beyond keep, or the rule's total over max_size.
func TestPlanProperties(t *testing.T) {
	const iterations = 400
	for seed := range uint64(iterations) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			checkPlanProperties(t, seed)
		})
	}
}

func checkPlanProperties(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x5ba9e))
	p, src, s := randomCase(t, r)
	explain := func() string { return fmt.Sprintf("policy:\n%s\nhost: %+v", src, s) }

	plan := Evaluate(p, s)
	if again := Evaluate(p, s); !reflect.DeepEqual(plan, again) {
		t.Fatalf("(a) two evaluations differ\n%s", explain())
	}
	if analyzed, _ := Analyze(p, s); !reflect.DeepEqual(plan, analyzed) {
		t.Fatalf("(a) Analyze's plan differs from Evaluate's\n%s", explain())
	}
	for _, v := range planViolations(p, s, plan) {
		t.Errorf("(d) %s", v)
	}

	s2 := simulate(s, plan)
	checkRemoveMeansGone(t, s, s2, plan)
	plan2 := Evaluate(p, s2)
	for _, v := range planViolations(p, s2, plan2) {
		t.Errorf("(d) second plan: %s", v)
	}

	exposed := map[string]bool{} // parents whose last child the first plan removed
	for _, img := range s.Images {
		if img.HasChildren {
			exposed[img.ID] = true
		}
	}
	for _, img := range s2.Images {
		if img.HasChildren {
			delete(exposed, img.ID)
		}
	}
	joined := map[string]bool{} // rules that claim an exposed image in the second plan
	for _, a := range plan2.Actions {
		if a.Kind == KindImage && exposed[a.ID] {
			joined[a.Rule] = true
		}
	}
	for _, k := range plan2.Kept {
		if k.Kind == KindImage && exposed[k.ID] {
			joined[k.Rule] = true
			if _, claimer, ok := strings.Cut(k.Reason, "(claimed by "); ok {
				joined[strings.TrimSuffix(claimer, ")")] = true
			}
		}
	}
	kept := map[string]bool{}
	for _, k := range plan.Kept {
		kept[objectKey(k.Kind, k.ID, k.Ref, k.Name)] = true
	}
	for _, a := range plan2.Actions {
		if a.Kind == KindBuildCache || a.Kind == KindImage && (exposed[a.ID] || joined[a.Rule]) {
			continue
		}
		t.Errorf("(b) the second plan plans %s %s %s%s (%s: %s)", a.Kind, a.Action, a.Ref, a.Name, a.Rule, a.Reason)
		if kept[objectKey(a.Kind, a.ID, a.Ref, a.Name)] {
			t.Errorf("(c) the first plan kept it")
		}
	}
	if t.Failed() {
		t.Logf("%s", explain())
	}
}

func objectKey(kind, id, ref, name string) string {
	switch kind {
	case KindImage:
		return kind + "|" + id + "|" + ref
	case KindVolume:
		return kind + "|" + name
	}
	return kind + "|" + id
}

// checkRemoveMeansGone checks that the plan's remove/untag verbs say what
// happens to each image: removed images are gone after the plan, untagged
// ones stay.
func checkRemoveMeansGone(t *testing.T, s, s2 Snapshot, plan Plan) {
	t.Helper()
	left := map[string]bool{}
	for _, img := range s2.Images {
		left[img.ID] = true
	}
	removes := map[string]bool{}
	for _, a := range plan.Actions {
		if a.Kind == KindImage && a.Action == ActionRemove {
			removes[a.ID] = true
		}
	}
	for _, img := range s.Images {
		if gone := !left[img.ID]; gone != removes[img.ID] {
			t.Errorf("image %s %v: gone after the plan = %v, planned as a removal = %v", img.ID, img.Tags, gone, removes[img.ID])
		}
	}
}
