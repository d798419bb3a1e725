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

	nodeUp, nodeSlots, nodeBusy, nodePages, nodeRedeliveries, nodeSeen *prometheus.Desc
	clusterJobs, clusterNodesLost                                      *prometheus.Desc
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

		nodeUp:           d("ocrbox_cluster_node_up", "1 while a cluster worker node reports in, 0 for one lost lately.", []string{"node"}, nil),
		nodeSlots:        d("ocrbox_cluster_node_slots", "Page slots a cluster worker node offers (its --workers).", []string{"node"}, nil),
		nodeBusy:         d("ocrbox_cluster_node_busy", "Pages a cluster worker node is recognising now.", []string{"node"}, nil),
		nodePages:        d("ocrbox_cluster_node_pages_total", "Pages a cluster worker node recognised, by result (done, failed).", []string{"node", "result"}, nil),
		nodeRedeliveries: d("ocrbox_cluster_node_redeliveries_total", "Page jobs a cluster worker node received again after another delivery was not acknowledged in time.", []string{"node"}, nil),
		nodeSeen:         d("ocrbox_cluster_node_last_seen_seconds", "Seconds since a cluster worker node last reported in.", []string{"node"}, nil),
		clusterJobs:      d("ocrbox_cluster_jobs_total", "Page jobs of the coordinator, by event: sent, result, duplicate (a late second result, dropped), redelivered.", []string{"event"}, nil),
		clusterNodesLost: d("ocrbox_cluster_nodes_lost_total", "Cluster worker nodes that stopped reporting in since start.", nil, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.queueDepth, c.queueAge, c.workers, c.workersBusy, c.sessions,
		c.breaker, c.restarts, c.storage, c.diskFree, c.diskSize, c.scrapeErrors,
		c.nodeUp, c.nodeSlots, c.nodeBusy, c.nodePages, c.nodeRedeliveries, c.nodeSeen, c.clusterJobs, c.clusterNodesLost} {
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
	c.collectCluster(ch)
}

// collectCluster reports the cluster's worker nodes and job counters.
func (c *stateCollector) collectCluster(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	if f := c.src.Nodes; f != nil {
		for _, n := range f() {
			up := 0.0
			if n.Up {
				up = 1
			}
			gauge(c.nodeUp, up, n.Name)
			gauge(c.nodeSlots, float64(n.Slots), n.Name)
			gauge(c.nodeBusy, float64(n.Busy), n.Name)
			gauge(c.nodeSeen, n.LastSeenAgoSecond, n.Name)
			counter(c.nodePages, n.Done, n.Name, "done")
			counter(c.nodePages, n.Failed, n.Name, "failed")
			counter(c.nodeRedeliveries, n.Redeliveries, n.Name)
		}
	}
	if f := c.src.Cluster; f != nil {
		s := f()
		counter(c.clusterJobs, s.Sent, "sent")
		counter(c.clusterJobs, s.Results, "result")
		counter(c.clusterJobs, s.Duplicates, "duplicate")
		counter(c.clusterJobs, s.Redeliveries, "redelivered")
		counter(c.clusterNodesLost, s.NodesLost)
	}
}
