package watch

import (
	"testing"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/google/go-cmp/cmp"
)

// A tracker scenario: a state, then a view, then events (a step each).
type trackerStep func(tr *tracker)

var (
	stT0  = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	stDay = func(days float64) time.Time { return stT0.Add(time.Duration(days * 24 * float64(time.Hour))) }
)

const (
	stIDA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	stIDB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	stIDC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
)

func trView(at time.Time, images []docker.ViewImage, containers ...docker.ViewContainer) trackerStep {
	return func(tr *tracker) { tr.reconcile(docker.View{At: at, Images: images, Containers: containers}) }
}

func trArrive(id string, at time.Time, refs ...string) trackerStep {
	return func(tr *tracker) { tr.arrived(id, refs, at) }
}

func trTag(id, ref string, at time.Time) trackerStep {
	return func(tr *tracker) { tr.tagged(id, ref, at) }
}

func trDel(id string, at time.Time) trackerStep {
	return func(tr *tracker) { tr.deleted(id, at) }
}

func trUse(id string, at time.Time) trackerStep {
	return func(tr *tracker) { tr.used(id, at) }
}

func TestTracker(t *testing.T) {
	t.Parallel()
	old := stDay(-400) // Created of most images: long before anything here
	tests := []struct {
		name     string
		horizon  time.Time // of the state before the steps
		before   map[string]*store.ImageRecord
		steps    []trackerStep
		want     map[string]*store.ImageRecord
		horizon2 time.Time // want; zero: the last view's time
	}{
		{
			name: "first start: everything is first seen now",
			steps: []trackerStep{trView(stDay(0), []docker.ViewImage{
				{ID: stIDA, Refs: []string{"app:2", "app:1"}, Created: old},
				{ID: stIDB, Created: old},
			})},
			want: map[string]*store.ImageRecord{
				stIDA: {FirstSeen: stDay(0), FirstSeenLowerBound: true, Refs: []string{"app:1", "app:2"}},
				stIDB: {FirstSeen: stDay(0), FirstSeenLowerBound: true},
			},
		},
		{
			name:    "after a gap: new images are dated when first seen (a lower bound), known ones keep their dates, gone ones go",
			horizon: stDay(5),
			before: map[string]*store.ImageRecord{
				stIDA: {FirstSeen: stDay(1), LastUsed: stDay(2), Refs: []string{"app:1"}},
				stIDC: {FirstSeen: stDay(1)},
			},
			steps: []trackerStep{trView(stDay(9), []docker.ViewImage{
				{ID: stIDA, Refs: []string{"app:1", "app:x"}, Created: old},
				{ID: stIDB, Refs: []string{"new:1"}, Created: old},
			})},
			want: map[string]*store.ImageRecord{
				stIDA: {FirstSeen: stDay(1), LastUsed: stDay(2), Refs: []string{"app:1", "app:x"}},
				stIDB: {FirstSeen: stDay(9), FirstSeenLowerBound: true, Refs: []string{"new:1"}},
			},
		},
		{
			// Not from the horizon, when it may not have been there yet.
			name:    "an image that came during the gap is dated when first seen",
			horizon: stDay(5),
			steps:   []trackerStep{trView(stDay(9), []docker.ViewImage{{ID: stIDB, Created: stDay(7)}})},
			want:    map[string]*store.ImageRecord{stIDB: {FirstSeen: stDay(9), FirstSeenLowerBound: true}},
		},
		{
			name:    "a replayed event dates an image of the gap more closely; later ones do not",
			horizon: stDay(5),
			steps: []trackerStep{
				trView(stDay(9), []docker.ViewImage{{ID: stIDB, Created: old}}),
				trArrive(stIDB, stDay(6), "new:1"),
				trTag(stIDB, "new:2", stDay(7)), // replayed too, but not the first
				trArrive(stIDB, stDay(10)),      // news: a load of the same image
			},
			want: map[string]*store.ImageRecord{stIDB: {FirstSeen: stDay(6), Refs: []string{"new:1"}}},
		},
		{
			name:    "replayed events never revive nor remove what the view says",
			horizon: stDay(5),
			before:  map[string]*store.ImageRecord{stIDA: {FirstSeen: stDay(1)}},
			steps: []trackerStep{
				trView(stDay(9), []docker.ViewImage{{ID: stIDA, Created: old}}),
				trArrive(stIDC, stDay(6), "gone:1"), // loaded, then deleted during the gap
				trUse(stIDC, stDay(6.5)),
				trDel(stIDA, stDay(7)), // deleted, then loaded again, during the gap
				trArrive(stIDA, stDay(8)),
			},
			want: map[string]*store.ImageRecord{stIDA: {FirstSeen: stDay(1)}},
		},
		{
			name: "news: arrivals, uses, deletions",
			steps: []trackerStep{
				trView(stDay(0), []docker.ViewImage{{ID: stIDA, Refs: []string{"app:1"}, Created: old}}),
				trArrive(stIDB, stDay(1), "new:1"),
				trUse(stIDB, stDay(2)),
				trUse(stIDB, stDay(1.5)), // events of one container may come late: the newest counts
				trUse(stIDC, stDay(3)),   // an image the watcher never saw arrive (an untagged commit)
				trDel(stIDA, stDay(4)),
			},
			want: map[string]*store.ImageRecord{
				stIDB: {FirstSeen: stDay(1), LastUsed: stDay(2), Refs: []string{"new:1"}},
				stIDC: {FirstSeen: stDay(3), FirstSeenLowerBound: true, LastUsed: stDay(3)},
			},
			horizon2: stDay(0),
		},
		{
			name: "a tag moved to another image leaves the first",
			steps: []trackerStep{
				trView(stDay(0), []docker.ViewImage{
					{ID: stIDA, Refs: []string{"app:1", "app:latest"}, Created: old},
					{ID: stIDB, Refs: []string{"app:2"}, Created: old},
				}),
				trTag(stIDB, "app:latest", stDay(1)),
			},
			want: map[string]*store.ImageRecord{
				stIDA: {FirstSeen: stDay(0), FirstSeenLowerBound: true, Refs: []string{"app:1"}},
				stIDB: {FirstSeen: stDay(0), FirstSeenLowerBound: true, Refs: []string{"app:2", "app:latest"}},
			},
			horizon2: stDay(0),
		},
		{
			name: "containers of the view are uses: running ones now, others at creation",
			steps: []trackerStep{trView(stDay(9),
				[]docker.ViewImage{{ID: stIDA, Created: old}, {ID: stIDB, Created: old}, {ID: stIDC, Created: old}},
				docker.ViewContainer{ID: "c1", ImageID: stIDA, Running: true, Created: stDay(1)},
				docker.ViewContainer{ID: "c2", ImageID: stIDB, Created: stDay(2)},
				docker.ViewContainer{ID: "c3", ImageID: stIDB, Created: stDay(3)},
				docker.ViewContainer{ID: "c4", ImageID: "sha256:gone", Created: stDay(3)},
			)},
			want: map[string]*store.ImageRecord{
				stIDA: {FirstSeen: stDay(9), FirstSeenLowerBound: true, LastUsed: stDay(9)},
				stIDB: {FirstSeen: stDay(9), FirstSeenLowerBound: true, LastUsed: stDay(3)},
				stIDC: {FirstSeen: stDay(9), FirstSeenLowerBound: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := store.NewState()
			st.Horizon = tt.horizon
			for id, rec := range tt.before {
				st.Images[id] = rec
			}
			tr := newTracker(st)
			for _, step := range tt.steps {
				step(tr)
			}
			if diff := cmp.Diff(tt.want, st.Images); diff != "" {
				t.Errorf("images (-want +got):\n%s", diff)
			}
			want := tt.horizon2
			if want.IsZero() {
				want = tr.viewAt
			}
			if !st.Horizon.Equal(want) {
				t.Errorf("horizon %v, want %v", st.Horizon, want)
			}
		})
	}
}

func TestTrackerResolvesContainersAndTags(t *testing.T) {
	t.Parallel()
	tr := newTracker(store.NewState())
	tr.reconcile(docker.View{At: stDay(0),
		Images:     []docker.ViewImage{{ID: stIDA, Refs: []string{"app:1"}}},
		Containers: []docker.ViewContainer{{ID: "c1", ImageID: stIDA}},
	})
	if id, ok := tr.containerImage("c1"); !ok || id != stIDA {
		t.Errorf("containerImage(c1) = %q, %v", id, ok)
	}
	tr.rememberContainer("c2", stIDB)
	tr.forgetContainer("c1")
	if _, ok := tr.containerImage("c1"); ok {
		t.Error("c1 not forgotten")
	}
	if id, _ := tr.containerImage("c2"); id != stIDB {
		t.Errorf("containerImage(c2) = %q", id)
	}
	if id, ok := tr.imageByRef("app:1"); !ok || id != stIDA {
		t.Errorf("imageByRef(app:1) = %q, %v", id, ok)
	}
	tr.arrived(stIDB, []string{"app:1"}, stDay(1)) // the tag moved; a pull says so
	if id, _ := tr.imageByRef("app:1"); id != stIDB {
		t.Errorf("after the move imageByRef(app:1) = %q", id)
	}
	if refs := tr.st.Images[stIDA].Refs; len(refs) != 0 {
		t.Errorf("the old image keeps %v", refs)
	}
	tr.setRefs(stIDB, nil) // untagged
	if _, ok := tr.imageByRef("app:1"); ok {
		t.Error("app:1 still resolves after the untag")
	}
	tr.dirty = false
	tr.advanceHorizon(stDay(-1))
	if tr.dirty || !tr.st.Horizon.Equal(stDay(0)) {
		t.Errorf("the horizon went back: %v", tr.st.Horizon)
	}
	tr.advanceHorizon(stDay(2))
	if !tr.dirty || !tr.st.Horizon.Equal(stDay(2)) {
		t.Errorf("horizon %v", tr.st.Horizon)
	}
}
