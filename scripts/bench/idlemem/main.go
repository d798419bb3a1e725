// Command idlemem (run by scripts/bench/footprint) measures what ocrbox costs while it waits and while it
// works (issue 17): the memory of the server and every process it started,
// summed, at rest after sign-ins, at its peak while two engine processes
// recognise pages, and at rest again once the engines have been idle; the
// time from start to ready; and what the first page after a quiet spell
// pays for starting its engine. It runs the same binary twice, side by
// side: engines always running (ocr.engine_idle_timeout = 0, as before)
// and stopped while idle (a short timeout, so the run is short; the
// default is 10 m). At the working peak it also names the processes, each
// with the anonymous part of its RSS, and reports the summed PSS: every
// process runs the same ocrbox binary, whose shared pages the summed RSS
// counts once per process (docs/benchmarks.md, "Footprint").
//
// The binary is first installed, that is copied with plain writes as
// cp(1) or install(1) would: how the kernel holds a file in the page cache
// depends on how it was written, and on kernels with large folios a
// linker's output (written through mmap) sits in 2 MiB folios that every
// process maps whole, ~20 MiB more per process than the installed copy
// (-install=false measures the file as it is).
//
// usage: idlemem -bin ocrbox [-corpus DIR] [-idle 5s] [-install=false] [-json FILE]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ocrbox/ocrbox/scripts/bench/internal/benchsrv"
)

// result is one mode's figures.
type result struct {
	Mode        string        `json:"mode"`
	ReadyIn     time.Duration `json:"ready_ns"`
	RestMiB     float64       `json:"rest_after_sign_ins_mib"`
	RestProcs   string        `json:"rest_processes"`
	WorkPeakMiB float64       `json:"peak_while_recognising_mib"`
	// WorkPeakPSS is the peak of the summed proportional set sizes: each
	// shared page (the ocrbox binary every process runs) counted once.
	WorkPeakPSS  float64       `json:"peak_while_recognising_pss_mib"`
	PeakProcs    string        `json:"peak_processes"`
	IdleAgainMiB float64       `json:"rest_after_idle_mib"`
	WarmPage     time.Duration `json:"warm_page_ns"`
	ColdPage     time.Duration `json:"first_page_after_idle_ns"`
}

func main() {
	bin := flag.String("bin", "", "the ocrbox binary (required)")
	corpus := flag.String("corpus", "../shared/testdata/ocr/pages", "the OCR corpus pages directory")
	idle := flag.Duration("idle", 5*time.Second, "ocr.engine_idle_timeout of the idle mode")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file")
	install := flag.Bool("install", true, "run a copy of -bin written as cp(1) writes it, as on a server")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "footprint: -bin is required")
		os.Exit(2)
	}
	if err := measure(*bin, *corpus, *idle, *jsonOut, *install); err != nil {
		fail(err)
	}
}

// measure runs both modes and reports them; the installed copy is removed
// however it ends.
func measure(bin, corpus string, idle time.Duration, jsonOut string, install bool) error {
	if install {
		dir, err := os.MkdirTemp("", "ocrbox-footprint-bin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if bin, err = installCopy(bin, dir); err != nil {
			return err
		}
	}
	page, err := os.ReadFile(filepath.Join(corpus, "phototest.tif"))
	if err != nil {
		return err
	}
	dense, err := os.ReadFile(filepath.Join(corpus, "8087_054.3B.tif"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var results []*result
	for _, m := range []struct {
		name string
		idle time.Duration
	}{{"engines always running", 0}, {"stopped while idle", idle}} {
		fmt.Fprintf(os.Stderr, "footprint: %s\n", m.name)
		r, err := run(ctx, bin, m.name, m.idle, page, dense)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		results = append(results, r)
	}
	report(results, idle)
	if jsonOut != "" {
		data, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(jsonOut, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// installCopy copies bin into dir with 128 KiB writes, as cp(1) does,
// and returns the copy's path.
func installCopy(bin, dir string) (string, error) {
	src, err := os.Open(bin)
	if err != nil {
		return "", err
	}
	defer src.Close()
	dst := filepath.Join(dir, "ocrbox")
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		return "", err
	}
	if _, err := io.CopyBuffer(struct{ io.Writer }{f}, struct{ io.Reader }{src}, make([]byte, 128<<10)); err != nil {
		f.Close()
		return "", fmt.Errorf("install %s: %w", bin, err)
	}
	return dst, f.Close()
}

func run(ctx context.Context, bin, mode string, idle time.Duration, page, dense []byte) (*result, error) {
	dir, err := os.MkdirTemp("", "ocrbox-footprint-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	second := benchsrv.Account{Email: "second@example.org", Password: "second-password-123"}
	srv, err := benchsrv.Start(ctx, benchsrv.Options{Bin: bin, Dir: dir, Users: []benchsrv.Account{second},
		Env: map[string]string{"OCRBOX_OCR_WORKERS": "2", "OCRBOX_OCR_ENGINE_IDLE_TIMEOUT": idle.String()}})
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	r := &result{Mode: mode, ReadyIn: srv.ReadyIn}
	client := &http.Client{Timeout: 2 * time.Minute}

	// Two people sign in (the local provider hashes both passwords).
	token, err := srv.Login(ctx, client)
	if err != nil {
		return nil, err
	}
	if _, err := login(ctx, client, srv.Base, second); err != nil {
		return nil, err
	}
	settle(ctx, 3*time.Second)
	var procs []string
	r.RestMiB, procs = treeRSS(srv.PID())
	r.RestProcs = strings.Join(procs, ", ")

	// Two dense pages at once: both engine processes busy.
	stop := sample(srv.PID(), &r.WorkPeakMiB, &r.PeakProcs, &r.WorkPeakPSS)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := ocr(ctx, client, srv.Base, token, fmt.Sprintf("dense-%d.tif", i), dense); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	stop()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}

	// A small page now, with its engine up: the warm figure.
	if r.WarmPage, err = ocr(ctx, client, srv.Base, token, "warm.tif", page); err != nil {
		return nil, err
	}
	// Quiet for longer than the idle timeout (and the reaper's tick).
	settle(ctx, max(idle+idle/2, 3*time.Second)+time.Second)
	r.IdleAgainMiB, _ = treeRSS(srv.PID())
	if r.ColdPage, err = ocr(ctx, client, srv.Base, token, "cold.tif", page); err != nil {
		return nil, err
	}
	if !srv.Alive() {
		return nil, fmt.Errorf("the server died; log:\n%s", srv.Tail(20))
	}
	return r, nil
}

// treeRSS sums the resident memory of pid and all its descendants, and
// names them (server, plugin NAME, pagehelper).
func treeRSS(pid int) (mib float64, names []string) {
	var total int64
	var walk func(int)
	walk = func(p int) {
		if rss, _, err := benchsrv.ProcStatus(p); err == nil {
			total += rss
			names = append(names, fmt.Sprintf("%s %.0f MiB (%.0f anon)", procName(benchsrv.Cmdline(p)),
				float64(rss)/(1<<20), float64(rssAnon(p))/(1<<20)))
		}
		for _, c := range benchsrv.Children(p) {
			walk(c)
		}
	}
	walk(pid)
	return float64(total) / (1 << 20), names
}

// rssAnon is the part of pid's resident memory that is its own (heap,
// stacks): the rest is files mapped, mostly the ocrbox binary every
// process of the tree runs, shared in the page cache but counted in each
// one's RSS.
func rssAnon(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			var kb int64
			fmt.Sscan(rest, &kb)
			return kb << 10
		}
	}
	return 0
}

func procName(cmdline string) string {
	f := strings.Fields(cmdline)
	switch {
	case len(f) >= 3 && f[1] == "plugin":
		return f[2]
	case len(f) >= 2:
		return f[1]
	default:
		return cmdline
	}
}

// treePSS sums the proportional set size of pid and its descendants
// (smaps_rollup): a page shared by k processes counts 1/k in each.
func treePSS(pid int) float64 {
	var kb int64
	var walk func(int)
	walk = func(p int) {
		if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", p)); err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if rest, ok := strings.CutPrefix(line, "Pss:"); ok {
					var v int64
					fmt.Sscan(rest, &v)
					kb += v
				}
			}
		}
		for _, c := range benchsrv.Children(p) {
			walk(c)
		}
	}
	walk(pid)
	return float64(kb) / 1024
}

// sample records the peak of treeRSS every 50 ms until stopped, the
// processes that made it up (where the peak comes from), and the peak of
// treePSS.
func sample(pid int, peak *float64, procs *string, pssPeak *float64) (stop func()) {
	var max atomic.Int64
	var names []string // written by the sampler only, read after it ended
	var pss float64    // likewise
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			if mib, n := treeRSS(pid); int64(mib*1024) > max.Load() {
				max.Store(int64(mib * 1024))
				names = n
			}
			pss = math.Max(pss, treePSS(pid))
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		*peak = float64(max.Load()) / 1024
		*procs = strings.Join(names, ", ")
		*pssPeak = pss
	}
}

func settle(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func login(ctx context.Context, client *http.Client, base string, a benchsrv.Account) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": a.Email, "password": a.Password})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("login %s: %s: %s", a.Email, resp.Status, data)
	}
	return "ok", nil
}

// ocr uploads one page (txt only) and waits for it; it returns the time
// from the upload to completion.
func ocr(ctx context.Context, client *http.Client, base, token, name string, data []byte) (time.Duration, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("outputs", "txt")
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	t0 := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/tasks", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return 0, fmt.Errorf("upload %s: %s: %s", name, resp.Status, raw)
	}
	var created struct{ Tasks []struct{ ID string } }
	if err := json.Unmarshal(raw, &created); err != nil || len(created.Tasks) != 1 {
		return 0, fmt.Errorf("upload %s: unexpected answer %s", name, raw)
	}
	for {
		var task struct{ Status, Error string }
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/tasks/"+created.Tasks[0].ID, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		_ = json.Unmarshal(raw, &task)
		switch task.Status {
		case "completed":
			return time.Since(t0), nil
		case "failed", "cancelled":
			return 0, fmt.Errorf("task %s: %s %s", name, task.Status, task.Error)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func report(rs []*result, idle time.Duration) {
	mib := func(v float64) string { return fmt.Sprintf("%.0f MiB", v) }
	sec := func(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
	rows := []struct {
		name string
		f    func(*result) string
	}{
		{"start-up to ready", func(r *result) string { return sec(r.ReadyIn) }},
		{"at rest after two sign-ins (everything)", func(r *result) string { return mib(r.RestMiB) }},
		{"  processes at rest", func(r *result) string { return r.RestProcs }},
		{"peak while 2 engines recognise", func(r *result) string { return mib(r.WorkPeakMiB) }},
		{"  processes at the peak (RSS, of which anonymous)", func(r *result) string { return r.PeakProcs }},
		{"  peak of the summed PSS (shared pages counted once)", func(r *result) string { return mib(r.WorkPeakPSS) }},
		{fmt.Sprintf("at rest after %s without pages", max(idle+idle/2, 3*time.Second)+time.Second), func(r *result) string { return mib(r.IdleAgainMiB) }},
		{"small page, engine running (upload → done)", func(r *result) string { return sec(r.WarmPage) }},
		{"same page after the quiet spell", func(r *result) string { return sec(r.ColdPage) }},
	}
	fmt.Printf("| figure | %s | %s |\n|---|---|---|\n", rs[0].Mode, rs[1].Mode)
	for _, row := range rows {
		fmt.Printf("| %s | %s | %s |\n", row.name, row.f(rs[0]), row.f(rs[1]))
	}
	fmt.Printf("\nfirst page after idle pays %.2f s more than a warm one\n", (rs[1].ColdPage - rs[1].WarmPage).Seconds())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "footprint:", err)
	os.Exit(1)
}
