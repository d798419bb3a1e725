package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/test/testenv"
)

// nodeProc is one `ocrbox worker` process: a cluster worker node.
type nodeProc struct {
	name string
	// metrics is the node's own /metrics URL (--metrics-listen): its busy
	// gauge is live, where the coordinator's view of it is one heartbeat old.
	metrics string
	cmd     *exec.Cmd
	stderr  *testenv.SyncBuffer
	done    chan struct{}
}

// startNode starts `ocrbox worker --join natsURL --token token --workers
// slots --name name` with the suite's environment; it is killed when the
// test ends, and its log is printed if the test fails.
func startNode(t testing.TB, natsURL, token, name string, slots int) *nodeProc {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	n := &nodeProc{name: name, stderr: &testenv.SyncBuffer{}, done: make(chan struct{}),
		metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", port)}
	n.cmd = exec.Command(binPath, "worker", "--join", natsURL, "--token", token,
		"--workers", strconv.Itoa(slots), "--name", name, "--metrics-listen", fmt.Sprintf("127.0.0.1:%d", port))
	n.cmd.Env = baseEnv(filepath.Join(t.TempDir(), "node-data"))
	n.cmd.Stdout, n.cmd.Stderr = n.stderr, n.stderr
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start worker node %s: %v", name, err)
	}
	go func() { _ = n.cmd.Wait(); close(n.done) }()
	t.Cleanup(func() {
		n.kill()
		if t.Failed() {
			t.Logf("--- worker node %s log (tail) ---\n%s", name, tail(quiet(n.stderr.From(0)), 16<<10))
		}
	})
	return n
}

// kill ends the node at once (SIGKILL: no goodbye, no ack, no NAK).
func (n *nodeProc) kill() {
	select {
	case <-n.done:
		return
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// scrape reads the server's /metrics (loopback needs no token) into
// "name{labels}" → value.
func scrape(t testing.TB, s *server) map[string]float64 {
	t.Helper()
	m, err := scrapeURL(s.httpClient(10*time.Second), s.baseURL+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// scrapeURL reads a Prometheus text endpoint into "name{labels}" → value.
func scrapeURL(hc *http.Client, url string) (map[string]float64, error) {
	resp, err := hc.Get(url)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, truncate(string(body), 300))
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out, nil
}

// waitMetric polls /metrics until ok(value of series) holds.
func waitMetric(t testing.TB, s *server, series string, ok func(float64) bool, within time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		v, found := scrape(t, s)[series]
		if found && ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v (present %v) after %s", series, v, found, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitBusy polls the node's own /metrics until it is recognising a page:
// the moment to kill it or cut its link mid-page.
func (n *nodeProc) waitBusy(t testing.TB, within time.Duration) {
	t.Helper()
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(within)
	for {
		if m, err := scrapeURL(hc, n.metrics); err == nil && m["ocrbox_node_busy"] >= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker node %s never busy within %s", n.name, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// toxiproxy is a running Toxiproxy server (bin/toxiproxy-server, built by
// scripts/build-toxiproxy) with one proxy the test can cut and restore.
type toxiproxy struct {
	api    string // http://127.0.0.1:port
	listen string // the proxy's own address
	name   string
}

// startToxiproxy builds and starts Toxiproxy and creates a proxy from a
// free loopback port to upstream.
func startToxiproxy(t testing.TB, upstream string) *toxiproxy {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	build := exec.Command(filepath.Join(root, "scripts", "build-toxiproxy"))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("scripts/build-toxiproxy: %v\n%s", err, out)
	}
	apiPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "bin", "toxiproxy-server"), "-host", "127.0.0.1", "-port", strconv.Itoa(apiPort))
	logs := &testenv.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start toxiproxy: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("--- toxiproxy log (tail) ---\n%s", tail(logs.From(0), 8<<10))
		}
	})
	tp := &toxiproxy{api: fmt.Sprintf("http://127.0.0.1:%d", apiPort), name: "nats"}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(tp.api + "/version")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("toxiproxy did not answer: %v\n%s", err, logs.From(0))
		}
		time.Sleep(50 * time.Millisecond)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	tp.listen = fmt.Sprintf("127.0.0.1:%d", port)
	tp.post(t, "/proxies", map[string]any{"name": tp.name, "listen": tp.listen, "upstream": upstream, "enabled": true}, http.StatusCreated)
	return tp
}

// setEnabled cuts (false: every connection through the proxy is closed and
// new ones refused) or restores the link.
func (tp *toxiproxy) setEnabled(t testing.TB, on bool) {
	t.Helper()
	tp.post(t, "/proxies/"+tp.name, map[string]any{"enabled": on}, http.StatusOK)
}

func (tp *toxiproxy) post(t testing.TB, path string, body any, want int) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(tp.api+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("toxiproxy POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		out, _ := io.ReadAll(resp.Body)
		t.Fatalf("toxiproxy POST %s: %d %s", path, resp.StatusCode, out)
	}
}

// pageNumbers reads a task's JSON result and returns its page numbers in
// order, and the text of every page joined.
func pageNumbers(t testing.TB, c *client, tk task) ([]int, string) {
	t.Helper()
	var doc struct {
		Pages []struct {
			Number int    `json:"number"`
			Text   string `json:"text"`
		} `json:"pages"`
	}
	if err := json.Unmarshal(c.downloadKind(t, tk, "json"), &doc); err != nil {
		t.Fatalf("task %s JSON: %v", tk.ID, err)
	}
	var nums []int
	var text strings.Builder
	for _, p := range doc.Pages {
		nums = append(nums, p.Number)
		text.WriteString(p.Text)
		text.WriteByte('\n')
	}
	return nums, text.String()
}

// corpusText is a corpus file's ground truth.
func corpusText(t testing.TB, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
