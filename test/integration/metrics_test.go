package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetrics: a session of sign-ins, an upload and downloads shows up in
// GET /metrics with bounded labels (route templates, never ids), the live
// gauges are there, and the endpoint wants metrics.token. The same
// session's log lines carry request_id and user_id and no secret.
func TestMetrics(t *testing.T) {
	needDeps(t)
	const token = "metrics-token-" + "3f9a1c"
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: t.TempDir(), Env: []string{"OCRBOX_METRICS_TOKEN=" + token, "OCRBOX_OCR_BUILTIN_ENGINES=tesseract"}})
	email, password := "metrics-"+randomHex(4)+"@example.org", "pw-"+randomHex(8)
	addUser(t, binPath, s.cfg.DataDir, email, "Metrics", password)
	anon := newClient(s)
	if r := anon.tryLogin(t, email, "wrong-password"); r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.Status)
	}
	c := anon.login(t, email, password)
	tk := c.upload(t, [][2]string{{"outputs", "txt"}}, corpusUpload(t, "pages/phototest.tif"))[0]
	tk = c.waitStatus(t, tk.ID, "completed", 2*time.Minute)
	txt, _ := tk.file("txt")
	c.download(t, tk.ID, txt.ID)
	c.getTask(t, tk.ID)

	scrape := func(auth string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", s.baseURL+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for _, auth := range []string{"", "Bearer wrong", token} {
		if res, _ := scrape(auth); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("scrape with %q: %d, want 401", auth, res.StatusCode)
		}
	}
	res, body := scrape("Bearer " + token)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %s", res.StatusCode, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse scrape: %v\n%s", err, body)
	}
	value := func(name string, labels map[string]string) (float64, bool) {
		f, ok := fams[name]
		if !ok {
			return 0, false
		}
	next:
		for _, m := range f.Metric {
			got := map[string]string{}
			for _, l := range m.Label {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return m.Counter.GetValue(), true
			case dto.MetricType_GAUGE:
				return m.Gauge.GetValue(), true
			case dto.MetricType_HISTOGRAM:
				return float64(m.Histogram.GetSampleCount()), true
			}
		}
		return 0, false
	}
	tests := []struct {
		name   string
		labels map[string]string
		check  func(float64) bool
		want   string
	}{
		{"ocrbox_auth_attempts_total", map[string]string{"provider": "local", "result": "invalid_credentials"}, eq(1), "1"},
		{"ocrbox_auth_attempts_total", map[string]string{"provider": "local", "result": "success"}, eq(1), "1"},
		{"ocrbox_tasks_created_total", nil, eq(1), "1"},
		{"ocrbox_tasks_finished_total", map[string]string{"status": "completed"}, eq(1), "1"},
		{"ocrbox_task_duration_seconds", map[string]string{"status": "completed"}, eq(1), "1 observation"},
		{"ocrbox_pages_total", map[string]string{"engine": "tesseract", "result": "ok"}, eq(1), "1"},
		{"ocrbox_page_duration_seconds", map[string]string{"engine": "tesseract"}, eq(1), "1 observation"},
		{"ocrbox_queue_depth", nil, eq(0), "0"},
		{"ocrbox_queue_oldest_pending_age_seconds", nil, eq(0), "0"},
		{"ocrbox_workers", nil, eq(2), "2 (OCRBOX_OCR_WORKERS, tesseract only)"},
		{"ocrbox_workers_busy", nil, eq(0), "0"},
		{"ocrbox_sessions_active", nil, eq(1), "1"},
		{"ocrbox_auth_breaker_state", map[string]string{"provider": "local"}, eq(0), "0 (closed)"},
		{"ocrbox_plugin_restarts_total", map[string]string{"plugin": "tesseract"}, eq(0), "0"},
		{"ocrbox_storage_bytes", map[string]string{"kind": "database"}, gt(0), "> 0"},
		{"ocrbox_storage_bytes", map[string]string{"kind": "index"}, gt(0), "> 0"},
		{"ocrbox_storage_bytes", map[string]string{"kind": "files"}, gt(float64(len(corpus(t, "pages/phototest.tif")))), "> the upload's size"},
		{"ocrbox_disk_free_bytes", nil, gt(0), "> 0"},
		{"ocrbox_http_requests_total", map[string]string{"method": "GET", "route": "/api/v1/tasks/:id", "status": "200"}, gt(0), "> 0"},
		{"ocrbox_http_requests_total", map[string]string{"method": "POST", "route": "/api/v1/auth/login", "status": "401"}, eq(1), "1"},
		{"ocrbox_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/api/v1/tasks/:id/files/:file_id"}, eq(1), "1 observation"},
		{"ocrbox_build_info", nil, eq(1), "1"},
		{"go_goroutines", nil, gt(0), "> 0"},
		{"process_resident_memory_bytes", nil, gt(0), "> 0"},
	}
	for _, tc := range tests {
		v, ok := value(tc.name, tc.labels)
		if !ok || !tc.check(v) {
			t.Errorf("%s%v = %v (present %v), want %s", tc.name, tc.labels, v, ok, tc.want)
		}
	}
	// Every ocrbox metric the shipped alert rules use exists (no drift
	// between the rules and the code).
	// The cluster's series exist only on a coordinator with nodes:
	// TestClusterWorkerNodes checks those.
	for _, name := range alertMetrics(t) {
		if strings.HasPrefix(name, "ocrbox_cluster_") {
			continue
		}
		base := strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count")
		if _, ok := fams[base]; !ok {
			t.Errorf("scripts/monitoring/alerts.yml uses %s, which /metrics does not export", name)
		}
	}
	// Bounded cardinality: no task, file or user id in any label.
	uuid := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	if m := uuid.FindString(body); m != "" {
		t.Errorf("an id appears in the metrics: %s", m)
	}
	// Logs: the lines of a request carry its request_id and the user_id,
	// whichever package wrote them.
	want := map[string]bool{"task created": false, "file access": false}
	for _, line := range strings.Split(s.stderr.From(0), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		msg, _ := rec["msg"].(string)
		if _, ok := want[msg]; !ok {
			continue
		}
		want[msg] = true
		if rec["request_id"] == nil || rec["request_id"] == "" || rec["user_id"] != c.me(t).ID || rec["task_id"] != tk.ID {
			t.Errorf("log line %q lacks request_id/user_id/task_id: %s", msg, line)
		}
	}
	for msg, seen := range want {
		if !seen {
			t.Errorf("no %q line in the server log", msg)
		}
	}
	for _, secret := range []string{password, token, c.token} {
		if strings.Contains(s.stderr.From(0), secret) {
			t.Errorf("a secret appears in the server log")
		}
	}
}

func eq(want float64) func(float64) bool { return func(v float64) bool { return v == want } }
func gt(min float64) func(float64) bool  { return func(v float64) bool { return v > min } }

// alertMetrics lists the ocrbox metric names the shipped alert rules use.
func alertMetrics(t testing.TB) []string {
	t.Helper()
	rules, err := os.ReadFile(filepath.Join("..", "..", "scripts", "monitoring", "alerts.yml")) // tests run in their package directory
	if err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(`ocrbox_[a-z_]+`).FindAllString(string(rules), -1)
}
