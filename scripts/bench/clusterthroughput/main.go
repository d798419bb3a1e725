// Command clusterthroughput measures what going over NATS costs: the same
// two cores used by ocrbox's own engine processes ("local": one server,
// ocr.workers = 2) against two `ocrbox worker` nodes of one slot each,
// each pinned to its own core with taskset, behind a coordinator that runs
// no engine ("cluster": ocr.local_engines = false, embedded NATS). Both
// servers run side by side and the rounds alternate, so other load on the
// machine hits both alike. It prints pages/s of both and their ratio
// (issue 16: cluster ≥ 0.9 × local). Run through
// `scripts/bench/ocr-throughput --cluster`.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ocrbox/ocrbox/scripts/bench/internal/benchsrv"
)

type config struct {
	bin, corpus, workDir string
	parallel, rounds     int
	cores                string
	timeout              time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "", "ocrbox binary (required)")
	flag.StringVar(&c.corpus, "corpus", "../shared/testdata/ocr", "corpus directory with pages/*.tif")
	flag.StringVar(&c.workDir, "work-dir", "", "scratch directory (default: a new temp dir, removed at exit)")
	flag.IntVar(&c.parallel, "parallel", 4, "uploads in flight per server (more than the 2 slots, so no slot waits for an upload)")
	flag.IntVar(&c.rounds, "rounds", 3, "rounds per side; each round runs the corpus pages twice")
	flag.StringVar(&c.cores, "cores", "0,1", "the two CPUs the worker nodes are pinned to (taskset -c)")
	flag.DurationVar(&c.timeout, "timeout", 30*time.Minute, "give up after this long")
	flag.Parse()
	if c.bin == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "clusterthroughput:", err)
		os.Exit(1)
	}
}

// side is one configuration under test: a server, its bearer token, and
// the pages/s of each round.
type side struct {
	name   string
	srv    *benchsrv.Server
	token  string
	rounds []float64
	pages  int
	failed int
}

func run(ctx context.Context, c config) error {
	if c.workDir == "" {
		dir, err := os.MkdirTemp("", "ocrbox-cluster-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.workDir = dir
	}
	pages, err := filepath.Glob(filepath.Join(c.corpus, "pages", "*.tif"))
	if err != nil || len(pages) == 0 {
		return fmt.Errorf("no pages in %s/pages", c.corpus)
	}
	sort.Strings(pages)
	cores := strings.Split(c.cores, ",")
	if len(cores) != 2 {
		return fmt.Errorf("-cores wants two CPUs, got %q", c.cores)
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		return errors.New("taskset not found (util-linux)")
	}
	cache := filepath.Join(c.workDir, "cache")
	common := map[string]string{"OCRBOX_STORAGE_CACHE_DIR": cache, "OCRBOX_OCR_ENGINE_IDLE_TIMEOUT": "0s",
		"OCRBOX_LOG_LEVEL": "warn", "OCRBOX_LIMITS_MAX_TASKS_PER_USER": "0"}

	localEnv := map[string]string{"OCRBOX_OCR_WORKERS": "2", "OCRBOX_OCR_BUILTIN_ENGINES": "tesseract"}
	for k, v := range common {
		localEnv[k] = v
	}
	local, err := startSide(ctx, "local", benchsrv.Options{Bin: c.bin, Dir: mkdir(c.workDir, "local"), Env: localEnv})
	if err != nil {
		return err
	}
	defer local.srv.Stop()

	natsPort, err := benchsrv.FreePort()
	if err != nil {
		return err
	}
	token := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	clusterEnv := map[string]string{"OCRBOX_OCR_LOCAL_ENGINES": "false", "OCRBOX_OCR_BUILTIN_ENGINES": "tesseract",
		"OCRBOX_CLUSTER_LISTEN": fmt.Sprintf("127.0.0.1:%d", natsPort), "OCRBOX_CLUSTER_TOKEN": token}
	for k, v := range common {
		clusterEnv[k] = v
	}
	cl, err := startSide(ctx, "cluster", benchsrv.Options{Bin: c.bin, Dir: mkdir(c.workDir, "cluster"), Env: clusterEnv})
	if err != nil {
		return err
	}
	defer cl.srv.Stop()
	for i, cpu := range cores {
		stop, err := startNode(ctx, c, cpu, fmt.Sprintf("bench-node-%d", i+1), fmt.Sprintf("nats://127.0.0.1:%d", natsPort), token, cache)
		if err != nil {
			return err
		}
		defer stop()
	}

	fmt.Printf("corpus: %d pages (%s), %d in flight per server, %d rounds per side, each round the pages twice\n",
		len(pages), filepath.Join(c.corpus, "pages"), c.parallel, c.rounds)
	fmt.Printf("local:   ocrbox serve, ocr.workers = 2 (tesseract), engines unpinned\n")
	fmt.Printf("cluster: ocrbox serve, ocr.local_engines = false, embedded NATS; 2 × ocrbox worker --workers 1, pinned to CPUs %s\n", c.cores)

	list := append(append([]string{}, pages...), pages...)
	// Warm-up: every page once on both sides (engine start, the nodes'
	// joining, page caches), not measured.
	for _, s := range []*side{local, cl} {
		if _, _, err := s.round(ctx, list[:len(pages)], c.parallel); err != nil {
			return fmt.Errorf("%s warm-up: %w", s.name, err)
		}
	}
	for r := 0; r < c.rounds; r++ {
		order := []*side{local, cl}
		if r%2 == 1 {
			order = []*side{cl, local}
		}
		for _, s := range order {
			pps, failed, err := s.round(ctx, list, c.parallel)
			if err != nil {
				return fmt.Errorf("%s round %d: %w", s.name, r+1, err)
			}
			s.rounds = append(s.rounds, pps)
			s.pages += len(list)
			s.failed += failed
			fmt.Printf("round %d  %-8s %6.3f pages/s\n", r+1, s.name, pps)
		}
	}
	l, k := median(local.rounds), median(cl.rounds)
	fmt.Printf("\n%-8s %8s %8s %8s\n", "side", "pages", "failed", "pages/s (median)")
	fmt.Printf("%-8s %8d %8d %8.3f\n", "local", local.pages, local.failed, l)
	fmt.Printf("%-8s %8d %8d %8.3f\n", "cluster", cl.pages, cl.failed, k)
	fmt.Printf("ratio cluster/local: %.3f (target ≥ 0.9)\n", k/l)
	if local.failed+cl.failed > 0 {
		return fmt.Errorf("%d pages failed", local.failed+cl.failed)
	}
	return nil
}

func mkdir(parent, name string) string {
	d := filepath.Join(parent, name)
	_ = os.MkdirAll(d, 0o700)
	return d
}

func startSide(ctx context.Context, name string, o benchsrv.Options) (*side, error) {
	srv, err := benchsrv.Start(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("start %s server: %w", name, err)
	}
	token, err := srv.Login(ctx, http.DefaultClient)
	if err != nil {
		srv.Stop()
		return nil, err
	}
	return &side{name: name, srv: srv, token: token}, nil
}

// startNode runs `taskset -c CPU ocrbox worker --workers 1` joining url.
func startNode(ctx context.Context, c config, cpu, name, url, token, cache string) (stop func(), err error) {
	logPath := filepath.Join(c.workDir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "taskset", "-c", cpu, c.bin, "worker", "--join", url, "--token", token,
		"--workers", "1", "--name", name)
	cmd.Env = append(benchsrv.CleanEnv(), "OCRBOX_STORAGE_DATA_DIR="+filepath.Join(c.workDir, name), "OCRBOX_STORAGE_CACHE_DIR="+cache,
		"OCRBOX_OCR_BUILTIN_ENGINES=tesseract", "OCRBOX_OCR_ENGINE_IDLE_TIMEOUT=0s", "OCRBOX_LOG_FORMAT=json", "OMP_THREAD_LIMIT=1")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start worker node %s: %w", name, err)
	}
	return func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		logFile.Close()
	}, nil
}

// round uploads every page of list with n in flight and waits for each
// task; it returns pages/s over the round's wall time.
func (s *side) round(ctx context.Context, list []string, n int) (float64, int, error) {
	start := time.Now()
	var mu sync.Mutex
	failed := 0
	var firstErr error
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, p := range list {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			status, err := s.page(ctx, p)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if status != "completed" {
				failed++
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, failed, firstErr
	}
	return float64(len(list)) / time.Since(start).Seconds(), failed, nil
}

// page uploads one page (outputs txt,json) and polls its task until it ends.
func (s *side) page(ctx context.Context, path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("outputs", "txt,json")
	fw, _ := mw.CreateFormFile("file", filepath.Base(path))
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.srv.Base+"/api/v1/tasks", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var created struct {
		Tasks []struct {
			ID string `json:"id"`
		} `json:"tasks"`
	}
	if err := s.do(req, http.StatusAccepted, &created); err != nil {
		return "", err
	}
	if len(created.Tasks) != 1 {
		return "", errors.New("upload created no task")
	}
	id := created.Tasks[0].ID
	for {
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.srv.Base+"/api/v1/tasks/"+id, nil)
		var t struct {
			Status string `json:"status"`
			Error  string `json:"error"`
		}
		if err := s.do(req, http.StatusOK, &t); err != nil {
			return "", err
		}
		switch t.Status {
		case "completed":
			return t.Status, nil
		case "failed", "cancelled":
			return t.Status, fmt.Errorf("%s: task %s %s: %s", s.name, filepath.Base(path), t.Status, t.Error)
		}
	}
}

func (s *side) do(req *http.Request, want int, out any) error {
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, data)
	}
	return json.Unmarshal(data, out)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64{}, xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
