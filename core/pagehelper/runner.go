package pagehelper

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/pages"
)

// Options configure a Runner; zero values get the defaults.
type Options struct {
	// Command is the helper's command line; default: this executable with
	// Subcommand (tests point it at their own binary).
	Command []string
	// Env is added to the helper's minimal environment.
	Env []string
	// Timeout bounds one page, wall clock: the helper's process group is
	// killed after it. Default 2 minutes.
	Timeout time.Duration
	// CPUTime is the helper's CPU time limit; default Timeout.
	CPUTime time.Duration
	// MaxMegapixels is the largest page Open lets through; it sizes the
	// address-space budget (12 bytes a pixel: the decoded page at 32 bits,
	// a converted copy and the encoded output) and the file-size limit.
	MaxMegapixels float64
	// AddressSpace overrides that budget, in bytes beyond what the helper
	// has mapped at start; negative: no limit.
	AddressSpace int64
	// NoNamespaces skips the user and network namespaces (they are tried by
	// default and given up, with one log line, where the kernel refuses).
	NoNamespaces bool
	// Nice is the helper's CPU priority (nice value, 0..19): decoding runs
	// below the HTTP server like the engines. 0 = as the server.
	Nice int
	// CacheDir keeps PDFium's compiled WebAssembly between helper runs
	// (the server's is <data_dir>/cache/wasm, 0700): without it every PDF
	// page pays ~3 s of CPU compiling the module.
	CacheDir string
}

// Runner starts one helper process per page.
type Runner struct {
	opts Options
	log  *slog.Logger

	nsMu sync.Mutex
	nsOK bool // namespaces work here, until a start says otherwise
}

// New returns a Runner; it starts nothing until Extract.
func New(opts Options, log *slog.Logger) (*Runner, error) {
	if len(opts.Command) == 0 {
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find own executable: %w", err)
		}
		opts.Command = []string{self, Subcommand}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	if opts.CPUTime <= 0 {
		opts.CPUTime = opts.Timeout
	}
	if opts.MaxMegapixels <= 0 {
		opts.MaxMegapixels = pages.DefaultMaxMegapixels
	}
	if opts.AddressSpace == 0 {
		opts.AddressSpace = 512<<20 + int64(12*opts.MaxMegapixels*1e6)
	}
	return &Runner{opts: opts, log: log.With("component", "pagehelper"), nsOK: !opts.NoNamespaces}, nil
}

// Error is a helper process that failed without an answer: it crashed,
// hung, or hit a resource limit. It wraps domain.ErrTransient, so the page
// attempt is retried; Message is safe to show.
type Error struct {
	Message string
}

func (e *Error) Error() string { return e.Message }

// Unwrap marks the failure transient.
func (e *Error) Unwrap() error { return domain.ErrTransient }

// maxReply bounds what is read from the helper's stdout and stderr: a
// page's answer is a few hundred bytes, a PDF's page sizes ~15 bytes a page.
const maxReply = 1 << 20

// Extract decodes the page j names in a fresh helper process and returns
// it as a file (Page.Path; Data is never set). A page the decoder cannot
// read is a *domain.Error, as pages.Extract returns it; a helper that
// fails otherwise is an *Error; ctx's end kills the helper.
func (r *Runner) Extract(ctx context.Context, j pages.Job) (pages.Page, error) {
	j.CacheDir = r.opts.CacheDir
	job, err := json.Marshal(request{Job: j})
	if err != nil {
		return pages.Page{}, fmt.Errorf("encode page job: %w", err)
	}
	// A killed attempt may have left a partial page: the helper creates Out
	// exclusively, so clear it before and after anything but an answer.
	clearOut := func() {
		for _, p := range []string{j.Out, j.PDFOut} {
			if p != "" {
				_ = os.Remove(p)
			}
		}
	}
	clearOut()
	started := time.Now()
	res, err := r.run(ctx, job)
	if err != nil {
		return pages.Page{}, err
	}
	st := res.state
	var usage syscall.Rusage
	if u, ok := st.SysUsage().(*syscall.Rusage); ok {
		usage = *u
	}
	cpu := time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
	log := r.log.With("page", j.Index+1, "ms", time.Since(started).Milliseconds(),
		"cpu_ms", cpu.Milliseconds(), "max_rss_kb", usage.Maxrss)
	// An answer counts even if the timer fired as the helper exited.
	var rep reply
	answered := st.Success() && json.Unmarshal(res.stdout, &rep) == nil && (rep.Page != nil || rep.Error != nil)
	if !answered || rep.Page == nil {
		clearOut()
	}
	if ctx.Err() != nil {
		return pages.Page{}, context.Cause(ctx)
	}
	if !answered && res.timedOut {
		log.Warn("page helper timed out; killed")
		return pages.Page{}, &Error{Message: fmt.Sprintf("decoding the page took longer than %s", r.opts.Timeout)}
	}
	if answered {
		if e := rep.Error; e != nil {
			log.Debug("page helper refused the page", "code", e.Code)
			kind := kinds[e.Kind]
			if kind == nil {
				kind = domain.ErrBadInput
			}
			return pages.Page{}, domain.Errorf(kind, e.Code, "%s", e.Message)
		}
		p := rep.Page
		log.Debug("page decoded", "width", p.Width, "height", p.Height, "content_type", p.ContentType)
		return pages.Page{Number: p.Number, Path: p.Path, ContentType: p.ContentType,
			Width: p.Width, Height: p.Height, DPI: p.DPI, Source: p.Source, PDFPath: p.PDFPath}, nil
	}
	// No answer: a crash. Stderr goes to the log only (it may name paths).
	msg := "the page decoder failed (" + st.String() + ")"
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		msg = "the page decoder crashed (" + ws.Signal().String() + ")"
		// Only the kernel kills it by itself: at the CPU limit or when out
		// of memory. The rusage figures are sampled and on a loaded machine
		// were seen well under the limit the kernel enforced exactly, so
		// half the limit counts.
		if lim := r.cpuLimit(); (ws.Signal() == syscall.SIGKILL || ws.Signal() == syscall.SIGXCPU) && cpu >= time.Duration(lim)*time.Second/2 {
			msg = fmt.Sprintf("decoding the page used more than its CPU time limit (%d s)", lim)
		}
	}
	log.Warn("page helper failed", "status", st.String(), "stderr", string(bytes.TrimSpace(res.stderr)))
	return pages.Page{}, &Error{Message: msg}
}

// result is one finished helper run.
type result struct {
	state          *os.ProcessState
	stdout, stderr []byte
	timedOut       bool
}

func (r *Runner) cpuLimit() uint64 {
	return uint64((r.opts.CPUTime + time.Second - 1) / time.Second)
}

// limits are one helper run's: wall clock, CPU seconds, largest file and
// address-space budget (bytes beyond what it has mapped at start; ≤ 0:
// none).
type limits struct {
	timeout time.Duration
	cpu     uint64
	fsize   int64
	as      int64
}

// pageLimits are a page's (Extract, InspectPDF, Preview, WarmPDF).
func (r *Runner) pageLimits() limits {
	return limits{timeout: r.opts.Timeout, cpu: r.cpuLimit(),
		// 64 MiB floor: the largest file is the page, or PDFium's compiled
		// code for the cache (21.3 MiB for go-pdfium v1.21.5's module).
		fsize: 64<<20 + int64(5*r.opts.MaxMegapixels*1e6), as: r.opts.AddressSpace}
}

// run starts the helper for a page, in new namespaces when they work
// here, and waits.
func (r *Runner) run(ctx context.Context, job []byte) (result, error) {
	return r.runWith(ctx, job, r.pageLimits(), nil)
}

// runWith is run with the limits given; out, if not nil, is the helper's
// descriptor 3.
func (r *Runner) runWith(ctx context.Context, job []byte, lim limits, out *os.File) (result, error) {
	r.nsMu.Lock()
	ns := r.nsOK
	r.nsMu.Unlock()
	res, err := r.runOnce(ctx, job, lim, out, ns)
	if err != nil && ns && namespaceRefused(err) {
		r.nsMu.Lock()
		if r.nsOK {
			r.nsOK = false
			r.log.Info("page helper runs without its own network namespace: the kernel refused unprivileged user namespaces", "error", err)
		}
		r.nsMu.Unlock()
		res, err = r.runOnce(ctx, job, lim, out, false)
	}
	return res, err
}

// namespaceRefused tells a start that failed because of the namespace
// flags (not permitted, not supported, too many) from any other failure.
func namespaceRefused(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) ||
		errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EUSERS)
}

func (r *Runner) runOnce(ctx context.Context, job []byte, lim limits, out *os.File, namespaces bool) (result, error) {
	tctx, cancel := context.WithTimeout(ctx, lim.timeout)
	defer cancel()
	args := append([]string{}, r.opts.Command[1:]...)
	args = append(args, "-cpu", strconv.FormatUint(lim.cpu, 10), "-fsize", strconv.FormatInt(lim.fsize, 10))
	if lim.as > 0 {
		args = append(args, "-as-budget", strconv.FormatInt(lim.as, 10))
	}
	if r.opts.Nice > 0 {
		args = append(args, "-nice", strconv.Itoa(r.opts.Nice))
	}
	cmd := exec.CommandContext(tctx, r.opts.Command[0], args...)
	cmd.Env = r.env()
	cmd.Stdin = bytes.NewReader(job)
	stdout, stderr := &capped{max: maxReply}, &capped{max: maxReply}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if out != nil {
		cmd.ExtraFiles = []*os.File{out}
	}
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if namespaces {
		uid, gid := os.Getuid(), os.Getgid()
		attr.Cloneflags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
		attr.GidMappingsEnableSetgroups = false
	}
	cmd.SysProcAttr = attr
	// Kill the whole group: nothing the helper might start outlives it.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return result{}, fmt.Errorf("start page helper: %w", err)
	}
	_ = cmd.Wait() // the state says everything; see Extract
	return result{state: cmd.ProcessState, stdout: stdout.Bytes(), stderr: stderr.Bytes(),
		timedOut: tctx.Err() != nil && ctx.Err() == nil}, nil
}

// env is the helper's whole environment: enough to run, nothing secret.
func (r *Runner) env() []string {
	env := []string{cookieKey + "=" + cookieValue, "LANG=C.UTF-8", "OMP_THREAD_LIMIT=1",
		// Few threads and malloc arenas: each arena reserves 64 MiB of the
		// address space the helper is limited to.
		"GOMAXPROCS=2", "MALLOC_ARENA_MAX=2"}
	// TZ: the searchable PDF's dates are local time, as the server's.
	for _, k := range []string{"PATH", "TMPDIR", "GOCOVERDIR", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, r.opts.Env...)
}

// capped keeps the first max bytes written and drops the rest.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// InspectPDF reads a PDF's page sizes in points (/Rotate applied) in a
// fresh helper process, under the same limits as a page: the server's
// pages.PDFInspector, so PDFium never parses an upload in the server. A
// file that cannot be read is a *domain.Error; a helper that fails
// otherwise an *Error (transient).
func (r *Runner) InspectPDF(ctx context.Context, path string, maxPages int) ([][2]float64, error) {
	job, err := json.Marshal(request{Job: pages.Job{Path: path, ContentType: pages.TypePDF, CacheDir: r.opts.CacheDir},
		Inspect: true, MaxPages: maxPages})
	if err != nil {
		return nil, fmt.Errorf("encode inspect job: %w", err)
	}
	started := time.Now()
	res, err := r.run(ctx, job)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	var usage syscall.Rusage
	if u, ok := res.state.SysUsage().(*syscall.Rusage); ok {
		usage = *u
	}
	var rep reply
	if res.state.Success() && json.Unmarshal(res.stdout, &rep) == nil {
		if e := rep.Error; e != nil {
			kind := kinds[e.Kind]
			if kind == nil {
				kind = domain.ErrBadInput
			}
			return nil, domain.Errorf(kind, e.Code, "%s", e.Message)
		}
		if rep.Sizes != nil {
			r.log.Debug("PDF inspected", "pages", len(rep.Sizes), "ms", time.Since(started).Milliseconds(),
				"cpu_ms", (usage.Utime.Nano()+usage.Stime.Nano())/1e6, "max_rss_kb", usage.Maxrss)
			return rep.Sizes, nil
		}
	}
	if res.timedOut {
		return nil, &Error{Message: fmt.Sprintf("reading the PDF's pages took longer than %s", r.opts.Timeout)}
	}
	r.log.Warn("page helper failed to inspect a PDF", "status", res.state.String(), "stderr", string(bytes.TrimSpace(res.stderr)))
	return nil, &Error{Message: "the page decoder failed reading the PDF (" + res.state.String() + ")"}
}

// WarmPDF runs a helper that only starts PDFium, so the compiled module is
// in CacheDir before the first PDF arrives (the server calls it once at
// start, in the background). Without a CacheDir it does nothing.
func (r *Runner) WarmPDF(ctx context.Context) error {
	if r.opts.CacheDir == "" {
		return nil
	}
	job, err := json.Marshal(request{Job: pages.Job{CacheDir: r.opts.CacheDir}, Warm: true})
	if err != nil {
		return fmt.Errorf("encode warm job: %w", err)
	}
	started := time.Now()
	res, err := r.run(ctx, job)
	if err != nil {
		return err
	}
	var rep reply
	if !res.state.Success() || json.Unmarshal(res.stdout, &rep) != nil || !rep.Ready {
		return fmt.Errorf("warm PDFium: helper %s: %s", res.state, bytes.TrimSpace(res.stderr))
	}
	r.log.Info("PDFium ready", "ms", time.Since(started).Milliseconds())
	return nil
}
