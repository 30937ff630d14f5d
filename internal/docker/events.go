package docker

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/docker-shaper/docker-shaper/policy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
)

// The watcher's side of the Docker API: the event stream, the light view
// of the host it takes on (re)connecting, and the inspects that resolve
// what events leave out.

// WatchAPI is what the watcher reads from the daemon. Every call is
// read-only.
type WatchAPI interface {
	Events(ctx context.Context, options client.EventsListOptions) client.EventsResult
	ImageList(ctx context.Context, options client.ImageListOptions) (client.ImageListResult, error)
	ImageInspect(ctx context.Context, image string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error)
	ContainerList(ctx context.Context, options client.ContainerListOptions) (client.ContainerListResult, error)
	ContainerInspect(ctx context.Context, container string, options client.ContainerInspectOptions) (client.ContainerInspectResult, error)
	IdentifyAPI
}

var _ WatchAPI = client.APIClient(nil)

// Event is one event the watcher follows, in its own terms.
type Event struct {
	Time time.Time
	// Type is "image" or "container".
	Type string
	// Action is the event's action: pull, tag, untag, load, import,
	// delete; create, start, die, destroy.
	Action string
	// ID is the image ID (a reference, for pull events) or the container
	// ID; "" for a load on Podman, which does not say what it loaded.
	ID string
	// Name is the tag an image tag event applied (normalised as plans
	// write references); the name of a network; "" otherwise.
	Name string
	// Image is the image a container was created from, as given (a
	// reference or an ID); "" for image events.
	Image string
	// Container is the container a network connect or disconnect names.
	Container string
}

// Event types and actions the watcher follows. Everything else (exec,
// health checks, attach, network and volume events, …) is filtered out by
// the daemon, so noisy containers cost the watcher nothing.
var (
	watchedTypes   = []string{string(events.ImageEventType), string(events.ContainerEventType)}
	watchedActions = []string{
		// Images arriving (a build on the legacy builder, and BuildKit's
		// exporter, announce themselves with tag), losing tags, going.
		string(events.ActionPull), string(events.ActionTag), string(events.ActionUnTag),
		string(events.ActionLoad), string(events.ActionImport), string(events.ActionDelete),
		// Containers using them.
		string(events.ActionCreate), string(events.ActionStart), string(events.ActionDie),
		string(events.ActionDestroy),
	}
)

// EventStream is a subscription to the daemon's events.
type EventStream struct {
	// Events delivers the events in order.
	Events <-chan Event
	// Err delivers the one error that ends the stream (io.EOF when the
	// daemon closed it).
	Err    <-chan error
	cancel context.CancelFunc
}

// NewEventStream is a stream of the given channels, which cancel ends:
// for tests of what reads streams.
func NewEventStream(events <-chan Event, errs <-chan error, cancel func()) *EventStream {
	return &EventStream{Events: events, Err: errs, cancel: cancel}
}

// Close ends the subscription.
func (s *EventStream) Close() { s.cancel() }

// Event types and actions the live view (docker shaper status) follows:
// whatever changes an object a plan decides about.
var (
	hostTypes   = append(slices.Clone(watchedTypes), string(events.VolumeEventType), string(events.NetworkEventType))
	hostActions = append(slices.Clone(watchedActions),
		// Containers changing state or name (stop and kill come with die).
		string(events.ActionPause), string(events.ActionUnPause), string(events.ActionRename),
		// Volumes and networks coming and going, containers joining and
		// leaving networks.
		string(events.ActionConnect), string(events.ActionDisconnect))
)

// EventsAPI is what a subscription reads.
type EventsAPI interface {
	Events(ctx context.Context, options client.EventsListOptions) client.EventsResult
}

// Subscribe follows the daemon's image and container events that matter to
// the watcher, from since (the daemon replays what it still holds, the last
// 256 events at most) when since is set, else from now. engine is the
// daemon's (DetectEngine): Docker filters the events by name; Podman
// matches event filters against its own names, not the ones it reports,
// so there the type filter alone goes to the daemon and the rest are
// dropped here, and its names are translated (podmanActions).
func Subscribe(ctx context.Context, api EventsAPI, engine string, since time.Time) *EventStream {
	return subscribe(ctx, api, since, watchedTypes, watchedActions, engine != EnginePodman)
}

// SubscribeHost follows, from now, every event that changes an object a
// plan decides about: images and containers as for the watcher, containers
// pausing and being renamed, volumes and networks created and destroyed,
// containers connected to networks and disconnected. It subscribes before
// the daemon has said which engine it is, so the actions are filtered here
// on every engine.
func SubscribeHost(ctx context.Context, api EventsAPI) *EventStream {
	return subscribe(ctx, api, time.Time{}, hostTypes, hostActions, false)
}

// subscribe follows events of the given types and actions; the daemon
// filters by action only when daemonFilters (see Subscribe), and the
// actions are always checked here as well.
func subscribe(ctx context.Context, api EventsAPI, since time.Time, types, actions []string, daemonFilters bool) *EventStream {
	ctx, cancel := context.WithCancel(ctx)
	filters := make(client.Filters).Add("type", types...)
	if daemonFilters {
		filters.Add("event", actions...)
	}
	opts := client.EventsListOptions{Filters: filters}
	if !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}
	res := api.Events(ctx, opts)
	out := make(chan Event)
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		for {
			select {
			case m := <-res.Messages:
				ev, ok := eventFromMessage(m, actions)
				if !ok {
					continue
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					errc <- ctx.Err()
					return
				}
			case err := <-res.Err:
				if err == nil { // closed without an error: treat as the end
					err = context.Canceled
				}
				errc <- err
				return
			}
		}
	}()
	return &EventStream{Events: out, Err: errc, cancel: cancel}
}

// eventFromMessage converts an event message; ok is false for events
// whose action is not among actions (those the daemon was not asked to
// filter out, or should it ignore part of the filter).
func eventFromMessage(m events.Message, actions []string) (Event, bool) {
	normEvent(&m)
	if a, ok := podmanActions[string(m.Type)+" "+string(m.Action)]; ok {
		m.Action = a
	}
	if !slices.Contains(actions, string(m.Action)) {
		return Event{}, false
	}
	ev := Event{
		Type:   string(m.Type),
		Action: string(m.Action),
		ID:     m.Actor.ID,
	}
	switch {
	case m.TimeNano != 0:
		ev.Time = time.Unix(0, m.TimeNano).UTC()
	default:
		ev.Time = time.Unix(m.Time, 0).UTC()
	}
	switch m.Type {
	case events.ImageEventType:
		if m.Action == events.ActionTag {
			ev.Name = policy.NormalizeRef(m.Actor.Attributes["name"])
		}
	case events.ContainerEventType:
		ev.Image = m.Actor.Attributes["image"]
	case events.VolumeEventType: // the ID is the volume's name
	case events.NetworkEventType:
		ev.Name = m.Actor.Attributes["name"]
		ev.Container = m.Actor.Attributes["container"]
	default:
		return ev, false
	}
	if ev.ID == "" && !(m.Type == events.ImageEventType && m.Action == events.ActionLoad) {
		return ev, false
	}
	return ev, true
}

// podmanActions are the actions Podman reports under other names than
// Docker's, by "type action": a removed container, and a load (which names
// the archive, not the images: its ID is "").
var podmanActions = map[string]events.Action{
	"container remove":      events.ActionDestroy,
	"image loadfromarchive": events.ActionLoad,
}

// View is the part of the host the watcher keeps track of, read in two
// list calls when it (re)connects.
type View struct {
	// At is when the view was taken (just before the list calls).
	At         time.Time
	Images     []ViewImage
	Containers []ViewContainer
}

// ViewImage is one image of a View.
type ViewImage struct {
	ID      string
	Refs    []string // familiar, as plans write them
	Created time.Time
}

// ViewContainer is one container of a View.
type ViewContainer struct {
	ID      string
	ImageID string
	Running bool
	Created time.Time
}

// TakeView lists the images (tagged and dangling: the ones plans act on)
// and every container.
func TakeView(ctx context.Context, api WatchAPI, at time.Time) (View, error) {
	imgs, err := api.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return View{}, wrapAPIError("listing images", err)
	}
	normImages(imgs.Items)
	cs, err := api.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return View{}, wrapAPIError("listing containers", err)
	}
	normContainers(cs.Items)
	v := View{At: at}
	for _, it := range imgs.Items {
		v.Images = append(v.Images, ViewImage{
			ID:      it.ID,
			Refs:    refsExcept(it.RepoTags, "<none>:<none>", policy.NormalizeRef),
			Created: unixTime(it.Created),
		})
	}
	for _, it := range cs.Items {
		v.Containers = append(v.Containers, ViewContainer{
			ID:      it.ID,
			ImageID: it.ImageID,
			Running: it.State == container.StateRunning || it.State == container.StatePaused || it.State == container.StateRestarting,
			Created: unixTime(it.Created),
		})
	}
	return v, nil
}

// InspectImageRefs returns the ID and tags of the image ref names (an ID or
// a reference). A missing image is a cerrdefs.IsNotFound error.
func InspectImageRefs(ctx context.Context, api WatchAPI, ref string) (id string, refs []string, err error) {
	res, err := api.ImageInspect(ctx, ref)
	if err != nil {
		return "", nil, err
	}
	normInspect(&res.InspectResponse)
	return res.ID, refsExcept(res.RepoTags, "<none>:<none>", policy.NormalizeRef), nil
}

// InspectContainerImage returns the ID of the image container id was
// created from.
func InspectContainerImage(ctx context.Context, api WatchAPI, id string) (string, error) {
	res, err := api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return "", err
	}
	normContainerInspect(&res.Container)
	return res.Container.Image, nil
}
