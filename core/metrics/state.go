package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// breakerValue encodes gobreaker's states as numbers for alerting.
var breakerValue = map[string]float64{"closed": 0, "half-open": 1, "open": 2}

// stateCollector reads the live state at each scrape, so the gauges are
// never stale and nothing has to push updates.
type stateCollector struct {
	src     Sources
	timeout time.Duration

	queueDepth, queueAge, workers, workersBusy, sessions *prometheus.Desc
	breaker, restarts, storage, diskFree, diskSize       *prometheus.Desc
	scrapeErrors                                         *prometheus.Desc
}

func newStateCollector(src Sources, timeout time.Duration) *stateCollector {
	d := prometheus.NewDesc
	return &stateCollector{
		src: src, timeout: timeout,
		queueDepth:   d("ocrbox_queue_depth", "Tasks waiting for a worker.", nil, nil),
		queueAge:     d("ocrbox_queue_oldest_pending_age_seconds", "How long the oldest waiting task has waited (0 when none).", nil, nil),
		workers:      d("ocrbox_workers", "Engine processes, all engines together (ocr.workers per engine).", nil, nil),
		workersBusy:  d("ocrbox_workers_busy", "Engine processes recognising a page now; busy/workers is the utilisation.", nil, nil),
		sessions:     d("ocrbox_sessions_active", "Open sign-in sessions.", nil, nil),
		breaker:      d("ocrbox_auth_breaker_state", "Circuit breaker per auth provider: 0 closed, 1 half-open, 2 open.", []string{"provider"}, nil),
		restarts:     d("ocrbox_plugin_restarts_total", "Plugin process restarts since start, by plugin.", []string{"plugin"}, nil),
		storage:      d("ocrbox_storage_bytes", "Bytes on disk by kind (database, index, files).", []string{"kind"}, nil),
		diskFree:     d("ocrbox_disk_free_bytes", "Free bytes on the data directory's file system (for unprivileged users).", nil, nil),
		diskSize:     d("ocrbox_disk_size_bytes", "Size of the data directory's file system.", nil, nil),
		scrapeErrors: d("ocrbox_metrics_source_errors", "State readers that failed during this scrape, by source.", []string{"source"}, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.queueDepth, c.queueAge, c.workers, c.workersBusy, c.sessions,
		c.breaker, c.restarts, c.storage, c.diskFree, c.diskSize, c.scrapeErrors} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	failed := func(source string) { gauge(c.scrapeErrors, 1, source) }
	if f := c.src.Queue; f != nil {
		if n, oldest, err := f(ctx); err != nil {
			failed("queue")
		} else {
			gauge(c.queueDepth, float64(n))
			age := 0.0
			if n > 0 && !oldest.IsZero() {
				age = max(time.Since(oldest).Seconds(), 0)
			}
			gauge(c.queueAge, age)
		}
	}
	if f := c.src.Workers; f != nil {
		busy, total := f()
		gauge(c.workers, float64(total))
		gauge(c.workersBusy, float64(busy))
	}
	if f := c.src.Sessions; f != nil {
		if n, err := f(ctx); err != nil {
			failed("sessions")
		} else {
			gauge(c.sessions, float64(n))
		}
	}
	if f := c.src.Breakers; f != nil {
		for name, state := range f() {
			v, ok := breakerValue[state]
			if !ok {
				v = -1
			}
			gauge(c.breaker, v, name)
		}
	}
	if f := c.src.PluginRestarts; f != nil {
		for name, n := range f() {
			ch <- prometheus.MustNewConstMetric(c.restarts, prometheus.CounterValue, float64(n), name)
		}
	}
	if f := c.src.Storage; f != nil {
		if s, err := f(ctx); err != nil {
			failed("storage")
		} else {
			gauge(c.storage, float64(s.DatabaseBytes), "database")
			gauge(c.storage, float64(s.IndexBytes), "index")
			gauge(c.storage, float64(s.FilesBytes), "files")
			gauge(c.diskFree, float64(s.DiskFreeBytes))
			gauge(c.diskSize, float64(s.DiskSizeBytes))
		}
	}
}
