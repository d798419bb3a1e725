// Package metrics exports what ocrbox does in the Prometheus text format:
// counters and histograms fed by the services as things happen, and gauges
// read from the live state (queue, sessions, breakers, storage) at each
// scrape. Labels are bounded: route templates, provider and engine names,
// statuses — never ids or raw paths.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds ocrbox's collectors in its own registry (no global state).
type Metrics struct {
	reg            *prometheus.Registry
	authAttempts   *prometheus.CounterVec
	tasksCreated   prometheus.Counter
	tasksFinished  *prometheus.CounterVec
	taskDuration   *prometheus.HistogramVec
	pages          *prometheus.CounterVec
	pageDuration   *prometheus.HistogramVec
	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	sourcesTimeout time.Duration
}

// New builds the collectors, with the Go runtime and process collectors and
// ocrbox_build_info{version}.
func New(version string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		authAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocrbox_auth_attempts_total",
			Help: "Sign-in attempts by provider and result (success, invalid_credentials, unavailable, misconfigured, account_unusable, rate_limited, invalid_request).",
		}, []string{"provider", "result"}),
		tasksCreated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ocrbox_tasks_created_total",
			Help: "Tasks created by uploads.",
		}),
		tasksFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocrbox_tasks_finished_total",
			Help: "Tasks that reached a final state, by status (completed, failed, cancelled).",
		}, []string{"status"}),
		taskDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ocrbox_task_duration_seconds",
			Help:    "Time from a task's start to its final state, by status.",
			Buckets: []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600},
		}, []string{"status"}),
		pages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocrbox_pages_total",
			Help: "Pages recognised by engine and result (ok, error).",
		}, []string{"engine", "result"}),
		pageDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ocrbox_page_duration_seconds",
			Help:    "Time to recognise one page (engine call, including retries), by engine.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120},
		}, []string{"engine"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocrbox_http_requests_total",
			Help: "HTTP requests by method, route template and status code.",
		}, []string{"method", "route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ocrbox_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route template (streams such as SSE count until they end).",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
		sourcesTimeout: 5 * time.Second,
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "ocrbox_build_info",
		Help:        "Always 1; the labels say which ocrbox is running.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	build.Set(1)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		build, m.authAttempts, m.tasksCreated, m.tasksFinished, m.taskDuration,
		m.pages, m.pageDuration, m.httpRequests, m.httpDuration,
	)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: false})
}

// Gatherer exposes the registry to tests and tools.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// LoginAttempt counts one sign-in attempt at a provider ("" when no
// provider was asked, e.g. rate limited).
func (m *Metrics) LoginAttempt(provider, result string) {
	if provider == "" {
		provider = "none"
	}
	m.authAttempts.WithLabelValues(provider, result).Inc()
}

// TaskCreated counts an accepted upload.
func (m *Metrics) TaskCreated() { m.tasksCreated.Inc() }

// TaskFinished counts a task reaching status after running for d (zero
// when it never started, e.g. cancelled while queued: not observed then).
func (m *Metrics) TaskFinished(status string, d time.Duration) {
	m.tasksFinished.WithLabelValues(status).Inc()
	if d > 0 {
		m.taskDuration.WithLabelValues(status).Observe(d.Seconds())
	}
}

// PageDone records one page's recognition.
func (m *Metrics) PageDone(engine string, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.pages.WithLabelValues(engine, result).Inc()
	if err == nil {
		m.pageDuration.WithLabelValues(engine).Observe(d.Seconds())
	}
}

// HTTPRequest records one request under its route template.
func (m *Metrics) HTTPRequest(method, route string, status int, d time.Duration) {
	m.httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(method, route).Observe(d.Seconds())
}

// Sources are the live-state readers behind the gauges; nil ones are left
// out. They run at scrape time, so they must be cheap.
type Sources struct {
	// Queue: pending tasks and when the oldest was queued.
	Queue func(ctx context.Context) (pending int, oldest time.Time, err error)
	// Workers: engine processes recognising a page now, and all of them.
	Workers func() (busy, total int)
	// Sessions: open sign-in sessions.
	Sessions func(ctx context.Context) (int, error)
	// Breakers: circuit-breaker state per auth provider ("closed", "half-open", "open").
	Breakers func() map[string]string
	// PluginRestarts: restarts per plugin name since start.
	PluginRestarts func() map[string]int
	// Storage: bytes used by the database, the search index and the users' files, and the disk.
	Storage func(ctx context.Context) (Storage, error)
	// Nodes: the cluster's worker nodes (live ones and those lost lately).
	Nodes func() []Node
	// Cluster: the coordinator's counters of page jobs.
	Cluster func() ClusterCounters
}

// Node is one cluster worker node as the coordinator last heard of it.
type Node struct {
	Name              string
	Up                bool
	Slots, Busy       int
	Done, Failed      int64
	Redeliveries      int64
	LastSeenAgoSecond float64
}

// ClusterCounters count page jobs handed to worker nodes since start.
type ClusterCounters struct {
	Sent, Results, Duplicates, Redeliveries, NodesLost int64
}

// Storage is the disk picture at one moment.
type Storage struct {
	DatabaseBytes, IndexBytes, FilesBytes int64
	DiskFreeBytes, DiskSizeBytes          int64
}

// Watch registers the gauges read from src.
func (m *Metrics) Watch(src Sources) {
	m.reg.MustRegister(newStateCollector(src, m.sourcesTimeout))
}
