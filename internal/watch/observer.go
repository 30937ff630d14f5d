package watch

import "time"

// Observer hears what the watcher does, for metrics: internal/metrics
// implements it. Its methods are called from the watcher's loop, one at a
// time, and must not block.
type Observer interface {
	// Alive is called on every turn of the loop, at least every
	// Timing.PollPolicy: a liveness probe can tell a wedged watcher.
	Alive(at time.Time)
	// Following says whether the watcher follows the daemon's events.
	Following(up bool)
	// Reconnected counts a connection to the daemon made again after it
	// was lost.
	Reconnected()
	// Event counts an event, with how long after it happened it arrived.
	Event(typ, action string, lag time.Duration)
	// Tracked is how many images the state knows.
	Tracked(images int)
	// Enforced is an enforcement's outcome, and how long it took.
	Enforced(out Outcome, took time.Duration, at time.Time)
	// Failed counts an error by kind: "daemon", "event", "state", "policy".
	Failed(kind string)
}

// nopObserver hears nothing.
type nopObserver struct{}

func (nopObserver) Alive(time.Time)                            {}
func (nopObserver) Following(bool)                             {}
func (nopObserver) Reconnected()                               {}
func (nopObserver) Event(string, string, time.Duration)        {}
func (nopObserver) Tracked(int)                                {}
func (nopObserver) Enforced(Outcome, time.Duration, time.Time) {}
func (nopObserver) Failed(string)                              {}
