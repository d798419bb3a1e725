// Command uploadmem measures what a large upload costs the ocrbox server in
// memory. Run it through scripts/bench/upload-memory; see docs/benchmarks.md.
//
// For each kind of file it starts a fresh server (ocr.workers=1,
// server.max_upload_mb above the file size), generates the file, resets the
// server process's peak-RSS counter, streams the file with
// `curl -F file=@FILE` while sampling VmRSS of the server (host) process from
// /proc every 50 ms, and reports the baseline RSS, the peak during the
// upload (the larger of the sampled VmRSS and VmHWM), the ratio of the
// peak's growth to the upload size, and the upload throughput. The kinds
// png-big and tiff-big (one ~70 megapixel page of that size) are then
// OCRed to the end: the server's peak over its baseline through upload and
// OCR, the tesseract process's peak (VmHWM, reset before the upload) and
// the page helper's (its rusage, logged by the server) are reported too.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/ocrbox/ocrbox/scripts/bench/internal/benchsrv"
)

type config struct {
	bin, kinds, workDir, jsonOut  string
	sizeMB, maxUploadMB, targetMB int
	interval, timeout             time.Duration
	strict                        bool
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "", "ocrbox binary (required)")
	flag.StringVar(&c.kinds, "kinds", "pdf,tiff,tiff-real,pdf-real,png-big,tiff-big", "files to upload, comma-separated: pdf, tiff (header + junk), tiff-real, pdf-real (valid documents), png-big, tiff-big (one huge page, OCRed to the end), pdf-ocr (pdf-real OCRed to the end, with a searchable PDF)")
	flag.IntVar(&c.sizeMB, "size-mb", 200, "upload size in MiB")
	flag.IntVar(&c.maxUploadMB, "max-upload-mb", 300, "server.max_upload_mb")
	flag.IntVar(&c.targetMB, "target-mb", 64, "the peak growth the server should stay under")
	flag.DurationVar(&c.interval, "interval", 50*time.Millisecond, "RSS sampling interval")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Minute, "give up after this long")
	flag.StringVar(&c.workDir, "work-dir", "", "scratch directory (default: a new temp dir, removed at exit)")
	flag.StringVar(&c.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.BoolVar(&c.strict, "strict", false, "exit 3 when a peak growth is over -target-mb")
	flag.Parse()
	if c.bin == "" || c.sizeMB < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	code := run(ctx, c)
	cancel()
	stop()
	os.Exit(code)
}

type result struct {
	Kind          string  `json:"kind"`
	Pages         int     `json:"pages,omitempty"`
	SizeBytes     int64   `json:"size_bytes"`
	Status        int     `json:"http_status"`
	TaskStatus    string  `json:"task_status"`
	BaselineRSS   int64   `json:"baseline_rss"`
	PeakRSS       int64   `json:"peak_rss_sampled"`
	HWM           int64   `json:"vmhwm_after"`
	Peak          int64   `json:"peak"`
	Delta         int64   `json:"peak_delta"`
	Ratio         float64 `json:"peak_delta_over_size"`
	Seconds       float64 `json:"upload_seconds"`
	MBPerSec      float64 `json:"upload_mib_per_sec"`
	Samples       int     `json:"samples"`
	AfterRSS      int64   `json:"rss_after"`
	EnginePeakRSS int64   `json:"engine_peak_rss"`
	// The OCR kinds: the whole run from upload to the finished task.
	OCRSeconds    float64 `json:"ocr_seconds,omitempty"`
	OCRPeak       int64   `json:"ocr_peak,omitempty"`
	OCRDelta      int64   `json:"ocr_peak_delta,omitempty"`
	EngineBase    int64   `json:"engine_baseline_rss,omitempty"`
	HelperPeakRSS int64   `json:"helper_peak_rss,omitempty"`
	// AssemblerPeakRSS is the searchable PDF's assembler's (pdf-ocr), a
	// page helper process since issue 17; DoneRSS the server's once the
	// task completed.
	AssemblerPeakRSS int64  `json:"assembler_peak_rss,omitempty"`
	DoneRSS          int64  `json:"rss_done,omitempty"`
	TextFound        bool   `json:"text_found,omitempty"`
	Response         string `json:"-"`
}

func run(ctx context.Context, c config) int {
	tmp := c.workDir
	if tmp == "" {
		var err error
		if tmp, err = os.MkdirTemp("", "ocrbox-uploadmem-"); err != nil {
			fmt.Fprintln(os.Stderr, "uploadmem:", err)
			return 1
		}
		defer os.RemoveAll(tmp)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		fmt.Fprintln(os.Stderr, "uploadmem: curl is needed")
		return 1
	}
	var results []result
	code := 0
	for _, kind := range strings.Split(c.kinds, ",") {
		kind = strings.TrimSpace(kind)
		gen := kinds[kind]
		if gen == nil {
			fmt.Fprintf(os.Stderr, "uploadmem: unknown kind %q\n", kind)
			return 2
		}
		dir := filepath.Join(tmp, kind)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			fmt.Fprintln(os.Stderr, "uploadmem:", err)
			return 1
		}
		r, err := measure(ctx, c, kind, gen, dir)
		os.RemoveAll(dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "uploadmem: %s: %v\n", kind, err)
			code = 1
			continue
		}
		results = append(results, r)
	}
	printResults(os.Stdout, c, results)
	if c.jsonOut != "" {
		data, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(c.jsonOut, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "uploadmem:", err)
			code = 1
		}
	}
	if c.strict && code == 0 {
		for _, r := range results {
			if r.Delta > int64(c.targetMB)<<20 || r.OCRDelta > int64(c.targetMB)<<20 {
				code = 3
			}
		}
	}
	return code
}

func measure(ctx context.Context, c config, kind string, gen func(string, int64) (int, error), dir string) (result, error) {
	r := result{Kind: kind}
	file := filepath.Join(dir, "big."+strings.TrimSuffix(strings.TrimSuffix(kind, "-real"), "-ocr"))
	fmt.Fprintf(os.Stderr, "%s: generating %d MiB…\n", kind, c.sizeMB)
	pages, err := gen(file, int64(c.sizeMB)<<20)
	if err != nil {
		return r, fmt.Errorf("generate: %w", err)
	}
	st, err := os.Stat(file)
	if err != nil {
		return r, err
	}
	r.Pages, r.SizeBytes = pages, st.Size()

	env := map[string]string{
		"OCRBOX_OCR_WORKERS":          "1",
		"OCRBOX_SERVER_MAX_UPLOAD_MB": strconv.Itoa(c.maxUploadMB),
		"OCRBOX_LOG_LEVEL":            "info",
	}
	ocr := ocrKinds[kind]
	if ocr {
		// debug: the page helper's peak RSS is in its "page decoded" line.
		env["OCRBOX_LOG_LEVEL"] = "debug"
		env["OCRBOX_OCR_PAGE_TIMEOUT"] = "10m"
	}
	srv, err := benchsrv.Start(ctx, benchsrv.Options{Bin: c.bin, Dir: dir, Env: env})
	if err != nil {
		return r, err
	}
	defer srv.Stop()
	client := &http.Client{}
	token, err := srv.Login(ctx, client)
	if err != nil {
		return r, err
	}
	pid := srv.PID()
	// Let start-up garbage settle, then take the baseline and reset the
	// peak counter (clear_refs 5 resets VmHWM to the current RSS).
	time.Sleep(time.Second)
	rss, _, err := benchsrv.ProcStatus(pid)
	if err != nil {
		return r, err
	}
	r.BaselineRSS = rss
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		fmt.Fprintf(os.Stderr, "%s: cannot reset VmHWM (%v); using samples only\n", kind, err)
	}
	var engines []int
	for _, p := range benchsrv.Children(pid) {
		if strings.Contains(benchsrv.Cmdline(p), "plugin tesseract") {
			engines = append(engines, p)
			rss, _, _ := benchsrv.ProcStatus(p)
			r.EngineBase = max(r.EngineBase, rss)
			_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p), []byte("5"), 0)
		}
	}

	// Sample while curl runs and, for the OCR kinds, until the task ends.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex // guards the peaks while the sampler runs
	var helperPeak int64
	uploading := true
	wg.Go(func() {
		tick := time.NewTicker(c.interval)
		defer tick.Stop()
		for {
			mu.Lock()
			if rss, _, err := benchsrv.ProcStatus(pid); err == nil {
				if uploading {
					r.PeakRSS = max(r.PeakRSS, rss)
				}
				r.OCRPeak = max(r.OCRPeak, rss)
				r.Samples++
			}
			for _, h := range benchsrv.Children(pid) {
				// Engines start on first use (ocr.engine_idle_timeout):
				// one that was not there at the baseline is counted too.
				if strings.Contains(benchsrv.Cmdline(h), "plugin tesseract") && !slices.Contains(engines, h) {
					engines = append(engines, h)
				}
			}
			for _, e := range engines {
				if rss, _, err := benchsrv.ProcStatus(e); err == nil {
					r.EnginePeakRSS = max(r.EnginePeakRSS, rss)
				}
			}
			for _, h := range benchsrv.Children(pid) {
				if strings.Contains(benchsrv.Cmdline(h), " pagehelper") {
					if rss, _, err := benchsrv.ProcStatus(h); err == nil {
						helperPeak = max(helperPeak, rss)
					}
				}
			}
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	fmt.Fprintf(os.Stderr, "%s: uploading %.0f MiB…\n", kind, float64(r.SizeBytes)/(1<<20))
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, "curl", "-sS", "--max-time", "600", "-o", "-",
		"-w", "\n%{http_code} %{size_upload} %{time_total}",
		"-H", "Authorization: Bearer "+token, "-F", "outputs="+outputsOf(kind),
		"-F", "file=@"+file, srv.Base+"/api/v1/tasks")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	cerr := cmd.Run()
	wall := time.Since(start)
	mu.Lock()
	uploading = false
	_, hwm, _ := benchsrv.ProcStatus(pid)
	r.HWM = hwm
	r.Peak = max(r.PeakRSS, r.HWM)
	mu.Unlock()
	if !ocr || cerr != nil {
		close(stop)
		wg.Wait()
	}
	if cerr != nil {
		return r, fmt.Errorf("curl: %v: %s", cerr, bytes.TrimSpace(errOut.Bytes()))
	}
	body, tail, _ := cutLast(out.String(), "\n")
	r.Response = body
	f := strings.Fields(tail)
	if len(f) != 3 {
		return r, fmt.Errorf("curl printed %q", tail)
	}
	r.Status, _ = strconv.Atoi(f[0])
	sent, _ := strconv.ParseFloat(f[1], 64)
	secs, _ := strconv.ParseFloat(f[2], 64)
	if secs <= 0 {
		secs = wall.Seconds()
	}
	r.Seconds, r.MBPerSec = secs, sent/(1<<20)/secs
	r.Delta = r.Peak - r.BaselineRSS
	r.Ratio = float64(r.Delta) / float64(r.SizeBytes)
	r.AfterRSS, _, _ = benchsrv.ProcStatus(pid)
	if r.Status != http.StatusAccepted {
		if ocr {
			close(stop)
			wg.Wait()
		}
		return r, fmt.Errorf("upload answered %d: %s", r.Status, body)
	}
	var created struct {
		Tasks []struct{ ID, Status string }
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil || len(created.Tasks) != 1 {
		if ocr {
			close(stop)
			wg.Wait()
		}
		return r, fmt.Errorf("unexpected answer %s", body)
	}
	r.TaskStatus = created.Tasks[0].Status
	if ocr {
		fmt.Fprintf(os.Stderr, "%s: waiting for the OCR…\n", kind)
		werr := waitOCR(ctx, client, srv.Base, token, created.Tasks[0].ID, &r)
		r.OCRSeconds = time.Since(start).Seconds()
		close(stop)
		wg.Wait()
		_, hwm, _ := benchsrv.ProcStatus(pid)
		r.OCRPeak = max(r.OCRPeak, hwm)
		r.OCRDelta = r.OCRPeak - r.BaselineRSS
		r.DoneRSS, _, _ = benchsrv.ProcStatus(pid)
		for _, e := range engines {
			if _, ehwm, err := benchsrv.ProcStatus(e); err == nil {
				r.EnginePeakRSS = max(r.EnginePeakRSS, ehwm)
			}
		}
		r.HelperPeakRSS = max(helperPeak, helperPeakFromLog(srv.LogPath, "page decoded"))
		r.AssemblerPeakRSS = helperPeakFromLog(srv.LogPath, "searchable PDF assembled")
		if werr != nil {
			return r, werr
		}
	}
	// Remove the task so the worker does not spend the machine on it.
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, srv.Base+"/api/v1/tasks/"+created.Tasks[0].ID, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := client.Do(req); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return r, nil
}

// waitOCR polls the task until it ends, then checks its text holds the
// page's first line.
func waitOCR(ctx context.Context, client *http.Client, base, token, id string, r *result) error {
	var task struct {
		Status, Error string
		Files         []struct{ ID, Kind string }
	}
	for {
		if err := getJSON(ctx, client, base+"/api/v1/tasks/"+id, token, &task); err != nil {
			return err
		}
		if task.Status == "completed" || task.Status == "failed" || task.Status == "cancelled" {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	r.TaskStatus = task.Status
	if task.Status != "completed" {
		return fmt.Errorf("task %s: %s", task.Status, task.Error)
	}
	for _, f := range task.Files {
		if f.Kind != "txt" {
			continue
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/tasks/"+id+"/files/"+f.ID, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		text, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r.TextFound = strings.Contains(strings.ToLower(strings.Join(strings.Fields(string(text)), " ")), "quick brown fox")
	}
	return nil
}

func getJSON(ctx context.Context, client *http.Client, url, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// outputsOf is what a kind's task makes: text, and for pdf-ocr also the
// searchable PDF.
func outputsOf(kind string) string {
	if kind == "pdf-ocr" {
		return "txt,pdf"
	}
	return "txt"
}

// helperPeakFromLog is the largest max_rss_kb of the server's log lines
// saying msg ("page decoded", "searchable PDF assembled": the page
// helper's own peak, from its rusage): a helper may live between two
// samples.
func helperPeakFromLog(path, msg string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	var peak int64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg      string `json:"msg"`
			MaxRSSKB int64  `json:"max_rss_kb"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == msg {
			peak = max(peak, line.MaxRSSKB<<10)
		}
	}
	return peak
}

// printOCR is the table of the kinds OCRed to the end: the server's peak
// over its baseline during the upload and during upload + OCR, and the
// peak RSS of the engine and of the page helper.
func printOCR(w io.Writer, c config, rs []result) {
	var ocr []result
	for _, r := range rs {
		if ocrKinds[r.Kind] {
			ocr = append(ocr, r)
		}
	}
	if len(ocr) == 0 {
		return
	}
	fmt.Fprintf(w, "\nupload and OCR to the end (engine tesseract, one page):\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "file\tupload MiB\tserver baseline MiB\tserver delta upload MiB\tserver delta upload+OCR MiB\tserver RSS when done MiB\tengine RSS before MiB\tengine peak RSS MiB\thelper peak RSS MiB\tPDF assembler peak RSS MiB\tupload→done s\tstatus\ttext\t")
	for _, r := range ocr {
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t%v\t\n", r.Kind, mib(r.SizeBytes), mib(r.BaselineRSS),
			mib(r.Delta), mib(r.OCRDelta), mib(r.DoneRSS), mib(r.EngineBase), mib(r.EnginePeakRSS), mib(r.HelperPeakRSS), mib(r.AssemblerPeakRSS),
			r.OCRSeconds, r.TaskStatus, r.TextFound)
	}
	tw.Flush()
	for _, r := range ocr {
		verdict := "met"
		if r.OCRDelta > int64(c.targetMB)<<20 {
			verdict = "MISSED"
		}
		fmt.Fprintf(w, "  %s: server target (delta < %d MiB through upload and OCR) %s\n", r.Kind, c.targetMB, verdict)
	}
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return "", s, false
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func printResults(w io.Writer, c config, rs []result) {
	fmt.Fprintf(w, "\nocrbox upload memory — server host process, ocr.workers=1, server.max_upload_mb=%d, RSS sampled every %s\n\n",
		c.maxUploadMB, c.interval)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "file\tupload MiB\tbaseline RSS MiB\tpeak RSS MiB\tpeak delta MiB\tdelta/upload\tupload s\tMiB/s\tHTTP\tengine peak RSS MiB\t")
	for _, r := range rs {
		name := r.Kind
		if r.Pages > 0 {
			name += fmt.Sprintf(" (%d pages)", r.Pages)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.1f\t%.1f\t%.3f\t%.2f\t%.0f\t%d\t%.1f\t\n", name, mib(r.SizeBytes), mib(r.BaselineRSS),
			mib(r.Peak), mib(r.Delta), r.Ratio, r.Seconds, r.MBPerSec, r.Status, mib(r.EnginePeakRSS))
	}
	tw.Flush()
	fmt.Fprintf(w, "(peak = max of the sampled VmRSS and VmHWM, which was reset just before the upload; target: delta < %d MiB)\n", c.targetMB)
	printOCR(w, c, rs)
	for _, r := range rs {
		verdict := "met"
		if r.Delta > int64(c.targetMB)<<20 {
			verdict = "MISSED"
		}
		fmt.Fprintf(w, "  %s: target %s (%d samples, RSS after upload %.1f MiB)\n", r.Kind, verdict, r.Samples, mib(r.AfterRSS))
	}
}
