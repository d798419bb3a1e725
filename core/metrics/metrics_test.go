package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestStateGauges(t *testing.T) {
	m := New("1.2.3")
	m.Watch(Sources{
		Queue:          func(context.Context) (int, time.Time, error) { return 3, time.Now().Add(-90 * time.Second), nil },
		Workers:        func() (int, int) { return 1, 4 },
		Sessions:       func(context.Context) (int, error) { return 0, errors.New("db closed") },
		Breakers:       func() map[string]string { return map[string]string{"ldap": "open", "local": "closed"} },
		PluginRestarts: func() map[string]int { return map[string]int{"tesseract": 2} },
		Storage: func(context.Context) (Storage, error) {
			return Storage{DatabaseBytes: 10, IndexBytes: 20, FilesBytes: 30, DiskFreeBytes: 40, DiskSizeBytes: 50}, nil
		},
	})
	m.LoginAttempt("", "rate_limited")
	m.TaskFinished("cancelled", 0) // never started: counted, no duration
	m.PageDone("tesseract", time.Second, errors.New("boom"))
	want := `
# HELP ocrbox_auth_attempts_total Sign-in attempts by provider and result (success, invalid_credentials, unavailable, misconfigured, account_unusable, rate_limited, invalid_request).
# TYPE ocrbox_auth_attempts_total counter
ocrbox_auth_attempts_total{provider="none",result="rate_limited"} 1
# HELP ocrbox_auth_breaker_state Circuit breaker per auth provider: 0 closed, 1 half-open, 2 open.
# TYPE ocrbox_auth_breaker_state gauge
ocrbox_auth_breaker_state{provider="ldap"} 2
ocrbox_auth_breaker_state{provider="local"} 0
# HELP ocrbox_build_info Always 1; the labels say which ocrbox is running.
# TYPE ocrbox_build_info gauge
ocrbox_build_info{version="1.2.3"} 1
# HELP ocrbox_metrics_source_errors State readers that failed during this scrape, by source.
# TYPE ocrbox_metrics_source_errors gauge
ocrbox_metrics_source_errors{source="sessions"} 1
# HELP ocrbox_pages_total Pages recognised by engine and result (ok, error).
# TYPE ocrbox_pages_total counter
ocrbox_pages_total{engine="tesseract",result="error"} 1
# HELP ocrbox_plugin_restarts_total Plugin process restarts since start, by plugin.
# TYPE ocrbox_plugin_restarts_total counter
ocrbox_plugin_restarts_total{plugin="tesseract"} 2
# HELP ocrbox_queue_depth Tasks waiting for a worker.
# TYPE ocrbox_queue_depth gauge
ocrbox_queue_depth 3
# HELP ocrbox_storage_bytes Bytes on disk by kind (database, index, files).
# TYPE ocrbox_storage_bytes gauge
ocrbox_storage_bytes{kind="database"} 10
ocrbox_storage_bytes{kind="files"} 30
ocrbox_storage_bytes{kind="index"} 20
# HELP ocrbox_tasks_finished_total Tasks that reached a final state, by status (completed, failed, cancelled).
# TYPE ocrbox_tasks_finished_total counter
ocrbox_tasks_finished_total{status="cancelled"} 1
# HELP ocrbox_workers Engine processes, all engines together (ocr.workers per engine).
# TYPE ocrbox_workers gauge
ocrbox_workers 4
# HELP ocrbox_workers_busy Engine processes recognising a page now; busy/workers is the utilisation.
# TYPE ocrbox_workers_busy gauge
ocrbox_workers_busy 1
`
	names := []string{"ocrbox_auth_attempts_total", "ocrbox_auth_breaker_state", "ocrbox_build_info", "ocrbox_metrics_source_errors",
		"ocrbox_pages_total", "ocrbox_plugin_restarts_total", "ocrbox_queue_depth", "ocrbox_storage_bytes",
		"ocrbox_tasks_finished_total", "ocrbox_workers", "ocrbox_workers_busy"}
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	// No sessions gauge when its reader failed; the queue age is ~90 s.
	if n, err := testutil.GatherAndCount(m.Gatherer(), "ocrbox_sessions_active"); err != nil || n != 0 {
		t.Fatalf("sessions gauge after a failed read: %d %v", n, err)
	}
	if n, _ := testutil.GatherAndCount(m.Gatherer(), "ocrbox_task_duration_seconds"); n != 0 {
		t.Fatalf("a never-started task observed a duration")
	}
	mfs, _ := m.Gatherer().Gather()
	for _, f := range mfs {
		if f.GetName() == "ocrbox_queue_oldest_pending_age_seconds" {
			if v := f.Metric[0].Gauge.GetValue(); v < 89 || v > 95 {
				t.Fatalf("queue age %v, want ~90", v)
			}
		}
	}
}

// The cluster's nodes and job counters appear per node, lost nodes at 0.
func TestClusterGauges(t *testing.T) {
	m := New("1.2.3")
	m.Watch(Sources{
		Nodes: func() []Node {
			return []Node{{Name: "n1", Up: true, Slots: 2, Busy: 1, Done: 7, Failed: 1, Redeliveries: 3, LastSeenAgoSecond: 1},
				{Name: "n2", Slots: 4, LastSeenAgoSecond: 30}}
		},
		Cluster: func() ClusterCounters {
			return ClusterCounters{Sent: 9, Results: 8, Duplicates: 1, Redeliveries: 3, NodesLost: 1}
		},
	})
	want := `
# HELP ocrbox_cluster_jobs_total Page jobs of the coordinator, by event: sent, result, duplicate (a late second result, dropped), redelivered.
# TYPE ocrbox_cluster_jobs_total counter
ocrbox_cluster_jobs_total{event="duplicate"} 1
ocrbox_cluster_jobs_total{event="redelivered"} 3
ocrbox_cluster_jobs_total{event="result"} 8
ocrbox_cluster_jobs_total{event="sent"} 9
# HELP ocrbox_cluster_node_busy Pages a cluster worker node is recognising now.
# TYPE ocrbox_cluster_node_busy gauge
ocrbox_cluster_node_busy{node="n1"} 1
ocrbox_cluster_node_busy{node="n2"} 0
# HELP ocrbox_cluster_node_pages_total Pages a cluster worker node recognised, by result (done, failed).
# TYPE ocrbox_cluster_node_pages_total counter
ocrbox_cluster_node_pages_total{node="n1",result="done"} 7
ocrbox_cluster_node_pages_total{node="n1",result="failed"} 1
ocrbox_cluster_node_pages_total{node="n2",result="done"} 0
ocrbox_cluster_node_pages_total{node="n2",result="failed"} 0
# HELP ocrbox_cluster_node_up 1 while a cluster worker node reports in, 0 for one lost lately.
# TYPE ocrbox_cluster_node_up gauge
ocrbox_cluster_node_up{node="n1"} 1
ocrbox_cluster_node_up{node="n2"} 0
# HELP ocrbox_cluster_nodes_lost_total Cluster worker nodes that stopped reporting in since start.
# TYPE ocrbox_cluster_nodes_lost_total counter
ocrbox_cluster_nodes_lost_total 1
`
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), "ocrbox_cluster_jobs_total", "ocrbox_cluster_node_busy",
		"ocrbox_cluster_node_pages_total", "ocrbox_cluster_node_up", "ocrbox_cluster_nodes_lost_total"); err != nil {
		t.Fatal(err)
	}
}
