package integration

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// cluster is a pure coordinator (ocr.local_engines = false) with its
// embedded NATS server on a free loopback port, and one signed-in user.
type cluster struct {
	s       *server
	dir     string
	natsURL string
	token   string
	env     []string
	c       *client
	email   string
	pass    string
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	needDeps(t)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	cl := &cluster{dir: t.TempDir(), natsURL: fmt.Sprintf("nats://127.0.0.1:%d", port), token: "tok-" + randomHex(16)}
	cl.env = []string{"OCRBOX_OCR_LOCAL_ENGINES=false", fmt.Sprintf("OCRBOX_CLUSTER_LISTEN=127.0.0.1:%d", port),
		"OCRBOX_CLUSTER_TOKEN=" + cl.token, "OCRBOX_CLUSTER_NODE_NAME=coordinator"}
	cl.s = startTestServer(t, serverConfig{Bin: binPath, DataDir: cl.dir, Env: cl.env})
	cl.email, cl.pass = "cluster-"+randomHex(4)+"@example.org", "pw-"+randomHex(8)
	addUser(t, binPath, cl.dir, cl.email, "Cluster", cl.pass)
	cl.c = newClient(cl.s).login(t, cl.email, cl.pass)
	return cl
}

// waitNodes waits until the coordinator lists every named node as up.
func (cl *cluster) waitNodes(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		waitMetric(t, cl.s, `ocrbox_cluster_node_up{node="`+n+`"}`, func(v float64) bool { return v == 1 }, 60*time.Second)
	}
}

// checkFourPages: the four-page TIFF's task completed with every page
// exactly once, in order, and its text close to the ground truth.
func checkFourPages(t *testing.T, c *client, tk task) {
	t.Helper()
	nums, text := pageNumbers(t, c, tk)
	if !slices.Equal(nums, []int{1, 2, 3, 4}) {
		t.Fatalf("pages %v, want each of 1..4 once", nums)
	}
	if got := cer(corpusText(t, "multipage/four-pages.txt"), text); got > 0.10 {
		t.Fatalf("CER %.3f against the ground truth", got)
	}
}

// TestClusterWorkerNodes: a coordinator that runs no engine refuses an
// upload clearly while no node has joined, then two `ocrbox worker`
// processes join over NATS and recognise the pages — both of them — and
// `ocrbox workers` lists them.
func TestClusterWorkerNodes(t *testing.T) {
	cl := startCluster(t)
	r := cl.c.uploadRaw(t, nil, corpusUpload(t, "pages/phototest.tif"))
	if r.Status != http.StatusServiceUnavailable || r.apiError(t).Error.Code != "unavailable" {
		t.Fatalf("upload with no node: %d %s, want 503 unavailable", r.Status, truncate(string(r.Body), 300))
	}
	startNode(t, cl.natsURL, cl.token, "w1", 1)
	startNode(t, cl.natsURL, cl.token, "w2", 1)
	cl.waitNodes(t, "w1", "w2")

	four := cl.c.upload(t, [][2]string{{"outputs", "txt,json,pdf"}}, corpusUpload(t, "multipage/four-pages.tif"))[0]
	photo := cl.c.upload(t, [][2]string{{"outputs", "txt,json"}}, corpusUpload(t, "pages/phototest.tif"))[0]
	done := cl.c.waitStatus(t, four.ID, "completed", 3*time.Minute)
	checkFourPages(t, cl.c, done)
	if pdf := cl.c.downloadKind(t, done, "pdf"); !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("searchable PDF starts %q", truncate(string(pdf), 20))
	}
	p := cl.c.waitStatus(t, photo.ID, "completed", 2*time.Minute)
	if text := cl.c.downloadKind(t, p, "txt"); !strings.Contains(string(text), "quick brown dog") {
		t.Fatalf("phototest text %q", truncate(string(text), 200))
	}
	// Both nodes worked (one slot each, five pages); the coordinator
	// learns a node's counters from its next heartbeat (every 2 s).
	for _, n := range []string{"w1", "w2"} {
		waitMetric(t, cl.s, `ocrbox_cluster_node_pages_total{node="`+n+`",result="done"}`, func(v float64) bool { return v >= 1 }, 15*time.Second)
	}
	m := scrape(t, cl.s)
	if v := m[`ocrbox_cluster_jobs_total{event="sent"}`]; v < 5 {
		t.Errorf("jobs sent %v, want ≥ 5", v)
	}
	// Every cluster metric the shipped alert rules use is exported.
	for _, name := range alertMetrics(t) {
		if !strings.HasPrefix(name, "ocrbox_cluster_") {
			continue
		}
		found := false
		for series := range m {
			if series == name || strings.HasPrefix(series, name+"{") {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("scripts/monitoring/alerts.yml uses %s, which the coordinator's /metrics does not export", name)
		}
	}
	out, err := runCLI(binPath, cl.dir, "", "workers", "--url", cl.natsURL, "--token", cl.token)
	if err != nil || !strings.Contains(out.Stdout, "w1") || !strings.Contains(out.Stdout, "w2") {
		t.Fatalf("ocrbox workers: %v\n%s\n%s", err, out.Stdout, out.Stderr)
	}
}

// TestClusterNodeKilledMidPage: kill -9 of a node while it recognises a
// page loses nothing: the page is handed to the other node and the task
// completes with every page exactly once.
func TestClusterNodeKilledMidPage(t *testing.T) {
	cl := startCluster(t)
	w1 := startNode(t, cl.natsURL, cl.token, "w1", 1)
	startNode(t, cl.natsURL, cl.token, "w2", 1)
	cl.waitNodes(t, "w1", "w2")

	tk := cl.c.upload(t, [][2]string{{"outputs", "txt,json"}}, corpusUpload(t, "multipage/four-pages.tif"))[0]
	w1.waitBusy(t, time.Minute)
	w1.kill()
	done := cl.c.waitStatus(t, tk.ID, "completed", 3*time.Minute)
	checkFourPages(t, cl.c, done)
	waitMetric(t, cl.s, `ocrbox_cluster_jobs_total{event="redelivered"}`, func(v float64) bool { return v >= 1 }, time.Minute)
	waitMetric(t, cl.s, `ocrbox_cluster_node_up{node="w1"}`, func(v float64) bool { return v == 0 }, time.Minute)
}

// TestClusterCoordinatorRestart: serve stops (SIGTERM) and starts again
// while the nodes run; the nodes reconnect on their own and the task
// interrupted by the restart completes with every page exactly once.
func TestClusterCoordinatorRestart(t *testing.T) {
	cl := startCluster(t)
	startNode(t, cl.natsURL, cl.token, "w1", 1)
	startNode(t, cl.natsURL, cl.token, "w2", 1)
	cl.waitNodes(t, "w1", "w2")

	tk := cl.c.upload(t, [][2]string{{"outputs", "txt,json"}}, corpusUpload(t, "multipage/four-pages.tif"))[0]
	waitMetric(t, cl.s, `ocrbox_cluster_jobs_total{event="sent"}`, func(v float64) bool { return v >= 1 }, time.Minute)
	if err := cl.s.stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	cl.s = startTestServer(t, serverConfig{Bin: binPath, DataDir: cl.dir, Env: cl.env})
	cl.c = newClient(cl.s).login(t, cl.email, cl.pass)
	cl.waitNodes(t, "w1", "w2")
	done := cl.c.waitStatus(t, tk.ID, "completed", 3*time.Minute)
	checkFourPages(t, cl.c, done)
}

// TestClusterNodeCutOff: the link between a node and NATS is cut (through
// Toxiproxy) while the node recognises a page: the page is handed to the
// other node after the acknowledgement deadline, the task completes with
// every page once, and the cut-off node comes back when the link does.
func TestClusterNodeCutOff(t *testing.T) {
	cl := startCluster(t)
	tp := startToxiproxy(t, strings.TrimPrefix(cl.natsURL, "nats://"))
	w1 := startNode(t, "nats://"+tp.listen, cl.token, "w1", 1)
	startNode(t, cl.natsURL, cl.token, "w2", 1)
	cl.waitNodes(t, "w1", "w2")

	tk := cl.c.upload(t, [][2]string{{"outputs", "txt,json"}}, corpusUpload(t, "multipage/four-pages.tif"))[0]
	w1.waitBusy(t, time.Minute)
	tp.setEnabled(t, false)
	done := cl.c.waitStatus(t, tk.ID, "completed", 3*time.Minute)
	checkFourPages(t, cl.c, done)
	waitMetric(t, cl.s, `ocrbox_cluster_jobs_total{event="redelivered"}`, func(v float64) bool { return v >= 1 }, time.Minute)

	tp.setEnabled(t, true)
	cl.waitNodes(t, "w1")
	again := cl.c.upload(t, [][2]string{{"outputs", "txt"}}, corpusUpload(t, "pages/phototest.tif"))[0]
	cl.c.waitStatus(t, again.ID, "completed", 2*time.Minute)
}
