// Package clock is the one place docker-shaper reads the wall clock. Every
// other package is handed a Clock, so tests run on a time of their own
// choosing, in parallel, and a boundary test (internal/boundary_test.go)
// keeps it that way.
package clock

import "time"

// Clock returns the current time.
type Clock func() time.Time

// Real is the wall clock, in UTC.
func Real() time.Time { return time.Now().UTC() }

// Seconds is the wall clock in UTC truncated to whole seconds: plans are
// made for a whole second so they print the way they are stored.
func Seconds() time.Time { return time.Now().UTC().Truncate(time.Second) }

// Fixed is a clock stopped at t, for tests.
func Fixed(t time.Time) Clock { return func() time.Time { return t } }

// Since is how long ago t was by c.
func (c Clock) Since(t time.Time) time.Duration { return c().Sub(t) }

// Stopwatch measures real elapsed time (monotonic), whichever Clock the
// caller was given: for following another machine's clock, such as the
// Docker daemon's, from one reading of it.
type Stopwatch struct{ start time.Time }

// Start starts a stopwatch.
func Start() Stopwatch { return Stopwatch{start: time.Now()} }

// Elapsed is the real time since the stopwatch started.
func (s Stopwatch) Elapsed() time.Duration { return time.Since(s.start) }
