// Package metrics serves the watcher's Prometheus metrics and its health:
// what the last enforcement found due and reclaimable, per kind and rule;
// enforcements and their outcomes; removals and bytes freed; errors by
// kind; the last successful run; how late events arrive; reconnections.
// Every name starts with docker_shaper_ (docs/fleet.md lists them).
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/docker-shaper/docker-shaper/internal/apply"
	"github.com/docker-shaper/docker-shaper/internal/clock"
	"github.com/docker-shaper/docker-shaper/internal/store"
	"github.com/docker-shaper/docker-shaper/internal/watch"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is a watch.Observer that keeps what it hears as Prometheus
// metrics in a registry of its own.
type Metrics struct {
	reg   *prometheus.Registry
	clock clock.Clock

	reclaimable  *prometheus.GaugeVec
	due          *prometheus.GaugeVec
	enforcements *prometheus.CounterVec
	removals     *prometheus.CounterVec
	freed        *prometheus.CounterVec
	errors       *prometheus.CounterVec
	lastSuccess  prometheus.Gauge
	lastRun      prometheus.Gauge
	duration     prometheus.Histogram
	eventLag     prometheus.Histogram
	events       *prometheus.CounterVec
	reconnects   prometheus.Counter
	up           prometheus.Gauge
	tracked      prometheus.Gauge

	mu    sync.Mutex
	alive time.Time
}

// New returns the metrics of a watcher; clk is the clock health is judged
// by.
func New(clk clock.Clock) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), clock: clk}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.reclaimable = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "docker_shaper_reclaimable_bytes",
		Help: "Bytes the last enforcement's plan found reclaimable, per kind and rule.",
	}, []string{"kind", "rule"})
	m.due = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "docker_shaper_objects_due",
		Help: "Actions the last enforcement's plan held (objects and tags due), per kind and rule.",
	}, []string{"kind", "rule"})
	m.enforcements = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "docker_shaper_enforcements_total",
		Help: "Enforcements, by outcome: ok, failed (some removal failed or is unknown), error, locked, postponed, interrupted.",
	}, []string{"outcome"})
	m.removals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "docker_shaper_removals_total",
		Help: "Planned actions carried out, by kind and outcome (removed, untagged, skipped, failed, unknown).",
	}, []string{"kind", "outcome"})
	m.freed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "docker_shaper_reclaimed_bytes_total",
		Help: "Bytes reclaimed by removals (the plan's figures; the build cache: the daemon's), by kind.",
	}, []string{"kind"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "docker_shaper_errors_total",
		Help: "Errors, by kind: daemon (lost or unreachable), enforcement, state, policy.",
	}, []string{"kind"})
	m.lastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "docker_shaper_last_success_timestamp_seconds",
		Help: "When the last enforcement that ran to its end without an error finished, as a Unix time.",
	})
	m.lastRun = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "docker_shaper_last_enforcement_timestamp_seconds",
		Help: "When the last enforcement finished, whatever its outcome, as a Unix time.",
	})
	m.duration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "docker_shaper_enforcement_duration_seconds",
		Help:    "How long enforcements take, planning and removals.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
	})
	m.eventLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "docker_shaper_event_lag_seconds",
		Help:    "How long after it happened each daemon event reached the watcher (replayed events count too).",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
	})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "docker_shaper_events_total",
		Help: "Daemon events the watcher followed, by type and action.",
	}, []string{"type", "action"})
	m.reconnects = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "docker_shaper_daemon_reconnects_total",
		Help: "Times the watcher got the daemon back after losing it.",
	})
	m.up = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "docker_shaper_daemon_up",
		Help: "1 while the watcher follows the daemon's events, 0 while it cannot reach it.",
	})
	m.tracked = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "docker_shaper_images_tracked",
		Help: "Images the watcher's state knows.",
	})
	for _, c := range []prometheus.Collector{m.reclaimable, m.due, m.enforcements, m.removals, m.freed, m.errors,
		m.lastSuccess, m.lastRun, m.duration, m.eventLag, m.events, m.reconnects, m.up, m.tracked,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	return m
}

var _ watch.Observer = (*Metrics)(nil)

// Alive records that the watcher's loop turned.
func (m *Metrics) Alive(at time.Time) {
	m.mu.Lock()
	m.alive = at
	m.mu.Unlock()
}

// Following records whether the daemon is followed.
func (m *Metrics) Following(up bool) {
	if up {
		m.up.Set(1)
	} else {
		m.up.Set(0)
	}
}

// Reconnected counts a reconnection.
func (m *Metrics) Reconnected() { m.reconnects.Inc() }

// Event counts an event and its lag.
func (m *Metrics) Event(typ, action string, lag time.Duration) {
	m.events.WithLabelValues(typ, action).Inc()
	m.eventLag.Observe(max(lag, 0).Seconds())
}

// Tracked records how many images the state knows.
func (m *Metrics) Tracked(images int) { m.tracked.Set(float64(images)) }

// Failed counts an error.
func (m *Metrics) Failed(kind string) { m.errors.WithLabelValues(kind).Inc() }

// Enforced records an enforcement: what its plan found due, what its
// removals did, and how it ended.
func (m *Metrics) Enforced(out watch.Outcome, took time.Duration, at time.Time) {
	m.lastRun.Set(float64(at.Unix()))
	m.duration.Observe(took.Seconds())
	var locked *store.LockedError
	switch {
	case errors.As(out.Err, &locked):
		m.enforcements.WithLabelValues("locked").Inc()
		return
	case errors.Is(out.Err, context.Canceled):
		m.enforcements.WithLabelValues("interrupted").Inc()
		return
	case out.Plan == nil:
		m.enforcements.WithLabelValues("postponed").Inc()
		m.errors.WithLabelValues("enforcement").Inc()
		return
	}
	m.reclaimable.Reset()
	m.due.Reset()
	for _, a := range out.Plan.Actions {
		m.reclaimable.WithLabelValues(a.Kind, a.Rule).Add(float64(max(a.Bytes, 0)))
		m.due.WithLabelValues(a.Kind, a.Rule).Inc()
	}
	if out.Report != nil {
		for _, r := range out.Report.Results {
			m.removals.WithLabelValues(r.Action.Kind, r.Outcome).Inc()
			if r.Outcome == apply.OutcomeRemoved {
				m.freed.WithLabelValues(r.Action.Kind).Add(float64(max(r.Bytes, 0)))
			}
		}
	}
	switch {
	case out.Err != nil:
		m.enforcements.WithLabelValues("error").Inc()
		m.errors.WithLabelValues("enforcement").Inc()
	case out.Report != nil && (out.Report.Summary.Failed > 0 || out.Report.Summary.Unknown > 0):
		m.enforcements.WithLabelValues("failed").Inc()
	default:
		m.enforcements.WithLabelValues("ok").Inc()
		m.lastSuccess.Set(float64(at.Unix()))
	}
}

// staleAfter is how long the watcher's loop may go without a turn before
// /healthz says it is wedged: it turns at least every few seconds.
const staleAfter = time.Minute

// healthy says whether the watcher's loop turned recently.
func (m *Metrics) healthy() error {
	m.mu.Lock()
	alive := m.alive
	m.mu.Unlock()
	switch {
	case alive.IsZero():
		return errors.New("the watcher has not started yet")
	case m.clock.Since(alive) > staleAfter:
		return fmt.Errorf("the watcher's loop has not turned for %s", m.clock.Since(alive).Round(time.Second))
	}
	return nil
}

// Handler serves /metrics (the Prometheus text format) and /healthz (200
// "ok" while the watcher's loop turns, else 503 and why).
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if err := m.healthy(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

// Listen opens addr for Serve, so a bad address stops the watcher at
// start rather than later.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serving metrics on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve serves Handler on ln until ctx ends.
func (m *Metrics) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
