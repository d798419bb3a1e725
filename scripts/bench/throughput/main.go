// Command throughput measures ocrbox's OCR throughput against the engine's
// own command-line tool, in the same run, over the same pages, with the same
// parallelism. Run it through scripts/bench/ocr-throughput, which builds the
// binaries and waits for a quiet machine; see docs/benchmarks.md.
//
// For each mode (txt+json outputs, then every output including pdf) it
// uploads each corpus page R times, N uploads in flight, waits for each task
// to finish (Server-Sent Events, or polling), and reports pages per second;
// it runs the CLI (tesseract IMG OUT -l LANG [txt pdf], OMP_THREAD_LIMIT=1)
// with the same N over the same page list, alternating with the server round
// by round. It also reports the mean character error rate of both against
// the corpus's ground truth, where the time of a page goes inside the server
// (from the task record and the server log), and the CPU per page of the
// server's host and engine processes and of the CLI.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/ocrbox/ocrbox/scripts/bench/internal/benchsrv"
)

// cliTemplates are the baseline commands per engine: {img}, {out} (output
// base, no extension), {lang} and {formats} (the mode's CLI config files,
// e.g. "txt pdf") are substituted. A new engine adds its line here, or the
// caller passes -cli.
var cliTemplates = map[string]string{
	"tesseract": "tesseract {img} {out} -l {lang} {formats}",
}

type mode struct {
	name       string
	outputs    string   // the server's outputs field
	cliFormats []string // tesseract config files; empty = its default (txt)
}

var modes = []mode{
	{name: "txt,json", outputs: "txt,json"},
	{name: "all+pdf", outputs: "txt,hocr,json,pdf", cliFormats: []string{"txt", "pdf"}},
}

type config struct {
	bin, corpus, engine, lang, cliTmpl string
	workDir, jsonOut, logLevel, only   string
	wait                               string
	parallel, rounds, workers          int
	interleave                         bool
	budget, taskTimeout, timeout, poll time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "", "ocrbox binary (required)")
	flag.StringVar(&c.corpus, "corpus", "../shared/testdata/ocr", "corpus directory with pages/*.tif and their .txt ground truth")
	flag.StringVar(&c.engine, "engine", "tesseract", "server engine to benchmark")
	flag.StringVar(&c.lang, "lang", "eng", "language")
	flag.StringVar(&c.cliTmpl, "cli", "", "baseline command template ({img} {out} {lang} {formats}); default per engine, \"none\" to skip")
	flag.StringVar(&c.workDir, "work-dir", "", "scratch directory (default: a new temp dir, removed at exit)")
	flag.StringVar(&c.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.StringVar(&c.logLevel, "log-level", "debug", "server log level (debug gives per-page timings)")
	flag.StringVar(&c.only, "modes", "txt,json;all+pdf", "modes to run, ';'-separated: txt,json and/or all+pdf")
	flag.StringVar(&c.wait, "wait", "sse", "how to learn that a task ended: sse (its event stream, with a 1 s poll as a safety net) or poll (GET /tasks/{id} every -poll)")
	flag.DurationVar(&c.poll, "poll", 10*time.Millisecond, "poll interval for -wait poll")
	flag.BoolVar(&c.interleave, "interleave", true, "alternate server and CLI round by round, so that other load on the machine hits both alike (false: all server rounds, then all CLI rounds)")
	flag.IntVar(&c.parallel, "parallel", 2, "uploads (and CLI processes) in flight")
	flag.IntVar(&c.rounds, "rounds", 0, "times the page list is run per measurement (0: enough for ~60 s in all)")
	flag.IntVar(&c.workers, "workers", 0, "server ocr.workers (0: number of CPUs)")
	flag.DurationVar(&c.budget, "budget", 60*time.Second, "target total measuring time when -rounds is 0")
	flag.DurationVar(&c.taskTimeout, "task-timeout", 5*time.Minute, "give up on one task after this long")
	flag.DurationVar(&c.timeout, "timeout", 30*time.Minute, "give up on the whole run after this long")
	compareFiles := flag.Bool("compare", false, "print the engines of the JSON reports given as arguments side by side, and exit")
	flag.Parse()
	if *compareFiles {
		if err := compare(os.Stdout, flag.Args()); err != nil {
			fmt.Fprintln(os.Stderr, "throughput:", err)
			os.Exit(1)
		}
		return
	}
	if c.bin == "" || c.parallel < 1 || c.rounds < 0 || c.workers < 0 || (c.wait != "poll" && c.wait != "sse") {
		flag.Usage()
		os.Exit(2)
	}
	if c.workers == 0 {
		c.workers = runtime.NumCPU()
	}
	if c.cliTmpl == "" {
		c.cliTmpl = cliTemplates[c.engine]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	code := run(ctx, c)
	cancel()
	stop()
	os.Exit(code)
}

// page is one corpus image with its ground truth.
type page struct {
	name, path, truth string
}

type bench struct {
	polls      atomic.Int64 // GET /tasks/{id} made while waiting
	sseMissed  atomic.Int64 // tasks whose end the event stream did not deliver
	sseForeign atomic.Int64 // events on a task's stream that were about another task
	c          config
	srv        *benchsrv.Server
	client     *http.Client
	token      string
	pages      []page
	tmp        string
}

func run(ctx context.Context, c config) int {
	b := &bench{c: c, client: &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: 4 * c.parallel, DisableCompression: true}}}
	if err := b.setup(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "throughput:", err)
		b.teardown()
		return 1
	}
	code := 0
	if err := b.measure(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "throughput:", err)
		if b.srv != nil {
			fmt.Fprintf(os.Stderr, "server log (last lines, full log %s):\n%s\n", b.srv.LogPath, b.srv.Tail(15))
		}
		code = 1
	}
	b.teardown()
	return code
}

func (b *bench) setup(ctx context.Context) error {
	var err error
	if b.c.workDir == "" {
		if b.tmp, err = os.MkdirTemp("", "ocrbox-bench-"); err != nil {
			return err
		}
		b.c.workDir = b.tmp
	}
	paths, _ := filepath.Glob(filepath.Join(b.c.corpus, "pages", "*.tif"))
	for _, p := range paths {
		truth, err := os.ReadFile(strings.TrimSuffix(p, filepath.Ext(p)) + ".txt")
		if err != nil {
			return fmt.Errorf("ground truth for %s: %w", p, err)
		}
		b.pages = append(b.pages, page{name: filepath.Base(p), path: p, truth: string(truth)})
	}
	if len(b.pages) == 0 {
		return fmt.Errorf("no pages/*.tif in the corpus %s (use --corpus)", b.c.corpus)
	}
	if b.c.cliTmpl != "none" && b.c.cliTmpl != "" {
		bin := strings.Fields(b.c.cliTmpl)[0]
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("baseline CLI %q not found: %w", bin, err)
		}
	}
	b.srv, err = benchsrv.Start(ctx, benchsrv.Options{Bin: b.c.bin, Dir: b.c.workDir, Env: map[string]string{
		"OCRBOX_OCR_WORKERS":        strconv.Itoa(b.c.workers),
		"OCRBOX_LOG_LEVEL":          b.c.logLevel,
		"OCRBOX_OCR_DEFAULT_ENGINE": b.c.engine,
	}})
	if err != nil {
		return err
	}
	if b.token, err = b.srv.Login(ctx, b.client); err != nil {
		return err
	}
	return b.checkEngine(ctx)
}

func (b *bench) teardown() {
	if b.srv != nil {
		b.srv.Stop()
	}
	if b.tmp != "" {
		os.RemoveAll(b.tmp)
	}
}

func (b *bench) checkEngine(ctx context.Context) error {
	data, err := b.get(ctx, "/api/v1/engines")
	if err != nil {
		return err
	}
	var infos []struct {
		Name, Version string
	}
	if err := json.Unmarshal(data, &infos); err != nil {
		return fmt.Errorf("GET /engines: %w", err)
	}
	var names []string
	for _, i := range infos {
		if i.Name == b.c.engine {
			return nil
		}
		names = append(names, i.Name)
	}
	return fmt.Errorf("engine %q is not installed in the server (it has %v)", b.c.engine, names)
}

// --- the server side ----------------------------------------------------

type task struct {
	ID          string     `json:"id"`
	Status      string     `json:"status"`
	Error       string     `json:"error"`
	PagesTotal  int        `json:"pages_total"`
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
	DurationMS  int64      `json:"duration_ms"`
	Files       []struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
		Size int64  `json:"size"`
	} `json:"files"`
}

func terminal(status string) bool {
	return status == "completed" || status == "failed" || status == "cancelled"
}

// result is one page through the server or the CLI.
type result struct {
	page     page
	start    time.Time
	latency  time.Duration // upload start → completed (server), exec → exit (CLI)
	upload   time.Duration // server: the POST round trip
	cpu      time.Duration // CLI: the process's user+sys CPU
	task     task
	text     string
	outSize  int64   // CLI: bytes of the outputs written
	workerMS float64 // server: the worker's "page done" time
	// server: the engine processes' CPU while the task ran; the page's own
	// only when one page at a time is in flight.
	engineCPU time.Duration
	err       error
}

func (b *bench) auth(req *http.Request) { req.Header.Set("Authorization", "Bearer "+b.token) }

func (b *bench) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.srv.Base+path, nil)
	if err != nil {
		return nil, err
	}
	b.auth(req)
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(data))
	}
	return data, nil
}

// serverPage uploads one file and waits for its task to end.
func (b *bench) serverPage(ctx context.Context, p page, m mode) result {
	before := b.serverCPU()
	r := result{page: p, start: time.Now()}
	ctx, cancel := context.WithTimeout(ctx, b.c.taskTimeout)
	defer cancel()
	img, err := os.ReadFile(p.path)
	if err != nil {
		r.err = err
		return r
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("engine", b.c.engine)
	_ = mw.WriteField("lang", b.c.lang)
	_ = mw.WriteField("outputs", m.outputs)
	fw, _ := mw.CreateFormFile("file", p.name)
	_, _ = fw.Write(img)
	_ = mw.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, b.srv.Base+"/api/v1/tasks", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	b.auth(req)
	resp, err := b.client.Do(req)
	if err != nil {
		r.err = fmt.Errorf("upload %s: %w", p.name, err)
		return r
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r.upload = time.Since(r.start)
	if resp.StatusCode != http.StatusAccepted {
		r.err = fmt.Errorf("upload %s: %s: %s", p.name, resp.Status, bytes.TrimSpace(data))
		return r
	}
	var created struct{ Tasks []task }
	if err := json.Unmarshal(data, &created); err != nil || len(created.Tasks) != 1 {
		r.err = fmt.Errorf("upload %s: unexpected answer %s", p.name, data)
		return r
	}
	r.task, r.err = b.await(ctx, created.Tasks[0].ID)
	r.latency = time.Since(r.start)
	_, r.engineCPU = b.serverCPU().delta(before)
	if r.err == nil && r.task.Status != "completed" {
		r.err = fmt.Errorf("task %s (%s) ended %s: %s", r.task.ID, p.name, r.task.Status, r.task.Error)
	}
	return r
}

// await waits for the task to end, by polling or through its event stream.
func (b *bench) await(ctx context.Context, id string) (task, error) {
	if b.c.wait == "poll" {
		return b.poll(ctx, id, b.c.poll)
	}
	// The event stream, with a slow poll beside it: a stream that misses
	// the end must not hang the run; how often that happens is reported.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type res struct {
		t       task
		err     error
		fromSSE bool
	}
	ch := make(chan res, 2)
	go func() { t, err := b.events(ctx, id); ch <- res{t, err, true} }()
	go func() { t, err := b.poll(ctx, id, time.Second); ch <- res{t, err, false} }()
	var first res
	for range 2 {
		r := <-ch
		if r.err == nil && r.fromSSE {
			return r.t, nil
		}
		if r.err == nil {
			// The poll saw the end first. The stream may just be a moment
			// behind (a busy machine); only a stream that stays silent
			// counts as having missed it.
			select {
			case s := <-ch:
				if s.err == nil {
					return s.t, nil
				}
			case <-time.After(time.Second):
			}
			b.sseMissed.Add(1)
			return r.t, nil
		}
		if first.err == nil {
			first = r
		}
	}
	return first.t, first.err
}

// poll GETs the task every interval until it ends.
func (b *bench) poll(ctx context.Context, id string, interval time.Duration) (task, error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return task{}, fmt.Errorf("waiting for task %s: %w", id, ctx.Err())
		case <-tick.C:
		}
		b.polls.Add(1)
		data, err := b.get(ctx, "/api/v1/tasks/"+id)
		if err != nil {
			return task{}, err
		}
		var t task
		if err := json.Unmarshal(data, &t); err != nil {
			return task{}, fmt.Errorf("task %s: %w", id, err)
		}
		if terminal(t.Status) {
			return t, nil
		}
	}
}

// events follows the task's event stream until a terminal state.
func (b *bench) events(ctx context.Context, id string) (task, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.srv.Base+"/api/v1/tasks/"+id+"/events", nil)
	b.auth(req)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := b.client.Do(req)
	if err != nil {
		return task{}, fmt.Errorf("events of %s: %w", id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		return task{}, fmt.Errorf("events of %s: %s: %s", id, resp.Status, bytes.TrimSpace(data))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var last task
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var t task
		if err := json.Unmarshal([]byte(data), &t); err != nil {
			return last, fmt.Errorf("events of %s: %w", id, err)
		}
		if t.ID != id {
			b.sseForeign.Add(1) // a server bug; never take it for ours
			continue
		}
		last = t
		if terminal(last.Status) {
			return last, nil
		}
	}
	if err := sc.Err(); err != nil {
		return last, fmt.Errorf("events of %s: %w", id, err)
	}
	return last, fmt.Errorf("events of %s ended in state %q", id, last.Status)
}

// fetchText downloads the task's txt result.
func (b *bench) fetchText(ctx context.Context, t task) (string, error) {
	for _, f := range t.Files {
		if f.Kind == "txt" {
			data, err := b.get(ctx, "/api/v1/tasks/"+t.ID+"/files/"+f.ID)
			return string(data), err
		}
	}
	return "", fmt.Errorf("task %s has no txt file", t.ID)
}

// --- the CLI side -------------------------------------------------------

func (b *bench) cliPage(ctx context.Context, p page, m mode, out string) result {
	r := result{page: p}
	formats := strings.Join(m.cliFormats, " ")
	repl := strings.NewReplacer("{img}", p.path, "{out}", out, "{lang}", b.c.lang, "{formats}", formats)
	args := strings.Fields(repl.Replace(b.c.cliTmpl))
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	r.start = time.Now()
	err := cmd.Run()
	r.latency = time.Since(r.start)
	if cmd.ProcessState != nil {
		r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		r.err = fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
		return r
	}
	return r
}

// --- measuring ----------------------------------------------------------

// run is one measured pass: the page list `rounds` times with N in flight.
type pass struct {
	results []result
	wall    time.Duration
	// CPU used during the pass.
	hostCPU, engineCPU, cliCPU time.Duration
	machineBusy                float64 // CPU cores busy on the whole machine, on average
	selfCPU                    time.Duration
	loadBefore, loadAfter      float64
}

// add appends another pass's pages and time (for interleaved rounds).
func (p *pass) add(o pass) {
	if len(p.results) == 0 {
		p.loadBefore = o.loadBefore
	}
	busy := p.machineBusy*p.wall.Seconds() + o.machineBusy*o.wall.Seconds()
	p.results = append(p.results, o.results...)
	p.wall += o.wall
	p.hostCPU += o.hostCPU
	p.engineCPU += o.engineCPU
	p.cliCPU += o.cliCPU
	p.selfCPU += o.selfCPU
	p.machineBusy = busy / p.wall.Seconds()
	p.loadAfter = o.loadAfter
}

func (p pass) failed() []error {
	var errs []error
	for _, r := range p.results {
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	return errs
}

func (p pass) pagesPerSec() float64 { return float64(len(p.results)) / p.wall.Seconds() }

// otherCores is the machine's CPU use that was neither ours nor the server's.
func (p pass) otherCores() float64 {
	own := (p.hostCPU + p.engineCPU + p.cliCPU + p.selfCPU).Seconds() / p.wall.Seconds()
	return math.Max(0, p.machineBusy-own)
}

func (b *bench) jobs(rounds int) []page {
	var list []page
	for range rounds {
		list = append(list, b.pages...)
	}
	return list
}

// parallel runs fn over list with N workers pulling from a shared queue.
func (b *bench) parallel(ctx context.Context, list []page, fn func(i int, p page) result) pass {
	var ps pass
	ps.loadBefore = benchsrv.LoadAvg()
	cpu0 := b.serverCPU()
	self0 := selfCPU()
	busy0, total0 := benchsrv.MachineCPU()
	ps.results = make([]result, len(list))
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range b.c.parallel {
		wg.Go(func() {
			for i := range next {
				ps.results[i] = fn(i, list[i])
			}
		})
	}
feed:
	for i := range list {
		select {
		case next <- i:
		case <-ctx.Done():
			for j := i; j < len(list); j++ {
				ps.results[j] = result{page: list[j], err: ctx.Err()}
			}
			break feed
		}
	}
	close(next)
	wg.Wait()
	ps.wall = time.Since(start)
	busy1, total1 := benchsrv.MachineCPU()
	cpu1 := b.serverCPU()
	ps.selfCPU = selfCPU() - self0
	ps.hostCPU, ps.engineCPU = cpu1.delta(cpu0)
	if total1 > total0 {
		ps.machineBusy = float64(busy1-busy0) / float64(total1-total0) * float64(runtime.NumCPU())
	}
	for _, r := range ps.results {
		ps.cliCPU += r.cpu
	}
	ps.loadAfter = benchsrv.LoadAvg()
	return ps
}

// cpuSnap is the CPU time of the server host and of each engine process.
type cpuSnap struct {
	host    time.Duration
	engines map[int]time.Duration
}

func (b *bench) serverCPU() cpuSnap {
	s := cpuSnap{engines: map[int]time.Duration{}}
	if b.srv == nil {
		return s
	}
	s.host, _ = benchsrv.CPUTime(b.srv.PID())
	for _, pid := range benchsrv.Children(b.srv.PID()) {
		if strings.Contains(benchsrv.Cmdline(pid), " plugin "+b.c.engine) {
			s.engines[pid], _ = benchsrv.CPUTime(pid)
		}
	}
	return s
}

// delta returns the host's and the engines' CPU since before; an engine
// process that was restarted in between counts from zero.
func (s cpuSnap) delta(before cpuSnap) (host, engines time.Duration) {
	for pid, t := range s.engines {
		engines += t - before.engines[pid]
	}
	return s.host - before.host, engines
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (b *bench) measure(ctx context.Context) error {
	cli := b.c.cliTmpl != "" && b.c.cliTmpl != "none"
	cliDir := filepath.Join(b.c.workDir, "cli")
	if err := os.MkdirAll(cliDir, 0o700); err != nil {
		return err
	}
	var run []mode
	for _, name := range strings.Split(b.c.only, ";") {
		i := slices.IndexFunc(modes, func(m mode) bool { return m.name == strings.TrimSpace(name) })
		if i < 0 {
			return fmt.Errorf("unknown mode %q (have txt,json and all+pdf)", name)
		}
		run = append(run, modes[i])
	}

	// Warm-up: one page per engine process, so that every process has its
	// model loaded (they load on first use), with the last mode's outputs;
	// and each CLI page once, which fills the page cache and calibrates -rounds.
	fmt.Fprintf(os.Stderr, "warming up: %d server pages (one per engine process)…\n", b.c.workers)
	first := max(0, slices.IndexFunc(b.pages, func(p page) bool { return strings.HasPrefix(p.name, "phototest") }))
	warm := make([]page, b.c.workers)
	for i := range warm {
		warm[i] = b.pages[first]
	}
	saved := b.c.parallel
	b.c.parallel = b.c.workers
	wp := b.parallel(ctx, warm, func(_ int, p page) result { return b.serverPage(ctx, p, run[len(run)-1]) })
	b.c.parallel = saved
	if errs := wp.failed(); len(errs) > 0 {
		return fmt.Errorf("warm-up failed: %w", errors.Join(errs...))
	}
	var serial time.Duration
	var longest time.Duration
	if cli {
		for i, p := range b.pages {
			r := b.cliPage(ctx, p, modes[0], filepath.Join(cliDir, fmt.Sprintf("warm-%d", i)))
			if r.err != nil {
				return fmt.Errorf("CLI warm-up: %w", r.err)
			}
			serial += r.latency
			longest = max(longest, r.latency)
		}
	} else {
		for _, p := range b.pages {
			r := b.serverPage(ctx, p, modes[0])
			if r.err != nil {
				return fmt.Errorf("warm-up: %w", r.err)
			}
			serial += r.latency
			longest = max(longest, r.latency)
		}
	}
	rounds := b.c.rounds
	if rounds == 0 {
		// One round takes about the serial time spread over the usable
		// parallelism, but never less than its longest page.
		lanes := min(b.c.parallel, runtime.NumCPU(), len(b.pages))
		perRound := max(serial/time.Duration(lanes), longest)
		passes := len(run)
		if cli {
			passes *= 2
		}
		rounds = int(math.Ceil(b.c.budget.Seconds() / float64(passes) / perRound.Seconds()))
		rounds = min(max(rounds, 1), 200)
		fmt.Fprintf(os.Stderr, "calibration: %d pages take %.2f s one after another; %d rounds\n",
			len(b.pages), serial.Seconds(), rounds)
	}

	rep := report{Config: b.c, Rounds: rounds, Pages: len(b.pages) * rounds, Parallel: b.c.parallel,
		Workers: b.c.workers, Engine: b.c.engine, Started: time.Now()}
	var failures []error
	var lastTask string
	for _, m := range run {
		polls0 := b.polls.Load()
		dir := filepath.Join(cliDir, strings.NewReplacer(",", "_", "+", "_").Replace(m.name))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		serverRun := func(list []page) pass {
			return b.parallel(ctx, list, func(_ int, p page) result { return b.serverPage(ctx, p, m) })
		}
		cliRun := func(list []page, first int) pass {
			return b.parallel(ctx, list, func(i int, p page) result {
				out := filepath.Join(dir, strconv.Itoa(first+i))
				r := b.cliPage(ctx, p, m, out)
				if r.err == nil {
					var data []byte
					data, r.err = os.ReadFile(out + ".txt")
					r.text = string(data)
				}
				for _, f := range m.cliFormats {
					if st, err := os.Stat(out + "." + f); err == nil {
						r.outSize += st.Size()
					} else if r.err == nil {
						r.err = fmt.Errorf("CLI wrote no %s for %s", f, p.name)
					}
				}
				return r
			})
		}
		var srv, cpass pass
		if b.c.interleave && cli {
			fmt.Fprintf(os.Stderr, "%s: %d rounds of %d pages, server then CLI, %d in flight…\n", m.name, rounds, len(b.pages), b.c.parallel)
			for r := range rounds {
				srv.add(serverRun(b.pages))
				cpass.add(cliRun(b.pages, r*len(b.pages)))
				if ctx.Err() != nil {
					break
				}
			}
		} else {
			list := b.jobs(rounds)
			fmt.Fprintf(os.Stderr, "%s: server, %d pages, %d in flight…\n", m.name, len(list), b.c.parallel)
			srv = serverRun(list)
			if cli {
				fmt.Fprintf(os.Stderr, "%s: CLI, %d pages, %d in flight…\n", m.name, len(list), b.c.parallel)
				cpass = cliRun(list, 0)
			}
		}
		failures = append(failures, srv.failed()...)
		for i := range srv.results {
			r := &srv.results[i]
			if r.err == nil {
				if r.text, r.err = b.fetchText(ctx, r.task); r.err != nil {
					failures = append(failures, r.err)
				}
			}
		}
		for _, r := range srv.results {
			if r.err == nil {
				lastTask = r.task.ID
			}
		}
		mr := modeReport{Mode: m.name, Server: summarize(srv), Polls: b.polls.Load() - polls0}
		b.serverBreakdown(&mr, srv)
		var cp *pass
		if cli {
			failures = append(failures, cpass.failed()...)
			s := summarize(cpass)
			mr.CLI, cp = &s, &cpass
		}
		mr.perPage(b.pages, srv, cp, b.c.parallel == 1)
		rep.Modes = append(rep.Modes, mr)
		if !b.srv.Alive() {
			return errors.New("the server died")
		}
	}
	rep.Finished = time.Now()
	rep.Wait, rep.Polls, rep.SSEMissed, rep.SSEForeign = b.c.wait, b.polls.Load(), b.sseMissed.Load(), b.sseForeign.Load()
	if rep.Polls > 0 && len(rep.Modes) > 0 {
		rep.PollCPUMS = b.pollCost(ctx, lastTask)
	}
	rep.print(os.Stdout)
	if b.c.jsonOut != "" {
		data, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(b.c.jsonOut, data, 0o644); err != nil {
			return err
		}
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d page(s) failed, first: %w", len(failures), failures[0])
	}
	return nil
}

// pollCost measures the host CPU one GET /tasks/{id} costs, so that the
// report can take the benchmark's own polling out of the server's CPU.
func (b *bench) pollCost(ctx context.Context, id string) float64 {
	if id == "" {
		return 0
	}
	const n = 1000
	before := b.serverCPU()
	for range n {
		if _, err := b.get(ctx, "/api/v1/tasks/"+id); err != nil {
			return 0
		}
	}
	host, _ := b.serverCPU().delta(before)
	return ms(host) / n
}

// --- the server log -----------------------------------------------------

// pageTimes reads the worker's "page done" debug lines: task id → ms.
func (b *bench) pageTimes() map[string]float64 {
	out := map[string]float64{}
	f, err := os.Open(b.srv.LogPath)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.Contains(line, []byte(`"page done"`)) {
			continue
		}
		var e struct {
			Msg    string  `json:"msg"`
			TaskID string  `json:"task_id"`
			MS     float64 `json:"ms"`
		}
		if json.Unmarshal(line, &e) == nil && e.Msg == "page done" {
			out[e.TaskID] += e.MS
		}
	}
	return out
}

// --- reporting ----------------------------------------------------------

type summary struct {
	Pages        int     `json:"pages"`
	Seconds      float64 `json:"seconds"`
	PagesPerSec  float64 `json:"pages_per_sec"`
	MeanCER      float64 `json:"mean_cer"`
	LatencyMS    float64 `json:"mean_latency_ms"`
	CPUPerPage   float64 `json:"cpu_ms_per_page"` // engine (server) or tesseract process (CLI)
	OtherCores   float64 `json:"other_cores"`     // machine CPU use that was not ours
	MachineCores float64 `json:"machine_cores"`   // whole-machine CPU busy during the pass
	LoadBefore   float64 `json:"load_before"`
	LoadAfter    float64 `json:"load_after"`
	Failed       int     `json:"failed"`
}

func summarize(p pass) summary {
	s := summary{Pages: len(p.results), Seconds: p.wall.Seconds(), PagesPerSec: p.pagesPerSec(),
		OtherCores: p.otherCores(), MachineCores: p.machineBusy, LoadBefore: p.loadBefore, LoadAfter: p.loadAfter, Failed: len(p.failed())}
	var cers, lat []float64
	for _, r := range p.results {
		if r.err != nil {
			continue
		}
		cers = append(cers, cer(r.page.truth, r.text))
		lat = append(lat, ms(r.latency))
	}
	s.MeanCER, s.LatencyMS = mean(cers), mean(lat)
	if p.cliCPU > 0 {
		s.CPUPerPage = ms(p.cliCPU) / float64(len(p.results))
	} else {
		s.CPUPerPage = ms(p.engineCPU) / float64(len(p.results))
	}
	return s
}

// breakdown is where a server page's time goes, mean ms per page.
type breakdown struct {
	Latency      float64 `json:"client_latency_ms"` // upload start → completed event
	Upload       float64 `json:"upload_ms"`         // POST /tasks round trip
	Queue        float64 `json:"queue_ms"`          // created_at → started_at
	WorkerPage   float64 `json:"worker_page_ms"`    // the worker's "page done" ms (recognise RPC + JSON + writes)
	Finish       float64 `json:"finish_ms"`         // started_at → completed_at minus worker_page: open, assemble outputs, update
	Notify       float64 `json:"notify_ms"`         // the rest: SSE subscription and delivery, client
	HostCPU      float64 `json:"host_cpu_ms"`       // ocrbox host process CPU per page
	EngineCPU    float64 `json:"engine_cpu_ms"`     // engine processes' CPU per page
	MachineCores float64 `json:"machine_cores"`     // whole-machine CPU busy during the pass, in cores
}

type pageRow struct {
	File      string  `json:"file"`
	ServerMS  float64 `json:"server_latency_ms"`
	WorkerMS  float64 `json:"worker_page_ms"`
	CLIMS     float64 `json:"cli_ms"`
	CLICPUMS  float64 `json:"cli_cpu_ms"`
	EngineCPU float64 `json:"engine_cpu_ms,omitempty"` // only with one page in flight
	ServerCER float64 `json:"server_cer"`
	CLICER    float64 `json:"cli_cer"`
}

type modeReport struct {
	Mode      string    `json:"mode"`
	Server    summary   `json:"server"`
	CLI       *summary  `json:"cli,omitempty"`
	Breakdown breakdown `json:"server_breakdown"`
	Polls     int64     `json:"polls"`
	PerPage   []pageRow `json:"per_page"`
}

// serverBreakdown splits the server pages' latency using the task records
// and the worker's log; it also fills each result's worker time.
func (b *bench) serverBreakdown(mr *modeReport, p pass) {
	times := b.pageTimes()
	var lat, up, queue, wp, fin, notify []float64
	for i := range p.results {
		r := &p.results[i]
		if r.err != nil || r.task.StartedAt == nil || r.task.CompletedAt == nil {
			continue
		}
		r.workerMS = times[r.task.ID]
		lat = append(lat, ms(r.latency))
		up = append(up, ms(r.upload))
		queue = append(queue, ms(r.task.StartedAt.Sub(r.task.CreatedAt)))
		run := ms(r.task.CompletedAt.Sub(*r.task.StartedAt))
		wp = append(wp, r.workerMS)
		fin = append(fin, run-r.workerMS)
		notify = append(notify, ms(r.latency)-ms(r.upload)-ms(r.task.CompletedAt.Sub(r.task.CreatedAt)))
	}
	n := float64(len(p.results))
	mr.Breakdown = breakdown{Latency: mean(lat), Upload: mean(up), Queue: mean(queue), WorkerPage: mean(wp),
		Finish: mean(fin), Notify: mean(notify), HostCPU: ms(p.hostCPU) / n, EngineCPU: ms(p.engineCPU) / n,
		MachineCores: p.machineBusy}
}

// perPage summarises each corpus file over its rounds.
func (mr *modeReport) perPage(pages []page, srv pass, cli *pass, solo bool) {
	for _, pg := range pages {
		row := pageRow{File: pg.name}
		var lat, work, cers, eng []float64
		for _, r := range srv.results {
			if r.page.name == pg.name && r.err == nil {
				lat = append(lat, ms(r.latency))
				work = append(work, r.workerMS)
				cers = append(cers, cer(pg.truth, r.text))
				eng = append(eng, ms(r.engineCPU))
			}
		}
		row.ServerMS, row.WorkerMS, row.ServerCER = mean(lat), mean(work), mean(cers)
		if solo {
			row.EngineCPU = mean(eng)
		}
		if cli != nil {
			lat, work, cers = nil, nil, nil
			for _, r := range cli.results {
				if r.page.name == pg.name && r.err == nil {
					lat = append(lat, ms(r.latency))
					work = append(work, ms(r.cpu))
					cers = append(cers, cer(pg.truth, r.text))
				}
			}
			row.CLIMS, row.CLICPUMS, row.CLICER = mean(lat), mean(work), mean(cers)
		}
		mr.PerPage = append(mr.PerPage, row)
	}
}

type report struct {
	Config     config       `json:"-"`
	Rounds     int          `json:"rounds"`
	Pages      int          `json:"pages_per_pass"`
	Parallel   int          `json:"parallel"`
	Workers    int          `json:"workers"`
	Engine     string       `json:"engine"`
	Started    time.Time    `json:"started"`
	Finished   time.Time    `json:"finished"`
	Modes      []modeReport `json:"modes"`
	Wait       string       `json:"wait"`
	Polls      int64        `json:"polls"`
	SSEForeign int64        `json:"sse_foreign_events"`
	PollCPUMS  float64      `json:"poll_host_cpu_ms"` // host CPU one GET /tasks/{id} costs
	SSEMissed  int64        `json:"sse_missed"`
}

func (rep *report) print(w io.Writer) {
	c := rep.Config
	fmt.Fprintf(w, "\nocrbox throughput — engine %s, lang %s, %d in flight, ocr.workers=%d, %d CPUs, %d pages × %d rounds = %d pages per pass\n",
		c.engine, c.lang, c.parallel, c.workers, runtime.NumCPU(), rep.Pages/rep.Rounds, rep.Rounds, rep.Pages)
	fmt.Fprintf(w, "CLI baseline: %s (OMP_THREAD_LIMIT=1)\n", c.cliTmpl)
	switch c.wait {
	case "poll":
		fmt.Fprintf(w, "task end learnt by polling GET /tasks/{id} every %s (%d polls in all)\n\n", c.poll, rep.Polls)
	default:
		fmt.Fprintf(w, "task end learnt from the event stream; it missed the end of %d task(s), caught by the 1 s poll, and carried %d event(s) of other tasks\n\n",
			rep.SSEMissed, rep.SSEForeign)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tpages\tserver s\tCLI s\tpages/s server\tpages/s CLI\tratio server/CLI\tCER server\tCER CLI\tother load\t")
	for _, m := range rep.Modes {
		cliS, cliP, ratio, cliCER, other := "-", "-", "-", "-", fmt.Sprintf("%.2f", m.Server.OtherCores)
		if m.CLI != nil {
			cliS, cliP = fmt.Sprintf("%.2f", m.CLI.Seconds), fmt.Sprintf("%.3f", m.CLI.PagesPerSec)
			ratio = fmt.Sprintf("%.3f", m.Server.PagesPerSec/m.CLI.PagesPerSec)
			cliCER = fmt.Sprintf("%.4f", m.CLI.MeanCER)
			other += fmt.Sprintf("/%.2f", m.CLI.OtherCores)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%s\t%.3f\t%s\t%s\t%.4f\t%s\t%s\t\n", m.Mode, m.Server.Pages, m.Server.Seconds, cliS,
			m.Server.PagesPerSec, cliP, ratio, m.Server.MeanCER, cliCER, other)
	}
	tw.Flush()
	fmt.Fprintln(w, "(other load: CPU cores busy with processes outside this benchmark during the server/CLI pass)")

	if rep.Polls > 0 || c.wait == "sse" {
		fmt.Fprintf(w, "\nCPU per page (ms), which on a saturated machine sets throughput whatever else runs; one poll costs the host %.3f ms:\n", rep.PollCPUMS)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "mode\tengine\thost\tof which polling\tserver w/o polling\tCLI\tCLI / server w/o polling\t")
		for _, m := range rep.Modes {
			n := float64(m.Server.Pages)
			poll := rep.PollCPUMS * float64(m.Polls) / n
			srv := m.Breakdown.EngineCPU + m.Breakdown.HostCPU - poll
			cliC, ratio := "-", "-"
			if m.CLI != nil {
				cliC, ratio = fmt.Sprintf("%.0f", m.CLI.CPUPerPage), fmt.Sprintf("%.3f", m.CLI.CPUPerPage/srv)
			}
			fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.1f\t%.0f\t%s\t%s\t\n", m.Mode, m.Breakdown.EngineCPU, m.Breakdown.HostCPU, poll, srv, cliC, ratio)
		}
		tw.Flush()
	}

	fmt.Fprintln(w, "\nwhere a server page's time goes (mean ms per page):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tlatency\tupload\tqueue\tworker page\tfinish\tnotify\tengine CPU\thost CPU\tCLI wall\tCLI CPU\tmachine cores srv/CLI\t")
	for _, m := range rep.Modes {
		b := m.Breakdown
		cliW, cliC, cores := "-", "-", fmt.Sprintf("%.2f", b.MachineCores)
		if m.CLI != nil {
			cliW, cliC = fmt.Sprintf("%.0f", m.CLI.LatencyMS), fmt.Sprintf("%.0f", m.CLI.CPUPerPage)
			cores += fmt.Sprintf("/%.2f", m.CLI.MachineCores)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.1f\t%.0f\t%.1f\t%.1f\t%.0f\t%.1f\t%s\t%s\t%s\t\n", m.Mode, b.Latency, b.Upload, b.Queue,
			b.WorkerPage, b.Finish, b.Notify, b.EngineCPU, b.HostCPU, cliW, cliC, cores)
	}
	tw.Flush()

	fmt.Fprintln(w, "\nper file (mean over rounds; ms):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	solo := c.parallel == 1
	if solo {
		fmt.Fprintln(tw, "mode\tfile\tserver latency\tworker page\tengine CPU\tCLI wall\tCLI CPU\tCER server\tCER CLI\t")
	} else {
		fmt.Fprintln(tw, "mode\tfile\tserver latency\tworker page\tCLI wall\tCLI CPU\tCER server\tCER CLI\t")
	}
	for _, m := range rep.Modes {
		for _, r := range m.PerPage {
			eng := ""
			if solo {
				eng = fmt.Sprintf("%.0f\t", r.EngineCPU)
			}
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%s%.0f\t%.0f\t%.4f\t%.4f\t\n", m.Mode, r.File, r.ServerMS, r.WorkerMS, eng, r.CLIMS, r.CLICPUMS,
				r.ServerCER, r.CLICER)
		}
	}
	tw.Flush()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
