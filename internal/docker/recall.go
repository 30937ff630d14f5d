package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
)

// No list call says when an image was last tagged, or when a container
// started and finished: only one inspect per object does, and on a host of
// thousands of objects those inspects cost more than everything else a
// snapshot reads. They change rarely, and never silently: every tag, pull,
// load, start or die is an event. So a snapshot remembers what it
// inspected (Recall) with the daemon event it is current as of (the
// mark), and the next one replays the events logged since the mark and
// inspects only the objects they name, the objects it has no facts for,
// and containers whose listed state differs. When the daemon no longer
// holds the mark (it keeps its last 256 events, and forgets them all when
// it restarts), nothing recalled is trusted and everything is inspected,
// as it would be without a recall. A snapshot made with a recall is the
// snapshot made without one.

// Recall is what earlier snapshots of a daemon learned from inspects, as
// of the daemon event Mark.
type Recall struct {
	// Mark is the newest daemon event the facts account for: any change
	// to them is an event logged after it.
	Mark       *EventMark                `json:"mark,omitempty"`
	Images     map[string]ImageFacts     `json:"images,omitempty"`
	Containers map[string]ContainerFacts `json:"containers,omitempty"`

	changed bool
}

// Changed says whether the recall differs from the one the snapshot
// started from: whether it is worth saving.
func (r *Recall) Changed() bool { return r != nil && r.changed }

// recallMark is r's mark, nil for no recall.
func recallMark(r *Recall) *EventMark {
	if r == nil {
		return nil
	}
	return r.Mark
}

// EventMark identifies one event in the daemon's buffer.
type EventMark struct {
	TimeNano int64  `json:"time_nano"`
	Type     string `json:"type"`
	Action   string `json:"action"`
	ID       string `json:"id"`
}

// ImageFacts are what only an image's inspect tells.
type ImageFacts struct {
	Created     time.Time `json:"created,omitzero"`
	LastTagTime time.Time `json:"last_tag_time,omitzero"`
}

// ContainerFacts are what only a container's inspect tells.
type ContainerFacts struct {
	State      string    `json:"state,omitempty"`
	Created    time.Time `json:"created,omitzero"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// Prior is what a snapshot may start from: the recall an earlier one left
// (nil for none) and the daemon's clock, which bounds the events replayed.
// A zero Prior (no clock) replays nothing and inspects everything: for
// engines whose events are not Docker's (Podman).
type Prior struct {
	Recall *Recall
	Clock  DaemonClock
	// DiskUsageLists says the daemon's disk usage lists its images and
	// containers as its list calls do (Docker's), so that the snapshot
	// need not ask for them twice.
	DiskUsageLists bool
}

// PriorFunc supplies the prior once the snapshot's lists are in; it may
// wait for the daemon's identity, which says where the recall is kept.
type PriorFunc func(ctx context.Context) (Prior, error)

// DaemonClock reads the daemon's clock: the time it reported, and when
// (on this process's monotonic clock) the answer arrived.
type DaemonClock struct {
	reported time.Time
	received clock.Stopwatch
}

// Now is the daemon's time now, as far as the client can tell: never
// later than the daemon's own clock, since the report was made before it
// arrived. Zero when the daemon did not say.
func (c DaemonClock) Now() time.Time {
	if c.reported.IsZero() {
		return time.Time{}
	}
	return c.reported.Add(c.received.Elapsed())
}

// replayTimeout bounds the replay of buffered events, which the daemon
// answers at once; were the daemon's clock to step back, it would instead
// wait for until to come.
const replayTimeout = 5 * time.Second

// EventsAPI is what a replay reads, as a subscription does.
var _ EventsAPI = client.APIClient(nil)

// replay reads the image and container events the daemon still holds from
// a second before mark (from its oldest when mark is nil) up to until, in
// the order the daemon logged them.
func replay(ctx context.Context, api EventsAPI, mark *EventMark, until time.Time) ([]events.Message, error) {
	ctx, cancel := context.WithTimeout(ctx, replayTimeout)
	defer cancel()
	since := time.Unix(1, 0)
	if mark != nil {
		since = time.Unix(0, mark.TimeNano).Add(-time.Second)
	}
	res := api.Events(ctx, client.EventsListOptions{
		Since:   apiTimestamp(since),
		Until:   apiTimestamp(until),
		Filters: make(client.Filters).Add("type", string(events.ImageEventType), string(events.ContainerEventType)),
	})
	var out []events.Message
	for {
		select {
		case m := <-res.Messages:
			normEvent(&m)
			out = append(out, m)
		case err := <-res.Err:
			if err == nil || errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, wrapAPIError("reading the daemon's recent events", err)
		}
	}
}

// apiTimestamp writes t as the events API reads it: seconds.nanoseconds.
func apiTimestamp(t time.Time) string {
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}

func markOf(m events.Message) *EventMark {
	return &EventMark{TimeNano: m.TimeNano, Type: string(m.Type), Action: string(m.Action), ID: m.Actor.ID}
}

func (k *EventMark) is(m events.Message) bool {
	return k.TimeNano == m.TimeNano && k.Type == string(m.Type) && k.Action == string(m.Action) && k.ID == m.Actor.ID
}

// since returns the events logged after the mark, and whether the daemon
// still holds it: when it does not, events may have been lost.
func since(mark *EventMark, msgs []events.Message) ([]events.Message, bool) {
	if mark == nil {
		return nil, false
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if mark.is(msgs[i]) {
			return msgs[i+1:], true
		}
	}
	return nil, false
}

// usable is what of a recall a snapshot may use: nothing (recall nil) when
// there was none or the daemon no longer holds its mark; else every fact
// but those of the objects the events since the mark name.
type usable struct {
	recall *Recall
	// allImages says no image's facts can be used: an event named a
	// reference no image holds any more.
	allImages          bool
	images, containers map[string]bool
}

// usableFacts finds what the events since the recall's mark may have
// changed: the images they name (by ID, or by a reference the image now
// holds; a reference no image holds any more, say one pulled and then
// moved, may have dated an image it cannot name, so it makes every image
// stale) and the containers they name.
func usableFacts(r *Recall, msgs []events.Message, images []policy.Image) usable {
	after, ok := since(recallMark(r), msgs)
	if !ok {
		return usable{}
	}
	u := usable{recall: r, images: map[string]bool{}, containers: map[string]bool{}}
	var byRef map[string]string
	for _, m := range after {
		switch m.Type {
		case events.ContainerEventType:
			u.containers[m.Actor.ID] = true
		case events.ImageEventType:
			for _, name := range []string{m.Actor.ID, m.Actor.Attributes["name"]} {
				if name == "" {
					continue
				}
				if strings.HasPrefix(name, "sha256:") { // an ID: gone, or named
					u.images[name] = true
					continue
				}
				if byRef == nil {
					byRef = imagesByRef(images)
				}
				if id, ok := byRef[policy.NormalizeRef(name)]; ok {
					u.images[id] = true
				} else {
					u.allImages = true
				}
			}
		}
	}
	return u
}

// imagesByRef maps every tag and digest reference of images to the
// image's ID.
func imagesByRef(images []policy.Image) map[string]string {
	m := make(map[string]string)
	for _, img := range images {
		for _, ref := range img.Tags {
			m[ref] = img.ID
		}
		for _, ref := range img.Digests {
			m[policy.NormalizeRef(ref)] = img.ID
		}
	}
	return m
}

// image returns the recalled facts of an image, when they can be used.
func (u usable) image(id string) (ImageFacts, bool) {
	if u.recall == nil || u.allImages || u.images[id] {
		return ImageFacts{}, false
	}
	f, ok := u.recall.Images[id]
	return f, ok
}

// container returns the recalled facts of a container, when they can be
// used: the list must show the state they were taken in.
func (u usable) container(c container.Summary) (ContainerFacts, bool) {
	if u.recall == nil || u.containers[c.ID] {
		return ContainerFacts{}, false
	}
	f, ok := u.recall.Containers[c.ID]
	if !ok || f.State != string(c.State) {
		return ContainerFacts{}, false
	}
	return f, true
}

func imageFactsOf(r image.InspectResponse) ImageFacts {
	return ImageFacts{Created: parseAPITime(r.Created), LastTagTime: r.Metadata.LastTagTime}
}

func containerFactsOf(r container.InspectResponse) ContainerFacts {
	f := ContainerFacts{Created: parseAPITime(r.Created)}
	if r.State != nil {
		f.State = string(r.State.Status)
		f.StartedAt = parseAPITime(r.State.StartedAt)
		f.FinishedAt = parseAPITime(r.State.FinishedAt)
	}
	return f
}

// applyImageFacts adds what only inspect knows to img.
func applyImageFacts(img *policy.Image, f ImageFacts) {
	img.LastTagTime = f.LastTagTime
	if !f.Created.IsZero() {
		img.Created = f.Created // more precise than the list's seconds
	}
}

// applyContainerFacts adds what only inspect knows to c.
func applyContainerFacts(c *policy.Container, f ContainerFacts) {
	if !f.Created.IsZero() {
		c.Created = f.Created
	}
	c.StartedAt = f.StartedAt
	c.FinishedAt = f.FinishedAt
	if f.State != "" {
		c.State = f.State
	}
}
