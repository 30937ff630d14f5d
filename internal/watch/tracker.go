package watch

import (
	"slices"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/docker"
	"github.com/docker-shaper/docker-shaper/internal/store"
)

// tracker keeps the watcher's state up to date from views of the host and
// events. It is pure: the watcher resolves what events leave out (image IDs
// behind references, a container's image) before calling it.
//
// Events dated before the last view (the daemon replays what it still holds
// from the horizon on) only refine what the view found: they never bring
// back an image the view did not have, nor remove one it had. Later events
// are news: they add, date and remove images.
type tracker struct {
	st *store.State
	// byRef maps a tag to the image it names.
	byRef map[string]string
	// containers maps container IDs to the image they were created from.
	containers map[string]string
	// gone are the images deleted since the state was last saved, so that
	// merging what another writer saved in the meantime does not bring
	// their records back.
	gone map[string]bool
	// viewAt is when the last view was taken.
	viewAt time.Time
	// dirty says the state changed since it was last saved.
	dirty bool
}

func newTracker(st *store.State) *tracker {
	t := &tracker{
		st:         st,
		byRef:      make(map[string]string),
		containers: make(map[string]string),
		gone:       make(map[string]bool),
	}
	for id, rec := range st.Images {
		for _, r := range rec.Refs {
			t.byRef[r] = id
		}
	}
	return t
}

// reconcile makes the state agree with a fresh view of the host, taken on
// start, after every reconnect and before every enforcement. Images the
// state did not have arrived while nobody was looking: they are dated from
// the view, the first time docker-shaper saw them, as a lower bound (an
// event the daemon replays may then date them more closely). Never from
// the horizon, when they may not have been there yet: that would make
// them look older than they are. Images the view does not have are gone
// and forgotten. Containers of the view count as uses of their images: a
// running one now, another at its creation. The view becomes the new
// horizon. It returns how many images were added and forgotten.
func (t *tracker) reconcile(v docker.View) (added, forgotten int) {
	present := make(map[string]bool, len(v.Images))
	t.byRef = make(map[string]string, len(v.Images))
	for _, img := range v.Images {
		present[img.ID] = true
		rec := t.st.Images[img.ID]
		if rec == nil {
			rec = &store.ImageRecord{FirstSeen: v.At, FirstSeenLowerBound: true}
			t.st.Images[img.ID] = rec
			added++
		}
		rec.Refs = slices.Compact(slices.Sorted(slices.Values(img.Refs)))
		for _, r := range rec.Refs {
			t.byRef[r] = img.ID
		}
	}
	for id := range t.st.Images {
		if !present[id] {
			delete(t.st.Images, id)
			t.gone[id] = true
			forgotten++
		}
	}
	t.containers = make(map[string]string, len(v.Containers))
	for _, c := range v.Containers {
		t.containers[c.ID] = c.ImageID
		rec := t.st.Images[c.ImageID]
		if rec == nil {
			continue
		}
		at := c.Created
		if c.Running {
			at = v.At
		}
		rec.LastUsed = maxTime(rec.LastUsed, at)
	}
	t.viewAt = v.At
	t.st.Horizon = maxTime(t.st.Horizon, v.At)
	t.dirty = true
	return added, forgotten
}

// merge takes in what another writer saved in the state file since the
// tracker's state was read (see store.State.Merge), and indexes the tags of
// records it adds.
func (t *tracker) merge(disk *store.State) {
	t.st.Merge(disk, t.gone)
	for id, rec := range t.st.Images {
		for _, r := range rec.Refs {
			if _, ok := t.byRef[r]; !ok {
				t.byRef[r] = id
			}
		}
	}
}

// replayed says whether an event at was replayed from before the last view.
func (t *tracker) replayed(at time.Time) bool { return at.Before(t.viewAt) }

// arrived records that image id came (pull, load, import, or a tag) at at.
// refs, when not nil, are all its tags as the daemon has them now.
func (t *tracker) arrived(id string, refs []string, at time.Time) {
	rec := t.st.Images[id]
	switch {
	case rec == nil && t.replayed(at):
		// Gone by the time of the view (or never a top-level image).
		return
	case rec == nil:
		rec = &store.ImageRecord{FirstSeen: at}
		t.st.Images[id] = rec
		t.dirty = true
	case rec.FirstSeenLowerBound && at.Before(rec.FirstSeen):
		// An event that dates the arrival of an image first seen without
		// one (in a view, or by another command): closer to the truth, and
		// earlier, so the record was a lower bound indeed.
		rec.FirstSeen, rec.FirstSeenLowerBound = at, false
		t.dirty = true
	}
	if refs != nil {
		t.setRefs(id, refs)
	}
}

// tagged records that ref was applied to image id at at. A tag names one
// image: whichever image had it before lost it (the daemon says nothing
// about that image).
func (t *tracker) tagged(id, ref string, at time.Time) {
	t.arrived(id, nil, at)
	rec := t.st.Images[id]
	if rec == nil || ref == "" || t.replayed(at) {
		return // the view knows the tags better than an old event
	}
	if old, ok := t.byRef[ref]; ok && old != id {
		if orec := t.st.Images[old]; orec != nil {
			orec.Refs = slices.DeleteFunc(orec.Refs, func(r string) bool { return r == ref })
		}
	}
	t.byRef[ref] = id
	if !slices.Contains(rec.Refs, ref) {
		rec.Refs = slices.Compact(slices.Sorted(slices.Values(append(rec.Refs, ref))))
	}
	t.dirty = true
}

// setRefs records the tags image id has now.
func (t *tracker) setRefs(id string, refs []string) {
	rec := t.st.Images[id]
	if rec == nil {
		return
	}
	refs = slices.Compact(slices.Sorted(slices.Values(refs)))
	for _, r := range rec.Refs {
		if t.byRef[r] == id && !slices.Contains(refs, r) {
			delete(t.byRef, r)
		}
	}
	for _, r := range refs {
		if old, ok := t.byRef[r]; ok && old != id {
			if orec := t.st.Images[old]; orec != nil {
				orec.Refs = slices.DeleteFunc(orec.Refs, func(x string) bool { return x == r })
			}
		}
		t.byRef[r] = id
	}
	if !slices.Equal(rec.Refs, refs) {
		rec.Refs = refs
		t.dirty = true
	}
}

// deleted records that image id was deleted at at.
func (t *tracker) deleted(id string, at time.Time) {
	rec := t.st.Images[id]
	if rec == nil || t.replayed(at) {
		return
	}
	for _, r := range rec.Refs {
		if t.byRef[r] == id {
			delete(t.byRef, r)
		}
	}
	delete(t.st.Images, id)
	t.gone[id] = true
	t.dirty = true
}

// used records that a container of image id was created, started or
// stopped at at. An image the watcher has no record of (an untagged commit,
// say) is first seen then.
func (t *tracker) used(id string, at time.Time) {
	rec := t.st.Images[id]
	switch {
	case id == "":
		return
	case rec == nil && t.replayed(at):
		return
	case rec == nil:
		// It was there when the container used it; since when, nobody
		// knows.
		rec = &store.ImageRecord{FirstSeen: at, FirstSeenLowerBound: true}
		t.st.Images[id] = rec
	}
	if at.After(rec.LastUsed) {
		rec.LastUsed = at
		t.dirty = true
	}
}

// containerImage returns the image container id was created from, when
// known.
func (t *tracker) containerImage(id string) (string, bool) {
	img, ok := t.containers[id]
	return img, ok
}

// rememberContainer records the image container id was created from.
func (t *tracker) rememberContainer(id, imageID string) { t.containers[id] = imageID }

// forgetContainer forgets a removed container.
func (t *tracker) forgetContainer(id string) { delete(t.containers, id) }

// imageByRef returns the image a tag names, as far as the watcher knows.
func (t *tracker) imageByRef(ref string) (string, bool) {
	id, ok := t.byRef[ref]
	return id, ok
}

// advanceHorizon moves the horizon to at: the watcher knew the full state
// of the host until then.
func (t *tracker) advanceHorizon(at time.Time) {
	if at.After(t.st.Horizon) {
		t.st.Horizon = at
		t.dirty = true
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
